"""PyTorch's top-level recurrent functions: ``torch.lstm``, ``gru``, ``rnn_tanh``, ``rnn_relu`` and the
single-step ``lstm_cell``, ``gru_cell``, ``rnn_tanh_cell``, ``rnn_relu_cell``.

The sequence functions take ATen's arguments: ``(input, hx, params, has_biases, num_layers,
dropout, train, bidirectional, batch_first)``, or for packed data ``(data, batch_sizes, hx,
params, has_biases, num_layers, dropout, train, bidirectional)``. ``params`` is the flat weight
list of an ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` (``_flat_weights``: per layer and direction
``w_ih, w_hh[, b_ih, b_hh][, w_hr]``) and ``hx`` the initial state (``[h0, c0]`` for LSTM). They
return ``(output, h_n, c_n)`` for LSTM and ``(output, h_n)`` otherwise, each layer run by the
fused kernel of :mod:`ember.functional.recurrent`.

The cells compute one step with the gate equations written there, as differentiable tensor ops:
``lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh) -> (h', c')``; the others return ``h'``.

>>> import ember
>>> x, h = ember.randn(2, 3), ember.zeros(2, 4)
>>> tuple(gru_cell(x, h, ember.randn(12, 3), ember.randn(12, 4)).shape)
(2, 4)
"""
from ..autograd import Tensor
from ..autograd.ops import add, cat, chunk, matmul, mul, relu, sigmoid, stack, sub, tanh, transpose
from .dropout import dropout as _dropout
from .recurrent import rnn_layer

__all__ = ["lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"]


def _linear(x, w, b):
    y = matmul(x, transpose(w, 0, 1))
    return y if b is None else add(y, b)


def _sequence(mode, input, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional,
              batch_first):
    name = mode.lower()
    D = 2 if bidirectional else 1
    params = list(params)
    if not params or len(params) % (num_layers * D):
        raise RuntimeError(f"{name}: got {len(params)} weights for {num_layers} layer(s) x {D} direction(s)")
    per = len(params) // (num_layers * D)
    base = 4 if has_biases else 2
    if per not in (base, base + 1) or (per == base + 1 and mode != "LSTM"):
        raise RuntimeError(f"{name}: expected {base} weights per layer and direction"
                           f"{' (or ' + str(base + 1) + ' with a projection)' if mode == 'LSTM' else ''}, got {per}")
    if mode == "LSTM":
        if not isinstance(hx, (list, tuple)) or len(hx) != 2:
            raise RuntimeError(f"lstm: hx must be a list [h0, c0], got {type(hx).__name__}")
        h0, c0 = hx
    else:
        h0, c0 = (hx[0] if isinstance(hx, (list, tuple)) else hx), None
    packed = batch_sizes is not None
    bs = None
    x = input
    if packed:
        bs = batch_sizes._data if isinstance(batch_sizes, Tensor) else batch_sizes
    elif batch_first:
        x = transpose(x, 0, 1)
    hs, cs = [], []
    k = 0
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            ws = params[k * per:(k + 1) * per]
            b_ih, b_hh = (ws[2], ws[3]) if has_biases else (None, None)
            w_hr = ws[-1] if per == base + 1 else None
            o, h, c = rnn_layer(mode, x, h0[k], c0[k] if c0 is not None else None, ws[0], ws[1], b_ih, b_hh, w_hr,
                                reverse=d == 1, batch_sizes=bs)
            outs.append(o)
            hs.append(h)
            cs.append(c)
            k += 1
        x = outs[0] if D == 1 else cat(outs, -1)
        if dropout > 0 and train and layer < num_layers - 1:
            x = _dropout(x, dropout, True)
    out = transpose(x, 0, 1) if batch_first and not packed else x
    if mode == "LSTM":
        return out, stack(hs, 0), stack(cs, 0)
    return out, stack(hs, 0)


