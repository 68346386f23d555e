"""``torch._foreach_*``: one op applied to each tensor of a list (optimizers, EMA of weights).

``_foreach_<op>(tensors, ...)`` returns ``[op(t, ...) for t in tensors]`` and
``_foreach_<op>_(tensors, ...)`` updates each tensor in place. The second operand of a binary
op is a scalar (the same for every tensor), a list of scalars, a list of tensors, or one tensor;
``addcmul`` / ``addcdiv`` take two tensor lists and a scalar, a list of scalars or a 1-d tensor
of ``value`` s; ``lerp`` takes a tensor list and a scalar, scalar list or tensor list of weights.
Ember runs them as the loop they describe (there is no fused kernel to call).

>>> import ember
>>> ema = [ember.zeros(2), ember.ones(3)]
>>> _ = _foreach_lerp_(ema, [ember.ones(2), ember.zeros(3)], 0.25)
>>> ema
[tensor([0.2500, 0.2500]), tensor([0.7500, 0.7500, 0.7500])]
"""
from ..autograd import Tensor
from ..autograd import ops as _ops

_UNARY = ("abs acos asin atan ceil cos cosh erf erfc exp expm1 floor frac lgamma log log10 log1p log2 neg "
          "reciprocal round rsqrt sigmoid sign sin sinh sqrt tan tanh trunc").split()
_BINARY = ("add", "sub", "mul", "div", "maximum", "minimum", "pow", "clamp_min", "clamp_max")

__all__ = (["_foreach_" + n for n in _UNARY] + ["_foreach_" + n + "_" for n in _UNARY]
           + ["_foreach_" + n for n in _BINARY] + ["_foreach_" + n + "_" for n in _BINARY]
           + ["_foreach_addcmul", "_foreach_addcmul_", "_foreach_addcdiv", "_foreach_addcdiv_", "_foreach_lerp",
              "_foreach_lerp_", "_foreach_norm", "_foreach_max", "_foreach_zero_", "_foreach_copy_",
              "_foreach_clone", "_foreach_mm", "_foreach_powsum"])


def _list(tensors, fname):
    tensors = list(tensors)
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{fname}: expected a list of tensors, got an element of type {type(t).__name__}")
    return tensors


def _spread(other, n, fname):
    """The second operand, one per tensor."""
    if isinstance(other, (list, tuple)):
        if len(other) != n:
            raise RuntimeError(f"{fname}: Tensor lists must have the same number of tensors, got {n} and "
                               f"{len(other)}")
        return list(other)
    if isinstance(other, Tensor) and other.ndim == 1 and fname.startswith(("_foreach_addc",)) and other.numel() == n:
        return [v.item() for v in other]
    return [other] * n


def _binary_call(name, t, o, alpha):
    if name in ("maximum", "minimum") and not isinstance(o, Tensor):
        name = "clamp_min" if name == "maximum" else "clamp_max"  # as PyTorch's scalar overloads
    fn = getattr(_ops, name) if name not in ("clamp_min", "clamp_max") else None
    if name in ("add", "sub") and alpha != 1:
        return fn(t, o, alpha=alpha)
    if fn is None:
        return _ops.clamp(t, min=o) if name == "clamp_min" else _ops.clamp(t, max=o)
    return fn(t, o)


def _make_unary(name):
    def out_of_place(self):
        return [getattr(_ops, name)(t) for t in _list(self, f"_foreach_{name}")]

    def in_place(self):
        self = _list(self, f"_foreach_{name}_")
        for t in self:
            getattr(t, name + "_")()
        return self
    out_of_place.__name__, in_place.__name__ = f"_foreach_{name}", f"_foreach_{name}_"
    out_of_place.__doc__ = f"``[{name}(t) for t in self]``."
    in_place.__doc__ = f"``t.{name}_()`` for each ``t`` in ``self``."
    return out_of_place, in_place


def _make_binary(name):
    def out_of_place(self, other, *, alpha=1):
        self = _list(self, f"_foreach_{name}")
        return [_binary_call(name, t, o, alpha) for t, o in zip(self, _spread(other, len(self), f"_foreach_{name}"))]

    def in_place(self, other, *, alpha=1):
        self = _list(self, f"_foreach_{name}_")
        for t, o in zip(self, _spread(other, len(self), f"_foreach_{name}_")):
            t.copy_(_binary_call(name, t, o, alpha))
        return self
    out_of_place.__name__, in_place.__name__ = f"_foreach_{name}", f"_foreach_{name}_"
    out_of_place.__doc__ = f"``[{name}(t, o) for t, o in zip(self, other)]`` (``other`` a scalar, list or tensor)."
    in_place.__doc__ = f"Each ``t`` in ``self`` becomes ``{name}(t, o)``."
    return out_of_place, in_place


