"""Recurrent layers in Keras's layout: ``SimpleRNN``, ``LSTM``, ``GRU`` (each a ``RNN`` over its cell).

Inputs are ``(batch, timesteps, features)``. Each cell holds ``kernel`` ``(features, k * units)``,
``recurrent_kernel`` ``(units, k * units)`` and ``bias``; the input projection of the
whole sequence is one matrix product before the time loop.

* ``LSTM`` (k = 4, gates in Keras's order i, f, c, o — the same order as PyTorch's i, f, g, o)::

      i = σ(x Wi + h Ui + bi)   f = σ(x Wf + h Uf + bf)   c̃ = tanh(x Wc + h Uc + bc)
      o = σ(x Wo + h Uo + bo)   c' = f c + i c̃            h' = o tanh(c')

  ``unit_forget_bias=True`` starts ``bf`` at 1.
* ``GRU`` (k = 3, gates z, r, h; PyTorch's order is r, z, n), ``reset_after=True`` by default with
  ``bias`` ``(2, 3 * units)`` (input and recurrent biases)::

      z = σ(x Wz + bz + h Uz + b'z)   r = σ(x Wr + br + h Ur + b'r)
      h̃ = tanh(x Wh + bh + r (h Uh + b'h))   h' = z h + (1 - z) h̃

  With ``reset_after=False``: ``h̃ = tanh(x Wh + (r h) Uh + bh)`` and ``bias`` ``(3 * units,)``.
* ``SimpleRNN``: ``h' = tanh(x W + h U + b)``.

>>> import ember
>>> from ember import keras
>>> keras.layers.LSTM(8)(ember.ones(2, 5, 3)).shape
ember.Size([2, 8])
"""
import numpy as np

from ...autograd import ops
from ...autograd.tensor import make
from ...random import rand
from .. import activations as _act
from .. import backend
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from ..autocast import ember_dtype
from .core import _common
from .layer import Layer
from ..saving import serialization_lib as saving_registry


def _state_dtype(layer):
    """The NumPy dtype of the states a recurrent layer starts from: its compute dtype (float16 under
    'mixed_float16', as Keras's zero states)."""
    return ember_dtype(layer.compute_dtype).numpy


