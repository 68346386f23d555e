"""Fused recurrent layers: one RNN / LSTM / GRU layer in one direction as a single graph node.

:func:`rnn_layer` runs a whole sequence (padded, or packed with ``batch_sizes``)
through one layer and direction. The forward computes the input projection of all
time steps with one matmul (the LSTM folds it into its per-step product, see below),
then per step one matmul with ``W_hh`` and in-place NumPy gate arithmetic on blocks
of one preallocated gates buffer. Its backward is backward-through-time written by
hand in NumPy: per step it propagates the carried state gradients (one matmul with
``W_hh``) with all the gate arithmetic done on that step's rows (they fit in cache;
passes over all steps at once cost more in memory traffic than they save in calls);
the weight gradients are one matmul over all steps at the end.

Gate equations (PyTorch's, with ``x`` the input and ``h``, ``c`` the previous state)::

    RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh)                 act = tanh or relu
    LSTM: i, f, g, o = s(.), s(.), tanh(.), s(.) of  W_ih x + b_ih + W_hh h + b_hh
          c' = f * c + i * g        h' = o * tanh(c')            (h' = W_hr h' with proj_size)
    GRU:  r = s(W_ir x + b_ir + W_hr h + b_hr)      z = s(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn))           h' = (1 - z) * n + z * h

Packed sequences: rows are sorted by decreasing length and step ``t`` holds the
first ``batch_sizes[t]`` sequences, so a sequence's final state is its state after
its own last step (the forward direction) or after step 0 (the reverse one).

Memory: the buffers the backward keeps (gate activations, cell states) come from a
small pool and return to it when their graph is freed, and the backward's temporaries
are per-thread scratch buffers, so a training loop does not fault in fresh pages for
them every step (measured: that alone cost more than the gate arithmetic).

The fused node gives first-order gradients only: backward with
``create_graph=True`` through it raises an error (double backward through the
recurrence is not supported).

>>> import ember
>>> from ember.functional.recurrent import rnn_layer
>>> x = ember.randn(5, 2, 3)                      # (time, batch, features)
>>> w_ih, w_hh = ember.randn(16, 3), ember.randn(16, 4)
>>> out, h, c = rnn_layer("LSTM", x, None, None, w_ih, w_hh)
>>> tuple(out.shape), tuple(h.shape), tuple(c.shape)
((5, 2, 4), (2, 4), (2, 4))
"""
import threading
import weakref

import numpy as np

from ..autograd.node import Node
from ..backend import meta as _meta
from ..backend.meta import MetaArray
from ._fuse import gm, wrap

MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")
_scratch_store = threading.local()


def _scratch(name, shape, dtype):
    """A work buffer that lives only inside one backward call, kept for the next call of the same shape.

    Backward-through-time needs ~15 MB of temporaries per layer for a typical batch; allocating them
    fresh each step costs a page fault per 4 KB, which measured more than the arithmetic.
    """
    if getattr(_scratch_store, "depth", 0) > 1:      # a backward inside a backward (a hook): no sharing
        return np.empty(shape, dtype)
    cache = getattr(_scratch_store, "bufs", None)
    if cache is None:
        cache = _scratch_store.bufs = {}
    buf = cache.get(name)
    if buf is None or buf.shape != shape or buf.dtype != dtype:
        buf = cache[name] = np.empty(shape, dtype)
    return buf


_pool = {}
_pool_lock = threading.Lock()


def _take(shape, dtype):
    """A buffer for values the backward keeps (gate activations, cell states), reused across steps.

    The buffers go back to the pool when the graph that holds them is freed (``_give``), so a
    training loop reuses the same memory instead of faulting in fresh pages every step.
    """
    key = (shape, np.dtype(dtype).str)
    with _pool_lock:
        free = _pool.get(key)
        if free:
            return free.pop()
    return np.empty(shape, dtype)


