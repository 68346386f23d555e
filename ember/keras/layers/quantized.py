"""Keras 3's post-training quantization of ``Dense``, ``EinsumDense`` and ``Embedding``: ``layer.quantize(mode)``
and ``model.quantize(mode)``, with the variables, policies and outputs Keras has.

* ``'int8'``: the kernel becomes ``kernel`` (int8) and ``kernel_scale`` (float32), per output channel:
  ``scale = 127 / (max|W| over the contracted axes + 1e-7)``, ``q = clip(round(W * scale), -127, 127)``.
  A call quantizes its inputs the same way on the fly (``AbsMaxQuantizer``, over the contracted axes),
  multiplies the integers exactly and divides by ``inputs_scale * kernel_scale``; the gradient of the
  inputs is ``upstream @ (q / kernel_scale)^T``, as Keras's custom gradient. ``Embedding`` quantizes each
  row (``embeddings_scale`` of shape ``(input_dim,)``) and looks rows up then divides.
* ``'int4'`` (``Int4QuantizationConfig(block_size=...)``, default 128): values in [-8, 7], two per byte along
  the output axis. ``block_size`` -1/None: one symmetric scale per output channel; otherwise every
  ``block_size`` contracted rows get an asymmetric scale and zero point (``kernel_zero``, ``g_idx``).
  Weight-only: inputs stay float.
* ``'float8'`` (``Dense``/``EinsumDense``): float8 training with delayed scaling. The inputs and the kernel
  are quantized-dequantized to ``float8_e4m3fn`` with ``inputs_scale`` / ``kernel_scale``, the output's
  gradient to ``float8_e5m2`` with ``outputs_grad_scale``; in training each scale becomes
  ``amax_history.max() / dtype_max`` and each history rolls in the newest ``max|x|``. Keras has its
  optimizer write these (variables with ``overwrite_with_gradient``); ember writes them when the
  gradient is computed, so after a training step they hold the same values.

After ``quantize`` the layer's ``dtype_policy`` is ``'<mode>_from_<name>'`` (``QuantizedDTypePolicy``) and
its ``.keras`` variables are in Keras's order (``variable_serialization_spec``), so quantized files move
between ember and Keras. A layer made with a quantized policy (as when loading) builds the quantized
variables directly. ``enable_lora`` trains a quantized layer as Keras does (see ``quantized_layers.py``).
GPTQ and AWQ (calibrated, in Keras 3.15) are not implemented.

>>> import numpy as np
>>> from ember import keras
>>> layer = keras.layers.Dense(2)
>>> layer.build((None, 3))
>>> layer.quantize("int8")
>>> layer.dtype_policy.name, layer.kernel.dtype.name, tuple(layer.kernel_scale.shape)
('int8_from_float32', 'int8', (2,))
"""
import math
import re
import warnings

import numpy as np

from ...autograd import ops
from ...autograd.function import Function
from ...autograd.tensor import Tensor, make
from .. import dtype_policies as _policies
from .. import quantizers as _q

EPSILON = 1e-7