for _name in _UNARY:
    globals()["_foreach_" + _name], globals()["_foreach_" + _name + "_"] = _make_unary(_name)
for _name in _BINARY:
    globals()["_foreach_" + _name], globals()["_foreach_" + _name + "_"] = _make_binary(_name)
del _name


def _addc(op, self, tensor1, tensor2, value, fname):
    self, tensor1, tensor2 = (_list(x, fname) for x in (self, tensor1, tensor2))
    if not len(self) == len(tensor1) == len(tensor2):
        raise RuntimeError(f"{fname}: Tensor lists must have the same number of tensors, got {len(self)}, "
                           f"{len(tensor1)} and {len(tensor2)}")
    return [op(t, a, b, value=v) for t, a, b, v in zip(self, tensor1, tensor2, _spread(value, len(self), fname))]


def _foreach_addcmul(self, tensor1, tensor2, value=1):
    """``[t + value * a * b ...]`` over the three lists."""
    return _addc(_ops.addcmul, self, tensor1, tensor2, value, "_foreach_addcmul")


def _foreach_addcdiv(self, tensor1, tensor2, value=1):
    """``[t + value * a / b ...]`` over the three lists."""
    return _addc(_ops.addcdiv, self, tensor1, tensor2, value, "_foreach_addcdiv")


def _foreach_addcmul_(self, tensor1, tensor2, value=1):
    self = list(self)
    for t, r in zip(self, _foreach_addcmul(self, tensor1, tensor2, value)):
        t.copy_(r)
    return self


def _foreach_addcdiv_(self, tensor1, tensor2, value=1):
    self = list(self)
    for t, r in zip(self, _foreach_addcdiv(self, tensor1, tensor2, value)):
        t.copy_(r)
    return self


def _foreach_lerp(self, tensors1, weight):
    """``[t + w * (end - t) ...]``: ``weight`` a scalar, a list of scalars or a list of tensors."""
    self, ends = _list(self, "_foreach_lerp"), _list(tensors1, "_foreach_lerp")
    if len(self) != len(ends):
        raise RuntimeError(f"_foreach_lerp: Tensor lists must have the same number of tensors, got {len(self)} "
                           f"and {len(ends)}")
    return [_ops.lerp(t, e, w) for t, e, w in zip(self, ends, _spread(weight, len(self), "_foreach_lerp"))]


def _foreach_lerp_(self, tensors1, weight):
    self = list(self)
    for t, r in zip(self, _foreach_lerp(self, tensors1, weight)):
        t.copy_(r)
    return self


def _foreach_norm(self, ord=2, dtype=None):
    """``[linalg.vector_norm(t, ord) ...]`` as 0-d tensors."""
    from .. import linalg
    return [linalg.vector_norm(t, ord, dtype=dtype) for t in _list(self, "_foreach_norm")]


def _foreach_powsum(self, exponent=2, dtype=None):
    """``[(|t| ** exponent).sum() ...]``."""
    return [_ops.sum(_ops.pow(_ops.abs(t), exponent), dtype=dtype) for t in _list(self, "_foreach_powsum")]


def _foreach_max(self):
    """``[t.max() ...]``."""
    return [_ops.max(t) for t in _list(self, "_foreach_max")]


def _foreach_zero_(self):
    self = _list(self, "_foreach_zero_")
    for t in self:
        t.zero_()
    return self


def _foreach_copy_(self, src, non_blocking=False):
    self, src = _list(self, "_foreach_copy_"), _list(src, "_foreach_copy_")
    for t, s in zip(self, _spread(src, len(self), "_foreach_copy_")):
        t.copy_(s)
    return self


def _foreach_clone(self, *, memory_format=None):
    return [t.clone() for t in _list(self, "_foreach_clone")]


def _foreach_mm(self, mat2):
    self, mat2 = _list(self, "_foreach_mm"), _list(mat2, "_foreach_mm")
    return [_ops.mm(a, b) for a, b in zip(self, _spread(mat2, len(self), "_foreach_mm"))]