def _give(*arrays):
    with _pool_lock:
        for a in arrays:
            if a is not None:
                free = _pool.setdefault((a.shape, a.dtype.str), [])
                if len(free) < 4:
                    free.append(a)


def _grad_buffer(name, gout, shape, dt):
    """The output gradient as a writable work buffer (zeros when the output got no gradient)."""
    buf = _scratch(name, shape, dt)
    if gout is None:
        buf.fill(0)
    else:
        np.copyto(buf, gout, casting="unsafe")
    return buf


def _steps(batch_sizes, T, B):
    """``[(row offset, active rows)]`` per time step in time order."""
    if batch_sizes is None:
        return [(t * B, B) for t in range(T)]
    steps, s = [], 0
    for b in batch_sizes:
        b = int(b)
        steps.append((s, b))
        s += b
    return steps


def _final_rows(steps, reverse, B):
    """``[(dst rows, src rows in the output)]``: where each sequence's final state sits."""
    if reverse:
        s, b = steps[0]
        return [(0, b, s)]
    rows = []
    for k, (s, b) in enumerate(steps):
        nb = steps[k + 1][1] if k + 1 < len(steps) else 0
        if nb < b:
            rows.append((nb, b, s + nb))
    return rows


def _gather_final(buf, steps, reverse, B, width):
    res = np.empty((B, width), buf.dtype)
    for lo, hi, src in _final_rows(steps, reverse, B):
        res[lo:hi] = buf[src:src + hi - lo]
    return res


def _scatter_final(g, dbuf, steps, reverse):
    """Add the gradient of the final states into the per-row output gradient buffer."""
    for lo, hi, src in _final_rows(steps, reverse, g.shape[0]):
        dbuf[src:src + hi - lo] += g[lo:hi]


def _prev_rows(steps, reverse):
    """Per step in processing order: (offset, rows, offset of the previous processed step or -1, its rows)."""
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    res, prev = [], None
    for k in order:
        s, b = steps[k]
        res.append((s, b, prev[0] if prev else -1, prev[1] if prev else 0))
        prev = (s, b)
    return res


def _prev_view(dst, b, src_buf, ps, pb, init, uniform):
    """The state before a step: a view of the previous step's rows when every step has all rows, else a copy."""
    if uniform:
        return init if ps < 0 else src_buf[ps:ps + b]
    _fill_prev(dst, b, src_buf, ps, pb, init)
    return dst


def _shifted(buf, init, steps, reverse, uniform, saved, out=None):
    """The states before every step, stacked like ``buf`` (built here when the forward used views)."""
    if not uniform:
        if out is not None:
            out[...] = saved
            return out
        return saved
    B = steps[0][1]
    res = np.empty_like(buf) if out is None else out
    if reverse:
        res[:-B] = buf[B:]
        res[-B:] = init
    else:
        res[:B] = init
        res[B:] = buf[:-B]
    return res


def _fill_prev(dst, cur_b, src_buf, ps, pb, init):
    """``dst`` (cur_b rows) = the state before this step: the previous step's rows, the rest from ``init``."""
    k = min(cur_b, pb) if ps >= 0 else 0
    if k:
        dst[:k] = src_buf[ps:ps + k]
    if k < cur_b:
        dst[k:] = init[k:cur_b]


# -- LSTM -------------------------------------------------------------------------------------------
# Each step's pre-activations come from one product [x_t, 1, h_prev] @ Wc, with Wc the stacked
# (W_ih | b | W_hh)^T (a single GEMM with K = input + 1 + hidden: faster than a separate input
# projection for all steps plus a per-step add). The rows [x_t, 1, h_prev] of all steps are kept
# (XH), so the backward gets dW_ih, db and dW_hh from one product dG^T @ XH with no copies.
# Gate columns are in the order (o, i, f, g) and the activations are kept gate-major, A[k] of
# shape (N, H): every per-step operand is then a contiguous block (NumPy's loops over column
# slices are slower), and the three sigmoid gates are one block A[:3], squashed with one tanh call:
# sigmoid(x) = 0.5 tanh(x / 2) + 0.5, the halving folded into the weights (exact).
_LSTM_ORDER = (3, 0, 1, 2)      # PyTorch's (i, f, g, o) blocks, taken as (o, i, f, g)


