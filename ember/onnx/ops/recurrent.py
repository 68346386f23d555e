"""ONNX recurrent layers: RNN, GRU and LSTM, one time step at a time in ember ops.

Shapes (``layout=0``): X (seq, batch, input), W (dirs, gates*hidden, input),
R (dirs, gates*hidden, hidden), B (dirs, 2*gates*hidden) = [Wb, Rb]; outputs Y (seq, dirs, batch,
hidden) and Y_h (dirs, batch, hidden) (LSTM adds Y_c). ``layout=1`` puts batch first. Gate order:
LSTM i, o, f, c (peepholes P = i, o, f); GRU z, r, h. With ``sequence_lens`` a sequence stops
updating its state after its length and its outputs there are zero. The input projection of all
steps is one matmul; only the recurrent part loops.

LSTM, per step (f, g, h the activations, default sigmoid, tanh, tanh)::

    i = f(x Wi' + h Ri' + Pi*c + Wbi + Rbi)     f_ = f(x Wf' + h Rf' + Pf*c + Wbf + Rbf)
    g = g(x Wc' + h Rc' + Wbc + Rbc)            c = f_*c + i*g
    o = f(x Wo' + h Ro' + Po*c + Wbo + Rbo)     h = o*h(c)
"""
import numpy as np

import ember
import ember.nn.functional as F

from . import register, arr, tensor


def _activation(name, alpha, beta):
    name = name.lower()
    table = {
        "sigmoid": ember.sigmoid, "tanh": ember.tanh, "relu": F.relu,
        "affine": lambda x: x * (1.0 if alpha is None else alpha) + (0.0 if beta is None else beta),
        "leakyrelu": lambda x: F.leaky_relu(x, 0.01 if alpha is None else alpha),
        "thresholdedrelu": lambda x: ember.where(x > (1.0 if alpha is None else alpha), x,
                                                 ember.zeros_like(x)),
        "scaledtanh": lambda x: ((1.0 if alpha is None else alpha)
                                 * ember.tanh((1.0 if beta is None else beta) * x)),
        "hardsigmoid": lambda x: ember.clamp((0.2 if alpha is None else alpha) * x
                                             + (0.5 if beta is None else beta), 0.0, 1.0),
        "elu": lambda x: F.elu(x, 1.0 if alpha is None else alpha),
        "softsign": F.softsign, "softplus": F.softplus,
    }
    if name not in table:
        raise NotImplementedError(f"ember.onnx: RNN activation {name!r} is not supported")
    return table[name]


def _activations(ctx, defaults, n_dirs):
    names = ctx.attr("activations") or defaults * n_dirs
    alphas = list(ctx.attr("activation_alpha") or [])
    betas = list(ctx.attr("activation_beta") or [])
    acts = []
    for i, n in enumerate(names):
        acts.append(_activation(n, alphas[i] if i < len(alphas) else None,
                                betas[i] if i < len(betas) else None))
    k = len(defaults)
    return [acts[d * k:(d + 1) * k] for d in range(n_dirs)]


def _reverse_time(x, lens):
    """Reverse each sequence within its own length (x: seq, batch, ...)."""
    if lens is None:
        return ember.flip(x, [0])
    T, B = x.shape[0], x.shape[1]
    t = np.arange(T).reshape(-1, 1)
    src = np.where(t < lens.reshape(1, -1), lens.reshape(1, -1) - 1 - t, t)
    idx = np.broadcast_to(src.reshape(T, B, *([1] * (x.dim() - 2))), tuple(x.shape))
    return ember.gather(x, 0, tensor(np.ascontiguousarray(idx)))


