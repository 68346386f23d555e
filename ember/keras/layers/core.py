"""``Dense``, ``Embedding`` and ``Activation``.

>>> import ember
>>> from ember import keras
>>> keras.layers.Dense(4, activation="relu")(ember.ones(2, 3)).shape
ember.Size([2, 4])
"""
import numpy as np

from ... import functional as F
from ...autograd import ops
from ...backend.dtypes import int64 as ember_int64
from .. import activations as _act
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from ..autocast import ember_dtype
from .layer import Layer
from .quantized_layers import QuantizedDense, QuantizedEmbedding


def _common(config, layer, *names):
    for n in names:
        v = getattr(layer, n)
        if n.endswith("initializer"):
            v = _init.serialize(v)
        elif n.endswith("regularizer"):
            v = _reg.serialize(v)
        elif n.endswith("constraint"):
            v = _con.serialize(v)
        elif n == "activation" or n == "recurrent_activation":
            v = _act.serialize(v)
        config[n] = v
    return config


class Dense(QuantizedDense, Layer):
    """A fully connected layer: ``output = activation(inputs @ kernel + bias)`` on the last axis.

    Args:
        units (int): output size.
        activation: a name (``'relu'``, ``'softmax'`` ...) or a function; None is linear.
        use_bias (bool): add ``bias`` (default True).
        kernel_initializer: default ``'glorot_uniform'``: U(-l, l), ``l = sqrt(6 / (in + units))``.
        bias_initializer: default ``'zeros'``.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to the loss.

    Weights: ``kernel`` ``(in, units)`` (Keras's layout, the transpose of ``nn.Linear.weight``), ``bias``
    ``(units,)``. Shape: ``(*, in)`` -> ``(*, units)``. ``quantize('int8' | 'int4' | 'float8')``: see
    ``layers/quantized.py``.
    """
    _keras_saved_weights = ("kernel", "bias")   # what Keras's save_own_variables writes

    supports_masking = True  # as Keras: a per-step layer keeps its input's mask

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.quantization_config = _quantization_config(quantization_config)
        self.units = int(units)
        if self.units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. Received: "
                             f"units={units}")
        self.activation = _act.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.activity_regularizer = _reg.get(activity_regularizer)
        self.kernel_constraint = _con.get(kernel_constraint)
        self.bias_constraint = _con.get(bias_constraint)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f"Dense layer {self.name}: the last dimension of the inputs must be known, got "
                             f"input shape {input_shape}")
        if self.quantization_mode is not None:   # a quantized layer being loaded
            self._build_quantized((in_dim, self.units))
        else:
            self._add_weight("kernel", (in_dim, self.units), self.kernel_initializer,
                             regularizer=self.kernel_regularizer)
        if self.use_bias:
            self._add_weight("bias", (self.units,), self.bias_initializer, regularizer=self.bias_regularizer)
        self.input_dim = in_dim
        if self.lora_rank:
            self.enable_lora(self.lora_rank)   # as Keras: the constructor's lora_alpha gives way to the rank

    def call(self, inputs, training=None):
        if self.quantization_mode is not None:
            if inputs.shape[-1] != self.input_dim:
                raise ValueError(f"Dense layer {self.name} (units={self.units}) expects inputs with last "
                                 f"dimension {self.input_dim}, got inputs of shape {tuple(inputs.shape)}")
            return self._quantized_call(inputs, training)
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"Dense layer {self.name} (units={self.units}) expects inputs with last dimension "
                             f"{self.kernel.shape[0]}, got inputs of shape {tuple(inputs.shape)}")
        kernel = self._lora_kernel() if self.lora_enabled else self.kernel
        if self.use_bias and inputs._data.dtype.char not in "fd":
            # float16/bfloat16: Keras's matmul, then its add, each rounded to the compute dtype (a fused
            # linear rounds once; float32 rounds twice either way)
            y = ops.add(ops.matmul(inputs, kernel), self.bias)
        else:
            y = F.linear(inputs, kernel.mT, self.bias if self.use_bias else None)
        y = self.activation(y)
        if self.activity_regularizer is not None:
            self.add_loss(ops.div(self.activity_regularizer(y), y.shape[0]))
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        config = _common(config, self, "activation", "use_bias", "kernel_initializer", "bias_initializer",
                         "kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint")
        if self.activity_regularizer is not None:   # Keras's Dense writes it only when set
            config = _common(config, self, "activity_regularizer")
        return _with_quantization_config(config, self)


