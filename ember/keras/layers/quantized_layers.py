"""The quantized forms of ``Dense``, ``EinsumDense`` and ``Embedding`` (mixins those classes inherit), and
their LoRA (``enable_lora(rank)`` / ``lora_rank=``: a frozen kernel, float or quantized, plus a trainable
``(lora_alpha / rank) * A @ B``; saved merged into the kernel and re-quantized, as Keras saves it); the rules
and the shared arithmetic are in ``quantized.py``.

>>> import numpy as np
>>> from ember import keras
>>> emb = keras.layers.Embedding(4, 2)
>>> emb.build()
>>> emb.quantize("int8")
>>> emb(np.array([1, 3])).shape
ember.Size([2, 2])
"""
import numpy as np

from ...autograd import ops
from ...autograd.function import Function
from ...autograd.tensor import make
from .. import dtype_policies as _policies
from .. import quantizers as _q
from . import quantized as Q

_DENSE_SPEC = {
    None: ["kernel", "bias"],
    "int8": ["kernel", "bias", "kernel_scale"],
    "int4": ["kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"],
    "float8": ["kernel", "bias", "inputs_scale", "inputs_amax_history", "kernel_scale", "kernel_amax_history",
               "outputs_grad_scale", "outputs_grad_amax_history"],
}
_E4M3_MAX, _E5M2_MAX = 448.0, 57344.0   # ml_dtypes.finfo('float8_e4m3fn' / 'float8_e5m2').max


