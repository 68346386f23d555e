"""ONNX sequences and optionals: a sequence is a Python list of Tensors, an empty optional is None.

SplitToSequence splits along ``axis`` into pieces of the given sizes (a scalar ``split`` means
equal pieces, the last one smaller; none means pieces of 1, squeezed unless ``keepdims``);
ConcatFromSequence concatenates, or stacks along a new axis when ``new_axis=1``.
"""
import numpy as np

import ember

from . import register, arr, tensor, axis_of


def _pos(p, n, default):
    if p is None:
        return default
    i = int(arr(p).reshape(-1)[0])
    return i + n if i < 0 else i


@register("SequenceEmpty")
def sequence_empty(ctx):
    return [[]]


@register("SequenceConstruct")
def sequence_construct(ctx, *xs):
    return [list(xs)]


@register("SequenceInsert")
def sequence_insert(ctx, seq, x, position=None):
    out = list(seq)
    out.insert(_pos(position, len(out), len(out)), x)
    return [out]


@register("SequenceAt")
def sequence_at(ctx, seq, position):
    return seq[_pos(position, len(seq), 0)]


@register("SequenceErase")
def sequence_erase(ctx, seq, position=None):
    out = list(seq)
    del out[_pos(position, len(out), len(out) - 1)]
    return [out]


@register("SequenceLength")
def sequence_length(ctx, seq):
    return tensor(np.asarray(len(seq), dtype=np.int64))


@register("SplitToSequence")
def split_to_sequence(ctx, x, split=None):
    axis = axis_of(ctx.attr("axis", 0), x.dim())
    n = x.shape[axis]
    if split is None:
        pieces = ember.split(x, 1, dim=axis)
        if not ctx.attr("keepdims", 1):
            pieces = [p.squeeze(axis) for p in pieces]
        return [list(pieces)]
    s = arr(split)
    sizes = [int(v) for v in s.reshape(-1)] if s.ndim else \
        [min(int(s), n - i) for i in range(0, n, int(s))]
    return [list(ember.split(x, sizes, dim=axis))]


@register("ConcatFromSequence")
def concat_from_sequence(ctx, seq):
    if ctx.attr("new_axis", 0):
        axis = axis_of(ctx.attr("axis"), seq[0].dim() + 1)
        return ember.stack(list(seq), dim=axis)
    return ember.cat(list(seq), dim=axis_of(ctx.attr("axis"), seq[0].dim()))


@register("SequenceMap")
def sequence_map(ctx, seq, *extra):
    body = ctx.attr("body")
    n_out = len(body.output)
    results = [[] for _ in range(n_out)]
    for i in range(len(seq)):
        feeds = [seq[i]] + [e[i] if isinstance(e, list) else e for e in extra]
        for acc, v in zip(results, ctx.run_graph(body, ctx.env, feeds)):
            acc.append(v)
    return tuple(results)


@register("Optional")
def optional(ctx, x=None):
    return [x]


@register("OptionalHasElement")
def optional_has_element(ctx, x=None):
    return tensor(np.asarray(x is not None))


@register("OptionalGetElement")
def optional_get_element(ctx, x):
    if x is None:
        raise ValueError(f"ember.onnx: OptionalGetElement node {ctx.name!r}: the optional is empty")
    return [x]
