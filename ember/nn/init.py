"""Weight initialisation: fill a tensor in place from a distribution, as ``torch.nn.init`` does.

Every function works under ``no_grad``, returns the tensor, and draws from ember's
global generator (seeded by ``ember.manual_seed``) or from ``generator=``. A meta tensor
(no data) is left as it is and nothing is drawn, as in torch.

Fan-in and fan-out of a weight of shape ``(out, in, *kernel)`` are
``in * prod(kernel)`` and ``out * prod(kernel)``.

>>> import ember
>>> from ember.nn import init
>>> w = ember.empty(256, 128)
>>> _ = init.kaiming_uniform_(w, nonlinearity="relu")   # U(-b, b), b = sqrt(6 / 128)
>>> bool(w.abs().max() <= (6 / 128) ** 0.5)
True
"""
import math
import warnings

import numpy as np

from ..random import uniform_into, normal_into, _randperm_values, _gen


def _fill(tensor, values):
    tensor._data[...] = values
    tensor._bump()
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for ``nonlinearity``: 1 for linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for
    relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope ``param``, default 0.01), 3/4 for selu."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
                         f"(got shape {tuple(shape)})")
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with samples of U(a, b)."""
    uniform_into(tensor._data, a, b, generator)
    tensor._bump()
    return tensor


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with samples of N(mean, std^2)."""
    # float(): mean and std may be 0-d tensors (fast.ai's random erasing passes x.mean(), x.std())
    normal_into(tensor._data, float(mean), float(std), generator)
    tensor._bump()
    return tensor


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) conditioned on ``a <= x <= b`` (``a``, ``b`` are absolute bounds).

    As torch 2.13: when the interval holds more than 30% of the mass, draw normals and redraw (the
    whole tensor, keeping only what is needed) until every value is inside; otherwise rejection
    from U(a, b) against the density relative to its peak, ``log U(0, 1) > log pdf``."""
    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    mean, std, a, b = float(mean), float(std), float(a), float(b)

    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    arr = tensor._data
    if tensor.is_meta:
        return tensor
    dt = arr.dtype.type
    if norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std) > 0.3:
        lo, hi = float(dt(a)), float(dt(b))
        normal_into(arr, mean, std, generator)
        while True:
            mask = (arr < lo) | (arr > hi)
            if not mask.any():
                break
            fresh = np.empty_like(arr)
            normal_into(fresh, mean, std, generator)
            arr[mask] = fresh[mask]
        tensor._bump()
        return tensor

    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2

    def log_pdf(c):  # -0.5 ((c - mean) / std)^2 - log_peak, in the tensor's precision as torch does it
        return ((c - dt(mean)) / dt(std)) ** 2 * dt(-0.5) - dt(log_peak)

    def rejected(cand):
        u = np.empty_like(arr)
        uniform_into(u, 0.0, 1.0, generator)
        with np.errstate(divide="ignore"):
            return np.log(u) > log_pdf(cand)

    uniform_into(arr, a, b, generator)
    pending = rejected(arr)
    while pending.any():
        cand = np.empty_like(arr)
        uniform_into(cand, a, b, generator)
        arr[pending] = cand[pending]
        pending = pending & rejected(cand)
    tensor._bump()
    return tensor


def constant_(tensor, val):
    """Fill with ``val``."""
    return _fill(tensor, val)


def ones_(tensor):
    return _fill(tensor, 1)


def zeros_(tensor):
    return _fill(tensor, 0)


def eye_(tensor):
    """The identity matrix (2-D tensors only)."""
    if tensor.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported, got shape {tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor._data.shape))


def dirac_(tensor, groups=1):
    """The Dirac delta for 3-, 4- or 5-D conv weights: a conv that passes its input channels through."""
    d = tensor.ndim
    if d not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    shape = tensor._data.shape
    if shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per = shape[0] // groups
    m = min(out_per, shape[1])
    z = np.zeros(shape)
    centre = tuple(s // 2 for s in shape[2:])
    for g in range(groups):
        for i in range(m):
            z[(g * out_per + i, i) + centre] = 1
    return _fill(tensor, z)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std  # torch's order of operations, so the float32 bound is the same
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-b, b) with b = gain * sqrt(3 / fan) (He et al., 2015); ``a`` is the leaky_relu slope."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std  # torch's order of operations, so the float32 bound is the same
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2) with std = gain / sqrt(fan)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix (the tensor viewed as ``(shape[0], -1)``) times ``gain``."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    if tensor.is_meta:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = np.empty((rows, cols), tensor._data.dtype)
    normal_into(flat, 0.0, 1.0, generator)  # torch's draws; its float32 QR is done here in float64
    flat = flat.astype(np.float64)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor._data.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A 2-D matrix of N(0, std^2) values with a fraction ``sparsity`` of each column set to zero."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    if tensor.is_meta:
        return tensor
    rows, cols = tensor.shape
    nz = int(math.ceil(sparsity * rows))
    z = tensor._data
    normal_into(z, 0.0, std, generator)
    for c in range(cols):  # torch draws each column's rows from the global generator (no generator=)
        z[_randperm_values(_gen(None), rows)[:nz], c] = 0
    tensor._bump()
    return tensor


def _no_underscore(fn):
    def old(*args, **kwargs):
        warnings.warn(f"`nn.init.{fn.__name__[:-1]}` is now deprecated in favor of `nn.init.{fn.__name__}`.",
                      FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)
    old.__name__ = fn.__name__[:-1]
    return old


uniform = _no_underscore(uniform_)
normal = _no_underscore(normal_)
constant = _no_underscore(constant_)
xavier_uniform = _no_underscore(xavier_uniform_)
xavier_normal = _no_underscore(xavier_normal_)
kaiming_uniform = _no_underscore(kaiming_uniform_)
kaiming_normal = _no_underscore(kaiming_normal_)
orthogonal = _no_underscore(orthogonal_)
sparse = _no_underscore(sparse_)
eye = _no_underscore(eye_)
dirac = _no_underscore(dirac_)

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
           "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
           "sparse_"]