class Quantizable:
    """What the three layers share: ``quantize``, ``quantization_mode``, the ``.keras`` variable order."""

    _quantize_modes = ("int8", "int4", "float8")

    @property
    def quantization_mode(self):
        return Q.quantization_mode(self)

    @property
    def variable_serialization_spec(self):
        return _DENSE_SPEC

    def _serialized_weights(self):
        """``[(name, weight)]`` in Keras's saved order for the layer's mode."""
        return Q.serialized_weights(self, self.variable_serialization_spec)

    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize the built layer's weights to ``mode`` (``'int8'``, ``'int4'``, ``'float8'``) or by ``config``
        (a ``keras.quantizers.QuantizationConfig``); see ``ember.keras.layers.quantized``."""
        config = _q.validate_and_resolve_config(mode, config)
        mode = config.mode
        Q.check_quantize_args(self, mode)
        if type_check and type(self) is not self._quantizable_class():
            raise NotImplementedError(f"Layer {type(self).__name__} does not have a `quantize` method implemented.")
        if mode not in self._quantize_modes:
            raise Q.mode_error(mode, self._quantize_modes)
        self.quantization_config = config
        self._quantize_weights(mode, config)
        Q.finish_quantize(self, mode, config)

    def _build_quantized(self, shape):
        """Build-time (a layer made with a quantized policy, as when loading): the quantized variables with
        placeholder values, to be overwritten by the file's."""
        mode = self.quantization_mode
        if mode not in self._quantize_modes:
            raise Q.mode_error(mode, self._quantize_modes)
        self._quantize_weights(mode, self.quantization_config, placeholder=shape)
        self.__dict__["_is_quantized"] = True

    def _emit(self, name, value):
        """A quantized variable: created, or (while re-quantizing a LoRA merge for saving) collected."""
        collected = self.__dict__.get("_collected")
        if collected is not None:
            collected[name] = np.asarray(value)
            return None
        return Q.add_fixed(self, name, value)

    def _drop(self, name):
        if self.__dict__.get("_collected") is None:
            Q.replace_weight(self, name)

    # -- LoRA (Keras's enable_lora: a trainable low-rank delta over a frozen, possibly quantized kernel) --
    lora_enabled = False

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        """Freeze the kernel and learn ``(lora_alpha / rank) * A @ B`` on top of it (``A`` from
        ``a_initializer``, ``B`` from zeros, both float32); saving merges the delta into the kernel (and
        re-quantizes a quantized one), as Keras does."""
        base = self._lora_base
        if getattr(self, f"{base}_constraint", None):
            raise ValueError(f"Lora is incompatible with {'embedding' if base == 'embeddings' else 'kernel'} "
                             f"constraints. In order to enable lora on this layer, remove the `{base}_constraint` "
                             "argument.")
        if not Q._is_built(self):
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        from .. import initializers as _init
        a_shape, b_shape = self._lora_shapes(rank)
        regularizer = getattr(self, f"{base}_regularizer", None)
        for suffix, shape, init in (("a", a_shape, a_initializer), ("b", b_shape, b_initializer)):
            self._add_weight(f"lora_{base}_{suffix}", shape, _init.get(init), dtype="float32",
                             regularizer=regularizer)
        getattr(self, base).trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def _init_lora(self, lora_rank, lora_alpha):
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank

    def _lora_pair(self):
        base = self._lora_base
        return getattr(self, f"lora_{base}_a"), getattr(self, f"lora_{base}_b")

    def _lora_kernel(self):
        """The float kernel plus the LoRA delta (differentiable in A and B)."""
        a, b = self._lora_pair()
        delta = ops.mul(ops.matmul(a, b), self.lora_alpha / self.lora_rank)
        return ops.add(getattr(self, self._lora_base), delta).to(getattr(self, self._lora_base).dtype)

    def _lora_saved(self):
        """The arrays saved in place of the kernel (and its scales) with LoRA on: the merged kernel,
        re-quantized in the layer's mode."""
        a, b = self._lora_pair()
        delta = (self.lora_alpha / self.lora_rank) * np.matmul(a._data, b._data)
        mode = self.quantization_mode
        if mode is None:
            return {self._lora_base: (getattr(self, self._lora_base)._data + delta).astype(self.compute_dtype)}
        self.__dict__["_merge_source"] = (self._dequantized() + delta).astype(self.compute_dtype)
        self.__dict__["_collected"] = {}
        try:
            self._quantize_weights(mode, self.quantization_config)
            return self.__dict__["_collected"]
        finally:
            self.__dict__["_merge_source"] = self.__dict__["_collected"] = None

    def _saved_array(self, name, weight):
        """What the ``.keras`` file holds for ``weight`` (Keras's ``save_own_variables``)."""
        if self.lora_enabled:
            return self._lora_saved().get(name, weight._data)
        return weight._data

    def _after_weights_loaded(self):
        """Keras's ``load_own_variables`` with LoRA on: the file's kernel is merged, so A and B restart at 0."""
        if self.lora_enabled:
            for w in self._lora_pair():
                w._data[...] = 0
                w._bump()

    def _with_lora(self, y, lora_out):
        """``y + (lora_alpha / lora_rank) * lora_out`` when LoRA is on (the quantized calls)."""
        if not self.lora_enabled:
            return y
        return ops.add(y, ops.mul(lora_out(), self.lora_alpha / self.lora_rank)).to(y.dtype)

    def _float8_variables(self):
        length = getattr(Q.policy_of(self), "amax_history_length",
                         _policies.QuantizedFloat8DTypePolicy.default_amax_history_length)
        for name in ("inputs", "kernel", "outputs_grad"):
            # Trainable, as in Keras: their "gradients" are their next values (overwrite_with_gradient).
            for var in (Q.add_fixed(self, f"{name}_scale", np.ones((), "float32"), trainable=True),
                        Q.add_fixed(self, f"{name}_amax_history", np.zeros((length,), "float32"), trainable=True)):
                var.overwrite_with_gradient = True


def _weights_of(layer, name, placeholder, shape_if_placeholder):
    source = layer.__dict__.get("_merge_source")
    if source is not None:       # re-quantizing a LoRA-merged kernel for saving
        return source
    return np.zeros(shape_if_placeholder, "float32") if placeholder is not None else \
        np.asarray(getattr(layer, name)._data)


