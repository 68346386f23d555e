"""Custom autograd.Function styles against PyTorch: forward + setup_context (defaults bound into
``inputs``), ctx.mark_dirty (the in-place input comes back with the new history),
@once_differentiable (first order as usual, a second order raises), and grad_fn.name()."""
import numpy as np
import pytest
import torch

import ember


def _lib_functions(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(x, w, bias=None, factor=2.0):
            out = x * w * factor
            return out if bias is None else out + bias

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, w, bias, factor = inputs   # every argument, defaults filled in
            ctx.save_for_backward(x, w)
            ctx.factor = factor
            ctx.has_bias = bias is not None

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            gb = g.sum(0) if ctx.has_bias and ctx.needs_input_grad[2] else None
            return g * w * ctx.factor, (g * x * ctx.factor).sum(0), gb, None

    class ReluInplace(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            ctx.save_for_backward(x > 0)
            return x.clamp_(min=0)

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            (mask,) = ctx.saved_tensors
            return g * mask
    return Scale, ReluInplace


X = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
W = np.array([0.2, -0.4, 1.1])
B = np.array([0.1, 0.0, -0.3])


@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("factor", [None, 3.0])
def test_setup_context_style_matches_torch(with_bias, factor):
    results = []
    for lib in (ember, torch):
        Scale, _ = _lib_functions(lib)
        x, w = lib.tensor(X, requires_grad=True), lib.tensor(W, requires_grad=True)
        b = lib.tensor(B, requires_grad=True) if with_bias else None
        args = (x, w, b) + (() if factor is None else (factor,))
        y = Scale.apply(*args)
        (y * lib.tensor(X)).sum().backward()
        results.append([y.detach().numpy(), x.grad.numpy(), w.grad.numpy()] + ([b.grad.numpy()] if with_bias else []))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    Scale, _ = _lib_functions(ember)
    assert ember.autograd.gradcheck(lambda x, w: Scale.apply(x, w), (ember.tensor(X, requires_grad=True),
                                                                       ember.tensor(W, requires_grad=True)))


def test_setup_context_keyword_argument_and_no_grad_path():
    Scale, _ = _lib_functions(ember)
    TScale, _ = _lib_functions(torch)
    ours = Scale.apply(ember.tensor(X), ember.tensor(W), factor=0.5)
    theirs = TScale.apply(torch.tensor(X), torch.tensor(W), factor=0.5)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    assert not ours.requires_grad and ours.grad_fn is None


def test_mark_dirty_returns_the_input_with_new_history():
    got = []
    for lib in (ember, torch):
        _, ReluInplace = _lib_functions(lib)
        z = lib.tensor([-1.0, 0.5, 2.0], requires_grad=True)
        y = z * 1.0
        out = ReluInplace.apply(y)
        assert out is y and y.grad_fn is not None and y._version > 0
        (out * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        got.append((y.detach().numpy().copy(), z.grad.numpy().copy()))
    for ours, theirs in zip(*got):
        np.testing.assert_allclose(ours, theirs)


def test_mark_dirty_on_a_leaf_that_requires_grad_raises_as_torch():
    for lib in (ember, torch):
        _, ReluInplace = _lib_functions(lib)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            ReluInplace.apply(lib.tensor([1.0, -1.0], requires_grad=True))


def test_once_differentiable_first_order_and_double_backward_error():
    for lib in (ember, torch):
        _, ReluInplace = _lib_functions(lib)
        z = lib.tensor([0.5, -0.5, 1.5], requires_grad=True)
        (g,) = lib.autograd.grad((ReluInplace.apply(z * 1.0) ** 2).sum(), z, create_graph=True)
        np.testing.assert_allclose(g.detach().numpy(), [1.0, 0.0, 3.0])
        assert g.requires_grad
        with pytest.raises(RuntimeError, match="once_differentiable"):
            g.sum().backward()
        # Without create_graph the decorated backward is an ordinary first-order rule.
        z2 = lib.tensor([0.5, -0.5], requires_grad=True)
        ReluInplace.apply(z2 * 1.0).sum().backward()
        np.testing.assert_allclose(z2.grad.numpy(), [1.0, 0.0])


def test_grad_fn_name_is_callable_as_in_torch():
    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        y = (x * 2).sum()
        assert y.grad_fn.name() == "SumBackward0"
        assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"
        Scale, _ = _lib_functions(lib)
        assert Scale.apply(x, x).grad_fn.name() == "ScaleBackward"