def _dispatch(mode, args, kwargs):
    # Two ATen overloads: (input, hx, params, ...) and packed (data, batch_sizes, hx, params, ...).
    names_padded = ("input", "hx", "params", "has_biases", "num_layers", "dropout", "train", "bidirectional",
                    "batch_first")
    names_packed = ("data", "batch_sizes", "hx", "params", "has_biases", "num_layers", "dropout", "train",
                    "bidirectional")
    # The second argument is hx ([h0, c0] for LSTM, a tensor otherwise) or, packed, batch_sizes; for
    # GRU / RNN the packed form is recognised by its third argument being hx, not the params list.
    if "batch_sizes" in kwargs or "data" in kwargs:
        packed = True
    elif mode == "LSTM":
        packed = len(args) > 1 and isinstance(args[1], Tensor)
    else:
        packed = len(args) > 2 and isinstance(args[2], Tensor)
    names = names_packed if packed else names_padded
    bound = dict(zip(names, args))
    bound.update(kwargs)
    missing = [n for n in names if n not in bound]
    if missing:
        raise TypeError(f"{mode.lower()}() missing arguments: {', '.join(missing)}")
    if packed:
        return _sequence(mode, bound["data"], bound["batch_sizes"], bound["hx"], bound["params"],
                         bound["has_biases"], bound["num_layers"], bound["dropout"], bound["train"],
                         bound["bidirectional"], False)
    return _sequence(mode, bound["input"], None, bound["hx"], bound["params"], bound["has_biases"],
                     bound["num_layers"], bound["dropout"], bound["train"], bound["bidirectional"],
                     bound["batch_first"])


def lstm(*args, **kwargs):
    """``(output, h_n, c_n)`` of a multi-layer LSTM with the given flat weights (ATen's signature)."""
    return _dispatch("LSTM", args, kwargs)


def gru(*args, **kwargs):
    """``(output, h_n)`` of a multi-layer GRU with the given flat weights (ATen's signature)."""
    return _dispatch("GRU", args, kwargs)


def rnn_tanh(*args, **kwargs):
    """``(output, h_n)`` of a multi-layer tanh RNN with the given flat weights (ATen's signature)."""
    return _dispatch("RNN_TANH", args, kwargs)


def rnn_relu(*args, **kwargs):
    """``(output, h_n)`` of a multi-layer ReLU RNN with the given flat weights (ATen's signature)."""
    return _dispatch("RNN_RELU", args, kwargs)


def _check(name, input):
    # Like ATen's cells (nn.LSTMCell and friends add the batch dimension of 1-d inputs themselves).
    if input.ndim != 2:
        raise RuntimeError(f"{name}: expected a 2-D input (batch, input_size), got {input.ndim}-D of shape "
                           f"{tuple(input.shape)}")


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step: ``(h', c')`` from ``input`` and ``hx = (h, c)``."""
    _check("lstm_cell", input)
    x, (h, c) = input, hx
    gates = add(_linear(x, w_ih, b_ih), _linear(h, w_hh, b_hh))
    i, f, g, o = chunk(gates, 4, 1)
    c_new = add(mul(sigmoid(f), c), mul(sigmoid(i), tanh(g)))
    h_new = mul(sigmoid(o), tanh(c_new))
    return h_new, c_new


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step: ``h'`` from ``input`` and ``hx``."""
    _check("gru_cell", input)
    x, h = input, hx
    ir, iz, in_ = chunk(_linear(x, w_ih, b_ih), 3, 1)
    hr, hz, hn = chunk(_linear(h, w_hh, b_hh), 3, 1)
    r = sigmoid(add(ir, hr))
    z = sigmoid(add(iz, hz))
    n = tanh(add(in_, mul(r, hn)))
    return add(n, mul(z, sub(h, n)))


def _simple_cell(name, act, input, hx, w_ih, w_hh, b_ih, b_hh):
    _check(name, input)
    return act(add(_linear(input, w_ih, b_ih), _linear(hx, w_hh, b_hh)))


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One tanh-RNN step: ``tanh(W_ih x + b_ih + W_hh h + b_hh)``."""
    return _simple_cell("rnn_tanh_cell", tanh, input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One ReLU-RNN step: ``relu(W_ih x + b_ih + W_hh h + b_hh)``."""
    return _simple_cell("rnn_relu_cell", relu, input, hx, w_ih, w_hh, b_ih, b_hh)
