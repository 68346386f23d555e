"""SpecAugment's masks (torchaudio's ``mask_along_axis`` and ``mask_along_axis_iid``).

A mask covers ``[v0, v0 + v)`` along ``axis`` (one of the last two: frequency or time), with
``v = floor(u1 * max_v)`` and ``v0 = floor(u2 * (size - u1 * max_v))`` for uniform ``u1, u2`` drawn from
ember's generator (``ember.manual_seed`` makes it repeatable); ``max_v`` is ``mask_param``, or
``min(mask_param, floor(size * p))`` when ``p < 1``. ``mask_along_axis`` draws one mask for the whole
batch, ``mask_along_axis_iid`` one per ``(batch, channel)`` of a ``(..., freq, time)`` input with at least
three dimensions. Masked entries become ``mask_value``; the gradient of the others passes through.

>>> import ember
>>> from ember.audio import functional as AF
>>> _ = ember.manual_seed(0)
>>> m = AF.mask_along_axis(ember.ones(1, 8, 20), mask_param=5, mask_value=0.0, axis=2)
>>> bool((m.sum(1) == 0).any() or m.min() == 1)
True
"""
__all__ = ["mask_along_axis", "mask_along_axis_iid"]


def _mask_param(mask_param, p, axis_length):
    return mask_param if p == 1.0 else min(mask_param, int(axis_length * p))


def _check(name, dim, least, axis, p):
    if dim < least:
        raise ValueError(f"ember.audio.functional.{name}: the spectrogram must have at least {least} dimensions, "
                         f"got {dim}")
    if axis not in (dim - 2, dim - 1):
        raise ValueError(f"ember.audio.functional.{name}: only frequency and time masking are supported (axis "
                         f"{dim - 2} or {dim - 1}), got axis {axis}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"ember.audio.functional.{name}: p must be in [0, 1], got {p}")


def mask_along_axis_iid(specgrams, mask_param, mask_value, axis, p=1.0):
    """One random mask along ``axis`` per ``(..., freq, time)`` spectrogram of the batch."""
    import ember
    dim = specgrams.ndim
    _check("mask_along_axis_iid", dim, 3, axis, p)
    mask_param = _mask_param(mask_param, p, specgrams.shape[axis])
    if mask_param < 1:
        return specgrams
    lead = tuple(specgrams.shape[:dim - 2])
    value = ember.rand(lead, dtype=specgrams.dtype) * mask_param
    min_value = ember.rand(lead, dtype=specgrams.dtype) * (specgrams.shape[axis] - value)
    start = min_value.long()[..., None, None]
    end = (min_value.long() + value.long())[..., None, None]
    pos = ember.arange(0, specgrams.shape[axis], dtype=specgrams.dtype)
    moved = specgrams.transpose(axis, -1)
    moved = moved.masked_fill((pos >= start) & (pos < end), mask_value)
    return moved.transpose(axis, -1)


def mask_along_axis(specgram, mask_param, mask_value, axis, p=1.0):
    """One random mask along ``axis`` shared by every spectrogram of the batch."""
    import ember
    dim = specgram.ndim
    _check("mask_along_axis", dim, 2, axis, p)
    mask_param = _mask_param(mask_param, p, specgram.shape[axis])
    if mask_param < 1:
        return specgram
    shape = tuple(specgram.shape)
    packed = specgram.reshape((-1,) + shape[-2:])
    size = packed.shape[axis - dim + 3]
    value = ember.rand(1) * mask_param
    min_value = ember.rand(1) * (size - value)
    start = int(min_value.long())
    end = int(min_value.long() + value.long())
    mask = (ember.arange(0, size) >= start) & (ember.arange(0, size) < end)
    if axis == dim - 2:
        mask = mask[:, None]
    return packed.masked_fill(mask, mask_value).reshape(shape)
