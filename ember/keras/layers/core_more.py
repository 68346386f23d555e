"""``EinsumDense``, ``Lambda``, ``Masking``, ``ActivityRegularization`` and ``Wrapper``.

* ``EinsumDense(equation, output_shape, bias_axes=None)``: ``activation(einsum(equation, x, kernel) + bias)``;
  the kernel's shape comes from the equation (each kernel axis is the size of the input or output axis
  of the same letter), the bias covers the ``bias_axes`` letters of the output, broadcast over the rest.
* ``Lambda(function)``: ``function(inputs)`` as a layer. Its config stores the function's bytecode, as
  Keras does, so loading a saved ``Lambda`` runs code from the file: it is refused unless
  ``safe_mode=False`` is passed to ``load_model`` / ``deserialize_keras_object``.
* ``Masking(mask_value=0.0)``: steps whose features all equal ``mask_value`` are zeroed and masked
  (downstream RNNs skip them, attention ignores them).
* ``ActivityRegularization(l1, l2)``: identity that adds ``l1 sum|x| + l2 sum x^2`` (over the batch size)
  to the layer's losses.

>>> import ember
>>> from ember import keras
>>> keras.layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c")(ember.ones(2, 3)).shape
ember.Size([2, 4])
"""
import base64
import inspect
import marshal
import re
import types

import numpy as np

from ...autograd import ops
from ...autograd.tensor import make
from .. import activations as _act
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from ..saving import serialization_lib
from .core import _common, _quantization_config, _with_quantization_config
from .layer import Layer
from .quantized_layers import QuantizedEinsumDense


def _einsum_shapes(equation, bias_axes, input_shape, output_shape):
    """``(kernel_shape, bias_shape, full_output_shape)`` for ``equation`` ("ab,bc->ac", "...b,bc->...c" or
    "ab...,bc->ac...") and the output shape without the batch axis."""
    eq = equation.replace("...", "0")
    left = False
    m = re.fullmatch("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", eq)
    if not m:
        m = re.fullmatch("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", eq)
        left = m is not None
    if not m:
        m = re.fullmatch("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", eq)
    if not m:
        raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form [X],[Y]->[Z], "
                         "...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")
    ins, ws, outs = m.groups()
    input_shape = list(input_shape)
    elided = len(input_shape) - len(ins)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and left:
        out[1:1] = input_shape[1:elided]
    elif elided > 0:
        out += input_shape[len(input_shape) - elided:]
    in_pos = {c: (i + elided - len(input_shape)) if left else i for i, c in enumerate(ins)}
    out_pos = {c: (i + elided) if left else i for i, c in enumerate(outs)}
    for c in ins:
        if c in out_pos and out[out_pos[c]] is not None and out[out_pos[c]] != input_shape[in_pos[c]]:
            raise ValueError(f"Input shape and output shape do not match at shared dimension '{c}'. Input shape is "
                             f"{input_shape[in_pos[c]]}, and output shape is {out[out_pos[c]]}.")
    kernel = []
    for c in ws:
        if c in out_pos:
            kernel.append(out[out_pos[c]])
        elif c in in_pos:
            kernel.append(input_shape[in_pos[c]])
        else:
            raise ValueError(f"Weight dimension '{c}' did not have a match in either the input spec '{ins}' or the "
                             f"output spec '{outs}'. For this layer, the weight must be fully specified.")
    bias = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in outs:
                raise ValueError(f"Bias dimension '{c}' was requested, but is not part of the output spec '{outs}'")
        offset = elided if left else 0
        first = min(outs.find(c) for c in bias_axes)
        bias = [out[i + offset] if c in bias_axes else 1 for i, c in enumerate(outs) if i >= first]
        if not left:
            bias += [1] * max(elided, 0)
    return tuple(kernel), None if bias is None else tuple(bias), tuple(out)


