"""Layers exported whole: ``nn.LSTM``/``GRU``/``RNN`` as ONNX's recurrent ops, ``nn.MultiheadAttention`` as
its matrix products.

``MODULES`` maps a module class to ``convert(t, module, out, *call_args)`` (the module already ran;
``out`` is its real result). Higher layers add their own classes with :func:`register` (Keras's
recurrent layers do, from ``ember.keras``).

Gate orders: torch's LSTM packs gates ``i, f, g, o`` and ONNX's ``i, o, f, c``; torch's GRU
``r, z, n`` and ONNX's ``z, r, h`` (with ``linear_before_reset=1``, torch's form: the reset gate
multiplies ``W_hn h + b_hn``).
"""
import math

import numpy as np

from ._export_nn_ops import additive_mask, lrn_sums
from ._export_ops import operand

MODULES = {}


def register(cls, convert):
    """Export ``cls`` modules with ``convert(t, module, out, *args, **kwargs)`` instead of tracing their forward."""
    MODULES[cls] = convert


def _qualified(t, module):
    qn = t.module_names.get(id(module))
    return qn or type(module).__name__.lower()


def _blocks(a, order, n):
    """Reorder the ``n`` equal blocks of ``a``'s first axis into ``order``."""
    parts = np.split(np.asarray(a), n, axis=0)
    return np.concatenate([parts[i] for i in order], axis=0)


def recurrent(t, x, layers, hidden, mode, h0=None, c0=None, activation="Tanh", name="rnn"):
    """ONNX RNN/GRU/LSTM layers over ``x`` (graph value, ``(seq, batch, feat)``).

    ``layers`` is a list of per-layer lists of ``(W, R, Wb, Rb)`` NumPy arrays per direction, in ONNX's gate
    order. ``h0``/``c0`` are graph values ``(layers * dirs, batch, hidden)`` or None. Returns
    ``(y, h_n, c_n)`` graph values (``y`` is ``(seq, batch, dirs * hidden)``).
    """
    g = t.g
    dt = g.dtypes.get(x, np.dtype(np.float32))
    hs, cs = [], []
    for li, dirs in enumerate(layers):
        nd = len(dirs)
        W = g.initializer(np.stack([d[0] for d in dirs]).astype(dt), f"{name}.W_l{li}")
        R = g.initializer(np.stack([d[1] for d in dirs]).astype(dt), f"{name}.R_l{li}")
        B = g.initializer(np.stack([np.concatenate([d[2], d[3]]) for d in dirs]).astype(dt), f"{name}.B_l{li}")
        ins = [x, W, R, B, ""]
        rows = [li * nd, (li + 1) * nd]
        ins.append(g.slice(h0, [rows[0]], [rows[1]], [0]) if h0 is not None else "")
        attrs = dict(hidden_size=int(hidden), direction="bidirectional" if nd == 2 else "forward")
        if mode == "LSTM":
            ins.append(g.slice(c0, [rows[0]], [rows[1]], [0]) if c0 is not None else "")
            y, yh, yc = g.node("LSTM", ins, n_out=3, **attrs)
            g.dtypes[yc] = dt
            cs.append(yc)
        elif mode == "GRU":
            y, yh = g.node("GRU", ins, n_out=2, linear_before_reset=1, **attrs)
        else:
            y, yh = g.node("RNN", ins, n_out=2, activations=[activation] * nd, **attrs)
        g.dtypes[y] = g.dtypes[yh] = dt
        hs.append(yh)
        # (seq, dirs, batch, hidden) -> (seq, batch, dirs * hidden)
        y = g.node("Transpose", [y], perm=[0, 2, 1, 3], dtype=dt)
        x = g.node("Reshape", [y, g.ints([0, 0, -1])], dtype=dt)
    h_n = hs[0] if len(hs) == 1 else g.node("Concat", hs, axis=0, dtype=dt)
    c_n = None
    if cs:
        c_n = cs[0] if len(cs) == 1 else g.node("Concat", cs, axis=0, dtype=dt)
    return x, h_n, c_n


_ORDER = {"LSTM": ([0, 3, 1, 2], 4), "GRU": ([1, 0, 2], 3), "RNN_TANH": ([0], 1), "RNN_RELU": ([0], 1)}


