"""Run one lambda with Keras 3's ``keras.ops`` (PyTorch backend) and with ``ember.keras.ops``; compare
values, shapes and dtypes of every output, and (for differentiable rows) the gradients of a fixed
random projection of the outputs with respect to every float input.

A row is ``(id, fn, args, kwargs)``: ``fn(ops, *args)`` is called with ``ops`` either module; NumPy
array arguments become ``torch`` tensors (Keras side) or ember tensors (ember side), Python values
pass unchanged. ``kwargs``: ``grad`` (compare gradients), ``rtol``/``atol``, ``dtype`` (False skips the
dtype check, with the reason in the row), ``raw`` (pass NumPy arrays unconverted to both).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402
from ember.keras import ops as eops  # noqa: E402

kops = keras.ops


def rng(seed=0):
    return np.random.default_rng(seed)


def f32(*shape, seed=0, lo=-2.0, hi=2.0):
    return rng(seed).uniform(lo, hi, shape).astype(np.float32)


def f64(*shape, seed=0, lo=-2.0, hi=2.0):
    return rng(seed).uniform(lo, hi, shape)


def pos(*shape, seed=0, dtype=np.float64):
    return rng(seed).uniform(0.5, 2.0, shape).astype(dtype)


def ints(*shape, lo=-5, hi=6, seed=0, dtype=np.int32):
    return rng(seed).integers(lo, hi, shape).astype(dtype)


def spd(n, seed=0, batch=()):
    a = rng(seed).standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _flat(x):
    if isinstance(x, (list, tuple)):
        return [leaf for e in x for leaf in _flat(e)]
    return [x]


def _name(d):
    return keras.backend.standardize_dtype(d)


def _to_keras(a, grad):
    if isinstance(a, np.ndarray):
        t = torch.tensor(a)
        if grad and a.dtype.kind == "f":
            t.requires_grad_(True)
        return t
    if isinstance(a, (list, tuple)) and a and all(isinstance(e, np.ndarray) for e in a):
        return type(a)(_to_keras(e, grad) for e in a)
    return a


def _to_ember(a, grad):
    if isinstance(a, np.ndarray):
        t = ember.tensor(a)
        if grad and a.dtype.kind == "f":
            t.requires_grad_(True)
        return t
    if isinstance(a, (list, tuple)) and a and all(isinstance(e, np.ndarray) for e in a):
        return type(a)(_to_ember(e, grad) for e in a)
    return a


def _leaves_in(args):
    return [a for a in _flat(list(args)) if hasattr(a, "requires_grad") and a.requires_grad]


def run(fn, args, grad=False, rtol=1e-5, atol=1e-6, dtype=True, raw=False, grad_rtol=None, grad_atol=None):
    kargs = list(args) if raw else [_to_keras(a, grad) for a in args]
    eargs = list(args) if raw else [_to_ember(a, grad) for a in args]
    kout, eout = fn(kops, *kargs), fn(eops, *eargs)
    kl, el = _flat(kout), _flat(eout)
    assert len(kl) == len(el), f"{len(kl)} keras outputs, {len(el)} ember outputs"
    for i, (k, e) in enumerate(zip(kl, el)):
        if isinstance(k, (int, float, bool)) and not hasattr(k, "shape"):
            assert not isinstance(e, ember.Tensor) or e.ndim == 0, f"output {i}: keras gave a Python scalar"
            np.testing.assert_allclose(float(e), float(k), rtol=rtol, atol=atol)
            continue
        assert isinstance(e, ember.Tensor), f"output {i}: ember returned {type(e).__name__}, not a Tensor"
        kn = kops.convert_to_numpy(k)
        en = e.detach().numpy()
        assert tuple(en.shape) == tuple(kn.shape), f"output {i}: shape {en.shape} != keras {kn.shape}"
        if dtype:
            assert _name(e.dtype) == _name(k.dtype), f"output {i}: dtype {e.dtype} != keras {k.dtype}"
        if kn.dtype.kind in "fc" or en.dtype.kind == "f":
            np.testing.assert_allclose(en.astype(np.float64), kn.astype(np.float64), rtol=rtol, atol=atol,
                                       equal_nan=True, err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(en, kn, err_msg=f"output {i}")
    if not grad:
        return
    kin, ein = _leaves_in(kargs), _leaves_in(eargs)
    assert kin and len(kin) == len(ein)
    r = rng(123)
    kloss, eloss = 0, 0
    for k, e in zip(kl, el):
        if isinstance(k, torch.Tensor) and k.dtype.is_floating_point and k.requires_grad:
            w = r.standard_normal(tuple(k.shape))
            kloss = kloss + (k * torch.tensor(w, dtype=k.dtype)).sum()
            if e.requires_grad:  # an ember output without a graph has a zero gradient
                eloss = eloss + (e * ember.tensor(w, dtype=e.dtype)).sum()
    kg = torch.autograd.grad(kloss, kin, allow_unused=True)
    eg = ember.autograd.grad(eloss, ein, allow_unused=True) if isinstance(eloss, ember.Tensor) else [None] * len(ein)
    for i, (a, b) in enumerate(zip(kg, eg)):
        a = np.zeros(tuple(kin[i].shape)) if a is None else a.numpy()
        b = np.zeros(tuple(ein[i].shape)) if b is None else b.numpy()
        np.testing.assert_allclose(b, a, rtol=grad_rtol or max(rtol, 1e-5), atol=grad_atol or max(atol, 1e-6),
                                   err_msg=f"gradient of input {i}")


def table_params(rows):
    import pytest
    return [pytest.param(fn, args, kw, id=name) for name, fn, args, kw in rows]
