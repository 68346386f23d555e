"""Run the same module (or function) in ember and in PyTorch and compare forward and backward."""
import numpy as np
import torch

import ember

TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=2e-4, atol=2e-5)}


def tol(dtype):
    return TOL[np.dtype(dtype).type]


def em(a, requires_grad=False):
    t = ember.tensor(np.array(a))
    if requires_grad:
        t.requires_grad_(True)
    return t


def th(a, requires_grad=False):
    t = torch.tensor(np.array(a))
    if requires_grad:
        t.requires_grad_(True)
    return t


def copy_weights(torch_module, ember_module):
    """Load the PyTorch module's state into the ember module (keys must match exactly)."""
    sd = {k: v.detach().numpy() for k, v in torch_module.state_dict().items()}
    res = ember_module.load_state_dict(sd)
    assert not res.missing_keys and not res.unexpected_keys
    return ember_module


def assert_close(e, t, dtype=np.float64, what="", **kw):
    e_arr = e.detach().numpy() if isinstance(e, ember.Tensor) else np.asarray(e)
    t_arr = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    assert e_arr.shape == t_arr.shape, f"{what}: shape {e_arr.shape} != torch {t_arr.shape}"
    opts = dict(tol(dtype))
    opts.update(kw)
    np.testing.assert_allclose(e_arr, t_arr, err_msg=what, **opts)


def compare_modules(e_mod, t_mod, inputs, dtype=np.float64, train=True, input_grad=True, needs=None, **kw):
    """Same weights, same inputs: outputs, input gradients and parameter gradients must agree.

    ``inputs``: NumPy arrays (floating ones get gradients when ``input_grad``, or those marked in ``needs``).
    """
    t_mod = t_mod.to(torch.float64 if dtype == np.float64 else torch.float32)
    e_mod = e_mod.to(ember.float64 if dtype == np.float64 else ember.float32)
    copy_weights(t_mod, e_mod)
    t_mod.train(train)
    e_mod.train(train)
    cast = [np.asarray(a, dtype) if np.asarray(a).dtype.kind == "f" else np.asarray(a) for a in inputs]
    need = needs if needs is not None else [input_grad and a.dtype.kind == "f" for a in cast]
    te = [em(a, r) for a, r in zip(cast, need)]
    tt = [th(a, r) for a, r in zip(cast, need)]
    out_e = e_mod(*te)
    out_t = t_mod(*tt)
    assert_close(out_e, out_t, dtype, "forward", **kw)
    if not (out_t.requires_grad and out_e.requires_grad):
        assert out_t.requires_grad == out_e.requires_grad
        return out_e, out_t
    g = np.random.default_rng(0).standard_normal(tuple(out_t.shape)).astype(dtype)
    out_e.backward(em(g))
    out_t.backward(th(g))
    for i, (a, b) in enumerate(zip(te, tt)):
        if b.grad is not None or a.grad is not None:
            assert a.grad is not None and b.grad is not None, f"input {i} gradient missing"
            assert_close(a.grad, b.grad, dtype, f"grad of input {i}", **kw)
    tp = dict(t_mod.named_parameters())
    ep = dict(e_mod.named_parameters())
    assert list(tp) == list(ep)
    for name in tp:
        if tp[name].grad is None:
            assert ep[name].grad is None or not ep[name].grad.abs().sum().item(), name
            continue
        assert ep[name].grad is not None, f"no gradient for {name}"
        assert_close(ep[name].grad, tp[name].grad, dtype, f"grad of {name}", **kw)
    return out_e, out_t


def compare_fn(e_fn, t_fn, inputs, dtype=np.float64, grad=None, **kw):
    """Compare ``e_fn(*ember inputs)`` with ``t_fn(*torch inputs)``, value and gradients.

    ``grad``: a list of booleans (which inputs get a gradient); by default the floating ones.
    """
    cast = [np.asarray(a, dtype) if np.asarray(a).dtype.kind == "f" else np.asarray(a) for a in inputs]
    need = grad if grad is not None else [a.dtype.kind == "f" for a in cast]
    te = [em(a, r) for a, r in zip(cast, need)]
    tt = [th(a, r) for a, r in zip(cast, need)]
    out_e, out_t = e_fn(*te), t_fn(*tt)
    assert_close(out_e, out_t, dtype, "forward", **kw)
    if any(need):
        g = np.random.default_rng(1).standard_normal(tuple(out_t.shape)).astype(dtype)
        out_e.backward(em(g))
        out_t.backward(th(g))
        for i, (a, b, r) in enumerate(zip(te, tt, need)):
            if r:
                assert a.grad is not None, f"no gradient for input {i}"
                assert_close(a.grad, b.grad, dtype, f"grad of input {i}", **kw)
    return out_e, out_t
