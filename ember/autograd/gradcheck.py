"""``gradcheck`` and ``gradgradcheck``: compare autograd with float64 central differences.

>>> import ember
>>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
>>> ember.autograd.gradcheck(lambda t: (t.sin() * t).sum(), (x,))
True
"""
import numpy as np

from .tensor import Tensor, make
from .engine import grad as _grad


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _values(outs):
    # Copy now: an output may be a view of the input that is about to be perturbed again.
    return [o._data.astype(np.float64) for o in _as_tuple(outs) if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _numerical(fn, inputs, i, eps, out_grads):
    """d(sum_k <out_k, v_k>)/d(inputs[i]) by central differences, one element at a time."""
    x = inputs[i]
    # .flat writes through to a non-contiguous input too (reshape(-1) would perturb a copy).
    flat = x._data.flat
    res = np.zeros(x._data.size, np.float64)
    for j in range(x._data.size):
        old = flat[j]
        # Run with recording on: a function that itself differentiates (gradgradcheck) needs it.
        flat[j] = old + eps
        fp = _values(fn(*inputs))
        flat[j] = old - eps
        fm = _values(fn(*inputs))
        flat[j] = old
        res[j] = sum(float(np.sum((p - m) * v)) for p, m, v in zip(fp, fm, out_grads)) / (2 * eps)
    return res.reshape(x._data.shape)


def _check_forward_ad(func, inputs, diff, eps, atol, rtol, raise_exception):
    """Forward mode: ``unpack_dual(func(dual inputs)).tangent`` against ``(f(x + eps v) - f(x - eps v)) / 2 eps``
    for a random tangent ``v`` of each differentiable input in turn."""
    from . import forward_ad as fwad
    rng = np.random.default_rng(2)
    for i in diff:
        x = inputs[i]
        v = rng.standard_normal(x._data.shape)
        with fwad.dual_level():
            args = list(inputs)
            args[i] = fwad.make_dual(x, make(v.astype(x._data.dtype)))
            outs = [o for o in _as_tuple(func(*args)) if isinstance(o, Tensor) and o._data.dtype.kind == "f"]
            tangents = [fwad.unpack_dual(o).tangent for o in outs]
        old = x._data.copy()
        x._data[...] = old + eps * v
        fp = _values(func(*inputs))
        x._data[...] = old - eps * v
        fm = _values(func(*inputs))
        x._data[...] = old
        for k, (p, m) in enumerate(zip(fp, fm)):
            num = (p - m) / (2 * eps)
            t = tangents[k]
            a = np.zeros_like(num) if t is None else t._data.astype(np.float64)
            if not np.allclose(a, num, atol=atol, rtol=rtol):
                if raise_exception:
                    raise GradcheckError(f"Jacobian computed with forward mode mismatch for output {k} with respect "
                                         f"to input {i}: max abs difference {np.abs(a - num).max():.3g}\n"
                                         f"numerical:\n{num}\nanalytical:\n{a}")
                return False
    return True


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, check_forward_ad=False,
              check_backward_ad=True, **_):
    """True when autograd's gradients of ``func`` at ``inputs`` match central differences (reverse mode,
    and with ``check_forward_ad=True`` forward mode through ``autograd.forward_ad``)."""
    inputs = _as_tuple(inputs)
    for t in inputs:
        if isinstance(t, Tensor) and t._rg and t._data.dtype != np.float64:
            import warnings
            warnings.warn("gradcheck: inputs are not float64; the check may fail from rounding")
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._rg]
    if check_forward_ad and not _check_forward_ad(func, inputs, diff, eps, atol, rtol, raise_exception):
        return False
    if not check_backward_ad:
        return True
    outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o._data.dtype.kind == "f"]
    rng = np.random.default_rng(0)
    out_grads = [rng.standard_normal(o._data.shape) for o in outs]
    diff_outs = [(o, v) for o, v in zip(outs, out_grads) if o._rg]
    if diff_outs:
        analytic = _grad([o for o, _ in diff_outs], [inputs[i] for i in diff],
                         [make(v.astype(o._data.dtype)) for o, v in diff_outs], allow_unused=True)
    else:
        analytic = [None] * len(diff)
    for k, i in enumerate(diff):
        num = _numerical(func, inputs, i, eps, out_grads)
        a = analytic[k]
        a = np.zeros_like(num) if a is None else a._data.astype(np.float64)
        if not np.allclose(a, num, atol=atol, rtol=rtol):
            if raise_exception:
                err = np.abs(a - num).max()
                raise GradcheckError(f"Jacobian mismatch for input {i}: max abs difference {err:.3g}\n"
                                     f"numerical:\n{num}\nanalytical:\n{a}")
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_):
    """Check second derivatives: gradcheck of the function that returns the first gradients."""
    inputs = _as_tuple(inputs)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._rg]
    outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o._rg]
    rng = np.random.default_rng(1)
    vs = [make(rng.standard_normal(o._data.shape).astype(o._data.dtype)) for o in outs]

    def first_grads(*xs):
        os_ = [o for o in _as_tuple(func(*xs)) if isinstance(o, Tensor) and o._rg]
        gs = _grad(os_, [xs[i] for i in diff], vs, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else make(np.zeros_like(xs[i]._data)) for g, i in zip(gs, diff))
    return gradcheck(first_grads, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
