"""Optimizer mechanics: zero_grad, no graph recorded, version counters, hooks, groups added
mid-training, repr, and a PyTorch-style training loop written against ``import ember as torch``."""
import numpy as np
import pytest
import torch

import ember
from ember import optim

from .problem import NAMES, make, numpy_of, train_step

OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"]


def test_zero_grad_drops_or_zeroes_the_gradients():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and grad.tolist() == [0.0, 0.0] and not grad.requires_grad
    opt.zero_grad()
    assert w.grad is None


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_updates_in_place_without_a_graph(name):
    w = ember.tensor([1.0, -2.0, 3.0], requires_grad=True)
    data, version = w._data, w._version
    opt = getattr(optim, name)([w], lr=0.1)
    (w ** 2).sum().backward()
    grad_before = w.grad.numpy().copy()
    opt.step()
    assert w._data is data and w._version == version + 1
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    np.testing.assert_array_equal(w.grad.numpy(), grad_before)  # the gradient is not overwritten
    for value in opt.state[w].values():
        assert isinstance(value, ember.Tensor) and not value.requires_grad and value.grad_fn is None


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_parameter_group_added_mid_training_matches_torch(name):
    (ep, eloss), (tp, tloss) = make("ember"), make("torch")
    first, later = ["w1", "b1", "w2", "b2"], ["q"]
    eopt = getattr(optim, name)([ep[k] for k in first], lr=0.05)
    topt = getattr(torch.optim, name)([tp[k] for k in first], lr=0.05)
    for step in range(8):
        if step == 3:
            eopt.add_param_group({"params": [ep[k] for k in later], "lr": 0.01})
            topt.add_param_group({"params": [tp[k] for k in later], "lr": 0.01})
        train_step(eopt, eloss)
        train_step(topt, tloss)
        for k in NAMES:
            np.testing.assert_allclose(numpy_of(ep[k]), numpy_of(tp[k]), rtol=1e-10, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_repr_matches_torch(name):
    e = getattr(optim, name)([ember.zeros(1, requires_grad=True)], lr=0.25)
    t = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], lr=0.25)
    assert repr(e) == repr(t)


def test_step_hooks_run_around_the_step_and_can_be_removed():
    w = ember.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.5)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", w.item())))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", w.item())))
    w.grad = ember.tensor([1.0])
    opt.step()
    assert calls == [("pre", 1.0), ("post", 0.5)]
    pre.remove()
    post.remove()
    opt.step()
    assert len(calls) == 2 and w.item() == 0.0


def test_a_subclass_step_calling_super_runs_the_hooks_once():
    class Clipped(optim.SGD):
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.grad.clamp_(-1.0, 1.0)
            return super().step(closure)

    w = ember.tensor([5.0], requires_grad=True)
    opt = Clipped([w], lr=1.0)
    calls = []
    opt.register_step_pre_hook(lambda *a: calls.append("pre"))
    (w * w).sum().backward()
    opt.step()
    assert w.item() == 4.0 and calls == ["pre"]


def test_custom_optimizer_written_with_tensor_ops_records_no_graph():
    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.sub_(p.grad.sign() * group["lr"])

    w = ember.tensor([1.0, -1.0], requires_grad=True)
    opt = SignSGD([w])
    (w * w).sum().backward()
    opt.step()  # an in-place op on a leaf requiring grad is only legal with recording off
    assert w.tolist() == pytest.approx([0.9, -0.9]) and w.grad_fn is None


def test_tensor_learning_rate():
    w = ember.tensor([1.0], requires_grad=True)
    opt = optim.Adam([w], lr=ember.tensor(0.1))
    w.grad = ember.tensor([2.0])
    opt.step()
    assert w.item() == pytest.approx(0.9)


def test_nn_parameters_and_a_pytorch_style_loop():
    import ember as torch_like
    from ember.nn.parameter import Parameter

    rng = np.random.default_rng(0)
    x = torch_like.tensor(rng.normal(size=(64, 3)), dtype=torch_like.float32)  # float32 like the weights
    y = x @ torch_like.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    weight = Parameter(torch_like.zeros(3, 1))
    bias = Parameter(torch_like.zeros(1))
    opt = torch_like.optim.SGD([weight, bias], lr=0.1, momentum=0.9)
    sched = torch_like.optim.lr_scheduler.StepLR(opt, step_size=50, gamma=0.5)
    losses = []
    for _ in range(150):
        opt.zero_grad()
        loss = ((x @ weight + bias - y) ** 2).mean()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-6 < losses[0]
    np.testing.assert_allclose(weight.detach().numpy().ravel(), [1.0, -2.0, 0.5], atol=1e-3)
    assert isinstance(weight, Parameter) and sched.get_last_lr() == [0.0125]
