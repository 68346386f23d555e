"""Keras's weight initializers (``kernel_initializer='glorot_uniform'``, ``bias_initializer='zeros'``).

Each initializer is called as ``init(shape, dtype)`` and returns an ember tensor
drawn from ember's global generator (so ``ember.manual_seed`` makes it repeatable).
Fans follow Keras: a kernel ``(..., in, out)`` has ``fan_in = in * receptive_field``
and ``fan_out = out * receptive_field``, receptive field the product of the leading dims.

* ``GlorotUniform``: U(-l, l), ``l = sqrt(6 / (fan_in + fan_out))`` (Keras's default kernel init);
* ``GlorotNormal``, ``HeNormal``, ``LecunNormal``: truncated normal (at 2 std), std ``sqrt(scale / n) / .8796``;
* ``HeUniform``, ``LecunUniform``: U(-l, l), ``l = sqrt(3 scale / n)``;
* ``RandomNormal`` (std 0.05), ``RandomUniform`` (±0.05), ``TruncatedNormal`` (std 0.05),
  ``Zeros``, ``Ones``, ``Constant``, ``Orthogonal``, ``Identity``, ``VarianceScaling``.

>>> import ember
>>> from ember.keras import initializers
>>> initializers.get("zeros")((2,)).tolist()
[0.0, 0.0]
"""
import math

import numpy as np

from ..autograd.tensor import make
from ..random import _get_rng
from . import backend
from .ops.conv import fans


def _dtype(dtype):
    return np.dtype(dtype or backend.floatx())


def _truncated_normal(shape, mean, stddev, rng):
    """Normal samples redrawn until within two standard deviations (TensorFlow's truncated normal)."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * stddev + mean


class Initializer:
    """Base class: ``__call__(shape, dtype=None)`` returns a tensor; ``get_config`` its arguments."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return make(np.zeros(shape, _dtype(dtype)))


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return make(np.ones(shape, _dtype(dtype)))


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return make(np.full(shape, self.value, _dtype(dtype)))

    def get_config(self):
        return {"value": self.value}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None):
        rng = _rng(self.seed)
        return make(rng.uniform(self.minval, self.maxval, shape).astype(_dtype(dtype)))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        rng = _rng(self.seed)
        return make((rng.standard_normal(shape) * self.stddev + self.mean).astype(_dtype(dtype)))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=None):
        return make(_truncated_normal(shape, self.mean, self.stddev, _rng(self.seed)).astype(_dtype(dtype)))


class VarianceScaling(Initializer):
    """Samples scaled to the weight's fans: ``mode`` 'fan_in' | 'fan_out' | 'fan_avg',
    ``distribution`` 'truncated_normal' | 'untruncated_normal' | 'uniform'."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform", "normal"):
            raise ValueError(f"distribution must be 'truncated_normal', 'untruncated_normal' or 'uniform', "
                             f"got {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        rng = _rng(self.seed)
        if self.distribution in ("truncated_normal", "normal"):
            w = _truncated_normal(shape, 0.0, math.sqrt(scale) / 0.87962566103423978, rng)
        elif self.distribution == "untruncated_normal":
            w = rng.standard_normal(shape) * math.sqrt(scale)
        else:
            limit = math.sqrt(3.0 * scale)
            w = rng.uniform(-limit, limit, shape)
        return make(np.asarray(w).astype(_dtype(dtype)))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


def _scaling(name, scale, mode, distribution):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        # Keras 3.15 configs carry input_axes/output_axes (fans of einsum kernels); None is the default layout.
        if input_axes is not None or output_axes is not None:
            raise NotImplementedError(f"{name}: input_axes/output_axes are not supported by ember.keras")
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}
    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                          "__doc__": f"VarianceScaling(scale={scale}, mode={mode!r}, "
                                                     f"distribution={distribution!r})."})


GlorotUniform = _scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _scaling("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _scaling("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")
for _cls in (GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal):
    _cls.__module__ = __name__


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal matrix, times ``gain``."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype=None):
        rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        cols = shape[-1]
        a = _rng(self.seed).standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return make((self.gain * q[:rows, :cols]).reshape(shape).astype(_dtype(dtype)))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape, got {tuple(shape)}")
        return make((self.gain * np.eye(*shape)).astype(_dtype(dtype)))

    def get_config(self):
        return {"gain": self.gain}


def _rng(seed):
    return np.random.default_rng(seed) if seed is not None else _get_rng()


_ALL = {c.__name__: c for c in (Zeros, Ones, Constant, RandomUniform, RandomNormal, TruncatedNormal,
                                VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
                                LecunNormal, Orthogonal, Identity)}
_ALIASES = {backend.to_snake_case(k): v for k, v in _ALL.items()}
_ALIASES.update({"uniform": RandomUniform, "normal": RandomNormal, "zero": Zeros, "one": Ones,
                 "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_uniform": HeUniform,
                 "he_normal": HeNormal, "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal})


def get(identifier):
    """An initializer from a name (``'glorot_uniform'``), a config dict, an instance or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        cls = _ALL.get(identifier) or _ALIASES.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Unknown initializer {identifier!r}; expected one of {sorted(_ALIASES)}")
        return cls()
    if isinstance(identifier, dict):
        cls = _ALL.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown initializer class {identifier.get('class_name')!r}")
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")


def serialize(init):
    if init is None:
        return None
    if not isinstance(init, Initializer):
        raise ValueError(f"Cannot serialize the initializer {init!r}: use a keras.initializers class")
    return {"module": "keras.initializers", "class_name": type(init).__name__, "config": init.get_config()}


glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
zeros, ones, constant, orthogonal = Zeros, Ones, Constant, Orthogonal