def _np(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


# -- the policy on a layer -----------------------------------------------------------------------------
def policy_of(layer):
    """The layer's quantized policy, or None."""
    return layer.__dict__.get("_quant_policy")


def quantization_mode(layer):
    policy = policy_of(layer)
    return policy.quantization_mode if policy is not None else None


def set_dtype_policy(layer, value):
    """``layer.dtype_policy = value``: a float policy of the layer's dtype, or a quantized one, which
    quantizes a built, not yet quantized layer (as Keras's setter does)."""
    policy = _policies.get(value)
    if policy.quantization_mode is None:
        if policy.variable_dtype != layer._dtype:
            raise NotImplementedError(f"{type(layer).__name__} '{layer.name}': changing the dtype policy of an "
                                      f"ember.keras layer from {layer._dtype!r} to {policy.name!r} is not "
                                      "supported (its weights keep their dtype)")
        layer._set_float_policy(policy)   # same variables, maybe another compute dtype ('mixed_float16')
        layer.__dict__["_quant_policy"] = None
        return
    if policy.quantization_mode in ("gptq", "awq"):
        raise ValueError(f"Implicitly enabling {policy.quantization_mode.upper()} quantization by setting "
                         f"`dtype_policy` to '{value}' is not supported.")
    if _is_built(layer) and not layer.__dict__.get("_is_quantized", False):
        layer.quantize(policy.quantization_mode)
    else:
        layer.__dict__["_quant_policy"] = policy


def _is_built(layer):
    if not layer.built and layer._own_weights:   # build() called directly (Keras's wrapper marks it built)
        layer.built = True
    return layer.built


def check_quantize_args(layer, mode):
    if not _is_built(layer):
        raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer '{layer.name}' (of type "
                         f"'{type(layer).__name__}') is not built yet.")
    if layer.__dict__.get("_is_quantized", False):
        raise ValueError(f"Layer '{layer.name}' is already quantized with dtype_policy='{layer.dtype_policy.name}'. "
                         f"Received: mode={mode}")
    if mode not in _policies.QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {_policies.QUANTIZATION_MODES}. Received: "
                         f"mode={mode}")
    if mode == "int8" and layer.compute_dtype == "float16":
        raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'. Consider "
                         "loading model/layer with another dtype policy such as 'mixed_bfloat16' or "
                         "'mixed_float16' before calling `quantize()`.")


def mode_error(mode, modes=_policies.QUANTIZATION_MODES):
    return NotImplementedError(f"Invalid quantization mode. Expected one of {modes}. Received: "
                               f"quantization_mode={mode}")


def block_size_of(layer, config):
    """Keras's ``get_block_size_for_layer``: from an ``Int4QuantizationConfig``, else the ``Int4DTypePolicy``."""
    if isinstance(config, _q.Int4QuantizationConfig):
        return config.block_size
    policy = policy_of(layer)
    if isinstance(policy, _policies.Int4DTypePolicy):
        return policy.block_size
    return None


def finish_quantize(layer, mode, config):
    """Set ``'<mode>_from_<float policy>'`` as the layer's policy (Keras: only when it was a float one)."""
    layer.__dict__["_is_quantized"] = True
    if policy_of(layer) is None:
        name = mode
        if mode == "int4":
            block = block_size_of(layer, config)
            name = f"int4/{-1 if block is None else block}"
        policy = layer.__dict__["_quant_policy"] = _policies.get(f"{name}_from_{layer._policy().name}")
        policy_map = layer.__dict__.get("_policy_map")
        if policy_map is not None:     # Keras's setter: the map's entry for the layer becomes the new policy
            key = layer.path or layer.name
            dict.pop(policy_map, key, None)
            policy_map[key] = policy


def replace_weight(layer, name):
    """Drop the float weight ``name`` (it is replaced by quantized ones)."""
    own = layer.__dict__["_own_weights"]
    own[:] = [entry for entry in own if entry[0] != name]
    delattr(layer, name)


def add_fixed(layer, name, value, trainable=False):
    """A weight holding ``value`` (its dtype kept), non-trainable unless said."""
    value = np.asarray(value)
    return layer._add_weight(name, value.shape, initializer=lambda shape, dtype: value.copy(),
                             dtype=value.dtype.name, trainable=trainable)


def serialized_weights(layer, spec):
    """``[(name, weight)]`` in the order of Keras's ``variable_serialization_spec[mode]`` (absent ones skipped)."""
    out = []
    for name in spec[quantization_mode(layer)]:
        w = layer.__dict__.get(name) if name not in layer._parameters else layer._parameters[name]
        if w is not None:
            out.append((name, w))
    return out


def quantize_model(model, mode=None, config=None, filters=None, **kwargs):
    """``model.quantize``: quantize every leaf layer that ``filters`` admits (a regex on the name, a list of
    them or a callable); a layer that cannot be quantized gives a warning, as in Keras."""
    type_check = kwargs.pop("type_check", True)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments passed to {type(model).__name__}: {kwargs}")
    if filters is not None and not isinstance(filters, (str, list, tuple)) and not callable(filters):
        raise ValueError("The `filters` argument must be a regex string, a list of regex strings, or a callable. "
                         f"Received: {type(filters)}")
    if mode in ("gptq", "awq") or isinstance(config, _q.QuantizationConfig) and \
            getattr(config, "mode", None) in ("gptq", "awq"):
        raise NotImplementedError(f"model.quantize({mode!r}): ember.keras has no GPTQ/AWQ calibration")
    for layer in _leaf_layers(model):
        if not _admitted(layer, filters):
            continue
        try:
            layer.quantize(mode, type_check=type_check, config=config)
        except NotImplementedError as e:
            warnings.warn(str(e), stacklevel=2)
        except AttributeError:
            pass


