"""Batches of sequences of different lengths: padding and packing for the recurrent layers.

A *padded* batch is one tensor ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``)
where sequence ``b`` fills its first ``lengths[b]`` steps. A *packed* batch
(:class:`PackedSequence`) keeps only the real steps: sequences are sorted by
decreasing length and ``data`` holds, step after step, the rows of the
sequences still running, ``batch_sizes[t]`` of them at step ``t``. The recurrent
layers accept packed input, so each sequence's final state is the one after its
own last step.

>>> import ember
>>> from ember.nn.utils.rnn import pad_sequence, pack_padded_sequence, pad_packed_sequence
>>> seqs = [ember.ones(3, 2), ember.ones(1, 2)]
>>> padded = pad_sequence(seqs)                    # (T=3, B=2, 2)
>>> packed = pack_padded_sequence(padded, [3, 1])
>>> packed.batch_sizes
tensor([2, 1, 1])
>>> out, lengths = pad_packed_sequence(packed)
>>> tuple(out.shape), lengths.tolist()
((3, 2, 2), [3, 1])
"""
from collections import namedtuple

import numpy as np

from ...autograd.ops import index_select, reshape, transpose
from ...autograd.tensor import Tensor
from ...backend import dtypes as _dt
from ...functional._fuse import gm, wrap, record

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
           "unpack_sequence", "unpad_sequence", "invert_permutation"]


def _long(arr):
    return wrap(np.asarray(arr, dtype=np.int64))


