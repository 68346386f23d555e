"""``keras.quantizers``: abs-max int8 quantization, float8 scaling helpers and int4 packing.

* ``abs_max_quantize(x, axis)``: ``scale = value_range[1] / (max|x| along axis + epsilon)``, returns
  ``(clip(round(x * scale), *value_range).astype(dtype), scale)``; ``AbsMaxQuantizer`` calls it;
* ``quantize_and_dequantize(x, scale, quantized_dtype, compute_dtype)``: ``cast(clip(x / scale)) * scale``;
* ``compute_float8_scale`` / ``compute_float8_amax_history``: delayed-scaling float8 bookkeeping;
* ``pack_int4`` / ``unpack_int4``: two 4-bit values per byte along ``axis`` (low nibble first).

Float8 dtypes (``'float8_e4m3fn'``, ``'float8_e5m2'``) need the ``ml_dtypes`` package.

>>> import numpy as np
>>> from ember.keras import quantizers
>>> q, scale = quantizers.abs_max_quantize(np.array([[0.5, -1.0]], "float32"), axis=-1)
>>> q.numpy().tolist()
[[63, -127]]
"""
import inspect

import numpy as np

from ..autograd.tensor import Tensor, make
from . import backend


def _np(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _np_dtype(name):
    if str(name).startswith("float8") or str(name) == "bfloat16":
        try:
            import ml_dtypes
        except ImportError:
            raise ImportError(f"dtype {name!r} needs the ml_dtypes package (pip install ml_dtypes)") from None
        return np.dtype(getattr(ml_dtypes, str(name)))
    return np.dtype(name)


def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8", epsilon=None, to_numpy=False):
    """``(quantized, scale)``: ``x`` scaled so that its largest magnitude along ``axis`` maps to
    ``value_range[1]``, rounded and clipped."""
    x = _np(inputs)
    eps = backend.epsilon() if epsilon is None else epsilon
    scale = (value_range[1] / (np.max(np.abs(x), axis=axis, keepdims=True) + eps)).astype(x.dtype)
    out = np.clip(np.round(x * scale), value_range[0], value_range[1]).astype(dtype)
    return make(out), make(scale)


def quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype):
    """``inputs / scale`` clipped to ``quantized_dtype``'s range, cast to it and back, times ``scale``."""
    qdt, cdt = _np_dtype(quantized_dtype), _np_dtype(compute_dtype)
    if str(qdt).startswith("float8"):     # ml_dtypes' own finfo: NumPy's knows them only in newer ml_dtypes
        import ml_dtypes
        limit = float(ml_dtypes.finfo(qdt).max)
    elif qdt.kind == "f":
        limit = float(np.finfo(qdt).max)
    else:
        limit = float(np.iinfo(qdt).max)
    s = _np(scale).astype(cdt)
    x = np.clip(_np(inputs).astype(cdt) / s, -limit, limit).astype(qdt)
    return make(x.astype(cdt) * s)


