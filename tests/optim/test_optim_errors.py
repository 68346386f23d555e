"""Invalid inputs raise PyTorch's exception type with PyTorch's message."""
import re
import warnings

import pytest
import torch

import ember
from ember import optim
from ember.optim import lr_scheduler


def _both_raise(build):
    """``build(lib_module, make_tensor)`` raises the same error in torch and ember."""
    with pytest.raises(Exception) as theirs:
        build(torch, lambda *s, **k: torch.zeros(*s, requires_grad=True, **k))
    with pytest.raises(type(theirs.value)) as ours:
        build(ember, lambda *s, **k: ember.zeros(*s, requires_grad=True, **k))
    assert str(ours.value) == str(theirs.value)


BAD_HYPERPARAMETERS = [
    ("SGD", dict(lr=-1)), ("SGD", dict(lr=0.1, momentum=-0.5)), ("SGD", dict(lr=0.1, weight_decay=-1)),
    ("SGD", dict(lr=0.1, nesterov=True)), ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-1)), ("Adam", dict(eps=-1e-8)), ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-0.1)),
    ("AdamW", dict(lr=-0.5)), ("AdamW", dict(betas=(0.9, 1.5))),
    ("RMSprop", dict(lr=-1)), ("RMSprop", dict(eps=-1)), ("RMSprop", dict(momentum=-1)),
    ("RMSprop", dict(weight_decay=-1)), ("RMSprop", dict(alpha=-0.1)),
    ("Adagrad", dict(lr=-1)), ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(weight_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)), ("Adagrad", dict(eps=-1)),
    ("Adadelta", dict(lr=-1)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1)),
    ("Adadelta", dict(weight_decay=-1)),
    ("Adamax", dict(lr=-1)), ("Adamax", dict(eps=-1)), ("Adamax", dict(betas=(0.9, 1.0))),
    ("Adamax", dict(weight_decay=-1)),
    ("NAdam", dict(lr=-1)), ("NAdam", dict(betas=(-0.1, 0.9))), ("NAdam", dict(momentum_decay=-1)),
    ("RAdam", dict(lr=-1)), ("RAdam", dict(eps=-1)), ("RAdam", dict(weight_decay=-1)),
]


@pytest.mark.parametrize("name,kwargs", BAD_HYPERPARAMETERS, ids=[f"{n}-{k}" for n, k in BAD_HYPERPARAMETERS])
def test_invalid_hyperparameters(name, kwargs):
    _both_raise(lambda lib, z: getattr(lib.optim, name)([z(2)], **kwargs))


def test_invalid_learning_rate_message():
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -1$"):
        optim.SGD([ember.zeros(1, requires_grad=True)], lr=-1)


@pytest.mark.parametrize("build", [
    lambda lib, z: lib.optim.SGD([], lr=0.1),
    lambda lib, z: lib.optim.Adam(iter([])),
    lambda lib, z: lib.optim.SGD(z(2), lr=0.1),
    lambda lib, z: lib.optim.SGD([z(2).sum()], lr=0.1),
    lambda lib, z: lib.optim.SGD([z(2), 3], lr=0.1),
    lambda lib, z: (lambda a: lib.optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1))(z(2)),
    lambda lib, z: lib.optim.SGD([{"params": {z(2)}}], lr=0.1),
    lambda lib, z: lib.optim.SGD([("a", z(2)), z(2)], lr=0.1),
    lambda lib, z: lib.optim.SGD([{"params": [("a", z(2))]}, {"params": [z(2)]}], lr=0.1),
    lambda lib, z: lib.optim.SGD([z(2)], lr=0.1).add_param_group([z(2)]),
], ids=["empty", "empty-iterator", "tensor-not-list", "non-leaf", "non-tensor", "shared-between-groups",
        "set", "names-missing", "names-in-one-group", "group-not-dict"])
def test_bad_parameter_lists(build):
    with pytest.raises(Exception) as theirs:
        build(torch, lambda *s: torch.zeros(*s, requires_grad=True))
    with pytest.raises(type(theirs.value)) as ours:
        build(ember, lambda *s: ember.zeros(*s, requires_grad=True))
    # torch names its own tensor type (torch.FloatTensor) in one message; everything else is identical
    assert str(ours.value).replace("ember.Tensor", "T") == re.sub(r"torch\.\w*Tensor", "T", str(theirs.value))