class EinsumDense(QuantizedEinsumDense, Layer):
    """A dense layer of any rank, given by an einsum equation.

    Args:
        equation (str): ``input,kernel->output``, e.g. ``"abc,cd->abd"``.
        output_shape: the output's shape without the batch axis (None for an unknown axis).
        activation: applied last. bias_axes (str): output letters that get a bias (default none).
        kernel_initializer ('glorot_uniform'), bias_initializer ('zeros'), regularizers as ``Dense``.
    """
    _keras_saved_weights = ("kernel", "bias")   # what Keras's save_own_variables writes

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.quantization_config = _quantization_config(quantization_config)
        self.equation = equation
        self.partial_output_shape = output_shape if isinstance(output_shape, int) else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = _act.get(activation)
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.activity_regularizer = _reg.get(activity_regularizer)
        self.kernel_constraint, self.bias_constraint = _con.get(kernel_constraint), _con.get(bias_constraint)

    def build(self, input_shape):
        kernel, bias, full = _einsum_shapes(self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        self.full_output_shape = full
        self._input_ndim = len(input_shape)     # the quantized form's scale layout depends on it
        if self.quantization_mode is not None:   # a quantized layer being loaded
            self._build_quantized(tuple(kernel))
        else:
            self._add_weight("kernel", kernel, self.kernel_initializer, regularizer=self.kernel_regularizer)
        if bias is not None:
            self._add_weight("bias", bias, self.bias_initializer, regularizer=self.bias_regularizer)
        if self.lora_rank:
            self.enable_lora(self.lora_rank)

    def _explicit_equation(self, ndim):
        """The equation with ``...`` spelled out in unused letters (ember's einsum gradient needs them)."""
        if "..." not in self.equation:
            return self.equation
        ins = self.equation.split(",")[0]
        n = ndim - (len(ins) - 3)
        free = [c for c in "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in self.equation][:n]
        return self.equation.replace("...", "".join(free))

    def call(self, inputs, training=None):
        if self.quantization_mode is not None:
            return self._quantized_call(inputs, training)
        kernel = self._lora_kernel() if self.lora_enabled else self.kernel
        y = ops.einsum(self._explicit_equation(inputs.ndim), inputs, kernel)
        if self.bias_axes is not None:
            y = ops.add(y, self.bias)
        y = self.activation(y)
        if self.activity_regularizer is not None:
            self.add_loss(ops.div(self.activity_regularizer(y), y.shape[0]))
        return y

    def compute_output_shape(self, input_shape):
        return _einsum_shapes(self.equation, self.bias_axes, input_shape, self.partial_output_shape)[2]

    def get_config(self):
        config = super().get_config()
        out = self.partial_output_shape
        config.update(equation=self.equation, output_shape=[out] if isinstance(out, int) else list(out),
                      bias_axes=self.bias_axes)
        config = _common(config, self, "activation", "kernel_initializer", "bias_initializer", "kernel_regularizer",
                         "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint")
        return _with_quantization_config(config, self)


def _dump_function(fn):
    """Keras's serialized form of a Python function: its bytecode (base64 marshal), defaults and closure."""
    code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
    closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
    return {"class_name": "__lambda__", "config": {"code": code, "defaults": fn.__defaults__, "closure": closure}}


def _load_function(config):
    code = marshal.loads(base64.b64decode(config["code"].encode("ascii")))
    closure = config.get("closure")
    cells = tuple(types.CellType(v) for v in closure) if closure else None
    defaults = tuple(config["defaults"]) if config.get("defaults") else None
    from .. import ops as kops
    import ember
    scope = {"ember": ember, "ops": kops, "np": np}
    return types.FunctionType(code, scope, code.co_name, defaults, cells)


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` as a layer (no weights).

    Args:
        function: a callable of the inputs (it may take ``mask`` and ``training``).
        output_shape: the output shape (or a function of the input shape), used for the functional API
            when running the function on zeros is not wanted.
        mask: an output mask, or a function ``(inputs, mask)`` giving it.
        arguments (dict): extra keyword arguments for ``function``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda: `function` must be callable. Received: function={function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self._lambda_output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_mask = "mask" in params
        self._fn_training = "training" in params
        self.built = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_mask:
            kwargs["mask"] = mask
        if self._fn_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def compute_output_shape(self, input_shape):
        out = self._lambda_output_shape
        if out is None:
            return super().compute_output_shape(input_shape)
        if callable(out):
            return out(input_shape)
        return (input_shape[0] if not isinstance(input_shape, list) else input_shape[0][0],) + tuple(out)

    def get_config(self):
        config = super().get_config()
        config["function"] = _dump_function(self.function)
        out = self._lambda_output_shape
        config["output_shape"] = _dump_function(out) if callable(out) else (list(out) if out is not None else None)
        config["arguments"] = self.arguments
        if callable(self.mask):
            config["mask"] = _dump_function(self.mask)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        safe = serialization_lib.in_safe_mode() if safe_mode is None else safe_mode
        for key in ("function", "output_shape", "mask"):
            value = config.get(key)
            if isinstance(value, dict) and value.get("class_name") == "__lambda__":
                if safe is not False:
                    raise ValueError("Requested the deserialization of a `Lambda` layer whose `function` is a Python "
                                     "lambda (bytecode in the config). This carries a potential risk of arbitrary "
                                     "code execution and thus it is disallowed by default. If you trust the source "
                                     "of the artifact, you can override this error by passing `safe_mode=False` to "
                                     "the loading function, or calling `keras.config.enable_unsafe_deserialization()`.")
                config[key] = _load_function(value["config"])
            elif isinstance(value, str) and key == "function":
                fn = (custom_objects or {}).get(value) or serialization_lib.get_registered_object(value)
                if fn is None:
                    raise ValueError(f"Lambda: unknown function {value!r}: pass it in `custom_objects`")
                config[key] = fn
        return cls(**config)


class Masking(Layer):
    """Masks time steps whose features all equal ``mask_value``: the output is the input with those steps set
    to 0, and its mask (``any(x != mask_value, axis=-1)``) goes to the layers downstream."""

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def _keep(self, inputs):
        return np.any(inputs._data != self.mask_value, axis=-1)

    def call(self, inputs):
        keep = self._keep(inputs)
        return ops.mul(inputs, make(keep[..., None].astype(inputs._data.dtype)))

    def compute_mask(self, inputs, mask=None):
        return self._keep(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


class ActivityRegularization(Layer):
    """The identity, adding ``(l1 * sum|x| + l2 * sum x^2) / batch_size`` to the losses."""

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.l1, self.l2 = float(l1), float(l2)
        self.activity_regularizer = _reg.L1L2(l1=self.l1, l2=self.l2)

    def call(self, inputs):
        self.add_loss(ops.div(self.activity_regularizer(inputs), inputs.shape[0]))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(l1=self.l1, l2=self.l2)
        return config


class Wrapper(Layer):
    """Base class of layers that wrap another layer (``self.layer``), such as ``TimeDistributed``."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please ensure wrapped "
                             "layer is a valid Keras layer.")
        self.layer = layer

    def build(self, input_shape=None):
        self.layer._maybe_build(input_shape)

    def call(self, inputs, *args, **kwargs):
        return self.layer(inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialization_lib.serialize_keras_object(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = serialization_lib.deserialize_keras_object(config["layer"], custom_objects)
        return cls(**config)
