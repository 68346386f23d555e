"""ATen-level ops that PyTorch exposes as ``torch.<name>``: the ``native_*`` normalizations and dropout
(which also return their saved statistics or mask), ``convolution`` (every conv in one signature),
``embedding_bag`` with its four outputs, ``embedding_renorm_``, ``grid_sampler`` (integer mode codes)
and ``affine_grid_generator``, and ``empty_permuted``.

* ``native_layer_norm(x, normalized_shape, w, b, eps) -> (y, mean, rstd)``, ``mean`` / ``rstd`` shaped
  ``x.shape[:-k] + (1,) * k``, ``rstd = 1 / sqrt(var + eps)`` (biased variance).
* ``native_batch_norm(x, w, b, running_mean, running_var, training, momentum, eps) -> (y, save_mean,
  save_invstd)``: in training the batch statistics (the running ones updated in place); in
  evaluation the running ones, and ``save_mean`` / ``save_invstd`` are empty.
* ``native_group_norm(x, w, b, N, C, HxW, group, eps) -> (y, mean, rstd)``, ``mean`` / ``rstd`` ``(N, group)``.
* ``native_dropout(x, p, train) -> (y, mask)``, ``y = x * mask / (1 - p)``.

>>> import ember
>>> y, mean, rstd = native_layer_norm(ember.tensor([[1.0, 3.0]]), [2], None, None, 0.0)
>>> y, mean, rstd
(tensor([[-1.,  1.]]), tensor([[2.]]), tensor([[1.]]))
"""
import numpy as np

from ..autograd import no_grad
from ..autograd.ops import mean as _mean, reshape, rsqrt, var as _var, add
from ..creation import empty, tensor as _tensor
from .embedding import embedding_bag as _embedding_bag
from .normalization import batch_norm as _batch_norm, group_norm as _group_norm, layer_norm as _layer_norm

__all__ = ["native_layer_norm", "native_batch_norm", "native_group_norm", "native_dropout", "convolution",
           "embedding_bag", "empty_permuted", "grid_sampler", "grid_sampler_2d", "grid_sampler_3d",
           "affine_grid_generator", "embedding_renorm_", "batch_norm_update_stats"]


def _stats(x, dims, eps, keepdim):
    with no_grad():
        m = _mean(x, dims, keepdim=keepdim)
        r = rsqrt(add(_var(x, dims, correction=0, keepdim=keepdim), eps))
    return m, r


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """Layer norm that also returns the mean and reciprocal standard deviation it used."""
    k = len(normalized_shape)
    dims = tuple(range(input.ndim - k, input.ndim))
    y = _layer_norm(input, list(normalized_shape), weight, bias, eps)
    mean, rstd = _stats(input, dims, eps, keepdim=True)
    return y, mean, rstd


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """Batch norm that also returns the batch mean and inverse standard deviation (training)."""
    y = _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        return y, empty(0, dtype=input.dtype), empty(0, dtype=input.dtype)
    dims = (0,) + tuple(range(2, input.ndim))
    mean, invstd = _stats(input, dims, eps, keepdim=False)
    return y, mean, invstd


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """Group norm that also returns the per-(sample, group) mean and reciprocal standard deviation."""
    if input.shape[0] != N or input.shape[1] != C or input.numel() != N * C * HxW:
        raise RuntimeError(f"native_group_norm: input of shape {tuple(input.shape)} does not match N={N}, C={C}, "
                           f"HxW={HxW}")
    y = _group_norm(input, group, weight, bias, eps)
    mean, rstd = _stats(reshape(input, (N, group, -1)), (2,), eps, keepdim=False)
    return y, mean, rstd


def native_dropout(input, p, train):
    """Dropout that also returns its keep-mask (all True when ``train`` is False)."""
    if not train or p == 0:
        return input.clone(), _tensor(np.ones(tuple(input.shape), bool))
    from ..random import rand
    keep = rand(*input.shape).numpy() < 1.0 - p
    mask = _tensor(keep)
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    return input * _tensor(keep.astype(input.numpy().dtype) * scale), mask


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """Every convolution in ATen's one signature: 1-, 2- or 3-d by ``weight.ndim``, transposed or not."""
    from . import conv, conv_3d
    nd = weight.ndim - 2
    if nd not in (1, 2, 3):
        raise RuntimeError(f"convolution: expected a 3-, 4- or 5-d weight, got {weight.ndim}-d")
    mod = conv_3d if nd == 3 else conv
    if transposed:
        fn = getattr(mod, f"conv_transpose{nd}d")
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return getattr(mod, f"conv{nd}d")(input, weight, bias, stride, padding, dilation, groups)