def _run(ctx, kind, x, w, r, b, lens, h0, c0, p):
    layout = ctx.attr("layout", 0)
    if layout:
        x = x.transpose(0, 1)
        h0 = h0.transpose(0, 1) if h0 is not None else None
        c0 = c0.transpose(0, 1) if c0 is not None else None
    direction = ctx.attr("direction", "forward")
    n_dirs = 2 if direction == "bidirectional" else 1
    hidden = ctx.attr("hidden_size") or r.shape[-1]
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
    defaults = {"RNN": ["Tanh"], "GRU": ["Sigmoid", "Tanh"], "LSTM": ["Sigmoid", "Tanh", "Tanh"]}[kind]
    acts = _activations(ctx, defaults, n_dirs)
    clip = ctx.attr("clip")
    T, B = x.shape[0], x.shape[1]
    lens_np = None if lens is None else arr(lens).astype(np.int64)
    if lens_np is not None and np.all(lens_np == T):
        lens_np = None
    cl = (lambda v: ember.clamp(v, -clip, clip)) if clip is not None else (lambda v: v)
    ys, hs, cs = [], [], []
    for d in range(n_dirs):
        reverse = direction == "reverse" or d == 1
        f_act = acts[d]
        wd, rd = w[d], r[d]
        bias_w = b[d, :gates * hidden] if b is not None else None
        bias_r = b[d, gates * hidden:] if b is not None else None
        xd = _reverse_time(x, lens_np) if reverse else x
        proj = ember.matmul(xd, wd.transpose(0, 1))  # (T, B, gates*hidden)
        if bias_w is not None:
            proj = proj + bias_w
            if kind != "GRU":
                proj = proj + bias_r
        h = h0[d] if h0 is not None else ember.zeros(B, hidden, dtype=x.dtype)
        c = c0[d] if (c0 is not None and kind == "LSTM") else ember.zeros(B, hidden, dtype=x.dtype)
        if kind == "LSTM" and ctx.attr("input_forget", 0):
            raise ctx.unsupported("input_forget=1")
        outs = []
        for t in range(T):
            xt = proj[t]
            if kind == "RNN":
                h_new = f_act[0](cl(xt + ember.matmul(h, rd.transpose(0, 1))))
                c_new = c
            elif kind == "GRU":
                rz = ember.matmul(h, rd[:2 * hidden].transpose(0, 1))
                if bias_r is not None:
                    rz = rz + bias_r[:2 * hidden]
                z = f_act[0](cl(xt[:, :hidden] + rz[:, :hidden]))
                rr = f_act[0](cl(xt[:, hidden:2 * hidden] + rz[:, hidden:]))
                rh = rd[2 * hidden:].transpose(0, 1)
                rbh = bias_r[2 * hidden:] if bias_r is not None else 0.0
                if ctx.attr("linear_before_reset", 0):
                    hh = f_act[1](cl(xt[:, 2 * hidden:] + rr * (ember.matmul(h, rh) + rbh)))
                else:
                    hh = f_act[1](cl(xt[:, 2 * hidden:] + ember.matmul(rr * h, rh) + rbh))
                h_new = (1 - z) * hh + z * h
                c_new = c
            else:
                gt = xt + ember.matmul(h, rd.transpose(0, 1))
                gi, go, gf, gc = (gt[:, k * hidden:(k + 1) * hidden] for k in range(4))
                if p is not None:
                    pi, po, pf = (p[d, k * hidden:(k + 1) * hidden] for k in range(3))
                    gi, gf = gi + pi * c, gf + pf * c
                i_g, f_g, c_g = f_act[0](cl(gi)), f_act[0](cl(gf)), f_act[1](cl(gc))
                c_new = f_g * c + i_g * c_g
                if p is not None:
                    go = go + po * c_new
                o_g = f_act[0](cl(go))
                h_new = o_g * f_act[2](c_new)
            if lens_np is not None:
                alive = tensor((t < lens_np).reshape(B, 1))
                h_new = ember.where(alive, h_new, h)
                c_new = ember.where(alive, c_new, c)
                outs.append(ember.where(alive, h_new, ember.zeros_like(h_new)))
            else:
                outs.append(h_new)
            h, c = h_new, c_new
        y = ember.stack(outs, dim=0)  # (T, B, hidden)
        if reverse:
            y = _reverse_time(y, lens_np)
        ys.append(y)
        hs.append(h)
        cs.append(c)
    y = ember.stack(ys, dim=1)  # (T, dirs, B, hidden)
    yh, yc = ember.stack(hs, dim=0), ember.stack(cs, dim=0)
    if layout:
        y, yh, yc = y.permute(2, 0, 1, 3), yh.transpose(0, 1), yc.transpose(0, 1)
    outs = (y, yh, yc) if kind == "LSTM" else (y, yh)
    return outs[:max(ctx.n_outputs, 1)]


@register("RNN")
def rnn(ctx, x, w, r, b=None, lens=None, h0=None):
    return _run(ctx, "RNN", x, w, r, b, lens, h0, None, None)


@register("GRU")
def gru(ctx, x, w, r, b=None, lens=None, h0=None):
    return _run(ctx, "GRU", x, w, r, b, lens, h0, None, None)


@register("LSTM")
def lstm(ctx, x, w, r, b=None, lens=None, h0=None, c0=None, p=None):
    return _run(ctx, "LSTM", x, w, r, b, lens, h0, c0, p)