def invert_permutation(permutation):
    """The permutation ``inv`` with ``inv[permutation[i]] = i`` (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=p.dtype)
    return wrap(inv)


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A packed batch of sequences (made by :func:`pack_padded_sequence` or :func:`pack_sequence`).

    Fields:
        data: ``(sum(lengths), *)``: the rows of step 0 of every sequence, then those of step 1 ...
        batch_sizes: int64 ``(max_length,)``: how many sequences run at each step.
        sorted_indices: int64 ``(B,)`` or None: the original index of each packed sequence.
        unsorted_indices: the inverse permutation of ``sorted_indices`` (or None).
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise ValueError("PackedSequence: batch_sizes is required (build one with pack_padded_sequence)")
        if not isinstance(batch_sizes, Tensor):
            batch_sizes = _long(batch_sizes)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, self.batch_sizes, self.sorted_indices,
                                                         self.unsorted_indices)

    def cpu(self):
        return self

    def float(self):
        return self.to(_dt.float32)

    def double(self):
        return self.to(_dt.float64)

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def _pack_rows(batch_sizes, B):
    """Row indices into a time-major ``(T * B)`` view of the padded batch, in packed order."""
    return np.concatenate([t * B + np.arange(b) for t, b in enumerate(batch_sizes)]) if len(batch_sizes) else \
        np.zeros(0, np.int64)


def _batch_sizes(lengths):
    T = int(lengths.max()) if lengths.size else 0
    return (lengths[None, :] > np.arange(T)[:, None]).sum(1).astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences of ``lengths``.

    With ``enforce_sorted=True`` the lengths must be in decreasing order; with False the
    batch is sorted here and ``sorted_indices`` records the order. Differentiable in ``input``.
    """
    lengths = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths, dtype=np.int64).reshape(-1)
    bdim = 0 if batch_first else 1
    if input._data.ndim < 2:
        raise ValueError(f"pack_padded_sequence: expected a padded batch with at least 2 dimensions "
                         f"({'(B, T, *)' if batch_first else '(T, B, *)'}), got shape {tuple(input.shape)}")
    B = input._data.shape[bdim]
    if lengths.size != B:
        raise RuntimeError(f"pack_padded_sequence: expected {B} lengths (one per sequence of the batch of shape "
                           f"{tuple(input.shape)}), got {lengths.size}")
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    T = input._data.shape[1 - bdim]
    if lengths.size and lengths.max() > T:
        raise RuntimeError(f"pack_padded_sequence: a length of {int(lengths.max())} exceeds the {T} steps of the "
                           f"padded input of shape {tuple(input.shape)}")
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                               "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                               "pack_sequence to sidestep this requirement if you do not need ONNX "
                               "exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = _long(order)
        input = index_select(input, bdim, sorted_indices)
    if batch_first:
        input = transpose(input, 0, 1)
    bs = _batch_sizes(lengths)
    flat = reshape(input, (T * B,) + tuple(input._data.shape[2:]))
    data = index_select(flat, 0, _long(_pack_rows(bs, B)))
    return PackedSequence(data, _long(bs), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo :func:`pack_padded_sequence`: return ``(padded, lengths)`` in the batch's original order.

    ``padded`` is ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) with ``T = total_length`` or
    the longest length; ``lengths`` is an int64 tensor. Differentiable in ``sequence.data``.
    """
    data, bs = sequence.data, sequence.batch_sizes._data
    T = len(bs)
    B = int(bs[0]) if T else 0
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"Expected total_length to be at least the length of the longest sequence in "
                             f"input, but got total_length={total_length} and max sequence length being {T}")
        T = int(total_length)
    rows = _pack_rows(bs, B)
    feat = tuple(data._data.shape[1:])
    d = data._data
    flat = np.full((T * B,) + feat, padding_value, dtype=d.dtype)
    flat[rows] = d
    t = wrap(flat.reshape((T, B) + feat))
    if gm.enabled and data._rg:
        def backward(g):
            return (wrap(g._data.reshape((T * B,) + feat)[rows]),)
        record(t, "PadPackedBackward0", backward, (data,))
    lengths = (bs[None, :] > np.arange(B)[:, None]).sum(1).astype(np.int64)
    if sequence.unsorted_indices is not None:
        t = index_select(t, 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices._data]
    if batch_first:
        t = transpose(t, 0, 1)
    return t, _long(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors ``(L_i, *)`` of different lengths into ``(max L, B, *)`` (or ``(B, max L, *)``).

    Shorter sequences are filled with ``padding_value`` on the right (or on the left with
    ``padding_side='left'``). Differentiable in each sequence.
    """
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}")
    feat = tuple(sequences[0]._data.shape[1:])
    for i, s in enumerate(sequences):
        if s._data.ndim == 0 or tuple(s._data.shape[1:]) != feat:
            raise RuntimeError(f"pad_sequence: every sequence must have shape (L, {', '.join(map(str, feat))}"
                               f"{')' if feat else ')'}; sequence {i} has shape {tuple(s.shape)}")
    lens = [s._data.shape[0] for s in sequences]
    T, B = max(lens), len(sequences)
    dt = np.result_type(*[s._data.dtype for s in sequences])
    out = np.full((B, T) + feat, padding_value, dtype=dt)
    spans = []
    for i, (s, n) in enumerate(zip(sequences, lens)):
        lo = 0 if padding_side == "right" else T - n
        out[i, lo:lo + n] = s._data
        spans.append((lo, n))
    if not batch_first:
        out = np.ascontiguousarray(out.transpose((1, 0) + tuple(range(2, out.ndim))))
    t = wrap(out)
    if gm.enabled and any(s._rg for s in sequences):
        def backward(g):
            gd = g._data if batch_first else np.swapaxes(g._data, 0, 1)
            return tuple(wrap(gd[i, lo:lo + n].copy()) if s._rg else None
                         for i, (s, (lo, n)) in enumerate(zip(sequences, spans)))
        record(t, "PadSequenceBackward0", backward, tuple(sequences))
    return t


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors ``(L_i, *)`` (sorted by decreasing length unless ``enforce_sorted=False``)."""
    lengths = [s._data.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of tensors ``(L_i, *)``."""
    x = padded_sequences if batch_first else transpose(padded_sequences, 0, 1)
    lengths = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths).reshape(-1)
    return [x[i, :int(n)] for i, n in enumerate(lengths)]


def unpack_sequence(packed_sequences):
    """Split a :class:`PackedSequence` into the list of its sequences ``(L_i, *)``, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)

