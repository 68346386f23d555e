"""Autograd semantics: accumulation, hooks, retain_graph, in-place checks, long chains,
higher-order gradients, custom Functions, anomaly detection and grad modes."""
import numpy as np
import pytest
import torch

import ember
from ember import autograd


def test_gradients_accumulate_across_backward_calls():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_shared_subexpression_gradients_sum():
    x = ember.tensor([1.5, -2.0], requires_grad=True)
    y = x * x
    z = y + y * x + y.exp()
    z.sum().backward()
    xt = torch.tensor([1.5, -2.0], requires_grad=True)
    yt = xt * xt
    (yt + yt * xt + yt.exp()).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


def test_two_leaves_from_one_add_get_independent_grad_buffers():
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.mul_(5)
    np.testing.assert_allclose(b.grad.numpy(), [1, 1, 1])


def test_backward_twice_without_retain_graph_raises():
    x = ember.tensor(2.0, requires_grad=True)
    y = x.exp() * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(2 * (np.exp(2) * 2 + np.exp(2)))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_non_scalar_backward_needs_gradient():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(2).sum().backward()


def test_leaf_and_requires_grad_flags():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.requires_grad
    assert y.grad_fn.name == "MulBackward0"
    assert ember.ones(2).is_leaf
    with pytest.raises(RuntimeError, match="floating point"):
        ember.ones(2, dtype=ember.int64).requires_grad_()
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.numpy(), y.detach().numpy())


def test_retain_grad_and_hooks():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    x.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * y.detach().numpy())
    np.testing.assert_allclose(seen[0], 2 * y.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), 10 * 3 * 2 * y.detach().numpy())


def test_hook_handle_remove():
    x = ember.tensor([1.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 0)
    h.remove()
    (x * 2).sum().backward()
    assert x.grad.item() == 2.0


def test_inplace_on_saved_tensor_raises():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    # Same in PyTorch:
    xt = torch.tensor([1.0, 2.0], requires_grad=True)
    yt = xt.exp()
    zt = yt * yt
    yt.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        zt.sum().backward()


def test_inplace_on_view_bumps_base_version():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.sigmoid()
    z = y.sum() * 1
    with ember.no_grad():
        y[0:2].mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        (z + (y * 1).sum()).backward()


def test_inplace_on_leaf_requiring_grad_raises():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with ember.no_grad():
        x.add_(1)
    assert x.detach().numpy().tolist() == [2.0, 2.0]


def test_inplace_on_view_updates_base_graph_like_torch():
    a = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
    grads = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        y = x * 1
        y[0] += x[1]
        row = y[1]
        row.mul_(x[0])
        (y * y).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


def test_inplace_ops_in_graph_match_torch():
    a = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
    x = ember.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    for lib, v in ((ember, x), (torch, xt)):
        y = v * 1
        y.mul_(2).add_(v)
        y[:, 1] = 0.0
        y[0] += v[1]
        y.sigmoid_()
        y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


def test_chain_of_100k_ops_backward_without_recursion():
    x = ember.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad.item() == 1.0


def test_autograd_grad_create_graph_second_order():
    x = ember.tensor([0.3, -1.2, 2.0], dtype=ember.float64, requires_grad=True)
    y = (x.sin() * x ** 3).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x)
    xt = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
    yt = (xt.sin() * xt ** 3).sum()
    (gt,) = torch.autograd.grad(yt, xt, create_graph=True)
    (ht,) = torch.autograd.grad(gt.sum(), xt)
    np.testing.assert_allclose(g.detach().numpy(), gt.detach().numpy())
    np.testing.assert_allclose(h.numpy(), ht.numpy())
    assert x.grad is None


def test_gradient_penalty_and_hessian_vector_product():
    w = ember.tensor([[0.5, -0.2], [0.1, 0.9]], dtype=ember.float64, requires_grad=True)
    inp = ember.tensor([[1.0, 2.0]], dtype=ember.float64, requires_grad=True)
    out = (inp @ w).tanh().sum()
    (gi,) = autograd.grad(out, inp, create_graph=True)
    penalty = ((gi.norm(dim=1) - 1) ** 2).mean()
    penalty.backward()
    wt = torch.tensor(w.detach().numpy(), requires_grad=True)
    it = torch.tensor(inp.detach().numpy(), requires_grad=True)
    (git,) = torch.autograd.grad((it @ wt).tanh().sum(), it, create_graph=True)
    ((git.norm(dim=1) - 1) ** 2).mean().backward()
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy())
    # Hessian-vector product
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    v = ember.tensor([0.5, -1.0], dtype=ember.float64)
    (gx,) = autograd.grad((x ** 3).sum() + x[0] * x[1], x, create_graph=True)
    (hv,) = autograd.grad(gx, x, v)
    np.testing.assert_allclose(hv.numpy(), [6 * 1 * 0.5 + 1 * -1.0, 0.5 + 6 * 2 * -1.0])


def test_autograd_grad_unused_input():
    x = ember.ones(2, requires_grad=True)
    z = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="not have been used"):
        autograd.grad((x * 2).sum(), [x, z])
    gx, gz = autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None and gx.numpy().tolist() == [2.0, 2.0]


