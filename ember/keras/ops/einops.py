"""``keras.ops.rearrange``: einops-style axis rearrangement (``"b (h w) c -> b h w c"``).

>>> from ember.keras import ops
>>> tuple(ops.rearrange(ops.zeros((2, 6, 3)), "b (h w) c -> b c h w", h=2).shape)
(2, 3, 2, 3)
"""
import re

import numpy as np

from ...autograd import ops as _E
from .core import convert_to_tensor as _T


def _groups(side):
    """Parse one side of a pattern into a list of axis groups (each a list of names)."""
    out, cur = [], None
    for tok in re.findall(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|\d+|\.\.\.", side):
        if tok == "(":
            cur = []
        elif tok == ")":
            out.append(cur)
            cur = None
        elif cur is not None:
            cur.append(tok)
        else:
            out.append([tok])
    return out


def rearrange(tensor, pattern, **axes_lengths):
    """Split, permute and merge axes as ``pattern`` says; ``axes_lengths`` give the sizes a split needs."""
    x = _T(tensor)
    left, right = (s.strip() for s in pattern.split("->"))
    lg, rg = _groups(left), _groups(right)
    if len(lg) != x.ndim:
        raise ValueError(f"rearrange: pattern {pattern!r} expects {len(lg)} axes, got a tensor of shape "
                         f"{tuple(x.shape)}")
    sizes = dict(axes_lengths)
    for group, n in zip(lg, x.shape):
        unknown = [a for a in group if a not in sizes]
        known = int(np.prod([sizes[a] for a in group if a in sizes]))
        if len(unknown) > 1:
            raise ValueError(f"rearrange: cannot infer the sizes of {unknown} in {pattern!r}")
        if unknown:
            sizes[unknown[0]] = n // known
    names = [a for g in lg for a in g]
    x = x.reshape(*[sizes[a] for a in names])
    order = [names.index(a) for g in rg for a in g]
    x = _E.permute(x, order)
    return x.reshape(*[int(np.prod([sizes[a] for a in g])) for g in rg])
