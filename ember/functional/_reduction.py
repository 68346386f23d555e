"""Shared by the loss functions: ``reduction`` handling (and the legacy ``size_average`` / ``reduce``
arguments) and target checks."""
import warnings

import numpy as np

from ..autograd.ops import sum as _sum, mean as _mean
from ..autograd.tensor import Tensor
from ._fuse import wrap

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='"
                  + ("mean" if (size_average is None or size_average) and (reduce is None or reduce) else
                     "sum" if (reduce is None or reduce) else "none") + "' instead.", stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss, reduction):
    _check_reduction(reduction)
    if reduction == "mean":
        return _mean(loss)
    if reduction == "sum":
        return _sum(loss)
    return loss


def _as_target(target, like):
    if isinstance(target, Tensor):
        return target
    return wrap(np.asarray(target, dtype=like._data.dtype))


def _need_float(name, input, target):
    """Regression losses are defined on real numbers: PyTorch refuses two integer tensors (an integer
    mse_loss would silently truncate)."""
    if input._data.dtype.kind not in "fc" and target._data.dtype.kind not in "fc":
        if "V" in (input._data.dtype.kind, target._data.dtype.kind):
            return True  # bfloat16: the caller computes in float32 and rounds once (in_float32), as PyTorch
        raise NotImplementedError(f"{name}(): not implemented for integer or bool inputs (got {input.dtype} and "
                                  f"{target.dtype}); convert them with .float()")


def _same_shape_or_warn(name, input, target):
    if input._data.shape != target._data.shape:
        try:
            np.broadcast_shapes(input._data.shape, target._data.shape)
        except ValueError:
            raise RuntimeError(f"{name}: the input of shape {tuple(input._data.shape)} and the target of shape "
                               f"{tuple(target._data.shape)} cannot be broadcast together; they should have the "
                               "same shape") from None
        warnings.warn(f"{name}: using a target size ({tuple(target._data.shape)}) that is different to the input "
                      f"size ({tuple(input._data.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)
        return False
    return True
