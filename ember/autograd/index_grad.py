"""``IndexGrad``: the gradient of an index read, kept as "``g`` at ``index``, zero elsewhere".

The gradient of ``y = x[idx]`` is a zero tensor of ``x``'s shape with ``g`` added at
``idx``. A loop that reads ``x[:, t]`` for every step, or ``chunk``/``split`` into
pieces, would build one full-size zero array per read and add them all up: quadratic
traffic in the number of reads. The index rule returns an ``IndexGrad`` instead, and
the backward engine writes it straight into the one gradient buffer it keeps for
``x`` (made on the first arrival, owned by the engine, so writing into it is safe),
so the reads together cost one zero fill plus the size of what they read.

Only the engine sees these objects, and only when it runs the rules with recording
off (``create_graph=False``); with recording on, the rule builds a differentiable
dense gradient as before.
"""
import numpy as np

from ..backend import meta
from ..backend.meta import MetaArray


class IndexGrad:
    """Zeros of ``shape`` with ``g`` (an array) added at ``ix`` (a NumPy index; ``basic`` = no arrays in it)."""

    __slots__ = ("g", "ix", "basic", "shape", "dtype")
    _sparse = False

    def __init__(self, g, ix, basic, shape):
        self.g = g
        self.ix = ix
        self.basic = basic
        self.shape = shape
        self.dtype = g.dtype

    def add_into(self, a):
        """``a += self`` in place (``a`` has ``shape``); repeated positions of an array index accumulate."""
        if self.basic:
            view = a[self.ix]
            if isinstance(view, np.ndarray):
                np.add(view, self.g, out=view)
            else:  # every index an int: a scalar, not a view
                a[self.ix] = view + self.g
        else:
            np.add.at(a, self.ix, self.g)

    def dense(self, dtype=None):
        """The gradient as a new array."""
        z = np.zeros(self.shape, self.dtype if dtype is None else dtype) if type(self.g) is not MetaArray else \
            meta.empty(self.shape, self.dtype if dtype is None else dtype)   # a meta gradient stays meta
        if self.basic:
            z[self.ix] = self.g
        else:
            np.add.at(z, self.ix, self.g)
        return z