def _lstm_gate_major(w, H):
    """PyTorch's stacked (4H, ...) weight as (4, H, ...) in the order (o, i, f, g)."""
    return w.reshape((4, H) + w.shape[1:])[list(_LSTM_ORDER)]


def _lstm_stacked(g4):
    """Back from (4, H, ...) in the order (o, i, f, g) to PyTorch's stacked (4H, ...)."""
    out = np.empty_like(g4)
    out[list(_LSTM_ORDER)] = g4
    return out.reshape((-1,) + g4.shape[2:])


def _lstm_block(A, s, e, H):
    """The gate activations of rows ``s:e`` (one step): a contiguous (4, e - s, H) view of ``A``."""
    return A[4 * H * s:4 * H * e].reshape(4, e - s, H)


def _lstm_forward(x2, h0, c0, w_ih, w_hh, bias, w_hr, steps, reverse, h0_zero=False):
    H = w_hh.shape[0] // 4
    Hout = w_hh.shape[1]
    dt = x2.dtype
    N, n_in = x2.shape
    nb = 0 if bias is None else 1
    kh = n_in + nb                               # first column of h_prev in XH
    Wc = np.empty((kh + Hout, 4, H), dt)         # [x, 1, h] @ Wc = pre-activations, columns (o, i, f, g)
    Wc[:n_in] = _lstm_gate_major(w_ih, H).transpose(2, 0, 1)
    if nb:
        Wc[n_in] = _lstm_gate_major(bias, H)
    Wc[kh:] = _lstm_gate_major(w_hh, H).transpose(2, 0, 1)
    Wc[:, :3] *= 0.5
    Wc = Wc.reshape(kh + Hout, 4 * H)
    XH = _take((N, kh + Hout), dt)
    XH[:, :n_in] = x2
    if nb:
        XH[:, n_in] = 1
    A = _take((4 * N * H,), dt)    # gate activations, per step one contiguous (4, rows, H) block
    C = _take((N, H), dt)          # c after each step
    TC = _take((N, H), dt)         # tanh(c)
    uniform = bool(steps) and all(b == steps[0][1] for _, b in steps)
    CP = None if uniform else np.empty((N, H), dt)      # c before each step
    out = np.empty((N, Hout), dt)
    R = np.empty((N, H), dt) if w_hr is not None else out   # o * tanh(c) before the projection
    whrT = w_hr.T if w_hr is not None else None
    B = steps[0][1] if steps else 0
    pre = np.empty((B, 4 * H), dt)
    tmp = np.empty((B, H), dt)
    for s, b, ps, pb in _prev_rows(steps, reverse):
        e = s + b
        _fill_prev(XH[s:e, kh:], b, out, ps, pb, h0)
        cp = _prev_view(None if uniform else CP[s:e], b, C, ps, pb, c0, uniform)
        p = pre[:b]
        if ps < 0 and h0_zero:      # a zero initial state adds nothing
            np.matmul(XH[s:e, :kh], Wc[:kh], out=p)
        else:
            np.matmul(XH[s:e], Wc, out=p)
        G = _lstm_block(A, s, e, H)
        np.tanh(p.reshape(b, 4, H).transpose(1, 0, 2), out=G)
        S = G[:3]
        S *= 0.5
        S += 0.5
        c = C[s:e]
        np.multiply(G[2], cp, out=c)
        t = tmp[:b]
        np.multiply(G[1], G[3], out=t)
        c += t
        tc = TC[s:e]
        np.tanh(c, out=tc)
        np.multiply(G[0], tc, out=R[s:e])
        if whrT is not None:
            np.matmul(R[s:e], whrT, out=out[s:e])
    return out, A, C, TC, XH, CP, R, c0, uniform, nb