class QuantizedDense(Quantizable):
    """``Dense`` in int8 / int4 / float8, with or without LoRA."""

    _lora_base = "kernel"

    def _lora_shapes(self, rank):
        return (self.input_dim, rank), (rank, self.units)

    def _dequantized(self):
        if self.quantization_mode == "int8":
            return np.divide(self.kernel._data.astype(self.compute_dtype), self.kernel_scale._data)
        q, dense = self._int4_float_kernel()
        return dense if dense is not None else np.divide(q.astype(self.compute_dtype), self.kernel_scale._data)

    def _quantizable_class(self):
        from .core import Dense
        return Dense

    def _quantize_weights(self, mode, config, placeholder=None):
        w = _weights_of(self, "kernel", placeholder, placeholder)
        if placeholder is None and mode != "float8":
            self._drop("kernel")
        if mode == "int8":
            quantizer = _q.QuantizationConfig.weight_quantizer_or_default(config, _q.AbsMaxQuantizer(axis=0))
            q, scale = Q.quantize_inputs(quantizer, w, None)
            self.inputs_quantizer = _q.QuantizationConfig.activation_quantizer_or_default(config,
                                                                                           _q.AbsMaxQuantizer())
            self._emit("kernel", q)
            self._emit("kernel_scale", np.squeeze(scale, axis=0))
        elif mode == "int4":
            self._int4_weights(w, config)
        else:
            self._float8_variables()
            if placeholder is not None:   # float8 from a config: then the float kernel, as Keras builds it
                self._add_weight("kernel", w.shape, self.kernel_initializer, regularizer=self.kernel_regularizer)

    def _int4_weights(self, w, config):
        block = Q.block_size_of(self, config)
        self.inputs_quantizer = _q.QuantizationConfig.activation_quantizer_or_default(config, None)
        self._int4_block_size = block
        if block is None or block == -1:
            quantizer = _q.QuantizationConfig.weight_quantizer_or_default(
                config, _q.AbsMaxQuantizer(axis=0, value_range=(-8, 7), output_dtype="int8"))
            q, scale = Q.quantize_inputs(quantizer, w, None)
            scale, zero = np.squeeze(scale, axis=0), None
        else:
            q, scale, zero = Q.grouped_with_zero(w, block)
        packed = _q.pack_int4(q, axis=-1)[0]._data
        self._emit("kernel", packed)
        self._emit("kernel_scale", scale)
        if zero is not None:
            self._emit("kernel_zero", zero)
            self._emit("g_idx", (np.arange(w.shape[0]) // block).astype("float32"))
        self._orig_output_dim = w.shape[1]

    def _int4_float_kernel(self):
        unpacked = _q.unpack_int4(self.kernel._data, self._orig_output_dim, axis=-1)._data
        if self.__dict__.get("_int4_block_size") in (None, -1):
            return unpacked, None
        return unpacked, Q.dequantize_grouped(unpacked, self.kernel_scale._data, self.kernel_zero._data,
                                              self.g_idx._data, group_axis=0).astype(self.compute_dtype)

    def _quantized_call(self, inputs, training=None):
        mode = self.quantization_mode
        if mode == "float8":
            if self.lora_enabled:
                raise NotImplementedError("Currently, `_float8_call` doesn't support LoRA")
            y = _float8_matmul(self, inputs, training, lambda a, b: ops.matmul(a, b))
            bias = self.bias if self.use_bias else None
            if bias is not None and self.compute_dtype == "float32":
                # Keras rounds a float32 bias through bfloat16 here (for XLA's bias-add fusion).
                bias = _BFloat16Cast.apply(bias)
            return self.activation(ops.add(y, bias) if bias is not None else y)
        if mode == "int8":
            q, dense = self.kernel._data, None
        elif mode == "int4":
            q, dense = self._int4_float_kernel()
        else:
            raise Q.mode_error(mode)
        x = inputs._data
        scale = self.kernel_scale._data
        if dense is not None:            # int4 with groups: a float kernel
            out = np.matmul(x, dense)
            float_kernel = dense
        else:
            float_kernel = np.divide(q.astype(self.compute_dtype), scale)
            out = _scaled_matmul(x, q, scale, self.inputs_quantizer, -1,
                                 lambda a, b: np.matmul(a, b))
        kt = make(np.ascontiguousarray(float_kernel.T))
        y = Q.with_input_gradient(inputs, out.astype(self.compute_dtype), lambda up: ops.matmul(up, kt))
        y = self._with_lora(y, lambda: ops.matmul(ops.matmul(inputs, self.lora_kernel_a), self.lora_kernel_b))
        if self.use_bias:
            y = ops.add(y, self.bias)
        return self.activation(y)


def _scaled_matmul(x, q, kernel_scale, inputs_quantizer, axis, product, adjust_input_scale=None):
    """Keras's int matmul: inputs quantized over ``axis`` when there is an ``inputs_quantizer`` (integers
    multiplied exactly, divided by ``kernel_scale * inputs_scale``), else ``(x @ q) / kernel_scale``."""
    if inputs_quantizer:
        qx, sx = Q.quantize_inputs(inputs_quantizer, x, axis)
        if adjust_input_scale is not None:
            sx = adjust_input_scale(sx)
        acc = product(qx.astype("int32"), q.astype("int32")).astype(x.dtype)
        return np.divide(acc, np.multiply(kernel_scale, sx) if adjust_input_scale is None
                         else np.multiply(sx, kernel_scale))
    return np.divide(product(x, q.astype(x.dtype)), kernel_scale)


def _bfloat16_round(a):
    """``a`` (float32) rounded to bfloat16 (nearest, ties to even) and back."""
    bits = np.ascontiguousarray(a, dtype="float32").view("uint32")
    rounded = (bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))) & np.uint32(0xFFFF0000)
    return np.where(np.isnan(a), a, rounded.view("float32")).astype("float32")


