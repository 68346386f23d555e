"""``keras.ops.image`` over ember tensors: color conversion, resizing, affine warps, coordinate
sampling, padding and cropping, patches, blur, edges and SSIM, with Keras's conventions (channels-last
by default, Keras's PyTorch-backend formulas). Every op is built from ember ops, so gradients flow
to the images (and, for sampling, through the interpolation weights to the coordinates).

>>> from ember.keras import ops
>>> ops.image.rgb_to_grayscale(ops.ones((2, 2, 3))).shape
ember.Size([2, 2, 1])
"""
import itertools

import numpy as np

from ... import functional as _F
from ... import creation as _C
from ...autograd import ops as _E
from ...autograd.tensor import make
from .core import cast, convert_to_tensor as _T
from .dtypes import standardize_dtype
from .nn_conv import _data_format, conv


def _check_rank(images, name="images"):
    if images.ndim not in (3, 4):
        raise ValueError(f"Invalid {name} rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received input with shape: {name}.shape={tuple(images.shape)}")


def _channel_axis(fmt):
    return -1 if fmt == "channels_last" else -3


def rgb_to_grayscale(images, data_format=None):
    """``0.2989 R + 0.587 G + 0.114 B`` as one channel (a 1-channel input is copied)."""
    x = _T(images)
    fmt = _data_format(data_format)
    _check_rank(x)
    ax = _channel_axis(fmt)
    if x.shape[ax] not in (1, 3):
        raise ValueError("Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received input with shape: "
                         f"images.shape={tuple(x.shape)}")
    if x.shape[ax] == 1:
        return _E.clone(x)
    r, g, b = _E.unbind(x, ax)
    y = _E.add(_E.add(_E.mul(r, 0.2989), _E.mul(g, 0.587)), _E.mul(b, 0.114))
    return cast(y, x.dtype).unsqueeze(ax)


def _check_float(x):
    if not x.is_floating_point():
        raise ValueError(f"Invalid images dtype: expected float dtype. Received: images.dtype="
                         f"{standardize_dtype(x.dtype)}")


def rgb_to_hsv(images, data_format=None):
    """RGB in ``[0, 1]`` to hue, saturation, value in ``[0, 1]``."""
    x = _T(images)
    fmt = _data_format(data_format)
    _check_rank(x)
    _check_float(x)
    ax = _channel_axis(fmt)
    eps = float(np.finfo(x._data.dtype).eps)
    x = _E.where(_E.lt(_E.abs(x), eps), _C.zeros_like(x), x)
    r, g, b = _E.unbind(x, ax)
    value = _E.maximum(_E.maximum(r, g), b)
    rng = _E.sub(value, _E.minimum(_E.minimum(r, g), b))
    one = _C.ones_like(value)
    sat = _E.where(_E.gt(value, 0), _E.div(rng, _E.where(_E.gt(value, 0), value, one)), _C.zeros_like(value))
    norm = _E.div(1.0, _E.mul(_E.where(_E.gt(rng, 0), rng, one), 6.0))
    hue = _E.where(_E.eq(value, g), _E.add(_E.mul(norm, _E.sub(b, r)), 2.0 / 6.0),
                   _E.add(_E.mul(norm, _E.sub(r, g)), 4.0 / 6.0))
    hue = _E.where(_E.eq(value, r), _E.mul(norm, _E.sub(g, b)), hue)
    hue = _E.add(_E.where(_E.gt(rng, 0), hue, _C.zeros_like(hue)), cast(_E.lt(hue, 0.0), hue.dtype))
    return _E.stack([hue, sat, value], ax)


