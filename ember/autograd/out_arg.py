"""``out=`` for the torch-namespace functions that take it: ``torch.add(a, b, out=c)`` writes the result into ``c``.

:func:`with_out` wraps a function so that ``out`` is taken off the call and the result written into it, as torch
does: the values are copied into ``out``'s memory when the shapes agree (views of ``out`` see them); otherwise
``out`` is resized (with torch's warning when it held elements). The result dtype must be castable to ``out``'s
(``result type Float can't be cast to the desired output type Long``), and ``out=`` does not combine with autograd.
A function returning several tensors (``max(x, 1)``, ``sort``) takes a tuple of outputs. The function returns
``out``.

>>> import ember
>>> c = ember.empty(2)
>>> ember.add(ember.ones(2), 1, out=c) is c, c
(True, tensor([2., 2.]))
"""
import functools
import warnings

import numpy as np

from ..backend import dtypes as _dt
from . import grad_mode
from .tensor import Tensor, make

_ATEN = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
         "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
         "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def write_out(out, result, name):
    """Write ``result`` (a tensor, or a tuple of them) into ``out``; return ``out`` (or the tuple type of results
    built from the outputs)."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name}(): out= takes a tuple of {len(result)} tensors here, got {type(out).__name__}")
        outs = [write_out(o, r, name) for o, r in zip(out, result)]
        try:
            return type(result)(*outs)
        except TypeError:
            return tuple(outs)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if not isinstance(result, Tensor):
        result = make(np.asarray(result))
    if grad_mode.state.enabled and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           f"but one of the arguments requires grad.")
    r, o = result._data, out._data
    src, dst = _dt.from_numpy(r.dtype), _dt.from_numpy(o.dtype)
    if src.category > dst.category:
        raise RuntimeError(f"result type {_ATEN.get(src.name, src.name)} can't be cast to the desired output type "
                           f"{_ATEN.get(dst.name, dst.name)}")
    if r.shape != o.shape:
        if o.size:
            warnings.warn(f"An output with one or more elements was resized since it had shape {list(o.shape)}, "
                          f"which does not match the required output shape {list(r.shape)}. This behavior is "
                          f"deprecated, and in a future PyTorch release outputs will not be resized unless they "
                          f"have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to "
                          f"zero elements with t.resize_(0).", UserWarning, stacklevel=3)
        out._data = r.astype(o.dtype, copy=True)
    else:
        np.copyto(o, r, casting="unsafe")
    out._bump()
    return out


def with_out(fn, name):
    """``fn`` taking torch's keyword-only ``out=`` (see the module docstring)."""
    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        with grad_mode.no_grad() if not _needs_grad(args, kwargs) else _Null():
            result = fn(*args, **kwargs)
        return write_out(out, result, name)
    return call


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _needs_grad(args, kwargs):
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, Tensor) and a.requires_grad:
            return True
        if isinstance(a, (list, tuple)) and any(isinstance(v, Tensor) and v.requires_grad for v in a):
            return True
    return False


# torch's functions whose schema has an out= argument (the linalg decompositions keep their own).
OUT_FUNCTIONS = """add addbmm addcdiv addcmul addmm addmv addr all amax amin aminmax arange baddbmm bitwise_and
bitwise_left_shift bitwise_not bitwise_right_shift bitwise_xor bmm bucketize cat ceil clamp clip column_stack complex
concat concatenate conj_physical copysign cos cosh cross cummax cummin cumprod cumsum deg2rad diag digamma div divide
dot dstack empty eq erf erfc erfinv exp exp2 expm1 eye fix float_power floor floor_divide fmax fmin fmod frac frexp
full gather gcd ge ger greater greater_equal gt heaviside histc hstack hypot i0 igamma igammac index_select inner
isneginf isposinf kron kthvalue lcm ldexp le lerp less less_equal lgamma linspace log log1p logaddexp logaddexp2
logcumsumexp logical_and logical_not logical_or logit logspace logsumexp lt masked_select matmul matrix_power max
maximum min minimum mm mode mul multinomial multiply mv mvlgamma nan_to_num nanmean nanquantile ne neg negative
nextafter nonzero normal not_equal ones outer polar polygamma pow quantile rand randint randn randperm range
reciprocal remainder renorm round row_stack rsqrt searchsorted sgn sigmoid sign signbit sin sinc sinh sort sqrt stack
std std_mean sub subtract take_along_dim tan tanh topk tril triu trunc var var_mean vdot vstack where xlogy
zeros abs absolute square acos asin atan atan2 arccos arcsin arctan arctan2 sum mean prod nansum argmax argmin
median tensordot norm log2 log10 asinh acosh atanh diff""".split()
