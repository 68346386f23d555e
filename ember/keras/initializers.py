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
    if str(getattr(dtype, "name", dtype)) == "bfloat16":   # a 'bfloat16' policy's weights (ml_dtypes)
        from .autocast import ember_dtype
        return ember_dtype("bfloat16").numpy
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

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        if input_axes is not None or output_axes is not None:
            raise NotImplementedError("VarianceScaling: input_axes/output_axes are not supported by ember.keras")
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
        # Keras 3.15's keys (input_axes/output_axes: the default layout, the only one ember has)
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": None, "output_axes": None}


def _scaling(name, scale, mode, distribution):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        # Keras 3.15 configs carry input_axes/output_axes (fans of einsum kernels); None is the default layout.
        if input_axes is not None or output_axes is not None:
            raise NotImplementedError(f"{name}: input_axes/output_axes are not supported by ember.keras")
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed, "input_axes": None, "output_axes": None}
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


def _window(name, length, periodic):
    """``scipy.signal.get_window(name, length, fftbins=periodic)``: Hann and Hamming here, other names
    through SciPy (an optional dependency)."""
    if length == 1:
        return np.ones(1)
    coeffs = {"hann": (0.5, 0.5), "hamming": (0.54, 0.46)}.get(name)
    if coeffs is None:
        try:
            import scipy.signal
        except ImportError:
            raise ImportError(f"STFT initializer: the window {name!r} needs SciPy (pip install scipy); 'hann' "
                              "and 'hamming' work without it") from None
        return scipy.signal.get_window(name, length, periodic)
    denom = length if periodic else length - 1
    return coeffs[0] - coeffs[1] * np.cos(2.0 * np.pi * np.arange(length) / denom)


class STFT(Initializer):
    """Conv1D kernels ``(frame_length, channels, fft_bins)`` computing one side of a short-time Fourier
    transform: ``cos`` (``side='real'``) or ``sin`` (``'imag'``) of ``-2 pi t f / ((fft_bins - 1) * 2)``,
    times ``window`` (a name, values, or None) divided by its L2 norm (``scaling='density'``) or L1 norm
    (``'spectrum'``)."""

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received "
                             f"scaling={scaling}")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        dt = _dtype(dtype)
        frame_length, _, fft_length = shape
        freq = np.arange(fft_length, dtype=dt).reshape(1, 1, fft_length) / dt.type((fft_length - 1) * 2)
        time = np.arange(frame_length, dtype=dt).reshape(frame_length, 1, 1)
        args = (-2 * time * freq * dt.type(np.pi)).astype(dt)
        kernel = np.cos(args) if self.side == "real" else np.sin(args)
        if self.window is not None:
            win = self.window
            win = _window(win, frame_length, self.periodic) if isinstance(win, str) else np.asarray(win)
            win = win.astype(dt)
            if win.ndim != 1 or win.shape[-1] != frame_length:
                raise ValueError(f"The shape of `window` must be equal to [frame_length].Received: window "
                                 f"shape={win.shape}")
            win = win.reshape(frame_length, 1, 1)
            scale = np.sqrt(np.sum(win * win)) if self.scaling == "density" else \
                np.sum(np.abs(win)) if self.scaling == "spectrum" else dt.type(1)
            kernel = kernel * win / scale
        return make(kernel.astype(dt))  # (frame_length, 1, fft_bins), broadcast over channels as in Keras

    def get_config(self):
        return {"side": self.side, "window": self.window, "periodic": self.periodic, "scaling": self.scaling}


def _rng(seed):
    return np.random.default_rng(seed) if seed is not None else _get_rng()


_ALL = {c.__name__: c for c in (Zeros, Ones, Constant, RandomUniform, RandomNormal, TruncatedNormal,
                                VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
                                LecunNormal, Orthogonal, Identity, STFT)}
_ALL.update({"IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal, "STFTInitializer": STFT})
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
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")


def serialize(init):
    if init is None:
        return None
    if _ALL.get(type(init).__name__) is not type(init):
        from .saving.serialization_lib import serialize_custom
        return serialize_custom(init)    # a custom Initializer subclass or function, as Keras writes it
    return {"module": "keras.initializers", "class_name": type(init).__name__, "config": init.get_config(),
            "registered_name": None}


glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
zeros, ones, constant, orthogonal = Zeros, Ones, Constant, Orthogonal
IdentityInitializer, OrthogonalInitializer, STFTInitializer = Identity, Orthogonal, STFT
identity, lecun_normal, lecun_uniform, stft = Identity, LecunNormal, LecunUniform, STFT
random_normal, random_uniform, truncated_normal, variance_scaling = (RandomNormal, RandomUniform, TruncatedNormal,
                                                                    VarianceScaling)


def deserialize(config, custom_objects=None):
    """The initializer a ``serialize`` config (or a name) describes: a built-in, or a custom class or function
    found in ``custom_objects``, the custom object scopes or the registry."""
    if not isinstance(config, dict):
        return get(config)
    from .saving.serialization_lib import deserialize_custom
    return deserialize_custom(config, _builtin, custom_objects)


def _builtin(name):
    return _ALL.get(name) or _ALIASES.get(name.lower())