class _BFloat16Cast(Function):
    """float32 -> bfloat16 -> float32, as Keras's ``cast(cast(bias, 'bfloat16'), 'float32')``: the value and
    (as torch differentiates a cast) the gradient are both rounded to bfloat16."""

    @staticmethod
    def forward(ctx, x):
        return make(_bfloat16_round(x._data))

    @staticmethod
    def backward(ctx, upstream):
        return make(_bfloat16_round(upstream._data))


class _QDQStraightThrough(Function):
    """Forward: ``x`` quantized-dequantized to float8 e4m3fn with ``scale``; backward: the upstream gradient
    unchanged for ``x`` and, in training, the delayed-scaling values as the "gradients" of ``scale`` and
    ``history`` (variables with ``overwrite_with_gradient``: the Keras optimizer writes them, as Keras)."""

    @staticmethod
    def forward(ctx, x, scale, history, training, compute_dtype):
        ctx.update = None
        if training:
            s, h = scale._data, history._data
            ctx.update = (_q.compute_float8_scale(np.max(h, axis=0), s, np.float32(_E4M3_MAX)),
                          _q.compute_float8_amax_history(x._data, h))
        return make(_q.quantize_and_dequantize(x._data, scale._data, "float8_e4m3fn", compute_dtype)._data)

    @staticmethod
    def backward(ctx, upstream):
        new_scale, new_history = ctx.update if ctx.update is not None else (None, None)
        return upstream, new_scale, new_history, None, None


class _OutputsGradQDQ(Function):
    """Forward: identity; backward: the upstream gradient quantized-dequantized to float8 e5m2 with
    ``scale``, and the scale and history updated from it as the "gradients" of ``scale`` and ``history``."""

    @staticmethod
    def forward(ctx, x, scale, history, compute_dtype):
        ctx.vars = (scale._data.copy(), history._data.copy(), compute_dtype)
        return make(x._data.copy())

    @staticmethod
    def backward(ctx, upstream):
        s, h, compute_dtype = ctx.vars
        u = upstream._data
        qdq = _q.quantize_and_dequantize(u, s, "float8_e5m2", compute_dtype)._data
        return (make(qdq), _q.compute_float8_scale(np.max(h, axis=0), s, np.float32(_E5M2_MAX)),
                _q.compute_float8_amax_history(u, h), None)


def _float8_matmul(layer, inputs, training, product):
    from .. import backend
    training = backend.resolve_training(training, layer, False) if training is None else bool(training)
    cd = layer.compute_dtype
    x = _QDQStraightThrough.apply(inputs, layer.inputs_scale, layer.inputs_amax_history, training, cd)
    k = _QDQStraightThrough.apply(layer.kernel, layer.kernel_scale, layer.kernel_amax_history, training, cd)
    return _OutputsGradQDQ.apply(product(x, k), layer.outputs_grad_scale, layer.outputs_grad_amax_history, cd)


