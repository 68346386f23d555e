"""ember.autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp) against torch.autograd.functional (float64).

Structures as PyTorch's: a tuple of inputs or outputs gives tuples (of tuples for both), a
single Tensor gives a Tensor; inputs an output does not use give zeros; create_graph keeps
the results differentiable.
"""
import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import ember
import ember.autograd.functional as EF


def funcs(lib):
    def single(x):
        return lib.tanh(x) * x.sum() + x ** 3

    def multi_in(x, y):
        return (x.unsqueeze(1) * lib.sin(y)).sum(0) + y ** 2

    def multi_out(x, y):
        return x.exp() * y.sum(), (x ** 2).sum() * y

    def scalar(x, y):
        return (x.sin() * y[:3]).sum() * y.sum() + (x ** 4).sum()

    def unused(x, y):
        return x ** 2
    return {"single": single, "multi_in": multi_in, "multi_out": multi_out, "scalar": scalar, "unused": unused}


def data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(3), rng.standard_normal(4)


def args(name, lib, arrays):
    mk = (lambda a: torch.tensor(a, dtype=torch.float64)) if lib is torch else (lambda a: ember.tensor(a))
    x, y = mk(arrays[0]), mk(arrays[1])
    return x if name == "single" else (x, y)


def check(e, t):
    if isinstance(t, tuple):
        assert isinstance(e, tuple) and len(e) == len(t), (type(e), len(t))
        for a, b in zip(e, t):
            check(a, b)
        return
    assert isinstance(e, ember.Tensor), type(e)
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)


def vectors(name, arrays, lib, kind):
    """A cotangent for vjp (output-shaped) or a tangent for jvp/hvp (input-shaped)."""
    mk = (lambda a: torch.tensor(a, dtype=torch.float64)) if lib is torch else (lambda a: ember.tensor(a))
    rng = np.random.default_rng(7)
    if kind == "in":
        return mk(rng.standard_normal(3)) if name == "single" else (mk(rng.standard_normal(3)),
                                                                     mk(rng.standard_normal(4)))
    shapes = {"single": [(3,)], "multi_in": [(4,)], "multi_out": [(3,), (4,)], "unused": [(3,)]}[name]
    vs = [mk(rng.standard_normal(s)) for s in shapes]
    return vs[0] if len(vs) == 1 else tuple(vs)


@pytest.mark.parametrize("name", ["single", "multi_in", "multi_out", "unused"])
@pytest.mark.parametrize("op", ["vjp", "jvp", "jacobian"])
def test_first_order_matches_torch(name, op):
    arrays = data()
    ft, fe = funcs(torch)[name], funcs(ember)[name]
    if op == "jacobian":
        check(EF.jacobian(fe, args(name, ember, arrays)), TF.jacobian(ft, args(name, torch, arrays)))
        return
    kind = "out" if op == "vjp" else "in"
    rt = getattr(TF, op)(ft, args(name, torch, arrays), vectors(name, arrays, torch, kind))
    re = getattr(EF, op)(fe, args(name, ember, arrays), vectors(name, arrays, ember, kind))
    check(re, rt)
    assert not re[1][0].requires_grad if isinstance(re[1], tuple) else not re[1].requires_grad


@pytest.mark.parametrize("op", ["hessian", "vhp", "hvp"])
@pytest.mark.parametrize("which", ["tuple", "single"])
def test_second_order_matches_torch(op, which):
    arrays = data(1)
    ft, fe = funcs(torch)["scalar"], funcs(ember)["scalar"]
    if which == "single":
        y_t, y_e = torch.tensor(arrays[1]), ember.tensor(arrays[1])
        ft_, fe_ = (lambda x: ft(x, y_t)), (lambda x: fe(x, y_e))
        it, ie = torch.tensor(arrays[0]), ember.tensor(arrays[0])
        vt, ve = torch.tensor(arrays[0][::-1].copy()), ember.tensor(arrays[0][::-1].copy())
    else:
        ft_, fe_ = ft, fe
        it, ie = args("scalar", torch, arrays), args("scalar", ember, arrays)
        vt, ve = vectors("multi_in", arrays, torch, "in"), vectors("multi_in", arrays, ember, "in")
    if op == "hessian":
        check(EF.hessian(fe_, ie), TF.hessian(ft_, it))
    else:
        check(getattr(EF, op)(fe_, ie, ve), getattr(TF, op)(ft_, it, vt))


def test_create_graph_results_are_differentiable():
    x_t = torch.tensor([0.3, -1.2], dtype=torch.float64, requires_grad=True)
    x_e = ember.tensor([0.3, -1.2], dtype=ember.float64, requires_grad=True)
    v = [1.0, 2.0]
    _, jt = TF.jvp(lambda x: x.sin() * x, x_t, torch.tensor(v, dtype=torch.float64), create_graph=True)
    _, je = EF.jvp(lambda x: x.sin() * x, x_e, ember.tensor(v, dtype=ember.float64), create_graph=True)
    jt.sum().backward()
    je.sum().backward()
    np.testing.assert_allclose(x_e.grad.numpy(), x_t.grad.numpy(), rtol=1e-10)


def test_one_element_default_vector_and_errors():
    x_t, x_e = torch.tensor([2.0], dtype=torch.float64), ember.tensor([2.0])
    check(EF.jvp(lambda x: x ** 3, x_e), TF.jvp(lambda x: x ** 3, x_t))
    check(EF.vjp(lambda x: (x ** 3).sum(), x_e), TF.vjp(lambda x: (x ** 3).sum(), x_t))
    for lib, mod in ((torch, TF), (ember, EF)):
        x = lib.tensor([1.0, 2.0])
        with pytest.raises(RuntimeError):
            mod.jvp(lambda x: x ** 2, x)
        with pytest.raises(RuntimeError):
            mod.hessian(lambda x: x ** 2, x)  # not a scalar function
