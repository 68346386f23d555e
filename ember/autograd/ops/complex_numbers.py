"""Complex numbers: ``real``, ``imag``, ``angle``, ``conj``, ``complex``, ``polar``, ``view_as_real`` ...

A complex tensor holds a NumPy ``complex64`` or ``complex128`` array. Gradients follow PyTorch's
convention: for a real loss ``L`` of ``z = x + iy`` the gradient is ``dL/dx + i dL/dy`` (twice the
conjugate Wirtinger derivative ``dL/d conj(z)``). Holomorphic ops get this from their real rules
(:func:`ember.autograd.node.record` conjugates around them); the ops here are not holomorphic and
write their rules in full:

- ``real(z)``: ``g -> g + 0i``;  ``imag(z)``: ``g -> i g``;  ``conj(z)``: ``g -> conj(g)``
- ``abs(z)``: ``g -> g z/|z|``;  ``angle(z)``: ``g -> g i z/|z|^2``
- ``complex(a, b)``: ``g -> (Re g, Im g)``

>>> import ember
>>> z = ember.complex(ember.tensor([3.0]), ember.tensor([4.0]))
>>> z
tensor([3.+4.j])
>>> z.abs(), z.real, z.imag
(tensor([5.]), tensor([3.]), tensor([4.]))
"""
import numpy as np

from ...backend import dtypes as _dt
from ...backend import meta as _meta
from .. import grad_mode
from ..node import record as _rec
from ..tensor import Tensor
from ._util import out, MetaArray

__all__ = ["real", "imag", "angle", "conj", "conj_physical", "conj_physical_", "resolve_conj", "complex", "polar",
           "view_as_real", "view_as_complex", "view_as_real_copy", "view_as_complex_copy", "isreal",
           "is_complex", "vdot"]

_gm = grad_mode.state


def _is_c(x):
    return x._data.dtype.kind == "c"


def no_complex(name, *tensors):
    """Raise PyTorch's error for an op that has no complex form (``lt``, ``max``, ``floor`` ...)."""
    for t in tensors:
        a = t._data if isinstance(t, Tensor) else t
        if isinstance(a, np.ndarray) and a.dtype.kind == "c":
            raise RuntimeError(f"{name}: not implemented for complex tensors (got {_dt.from_numpy(a.dtype)}); "
                               "apply it to real tensors such as z.abs(), z.real or z.imag")


def _as_complex(g, like):
    """A real gradient as a complex tensor of ``like``'s dtype (``g + 0i``), differentiably."""
    return complex(g, out(np.zeros((), g._data.dtype)).expand(g._data.shape)) if g._data.dtype.kind != "c" \
        else g


def is_complex(input):
    return _is_c(input)


def real(input):
    """The real part, a view that shares memory (a real tensor is its own real part)."""
    if not _is_c(input):
        return input
    t = out(input._data.real)
    if _gm.enabled and input._rg:
        _rec(t, "RealBackward0", lambda g: (_as_complex(g, input),), (input,), ())
    return t


def imag(input):
    """The imaginary part, a view that shares memory; an error for real tensors, as in PyTorch."""
    if not _is_c(input):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    t = out(input._data.imag)
    if _gm.enabled and input._rg:
        def backward(g):
            zero = out(np.zeros((), g._data.dtype)).expand(g._data.shape)
            return (complex(zero, g),)
        _rec(t, "ImagBackward0", backward, (input,), ())
    return t


def conj(input):
    """The complex conjugate ``x - iy`` (a copy; a real tensor is returned as is)."""
    if not _is_c(input):
        return input
    t = out(np.conj(input._data))
    if _gm.enabled and input._rg:
        _rec(t, "ConjBackward0", lambda g: (conj(g),), (input,), (), holomorphic=False)
    return t


conj_physical = conj


def resolve_conj(input):
    return input


def angle(input):
    """The argument ``atan2(y, x)`` in radians; for real tensors 0 where x >= 0 and pi where x < 0."""
    a = input._data
    if a.dtype.kind not in "fc":
        a = a.astype(_dt.get_default_dtype().numpy)
    if a.dtype.kind == "f":
        t = out(np.where(np.isnan(a), a, np.where(a < 0, np.pi, 0.0)).astype(a.dtype))
    else:
        t = out(np.angle(a))
    if _gm.enabled and input._rg:
        def backward(g):
            if not _is_c(input):
                return (g * 0.0,)
            from .elementwise import abs as _abs, where
            r2 = _abs(input) ** 2
            safe = where(r2 == 0, 1.0, r2)
            grad = _as_complex(g / safe, input) * input * 1j
            return (where(r2 == 0, 0.0, grad),)
        _rec(t, "AngleBackward0", backward, (input,), (input,))
    return t


def abs_rule(g, x):
    """The gradient of ``|z|`` for complex ``z``: ``g z/|z|`` (0 at 0, as PyTorch's ``sgn``)."""
    return _as_complex(g, x) * sgn(x)


