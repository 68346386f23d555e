"""Run one function of real inputs in ember and in PyTorch and compare values and gradients.

Complex tensors are built inside the function from real leaves (``L.complex(re, im)``), so the same
real inputs drive both libraries, and the float64 finite-difference gradcheck sees only real numbers.
The loss that gradients are taken of is real: ``sum(W1 * Re y + W2 * Im y)`` (or ``sum(W1 * y)``), with
fixed random weights, which depends on every real and imaginary part of the output.
"""
import numpy as np
import torch

import ember

TOL = {"float32": dict(rtol=2e-4, atol=2e-4), "float64": dict(rtol=1e-7, atol=1e-8)}


def arrays(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def to_numpy(y):
    if isinstance(y, torch.Tensor):
        return y.detach().resolve_conj().numpy()
    return y.detach().numpy()


def _loss(lib, y, seed):
    rng = np.random.default_rng(seed)
    w1 = lib.tensor(rng.standard_normal(tuple(y.shape)), dtype=_real_dtype(lib, y))
    if y.is_complex():
        w2 = lib.tensor(rng.standard_normal(tuple(y.shape)), dtype=_real_dtype(lib, y))
        return (y.real * w1).sum() + (y.imag * w2).sum()
    return (y * w1).sum()


def _real_dtype(lib, y):
    return {"complex64": lib.float32, "complex128": lib.float64, "float32": lib.float32,
            "float64": lib.float64}[str(y.dtype).split(".")[-1]]


def _run(lib, fn, arrs, dtype, grad):
    xs = [lib.tensor(a.astype(dtype), requires_grad=grad) for a in arrs]
    y = fn(lib, *xs)
    ys = y if isinstance(y, tuple) else (y,)
    if grad:
        sum(_loss(lib, t, 7 + i) for i, t in enumerate(ys)).backward()
    return ys, [x.grad for x in xs]


def compare(fn, arrs, dtype="float64", grad=True, **tol):
    """Forward values, dtypes and gradients of ``fn(lib, *tensors)`` agree between ember and PyTorch."""
    opts = dict(TOL[dtype])
    opts.update(tol)
    ye, ge = _run(ember, fn, arrs, dtype, grad)
    yt, gt = _run(torch, fn, arrs, dtype, grad)
    assert len(ye) == len(yt)
    for a, b in zip(ye, yt):
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (a.dtype, b.dtype)
        assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), **opts)
    for i, (a, b) in enumerate(zip(ge, gt)):
        assert (a is None) == (b is None), f"input {i}: gradient presence differs"
        if a is not None:
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), err_msg=f"gradient of input {i}", **opts)


def realify(y):
    return ember.view_as_real(y) if y.is_complex() else y


def gradcheck(fn, arrs):
    """ember's float64 finite-difference check of ``fn(ember, *real_tensors)`` (complex outputs as pairs)."""
    xs = [ember.tensor(np.ascontiguousarray(a, "float64"), requires_grad=True) for a in arrs]
    assert ember.autograd.gradcheck(lambda *t: realify(fn(ember, *t)), tuple(xs))