def _lstm_backward(gout, ghn, gcn, saved, x2, w_ih, w_hh, w_hr, steps, reverse, need):
    out, A, C, TC, XH, CP, R, c0, uniform, nb = saved
    N, H = C.shape
    Hout = out.shape[1]
    n_in = x2.shape[1]
    dt = A.dtype
    B = steps[0][1] if steps else 0
    w_hh_r = _lstm_gate_major(w_hh, H).reshape(4 * H, Hout)     # rows in the order (o, i, f, g)
    # The final states' gradients, per step offset: [(rows in the step, rows of ghn / gcn)].
    final = {}
    for lo, hi, src in _final_rows(steps, reverse, B):
        s = next(s for s, b in steps if s <= src < s + b)
        final.setdefault(s, []).append((src - s, lo, hi))
    dG = _scratch("lstm_dg", (N, 4 * H), dt)   # d(loss)/d(pre-activations), columns (o, i, f, g)
    dGs = dG.reshape(N, 4, H)
    dH = _scratch("lstm_dh", (N, Hout), dt) if w_hr is not None else None   # kept for dW_hr
    dh = np.zeros((B, Hout), dt)      # carried d(loss)/d(h) of rows not yet finished
    dc = np.zeros((B, H), dt)
    dR = np.empty((B, H), dt) if w_hr is not None else None
    u = np.empty((B, H), dt)
    Dbuf = np.empty(4 * B * H, dt)
    Qbuf = np.empty(4 * B * H, dt)
    for s, b, ps, pb in reversed(_prev_rows(steps, reverse)):
        e = s + b
        d = dh[:b]                    # the total gradient of this step's output, in place
        if gout is not None:
            d += gout[s:e]
        dcb = dc[:b]
        for r, lo, hi in final.get(s, ()):
            if ghn is not None:
                d[r:r + hi - lo] += ghn[lo:hi]
            if gcn is not None:
                dcb[r:r + hi - lo] += gcn[lo:hi]
        if w_hr is not None:
            dH[s:e] = d
            dr = np.matmul(d, w_hr, out=dR[:b])
        else:
            dr = d
        cp = _prev_view(None if uniform else CP[s:e], b, C, ps, pb, c0, uniform)
        G = _lstm_block(A, s, e, H)
        O, I_, F_, Gg = G
        tc = TC[s:e]
        ub = u[:b]
        np.multiply(tc, tc, out=ub)   # dc += dr * o * (1 - tanh(c)^2)
        np.subtract(1, ub, out=ub)
        ub *= O
        ub *= dr
        dcb += ub
        # d(gate)/d(pre-activation) of (o, i, f, g) times d(loss)/d(gate), all four as one block
        D = Dbuf[:4 * b * H].reshape(4, b, H)
        np.subtract(1, G[:3], out=D[:3])
        D[:3] *= G[:3]                # s (1 - s)
        np.multiply(Gg, Gg, out=D[3])
        np.subtract(1, D[3], out=D[3])   # 1 - g^2
        Q = Qbuf[:4 * b * H].reshape(4, b, H)
        np.multiply(dr, tc, out=Q[0])
        np.multiply(dcb, Gg, out=Q[1])
        np.multiply(dcb, cp, out=Q[2])
        np.multiply(dcb, I_, out=Q[3])
        np.multiply(D, Q, out=dGs[s:e].transpose(1, 0, 2))    # straight into dG's (o, i, f, g) columns
        dcb *= F_
        if ps >= 0 or need[1]:
            np.matmul(dG[s:e], w_hh_r, out=d)
    dh0 = dh if need[1] else None
    dc0 = dc if need[2] else None

    def stacked(m):                  # (4H, ...) rows in (o, i, f, g) -> PyTorch's (i, f, g, o)
        return _lstm_stacked(m.reshape((4, H) + m.shape[1:]))
    gw_ih = gw_hh = gb = None
    if need[3] or need[4] or need[5]:
        gw = stacked(dG.T @ XH)
        gw_ih, gw_hh = gw[:, :n_in], gw[:, n_in + nb:]
        gb = gw[:, n_in] if nb else None
    gw_hr = (dH.T @ R) if (w_hr is not None and need[7]) else None
    gx = (dG @ _lstm_gate_major(w_ih, H).reshape(4 * H, -1)) if need[0] else None
    return gx, dh0, dc0, gw_ih, gw_hh, gb, gw_hr