def test_empty_parameter_list_message():
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        optim.Adam([])


def test_duplicate_parameters_in_a_group_warn_like_torch():
    a = ember.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([a, a], lr=0.1)


def test_required_hyperparameter_of_a_custom_optimizer():
    from ember.optim.optimizer import required

    class Plain(optim.Optimizer):
        def __init__(self, params, lr=required):
            super().__init__(params, dict(lr=lr))

    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        Plain([ember.zeros(1, requires_grad=True)])
    assert Plain([{"params": [ember.zeros(1, requires_grad=True)], "lr": 0.5}]).param_groups[0]["lr"] == 0.5


def test_differentiable_steps_are_refused():
    with pytest.raises(NotImplementedError, match="differentiable"):
        optim.Adam([ember.zeros(1, requires_grad=True)], differentiable=True)


def _sgd(lib, lr=0.1, groups=1):
    z = (lambda: torch.zeros(2, requires_grad=True)) if lib is torch else (lambda: ember.zeros(2, requires_grad=True))
    return lib.optim.SGD([{"params": [z()]} for _ in range(groups)], lr=lr, momentum=0.9)


SCHEDULER_ERRORS = [
    lambda L, o: L.ConstantLR(o, factor=2.0),
    lambda L, o: L.LinearLR(o, start_factor=0.0),
    lambda L, o: L.LinearLR(o, end_factor=1.5),
    lambda L, o: L.LambdaLR(o, [lambda e: 1.0, lambda e: 1.0]),
    lambda L, o: L.MultiplicativeLR(o, 3),
    lambda L, o: L.OneCycleLR(o, max_lr=0.1),
    lambda L, o: L.OneCycleLR(o, max_lr=0.1, total_steps=0),
    lambda L, o: L.OneCycleLR(o, max_lr=0.1, epochs=0, steps_per_epoch=2),
    lambda L, o: L.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5),
    lambda L, o: L.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"),
    lambda L, o: L.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=10),
    lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, mode="square"),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2).step(-1),
    lambda L, o: L.ReduceLROnPlateau(o, factor=1.0),
    lambda L, o: L.ReduceLROnPlateau(o, mode="up"),
    lambda L, o: L.ReduceLROnPlateau(o, threshold_mode="pct"),
    lambda L, o: L.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]),
    lambda L, o: L.SequentialLR(o, [L.ExponentialLR(o, 0.9)], milestones=[3]),
    lambda L, o: L.SequentialLR(o, [], milestones=[]),
    lambda L, o: L.SequentialLR(o, [L.ExponentialLR(o, 0.9), L.ReduceLROnPlateau(o)], milestones=[3]),
    lambda L, o: L.ChainedScheduler([]),
    lambda L, o: L.StepLR(object(), 3),
]


@pytest.mark.parametrize("build", SCHEDULER_ERRORS, ids=range(len(SCHEDULER_ERRORS)))
def test_scheduler_errors(build):
    with pytest.raises(Exception) as theirs:
        build(torch.optim.lr_scheduler, _sgd(torch))
    with pytest.raises(type(theirs.value)) as ours:
        build(lr_scheduler, _sgd(ember))
    assert str(ours.value) == str(theirs.value)


def test_scheduler_of_another_optimizer_is_refused():
    a, b = _sgd(ember), _sgd(ember)
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        lr_scheduler.SequentialLR(a, [lr_scheduler.ExponentialLR(a, 0.9), lr_scheduler.ExponentialLR(b, 0.9)], [2])


def test_one_cycle_past_its_total_steps():
    def run(L, opt):
        s = L.OneCycleLR(opt, max_lr=0.1, total_steps=3)
        for _ in range(4):
            opt.step()
            s.step()
    _both_raise(lambda lib, z: run(lib.optim.lr_scheduler, _sgd(lib)))


def test_resuming_without_initial_lr():
    with pytest.raises(KeyError, match=re.escape("param 'initial_lr' is not specified in param_groups[0]")):
        lr_scheduler.StepLR(_sgd(ember), 3, last_epoch=4)


def test_scheduler_step_before_optimizer_step_warns():
    opt = _sgd(ember)
    sched = lr_scheduler.StepLR(opt, 3)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = _sgd(ember)
    sched2 = lr_scheduler.StepLR(opt2, 3)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


def test_get_lr_outside_step_warns():
    sched = lr_scheduler.ExponentialLR(_sgd(ember), 0.5)
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()