def hsv_to_rgb(images, data_format=None):
    """Hue, saturation, value in ``[0, 1]`` to RGB."""
    x = _T(images)
    fmt = _data_format(data_format)
    _check_rank(x)
    _check_float(x)
    ax = _channel_axis(fmt)
    h, s, v = _E.unbind(x, ax)
    dh = _E.mul(_E.remainder(h, 1.0), 6.0)
    dr = _E.clamp(_E.sub(_E.abs(_E.sub(dh, 3.0)), 1.0), 0.0, 1.0)
    dg = _E.clamp(_E.rsub(_E.abs(_E.sub(dh, 2.0)), 2.0), 0.0, 1.0)
    db = _E.clamp(_E.rsub(_E.abs(_E.sub(dh, 4.0)), 2.0), 0.0, 1.0)
    one_minus_s = _E.rsub(s, 1.0)
    chans = [_E.mul(v, _E.add(one_minus_s, _E.mul(s, d))) for d in (dr, dg, db)]
    return _E.stack(chans, ax)


_RESIZE = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize to ``size = (height, width)`` (half-pixel centers), optionally cropping or padding to the
    target aspect ratio first. Integer images are rounded back to their dtype."""
    fmt = _data_format(data_format)
    if interpolation not in _RESIZE:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one {tuple(_RESIZE)}. "
                         f"Received: interpolation={interpolation}")
    if fill_mode != "constant":
        raise ValueError(f"Invalid value for argument `fill_mode`. Only `'constant'` is supported. Received: "
                         f"fill_mode={fill_mode}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
    if len(size) != 2:
        raise ValueError(f"Argument `size` must be a tuple of two elements (height, width). Received: size={size}")
    x = _T(images)
    _check_rank(x)
    squeeze = x.ndim == 3
    if squeeze:
        x = x.unsqueeze(0)
    out_dtype = x.dtype
    if standardize_dtype(x.dtype) not in ("float32", "float64"):
        x = cast(x, "float32")
    if fmt == "channels_last":
        x = _E.permute(x, (0, 3, 1, 2))
    th, tw = int(size[0]), int(size[1])
    H, W = x.shape[-2], x.shape[-1]
    if crop_to_aspect_ratio:
        ch = max(min(H, int(float(W * th) / tw)), 1)
        cw = max(min(W, int(float(H * tw) / th)), 1)
        hs, ws = int(float(H - ch) / 2), int(float(W - cw) / 2)
        x = x[:, :, hs:hs + ch, ws:ws + cw]
    elif pad_to_aspect_ratio:
        ph, pw = max(H, int(float(W * th) / tw)), max(W, int(float(H * tw) / th))
        hs, ws = int(float(ph - H) / 2), int(float(pw - W) / 2)
        x = _F.pad(x, [ws if ws > 0 else 0, ws if ws > 0 else 0, hs if hs > 0 else 0, hs if hs > 0 else 0],
                   value=float(fill_value))
    mode = _RESIZE[interpolation]
    if antialias and interpolation in ("bilinear", "bicubic"):
        # PyTorch's antialiased kernels: the triangle (or a=-0.5 cubic) filter stretched by the
        # downscale factor, normalised over the input pixels it covers: one weight matrix per axis.
        y = x
        for ax, n_out in ((2, th), (3, tw)):
            n_in = y.shape[ax]
            m = _resample_matrix(n_in, n_out, n_out / n_in, 0.0, "linear" if mode == "bilinear" else "cubic", True)
            y = _E.movedim(_E.matmul(_E.movedim(y, ax, -1), make(m.astype(y._data.dtype))), -1, ax)
    else:
        y = _F.interpolate(x, size=(th, tw), mode=mode, align_corners=False if mode != "nearest-exact" else None)
    if interpolation == "bicubic" and standardize_dtype(out_dtype) == "uint8":
        y = _E.clamp(y, 0, 255)
    if fmt == "channels_last":
        y = _E.permute(y, (0, 2, 3, 1))
    if squeeze:
        y = y.squeeze(0)
    if y.dtype is not out_dtype:
        y = cast(_E.round(y) if not out_dtype.is_floating_point else y, out_dtype)
    return y


def _fix_index(index, size, mode):
    if mode in ("constant", "nearest"):
        return np.clip(index, 0, size - 1)
    if mode == "wrap":
        return np.mod(index, size)
    if mode == "mirror":
        s = size - 1
        return np.abs((index + s) % (2 * s) - s) if s > 0 else np.zeros_like(index)
    # reflect (d c b a | a b c d | d c b a): a mirror of the half-pixel grid.
    m = np.mod(index, 2 * size)
    return np.where(m >= size, 2 * size - 1 - m, m)


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0.0):
    """``inputs`` sampled at ``coordinates`` (one array per input axis) by nearest (``order=0``) or
    linear (``order=1``) interpolation; out-of-range samples follow ``fill_mode``."""
    x = _T(inputs)
    coords = [_T(c) for c in coordinates]
    if len(coords) != x.ndim:
        raise ValueError("First dim of `coordinates` must be the same as the rank of `inputs`. Received inputs "
                         f"with shape: {tuple(x.shape)} and coordinate leading dim of {len(coords)}")
    if fill_mode not in ("constant", "nearest", "wrap", "mirror", "reflect"):
        raise ValueError("Invalid value for argument `fill_mode`. Expected one of {'constant', 'nearest', "
                         f"'wrap', 'mirror', 'reflect'}}. Received: fill_mode={fill_mode}")
    if order not in (0, 1):
        raise NotImplementedError("map_coordinates currently requires order<=1")
    nodes_per_axis = []
    for c, n in zip(coords, x.shape):
        cf = c if c.is_floating_point() else cast(c, "float32")
        if order == 0:
            idx = np.round(cf._data).astype(np.int64) if c.is_floating_point() else c._data.astype(np.int64)
            nodes = [(idx, None)]
        else:
            lo = np.floor(cf._data)
            w_hi = _E.sub(cf, make(lo.astype(cf._data.dtype)))
            nodes = [(lo.astype(np.int64), _E.rsub(w_hi, 1.0)), (lo.astype(np.int64) + 1, w_hi)]
        nodes_per_axis.append([(_fix_index(i, n, fill_mode), (i >= 0) & (i < n), w) for i, w in nodes])
    out = None
    for combo in itertools.product(*nodes_per_axis):
        idx = tuple(make(i) for i, _, _ in combo)
        val = x[idx]
        if fill_mode == "constant":
            valid = np.logical_and.reduce([v for _, v, _ in combo])
            val = _E.where(make(valid), val, make(np.asarray(fill_value, val._data.dtype)))
        for _, _, w in combo:
            if w is not None:
                val = _E.mul(val, w)
        out = val if out is None else _E.add(out, val)
    if not x.is_floating_point():
        out = _E.round(out) if out.is_floating_point() else out
    return cast(out, x.dtype)


_AFFINE = {"nearest": 0, "bilinear": 1}


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                     data_format=None):
    """Warp images by ``transform`` ``[a0, a1, a2, b0, b1, b2, c0, c1]``: output pixel ``(x, y)`` samples
    the input at ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``."""
    fmt = _data_format(data_format)
    if interpolation not in _AFFINE:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one {set(_AFFINE)}. Received: "
                         f"interpolation={interpolation}")
    x, t = _T(images), _T(transform)
    _check_rank(x)
    if t.ndim not in (1, 2):
        raise ValueError("Invalid transform rank: expected rank 1 (single transform) or rank 2 (batch of "
                         f"transforms). Received input with shape: transform.shape={tuple(t.shape)}")
    squeeze = x.ndim == 3
    if squeeze:
        x = x.unsqueeze(0)
    if t.ndim == 1:
        t = t.unsqueeze(0)
    if fmt == "channels_first":
        x = _E.permute(x, (0, 2, 3, 1))
    N, H, W, C = x.shape
    yy, xx = np.meshgrid(np.arange(H, dtype=t._data.dtype), np.arange(W, dtype=t._data.dtype), indexing="ij")
    outs = []
    for i in range(N):
        ti = t[i if t.shape[0] > 1 else 0]
        k = _E.add(_E.add(_E.mul(ti[6], make(xx)), _E.mul(ti[7], make(yy))), 1.0)
        sx = _E.div(_E.add(_E.add(_E.mul(ti[0], make(xx)), _E.mul(ti[1], make(yy))), ti[2]), k)
        sy = _E.div(_E.add(_E.add(_E.mul(ti[3], make(xx)), _E.mul(ti[4], make(yy))), ti[5]), k)
        cy = _E.broadcast_to(sy.unsqueeze(-1), (H, W, C))
        cx = _E.broadcast_to(sx.unsqueeze(-1), (H, W, C))
        cc = make(np.broadcast_to(np.arange(C, dtype=t._data.dtype), (H, W, C)).copy())
        outs.append(map_coordinates(x[i], [cy, cx, cc], _AFFINE[interpolation], fill_mode, fill_value))
    y = _E.stack(outs, 0)
    if fmt == "channels_first":
        y = _E.permute(y, (0, 3, 1, 2))
    return y.squeeze(0) if squeeze else y


def _hw_axes(x, fmt):
    return (x.ndim - 3, x.ndim - 2) if fmt == "channels_last" else (x.ndim - 2, x.ndim - 1)


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None,
               target_height=None, target_width=None, data_format=None):
    """Zero-pad images to ``target_height`` x ``target_width`` (or by the given paddings)."""
    fmt = _data_format(data_format)
    x = _T(images)
    _check_rank(x)
    ah, aw = _hw_axes(x, fmt)
    H, W = x.shape[ah], x.shape[aw]
    if [top_padding, bottom_padding, target_height].count(None) != 1 or \
            [left_padding, right_padding, target_width].count(None) != 1:
        raise ValueError("pad_images: give exactly two of top_padding, bottom_padding, target_height and two of "
                         f"left_padding, right_padding, target_width; got top={top_padding}, bottom="
                         f"{bottom_padding}, target_height={target_height}, left={left_padding}, right="
                         f"{right_padding}, target_width={target_width}")
    top = target_height - bottom_padding - H if top_padding is None else top_padding
    bottom = target_height - top - H if bottom_padding is None else bottom_padding
    left = target_width - right_padding - W if left_padding is None else left_padding
    right = target_width - left - W if right_padding is None else right_padding
    for name, v in (("top_padding", top), ("left_padding", left), ("right_padding", right),
                    ("bottom_padding", bottom)):
        if v < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={v}")
    pw = [[0, 0]] * x.ndim
    pw[ah], pw[aw] = [top, bottom], [left, right]
    from .numpy_shape import pad
    return pad(x, pw)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None, right_cropping=None,
                target_height=None, target_width=None, data_format=None):
    """Crop images to ``target_height`` x ``target_width`` (or by the given croppings)."""
    fmt = _data_format(data_format)
    x = _T(images)
    _check_rank(x)
    ah, aw = _hw_axes(x, fmt)
    H, W = x.shape[ah], x.shape[aw]
    top = H - target_height - bottom_cropping if top_cropping is None else top_cropping
    th = H - bottom_cropping - top if target_height is None else target_height
    left = W - target_width - right_cropping if left_cropping is None else left_cropping
    tw = W - right_cropping - left if target_width is None else target_width
    for name, v in (("top_cropping", top), ("target_height", th), ("left_cropping", left),
                    ("target_width", tw)):
        if v < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={v}")
    idx = [slice(None)] * x.ndim
    idx[ah], idx[aw] = slice(top, top + th), slice(left, left + tw)
    return x[tuple(idx)]


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Patches of ``size`` (2 ints, or 3 for volumes) flattened into the channel axis: ``(..., kh*kw*C)``."""
    if not isinstance(size, int) and len(size) == 3:
        return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    fmt = _data_format(data_format)
    x = _T(images)
    ph, pw = (size, size) if isinstance(size, int) else (size[0], size[1])
    c = x.shape[-1] if fmt == "channels_last" else x.shape[-3]
    d = ph * pw * c
    kernel = make(np.eye(d, dtype=x._data.dtype).reshape(ph, pw, c, d))
    squeeze = x.ndim == 3
    if squeeze:
        x = x.unsqueeze(0)
    y = conv(x, kernel, strides or size, padding, fmt, dilation_rate)
    return y.squeeze(0) if squeeze else y


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """3-D patches of ``size`` ``(kd, kh, kw)`` flattened into the channel axis."""
    fmt = _data_format(data_format)
    x = _T(volumes)
    size = (size,) * 3 if isinstance(size, int) else tuple(size)
    c = x.shape[-1] if fmt == "channels_last" else x.shape[-4]
    d = int(np.prod(size)) * c
    kernel = make(np.eye(d, dtype=x._data.dtype).reshape(*size, c, d))
    squeeze = x.ndim == 4
    if squeeze:
        x = x.unsqueeze(0)
    y = conv(x, kernel, strides or size, padding, fmt, dilation_rate)
    return y.squeeze(0) if squeeze else y


