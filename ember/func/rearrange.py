"""``torch.func.rearrange``: einops' ``rearrange`` (functorch's), a reshape and a permute named by a pattern.

``"b c h w -> b (c h w)"`` flattens, ``"b h w c -> b c h w"`` permutes, ``"b (c1 c2) h -> b c1 c2 h"`` splits
(``c1=3`` says how), ``"... h -> h ..."`` keeps the unnamed dims together, ``1`` or ``()`` on the right is a new
axis of size 1 (on the left, a size-1 dim that goes). A list or tuple of tensors is stacked first. The result is
differentiable (it is ``reshape``, ``permute``, ``reshape``).

>>> import ember
>>> rearrange(ember.arange(6.0).reshape(2, 3), "a b -> b a").shape
ember.Size([3, 2])
>>> rearrange(ember.zeros(2, 6, 4), "b (c1 c2) h -> b c1 c2 h", c1=3).shape
ember.Size([2, 3, 2, 4])
"""
import re

__all__ = ["rearrange"]

_ELLIPSIS = "…"
_TOKEN = re.compile(r"\.\.\.|\(|\)|[A-Za-z_][A-Za-z0-9_]*|\d+|\S")


def _parse(side, where, left):
    """The groups of one side: a list whose items are lists of axis names (``[]`` for ``1`` or ``()``), or
    the ellipsis marker."""
    groups, current = [], None
    for tok in _TOKEN.findall(side):
        if tok == "(":
            if current is not None:
                raise ValueError(f"Axis composition is one-level (brackets inside brackets not allowed) in {where!r}")
            current = []
        elif tok == ")":
            if current is None:
                raise ValueError(f"Brackets are not balanced in {where!r}")
            groups.append(current)
            current = None
        elif tok == "...":
            if current is not None:
                if left:
                    raise ValueError(f"Ellipsis inside parenthesis in the left side is not allowed: {where!r}")
                current.append(_ELLIPSIS)   # "(...)" on the right: the unnamed dims flattened into one
            else:
                groups.append(_ELLIPSIS)
        elif tok.isdigit():
            if tok != "1":
                raise ValueError(f"Non-unitary anonymous axes are not supported in rearrange (exception is length 1)"
                                 f": {tok} in {where!r}")
            if current is None:
                groups.append([])
        elif tok[0].isalpha() or tok[0] == "_":
            (current if current is not None else groups).append(tok if current is not None else [tok])
        else:
            raise ValueError(f"Unknown character {tok!r} in {where!r}")
    if current is not None:
        raise ValueError(f"Brackets are not balanced in {where!r}")
    return groups


def _names(groups):
    return [n for g in groups if g is not _ELLIPSIS for n in g if n is not _ELLIPSIS]


def _has_ellipsis(groups):
    return any(g is _ELLIPSIS or _ELLIPSIS in g for g in groups)


def rearrange(tensor, pattern, **axes_lengths):
    """Rearrange ``tensor`` (or a list of tensors, stacked) by ``pattern`` (``"left -> right"``), with the sizes of
    split axes in ``axes_lengths``."""
    from ember.autograd.ops.shape import permute, reshape, stack
    if isinstance(tensor, (list, tuple)):
        tensor = stack(list(tensor))
    if pattern.count("->") != 1:
        raise ValueError(f"Pattern must contain a single '->' separator, got {pattern!r}")
    left_text, right_text = pattern.split("->")
    left, right = _parse(left_text, pattern, True), _parse(right_text, pattern, False)
    lnames, rnames = _names(left), _names(right)
    for side, names in (("left", lnames), ("right", rnames)):
        if len(set(names)) != len(names):
            raise ValueError(f"Indexing expression contains duplicate dimension on the {side} side of {pattern!r}")
    if _has_ellipsis(left) != _has_ellipsis(right):
        raise ValueError(f"Ellipsis found in one side of the pattern only: {pattern!r}")
    only = set(lnames) ^ set(rnames)
    if only:
        raise ValueError(f"Identifiers only on one side of rearrange expression (should be on both): {only}")
    stray = set(axes_lengths) - set(lnames)
    if stray:
        raise ValueError(f"Identifiers not found in rearrange expression: {stray}")
    shape = tuple(tensor.shape)
    has_ellipsis = _ELLIPSIS in left
    fixed = len(left) - int(has_ellipsis)
    if (not has_ellipsis and fixed != len(shape)) or (has_ellipsis and len(shape) < fixed):
        raise ValueError(f"Number of dimensions in pattern ({fixed}) must be equal to the number of dimensions in "
                         f"the tensor ({len(shape)})")
    n_ell = len(shape) - fixed
    ell_names = [f"{_ELLIPSIS}{i}" for i in range(n_ell)]
    sizes, elementary, dim = {}, [], 0
    for group in left:
        if group is _ELLIPSIS:
            for name in ell_names:
                sizes[name] = shape[dim]
                elementary.append(name)
                dim += 1
            continue
        size = shape[dim]
        known, unknown = 1, [n for n in group if n not in axes_lengths]
        for n in group:
            if n in axes_lengths:
                known *= int(axes_lengths[n])
        if len(unknown) > 1:
            raise ValueError(f"Could not infer sizes for {set(unknown)} in {pattern!r}")
        if unknown:
            if known == 0 or size % known:
                raise ValueError(f"Shape mismatch, can't divide axis of length {size} in chunks of {known}")
            sizes[unknown[0]] = size // known
        elif known != size:
            raise ValueError(f"Shape mismatch, {size} != {known} for the group {group} of {pattern!r}")
        for n in group:
            sizes.setdefault(n, int(axes_lengths[n]) if n in axes_lengths else sizes.get(n))
        elementary.extend(group)
        dim += 1
    x = reshape(tensor, tuple(sizes[n] for n in elementary))
    order = [m for g in right for n in ([_ELLIPSIS] if g is _ELLIPSIS else g)
             for m in (ell_names if n is _ELLIPSIS else [n])]
    x = permute(x, tuple(elementary.index(n) for n in order))
    out_shape = []
    for group in right:
        if group is _ELLIPSIS:
            out_shape.extend(sizes[n] for n in ell_names)
        else:
            size = 1
            for n in group:
                for m in (ell_names if n is _ELLIPSIS else [n]):
                    size *= sizes[m]
            out_shape.append(size)
    return reshape(x, tuple(out_shape))