# -- GRU --------------------------------------------------------------------------------------------
def _gru_forward(x2, h0, w_ih, w_hh, b_ih, b_hh, steps, reverse, h0_zero=False):
    # Gate-major activations A[k] (N, H) in the order (r, z, n), as for the LSTM; r and z go
    # through sigmoid(x) = 0.5 tanh(x / 2) + 0.5 with the halving folded into the weights.
    H = w_hh.shape[0] // 3
    dt = x2.dtype
    N = x2.shape[0]
    wi = w_ih.reshape(3, H, -1).copy()
    wh = w_hh.reshape(3, H, H).copy()
    wi[:2] *= 0.5
    wh[:2] *= 0.5
    A = np.matmul(x2, wi.transpose(0, 2, 1), out=_take((3, N, H), dt))
    if b_ih is not None:
        bb = b_ih.reshape(3, H).copy()
        bb[:2] += b_hh.reshape(3, H)[:2]
        bb[:2] *= 0.5
        A += bb[:, None, :]
        b_hn = b_hh[2 * H:]
    else:
        b_hn = None
    whT = wh.transpose(0, 2, 1)
    HN = _take((N, H), dt)         # W_hn h + b_hn
    uniform = bool(steps) and all(b == steps[0][1] for _, b in steps)
    HP = None if uniform else np.empty((N, H), dt)
    out = np.empty((N, H), dt)
    B = steps[0][1] if steps else 0
    tmp = np.empty((3, B, H), dt)
    tmp2 = np.empty((B, H), dt)
    for s, b, ps, pb in _prev_rows(steps, reverse):
        e = s + b
        hp = _prev_view(None if uniform else HP[s:e], b, out, ps, pb, h0, uniform)
        G = A[:, s:e]
        t = tmp[:, :b]
        if ps >= 0 or not h0_zero:
            np.matmul(hp, whT, out=t)
        else:
            t.fill(0)
        rz = G[:2]
        rz += t[:2]
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        hn = HN[s:e]
        if b_hn is not None:
            np.add(t[2], b_hn, out=hn)
        else:
            hn[...] = t[2]
        n = G[2]
        t2 = tmp2[:b]
        np.multiply(G[0], hn, out=t2)
        n += t2
        np.tanh(n, out=n)
        np.subtract(hp, n, out=t2)
        t2 *= G[1]
        np.add(n, t2, out=out[s:e])
    return out, A, HN, HP, h0, uniform