_MODES = {0: "sum", 1: "mean", 2: "max"}


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """``(output, offset2bag, bag_size, max_indices)`` of ATen's embedding_bag (``mode`` 0 sum, 1 mean,
    2 max); ``output`` is :func:`ember.nn.functional.embedding_bag`'s."""
    name = _MODES.get(mode, mode)
    out = _embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq, name, sparse, per_sample_weights,
                         include_last_offset, padding_idx)
    idx = indices._data.reshape(-1)
    offs = offsets._data.astype(np.int64)
    if include_last_offset:
        starts, ends = offs[:-1], offs[1:]
    else:
        starts, ends = offs, np.append(offs[1:], len(idx))
    nbags = len(starts)
    keep = np.ones(len(idx), bool) if padding_idx is None else idx != padding_idx
    bag_size = np.array([int(keep[s:e].sum()) for s, e in zip(starts, ends)], np.int64)
    if name == "sum":
        # bag_size and max_indices are zeros in sum mode; ATen's fast float32 / float16 kernel leaves
        # offset2bag empty (unless padding is skipped) and makes the zeros one per offset, not per bag.
        fast = weight._data.dtype in (np.float32, np.float16) and padding_idx is None
        offset2bag = np.zeros(0, np.int64) if fast else _offset2bag(starts, len(idx))
        bag_size_out = np.zeros(len(offs) if fast else nbags, np.int64)
        max_indices = np.zeros(len(offs) if fast else nbags, np.int64)
    else:
        offset2bag = _offset2bag(starts, len(idx))
        bag_size_out = bag_size
        if name == "mean":
            max_indices = bag_size.copy()
        else:
            w = weight._data
            max_indices = np.zeros((nbags, w.shape[1]), np.int64)
            for b, (s, e) in enumerate(zip(starts, ends)):
                rows = idx[s:e][keep[s:e]]
                if len(rows):
                    max_indices[b] = rows[np.argmax(w[rows], axis=0)]
    return out, _tensor(offset2bag), _tensor(bag_size_out), _tensor(max_indices)


def _offset2bag(starts, n):
    bag = np.zeros(n, np.int64)
    for b, s in enumerate(starts):
        bag[s:] = b
    return bag


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    """An uninitialized tensor of logical shape ``size`` whose memory is laid out in the dimension
    order ``physical_layout`` (outermost first)."""
    size = tuple(size)
    order = tuple(physical_layout)
    if sorted(order) != list(range(len(size))):
        raise RuntimeError(f"empty_permuted: physical_layout {list(order)} is not a permutation of the "
                           f"{len(size)} dimensions of size {list(size)}")
    base = empty(*[size[d] for d in order], dtype=dtype, device=device)
    inverse = np.argsort(order)
    out = base.permute(*[int(i) for i in inverse])
    return out.requires_grad_(requires_grad) if requires_grad else out



_INTERPOLATION = {0: "bilinear", 1: "nearest", 2: "bicubic"}
_PADDING = {0: "zeros", 1: "border", 2: "reflection"}


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """:func:`ember.nn.functional.grid_sample` with ATen's integer codes: interpolation 0 bilinear,
    1 nearest, 2 bicubic; padding 0 zeros, 1 border, 2 reflection."""
    from .spatial_transform import grid_sample
    try:
        mode, pad = _INTERPOLATION[int(interpolation_mode)], _PADDING[int(padding_mode)]
    except KeyError:
        raise RuntimeError(f"grid_sampler: interpolation_mode must be 0, 1 or 2 and padding_mode 0, 1 or 2, got "
                           f"{interpolation_mode} and {padding_mode}") from None
    return grid_sample(input, grid, mode=mode, padding_mode=pad, align_corners=bool(align_corners))


def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    if input.ndim != 4:
        raise RuntimeError(f"grid_sampler_2d: expected a 4-D input, got {input.ndim}-D")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    if input.ndim != 5:
        raise RuntimeError(f"grid_sampler_3d: expected a 5-D input, got {input.ndim}-D")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def affine_grid_generator(theta, size, align_corners):
    """:func:`ember.nn.functional.affine_grid` (``align_corners`` required, as in ATen)."""
    from .spatial_transform import affine_grid
    return affine_grid(theta, list(size), align_corners=bool(align_corners))


def embedding_renorm_(input, indices, max_norm, norm_type):
    """Rescale, in place, each row of ``input`` named in ``indices`` whose ``norm_type``-norm exceeds
    ``max_norm`` to norm ``max_norm`` (``row * max_norm / (norm + 1e-7)``); returns ``input``."""
    w = input._data
    rows = np.unique(indices._data.reshape(-1))
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1) if norm_type != np.inf else np.abs(w[rows]).max(1)
    over = norms > max_norm
    w[rows[over]] *= (max_norm / (norms[over] + 1e-7))[:, None].astype(w.dtype)
    input._bump()
    return input


def batch_norm_update_stats(input, running_mean, running_var, momentum):
    """The per-channel batch mean and (biased) variance of ``input`` ``(N, C, *)``; the running
    statistics (either may be None) move ``momentum`` of the way to the mean and the unbiased variance."""
    x = input._data
    axes = (0,) + tuple(range(2, x.ndim))
    n = x.size // x.shape[1]
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    for buf, value in ((running_mean, mean), (running_var, var * n / max(n - 1, 1))):
        if buf is not None:
            buf._data[...] = (1 - momentum) * buf._data + momentum * value
            buf._bump()
    return _tensor(mean), _tensor(var)
