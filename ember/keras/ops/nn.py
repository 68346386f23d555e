"""``keras.ops.nn``: activations, normalization, one-hot encodings, losses, attention, CTC and the
N-d convolution and pooling ops (``nn_conv``), with Keras's formulas and defaults.

``gelu`` is the tanh approximation unless ``approximate=False``; ``leaky_relu``'s slope is 0.2;
the probability losses clip to ``[epsilon, 1 - epsilon]`` as Keras does.

>>> from ember.keras import ops
>>> ops.relu([-1.0, 2.0]).tolist(), ops.one_hot([0, 2], 3).tolist()
([0.0, 2.0], [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
"""
import math

import numpy as np

from ... import functional as _F
from ... import creation as _C
from ...autograd import ops as _E
from ...autograd.tensor import make
from .core import cast, convert_to_tensor as _T
from .dtypes import floatx, result_type, standardize_dtype, to_ember_dtype
from .nn_conv import (adaptive_average_pool, adaptive_max_pool, average_pool, conv, conv_transpose,  # noqa: F401
                      depthwise_conv, max_pool, separable_conv)


def _eps():
    from .. import backend
    return backend.epsilon()


def relu(x):
    return _E.relu(_T(x))


def relu6(x):
    return _F.relu6(_T(x))


def sigmoid(x):
    return _E.sigmoid(_T(x))


def sparse_sigmoid(x):
    """0 below -1, 1 above 1, ``(x + 1) / 2`` between."""
    x = _T(x)
    return _E.where(_E.le(x, -1), _C.zeros_like(x), _E.where(_E.ge(x, 1), _C.ones_like(x), _E.mul(_E.add(x, 1), 0.5)))


def tanh(x):
    return _E.tanh(_T(x))


def tanh_shrink(x):
    return _F.tanhshrink(_T(x))


def softplus(x):
    return _F.softplus(_T(x))


def softsign(x):
    return _F.softsign(_T(x))


def soft_shrink(x, threshold=0.5):
    return _F.softshrink(_T(x), threshold)


def hard_shrink(x, threshold=0.5):
    return _F.hardshrink(_T(x), threshold)


def sparse_plus(x):
    """0 below -1, ``(x + 1)**2 / 4`` on ``[-1, 1)``, ``x`` above."""
    x = _T(x)
    return _E.where(_E.le(x, -1), _C.zeros_like(x), _E.where(_E.lt(x, 1), _E.mul(_E.square(_E.add(x, 1)), 0.25), x))


def silu(x):
    return _F.silu(_T(x))


swish = silu


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``."""
    x = _T(x)
    return _E.div(_E.add(x, _E.sqrt(_E.add(_E.square(x), _T(b)))), 2)


def log_sigmoid(x):
    return _F.logsigmoid(_T(x))


def leaky_relu(x, negative_slope=0.2):
    return _F.leaky_relu(_T(x), negative_slope)


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``."""
    return _F.hardsigmoid(_T(x))


def hard_silu(x):
    """``x * relu6(x + 3) / 6``."""
    return _F.hardswish(_T(x))


hard_swish = hard_silu


def elu(x, alpha=1.0):
    return _F.elu(_T(x), alpha)


def selu(x):
    return _F.selu(_T(x))


def gelu(x, approximate=True):
    """``x * Phi(x)``; ``approximate=True`` uses the tanh form."""
    return _F.gelu(_T(x), approximate="tanh" if approximate else "none")


def celu(x, alpha=1.0):
    return _F.celu(_T(x), alpha)


def glu(x, axis=-1):
    """``a * sigmoid(b)`` for the two halves ``a, b`` of ``x`` along ``axis``."""
    return _F.glu(_T(x), axis)


def hard_tanh(x):
    return _F.hardtanh(_T(x), -1.0, 1.0)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    return _F.threshold(_T(x), threshold, default_value)


def _softmax_like(fn, x, axis):
    x = _T(x)
    n = standardize_dtype(x.dtype)
    xc = cast(x, "float32") if n == "float16" else x
    if axis is None:
        out = fn(xc.reshape(-1), -1).reshape(tuple(x.shape))
    elif isinstance(axis, (tuple, list)):
        axes = [a % x.ndim for a in axis]
        rest = [a for a in range(x.ndim) if a not in axes]
        moved = _E.permute(xc, rest + axes)
        flat = moved.reshape(*moved.shape[:len(rest)], -1)
        out = fn(flat, -1).reshape(tuple(moved.shape))
        out = _E.permute(out, list(np.argsort(rest + axes)))
    else:
        out = fn(xc, int(axis))
    return cast(out, n)


