"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their one-step cells, with PyTorch's weights.

Each layer and direction runs as one fused node
(:func:`ember.functional.recurrent.rnn_layer`): the input projection of all steps
is one matmul, each step one matmul with ``W_hh`` plus in-place gate arithmetic,
and backward-through-time is written by hand. Weights are named and laid out as
PyTorch's (``weight_ih_l0``, ``weight_hh_l0_reverse``, gate order i, f, g, o for
LSTM and r, z, n for GRU), so ``load_state_dict`` of a PyTorch model works.
Gradients are first order (no double backward through the recurrence).

>>> import ember
>>> from ember import nn
>>> lstm = nn.LSTM(input_size=10, hidden_size=20, num_layers=2)
>>> x = ember.randn(5, 3, 10)                     # (seq, batch, feature)
>>> output, (h_n, c_n) = lstm(x)
>>> tuple(output.shape), tuple(h_n.shape), tuple(c_n.shape)
((5, 3, 20), (2, 3, 20), (2, 3, 20))
"""
import math
import numbers
import warnings

from ... import creation
from ...autograd.ops import cat, stack, transpose, unsqueeze, squeeze, index_select, select
from ...autograd.tensor import Tensor
from ...functional.recurrent import rnn_layer
from .. import init
from ..module import Module, input_error
from ..parameter import Parameter
from ..utils.rnn import PackedSequence

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """The shared machinery of :class:`RNN`, :class:`LSTM` and :class:`GRU` (see those for the math).

    Args:
        mode: ``'LSTM'``, ``'GRU'``, ``'RNN_TANH'`` or ``'RNN_RELU'``.
        input_size: features of each input step.
        hidden_size: features of the hidden state.
        num_layers: stacked layers; layer ``k > 0`` reads layer ``k - 1``'s output (default 1).
        bias: learn ``b_ih`` and ``b_hh`` (default True).
        batch_first: input and output are ``(batch, seq, feature)`` instead of ``(seq, batch, feature)``.
        dropout: dropout probability on the output of every layer but the last (training only).
        bidirectional: also run each layer from the last step to the first; outputs are concatenated.
        proj_size: (LSTM) project the hidden state to this size with ``weight_hr`` (0 = no projection).

    Init (as PyTorch): every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"hidden_size must be a positive integer, got {hidden_size!r}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_in = input_size if layer == 0 else real_hidden * num_directions
                sfx = "_reverse" if direction == 1 else ""
                params = [("weight_ih", (gate_size, layer_in)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    params += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    params.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in params:
                    name = f"{base}_l{layer}{sfx}"
                    setattr(self, name, Parameter(creation.empty(shape, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self):
        """Accepted for portability (ember's weights need no flattening)."""

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- forward ------------------------------------------------------------------------------------
    def _state_shape(self, batch):
        D = 2 if self.bidirectional else 1
        out = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * D, batch, out), (self.num_layers * D, batch, self.hidden_size)

    def _check_state(self, t, expected, what):
        if t is None:
            return
        if not isinstance(t, Tensor):
            raise TypeError(f"{self._get_name()}: {what} must be a Tensor, got {type(t).__name__}")
        if tuple(t._data.shape) != expected:
            raise input_error(self, f"Expected {what} size {expected}, got {list(t._data.shape)}")

    def forward(self, input, hx=None):
        lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        if packed:
            x, batch_sizes, sorted_indices, unsorted_indices = input
            bs_np = batch_sizes._data
            batch = int(bs_np[0]) if len(bs_np) else 0
            batched = True
            if x._data.ndim != 2 or x._data.shape[-1] != self.input_size:
                raise input_error(self, f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                                        f"got packed data of shape {tuple(x.shape)}")
        else:
            x, bs_np, sorted_indices, unsorted_indices = input, None, None, None
            if not isinstance(x, Tensor):
                raise TypeError(f"{self._get_name()}: expected a Tensor or PackedSequence input, got "
                                f"{type(x).__name__}")
            nd = x._data.ndim
            if nd not in (2, 3):
                raise input_error(self, f"Expected input to be 2D or 3D (seq, feature) / "
                                        f"{'(batch, seq, feature)' if self.batch_first else '(seq, batch, feature)'}"
                                        f", got {nd}D input of shape {tuple(x.shape)}")
            if x._data.shape[-1] != self.input_size:
                raise input_error(self, f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                                        f"got {x._data.shape[-1]} (input of shape {tuple(x.shape)})")
            batched = nd == 3
            if not batched:
                x = unsqueeze(x, 1)
            elif self.batch_first:
                x = transpose(x, 0, 1)
            batch = x._data.shape[1]
        h0 = c0 = None
        if hx is not None:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{self._get_name()}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
                h0, c0 = hx
            else:
                if isinstance(hx, (tuple, list)):
                    raise TypeError(f"{self._get_name()}: hx must be a Tensor, got a {type(hx).__name__}")
                h0 = hx
            want = 2 if not batched else 3
            for t, what in ((h0, "hx"), (c0, "cx")):
                if t is not None and t._data.ndim != want:
                    raise input_error(self, f"For {'un' if not batched else ''}batched "
                                            f"{2 if not batched else 3}-D input, {what} should also be {want}-D "
                                            f"but got {t._data.ndim}-D tensor")
            if not batched:
                h0 = unsqueeze(h0, 1)
                c0 = unsqueeze(c0, 1) if c0 is not None else None
            hshape, cshape = self._state_shape(batch)
            self._check_state(h0, hshape, "hidden")
            if lstm:
                self._check_state(c0, cshape, "cell")
            if sorted_indices is not None:
                h0 = index_select(h0, 1, sorted_indices)
                c0 = index_select(c0, 1, sorted_indices) if c0 is not None else None
        w = self._flat_weights
        per = len(w) // (self.num_layers * (2 if self.bidirectional else 1))
        D = 2 if self.bidirectional else 1
        hs, cs = [], []
        layer_in = x
        dropout_fn = None
        if self.dropout > 0 and self.training and self.num_layers > 1:
            from ...functional.dropout import dropout as dropout_fn
        k = 0
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                ws = w[k * per:(k + 1) * per]
                w_ih, w_hh = ws[0], ws[1]
                b_ih, b_hh = (ws[2], ws[3]) if self.bias else (None, None)
                w_hr = ws[-1] if self.proj_size > 0 else None
                hk = select(h0, 0, k) if h0 is not None else None
                ck = select(c0, 0, k) if c0 is not None else None
                o, h, c = rnn_layer(self.mode, layer_in, hk, ck, w_ih, w_hh, b_ih, b_hh, w_hr, reverse=d == 1,
                                    batch_sizes=bs_np)
                outs.append(o)
                hs.append(h)
                cs.append(c)
                k += 1
            layer_in = outs[0] if D == 1 else cat(outs, -1)
            if dropout_fn is not None and layer < self.num_layers - 1:
                layer_in = dropout_fn(layer_in, self.dropout, True)
        out = layer_in
        h_n = stack(hs, 0)
        c_n = stack(cs, 0) if lstm else None
        if packed:
            if unsorted_indices is not None:
                h_n = index_select(h_n, 1, unsorted_indices)
                c_n = index_select(c_n, 1, unsorted_indices) if lstm else None
            out = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
        elif not batched:
            out = squeeze(out, 1)
            h_n = squeeze(h_n, 1)
            c_n = squeeze(c_n, 1) if lstm else None
        elif self.batch_first:
            out = transpose(out, 0, 1)
        return (out, (h_n, c_n)) if lstm else (out, h_n)


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` with ``act`` = tanh or relu.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: see :class:`RNNBase`.
        nonlinearity: ``'tanh'`` (default) or ``'relu'``.

    Shape:
        input ``(L, N, H_in)`` (``(N, L, H_in)`` with batch_first), ``(L, H_in)`` unbatched, or a
        :class:`~ember.nn.utils.rnn.PackedSequence`; h_0 ``(D * num_layers, N, H)`` (optional, zeros).
        Returns ``(output, h_n)``: output ``(L, N, D * H)``, h_n ``(D * num_layers, N, H)``.

    >>> import ember
    >>> rnn = ember.nn.RNN(4, 8, nonlinearity="relu", batch_first=True)
    >>> out, h = rnn(ember.randn(2, 6, 4))
    >>> tuple(out.shape), tuple(h.shape)
    ((2, 6, 8), (1, 2, 8))
    """

    def __init__(self, *args, **kwargs):
        args = list(args)
        if len(args) > 3:       # PyTorch's positional order: (input_size, hidden_size, num_layers, nonlinearity, ...)
            nonlinearity = args.pop(3)
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory.

    Per step, with ``s`` the sigmoid::

        i = s(W_ii x + b_ii + W_hi h + b_hi)      f = s(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = s(W_io x + b_io + W_ho h + b_ho)
        c' = f * c + i * g                         h' = o * tanh(c')   (then h' = W_hr h' if proj_size > 0)

    ``weight_ih_l{k}`` stacks (W_ii | W_if | W_ig | W_io): ``(4 * hidden_size, input)``.

    Args: as :class:`RNNBase`, plus ``proj_size``.

    Shape:
        input ``(L, N, H_in)`` (``(N, L, H_in)`` with batch_first), ``(L, H_in)`` unbatched, or packed;
        ``hx = (h_0, c_0)`` with h_0 ``(D * num_layers, N, H_out)`` and c_0 ``(D * num_layers, N, H_cell)``
        (optional, zeros). Returns ``(output, (h_n, c_n))``, output ``(L, N, D * H_out)``.
        ``H_out = proj_size`` if it is > 0, else ``hidden_size``.

    >>> import ember
    >>> lstm = ember.nn.LSTM(3, 6, proj_size=2, bidirectional=True)
    >>> out, (h, c) = lstm(ember.randn(4, 5, 3))
    >>> tuple(out.shape), tuple(h.shape), tuple(c.shape)
    ((4, 5, 4), (2, 5, 2), (2, 5, 6))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit.

    Per step::

        r = s(W_ir x + b_ir + W_hr h + b_hr)      z = s(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    Args and shapes: as :class:`RNN` (no ``nonlinearity``).

    >>> import ember
    >>> gru = ember.nn.GRU(3, 6, num_layers=2)
    >>> out, h = gru(ember.randn(4, 3))               # unbatched
    >>> tuple(out.shape), tuple(h.shape)
    ((4, 6), (2, 6))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# -- cells ------------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """One step of a recurrent layer: ``weight_ih`` ``(gates * hidden, input)``, ``weight_hh``,
    ``bias_ih``, ``bias_hh``; init U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    _mode = None

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(creation.empty((num_chunks * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(creation.empty((num_chunks * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, input, hx, cx):
        x = input._data
        if x.ndim not in (1, 2):
            raise input_error(self, f"Expected input to be 1D or 2D, got {x.ndim}D input of shape {tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            raise input_error(self, f"input has inconsistent input_size: got {x.shape[-1]} expected "
                                    f"{self.input_size} (input of shape {tuple(x.shape)})")
        batched = x.ndim == 2
        if not batched:
            input = unsqueeze(input, 0)
        batch = input._data.shape[0]
        states = []
        for t, what in ((hx, "hx"), (cx, "cx")):
            if t is not None:
                if t._data.ndim != x.ndim:
                    raise input_error(self, f"{'Batched' if batched else 'Unbatched'} input of shape "
                                            f"{tuple(x.shape)} expects {what} to be {x.ndim}-D, got "
                                            f"{t._data.ndim}-D of shape {tuple(t.shape)}")
                if not batched:
                    t = unsqueeze(t, 0)
                if tuple(t._data.shape) != (batch, self.hidden_size):
                    raise input_error(self, f"{what} has shape {tuple(t.shape)}; expected "
                                            f"{(batch, self.hidden_size)}")
            states.append(t)
        _, h, c = rnn_layer(self._mode, unsqueeze(input, 0), states[0], states[1], self.weight_ih,
                            self.weight_hh, self.bias_ih, self.bias_hh)
        if not batched:
            h = squeeze(h, 0)
            c = squeeze(c, 0) if c is not None else None
        return h, c


class RNNCell(RNNCellBase):
    """One Elman step: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``, act = tanh (default) or relu.

    Shape: input ``(N, H_in)`` or ``(H_in)``; hx ``(N, H)`` or ``(H)`` (optional, zeros); returns h'.

    >>> import ember
    >>> cell = ember.nn.RNNCell(3, 5)
    >>> tuple(cell(ember.randn(2, 3)).shape)
    (2, 5)
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"

    def forward(self, input, hx=None):
        return self._step(input, hx, None)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o as in :class:`LSTM`); returns ``(h', c')``.

    Shape: input ``(N, H_in)`` or ``(H_in)``; ``hx = (h, c)`` each ``(N, H)`` (optional, zeros).

    >>> import ember
    >>> cell = ember.nn.LSTMCell(3, 5)
    >>> h, c = cell(ember.randn(2, 3))
    >>> tuple(h.shape), tuple(c.shape)
    ((2, 5), (2, 5))
    """

    _mode = "LSTM"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            h, c = None, None
        else:
            h, c = hx
        return self._step(input, h, c)


class GRUCell(RNNCellBase):
    """One GRU step (r, z, n as in :class:`GRU`); returns h'.

    >>> import ember
    >>> cell = ember.nn.GRUCell(3, 5)
    >>> tuple(cell(ember.randn(3)).shape)
    (5,)
    """

    _mode = "GRU"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx, None)[0]
