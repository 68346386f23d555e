"""Saving and resuming: optimizer and scheduler state dicts through ember.save / ember.load
resume training exactly; loading checks the groups; state is copied, cast and complete."""
import copy
import io

import numpy as np
import pytest
import torch

import ember
from ember import optim
from ember.optim import lr_scheduler

from .problem import NAMES, make, numpy_of, train_step

RESUME_CASES = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), lambda o: lr_scheduler.StepLR(o, 3, gamma=0.5)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.01),
     lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.05, total_steps=12)),
    ("AdamW", dict(lr=0.05), lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5),
     lambda o: lr_scheduler.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=2)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01), lambda o: lr_scheduler.MultiStepLR(o, [2, 6, 6])),
    ("Adadelta", dict(), lambda o: lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e))),
    ("Adamax", dict(lr=0.05), lambda o: lr_scheduler.SequentialLR(
        o, [lr_scheduler.LinearLR(o, 0.5, total_iters=3), lr_scheduler.ExponentialLR(o, 0.8)], [3])),
    ("NAdam", dict(lr=0.05), lambda o: lr_scheduler.ChainedScheduler(
        [lr_scheduler.ConstantLR(o, 0.5, total_iters=6), lr_scheduler.CosineAnnealingLR(o, T_max=4)])),
    ("RAdam", dict(lr=0.05, decoupled_weight_decay=True, weight_decay=0.1),
     lambda o: lr_scheduler.PolynomialLR(o, total_iters=8, power=2.0)),
]
GROUPS = [{"params": ["w1", "b1", "frozen"]}, {"params": ["w2", "b2", "q"], "lr": 0.02}]


def _setup(name, kwargs, make_sched, init=None):
    params, loss = make("ember", init)
    opt = getattr(optim, name)([dict(g, params=[params[k] for k in g["params"]]) for g in GROUPS], **kwargs)
    return params, loss, opt, make_sched(opt)


def _run(opt, sched, loss, steps):
    for _ in range(steps):
        train_step(opt, loss)
        sched.step()


def _roundtrip(obj):
    buffer = io.BytesIO()
    ember.save(obj, buffer)
    buffer.seek(0)
    return ember.load(buffer)


@pytest.mark.parametrize("name,kwargs,make_sched", RESUME_CASES, ids=[c[0] for c in RESUME_CASES])
def test_save_load_resumes_exactly(name, kwargs, make_sched):
    ref_params, ref_loss, ref_opt, ref_sched = _setup(name, kwargs, make_sched)
    _run(ref_opt, ref_sched, ref_loss, 10)

    params, loss, opt, sched = _setup(name, kwargs, make_sched)
    _run(opt, sched, loss, 5)
    checkpoint = _roundtrip({"model": {k: p.detach() for k, p in params.items()},
                             "optimizer": opt.state_dict(), "scheduler": sched.state_dict()})
    del params, opt, sched

    weights = {k: checkpoint["model"][k].numpy() for k in NAMES}
    params, loss, opt, sched = _setup(name, kwargs, make_sched, init=weights)
    opt.load_state_dict(checkpoint["optimizer"])
    sched.load_state_dict(checkpoint["scheduler"])
    _run(opt, sched, loss, 5)

    for k in NAMES:
        np.testing.assert_array_equal(numpy_of(params[k]), numpy_of(ref_params[k]), err_msg=k)
    assert sched.get_last_lr() == ref_sched.get_last_lr()
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in ref_opt.param_groups]
    sd, ref_sd = opt.state_dict(), ref_opt.state_dict()
    assert sd["param_groups"] == ref_sd["param_groups"]
    for idx, state in ref_sd["state"].items():
        for key, value in state.items():
            np.testing.assert_array_equal(sd["state"][idx][key].numpy(), value.numpy(), err_msg=f"{idx}.{key}")


