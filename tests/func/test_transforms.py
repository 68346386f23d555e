"""ember.func against torch.func: the same functions give the same values, gradients, Jacobians and Hessians."""
import numpy as np
import pytest
import torch
import torch.func as tf

import ember
import ember.func as ef

LIBS = {"torch": (torch, tf), "ember": (ember, ef)}


def _t(lib, a):
    return lib.tensor(np.asarray(a, dtype=np.float64))


def _np(tree):
    if isinstance(tree, (tuple, list)):
        return [_np(v) for v in tree]
    if isinstance(tree, dict):
        return {k: _np(v) for k, v in tree.items()}
    return tree.detach().numpy() if hasattr(tree, "detach") else tree


def _close(ours, theirs):
    ours, theirs = _np(ours), _np(theirs)
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _close(a, b)
    elif isinstance(theirs, dict):
        assert ours.keys() == theirs.keys()
        for k in theirs:
            _close(ours[k], theirs[k])
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


X = [[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]]
Y = [0.2, -0.4, 1.1]

SCALAR_FUNCTIONS = {
    "sin_x_times_x": lambda L, x, y: (L.sin(x) * x).sum(),
    "cubic_plus_cross": lambda L, x, y: (x ** 3).sum() + (x * y).sum(),
    "logsumexp": lambda L, x, y: L.logsumexp(x * y, dim=1).sum(),
    "tanh_matmul": lambda L, x, y: L.tanh(x @ y).pow(2).sum(),
    "softmax_entropy": lambda L, x, y: -(L.softmax(x, 1) * L.log_softmax(x, 1)).sum(),
}


def _run(lib_name, fn):
    L, F = LIBS[lib_name]
    return fn(L, F, _t(L, X), _t(L, Y))


def _both(fn):
    return _run("ember", fn), _run("torch", fn)


@pytest.mark.parametrize("name", SCALAR_FUNCTIONS)
@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_grad_and_value_match_torch(name, argnums):
    f = SCALAR_FUNCTIONS[name]
    ours, theirs = _both(lambda L, F, x, y: F.grad_and_value(lambda a, b: f(L, a, b), argnums=argnums)(x, y))
    _close(ours, theirs)


@pytest.mark.parametrize("name", SCALAR_FUNCTIONS)
def test_second_and_mixed_derivatives_by_nesting_grad(name):
    f = SCALAR_FUNCTIONS[name]

    def run(L, F, x, y):
        first = F.grad(lambda a, b: f(L, a, b))
        return F.grad(lambda a, b: first(a, b).sum(), argnums=(0, 1))(x, y)
    _close(*_both(run))


@pytest.mark.parametrize("name", SCALAR_FUNCTIONS)
def test_hessian_jacrev_jacfwd_match_torch(name):
    f = SCALAR_FUNCTIONS[name]
    for transform in ("hessian", "jacrev", "jacfwd"):
        def run(L, F, x, y):
            g = lambda a, b: f(L, a, b)  # noqa: E731
            if transform == "hessian":
                return F.hessian(g, argnums=(0, 1))(x, y)
            inner = F.grad(g, argnums=0)
            return getattr(F, transform)(inner, argnums=(0, 1))(x, y)
        _close(*_both(run))


VECTOR_FUNCTIONS = {
    "elementwise": lambda L, x, y: L.exp(x) * y,
    "matvec": lambda L, x, y: x @ y,
    "pytree_out": lambda L, x, y: {"a": L.sin(x).sum(0), "b": (x * y, y ** 2)},
}


@pytest.mark.parametrize("name", VECTOR_FUNCTIONS)
def test_vjp_jvp_and_jacobians_of_vector_functions(name):
    f = VECTOR_FUNCTIONS[name]

    def run(L, F, x, y):
        g = lambda a, b: f(L, a, b)  # noqa: E731
        out, vjp_fn = F.vjp(g, x, y)
        cot = type(out)(out) if not isinstance(out, dict) else out
        cot = _tree_like(L, out, 0.5)
        tangents = (L.ones_like(x) * 0.3, L.arange(3, dtype=L.float64) - 1.0)
        return out, vjp_fn(cot), F.jvp(g, (x, y), tangents), F.jacrev(g, argnums=(0, 1))(x, y), F.jacfwd(g)(x, y)
    _close(*_both(run))


def _tree_like(L, tree, scale):
    if isinstance(tree, dict):
        return {k: _tree_like(L, v, scale) for k, v in tree.items()}
    if isinstance(tree, tuple):
        return tuple(_tree_like(L, v, scale) for v in tree)
    return L.arange(tree.numel(), dtype=L.float64).reshape(tree.shape) * scale


def test_has_aux_everywhere_matches_torch():
    def run(L, F, x, y):
        f = lambda a: ((a ** 2).sum(), {"mean": a.mean()})  # noqa: E731
        g = lambda a: (L.sin(a), a.sum())  # noqa: E731
        return (F.grad(f, has_aux=True)(x), F.grad_and_value(f, has_aux=True)(x), F.vjp(g, x, has_aux=True)[2],
                F.jvp(g, (x,), (L.ones_like(x),), has_aux=True), F.jacrev(g, has_aux=True)(x))
    _close(*_both(run))


def test_pytree_inputs_and_argnums_errors():
    def run(L, F, x, y):
        return F.grad(lambda p: (p["w"] * p["b"][0]).sum())({"w": x, "b": [y]})
    _close(*_both(run))
    for L, F in LIBS.values():
        x = _t(L, X)
        with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor"):
            F.grad(lambda a: a * 2)(x)
        with pytest.raises(RuntimeError, match="only 1 positional inputs"):
            F.grad(lambda a: a.sum(), argnums=3)(x)
        with pytest.raises(RuntimeError, match="output of function f should be a tuple"):
            F.grad(lambda a: a.sum(), has_aux=True)(x)
        with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
            F.jvp(L.sin, x, (x,))


def test_results_are_detached_unless_connected_to_outer_tensors():
    for L, F in LIBS.values():
        plain = F.grad(lambda a: (a ** 3).sum())(_t(L, Y))
        assert not plain.requires_grad
        w = _t(L, Y).requires_grad_()
        g = F.grad(lambda a: (w * a ** 2).sum())(_t(L, Y))
        assert g.requires_grad  # through the closed-over w
        g.sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), 2 * np.asarray(Y))
        x = _t(L, Y).requires_grad_()
        F.grad(lambda a: (a ** 3).sum())(x).sum().backward()  # d/dx sum(3x^2) = 6x
        np.testing.assert_allclose(x.grad.numpy(), 6 * np.asarray(Y))


def test_jvp_refuses_first_order_only_ops_instead_of_returning_zeros():
    x = ember.randn(3, 4, dtype=ember.float64)
    w = ember.randn(2, 4, dtype=ember.float64)
    out, tangent = ef.jvp(lambda a: ember.nn.functional.linear(a, w), (x,), (ember.ones_like(x),))
    expected = torch.func.jvp(lambda a: torch.nn.functional.linear(a, torch.tensor(w.numpy())),
                              (torch.tensor(x.numpy()),), (torch.ones(3, 4, dtype=torch.float64),))[1]
    np.testing.assert_allclose(tangent.numpy(), expected.numpy(), rtol=1e-12)