class _Cell(Layer):
    gates = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = _act.get(activation)
        self.recurrent_activation = _act.get(recurrent_activation)
        self.use_bias = use_bias
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

    @property
    def state_size(self):
        return [self.units]

    def build(self, input_shape):
        k = self.gates * self.units
        self._add_weight("kernel", (input_shape[-1], k), self.kernel_initializer, regularizer=self.kernel_regularizer,
                         constraint=self.kernel_constraint)
        self._add_weight("recurrent_kernel", (self.units, k), self.recurrent_initializer,
                         regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        if self.use_bias:
            self._add_weight("bias", self._bias_shape(), self._bias_init(), regularizer=self.bias_regularizer,
                             constraint=self.bias_constraint)

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def call(self, inputs, states, training=None):
        """One step, as a Keras cell: ``(output, new_states)`` for inputs ``(batch, features)``."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        return self.step(self.input_projection(inputs), states)

    def input_projection(self, x):
        """``x W (+ b)`` for a whole (N, T, F) sequence."""
        y = ops.matmul(x, self.kernel)
        if self.use_bias:
            b = self.bias if self.bias.ndim == 1 else self.bias[0]
            y = ops.add(y, b)
        return y

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        config = _common(config, self, "activation", "recurrent_activation", "use_bias", "kernel_initializer",
                         "recurrent_initializer", "bias_initializer", "kernel_regularizer",
                         "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
                         "bias_constraint")
        config.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed)
        return config


class SimpleRNNCell(_Cell):
    gates = 1

    def __init__(self, units, activation="tanh", **kwargs):
        kwargs.pop("recurrent_activation", None)
        super().__init__(units, activation=activation, **kwargs)

    def step(self, xw_t, states):
        h = self.activation(ops.add(xw_t, ops.matmul(states[0], self.recurrent_kernel)))
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config.pop("recurrent_activation")
        return config


class _UnitForgetBias:
    def __init__(self, units, base):
        self.units, self.base = units, base

    def __call__(self, shape, dtype=None):
        u = self.units
        b = self.base((u,), dtype)._data
        return make(np.concatenate([b, np.ones((u,), b.dtype), self.base((2 * u,), dtype)._data]))


class LSTMCell(_Cell):
    gates = 4

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_init(self):
        return _UnitForgetBias(self.units, self.bias_initializer) if self.unit_forget_bias else self.bias_initializer

    def step(self, xw_t, states):
        h, c = states
        z = ops.add(xw_t, ops.matmul(h, self.recurrent_kernel))
        u = self.units
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        g = self.activation(z[:, 2 * u:3 * u])
        o = self.recurrent_activation(z[:, 3 * u:])
        c = ops.add(ops.mul(f, c), ops.mul(i, g))
        h = ops.mul(o, self.activation(c))
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class GRUCell(_Cell):
    gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def step(self, xw_t, states):
        h = states[0]
        u = self.units
        if self.reset_after:
            hu = ops.matmul(h, self.recurrent_kernel)
            if self.use_bias:
                hu = ops.add(hu, self.bias[1])
            z = self.recurrent_activation(ops.add(xw_t[:, :u], hu[:, :u]))
            r = self.recurrent_activation(ops.add(xw_t[:, u:2 * u], hu[:, u:2 * u]))
            hh = self.activation(ops.add(xw_t[:, 2 * u:], ops.mul(r, hu[:, 2 * u:])))
        else:
            U = self.recurrent_kernel
            hu = ops.matmul(h, U[:, :2 * u])
            z = self.recurrent_activation(ops.add(xw_t[:, :u], hu[:, :u]))
            r = self.recurrent_activation(ops.add(xw_t[:, u:2 * u], hu[:, u:]))
            hh = self.activation(ops.add(xw_t[:, 2 * u:], ops.matmul(ops.mul(r, h), U[:, 2 * u:])))
        h = ops.add(ops.mul(z, h), ops.mul(ops.rsub(z, 1.0), hh))
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config


def _state_sizes(cell):
    size = cell.state_size
    return [int(v) for v in size] if isinstance(size, (list, tuple)) else [int(size)]


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    return int(size) if size is not None else _state_sizes(cell)[0]


class RNN(Layer):
    """Runs a recurrent ``cell`` over the time axis of ``(batch, timesteps, features)`` inputs.

    Args:
        return_sequences (bool): return every step's output ``(N, T, units)`` instead of the last ``(N, units)``.
        return_state (bool): also return the final states (``[output, h]``, LSTM ``[output, h, c]``).
        go_backwards (bool): process the sequence in reverse (the output sequence is reversed too).
        stateful (bool): the final states of a call start the next call (same batch size) until
            ``reset_states()``. unroll: accepted (the time loop is always unrolled).

    ``call(inputs, initial_state=None, mask=None, training=None)``: an ``Embedding(mask_zero=True)``
    mask (or ``mask=``) makes padded steps keep the previous output and state.
    """

    supports_masking = True  # as Keras; the output keeps the mask only with return_sequences (compute_mask)

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            from .rnn_cells import StackedRNNCells
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "state_size"):
            raise ValueError(f"RNN: the cell must have a `state_size` attribute and a `call(inputs, states)` method. "
                             f"Received: cell={cell!r}")
        self.cell = cell
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), bool(stateful), bool(unroll)
        self.__dict__["_states"] = None
        self.zero_output_for_mask = bool(zero_output_for_mask)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} layer {self.name}: the feature dimension of the inputs must be "
                             f"known, got input shape {input_shape}")
        if isinstance(self.cell, _Cell):
            self.cell._maybe_build(input_shape)
        else:
            self.cell._maybe_build((input_shape[0],) + tuple(input_shape[2:]))  # a cell sees one step

    def call(self, inputs, initial_state=None, mask=None, training=None):
        if inputs.ndim != 3:
            raise ValueError(f"{type(self).__name__} layer {self.name} expects inputs of shape (batch, timesteps, "
                             f"features), got shape {tuple(inputs.shape)}")
        cell = self.cell
        N, T = inputs.shape[0], inputs.shape[1]
        if mask is None:
            mask = getattr(inputs, "_keras_mask", None)
        if mask is not None:
            mask = np.asarray(mask._data if hasattr(mask, "_data") else mask, bool)
        x = inputs
        fast = isinstance(cell, _Cell)
        if fast and training and 0 < cell.dropout < 1:
            keep = (rand(N, 1, x.shape[2], dtype=x.dtype) >= cell.dropout).to(x.dtype) * (1 / (1 - cell.dropout))
            x = ops.mul(x, keep)
        if fast:
            xw = cell.input_projection(x)

            def step(t, prev):
                return cell.step(xw[:, t], prev)
        else:
            def step(t, prev):
                out_t, new = cell(x[:, t], prev, training=training)
                return out_t, list(new) if isinstance(new, (list, tuple)) else [new]
        if initial_state is None and self.stateful and self._states is not None:
            if self._states[0].shape[0] != N:
                raise ValueError(f"{type(self).__name__} layer {self.name} is stateful with batch size "
                                 f"{self._states[0].shape[0]}, got a batch of {N}; call reset_states() first")
            states = list(self._states)
        elif initial_state is None:
            states = [make(np.zeros((N, s), _state_dtype(self))) for s in _state_sizes(cell)]
        else:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        rec_keep = None
        if fast and training and 0 < cell.recurrent_dropout < 1:
            rec_keep = (rand(N, cell.units, dtype=x.dtype) >= cell.recurrent_dropout).to(x.dtype) \
                * (1 / (1 - cell.recurrent_dropout))
        steps = range(T - 1, -1, -1) if self.go_backwards else range(T)
        outputs = []
        out = make(np.zeros((N, _output_size(cell)), _state_dtype(self))) if mask is not None else None
        for t in steps:
            prev = states
            if rec_keep is not None:
                prev = [ops.mul(prev[0], rec_keep)] + list(prev[1:])
            h, new_states = step(t, prev)
            if mask is not None:
                m = make(mask[:, t:t + 1])
                new_states = [ops.where(m, s_new, s_old) for s_new, s_old in zip(new_states, states)]
                h = ops.where(m, h, out if not self.zero_output_for_mask else ops.mul(h, 0.0))
                out = h
            states = new_states
            if self.return_sequences:
                outputs.append(h)
        if self.return_sequences:
            output = ops.stack(outputs, 1)
        else:
            output = h if T else states[0]
        if self.stateful:
            # The final states start the next call (values only: no gradient flows across calls).
            self.__dict__["_states"] = [make(np.array(s._data, copy=True)) for s in states]
        result = [output] + list(states) if self.return_state else output
        regularizer = self.__dict__.get("activity_regularizer")
        if regularizer is not None:   # as Keras: on every output, divided by the batch size
            for o in result if isinstance(result, list) else [result]:
                self.add_loss(ops.div(regularizer(o), o.shape[0]))
        return result

    @property
    def states(self):
        return self._states

    def reset_states(self, states=None):
        """Forget the states a stateful layer carries between calls (or set them to ``states``)."""
        if states is None:
            self.__dict__["_states"] = None
        else:
            states = states if isinstance(states, (list, tuple)) else [states]
            self.__dict__["_states"] = [make(np.array(getattr(s, "_data", s), dtype=_state_dtype(self)))
                                        for s in states]

    reset_state = reset_states

    def compute_mask(self, inputs, mask=None):
        if mask is None or not self.return_sequences:
            return None
        m = mask[0] if isinstance(mask, (list, tuple)) else mask
        return np.asarray(m._data if hasattr(m, "_data") else m, bool)

    def compute_output_shape(self, input_shape):
        N, T = input_shape[0], input_shape[1]
        units = _output_size(self.cell)
        out = (N, T, units) if self.return_sequences else (N, units)
        if self.return_state:
            return [out] + [(N, s) for s in _state_sizes(self.cell)]
        return out

    def get_config(self):
        config = super().get_config()
        config.update(return_sequences=self.return_sequences, return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=self.stateful, unroll=self.unroll,
                      zero_output_for_mask=self.zero_output_for_mask)
        if type(self) is RNN:
            config["cell"] = saving_registry.serialize_keras_object(self.cell)
        return config

    @classmethod
    def from_config(cls, config):
        if cls is RNN:
            config = dict(config)
            config["cell"] = saving_registry.deserialize_keras_object(config["cell"])
        return cls(**config)

    @property
    def units(self):
        return _output_size(self.cell)

    @property
    def state_size(self):
        return _state_sizes(self.cell)


_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask",
             "name", "trainable", "dtype", "input_shape", "batch_input_shape", "batch_size", "input_dim",
             "input_length", "weights")


def _split(kwargs):
    rnn = {k: kwargs.pop(k) for k in list(kwargs) if k in _RNN_ARGS}
    if "input_length" in rnn:
        length = rnn.pop("input_length")
        if "input_dim" in rnn:
            rnn["batch_input_shape"] = (None, length, rnn.pop("input_dim"))
    return rnn


class _Wrapped(RNN):
    cell_class = None

    def __init__(self, units, **kwargs):
        rnn_kwargs = _split(kwargs)
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        kwargs.pop("use_cudnn", None)
        # Keras names the cell after its class ('lstm_cell'), so its weights' paths are 'lstm/lstm_cell/kernel'.
        cell = self.cell_class(units, name=backend.to_snake_case(self.cell_class.__name__), **kwargs)
        super().__init__(cell, **rnn_kwargs)
        self.activity_regularizer = _reg.get(activity_regularizer)

    def get_config(self):
        config = super().get_config()
        cell_config = self.cell.get_config()
        for k in ("name", "trainable", "dtype"):
            cell_config.pop(k, None)
        config.update(cell_config)
        config["activity_regularizer"] = _reg.serialize(self.activity_regularizer)
        return config


class SimpleRNN(_Wrapped):
    """Fully connected recurrence ``h' = tanh(x W + h U + b)``; weights ``kernel`` ``(F, units)``,
    ``recurrent_kernel`` ``(units, units)``, ``bias`` ``(units,)``."""

    cell_class = SimpleRNNCell

    def get_config(self):
        config = super().get_config()
        config.pop("seed", None)   # Keras's SimpleRNN layer writes no seed (its cell does)
        return config


class LSTM(_Wrapped):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), Keras's defaults: ``activation='tanh'``,
    ``recurrent_activation='sigmoid'``, ``recurrent_initializer='orthogonal'``, ``unit_forget_bias=True``.

    Weights: ``kernel`` ``(F, 4 units)``, ``recurrent_kernel`` ``(units, 4 units)``, ``bias`` ``(4 units,)``,
    gates ordered i, f, c, o.
    """

    cell_class = LSTMCell


class GRU(_Wrapped):
    """Gated recurrent unit, Keras's defaults (``reset_after=True``).

    Weights: ``kernel`` ``(F, 3 units)``, ``recurrent_kernel`` ``(units, 3 units)``, ``bias`` ``(2, 3 units)``,
    gates ordered z, r, h.
    """

    cell_class = GRUCell