def test_state_dict_indices_and_names_match_torch():
    ep, tp = make("ember")[0], make("torch")[0]
    e = optim.SGD([{"params": [("w1", ep["w1"]), ("b1", ep["b1"])]}, {"params": [("q", ep["q"])], "lr": 0.5}],
                  lr=0.1, momentum=0.9)
    t = torch.optim.SGD([{"params": [("w1", tp["w1"]), ("b1", tp["b1"])]}, {"params": [("q", tp["q"])], "lr": 0.5}],
                        lr=0.1, momentum=0.9)
    assert e.state_dict() == t.state_dict()  # no state yet: the groups alone, names and indices included
    assert e.param_groups[0]["param_names"] == ["w1", "b1"]


def test_adagrad_state_exists_before_the_first_step_as_in_torch():
    ep, tp = make("ember")[0], make("torch")[0]
    e = optim.Adagrad([ep["q"]], initial_accumulator_value=0.25)
    t = torch.optim.Adagrad([tp["q"]], initial_accumulator_value=0.25)
    esd, tsd = e.state_dict(), t.state_dict()
    assert list(esd["state"][0]) == list(tsd["state"][0]) == ["step", "sum"]
    np.testing.assert_array_equal(esd["state"][0]["sum"].numpy(), tsd["state"][0]["sum"].numpy())
    assert esd["state"][0]["step"].item() == 0.0


def test_load_copies_and_casts_the_state():
    w = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    opt = optim.Adam([w])
    (w * w).sum().backward()
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][0]["exp_avg"] = ember.tensor([0.5, 0.5], dtype=ember.float32)
    w2 = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    opt2 = optim.Adam([w2])
    opt2.load_state_dict(sd)
    exp_avg = opt2.state[w2]["exp_avg"]
    assert exp_avg.dtype == ember.float64
    assert opt2.state[w2]["step"].dtype == ember.float32  # step keeps its own dtype
    loaded_step = opt2.state[w2]["step"]
    assert loaded_step is not sd["state"][0]["step"]
    w2.grad = ember.ones(2, dtype=ember.float64)
    opt2.step()
    assert sd["state"][0]["step"].item() == 1.0 and loaded_step.item() == 2.0


def test_load_accepts_a_python_number_step():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([w])
    (w * w).sum().backward()
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["step"] = 1
    opt.load_state_dict(sd)
    assert isinstance(opt.state[w]["step"], ember.Tensor) and opt.state[w]["step"].item() == 1.0
    opt.step()
    assert opt.state[w]["step"].item() == 2.0


def test_load_rejects_mismatched_groups_with_torchs_messages():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)
    ta, tb = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
    one_group = optim.SGD([a, b], lr=0.1).state_dict()
    t_one_group = torch.optim.SGD([ta, tb], lr=0.1).state_dict()
    for build, tbuild in [(lambda: optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1),
                           lambda: torch.optim.SGD([{"params": [ta]}, {"params": [tb]}], lr=0.1)),
                          (lambda: optim.SGD([a], lr=0.1), lambda: torch.optim.SGD([ta], lr=0.1))]:
        with pytest.raises(ValueError) as theirs:
            tbuild().load_state_dict(t_one_group)
        with pytest.raises(ValueError, match=str(theirs.value).replace("(", r"\(").replace(")", r"\)")):
            build().load_state_dict(one_group)


def test_load_restores_hyperparameters_but_keeps_own_params():
    a = ember.zeros(2, requires_grad=True)
    src = optim.SGD([a], lr=0.1, momentum=0.9)
    src.param_groups[0]["lr"] = 0.0123
    b = ember.zeros(2, requires_grad=True)
    dst = optim.SGD([b], lr=0.5)
    dst.load_state_dict(src.state_dict())
    assert dst.param_groups[0]["lr"] == 0.0123 and dst.param_groups[0]["momentum"] == 0.9
    assert dst.param_groups[0]["params"][0] is b


def test_scheduler_state_dict_round_trip_keeps_milestones_a_counter():
    a = ember.zeros(2, requires_grad=True)
    opt = optim.SGD([a], lr=1.0)
    sched = lr_scheduler.MultiStepLR(opt, [2, 2, 4], gamma=0.5)
    loaded = lr_scheduler.MultiStepLR(optim.SGD([ember.zeros(2, requires_grad=True)], lr=1.0), [9])
    loaded.load_state_dict(_roundtrip(sched.state_dict()))
    assert loaded.milestones == sched.milestones and type(loaded.milestones).__name__ == "Counter"