def _gaussian_1d(size, sigma, dtype):
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return (k / k.sum()).astype(dtype)


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Depthwise convolution with a normalised Gaussian (zero padding of ``kernel_size // 2``)."""
    fmt = _data_format(data_format)
    x = _T(images)
    _check_rank(x)
    squeeze = x.ndim == 3
    if squeeze:
        x = x.unsqueeze(0)
    if fmt == "channels_last":
        x = _E.permute(x, (0, 3, 1, 2))
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else (int(kernel_size[0]),
                                                                              int(kernel_size[1]))
    sy, sx = (sigma, sigma) if isinstance(sigma, (int, float)) else (float(sigma[0]), float(sigma[1]))
    k2 = np.outer(_gaussian_1d(kw, sx, x._data.dtype), _gaussian_1d(kh, sy, x._data.dtype))
    C = x.shape[1]
    w = make(np.broadcast_to(k2, (C, 1) + k2.shape).copy())
    y = _F.conv2d(x, w, padding=kh // 2, groups=C)
    if fmt == "channels_last":
        y = _E.permute(y, (0, 2, 3, 1))
    return y.squeeze(0) if squeeze else y


def sobel_edges(images, data_format=None):
    """Sobel gradients ``(..., 2)``: ``[..., 0]`` vertical (d/dy), ``[..., 1]`` horizontal (d/dx)."""
    fmt = _data_format(data_format)
    x = _T(images)
    if fmt == "channels_last":
        x = _E.permute(x, (0, 3, 1, 2))
    C = x.shape[1]
    sx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], x._data.dtype)
    ker = {k: make(np.broadcast_to(v, (C, 1, 3, 3)).copy()) for k, v in (("x", sx), ("y", sx.T.copy()))}
    ex = _F.conv2d(x, ker["x"], padding=1, groups=C)
    ey = _F.conv2d(x, ker["y"], padding=1, groups=C)
    e = _E.stack([ey, ex], -1)
    return _E.permute(e, (0, 2, 3, 1, 4)) if fmt == "channels_last" else e


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, data_format=None):
    """Structural similarity per image: Gaussian-weighted (valid) local means, variances and covariance,
    ``(2 mu1 mu2 + c1)(2 s12 + c2) / ((mu1^2 + mu2^2 + c1)(s1^2 + s2^2 + c2))`` averaged."""
    from .dtypes import result_type
    fmt = _data_format(data_format)
    a, b = _T(image1), _T(image2)
    orig = a.dtype
    d = result_type(a.dtype, float)
    a, b = cast(a, d), cast(b, d)
    _check_rank(a, "image1")
    _check_rank(b, "image2")
    unbatched = a.ndim == 3
    if unbatched:
        a, b = a.unsqueeze(0), b.unsqueeze(0)
    if fmt == "channels_first":
        a, b = _E.movedim(a, 1, -1), _E.movedim(b, 1, -1)
    N, H, W, C = a.shape
    g = _gaussian_1d(filter_size, filter_sigma, a._data.dtype)
    kern = make(np.outer(g, g).reshape(filter_size, filter_size, 1, 1))

    def blur(t):
        return conv(_E.permute(t, (0, 3, 1, 2)).reshape(-1, H, W, 1), kern)
    mu1, mu2 = blur(a), blur(b)
    m11, m22, m12 = _E.mul(mu1, mu1), _E.mul(mu2, mu2), _E.mul(mu1, mu2)
    s11 = _E.sub(blur(_E.mul(a, a)), m11)
    s22 = _E.sub(blur(_E.mul(b, b)), m22)
    s12 = _E.sub(blur(_E.mul(a, b)), m12)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    num = _E.mul(_E.add(_E.mul(m12, 2.0), c1), _E.add(_E.mul(s12, 2.0), c2))
    den = _E.mul(_E.add(_E.add(m11, m22), c1), _E.add(_E.add(s11, s22), c2))
    val = _E.mean(_E.div(num, den), (1, 2, 3)).reshape(N, C)
    r = _E.mean(val, -1)
    return cast(r.squeeze(0) if unbatched else r, orig)