def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """The new scale ``amax * 2**margin / dtype_max``, keeping ``scale`` where ``amax`` is 0 or not finite."""
    amax, scale = _np(amax), _np(scale)
    inv = np.reciprocal(scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        sf = (dtype_max / amax) / (2 ** margin)
    sf = np.where(amax > 0.0, sf, inv)
    sf = np.where(np.isfinite(amax), sf, inv)
    return make(np.reciprocal(sf).astype(scale.dtype))


def compute_float8_amax_history(x, amax_history):
    """``amax_history`` rolled by one with ``max|x|`` written into slot 0."""
    history = _np(amax_history)
    out = np.roll(history, -1)
    out[0] = np.max(np.abs(_np(x))).astype(history.dtype)
    return make(out)


def pack_int4(arr, axis=0, dtype="int8"):
    """``(packed, packed_shape, original_length)``: pairs along ``axis`` packed into one byte each."""
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    a = _np(arr)
    if a.dtype.name != dtype:
        raise TypeError(f"Expected {dtype} tensor for packing, got {a.dtype.name}.")
    axis = axis + a.ndim if axis < 0 else axis
    a = np.moveaxis(a, axis, 0)
    n = a.shape[0]
    if n % 2:
        a = np.concatenate([a, np.zeros((1,) + a.shape[1:], a.dtype)])
    nd = np.dtype(dtype)
    low, high = (a[::2].astype(nd) & nd.type(0x0F)), (a[1::2].astype(nd) & nd.type(0x0F))
    packed = np.moveaxis((low | (high << nd.type(4))).astype(nd), 0, axis)
    return make(np.ascontiguousarray(packed)), tuple(packed.shape), n


def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """The values ``pack_int4`` packed (sign-extended for ``int8``), ``orig_len`` along ``axis``."""
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    p = _np(packed)
    if p.dtype.name not in ("int8", "uint8"):
        raise TypeError(f"Expected int8 or uint8 tensor for unpacking, got {p.dtype}")
    axis = axis + p.ndim if axis < 0 else axis
    t = np.moveaxis(p, axis, 0)
    mask = p.dtype.type(0x0F)
    low, high = t & mask, (t >> p.dtype.type(4)) & mask
    if dtype == "int8":
        low, high = (low ^ 8) - 8, (high ^ 8) - 8
    both = np.stack([low.astype(dtype), high.astype(dtype)], axis=1).reshape((-1,) + t.shape[1:])
    return make(np.ascontiguousarray(np.moveaxis(both[:orig_len], 0, axis)))


class Quantizer:
    """Base class: ``__call__(x)`` returns the quantized form (the base returns ``x``)."""

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        return x

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")


class AbsMaxQuantizer(Quantizer):
    """``abs_max_quantize`` with fixed ``value_range``, ``epsilon`` and ``output_dtype``; ``axis`` is given to
    the call (default the constructor's, else -1)."""

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=None, output_dtype="int8"):
        super().__init__(output_dtype=output_dtype)
        self.axis = (axis,) if isinstance(axis, int) else (tuple(axis) if axis is not None else None)
        self.value_range = value_range
        self.epsilon = backend.epsilon() if epsilon is None else epsilon
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError(f"Quantizer with output_dtype='int8' requires value_range to be within the interval "
                             f"[-128, 127]. Received: value_range={value_range}")

    def __call__(self, x, axis=None, to_numpy=False):
        axis = axis if axis is not None else (self.axis if self.axis is not None else -1)
        return abs_max_quantize(x, axis, self.value_range, self.output_dtype, self.epsilon)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon, "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config


class QuantizationConfig:
    """What ``layer.quantize`` uses: ``weight_quantizer`` (None: the layer's default abs-max one) and
    ``activation_quantizer`` (None: inputs stay float, weight-only quantization)."""

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self):
        raise NotImplementedError("Subclasses must implement this property. Do not instantiate "
                                  "QuantizationConfig directly.")

    def get_config(self):
        return {"weight_quantizer": _maybe_serialize(self.weight_quantizer),
                "activation_quantizer": _maybe_serialize(self.activation_quantizer)}

    @classmethod
    def from_config(cls, config):
        return cls(weight_quantizer=_maybe_deserialize(config.get("weight_quantizer")),
                   activation_quantizer=_maybe_deserialize(config.get("activation_quantizer")))

    @staticmethod
    def weight_quantizer_or_default(config, default):
        return config.weight_quantizer if config is not None and config.weight_quantizer is not None else default

    @staticmethod
    def activation_quantizer_or_default(config, default):
        return config.activation_quantizer if config is not None else default