def _torch_rnn(t, module, out, input, hx=None):
    from ..nn.utils.rnn import PackedSequence
    if isinstance(input, PackedSequence):
        raise NotImplementedError("a PackedSequence input is not supported (pass a padded tensor)")
    mode = module.mode
    if getattr(module, "proj_size", 0):
        raise NotImplementedError("LSTM with proj_size is not supported")
    order, ngates = _ORDER[mode]
    H = module.hidden_size
    D = 2 if module.bidirectional else 1
    layers = []
    for li in range(module.num_layers):
        dirs = []
        for d in range(D):
            sfx = "_reverse" if d else ""
            w_ih = getattr(module, f"weight_ih_l{li}{sfx}")._data
            w_hh = getattr(module, f"weight_hh_l{li}{sfx}")._data
            if module.bias:
                b_ih = getattr(module, f"bias_ih_l{li}{sfx}")._data
                b_hh = getattr(module, f"bias_hh_l{li}{sfx}")._data
            else:
                b_ih = b_hh = np.zeros(ngates * H, w_ih.dtype)
            dirs.append((_blocks(w_ih, order, ngates), _blocks(w_hh, order, ngates), _blocks(b_ih, order, ngates),
                         _blocks(b_hh, order, ngates)))
        layers.append(dirs)
    g = t.g
    dt = out[0]._data.dtype
    x = t.name(input)
    batched = input._data.ndim == 3
    if not batched:
        x = g.unsqueeze(x, [1], dtype=dt)
    elif module.batch_first:
        x = g.node("Transpose", [x], perm=[1, 0, 2], dtype=dt)
    h0 = c0 = None
    if hx is not None:
        h, c = (hx if mode == "LSTM" else (hx, None))
        h0 = operand(t, h, dt)
        c0 = operand(t, c, dt) if c is not None else None
        if not batched:
            h0 = g.unsqueeze(h0, [1], dtype=dt)
            c0 = g.unsqueeze(c0, [1], dtype=dt) if c0 is not None else None
    act = "Relu" if mode == "RNN_RELU" else "Tanh"
    y, h_n, c_n = recurrent(t, x, layers, H, "LSTM" if mode == "LSTM" else "GRU" if mode == "GRU" else "RNN",
                            h0, c0, act, _qualified(t, module))
    if not batched:
        y = g.squeeze(y, [1], dtype=dt)
        h_n = g.squeeze(h_n, [1], dtype=dt)
        c_n = g.squeeze(c_n, [1], dtype=dt) if c_n is not None else None
    elif module.batch_first:
        y = g.node("Transpose", [y], perm=[1, 0, 2], dtype=dt)
    t.set(out[0], y)
    if mode == "LSTM":
        t.set(out[1][0], h_n)
        t.set(out[1][1], c_n)
    else:
        t.set(out[1], h_n)


def _torch_cell(t, module, out, input, hx=None):
    """``nn.LSTMCell``/``GRUCell``/``RNNCell``: one step of the ONNX recurrent op over a length-1 sequence."""
    mode = module._mode
    order, ngates = _ORDER[mode]
    H = module.hidden_size
    w_ih, w_hh = module.weight_ih._data, module.weight_hh._data
    if module.bias:
        b_ih, b_hh = module.bias_ih._data, module.bias_hh._data
    else:
        b_ih = b_hh = np.zeros(ngates * H, w_ih.dtype)
    layers = [[(_blocks(w_ih, order, ngates), _blocks(w_hh, order, ngates), _blocks(b_ih, order, ngates),
                _blocks(b_hh, order, ngates))]]
    g = t.g
    lstm = mode == "LSTM"
    first = out[0] if lstm else out
    dt = first._data.dtype
    batched = input._data.ndim == 2
    x = operand(t, input, dt)
    x = g.unsqueeze(x, [0] if batched else [0, 1], dtype=dt)          # (1, N, in)
    h0 = c0 = None
    if hx is not None:
        h, c = (hx if lstm else (hx, None))
        h0 = g.unsqueeze(operand(t, h, dt), [0] if batched else [0, 1], dtype=dt)
        if c is not None:
            c0 = g.unsqueeze(operand(t, c, dt), [0] if batched else [0, 1], dtype=dt)
    op = "LSTM" if lstm else "GRU" if mode == "GRU" else "RNN"
    _, h_n, c_n = recurrent(t, x, layers, H, op, h0, c0, "Relu" if mode == "RNN_RELU" else "Tanh",
                            _qualified(t, module))
    axes = [0] if batched else [0, 1]
    if lstm:
        t.set(out[0], g.squeeze(h_n, axes, dtype=dt))
        t.set(out[1], g.squeeze(c_n, axes, dtype=dt))
    else:
        t.set(out, g.squeeze(h_n, axes, dtype=dt))


