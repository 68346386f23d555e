"""N-d convolution, transposed convolution and pooling for ``keras.ops.nn`` (1-D, 2-D, 3-D).

Keras's conventions: inputs ``(N, *spatial, C)`` (``channels_last``) or ``(N, C, *spatial)``,
kernels ``(*k, C_in / groups, C_out)``, 'same' padding with the odd pixel after (as Keras's PyTorch
backend). Written as a sum over kernel taps: for tap ``t`` the strided window view of the padded
input is multiplied by ``kernel[t]`` (one matmul), so every dimension, stride, dilation and group
count shares one differentiable path; 2-D channels-last ungrouped convolutions use ember's NHWC
kernel (``ember.keras.ops.conv2d``).

>>> from ember.keras import ops
>>> ops.conv(ops.ones((1, 5, 1)), ops.ones((3, 1, 1))).reshape(-1).tolist()
[3.0, 3.0, 3.0]
"""
import itertools

import numpy as np

from ... import functional as _F
from ...autograd import ops as _E
from ...autograd.tensor import make
from .core import convert_to_tensor as _T


def _tuple(v, n, name):
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: {name}={v}")
    return v


def _data_format(data_format):
    from .. import backend
    fmt = backend.image_data_format() if data_format is None else str(data_format).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"The `data_format` argument must be one of 'channels_first', 'channels_last'. "
                         f"Received: data_format={data_format}")
    return fmt


def _to_last(x, fmt):
    return _E.movedim(x, 1, -1) if fmt == "channels_first" else x


def _from_last(x, fmt):
    return _E.movedim(x, -1, 1) if fmt == "channels_first" else x