def _homography(start, end):
    """The 8 coefficients mapping ``end`` corners to ``start`` corners (the sampling direction),
    solved with ember ops so that gradients reach the points."""
    from ... import linalg as _L
    rows, rhs = [], []
    zero, one = _C.zeros_like(start[0, 0]), _C.ones_like(start[0, 0])
    for k in range(4):
        xs, ys, xe, ye = start[k, 0], start[k, 1], end[k, 0], end[k, 1]
        rows.append(_E.stack([xe, ye, one, zero, zero, zero, -xs * xe, -xs * ye]))
        rhs.append(xs)
        rows.append(_E.stack([zero, zero, zero, xe, ye, one, -ys * xe, -ys * ye]))
        rhs.append(ys)
    return _L.solve(_E.stack(rows), _E.stack(rhs))


def perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0,
                          data_format=None):
    """Warp so that the four ``start_points`` ``(x, y)`` land on ``end_points`` (a projective map)."""
    x = _T(images)
    d = standardize_dtype(x.dtype) if x.is_floating_point() else "float32"
    s, e = cast(start_points, d), cast(end_points, d)
    if s.ndim == 2:
        s, e = s.unsqueeze(0), e.unsqueeze(0)
    coeffs = _E.stack([_homography(s[i], e[i]) for i in range(s.shape[0])])
    return affine_transform(x, coeffs if x.ndim == 4 else coeffs[0], interpolation, "constant", fill_value,
                            data_format)