def _gru_backward(gout, ghn, saved, x2, w_ih, w_hh, steps, reverse, need):
    out, A, HN, HP, h0, uniform = saved
    HP = _shifted(out, h0, steps, reverse, uniform, HP)
    N, H = HN.shape
    H2 = 2 * H
    dt = A.dtype
    B = steps[0][1] if steps else 0
    R, Z, Nn = A
    dout = _grad_buffer("gru_dout", gout, (N, H), dt)
    if ghn is not None:
        _scatter_final(ghn, dout, steps, reverse)
    K = _scratch("gru_k", (N, 2, H), dt)
    np.multiply(HP - Nn, Z * (1 - Z), out=K[:, 0])
    np.multiply(1 - Z, 1 - Nn * Nn, out=K[:, 1])
    hnkr = HN * (R * (1 - R))
    dGh = _scratch("gru_dgh", (N, 3 * H), dt)
    dGzn = dGh[:, H:].reshape(N, 2, H)
    DN = _scratch("gru_dn", (N, H), dt)
    dh = np.zeros((B, H), dt)
    tmp = np.empty((B, H), dt)
    for s, b, ps, pb in reversed(_prev_rows(steps, reverse)):
        e = s + b
        d = dout[s:e]
        d += dh[:b]
        np.multiply(d[:, None, :], K[s:e], out=dGzn[s:e])
        dn = dGh[s:e, H2:]
        np.multiply(dn, hnkr[s:e], out=dGh[s:e, :H])
        DN[s:e] = dn
        dn *= R[s:e]
        if ps < 0 and not need[1]:
            continue
        np.matmul(dGh[s:e], w_hh, out=dh[:b])
        t = tmp[:b]
        np.multiply(d, Z[s:e], out=t)
        dh[:b] += t
    dGx = dGh.copy()
    dGx[:, H2:] = DN
    gx = (dGx @ w_ih) if need[0] else None
    dh0 = dh if need[1] else None
    gw_ih = dGx.T @ x2 if need[3] else None
    gw_hh = dGh.T @ HP if need[4] else None
    gb_ih = dGx.sum(0) if need[5] else None
    gb_hh = dGh.sum(0) if need[6] else None
    return gx, dh0, gw_ih, gw_hh, gb_ih, gb_hh


# -- Elman RNN --------------------------------------------------------------------------------------
def _rnn_forward(x2, h0, w_ih, w_hh, bias, steps, reverse, relu, h0_zero=False):
    H = w_hh.shape[1]
    dt = x2.dtype
    A = np.matmul(x2, w_ih.T)
    if bias is not None:
        A += bias
    uniform = bool(steps) and all(b == steps[0][1] for _, b in steps)
    HP = None if uniform else np.empty((x2.shape[0], H), dt)
    whhT = w_hh.T
    B = steps[0][1] if steps else 0
    tmp = np.empty((B, H), dt)
    for s, b, ps, pb in _prev_rows(steps, reverse):
        e = s + b
        hp = _prev_view(None if uniform else HP[s:e], b, A, ps, pb, h0, uniform)
        G = A[s:e]
        t = tmp[:b]
        if ps >= 0 or not h0_zero:
            np.matmul(hp, whhT, out=t)
            G += t
        if relu:
            np.maximum(G, 0, out=G)
        else:
            np.tanh(G, out=G)
    return A, A, HP, h0, uniform


def _rnn_backward(gout, ghn, saved, x2, w_ih, w_hh, steps, reverse, need, relu):
    out, HP, h0, uniform = saved
    HP = _shifted(out, h0, steps, reverse, uniform, HP)
    dt = out.dtype
    N, H = out.shape
    B = steps[0][1] if steps else 0
    dout = _grad_buffer("rnn_dout", gout, (N, H), dt)
    if ghn is not None:
        _scatter_final(ghn, dout, steps, reverse)
    deriv = (out > 0).astype(dt) if relu else 1 - out * out
    dG = dout
    dh = np.zeros((B, H), dt)
    for s, b, ps, pb in reversed(_prev_rows(steps, reverse)):
        e = s + b
        d = dG[s:e]
        d += dh[:b]
        d *= deriv[s:e]
        if ps >= 0 or need[1]:
            np.matmul(d, w_hh, out=dh[:b])
    gx = (dG @ w_ih) if need[0] else None
    dh0 = dh if need[1] else None
    gw_ih = dG.T @ x2 if need[3] else None
    gw_hh = dG.T @ HP if need[4] else None
    gb = dG.sum(0) if need[5] else None
    return gx, dh0, gw_ih, gw_hh, gb


# -- the recorded op --------------------------------------------------------------------------------
def _arr(t, shape, dt):
    if t is None:
        return np.zeros(shape, dt)
    return t._data


