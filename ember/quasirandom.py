r"""``SobolEngine``: Sobol' low-discrepancy sequences in ``[0, 1)^d`` (``torch.quasirandom``), the same
points as PyTorch's.

Point :math:`k \ge 1` of dimension :math:`j` is the XOR of the direction numbers :math:`v_{j,l}`
(30-bit integers) over the Gray-code path, :math:`q_k = q_{k-1} \oplus v_{j, c(k-1)}` with
:math:`c(i)` the index of the lowest zero bit of :math:`i`, scaled by :math:`2^{-30}`; point 0 is the
shift (zero unless scrambled). The direction numbers come from Joe and Kuo's primitive polynomials
and initial numbers (``new-joe-kuo-6.21201``, up to 21201 dimensions, the table PyTorch uses);
dimension 1 needs no table, higher dimensions read the copy SciPy ships (``pip install scipy``).

``scramble=True`` applies Owen-style linear matrix scrambling with a random digital shift: each
dimension's direction numbers are multiplied over GF(2) by a random lower-triangular bit matrix
with a unit diagonal, and the start point is a random 30-bit shift. With ``seed`` the bits are drawn
as PyTorch's CPU generator seeded with ``seed`` draws them (a Mersenne Twister, one 32-bit word per
bit), so a seeded scrambled sequence equals PyTorch's; without ``seed`` they come from ember's
global generator.

>>> import ember
>>> engine = SobolEngine(2)
>>> engine.draw(4)
tensor([[0.0000, 0.0000],
        [0.5000, 0.5000],
        [0.7500, 0.2500],
        [0.2500, 0.7500]])
"""
import os

import numpy as np

from .backend import dtypes as _dt
from .autograd.tensor import make

__all__ = ["SobolEngine"]


def _joe_kuo(dimension):
    try:
        import scipy.stats
    except ImportError:
        raise ImportError(f"SobolEngine: dimension={dimension} needs the Joe-Kuo direction numbers that SciPy ships "
                          "(pip install \"ember[scipy]\"); dimension=1 works without it") from None
    path = os.path.join(os.path.dirname(scipy.stats.__file__), "_sobol_direction_numbers.npz")
    with np.load(path) as f:
        return f["poly"][:dimension], f["vinit"][:dimension]


def direction_numbers(dimension, maxbit=30):
    """``(dimension, maxbit)`` int64 direction numbers :math:`v_{j,l} 2^{maxbit-1-l}` (Bratley and Fox's recurrence)."""
    v = np.zeros((dimension, maxbit), np.int64)
    v[0, :] = 1
    if dimension > 1:
        poly, vinit = _joe_kuo(dimension)
        for d in range(1, dimension):
            p = int(poly[d])
            m = p.bit_length() - 1
            v[d, :m] = vinit[d, :m]
            for j in range(m, maxbit):
                new = int(v[d, j - m])
                for k in range(m):
                    if (p >> (m - 1 - k)) & 1:
                        new ^= int(v[d, j - k - 1]) << (k + 1)
                v[d, j] = new
    return v << np.arange(maxbit - 1, -1, -1, dtype=np.int64)


def _lowest_zero_bit(i):
    """Index of the lowest zero bit of each non-negative int64 in ``i``."""
    i = np.asarray(i, np.int64)
    return np.log2((~i & (i + 1)).astype(np.float64)).astype(np.int64)


def _parity(a):
    a = a.copy()
    out = np.zeros_like(a)
    while a.any():
        out ^= a & 1
        a >>= 1
    return out


def _scramble_state(state, ltm):
    """Multiply each dimension's direction numbers (as bit vectors, most significant bit first) by its
    lower-triangular bit matrix, with the diagonal set to 1, over GF(2)."""
    maxbit = state.shape[1]
    ltm = ltm.copy()
    ltm[:, np.arange(maxbit), np.arange(maxbit)] = 1
    rows = (ltm << np.arange(maxbit - 1, -1, -1, dtype=np.int64)).sum(-1)   # row p of each matrix as an int
    out = np.zeros_like(state)
    for p in range(maxbit):
        out |= _parity(rows[:, p][:, None] & state) << (maxbit - 1 - p)
    return out


def _random_bits(shape):
    from .random import randint
    return randint(0, 2, tuple(shape))._data.astype(np.int64)


