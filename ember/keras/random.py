"""``keras.random`` on ember: stateless draws keyed by a seed, and ``SeedGenerator`` for a stateful stream.

As in Keras, ``seed=42`` gives the same numbers on every call; a ``SeedGenerator(42)`` gives a new
draw per call and the same stream for the same seed; ``seed=None`` uses a global generator seeded
from ember's (so ``keras.utils.set_random_seed`` makes a program reproducible). Each draw runs a
NumPy Philox generator keyed by the seed's two words ``(seed, counter)``. The numbers are not
bit-equal to Keras's PyTorch backend; their distributions are the same.

>>> from ember.keras import random
>>> bool((random.normal((3,), seed=1) == random.normal((3,), seed=1)).all())
True
>>> g = random.SeedGenerator(7)
>>> bool((random.uniform((2,), seed=g) == random.uniform((2,), seed=g)).all())
False
"""
import numpy as np

from ..autograd.tensor import Tensor, make
from .ops.dtypes import floatx, standardize_dtype, to_ember_dtype

__all__ = ["SeedGenerator", "normal", "uniform", "randint", "truncated_normal", "dropout", "shuffle",
           "categorical", "gamma", "binomial", "beta"]

_count = [0]


class SeedGenerator:
    """A seed state ``[seed, counter]``; ``next()`` returns the current state and advances the counter."""

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        _count[0] += 1
        self.name = name or f"seed_generator_{_count[0]}"
        self._initial_seed = seed
        if seed is None:
            from .. import random as _er
            seed = int(_er._get_rng().integers(0, 2 ** 31 - 1))
        if not isinstance(seed, (int, np.integer)):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        self.state = np.array([int(seed), 0], np.int64)

    def next(self, ordered=True):
        value = self.state.copy()
        if ordered:
            self.state[1] += 1
        else:
            self.state = (self.state + 1) * 5387 % 933199
        return make(value)

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_global = []


def global_seed_generator():
    if not _global:
        _global.append(SeedGenerator())
    return _global[0]


def _reset_global():
    _global.clear()


def _rng(seed):
    """A NumPy generator for one draw under Keras's seed rules."""
    if seed is None:
        # Drawn from ember's generator each time, so ember.manual_seed/set_random_seed reproduce it.
        from .. import random as _er
        state = (int(_er._get_rng().integers(0, 2 ** 62)), 0)
    elif isinstance(seed, SeedGenerator):
        state = tuple(int(v) for v in seed.next()._data)
    elif isinstance(seed, Tensor):
        state = tuple(int(v) for v in np.asarray(seed._data).reshape(-1)[:2])
    elif isinstance(seed, (int, np.integer)):
        state = (int(seed), 0)
    else:
        raise ValueError("Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
                         f"Received: seed={seed} (of type {type(seed)})")
    key = [(state[0] & 0xFFFFFFFFFFFFFFFF), (state[1] & 0xFFFFFFFFFFFFFFFF)]
    return np.random.Generator(np.random.Philox(key=np.array(key, np.uint64)))


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _out(a, dtype):
    return make(np.ascontiguousarray(np.asarray(a).astype(to_ember_dtype(dtype).numpy)))


def _num(v):
    return np.asarray(v._data if isinstance(v, Tensor) else v, np.float64)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of ``N(mean, stddev**2)``."""
    dtype = dtype or floatx()
    return _out(_rng(seed).normal(_num(mean), _num(stddev), _shape(shape)), dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of ``U[minval, maxval)``."""
    dtype = dtype or floatx()
    if "int" in standardize_dtype(dtype):
        raise ValueError("`keras.random.uniform` requires a floating point `dtype`. Received: dtype=" + str(dtype))
    return _out(_rng(seed).uniform(_num(minval), _num(maxval), _shape(shape)), dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers uniform in ``[minval, maxval)``."""
    return _out(_rng(seed).integers(int(_num(minval)), int(_num(maxval)), _shape(shape)), dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn until they fall within two standard deviations of ``mean``."""
    dtype = dtype or floatx()
    rng = _rng(seed)
    shape = _shape(shape)
    z = rng.standard_normal(shape)
    bad = np.abs(z) > 2
    while bad.any():
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return _out(_num(mean) + _num(stddev) * z, dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with each entry zeroed with probability ``rate`` and the rest scaled by ``1 / (1 - rate)``;
    ``noise_shape`` (None entries take the input's size) shares the mask along broadcast axes."""
    from .ops import core
    x = core.convert_to_tensor(inputs)
    if rate == 1.0:
        return x * 0
    if rate == 0.0:
        return x
    if noise_shape is None:
        ns = tuple(x.shape)
    else:
        ns = tuple(int(x.shape[i]) if s is None else int(s) for i, s in enumerate(noise_shape))
    keep = _rng(seed).random(ns) >= rate
    mask = make(np.broadcast_to(keep, tuple(x.shape)).astype(x._data.dtype) / (1.0 - rate))
    return x * mask


def shuffle(x, axis=0, seed=None):
    """``x`` with its slices along ``axis`` in a random order (differentiable: a gather)."""
    from .ops import core
    from ..autograd import ops as _E
    x = core.convert_to_tensor(x)
    perm = _rng(seed).permutation(x.shape[axis])
    return _E.index_select(x, axis, make(perm.astype(np.int64)))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class indices per row of ``logits`` ``(batch, classes)``, drawn from ``softmax(logits)``."""
    z = _num(logits)
    if z.ndim != 2:
        raise ValueError(f"`logits` should be a 2-D tensor of shape (batch_size, num_classes). Received: "
                         f"logits.shape={z.shape}")
    p = np.exp(z - z.max(-1, keepdims=True))
    cdf = np.cumsum(p / p.sum(-1, keepdims=True), -1)
    u = _rng(seed).random((z.shape[0], int(num_samples)))
    idx = (u[:, :, None] > cdf[:, None, :]).sum(-1)
    return _out(np.minimum(idx, z.shape[1] - 1), dtype)


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples of ``Gamma(alpha, 1)``."""
    return _out(_rng(seed).gamma(_num(alpha), 1.0, _shape(shape)), dtype or floatx())


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples of ``Binomial(counts, probabilities)`` (as floats unless ``dtype`` says otherwise)."""
    r = _rng(seed).binomial(_num(counts).astype(np.int64), _num(probabilities), _shape(shape))
    return _out(r, dtype or floatx())


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples of ``Beta(alpha, beta)``."""
    return _out(_rng(seed).beta(_num(alpha), _num(beta), _shape(shape)), dtype or floatx())