def _kernel_weights(method, x):
    ax = np.abs(x)
    if method == "linear":
        return np.maximum(0, 1 - ax)
    if method == "cubic":
        a = -0.5
        return np.where(ax <= 1, ((a + 2) * ax - (a + 3)) * ax * ax + 1,
                        np.where(ax < 2, ((a * ax - 5 * a) * ax + 8 * a) * ax - 4 * a, 0))
    if method in ("lanczos3", "lanczos5"):
        r = 3 if method == "lanczos3" else 5
        return np.where(ax < r, np.sinc(x) * np.sinc(x / r), 0)
    if method == "nearest":
        return ((x >= -0.5) & (x < 0.5)).astype(np.float64)
    raise ValueError(f"scale_and_translate: unknown method {method!r}")


def _resample_matrix(in_size, out_size, scale, translation, method, antialias):
    """``(in, out)`` weights: output pixel j samples around input ``(j + 0.5 - t) / s - 0.5`` (JAX's rule)."""
    centers = (np.arange(out_size) + 0.5 - translation) / scale - 0.5
    k_scale = max(1.0 / scale, 1.0) if antialias and method != "nearest" else 1.0
    d = (np.arange(in_size)[:, None] - centers[None, :]) / k_scale
    w = _kernel_weights(method, d)
    tot = w.sum(0, keepdims=True)
    w = np.where(np.abs(tot) > 1000 * np.finfo(np.float32).eps, w / np.where(tot == 0, 1, tot), 0)
    inside = (centers >= -0.5) & (centers <= in_size - 0.5)
    return w * inside[None, :]


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True):
    """Resample ``images`` along ``spatial_dims`` to ``output_shape`` with per-axis ``scale`` and
    ``translation`` (``jax.image.scale_and_translate``): one weight matrix product per axis."""
    x = _T(images)
    if not x.is_floating_point():
        x = cast(x, "float32")
    sc = np.asarray(_T(scale)._data, np.float64).reshape(-1)
    tr = np.asarray(_T(translation)._data, np.float64).reshape(-1)
    for k, ax in enumerate(spatial_dims):
        m = _resample_matrix(x.shape[ax], int(output_shape[ax]), sc[k], tr[k], method, antialias)
        moved = _E.movedim(x, ax, -1)
        x = _E.movedim(_E.matmul(moved, make(m.astype(x._data.dtype))), -1, ax)
    return x


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear", fill_mode="reflect",
                      fill_value=0.0, seed=None, data_format=None):
    """Random elastic deformation, as in Keras: per image two fields ``dx, dy ~ sigma * N(0, 1)`` of shape
    ``(H, W)``, each smoothed by ``gaussian_blur`` with a ``k x k`` kernel, ``k = int(6 sigma) | 1``, and
    std ``sigma``; output pixel ``(y, x)`` samples the input at ``(y + alpha * dy, x + alpha * dx)``
    (``interpolation``, ``fill_mode``). ``dx`` is drawn first, then ``dy``, both from ``keras.random.normal``."""
    from .. import random as kr
    fmt = _data_format(data_format)
    if interpolation not in _AFFINE:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one {set(_AFFINE)}. Received: "
                         f"interpolation={interpolation}")
    x = _T(images)
    _check_rank(x)
    squeeze = x.ndim == 3
    if squeeze:
        x = x.unsqueeze(0)
    if fmt == "channels_first":
        x = _E.permute(x, (0, 2, 3, 1))
    N, H, W, C = x.shape
    dtype = standardize_dtype(x.dtype)
    alpha, sigma = float(alpha), float(sigma)
    ks = int(6 * sigma) | 1
    dx = _E.mul(kr.normal((N, H, W), 0.0, 1.0, dtype=dtype, seed=seed), sigma)
    dy = _E.mul(kr.normal((N, H, W), 0.0, 1.0, dtype=dtype, seed=seed), sigma)
    dx = _E.mul(gaussian_blur(dx.unsqueeze(-1), (ks, ks), (sigma, sigma), data_format="channels_last"), alpha)
    dy = _E.mul(gaussian_blur(dy.unsqueeze(-1), (ks, ks), (sigma, sigma), data_format="channels_last"), alpha)
    yy, xx = np.meshgrid(np.arange(H, dtype=x._data.dtype), np.arange(W, dtype=x._data.dtype), indexing="ij")
    outs = []
    for i in range(N):
        cy = _E.broadcast_to(_E.add(make(yy), dy[i, :, :, 0]).unsqueeze(-1), (H, W, C))
        cx = _E.broadcast_to(_E.add(make(xx), dx[i, :, :, 0]).unsqueeze(-1), (H, W, C))
        cc = make(np.broadcast_to(np.arange(C, dtype=x._data.dtype), (H, W, C)).copy())
        outs.append(map_coordinates(x[i], [cy, cx, cc], _AFFINE[interpolation], fill_mode, fill_value))
    y = _E.stack(outs, 0)
    if fmt == "channels_first":
        y = _E.permute(y, (0, 3, 1, 2))
    return y.squeeze(0) if squeeze else y