_EMBEDDING_SPEC = {None: ["embeddings"], "int8": ["embeddings", "embeddings_scale"],
                   "int4": ["embeddings", "embeddings_scale", "embeddings_zero", "g_idx"]}


class QuantizedEmbedding(Quantizable):
    """``Embedding`` in int8 / int4: each row quantized over its ``output_dim`` values."""

    _quantize_modes = ("int8", "int4")
    _lora_base = "embeddings"

    @property
    def variable_serialization_spec(self):
        return _EMBEDDING_SPEC

    def _lora_shapes(self, rank):
        return (self.input_dim, rank), (rank, self.output_dim)

    def _dequantized(self):
        return self._lookup(np.arange(self.input_dim))

    def _quantizable_class(self):
        from .core import Embedding
        return Embedding

    def _quantize_weights(self, mode, config, placeholder=None):
        w = _weights_of(self, "embeddings", placeholder, (self.input_dim, self.output_dim))
        if placeholder is None:
            self._drop("embeddings")
        if mode == "int8":
            quantizer = _q.QuantizationConfig.weight_quantizer_or_default(config, _q.AbsMaxQuantizer(axis=-1))
            q, scale = Q.quantize_inputs(quantizer, w, None)
            self._emit("embeddings", q)
            self._emit("embeddings_scale", np.squeeze(scale, axis=-1))
            return
        block = Q.block_size_of(self, config)
        self._int4_block_size = block
        if block is None or block == -1:
            quantizer = _q.QuantizationConfig.weight_quantizer_or_default(
                config, _q.AbsMaxQuantizer(axis=-1, value_range=(-8, 7), output_dtype="int8"))
            q, scale = Q.quantize_inputs(quantizer, w, None)
            scale, zero = np.squeeze(scale, axis=-1), None
        else:
            qt, st, zt = Q.grouped_with_zero(np.ascontiguousarray(w.T), block)
            q, scale, zero = qt.T, np.ascontiguousarray(st.T), np.ascontiguousarray(zt.T)
        self._emit("embeddings", _q.pack_int4(np.ascontiguousarray(q), axis=-1)[0]._data)
        self._emit("embeddings_scale", scale)
        if zero is not None:
            self._emit("embeddings_zero", zero)
            self._emit("g_idx", (np.arange(self.output_dim) // block).astype("float32"))

    def _quantized_call(self, idx):
        out = make(self._lookup(idx._data.astype("int64")))
        flat = idx.reshape(-1)
        return self._with_lora(out, lambda: ops.matmul(ops.index_select(self.lora_embeddings_a, 0, flat),
                                                       self.lora_embeddings_b).reshape(tuple(out.shape)))

    def _lookup(self, i):
        """The dequantized rows ``i`` of the table."""
        mode = self.quantization_mode
        table = self.embeddings._data
        if mode == "int4":
            table = _q.unpack_int4(table, self.output_dim, axis=-1)._data
        rows = np.take(table, i, axis=0).astype(self.compute_dtype)
        scale = np.take(self.embeddings_scale._data, i, axis=0)
        if mode == "int4" and self.__dict__.get("_int4_block_size") not in (None, -1):
            zero = np.take(self.embeddings_zero._data, i, axis=0)
            out = Q.dequantize_grouped(rows, scale, zero, self.g_idx._data, group_axis=-1)
        else:
            out = np.divide(rows, np.expand_dims(scale, -1))
        return out.astype(self.compute_dtype)


class QuantizedEinsumDense(Quantizable):
    """``EinsumDense`` in int8 / int4 / float8. int8: scales per kernel column (over the contracted axes),
    laid out as Keras lays them out so that they broadcast against the output. int4: the kernel reshaped
    (as stored, not transposed: Keras's layout) to ``(contracted size, other size)`` and quantized as a
    ``Dense`` kernel."""

    _quantize_modes = ("int8", "int4", "float8")
    _lora_base = "kernel"

    def _quantizable_class(self):
        from .core_more import EinsumDense
        return EinsumDense

    def _lora_shapes(self, rank):
        shape = tuple(self.__dict__.get("_original_kernel_shape") or self.kernel.shape) \
            if self.quantization_mode == "int4" else tuple(self.kernel.shape)
        return shape[:-1] + (rank,), (rank, shape[-1])

    def _dequantized(self):
        if self.quantization_mode == "int4":
            return self._int4_float_kernel()
        return np.divide(self.kernel._data.astype(self.compute_dtype),
                         _adjust_for_dequant(self.kernel_scale._data, self._quantization_info()))

    def _quantization_info(self):
        if "_qinfo" not in self.__dict__:
            self.__dict__["_qinfo"] = einsum_quantization_info(self._explicit_equation(self._input_ndim))
        return self.__dict__["_qinfo"]

    def _quantize_weights(self, mode, config, placeholder=None):
        info = self._quantization_info()
        w = _weights_of(self, "kernel", placeholder, placeholder)
        if mode == "float8":
            self._float8_variables()
            if placeholder is not None:
                self._add_weight("kernel", w.shape, self.kernel_initializer, regularizer=self.kernel_regularizer)
            return
        if placeholder is None:
            self._drop("kernel")
        if mode == "int4":
            self._int4_weights(w, config, info)
            return
        quantizer = _q.QuantizationConfig.weight_quantizer_or_default(
            config, _q.AbsMaxQuantizer(axis=tuple(info["kernel_reduced"])))
        q, scale = Q.quantize_inputs(quantizer, w, None)
        self.inputs_quantizer = _q.QuantizationConfig.activation_quantizer_or_default(config, _q.AbsMaxQuantizer())
        self._emit("kernel", q)
        self._emit("kernel_scale", _adjust_for_quant(scale, info, "kernel"))

    def _int4_weights(self, w, config, info):
        self.inputs_quantizer = _q.QuantizationConfig.activation_quantizer_or_default(config, None)
        self._original_kernel_shape = w.shape
        rows = int(np.prod([d for i, d in enumerate(w.shape) if i in info["kernel_reduced"]]))
        flat = w.reshape(rows, -1)
        block = Q.block_size_of(self, config)
        self._int4_block_size = block if block not in (None, -1) else None
        if self._int4_block_size is None:
            q, scale = Q.abs_max(flat, 0, (-8, 7))
            scale, zero = np.squeeze(scale, axis=0), None
        else:
            q, scale, zero = Q.grouped_with_zero(flat, block)
        self._emit("kernel", _q.pack_int4(q, axis=-1)[0]._data)
        self._emit("kernel_scale", scale)
        if zero is not None:
            self._emit("kernel_zero", zero)
            self._emit("g_idx", (np.arange(rows) // block).astype("float32"))
        self._int4_columns = flat.shape[1]

    def _int4_float_kernel(self):
        q = _q.unpack_int4(self.kernel._data, self._int4_columns, axis=-1)._data
        if self._int4_block_size is None:
            fk = np.divide(q.astype(self.compute_dtype), self.kernel_scale._data)
        else:
            fk = Q.dequantize_grouped(q, self.kernel_scale._data, self.kernel_zero._data, self.g_idx._data, 0)
        return fk.astype(self.compute_dtype).reshape(self._original_kernel_shape)

    def _quantized_call(self, inputs, training=None):
        info = self._quantization_info()
        eq = self._explicit_equation(inputs.ndim)

        def lora():
            return ops.matmul(ops.einsum(eq, inputs, self.lora_kernel_a), self.lora_kernel_b)

        if self.quantization_mode == "int4":
            fk = self._int4_float_kernel()
            if self.inputs_quantizer and self._int4_block_size is None:
                qx, sx = Q.quantize_inputs(self.inputs_quantizer, inputs._data, tuple(info["input_reduced"]))
                out = np.divide(np.einsum(eq, qx.astype(self.compute_dtype), fk), _adjust_for_quant(sx, info, "input"))
            else:
                out = np.einsum(eq, inputs._data, fk)
            fkt = make(fk)
            y = Q.with_input_gradient(inputs, out.astype(self.compute_dtype),
                                      lambda up: ops.einsum(info["grad_equation"], up, fkt))
            y = self._with_lora(y, lora)
            if self.bias_axes is not None:
                y = ops.add(y, self.bias)
            return self.activation(y)
        if self.quantization_mode == "float8":
            if self.lora_enabled:
                raise NotImplementedError("Currently, `_float8_call` doesn't support LoRA")
            y = _float8_matmul(self, inputs, training, lambda a, b: ops.einsum(eq, a, b))
            if self.bias_axes is not None:
                bias = _BFloat16Cast.apply(self.bias) if self.compute_dtype == "float32" else self.bias
                y = ops.add(y, bias)
            return self.activation(y)
        x, q, scale = inputs._data, self.kernel._data, self.kernel_scale._data
        float_kernel = np.divide(q.astype(self.compute_dtype), _adjust_for_dequant(scale, info))
        if self.inputs_quantizer:
            out = _scaled_matmul(x, q, scale, self.inputs_quantizer, tuple(info["input_reduced"]),
                                 lambda a, b: np.einsum(eq, a, b),
                                 adjust_input_scale=lambda s: _adjust_for_quant(s, info, "input"))
        else:   # Keras on torch: a float einsum with the dequantized kernel
            out = np.einsum(eq, x, float_kernel)
        fk = make(float_kernel)
        y = Q.with_input_gradient(inputs, out.astype(self.compute_dtype),
                                  lambda up: ops.einsum(info["grad_equation"], up, fk))
        y = self._with_lora(y, lora)
        if self.bias_axes is not None:
            y = ops.add(y, self.bias)
        return self.activation(y)


def einsum_quantization_info(equation):
    """For ``equation`` (letters only, ``"abc,cd->abd"``): which input and kernel axes are contracted, and the
    transpose / expand / squeeze steps that lay a keep-dims scale out against the output, as Keras's
    ``_analyze_quantization_info`` derives them (its bookkeeping kept step for step, so that the scales have
    Keras's shapes), plus the einsum of the inputs' gradient."""
    ins, rest = equation.split(",")
    ker, out = rest.split("->")
    info = {"grad_equation": f"{out},{ker}->{ins}"}
    index = None
    reduced = {}
    for name, spec in (("input", ins), ("kernel", ker)):
        reduced[name] = []
        for i, label in enumerate(spec):
            index = out.find(label)
            if index == -1:
                reduced[name].append(i)
    expand = {"input": [i for i, c in enumerate(out) if c not in ins],
              "kernel": [i for i, c in enumerate(out) if c not in ker]}
    transpose = {"input": [ins.find(c) for c in out if c in ins], "kernel": [ker.find(c) for c in out if c in ker]}
    squeeze = {"input": [], "kernel": []}
    for name in ("input", "kernel"):
        for axis in reduced[name]:
            if expand[name]:
                index = expand[name].pop(0)
            else:
                # Keras reuses the last position it found here; kept so the shapes agree with its files.
                squeeze[name].append(axis)
            transpose[name].insert(index, axis)
    for name in ("input", "kernel"):
        info[f"{name}_reduced"] = reduced[name]
        info[f"{name}_transpose"], info[f"{name}_expand"], info[f"{name}_squeeze"] = \
            transpose[name], expand[name], squeeze[name]
    return info


def _adjust_for_quant(scale, info, kind):
    if info[f"{kind}_transpose"]:
        scale = np.transpose(scale, info[f"{kind}_transpose"])
    if info[f"{kind}_expand"]:
        scale = np.expand_dims(scale, tuple(info[f"{kind}_expand"]))
    if info[f"{kind}_squeeze"]:
        scale = np.squeeze(scale, tuple(info[f"{kind}_squeeze"]))
    return scale


def _adjust_for_dequant(scale, info):
    if info["kernel_squeeze"]:
        scale = np.expand_dims(scale, tuple(info["kernel_squeeze"]))
    if info["kernel_expand"]:
        scale = np.squeeze(scale, tuple(info["kernel_expand"]))
    if info["kernel_transpose"]:
        scale = np.transpose(scale, np.argsort(info["kernel_transpose"]))
    return scale