class Embedding(QuantizedEmbedding, Layer):
    """Turns integer indices into dense vectors: ``output = embeddings[inputs]``.

    Args:
        input_dim (int): vocabulary size (largest index + 1).
        output_dim (int): vector size.
        embeddings_initializer: default ``'uniform'`` (U(-0.05, 0.05)).
        mask_zero (bool): index 0 is padding; downstream recurrent layers skip those steps.

    Weights: ``embeddings`` ``(input_dim, output_dim)``. Shape: ``(*)`` -> ``(*, output_dim)``.
    """
    _keras_saved_weights = ("embeddings",)   # what Keras's save_own_variables writes
    # As Keras: the table is read uncast and the rows looked up are cast to the compute dtype (under
    # 'mixed_float16', float16 rows of a float32 table, without casting the whole table every step).
    _autocast = False

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, activity_regularizer=None,
                 lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.quantization_config = _quantization_config(quantization_config)
        self.activity_regularizer = _reg.get(activity_regularizer)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = _init.get(embeddings_initializer)
        self.embeddings_regularizer = _reg.get(embeddings_regularizer)
        self.embeddings_constraint = _con.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        if input_length is not None and self._batch_input_shape is None:
            self._batch_input_shape = (None, int(input_length))

    def build(self, input_shape=None):
        if self.quantization_mode is not None:   # a quantized layer being loaded
            self._build_quantized((self.input_dim, self.output_dim))
        else:
            self._add_weight("embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer,
                             regularizer=self.embeddings_regularizer)
        if self.lora_rank:
            self.enable_lora(self.lora_rank)

    def compute_dtype_for(self, inputs):
        return self.compute_dtype

    def call(self, inputs):
        idx = inputs if inputs._data.dtype.kind in "iu" else inputs.to(ember_int64) if hasattr(inputs, "to") else inputs
        a = idx._data
        if a.size and (a.min() < 0 or a.max() >= self.input_dim):
            raise ValueError(f"Embedding layer {self.name} (input_dim={self.input_dim}) got an index out of range "
                             f"[{int(a.min())}, {int(a.max())}]")
        if self.quantization_mode is not None:
            out = self._quantized_call(idx)
        else:
            table = self._lora_kernel() if self.lora_enabled else self.embeddings
            flat = ops.index_select(table, 0, idx.reshape(-1))
            out = flat.reshape(tuple(idx.shape) + (self.output_dim,))
        if out._data.dtype.name != self.compute_dtype:
            out = out.to(ember_dtype(self.compute_dtype))
        if self.activity_regularizer is not None:
            self.add_loss(ops.div(self.activity_regularizer(out), out.shape[0]))
        if self.mask_zero:
            out._keras_mask = a != 0
        return out

    def compute_mask(self, inputs, mask=None):
        """``inputs != 0`` (a boolean tensor) with ``mask_zero``, else None, as Keras."""
        if not self.mask_zero:
            return None
        from .. import ops as keras_ops
        return keras_ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, output_dim=self.output_dim, mask_zero=self.mask_zero)
        config = _common(config, self, "embeddings_initializer", "embeddings_regularizer", "activity_regularizer",
                         "embeddings_constraint")
        return _with_quantization_config(config, self)


class Activation(Layer):
    """Applies an activation function: ``Activation('relu')``."""

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = _act.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return _common(super().get_config(), self, "activation")


class Identity(Layer):
    supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def _no_quantization(layer, lora_rank, quantization_config):
    if lora_rank is not None or quantization_config is not None:
        raise NotImplementedError(f"{type(layer).__name__}: LoRA (lora_rank) and quantization (quantization_config) "
                                  "are not supported by ember.keras")


def _quantization_config(config):
    """A ``quantization_config`` argument: None, a ``QuantizationConfig`` or its serialized form."""
    from .. import quantizers
    return quantizers.deserialize(config) if isinstance(config, dict) else config


def _with_quantization_config(config, layer):
    """Keras writes ``quantization_config`` into the config of a quantizable layer (null until quantized)."""
    from .. import quantizers
    qc = layer.quantization_config
    config["quantization_config"] = quantizers.serialize(qc) if qc is not None else None
    if layer.lora_rank:
        config.update(lora_rank=layer.lora_rank, lora_alpha=layer.lora_alpha)
    return config


def _np_dtype(layer):
    return np.dtype(layer.dtype)