def same_pads(size, k, s, d=1):
    """Keras's 'same' padding ``(before, after)`` along one axis."""
    eff = (k - 1) * d + 1
    total = eff - 1 if s == 1 else max(0, (-(-size // s) - 1) * s + eff - size)
    return total // 2, total - total // 2


def _pad_spatial(x, pads, value=0.0, mode="constant"):
    """Pad the spatial axes of channels-last ``x``."""
    if not any(a or b for a, b in pads):
        return x
    if mode == "replicate":
        for ax, (a, b) in enumerate(pads, start=1):
            n = x.shape[ax]
            idx = np.clip(np.arange(-a, n + b), 0, n - 1)
            x = _E.index_select(x, ax, make(idx))
        return x
    flat = [0, 0]
    for a, b in reversed(pads):
        flat += [a, b]
    return _F.pad(x, flat, mode="constant", value=value)


def _tap(xp, offs, strides, outs):
    idx = (slice(None),) + tuple(slice(o, o + s * (n - 1) + 1, s) for o, s, n in zip(offs, strides, outs))
    return xp[idx]


def _check_rank(x, name):
    if x.ndim not in (3, 4, 5):
        raise ValueError(f"Inputs to {name} must have ndim=3, 4 or 5, corresponding to 1D, 2D and 3D inputs. "
                         f"Received input shape: {tuple(x.shape)}.")


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-d convolution (cross-correlation); groups = ``C_in // kernel.shape[-2]``."""
    x, w = _T(inputs), _T(kernel)
    _check_rank(x, "conv operation")
    fmt = _data_format(data_format)
    nd = x.ndim - 2
    strides, dil = _tuple(strides, nd, "strides"), _tuple(dilation_rate, nd, "dilation_rate")
    x = _to_last(x, fmt)
    if x.dtype is not w.dtype:
        d = _E.add(make(np.zeros(1, x._data.dtype)), make(np.zeros(1, w._data.dtype))).dtype
        x, w = x.to(d), w.to(d)
    cin, kin, cout = x.shape[-1], w.shape[-2], w.shape[-1]
    if cin % kin:
        raise ValueError(f"Input channels ({cin}) must be divisible by kernel input channels ({kin})")
    groups = cin // kin
    ks = tuple(w.shape[:nd])
    if nd == 2 and groups == 1 and padding in ("valid", "same"):
        from .conv import conv2d
        return _from_last(conv2d(x, w, None, strides, padding, dil), fmt)
    if padding == "same":
        pads = [same_pads(n, k, s, d) for n, k, s, d in zip(x.shape[1:-1], ks, strides, dil)]
        x = _pad_spatial(x, pads)
    elif padding != "valid":
        raise ValueError(f"conv: padding must be 'valid' or 'same', got {padding!r}")
    outs = [(n - (k - 1) * d - 1) // s + 1 for n, k, s, d in zip(x.shape[1:-1], ks, strides, dil)]
    y = None
    for tap in itertools.product(*[range(k) for k in ks]):
        win = _tap(x, [t * d for t, d in zip(tap, dil)], strides, outs)
        wt = w[tap]
        if groups == 1:
            part = _E.matmul(win, wt)
        else:
            g = win.reshape(*win.shape[:-1], groups, kin).unsqueeze(-2)
            wg = wt.reshape(kin, groups, cout // groups).permute(1, 0, 2)
            part = _E.matmul(g, wg).reshape(*win.shape[:-1], cout)
        y = part if y is None else _E.add(y, part)
    return _from_last(y, fmt)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution: kernel ``(*k, C, multiplier)``, output channel ``c * multiplier + m``."""
    w = _T(kernel)
    w = w.reshape(*w.shape[:-2], 1, w.shape[-2] * w.shape[-1])
    return conv(inputs, w, strides, padding, data_format, dilation_rate)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format, dilation_rate)


def _transpose_pads(k, s, d, padding, output_padding):
    eff = (k - 1) * d + 1
    if padding == "valid":
        op = max(eff, s) - eff if output_padding is None else output_padding
        return eff - 1, eff - 1 + op
    pad_len = s + eff - 2 if output_padding is None else eff + eff % 2 - 2 + output_padding
    left = min(pad_len // 2 + pad_len % 2, eff - 1)
    return left, pad_len - left


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """Transposed convolution: kernel ``(*k, C_out, C_in)``; output size as Keras's ('same': ``in * stride``)."""
    x, w = _T(inputs), _T(kernel)
    _check_rank(x, "conv transpose operation")
    fmt = _data_format(data_format)
    nd = x.ndim - 2
    strides, dil = _tuple(strides, nd, "strides"), _tuple(dilation_rate, nd, "dilation_rate")
    if padding not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be one of 'valid', 'same'. Received: padding={padding}")
    x = _to_last(x, fmt)
    ks = tuple(w.shape[:nd])
    ins = tuple(x.shape[1:-1])
    full = [(n - 1) * s + (k - 1) * d + 1 for n, s, k, d in zip(ins, strides, ks, dil)]
    cout = w.shape[-2]
    N = x.shape[0]
    y = make(np.zeros((N, *full, cout), np.result_type(x._data.dtype, w._data.dtype)))
    for tap in itertools.product(*[range(k) for k in ks]):
        part = _E.matmul(x, _E.transpose(w[tap], 0, 1))
        # Place part at offsets tap*d with stride s: dilate by zero-insertion, then pad into place.
        for ax, s in enumerate(strides, start=1):
            if s > 1:
                shape = list(part.shape)
                z = make(np.zeros(shape[:ax + 1] + [s - 1] + shape[ax + 1:], part._data.dtype))
                part = _E.cat([part.unsqueeze(ax + 1), z], ax + 1)
                shape[ax] = shape[ax] * s
                part = part.reshape(shape)
                part = _E.narrow(part, ax, 0, (ins[ax - 1] - 1) * s + 1)
        pads = [(t * d, f - t * d - p) for t, d, f, p in zip(tap, dil, full, part.shape[1:-1])]
        y = _E.add(y, _pad_spatial(part, pads))
    o = output_padding
    for ax in range(nd):
        o_i = o if o is None or isinstance(o, int) else o[ax]
        left, right = _transpose_pads(ks[ax], strides[ax], dil[ax], padding, o_i)
        eff = (ks[ax] - 1) * dil[ax] + 1
        cl, cr = eff - 1 - left, eff - 1 - right
        n = y.shape[ax + 1]
        if cl > 0 or cr > 0:
            a, b = max(cl, 0), max(cr, 0)
            y = _E.narrow(y, ax + 1, a, n - a - b)
        if cl < 0 or cr < 0:
            pads = [(0, 0)] * nd
            pads[ax] = (max(-cl, 0), max(-cr, 0))
            y = _pad_spatial(y, pads)
    return _from_last(y, fmt)


def _pool_geometry(x, pool_size, strides, fmt):
    nd = x.ndim - 2
    ps = _tuple(pool_size, nd, "pool_size")
    st = ps if strides is None else _tuple(strides, nd, "strides")
    return nd, ps, st


def _pool(x, pool_size, strides, padding, data_format, kind):
    x = _T(x)
    _check_rank(x, "pooling op")
    fmt = _data_format(data_format)
    nd, ps, st = _pool_geometry(x, pool_size, strides, fmt)
    x = _to_last(x, fmt)
    count = None
    if padding == "same":
        pads = [same_pads(n, k, s) for n, k, s in zip(x.shape[1:-1], ps, st)]
        if all(a == b for a, b in pads):
            fill = -np.inf if kind == "max" else 0.0
            if kind == "avg" and any(a for a, _ in pads):
                ones = make(np.ones((1, *x.shape[1:-1], 1), x._data.dtype))
                count = _pad_spatial(ones, pads)
            x = _pad_spatial(x, pads, fill)
        else:
            # Keras's PyTorch backend pads asymmetric 'same' pooling by replicating the edge.
            x = _pad_spatial(x, pads, mode="replicate")
    elif padding != "valid":
        raise ValueError(f"pooling: padding must be 'valid' or 'same', got {padding!r}")
    outs = [(n - k) // s + 1 for n, k, s in zip(x.shape[1:-1], ps, st)]
    taps = [_tap(x, tap, st, outs) for tap in itertools.product(*[range(k) for k in ps])]
    if kind == "max":
        return _from_last(_E.max(_E.stack(taps, -1), -1)[0], fmt)
    total = taps[0]
    for t in taps[1:]:
        total = _E.add(total, t)
    if count is None:
        return _from_last(_E.div(total, float(np.prod(ps))), fmt)
    cnt = None
    for tap in itertools.product(*[range(k) for k in ps]):
        c = _tap(count, tap, st, outs)
        cnt = c if cnt is None else _E.add(cnt, c)
    return _from_last(_E.div(total, cnt), fmt)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """N-d max pooling (the gradient goes to the first maximum of each window)."""
    return _pool(inputs, pool_size, strides, padding, data_format, "max")


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """N-d average pooling ('same' windows divide by their real, unpadded pixels)."""
    return _pool(inputs, pool_size, strides, padding, data_format, "avg")


def _adaptive_bounds(n, m):
    i = np.arange(m)
    return (i * n) // m, -((-(i + 1) * n) // m)


def _adaptive(inputs, output_size, data_format, kind):
    x = _T(inputs)
    _check_rank(x, "adaptive pooling")
    fmt = _data_format(data_format)
    nd = x.ndim - 2
    out = _tuple(output_size, nd, "output_size")
    x = _to_last(x, fmt)
    for ax, m in enumerate(out, start=1):
        starts, ends = _adaptive_bounds(x.shape[ax], m)
        parts = []
        for a, b in zip(starts, ends):
            seg = _E.narrow(x, ax, int(a), int(b - a))
            parts.append(_E.max(seg, ax, keepdim=True)[0] if kind == "max" else _E.mean(seg, ax, keepdim=True))
        x = _E.cat(parts, ax)
    return _from_last(x, fmt)


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed ``output_size`` (PyTorch's window bounds ``floor(i n/m)..ceil((i+1) n/m)``)."""
    return _adaptive(inputs, output_size, data_format, "avg")


def adaptive_max_pool(inputs, output_size, data_format=None):
    return _adaptive(inputs, output_size, data_format, "max")
