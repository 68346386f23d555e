"""The cascade sum of PyTorch's CPU ``nll_loss`` for float16 and bfloat16, rounding as it does.

ATen's ``nll_loss_out_frame`` sums the picked (weighted) log-probabilities into 8 partial sums held in the
input's dtype: each element goes into ``partial[0]`` (one rounding); at element ``b`` (counting ignored ones)
``partial[j]`` is added into ``partial[j + 1]`` for every ``j`` with ``b % 16**(j + 1) == 0`` (so element 0
lands in ``partial[7]``, and then every 16th element closes a group of 16, every 256th a group of 16 groups
...); the loss is ``partial[0] + ... + partial[7]``, added in that order, again in the input's dtype. The
summed weights take the same path. Rounded this way a float16 mean of 1000 losses differs from the sum
rounded once in about half of all batches.

>>> import numpy as np
>>> v = np.full(1000, 0.1, np.float16)
>>> float(cascade_sum(v)), float(np.float16(v.sum(dtype=np.float32)))   # torch's, and the sum rounded once
(99.8125, 100.0)
"""
import numpy as np

_LEVELS = 8
_STEP = 16
_EXACT_LIMIT = 1 << 17   # ignored targets need the element loop: beyond this many, one float32 sum


def _add(acc, v, dtype):
    return (acc.astype(np.float32) + v.astype(np.float32)).astype(dtype)


def _row_sums(groups, dtype):
    """Each row of ``groups`` summed left to right in ``dtype``, from 0."""
    acc = groups[:, 0]
    for j in range(1, groups.shape[1]):
        acc = _add(acc, groups[:, j], dtype)
    return acc


def _run_sum(v, dtype):
    acc = np.zeros((), dtype)
    for e in v:
        acc = _add(acc, e, dtype)
    return acc


def cascade_sum(values, keep=None):
    """The cascade sum of ``values`` (a 1-D array in float16 or bfloat16, already the per-element terms), the
    elements where ``keep`` is False skipped (they still count as positions, as ignored targets do)."""
    dtype = values.dtype
    if values.size == 0:
        return np.zeros((), dtype)
    if keep is not None and not keep.all():
        if values.size > _EXACT_LIMIT:
            return np.asarray(values[keep].sum(dtype=np.float32), dtype)
        return _cascade_loop(values, keep, dtype)
    partial = [np.zeros((), dtype) for _ in range(_LEVELS)]
    partial[-1] = values[0]
    seq = values[1:]
    for level in range(_LEVELS - 1):
        full = seq.shape[0] // _STEP * _STEP
        partial[level] = _run_sum(seq[full:], dtype)
        seq = _row_sums(seq[:full].reshape(-1, _STEP), dtype) if full else seq[:0]
    for e in seq:
        partial[-1] = _add(partial[-1], e, dtype)
    return _run_sum(np.stack(partial), dtype)


def _cascade_loop(values, keep, dtype):
    partial = [np.zeros((), dtype) for _ in range(_LEVELS)]
    for b in range(values.shape[0]):
        if not keep[b]:
            continue
        partial[0] = _add(partial[0], values[b], dtype)
        for j in range(_LEVELS - 1):
            if b % (_STEP ** (j + 1)):
                break
            partial[j + 1] = _add(partial[j + 1], partial[j], dtype)
            partial[j] = np.zeros((), dtype)
    return _run_sum(np.stack(partial), dtype)