class SobolEngine:
    """A Sobol' sequence engine, as ``torch.quasirandom.SobolEngine``.

    Args:
        dimension (int): the dimension of the points, 1 to 21201.
        scramble (bool): scramble the sequence (see the module docstring). Default False.
        seed (int, optional): the seed of the scrambling bits.

    ``draw(n)`` returns the next ``n`` points as an ``(n, dimension)`` tensor of the default float dtype
    (or ``dtype``); ``draw_base2(m)`` draws ``2**m`` (keeping the total a power of two);
    ``fast_forward(n)`` skips ``n`` points; ``reset()`` starts over. ``num_generated`` counts the points drawn.
    """

    MAXBIT = 30
    MAXDIM = 21201

    def __init__(self, dimension, scramble=False, seed=None):
        if dimension > self.MAXDIM or dimension < 1:
            raise ValueError("Supported range of dimensionality for SobolEngine is [1, "
                             f"{self.MAXDIM}]")
        self.seed = seed
        self.scramble = scramble
        self.dimension = dimension
        state = direction_numbers(dimension, self.MAXBIT)
        if scramble:
            shape_shift, shape_ltm = (dimension, self.MAXBIT), (dimension, self.MAXBIT, self.MAXBIT)
            if seed is None:
                shift_bits, ltm = _random_bits(shape_shift), _random_bits(shape_ltm)
            else:
                # PyTorch's CPU generator is MT19937 seeded as init_genrand(seed); randint(2, ...) takes one
                # 32-bit word per value, modulo 2. RandomState with an integer seed draws the same words.
                rs = np.random.RandomState(int(seed) & 0xFFFFFFFF)
                n_shift, n_ltm = int(np.prod(shape_shift)), int(np.prod(shape_ltm))
                words = rs.randint(0, 2 ** 32, size=n_shift + n_ltm, dtype=np.uint64)
                bits = (words % 2).astype(np.int64)
                shift_bits, ltm = bits[:n_shift].reshape(shape_shift), bits[n_shift:].reshape(shape_ltm)
            shift = (shift_bits << np.arange(self.MAXBIT, dtype=np.int64)).sum(1)
            state = _scramble_state(state, np.tril(ltm))
        else:
            shift = np.zeros(dimension, np.int64)
        self.sobolstate = make(state)
        self.shift = make(shift)
        self.quasi = make(shift.copy())
        # PyTorch divides the integer shift in the default float dtype: point 0 has that precision.
        self._first_point = make((shift.astype(_dt.get_default_dtype().numpy) / 2.0 ** self.MAXBIT).reshape(1, -1))
        self.num_generated = 0

    def _advance(self, n, start):
        """The next ``n`` integer points from ``self.quasi``, walking the Gray code from index ``start``."""
        if n <= 0:
            return np.zeros((0, self.dimension), np.int64)
        cols = self.sobolstate._data[:, _lowest_zero_bit(np.arange(start, start + n))].T   # (n, dimension)
        points = np.bitwise_xor.accumulate(np.concatenate([self.quasi._data[None], cols]), axis=0)[1:]
        self.quasi = make(points[-1].copy())
        return points

    def draw(self, n=1, out=None, dtype=None):
        """The next ``n`` points, an ``(n, dimension)`` tensor."""
        np_dtype = (_dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)).numpy
        if self.num_generated == 0:
            first = self._first_point._data.astype(np_dtype)
            rest = (self._advance(n - 1, 0) * 2.0 ** -self.MAXBIT).astype(np_dtype)
            result = first if n == 1 else np.concatenate([first, rest])
        else:
            result = (self._advance(n, self.num_generated - 1) * 2.0 ** -self.MAXBIT).astype(np_dtype)
        self.num_generated += n
        result = make(result)
        if out is not None:
            if tuple(out.shape) != tuple(result.shape):
                out.resize_(result.shape)
            out.copy_(result)
            return out
        return result

    def draw_base2(self, m, out=None, dtype=None):
        """The next ``2**m`` points; the total drawn must stay a power of two (the balance of Sobol' points)."""
        n = 2 ** m
        total_n = self.num_generated + n
        if not (total_n & (total_n - 1) == 0):
            raise ValueError("The balance properties of Sobol' points require n to be a power of 2. "
                             f"{self.num_generated} points have been previously generated, then: "
                             f"n={self.num_generated}+2**{m}={total_n}. If you still want to do this, please use "
                             "'SobolEngine.draw()' instead.")
        return self.draw(n=n, out=out, dtype=dtype)

    def reset(self):
        """Start the sequence over."""
        self.quasi = make(self.shift._data.copy())
        self.num_generated = 0
        return self

    def fast_forward(self, n):
        """Skip the next ``n`` points, as drawing them would."""
        if self.num_generated == 0:
            self._advance(n - 1, 0)
        else:
            self._advance(n, self.num_generated - 1)
        self.num_generated += n
        return self

    def __repr__(self):
        fmt = [f"dimension={self.dimension}"]
        if self.scramble:
            fmt += ["scramble=True"]
        if self.seed is not None:
            fmt += [f"seed={self.seed}"]
        return self.__class__.__name__ + "(" + ", ".join(fmt) + ")"