def _meta_layer(mode, x, wh, packed_batch, inputs):
    """:func:`rnn_layer` on the meta device: the outputs' shapes, and meta gradients for ``inputs``;
    ``packed_batch`` is the first batch size of packed input, None for a ``(T, B, input_size)`` input."""
    B = x.shape[1] if packed_batch is None else packed_batch
    Hout = wh.shape[1]
    hidden = wh.shape[0] // (4 if mode == "LSTM" else 3 if mode == "GRU" else 1)
    o = _meta.empty((x.shape[0], Hout) if packed_batch is not None else x.shape[:2] + (Hout,), wh.dtype)
    outs = (wrap(o), wrap(_meta.empty((B, Hout), wh.dtype)),
            wrap(_meta.empty((B, hidden), wh.dtype)) if mode == "LSTM" else None)
    if gm.enabled and any(t is not None and t._rg for t in inputs):
        node = Node(f"{'RNN' if mode.startswith('RNN') else mode}Backward0",
                    lambda grads: tuple(None if t is None or not t._rg else wrap(_meta.like(t._data)) for t in inputs),
                    inputs, nout=3)
        for k, t in enumerate(outs):
            if t is not None:
                t.grad_fn, t._rg, t._out_idx = node, True, k
    return outs


def rnn_layer(mode, input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, reverse=False,
              batch_sizes=None):
    """Run one recurrent layer in one direction over a whole sequence.

    Args:
        mode: ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.
        input: ``(T, B, input_size)`` (time first), or packed data ``(sum(batch_sizes), input_size)``.
        hx: initial hidden state ``(B, H_out)`` or None (zeros).
        cx: initial cell state ``(B, hidden_size)`` (LSTM only) or None (zeros).
        w_ih, w_hh, b_ih, b_hh: PyTorch's weights of this layer and direction
            (``(gates * hidden_size, input_size)``, ``(gates * hidden_size, H_out)``, ``(gates * hidden_size,)``).
        w_hr: the LSTM projection ``(proj_size, hidden_size)`` or None.
        reverse: run from the last step to the first.
        batch_sizes: NumPy int array of active sequences per step for packed input, else None.

    Returns:
        ``(output, h_n, c_n)``: output ``(T, B, H_out)`` (or packed ``(N, H_out)``), the final hidden
        state ``(B, H_out)`` and, for LSTM, the final cell state ``(B, hidden_size)`` (None otherwise).
        ``H_out`` is ``proj_size`` when given, else ``hidden_size``.
    """
    if mode not in MODES:
        raise ValueError(f"rnn_layer: unknown mode {mode!r}; expected one of {MODES}")
    x = input._data
    dt = w_hh._data.dtype
    if x.dtype != dt:
        raise RuntimeError(f"{mode}: input dtype {x.dtype} does not match the weights' dtype {dt}; convert "
                           "the input with .to(weight.dtype) or the module with .to(input.dtype)")
    packed = batch_sizes is not None
    if any(type(a) is MetaArray for a in (x, w_ih._data, w_hh._data)):
        inputs = (input, hx, cx if mode == "LSTM" else None, w_ih, w_hh, b_ih, b_hh, w_hr if mode == "LSTM" else None)
        return _meta_layer(mode, x, w_hh._data, (int(batch_sizes[0]) if len(batch_sizes) else 0) if packed else None,
                           inputs)
    if packed:
        x2 = np.ascontiguousarray(x)
        B = int(batch_sizes[0]) if len(batch_sizes) else 0
        steps = _steps(batch_sizes, len(batch_sizes), B)
    else:
        T, B = x.shape[0], x.shape[1]
        x2 = np.ascontiguousarray(x).reshape(T * B, x.shape[2])
        steps = _steps(None, T, B)
    Hh = w_hh._data.shape[1]
    H = w_hh._data.shape[1] if mode != "LSTM" or w_hr is None else w_hr._data.shape[1]
    h0 = _arr(hx, (B, Hh), dt)
    wi, wh = w_ih._data, w_hh._data
    bias = None
    if b_ih is not None and mode != "GRU":
        bias = b_ih._data + b_hh._data
    whr = w_hr._data if (w_hr is not None and mode == "LSTM") else None
    c0 = None
    if mode == "LSTM":
        c0 = _arr(cx, (B, H), dt)
        out, *saved = _lstm_forward(x2, h0, c0, wi, wh, bias, whr, steps, reverse, hx is None)
        cn = _gather_final(saved[1], steps, reverse, B, H)
    elif mode == "GRU":
        out, *saved = _gru_forward(x2, h0, wi, wh, b_ih._data if b_ih is not None else None,
                                   b_hh._data if b_hh is not None else None, steps, reverse, hx is None)
        cn = None
    else:
        relu = mode == "RNN_RELU"
        out, *saved = _rnn_forward(x2, h0, wi, wh, bias, steps, reverse, relu, hx is None)
    hn = _gather_final(out, steps, reverse, B, out.shape[1])
    # Buffers only the backward reads (never handed to the caller) return to the pool after it.
    pooled = tuple(saved[:4]) if mode == "LSTM" else tuple(saved[:2]) if mode == "GRU" else ()
    if mode != "LSTM":
        cn = None
    inputs = (input, hx, cx if mode == "LSTM" else None, w_ih, w_hh, b_ih, b_hh, w_hr if whr is not None else None)
    o = wrap(out if packed else out.reshape(T, B, out.shape[1]))
    th = wrap(hn)
    tc = wrap(cn) if cn is not None else None
    if gm.enabled and any(t is not None and t._rg for t in inputs):
        need = [t is not None and t._rg for t in inputs]
        xshape = x.shape

        def backward(grads):
            if gm.enabled:
                raise RuntimeError(f"{mode}: double backward (create_graph=True) through the fused recurrent "
                                   "kernel is not supported")
            _scratch_store.depth = getattr(_scratch_store, "depth", 0) + 1
            try:
                return _backward(grads)
            finally:
                _scratch_store.depth -= 1

        def _backward(grads):
            go, gh, gc = grads
            go = None if go is None else go._data.reshape(-1, out.shape[1])
            gh = None if gh is None else gh._data
            gc = None if gc is None else gc._data
            if mode == "LSTM":
                full = [None] + saved
                full[0] = out
                gx, dh0, dc0, gwi, gwh, gb, gwr = _lstm_backward(go, gh, gc, full, x2, wi, wh, whr, steps,
                                                                 reverse, need)
                res = (gx, dh0, dc0, gwi, gwh, gb, gb, gwr)
            elif mode == "GRU":
                gx, dh0, gwi, gwh, gbi, gbh = _gru_backward(go, gh, [out] + saved, x2, wi, wh, steps, reverse,
                                                            need)
                res = (gx, dh0, None, gwi, gwh, gbi, gbh, None)
            else:
                gx, dh0, gwi, gwh, gb = _rnn_backward(go, gh, saved, x2, wi, wh, steps, reverse, need,
                                                      mode == "RNN_RELU")
                res = (gx, dh0, None, gwi, gwh, gb, gb, None)
            result = []
            for r, t, n in zip(res, inputs, need):
                if r is None or not n:
                    result.append(None)
                else:
                    if t is input:
                        r = r.reshape(xshape)
                    result.append(wrap(r))
            return tuple(result)
        # The output is saved too: backward reads it, so changing it in place must raise.
        node = Node(f"{'RNN' if mode.startswith('RNN') else mode}Backward0", backward, inputs,
                    tuple(t for t in inputs if t is not None) + (o,), nout=3)
        for k, t in enumerate((o, th, tc)):
            if t is not None:
                t.grad_fn = node
                t._rg = True
                t._out_idx = k
        if pooled:
            weakref.finalize(node, _give, *pooled)
    elif pooled:
        _give(*pooled)
    return o, th, tc