class Int8QuantizationConfig(QuantizationConfig):
    """int8 weights; inputs quantized on the fly by ``AbsMaxQuantizer()`` unless ``activation_quantizer``
    says otherwise (None: weight-only)."""

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        if activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if weight_quantizer is not None and weight_quantizer.output_dtype != "int8":
            raise ValueError("Int8QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                             f"Received: output_dtype={weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """int4 weights (values in [-8, 7], two per byte); ``block_size`` input rows share a scale and a zero
    point (None or -1: one symmetric scale per output channel). Inputs stay float by default."""

    def __init__(self, weight_quantizer=None, activation_quantizer="default", block_size=128):
        if activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and block_size <= 0:
            raise ValueError(f"block_size must be None, -1, or a positive integer. Received: block_size={block_size}")
        self.block_size = block_size
        if block_size is not None and block_size > 0 and (weight_quantizer is not None
                                                         or activation_quantizer is not None):
            raise ValueError("Int4 sub-channel quantization (block_size > 0) does not support custom quantizers. "
                             "Either set block_size to None or -1 for per-channel quantization, or remove the "
                             f"custom quantizer arguments. Received: block_size={block_size}")
        if weight_quantizer is not None and tuple(weight_quantizer.value_range) != (-8, 7):
            raise ValueError("Int4QuantizationConfig requires a weight_quantizer with value_range=(-8, 7). "
                             f"Received: value_range={weight_quantizer.value_range}")

    @property
    def mode(self):
        return "int4"

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}

    @classmethod
    def from_config(cls, config):
        return cls(weight_quantizer=_maybe_deserialize(config.get("weight_quantizer")),
                   activation_quantizer=_maybe_deserialize(config.get("activation_quantizer")),
                   block_size=config.get("block_size"))


class Float8QuantizationConfig(QuantizationConfig):
    """Float8 training (delayed scaling); takes no quantizers."""

    def __init__(self):
        super().__init__(None, None)

    @property
    def mode(self):
        return "float8"

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()


def validate_and_resolve_config(mode, config):
    """The config ``quantize(mode, config)`` runs with: the mode's default config when ``config`` is None;
    ``ValueError`` for an unknown mode, a config that is not a ``QuantizationConfig`` or one whose mode is
    not ``mode``."""
    from .dtype_policies import QUANTIZATION_MODES
    if isinstance(config, str):
        mode, config = config, None
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}")
    if config is None:
        if mode in ("gptq", "awq"):
            raise ValueError(f"For {mode.upper()}, you must pass a `{mode.upper()}Config` object in the `config` "
                             "argument.")
        if mode is None:
            raise ValueError("You must provide either `mode` or `config` to `quantize`.")
        config = {"int8": Int8QuantizationConfig, "int4": Int4QuantizationConfig,
                  "float8": Float8QuantizationConfig}[mode]()
    elif not isinstance(config, QuantizationConfig):
        raise ValueError(f"Argument `config` must be an instance of `QuantizationConfig`. Received: config={config} "
                         f"(of type {type(config)})")
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
    return config


def _maybe_serialize(obj):
    return None if obj is None else serialize(obj)


def _maybe_deserialize(config):
    return None if config is None else deserialize(config)


_ALL = {"Quantizer": Quantizer, "AbsMaxQuantizer": AbsMaxQuantizer, "quantizer": Quantizer,
        "abs_max_quantizer": AbsMaxQuantizer, "Int8QuantizationConfig": Int8QuantizationConfig,
        "Int4QuantizationConfig": Int4QuantizationConfig, "Float8QuantizationConfig": Float8QuantizationConfig}


def serialize(quantizer):
    """Keras's form of a quantizer or a quantization config (``module``, ``class_name``, ``config``)."""
    return {"module": "keras.quantizers", "class_name": type(quantizer).__name__,
            "config": quantizer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    cls = (custom_objects or {}).get(config.get("class_name")) or _ALL.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown quantizer class {config.get('class_name')!r}")
    return cls.from_config(config.get("config", {}))


def get(identifier, **kwargs):
    """A quantizer from None, a name, a config dict, a class or an instance."""
    if identifier is None:
        return None
    obj = deserialize(identifier) if isinstance(identifier, dict) else \
        _ALL.get(identifier) if isinstance(identifier, str) else identifier
    if callable(obj):
        return obj(**kwargs) if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret quantizer identifier: {identifier}")
