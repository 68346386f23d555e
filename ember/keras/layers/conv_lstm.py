"""Convolutional LSTMs (Shi et al., 2015): ``ConvLSTM1D``, ``ConvLSTM2D``, ``ConvLSTM3D``.

Inputs are sequences of channels-last frames ``(batch, time, *spatial, channels)``. Each step
is an LSTM whose matrix products are convolutions::

    z = conv(x_t, kernel, strides, padding, dilation) + bias + conv_same(h, recurrent_kernel)
    i, f, c~, o = split(z, 4)   (gates in Keras's order i, f, c, o along the channels)
    c' = sigmoid(f) c + sigmoid(i) tanh(c~)      h' = sigmoid(o) tanh(c')

Weights (of ``layer.cell``): ``kernel`` ``(*k, in, 4 filters)``, ``recurrent_kernel``
``(*k, filters, 4 filters)``, ``bias`` ``(4 filters,)`` (forget gate started at 1 with
``unit_forget_bias``). The input convolution of the whole sequence is one call (time folded
into the batch); the recurrent one runs per step with 'same' padding and stride 1.

>>> import ember
>>> from ember import keras
>>> keras.layers.ConvLSTM2D(4, 3, padding="same")(ember.ones(2, 5, 6, 6, 1)).shape
ember.Size([2, 6, 6, 4])
"""
import numpy as np

from ...autograd import ops
from ...autograd.tensor import make
from ...random import rand
from .. import activations as _act
from .. import backend
from .. import constraints as _con
from .. import initializers as _init
from .. import ops as kops
from .. import regularizers as _reg
from . import _conv_nd
from .convolutional import _tuple
from .core import _common
from .layer import Layer
from .rnn import _state_dtype


class _ForgetBiasOnes:
    def __init__(self, filters, base):
        self.filters, self.base = filters, base

    def __call__(self, shape, dtype=None):
        f = self.filters
        parts = [self.base((f,), dtype)._data, np.ones((f,), np.dtype(dtype or backend.floatx())),
                 self.base((2 * f,), dtype)._data]
        return make(np.concatenate(parts))