def softmax(x, axis=-1):
    return _softmax_like(_E.softmax, x, axis)


def log_softmax(x, axis=-1):
    return _softmax_like(_E.log_softmax, x, axis)


def sparsemax(x, axis=-1):
    """Euclidean projection of ``x`` onto the simplex along ``axis`` (sparse probabilities)."""
    z = _T(x)
    zs = _E.sort(z, axis, descending=True)[0]
    cs = _E.cumsum(zs, axis)
    shape = [1] * z.ndim
    shape[axis] = -1
    r = make(np.arange(1, z.shape[axis] + 1, dtype=z._data.dtype).reshape(shape))
    support = _E.gt(_E.sub(zs, _E.div(_E.sub(cs, 1), r)), 0)
    k = _E.sum(cast(support, z.dtype), axis, keepdim=True)
    csum = _E.sum(_E.where(support, cs, _C.zeros_like(cs)), axis, keepdim=True)
    tau = _E.div(_E.sub(csum, 1), k)
    return _E.clamp(_E.sub(z, tau), min=0.0)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Vectors of ``num_classes`` with 1 at each index of ``x`` (negative indices give all zeros)."""
    if sparse:
        raise ValueError("one_hot: `sparse=True` is not supported by ember")
    ix = _T(x)._data.astype(np.int64)
    d = to_ember_dtype(dtype or floatx())
    out = (ix[..., None] == np.arange(int(num_classes))).astype(d.numpy)
    if axis != -1 and axis != out.ndim - 1:
        out = np.moveaxis(out, -1, axis)
    return make(np.ascontiguousarray(out))


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """The union of ``one_hot`` over the last input axis (1 for every class present in a row); Keras's signature
    (``num_tokens=`` is the old name of ``num_classes``)."""
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if num_classes is None:
        raise ValueError("Argument `num_classes` must be specified.")
    x = _T(inputs)
    oh = one_hot(cast(x, "int32"), num_classes, axis, dtype, sparse)
    red = 1 if x.ndim > 1 else 0
    return _E.amax(oh, red)


def _same_shape(target, output, name):
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError(f"Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-sum(target * log(p))`` along ``axis``; ``p`` is ``output`` renormalised and clipped (or its softmax)."""
    target, output = _T(target), _T(output)
    _same_shape(target, output, "categorical_crossentropy")
    if target.ndim < 1:
        raise ValueError("Arguments `target` and `output` must be at least rank 1. Received: "
                         f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")
    if from_logits:
        logp = _E.log_softmax(output, axis)
    else:
        p = _E.div(output, _E.sum(output, axis, keepdim=True))
        logp = _E.log(_E.clamp(p, _eps(), 1.0 - _eps()))
    return _E.neg(_E.sum(_E.mul(target, logp), axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical cross-entropy with integer class targets."""
    target, output = _T(target, "int64"), _T(output)
    if target.ndim == output.ndim and target.shape[axis] == 1:
        target = _E.squeeze(target, axis)
    if output.ndim < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: output.shape={tuple(output.shape)}")
    expect = list(output.shape)
    del expect[axis]
    if list(target.shape) != expect:
        raise ValueError("Arguments `target` and `output` must have the same shape up until the last dimension: "
                         f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")
    if from_logits:
        logp = _E.log_softmax(output, axis)
    else:
        p = _E.div(output, _E.sum(output, axis, keepdim=True))
        logp = _E.log(_E.clamp(p, _eps(), 1.0 - _eps()))
    picked = _E.take_along_dim(logp, target.unsqueeze(axis if axis >= 0 else axis), dim=axis)
    return _E.neg(_E.squeeze(picked, axis))


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise ``-(t log p + (1 - t) log(1 - p))`` (``p`` clipped, or ``sigmoid(output)``)."""
    target, output = _T(target), _T(output)
    _same_shape(target, output, "binary_crossentropy")
    if from_logits:
        return _F.binary_cross_entropy_with_logits(output, target, reduction="none")
    return _F.binary_cross_entropy(_E.clamp(output, _eps(), 1.0 - _eps()), target, reduction="none")


def moments(x, axes, keepdims=False, synchronized=False):
    """``(mean, variance)`` over ``axes`` (variance as ``E[x^2] - E[x]^2``)."""
    if synchronized:
        raise NotImplementedError("moments: `synchronized=True` is not supported by ember")
    x = _T(x)
    n = standardize_dtype(x.dtype)
    if n == "float16":
        x = cast(x, "float32")
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else (int(axes),)
    mean = _E.mean(x, axes, keepdim=True)
    var = _E.sub(_E.mean(_E.square(x), axes, keepdim=True), _E.square(mean))
    if not keepdims:
        keep = [s for i, s in enumerate(x.shape) if i not in {a % x.ndim for a in axes}]
        mean, var = mean.reshape(keep), var.reshape(keep)
    if n == "float16":
        mean, var = cast(mean, n), cast(var, n)
    return mean, var


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) * scale / sqrt(variance + epsilon) + offset`` with the statistics along ``axis``."""
    x, mean, variance = _T(x), _T(mean), _T(variance)
    shape = [1] * x.ndim
    shape[axis] = mean.shape[0]
    mean, variance = mean.reshape(shape), variance.reshape(shape)
    inv = _E.rsqrt(_E.add(variance, epsilon))
    if scale is not None:
        inv = _E.mul(inv, _T(scale).reshape(shape))
    y = _E.mul(_E.sub(x, mean), inv)
    return _E.add(y, _T(offset).reshape(shape)) if offset is not None else y


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x / max(||x||_order, epsilon)`` along ``axis``."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    x = _T(x)
    if x.ndim == 0:
        x = x.reshape(1)
    eps = _eps() if epsilon is None else epsilon
    if order == 2:
        inv = _E.rsqrt(_E.sum(_E.square(x), axis, keepdim=True))
        return _E.mul(x, _E.minimum(inv, make(np.asarray(1.0 / eps, inv._data.dtype))))
    from .linalg import norm
    nrm = norm(x, ord=order, axis=axis, keepdims=True)
    return _E.div(x, _E.maximum(nrm, make(np.asarray(eps, nrm._data.dtype))))


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x / sqrt(mean(x^2) + epsilon) * scale`` along ``axis``."""
    x = _T(x)
    n = standardize_dtype(x.dtype)
    x = cast(x, result_type(x.dtype, "float32"))
    eps = _eps() if epsilon is None else epsilon
    axes = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    r = _E.rsqrt(_E.add(_E.mean(_E.square(x), axes, keepdim=True), eps))
    y = _E.mul(x, r)
    if scale is not None:
        y = _E.mul(y, cast(scale, x.dtype))
    return cast(y, n)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False, **kwargs):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` over ``axis``."""
    x = _T(x)
    n = standardize_dtype(x.dtype)
    x = cast(x, result_type(x.dtype, "float32"))
    eps = _eps() if epsilon is None else epsilon
    axes = sorted(a % x.ndim for a in ([axis] if isinstance(axis, int) else axis))
    bshape = [1] * x.ndim
    for a in axes:
        bshape[a] = x.shape[a]

    def bc(v):
        if v is None:
            return None
        v = cast(v, x.dtype)
        return v.reshape(bshape) if v.ndim != x.ndim and axes != [x.ndim - 1] else v
    var = _E.var(x, tuple(axes), keepdim=True, correction=0)
    inv = _E.rsqrt(_E.add(var, eps))
    if rms_scaling:
        y = _E.mul(x, inv)
        return cast(_E.mul(y, bc(gamma)) if gamma is not None else y, n)
    mean = _E.mean(x, tuple(axes), keepdim=True)
    y = _E.mul(_E.sub(x, mean), inv)
    if gamma is not None:
        y = _E.mul(y, bc(gamma))
    if beta is not None:
        y = _E.add(y, bc(beta))
    return cast(y, n)


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mse)``."""
    x1, x2 = _T(x1), _T(x2)
    if tuple(x1.shape) != tuple(x2.shape):
        raise ValueError(f"Input shapes {tuple(x1.shape)} and {tuple(x2.shape)} must match for PSNR calculation. ")
    mv = _T(max_val, x1.dtype)
    mse = _E.mean(_E.square(_E.sub(x1, x2)))
    return _E.sub(_E.mul(_E.log10(mv), 20), _E.mul(_E.log10(mse), 10))


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """``softmax(q k^T * scale + bias, masked) v`` for ``(batch, seq, heads, dim)`` inputs (grouped kv heads)."""
    q, k, v = _T(query), _T(key), _T(value)
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(f"`dot_product_attention` only supports 4D inputs. Received: query.shape="
                         f"{tuple(q.shape)}, key.shape={tuple(k.shape)}, value.shape={tuple(v.shape)}.")
    if bias is not None and mask is not None:
        raise ValueError("Only one of `bias` and `mask` can be provided. Received both.")
    d = result_type(q.dtype, k.dtype, v.dtype)
    q, k, v = cast(q, d), cast(k, d), cast(v, d)
    q, k, v = (_E.transpose(t, 1, 2) for t in (q, k, v))
    hq, hk = q.shape[1], k.shape[1]
    if hq > hk and hk > 1:
        k = _E.repeat_interleave(k, hq // hk, dim=1)
        v = _E.repeat_interleave(v, hq // hk, dim=1)
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    logits = _E.mul(_E.matmul(q, _E.transpose(k, -1, -2)), s)
    if attn_logits_soft_cap is not None:
        logits = _E.mul(_E.tanh(_E.div(logits, attn_logits_soft_cap)), attn_logits_soft_cap)
    if bias is not None:
        logits = _E.add(logits, cast(bias, d))
    keep = None
    if mask is not None:
        keep = _T(mask, "bool")
    if is_causal:
        causal = make(np.tril(np.ones((q.shape[2], k.shape[2]), bool)))
        keep = causal if keep is None else _E.logical_and(keep, causal)
    if keep is not None:
        big = -0.7 * (65500.0 if d == "float16" else 3.38953e38)
        logits = _E.where(keep, logits, make(np.asarray(big, logits._data.dtype)))
    out = _E.matmul(_E.softmax(logits, -1), v)
    return _E.transpose(out, 1, 2)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding ``(N, C*kh*kw, L)`` blocks of an NCHW input (``torch.nn.functional.unfold``)."""
    return _F.unfold(_T(x), kernel_size, dilation, padding, stride)


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The sum of ``(N, C*kh*kw, L)`` blocks into an NCHW image (``torch.nn.functional.fold``)."""
    return _F.fold(_T(x), output_size, kernel_size, dilation, padding, stride)


def depth_to_space(x, block_size, data_format="channels_last"):
    """Move depth into ``block_size x block_size`` spatial blocks (TensorFlow's order)."""
    x = _T(x)
    b = int(block_size)
    if data_format == "channels_last":
        n, h, w, c = x.shape
        y = x.reshape(n, h, w, b, b, c // b ** 2).permute(0, 1, 3, 2, 4, 5)
        return y.reshape(n, h * b, w * b, c // b ** 2)
    n, c, h, w = x.shape
    y = x.reshape(n, c // b ** 2, b, b, h, w).permute(0, 1, 4, 2, 5, 3)
    return y.reshape(n, c // b ** 2, h * b, w * b)


def space_to_depth(x, block_size, data_format="channels_last"):
    """Move ``block_size x block_size`` spatial blocks into depth (the inverse of ``depth_to_space``)."""
    x = _T(x)
    b = int(block_size)
    if data_format == "channels_last":
        n, h, w, c = x.shape
        y = x.reshape(n, h // b, b, w // b, b, c).permute(0, 1, 3, 2, 4, 5)
        return y.reshape(n, h // b, w // b, c * b * b)
    n, c, h, w = x.shape
    y = x.reshape(n, c, h // b, b, w // b, b).permute(0, 1, 3, 5, 2, 4)
    return y.reshape(n, c * b * b, h // b, w // b)


def _lse_last(stacked):
    """``log(sum(exp(.)))`` over the last axis, -inf (with a zero gradient) where every entry is -inf."""
    m = _E.amax(stacked, -1).detach()
    finite = _E.logical_not(_E.isinf(m))
    m_safe = _E.where(finite, m, _C.zeros_like(m))
    total = _E.sum(_E.exp(_E.sub(stacked, m_safe.unsqueeze(-1))), -1)
    pos = _E.gt(total, 0)
    out = _E.add(_E.log(_E.where(pos, total, _C.ones_like(total))), m_safe)
    return _E.where(pos, out, make(np.asarray(-np.inf, total._data.dtype)))


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Connectionist temporal classification loss per batch item (``output``: ``(batch, time, classes)`` logits).

    The forward (alpha) recursion in log space over the blank-extended labels, written with ember ops,
    so the gradient is autograd's."""
    target = _T(target)._data.astype(np.int64)
    out = _T(output)
    out = cast(out, result_type(out.dtype, "float32"))
    tl = _T(target_length)._data.astype(np.int64).reshape(-1)
    ol = _T(output_length)._data.astype(np.int64).reshape(-1)
    B, T, _ = out.shape
    logp = _E.log_softmax(out, -1)
    L = 2 * target.shape[1] + 1
    ext = np.full((B, L), mask_index, np.int64)
    ext[:, 1::2] = target
    valid = np.arange(L)[None, :] < (2 * tl[:, None] + 1)
    skip = np.zeros((B, L), bool)
    skip[:, 2:] = (ext[:, 2:] != mask_index) & (ext[:, 2:] != ext[:, :-2])
    neg = make(np.asarray(-np.inf, out._data.dtype))
    idx = make(np.broadcast_to(ext[:, None, :], (B, T, L)).copy())
    emit = _E.gather(logp, 2, idx)
    init = np.full((B, L), False)
    init[:, 0] = True
    init[:, 1] = tl > 0
    alpha = _E.where(make(init & valid), emit[:, 0], neg)
    for t in range(1, T):
        a1 = _E.cat([make(np.full((B, 1), -np.inf, out._data.dtype)), alpha[:, :-1]], 1)
        a2 = _E.cat([make(np.full((B, 2), -np.inf, out._data.dtype)), alpha[:, :-2]], 1)
        a2 = _E.where(make(skip), a2, neg)
        lse = _lse_last(_E.stack([alpha, a1, a2], -1))
        new = _E.where(make(valid), _E.add(lse, emit[:, t]), neg)
        alpha = _E.where(make((t < ol)[:, None]), new, alpha)
    last = 2 * tl
    a_last = _E.gather(alpha, 1, make(last[:, None]))[:, 0]
    a_prev = _E.gather(alpha, 1, make(np.maximum(last - 1, 0)[:, None]))[:, 0]
    a_prev = _E.where(make(tl > 0), a_prev, neg)
    return _E.neg(_lse_last(_E.stack([a_last, a_prev], -1)))


def _prefix_beam_search(lp, n, beam_width, top_paths, blank):
    """CTC prefix beam search over ``lp`` ``(time, classes)`` log-probabilities for ``n`` steps: each
    prefix keeps its log-probability of ending in a blank and in a label; returns the best prefixes."""
    neg = -np.inf
    beams = {(): (0.0, neg)}
    for t in range(n):
        new = {}

        def add(prefix, pb=neg, pnb=neg):
            ob, onb = new.get(prefix, (neg, neg))
            new[prefix] = (np.logaddexp(ob, pb), np.logaddexp(onb, pnb))
        for prefix, (pb, pnb) in beams.items():
            total = np.logaddexp(pb, pnb)
            add(prefix, pb=total + lp[t, blank])
            for c in range(lp.shape[1]):
                if c == blank:
                    continue
                if prefix and prefix[-1] == c:
                    add(prefix + (c,), pnb=pb + lp[t, c])
                    add(prefix, pnb=pnb + lp[t, c])
                else:
                    add(prefix + (c,), pnb=total + lp[t, c])
        ranked = sorted(new.items(), key=lambda kv: -np.logaddexp(*kv[1]))
        beams = dict(ranked[:beam_width])
    ranked = sorted(beams.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:top_paths]
    return [(list(p), float(np.logaddexp(*v))) for p, v in ranked]


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1, merge_repeated=True,
               mask_index=0):
    """CTC decoding of ``inputs`` ``(batch, time, classes)``: ``(decoded (top_paths, batch, time) padded with -1,
    scores (batch, top_paths))``. 'greedy' takes each step's best class (score: minus the sum of the step
    maxima, Keras's, on the inputs as given); 'beam_search' runs a prefix beam search on ``log_softmax(inputs)``
    (score: the log-probability of the decoded labelling)."""
    if strategy not in ("greedy", "beam_search"):
        raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'.")
    x = _T(inputs)
    lp = cast(x, result_type(x.dtype, "float32"))._data
    lens = _T(sequence_lengths)._data.astype(np.int64).reshape(-1)
    B, T, _ = lp.shape
    if strategy == "beam_search":
        logp = _E.log_softmax(make(lp), -1)._data.astype(np.float64)
        decoded = np.full((top_paths, B, T), -1, np.int32)
        scores = np.full((B, top_paths), -np.inf, lp.dtype)
        for b in range(B):
            for k, (path, score) in enumerate(_prefix_beam_search(logp[b], int(lens[b]), beam_width, top_paths,
                                                                  mask_index)):
                decoded[k, b, :len(path)] = path
                scores[b, k] = score
        return make(decoded), make(scores)
    best = lp.argmax(-1)
    scores = np.zeros((B, 1), lp.dtype)
    decoded = np.full((B, T), -1, np.int32)
    for b in range(B):
        n = int(lens[b])
        path = best[b, :n]
        scores[b, 0] = -lp[b, np.arange(n), path].sum()
        keep = path != mask_index
        if merge_repeated:
            keep &= np.concatenate([[True], path[1:] != path[:-1]])
        labels = path[keep]
        decoded[b, :len(labels)] = labels
    return make(decoded[None]), make(scores)


def polar(abs_, angle):
    raise NotImplementedError("polar: ember has no complex dtype")