def _leaf_layers(root):
    from .layer import Layer
    seen, out, stack = set(), [], [root]
    while stack:
        layer = stack.pop(0)
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        children = [m for m in layer._sublayers() if isinstance(m, Layer)] if isinstance(layer, Layer) else []
        if not children and layer is not root:
            out.append(layer)
        stack[:0] = children
    return out


def _admitted(layer, filters):
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(p, layer.name) for p in filters)
    return bool(filters(layer))


# -- the arithmetic --------------------------------------------------------------------------------
def abs_max(x, axis, value_range=(-127, 127)):
    """``(q int8, scale)`` with ``scale = value_range[1] / (max|x| over axis, kept + 1e-7)``, in x's dtype."""
    scale = np.divide(value_range[1], np.add(np.max(np.abs(x), axis=axis, keepdims=True), EPSILON))
    scale = scale.astype(x.dtype)
    q = np.clip(np.round(np.multiply(x, scale)), value_range[0], value_range[1]).astype("int8")
    return q, scale


def quantize_inputs(quantizer, x, axis):
    """The inputs quantized by ``quantizer`` (an ``AbsMaxQuantizer``), as arrays."""
    q, scale = quantizer(x, axis=axis)
    return _np(q), _np(scale)


def grouped_with_zero(w, block_size, value_range=(-8, 7)):
    """Keras's ``abs_max_quantize_grouped_with_zero_point`` on ``w`` (in, out): rows are zero-padded to whole
    groups of ``block_size``; each group and column gets ``scale = (max - min + 1e-7) / (qmax - qmin)`` and
    ``zero = clip(round(-min / scale) + qmin)``; ``q = clip(round(w / scale) + zero)``. Returns ``(q int8,
    scale (groups, out), zero int8 (groups, out))``."""
    rows, cols = w.shape
    groups = math.ceil(rows / block_size)
    qmin, qmax = value_range
    padded = np.concatenate([w, np.zeros((groups * block_size - rows, cols), w.dtype)]) if groups * block_size > rows \
        else w
    g = padded.reshape(groups, block_size, cols)
    wmin, wmax = g.min(axis=1, keepdims=True), g.max(axis=1, keepdims=True)
    scale = np.divide(np.subtract(wmax, wmin) + EPSILON, qmax - qmin)
    zero = np.clip(np.round(np.divide(-wmin, scale)) + qmin, qmin, qmax)
    q = np.clip(np.round(np.divide(g, scale)) + zero, qmin, qmax).astype("int8")
    q = q.reshape(groups * block_size, cols)[:rows]
    return q, np.squeeze(scale, axis=1).astype(w.dtype), np.squeeze(zero, axis=1).astype("int8")


def dequantize_grouped(q, scale, zero, g_idx, group_axis=0):
    """``(q - zero[g]) * scale[g]`` with ``g = g_idx`` the group of each row along ``group_axis``."""
    idx = g_idx.astype("int64")
    s = np.take(scale, idx, axis=group_axis)
    z = np.take(zero, idx, axis=group_axis)
    return (q.astype(scale.dtype) - z.astype(scale.dtype)) * s


class InputGradient(Function):
    """An output computed outside autograd (``value``) whose gradient to ``x`` is ``input_grad(upstream)``;
    Keras's ``custom_gradient`` for the quantized calls (the integer weights get no gradient)."""

    @staticmethod
    def forward(ctx, x, value, input_grad):
        ctx.input_grad = input_grad
        return make(value)

    @staticmethod
    def backward(ctx, upstream):
        return ctx.input_grad(upstream), None, None


def with_input_gradient(x, value, input_grad):
    return InputGradient.apply(x, value, input_grad)