class ConvLSTMCell(Layer):
    """One step of a convolutional LSTM of rank ``rank`` (1, 2 or 3); ``call(inputs, states)`` with
    ``states = [h, c]``, channels-last."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", unit_forget_bias=True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.rank, self.filters = int(rank), int(filters)
        self.kernel_size = _tuple(kernel_size, self.rank, "kernel_size")
        self.strides = _tuple(strides, self.rank, "strides")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"The `padding` argument must be 'valid' or 'same'. Received: padding={padding}")
        self.data_format = backend.standardize_data_format(data_format)
        self.dilation_rate = _tuple(dilation_rate, self.rank, "dilation_rate")
        self.activation = _act.get(activation)
        self.recurrent_activation = _act.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = bool(use_bias), bool(unit_forget_bias)
        self.kernel_initializer = _init.get(kernel_initializer)
        self.recurrent_initializer = _init.get(recurrent_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.recurrent_regularizer = _reg.get(recurrent_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.kernel_constraint = _con.get(kernel_constraint)
        self.recurrent_constraint = _con.get(recurrent_constraint)
        self.bias_constraint = _con.get(bias_constraint)
        self.dropout, self.recurrent_dropout, self.seed = float(dropout), float(recurrent_dropout), seed

    def build(self, input_shape):
        """``input_shape`` is one frame's, channels-last: ``(batch, *spatial, channels)``."""
        c = input_shape[-1]
        if c is None:
            raise ValueError(f"{type(self).__name__}: the channel dimension of the inputs must be known, got input "
                             f"shape {input_shape}")
        f4 = 4 * self.filters
        self._add_weight("kernel", self.kernel_size + (c, f4), self.kernel_initializer,
                         regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self._add_weight("recurrent_kernel", self.kernel_size + (self.filters, f4), self.recurrent_initializer,
                         regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        if self.use_bias:
            init = _ForgetBiasOnes(self.filters, self.bias_initializer) if self.unit_forget_bias \
                else self.bias_initializer
            self._add_weight("bias", (f4,), init, regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    @property
    def state_size(self):
        return [self.filters, self.filters]

    def input_conv(self, x):
        return _conv_nd.conv(x, self.kernel, self.bias if self.use_bias else None, self.strides, self.padding,
                             self.dilation_rate)

    def step(self, xz, states):
        """One step from the input convolution ``xz`` of the frame and ``states = [h, c]``."""
        h, c = states
        z = ops.add(xz, _conv_nd.conv(h, self.recurrent_kernel, None, 1, "same", 1))
        F = self.filters
        i = self.recurrent_activation(z[..., :F])
        f = self.recurrent_activation(z[..., F:2 * F])
        g = self.activation(z[..., 2 * F:3 * F])
        o = self.recurrent_activation(z[..., 3 * F:])
        c = ops.add(ops.mul(f, c), ops.mul(i, g))
        h = ops.mul(o, self.activation(c))
        return h, [h, c]

    def call(self, inputs, states, training=None):
        return self.step(self.input_conv(inputs), list(states))

    def output_spatial(self, spatial):
        return tuple(kops.conv_output_length(s, k, self.padding, st, d) for s, k, st, d in
                     zip(spatial, self.kernel_size, self.strides, self.dilation_rate))

    def get_config(self):
        config = super().get_config()
        config.update(rank=self.rank, filters=self.filters, kernel_size=list(self.kernel_size),
                      strides=list(self.strides), padding=self.padding, data_format=self.data_format,
                      dilation_rate=list(self.dilation_rate), unit_forget_bias=self.unit_forget_bias,
                      dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed)
        return _common(config, self, "activation", "recurrent_activation", "use_bias", "kernel_initializer",
                       "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
                       "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint")


_LAYER_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "name", "trainable",
               "dtype", "input_shape", "batch_input_shape", "batch_size", "weights")


class _ConvLSTM(Layer):
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 zero_output_for_mask=False, activity_regularizer=None, **kwargs):
        base = {k: kwargs.pop(k) for k in list(kwargs) if k in _LAYER_ARGS}
        super().__init__(**base)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.activity_regularizer = _reg.get(activity_regularizer)
        self.cell = ConvLSTMCell(self.rank, filters, kernel_size, strides, padding, data_format, dilation_rate,
                                 name="conv_lstm_cell", **kwargs)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), bool(stateful), bool(unroll)
        self.__dict__["_states"] = None

    @property
    def data_format(self):
        return self.cell.data_format

    def _frame_shape(self, input_shape):
        """A channels-last frame's shape ``(batch, *spatial, channels)`` from the sequence's shape."""
        rest = tuple(input_shape[2:])
        if self.data_format == "channels_first":
            rest = rest[1:] + rest[:1]
        return (input_shape[0],) + rest

    def build(self, input_shape):
        if len(input_shape) != self.rank + 3:
            raise ValueError(f"{type(self).__name__} layer {self.name} expects inputs of rank {self.rank + 3} "
                             f"(batch, time, *spatial, channels), got shape {input_shape}")
        self.cell._maybe_build(self._frame_shape(input_shape))

    def call(self, inputs, initial_state=None, mask=None, training=None):
        cell = self.cell
        if inputs.ndim != self.rank + 3:
            raise ValueError(f"{type(self).__name__} layer {self.name} expects inputs of rank {self.rank + 3} "
                             f"(batch, time, *spatial, channels), got shape {tuple(inputs.shape)}")
        x = inputs.movedim(2, -1) if self.data_format == "channels_first" else inputs
        N, T = x.shape[0], x.shape[1]
        frame = tuple(x.shape[2:])
        if training and 0 < cell.dropout < 1:
            keep = (rand(N, 1, *frame, dtype=x.dtype) >= cell.dropout).to(x.dtype) * (1 / (1 - cell.dropout))
            x = ops.mul(x, keep)
        xz = cell.input_conv(x.reshape((N * T,) + frame))
        xz = xz.reshape((N, T) + tuple(xz.shape[1:]))
        state_shape = (N,) + tuple(xz.shape[2:-1]) + (cell.filters,)
        if initial_state is not None:
            states = list(initial_state)
            if self.data_format == "channels_first":
                states = [s.movedim(1, -1) for s in states]
        elif self.stateful and self._states is not None:
            states = list(self._states)
        else:
            states = [make(np.zeros(state_shape, _state_dtype(self))) for _ in range(2)]
        rec_keep = None
        if training and 0 < cell.recurrent_dropout < 1:
            rec_keep = (rand(*state_shape, dtype=x.dtype) >= cell.recurrent_dropout).to(x.dtype) \
                * (1 / (1 - cell.recurrent_dropout))
        if mask is not None:
            mask = np.asarray(mask._data if hasattr(mask, "_data") else mask, bool)
        outputs, out = [], None
        for t in (range(T - 1, -1, -1) if self.go_backwards else range(T)):
            prev = states if rec_keep is None else [ops.mul(states[0], rec_keep), states[1]]
            h, new = cell.step(xz[:, t], prev)
            if mask is not None:
                m = make(mask[:, t].reshape((N,) + (1,) * (h.ndim - 1)))
                new = [ops.where(m, a, b) for a, b in zip(new, states)]
                h = ops.where(m, h, ops.mul(h, 0.0) if out is None or self.zero_output_for_mask else out)
                out = h
            states = new
            outputs.append(h)
        output = ops.stack(outputs, 1) if self.return_sequences else outputs[-1]
        if self.activity_regularizer is not None:
            self.add_loss(ops.div(self.activity_regularizer(output), N))
        if self.stateful:
            self.__dict__["_states"] = [make(np.array(s._data, copy=True)) for s in states]
        if self.data_format == "channels_first":
            output = output.movedim(-1, 2 if self.return_sequences else 1)
            states = [s.movedim(-1, 1) for s in states]
        if self.return_state:
            return [output] + list(states)
        return output

    def reset_states(self, states=None):
        self.__dict__["_states"] = None if states is None else [make(np.asarray(getattr(s, "_data", s)))
                                                                 for s in states]

    reset_state = reset_states

    def compute_mask(self, inputs, mask=None):
        if mask is None or not self.return_sequences:
            return None
        return mask

    def compute_output_shape(self, input_shape):
        frame = self._frame_shape(input_shape)
        spatial = self.cell.output_spatial(frame[1:-1])
        if self.data_format == "channels_first":
            state = (input_shape[0], self.cell.filters) + spatial
        else:
            state = (input_shape[0],) + spatial + (self.cell.filters,)
        out = state[:1] + (input_shape[1],) + state[1:] if self.return_sequences else state
        return [out, state, state] if self.return_state else out

    def get_config(self):
        config = super().get_config()
        cell = self.cell.get_config()
        for k in ("name", "trainable", "dtype", "rank"):
            cell.pop(k, None)
        config.update(cell)
        config.update(return_sequences=self.return_sequences, return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=self.stateful, unroll=self.unroll,
                      zero_output_for_mask=self.zero_output_for_mask,
                      activity_regularizer=_reg.serialize(self.activity_regularizer))
        return config


class ConvLSTM1D(_ConvLSTM):
    """Convolutional LSTM over sequences of ``(steps, channels)`` frames: ``(N, T, steps, channels)``."""

    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """Convolutional LSTM over sequences of images ``(N, T, H, W, C)``."""

    rank = 2


class ConvLSTM3D(_ConvLSTM):
    """Convolutional LSTM over sequences of volumes ``(N, T, D, H, W, C)``."""

    rank = 3