def sgn(input):
    """``z/|z|`` (0 where z == 0) for complex tensors."""
    from .elementwise import abs as _abs, where
    r = _abs(input)
    return where(r == 0, 0.0, input / where(r == 0, 1.0, r))


def complex(real, imag):
    """``real + i imag`` from two real tensors of the same floating dtype (float32 -> complex64)."""
    if not isinstance(real, Tensor) or not isinstance(imag, Tensor):
        raise TypeError(f"complex(): expected real and imag to be Tensors, got {type(real).__name__} and "
                        f"{type(imag).__name__}")
    a, b = real._data, imag._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"complex(): expected real and imag to have the same dtype, but got {real.dtype} "
                           f"and {imag.dtype}")
    if a.dtype.kind != "f" or a.dtype == np.float16:
        raise RuntimeError(f"complex(): expected both inputs to be float32 or float64, but got {real.dtype}")
    d = _dt.from_numpy(a.dtype).to_complex().numpy
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"complex(): shapes {a.shape} and {b.shape} cannot be broadcast together") from None
    if type(a) is MetaArray or type(b) is MetaArray:
        r = _meta.empty(shape, d)
    else:
        r = np.empty(shape, d)
        r.real, r.imag = a, b
    t = out(r)
    if _gm.enabled and (real._rg or imag._rg):
        from .elementwise import sum_to

        def backward(g):
            return (sum_to(_real_part(g), a.shape) if real._rg else None,
                    sum_to(_imag_part(g), b.shape) if imag._rg else None)
        _rec(t, "ComplexBackward0", backward, (real, imag), (), holomorphic=False)
    return t


def _real_part(g):
    return real(g) if _is_c(g) else g


def _imag_part(g):
    return imag(g) if _is_c(g) else g * 0.0


def polar(abs, angle):
    """``abs * (cos(angle) + i sin(angle))``."""
    from .elementwise import cos, sin
    return complex(abs * cos(angle), abs * sin(angle))


def view_as_real(input):
    """A real view of shape ``(..., 2)`` holding (real, imag) pairs of a complex tensor."""
    a = input._data
    if a.dtype.kind != "c":
        raise RuntimeError(f"view_as_real is only supported for complex tensors, got {input.dtype}")
    t = out(a[..., None].view(a.real.dtype))
    if _gm.enabled and input._rg:
        _rec(t, "ViewAsRealBackward0", lambda g: (view_as_complex(g.contiguous()),), (input,), ())
    return t


def view_as_complex(input):
    """A complex view of a real tensor whose last dimension (size 2, stride 1) holds (real, imag)."""
    a = input._data
    if a.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"view_as_complex is only supported for float and double tensors, but got a "
                           f"tensor of scalar type: {input.dtype}")
    if a.ndim == 0 or a.shape[-1] != 2:
        raise RuntimeError(f"Tensor must have a last dimension of size 2, got shape {tuple(a.shape)}")
    if a.strides[-1] != a.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    try:
        r = a.view(_dt.from_numpy(a.dtype).to_complex().numpy)[..., 0]
    except ValueError:
        r = np.ascontiguousarray(a).view(_dt.from_numpy(a.dtype).to_complex().numpy)[..., 0]
    t = out(r)
    if _gm.enabled and input._rg:
        _rec(t, "ViewAsComplexBackward0", lambda g: (view_as_real(g),), (input,), (), holomorphic=False)
    return t


def view_as_real_copy(input):
    return view_as_real(input).clone()


def view_as_complex_copy(input):
    return view_as_complex(input).clone()


def vdot(input, other):
    """``sum(conj(a) * b)`` of two 1-D tensors (the plain dot product for real ones)."""
    from .linalg import dot
    return dot(conj(input), other)


def isreal(input):
    """True where the imaginary part is 0 (everywhere for a real tensor)."""
    a = input._data
    if a.dtype.kind != "c":
        return out(np.ones(a.shape, np.bool_))
    return out(a.imag == 0)


def _set_real(self, value):
    _assign(self, real(self) if _is_c(self) else self, value)


def _set_imag(self, value):
    _assign(self, imag(self), value)


def _assign(self, part, value):
    v = value._data if isinstance(value, Tensor) else value
    part._data[...] = v
    self._bump()


def conj_physical_(self):
    """Conjugate in place (nothing to do for a real tensor)."""
    if _is_c(self):
        np.conj(self._data, out=self._data)
        self._bump()
    return self


def _bind():
    T = Tensor
    T.real = property(real, _set_real)
    T.imag = property(imag, _set_imag)
    for n in ("angle", "conj", "conj_physical", "isreal"):
        setattr(T, n, globals()[n])
    T.resolve_conj = resolve_conj
    T.conj_physical_ = conj_physical_
    T.cfloat = lambda s, memory_format=None: s.to(_dt.complex64)
    T.cdouble = lambda s, memory_format=None: s.to(_dt.complex128)
    T.stft = lambda s, *args, **kwargs: _spectral().stft(s, *args, **kwargs)
    T.istft = lambda s, *args, **kwargs: _spectral().istft(s, *args, **kwargs)


def _spectral():
    from ...fft import _stft
    return _stft


_bind()