def _mha(t, module, out, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
         average_attn_weights=True, is_causal=False):
    if module.bias_k is not None or module.add_zero_attn:
        raise NotImplementedError("MultiheadAttention with add_bias_kv or add_zero_attn is not supported")
    g = t.g
    res, weights = out
    dt = res._data.dtype
    E, H = module.embed_dim, module.num_heads
    hd = E // H
    name = _qualified(t, module)
    batched = query._data.ndim == 3
    ins = []
    for x in (query, key, value):
        v = operand(t, x, dt)
        if not batched:
            v = g.unsqueeze(v, [0], dtype=dt)
        elif not module.batch_first:
            v = g.node("Transpose", [v], perm=[1, 0, 2], dtype=dt)
        ins.append(v)
    b = None if module.in_proj_bias is None else module.in_proj_bias._data
    if module._qkv_same_embed_dim:
        w = module.in_proj_weight._data
        ws = (w[:E], w[E:2 * E], w[2 * E:])
    else:
        ws = (module.q_proj_weight._data, module.k_proj_weight._data, module.v_proj_weight._data)
    heads = []
    for i, (x, wi, tag) in enumerate(zip(ins, ws, "qkv")):
        p = g.node("MatMul", [x, g.initializer(np.ascontiguousarray(wi.T), f"{name}.{tag}_proj.weight")], dtype=dt)
        if b is not None:
            p = g.node("Add", [p, g.initializer(b[i * E:(i + 1) * E], f"{name}.{tag}_proj.bias")], dtype=dt)
        p = g.node("Reshape", [p, g.ints([0, 0, H, hd])], dtype=dt)
        heads.append(g.node("Transpose", [p], perm=[0, 2, 1, 3], dtype=dt))
    q, k, v = heads
    s = g.node("MatMul", [q, g.node("Transpose", [k], perm=[0, 1, 3, 2], dtype=dt)], dtype=dt)
    s = g.node("Mul", [s, g.const(np.asarray(1.0 / math.sqrt(hd), dt))], dtype=dt)
    if attn_mask is not None:
        m = additive_mask(t, attn_mask, dt)
        if attn_mask._data.ndim == 3:
            m = g.node("Reshape", [m, g.ints([-1, H] + list(attn_mask._data.shape[1:]))], dtype=dt)
        s = g.node("Add", [s, m], dtype=dt)
    if key_padding_mask is not None:
        m = additive_mask(t, key_padding_mask, dt)
        m = g.unsqueeze(m, [1, 2] if batched else [0, 1, 2], dtype=dt)
        s = g.node("Add", [s, m], dtype=dt)
    w = g.node("Softmax", [s], axis=-1, dtype=dt)
    o = g.node("MatMul", [w, v], dtype=dt)
    o = g.node("Reshape", [g.node("Transpose", [o], perm=[0, 2, 1, 3], dtype=dt), g.ints([0, 0, E])], dtype=dt)
    o = g.node("MatMul", [o, g.initializer(np.ascontiguousarray(module.out_proj.weight._data.T),
                                           f"{name}.out_proj.weight.T")], dtype=dt)
    if module.out_proj.bias is not None:
        o = g.node("Add", [o, t.name(module.out_proj.bias)], dtype=dt)
    if not batched:
        o = g.squeeze(o, [0], dtype=dt)
    elif not module.batch_first:
        o = g.node("Transpose", [o], perm=[1, 0, 2], dtype=dt)
    t.set(res, o)
    if weights is not None:
        if average_attn_weights:
            w = g.reduce("ReduceMean", w, [1], False, dtype=dt)
        if not batched:
            w = g.squeeze(w, [0], dtype=dt)
        t.set(weights, w)


def _cross_map_lrn(t, module, out, input):
    """``nn.CrossMapLRN2d``: ``x * (k + alpha / n * windowed sum of squares) ** -beta``, with the channel
    window PyTorch's running-sum loop builds (its quirk included: see ``legacy._window_matrix``)."""
    from ..nn.layers.legacy import _window_matrix
    g = t.g
    dt = out._data.dtype
    window = _window_matrix(input._data.shape[1], module.size)
    s = lrn_sums(t, input, window, dt)
    scale = g.node("Add", [g.node("Mul", [s, g.const(np.asarray(module.alpha / module.size, dt))], dtype=dt),
                           g.const(np.asarray(module.k, dt))], dtype=dt)
    t.set(out, g.node("Mul", [g.node("Pow", [scale, g.const(np.asarray(-module.beta, dt))], dtype=dt),
                              t.name(input)], dtype=dt))


def _install():
    from ..nn.layers import rnn, attention, legacy
    register(legacy.CrossMapLRN2d, _cross_map_lrn)
    for cls in (rnn.LSTM, rnn.GRU, rnn.RNN):
        register(cls, _torch_rnn)
    for cls in (rnn.LSTMCell, rnn.GRUCell, rnn.RNNCell):
        register(cls, _torch_cell)
    register(attention.MultiheadAttention, _mha)


_install()