def test_autograd_grad_of_intermediate():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y * y).sum()
    (gy,) = autograd.grad(z, y)
    np.testing.assert_allclose(gy.numpy(), [4.0, 8.0])


class _Exp(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        r = x.exp()
        ctx.save_for_backward(r)
        return r

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return g * r


class _MulAdd(autograd.Function):
    @staticmethod
    def forward(ctx, a, b, k):
        ctx.save_for_backward(a, b)
        ctx.k = k
        return a * b + k, a - b

    @staticmethod
    def backward(ctx, g1, g2):
        a, b = ctx.saved_tensors
        return g1 * b + g2, g1 * a - g2, None


def test_custom_function():
    x = ember.tensor([0.5, 1.0], dtype=ember.float64, requires_grad=True)
    y = _Exp.apply(x)
    assert y.grad_fn.name == "_ExpBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0]))
    a = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    b = ember.tensor([3.0, -1.0], dtype=ember.float64, requires_grad=True)
    assert autograd.gradcheck(lambda a, b: _MulAdd.apply(a, b, 2.0), (a, b))
    p, q = _MulAdd.apply(a, b, 2.0)
    (p.sum() * 2 + q.sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * b.detach().numpy() + 1)


def test_custom_function_wrong_grad_shape_raises():
    class Bad(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.sum()
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="invalid gradient"):
        Bad.apply(x).sum().backward()


def test_detect_anomaly_names_the_op():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with autograd.detect_anomaly():
        y = x.sqrt().sum()
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            y.backward()


def test_grad_modes():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not (x * 2).requires_grad
        with ember.enable_grad():
            assert (x * 2).requires_grad
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with ember.inference_mode():
        assert not (x * 2).requires_grad

    @ember.no_grad()
    def f(t):
        return t * 2

    @ember.no_grad
    def f2(t):
        return t * 2
    assert not f(x).requires_grad and not f2(x).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)


def test_inference_mode_states_match_torch():
    # inference_mode(False) turns grad mode on (torch's guard sets grad_mode = not mode); no_grad is not inference
    def states(L):
        seen = [(L.is_inference_mode_enabled(), L.is_grad_enabled())]
        with L.no_grad():
            seen.append((L.is_inference_mode_enabled(), L.is_grad_enabled()))
            with L.inference_mode(False):
                seen.append((L.is_inference_mode_enabled(), L.is_grad_enabled()))
        with L.inference_mode():
            seen.append((L.is_inference_mode_enabled(), L.is_grad_enabled()))
            with L.inference_mode(False):
                seen.append((L.is_inference_mode_enabled(), L.is_grad_enabled()))
            with L.enable_grad():
                seen.append((L.is_inference_mode_enabled(), L.is_grad_enabled()))
            seen.append((L.is_inference_mode_enabled(), L.is_grad_enabled()))

        @L.inference_mode()
        def f():
            return L.is_inference_mode_enabled(), L.is_grad_enabled()

        @L.inference_mode
        def g():
            return L.is_inference_mode_enabled(), L.is_grad_enabled()
        return seen + [f(), g(), (L.is_inference_mode_enabled(), L.is_grad_enabled())]
    assert states(ember) == states(torch)


def test_gradcheck_detects_a_wrong_gradient():
    class Wrong(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g * 3
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    with pytest.raises(autograd.GradcheckError):
        autograd.gradcheck(Wrong.apply, (x,))
    assert not autograd.gradcheck(Wrong.apply, (x,), raise_exception=False)


def test_backward_inputs_argument():
    a = ember.ones(2, requires_grad=True)
    b = ember.ones(2, requires_grad=True)
    (a * b * 3).sum().backward(inputs=[a])
    assert a.grad is not None and b.grad is None


def test_grad_dtype_matches_leaf():
    x = ember.ones(3, requires_grad=True)
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == ember.float32


def test_numpy_of_requires_grad_raises_and_detach_shares_memory():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    a = np.zeros(3, np.float32)
    t = ember.from_numpy(a)
    t.add_(1)
    assert a.tolist() == [1.0, 1.0, 1.0]


def test_autograd_grad_stops_at_the_wanted_tensor():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    fired = []
    x.register_hook(lambda g: fired.append(g))
    y = x * 2
    (gy,) = autograd.grad((y * 3).sum(), y)
    assert gy.tolist() == [3.0, 3.0]
    assert fired == [] and x.grad is None


def test_is_grads_batched_stacks_one_vjp_per_row_as_torch():
    # torch.autograd.grad(y, x, torch.eye(n), is_grads_batched=True): the Jacobian in one call
    x0 = np.array([0.3, 0.7, 1.1])
    res = []
    for L in (ember, torch):
        x = L.tensor(x0, requires_grad=True)
        y = L.stack([x.sin().sum(), (x ** 2).prod(), x[0] * x[2]])
        jac, = L.autograd.grad(y, x, L.eye(3, dtype=L.float64), is_grads_batched=True)
        z = (x ** 3).sum()
        g2, = L.autograd.grad(z, x, L.tensor([1.0, 2.0], dtype=L.float64), is_grads_batched=True)
        res.append((jac.detach().numpy(), g2.detach().numpy()))
    for e, t in zip(*res):
        np.testing.assert_allclose(e, t, rtol=1e-12)
