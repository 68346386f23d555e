"""Observers: modules that watch the tensors flowing through them and choose quantization parameters.

Each observer records statistics in ``forward`` (which returns its input unchanged) and answers
``calculate_qparams() -> (scale, zero_point)``. From a range ``[min, max]`` widened to hold 0, with
``[qmin, qmax]`` the integer range (halved by ``reduce_range``):

- affine: ``scale = (max - min) / (qmax - qmin)``, ``zero_point = qmin - round(min / scale)``;
- symmetric: ``scale = max(|min|, max) / ((qmax - qmin) / 2)``, ``zero_point`` 0 (128 for quint8);

``scale`` is at least ``eps`` (float32's). All arithmetic is float32, as PyTorch's.

- :class:`MinMaxObserver` keeps the running min and max;
- :class:`MovingAverageMinMaxObserver` an exponential moving average of them;
- :class:`PerChannelMinMaxObserver` / :class:`MovingAveragePerChannelMinMaxObserver` one range per channel;
- :class:`HistogramObserver` a 2048-bin histogram, then picks the range that minimises the L2
  quantization error (PyTorch's ``_non_linear_param_search``);
- :class:`PlaceholderObserver` only carries the dtype (dynamic quantization's activations).

>>> import ember
>>> from ember.ao.quantization import MinMaxObserver
>>> obs = MinMaxObserver()
>>> _ = obs(ember.tensor([-1.0, 0.5, 3.0]))
>>> obs.calculate_qparams()
(tensor([0.0157]), tensor([64], dtype=ember.int32))
"""
import functools
import warnings

import numpy as np

from ... import nn
from ...autograd.tensor import Tensor, make
from ...backend import qdtypes as _qd
from ...backend import dtypes as _dt

_F32_EPS = float(np.finfo(np.float32).eps)


class _PartialWrapper:
    """What ``Observer.with_args(...)`` returns: a constructor with some keywords fixed (torch's repr)."""

    def __init__(self, p):
        self.p = p
        self.callable_args = {}

    def __call__(self, *args, **keywords):
        for name, make_arg in self.callable_args.items():
            keywords.setdefault(name, make_arg())
        return self.p(*args, **keywords)

    def __repr__(self):
        return self.p.__repr__() + self.callable_args.__repr__()

    def with_args(self, **kwargs):
        return _with_args(self, **kwargs)

    def with_callable_args(self, **kwargs):
        result = _PartialWrapper(self.p)
        result.callable_args = {**self.callable_args, **kwargs}
        return result


def _with_args(cls_or_self, **kwargs):
    return _PartialWrapper(functools.partial(cls_or_self, **kwargs))


def calculate_qmin_qmax(quant_min, quant_max, has_customized_qrange, dtype, reduce_range):
    """The integer range an observer quantizes to (PyTorch's ``calculate_qmin_qmax``)."""
    if has_customized_qrange:
        if reduce_range:
            quant_min, quant_max = quant_min // 2, quant_max // 2
        return quant_min, quant_max
    name = dtype.name
    if name in ("qint8", "int8"):
        return (-64, 63) if reduce_range else (-128, 127)
    if name in ("quint8", "uint8"):
        return (0, 127) if reduce_range else (0, 255)
    if name in ("qint32", "int32"):
        return -2 ** 31, 2 ** 31 - 1
    if name == "uint16":
        return 0, 2 ** 16 - 1
    if name == "int16":
        return -2 ** 15, 2 ** 15 - 1
    return 0, 15


def _f32(v):
    return np.asarray(v._data if isinstance(v, Tensor) else v, np.float32)


def _set(buf, value):
    """Replace a buffer's contents (shape may change, as torch's ``resize_`` + ``copy_``)."""
    buf._data = np.asarray(value, buf._data.dtype).copy()


def _fmt(t):
    """A buffer as PyTorch's f-strings show it: a 0-d tensor as its number."""
    return float(t._data) if t._data.ndim == 0 else t


def _is_per_tensor(qscheme):
    return qscheme in (_qd.per_tensor_affine, _qd.per_tensor_symmetric)


def _is_per_channel(qscheme):
    return qscheme in (_qd.per_channel_affine, _qd.per_channel_symmetric, _qd.per_channel_affine_float_qparams)


class ObserverBase(nn.Module):
    """Base of the observers: ``dtype`` to quantize to; ``with_args`` makes a configured constructor."""

    with_args = classmethod(_with_args)

    def __init__(self, dtype, is_dynamic=False):
        super().__init__()
        self.dtype = dtype
        self.is_dynamic = is_dynamic

    @classmethod
    def with_callable_args(cls, **kwargs):
        return _PartialWrapper(functools.partial(cls)).with_callable_args(**kwargs)


class UniformQuantizationObserverBase(ObserverBase):
    """An observer whose qparams come from a (per-tensor or per-channel) min and max."""

    def __init__(self, dtype=None, qscheme=None, reduce_range=False, quant_min=None, quant_max=None,
                 factory_kwargs=None, eps=_F32_EPS, is_dynamic=False, **kwargs):
        dtype = _qd.quint8 if dtype is None else dtype
        qscheme = _qd.per_tensor_affine if qscheme is None else qscheme
        super().__init__(dtype=dtype, is_dynamic=is_dynamic)
        self.qscheme = qscheme
        if reduce_range:
            warnings.warn("Please use quant_min and quant_max to specify the range for observers.                     "
                          "reduce_range will be deprecated in a future release of PyTorch.", stacklevel=2)
        self.reduce_range = reduce_range
        self.register_buffer("eps", make(np.array([eps], np.float32)))
        self.has_customized_qrange = quant_min is not None and quant_max is not None
        if self.has_customized_qrange and not quant_min <= 0 <= quant_max:
            raise AssertionError("Used-specified quantization range must include 0.")
        if self.has_customized_qrange and quant_min >= quant_max:
            raise AssertionError("qmin must be strictly less than qmax for user-specified quantization range.")
        self.quant_min, self.quant_max = calculate_qmin_qmax(quant_min, quant_max, self.has_customized_qrange,
                                                             self.dtype, self.reduce_range)

    def _calculate_qparams(self, min_val, max_val):
        """(scale float32, zero_point int32 or int64) from min/max arrays, as PyTorch's observers compute them."""
        min_val, max_val = _f32(min_val), _f32(max_val)
        if min_val.size == 0 or max_val.size == 0 or (min_val.size == 1 and min_val.reshape(-1)[0] == np.inf
                                                      and max_val.reshape(-1)[0] == -np.inf):
            warnings.warn("must run observer before calling calculate_qparams. Returning default values.")
            return make(np.array([1.0], np.float32)), make(np.array([0], np.int64))
        qmin, qmax = self.quant_min, self.quant_max
        eps = _f32(self.eps)
        min_neg = np.minimum(min_val, np.float32(0))
        max_pos = np.maximum(max_val, np.float32(0))
        zero_point = np.zeros(min_neg.shape, np.int64)
        if self.qscheme in (_qd.per_tensor_symmetric, _qd.per_channel_symmetric):
            max_pos = np.maximum(-min_neg, max_pos)
            scale = np.maximum(max_pos / np.float32((qmax - qmin) / 2), eps)
            if self.dtype.name in ("quint8", "uint8"):
                zero_point[...] = (qmin + qmax) // 2 if self.has_customized_qrange else 128
            elif self.dtype.name == "uint16":
                zero_point[...] = 2 ** 15
        elif self.qscheme is _qd.per_channel_affine_float_qparams:
            scale = (max_val - min_val) / np.float32(qmax - qmin)
            scale = np.where(scale > eps, scale, np.float32(1)).astype(np.float32)
            zero_point = -1 * min_val / scale
        else:
            scale = np.maximum((max_pos - min_neg) / np.float32(qmax - qmin), eps)
            zero_point = (qmin - np.rint(min_neg / scale).astype(np.int32)).astype(np.int32)
            zero_point = np.clip(zero_point, qmin, qmax).astype(np.int32)
        scale = np.asarray(scale, np.float32)
        if scale.ndim == 0:
            scale = scale.reshape(1)
        if zero_point.ndim == 0:
            zero_point = zero_point.reshape(1)
        return make(scale), make(zero_point)

    def reset_min_max_vals(self):
        raise NotImplementedError("Cannot reset min/max values in the given observer.")


class MinMaxObserver(UniformQuantizationObserverBase):
    """Keeps the running minimum and maximum of everything it sees (buffers ``min_val``, ``max_val``)."""

    def __init__(self, dtype=None, qscheme=None, reduce_range=False, quant_min=None, quant_max=None,
                 factory_kwargs=None, eps=_F32_EPS, is_dynamic=False, **kwargs):
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range, quant_min=quant_min,
                         quant_max=quant_max, factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        if _is_per_channel(self.qscheme) and type(self) is MinMaxObserver:
            raise NotImplementedError("MinMaxObserver's qscheme only support torch.per_tensor_symmetric "
                                      "and torch.per_tensor_affine.")
        self.register_buffer("min_val", make(np.array(np.inf, np.float32)))
        self.register_buffer("max_val", make(np.array(-np.inf, np.float32)))

    def _range_of(self, x):
        return x.min(), x.max()

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        x = _f32(x_orig.detach())
        lo, hi = self._range_of(x)
        _set(self.min_val, np.minimum(lo, _f32(self.min_val)))
        _set(self.max_val, np.maximum(hi, _f32(self.max_val)))
        return x_orig

    def calculate_qparams(self):
        return self._calculate_qparams(self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={_fmt(self.min_val)}, max_val={_fmt(self.max_val)}"

    def reset_min_max_vals(self):
        _set(self.min_val, np.float32(np.inf))
        _set(self.max_val, np.float32(-np.inf))


class MovingAverageMinMaxObserver(MinMaxObserver):
    """Moving averages of the min and max: ``min <- min + c * (x.min() - min)`` (``c = averaging_constant``)."""

    def __init__(self, averaging_constant=0.01, dtype=None, qscheme=None, reduce_range=False, quant_min=None,
                 quant_max=None, eps=_F32_EPS, is_dynamic=False, **kwargs):
        if not is_dynamic and _is_per_channel(qscheme):
            raise NotImplementedError("MovingAverageMinMaxObserver's qscheme only support "
                                      "torch.per_tensor_symmetric and torch.per_tensor_affine.")
        self.averaging_constant = averaging_constant
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range, quant_min=quant_min,
                         quant_max=quant_max, eps=eps, is_dynamic=is_dynamic, **kwargs)

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        x = _f32(x_orig.detach())
        lo, hi = self._range_of(x)
        old_lo, old_hi = _f32(self.min_val), _f32(self.max_val)
        if old_lo.size and np.all(old_lo == np.inf) and np.all(old_hi == -np.inf):
            new_lo, new_hi = lo, hi
        else:
            c = np.float32(self.averaging_constant)
            new_lo = old_lo + c * (lo - old_lo)
            new_hi = old_hi + c * (hi - old_hi)
        _set(self.min_val, new_lo)
        _set(self.max_val, new_hi)
        return x_orig


class PerChannelMinMaxObserver(UniformQuantizationObserverBase):
    """One running min and max per slice along ``ch_axis`` (weights: per output channel)."""

    def __init__(self, ch_axis=0, dtype=None, qscheme=None, reduce_range=False, quant_min=None, quant_max=None,
                 factory_kwargs=None, eps=_F32_EPS, is_dynamic=False, **kwargs):
        qscheme = _qd.per_channel_affine if qscheme is None else qscheme
        if not _is_per_channel(qscheme):
            raise NotImplementedError("PerChannelMinMaxObserver's qscheme only support "
                                      "torch.per_channel_symmetric, torch.per_channel_affine and "
                                      "torch.per_channel_affine_float_qparams.")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range, quant_min=quant_min,
                         quant_max=quant_max, factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        self.ch_axis = ch_axis
        self.register_buffer("min_val", make(np.zeros(0, np.float32)))
        self.register_buffer("max_val", make(np.zeros(0, np.float32)))

    def _channel_range(self, x):
        y = np.moveaxis(x, self.ch_axis, 0).reshape(x.shape[self.ch_axis], -1)
        return y.min(axis=1), y.max(axis=1)

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        lo, hi = self._channel_range(_f32(x_orig.detach()))
        old_lo, old_hi = _f32(self.min_val), _f32(self.max_val)
        if old_lo.size:
            lo, hi = np.minimum(old_lo, lo), np.maximum(old_hi, hi)
        _set(self.min_val, lo)
        _set(self.max_val, hi)
        return x_orig

    def calculate_qparams(self):
        return self._calculate_qparams(self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={_fmt(self.min_val)}, max_val={_fmt(self.max_val)}"

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # The per-channel ranges take the loaded shape (they start empty).
        for name in ("min_val", "max_val"):
            if prefix + name in state_dict:
                _set(getattr(self, name), _f32(state_dict[prefix + name]))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def reset_min_max_vals(self):
        _set(self.min_val, np.zeros(0, np.float32))
        _set(self.max_val, np.zeros(0, np.float32))


class MovingAveragePerChannelMinMaxObserver(PerChannelMinMaxObserver):
    """Per-channel moving averages of the min and max (QAT's weight observer)."""

    def __init__(self, averaging_constant=0.01, ch_axis=0, dtype=None, qscheme=None, reduce_range=False,
                 quant_min=None, quant_max=None, eps=_F32_EPS, is_dynamic=False, **kwargs):
        super().__init__(ch_axis=ch_axis, dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max, eps=eps, is_dynamic=is_dynamic, **kwargs)
        self.averaging_constant = averaging_constant

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        lo, hi = self._channel_range(_f32(x_orig.detach()))
        old_lo, old_hi = _f32(self.min_val), _f32(self.max_val)
        if old_lo.size:
            c = np.float32(self.averaging_constant)
            lo, hi = old_lo + c * (lo - old_lo), old_hi + c * (hi - old_hi)
        _set(self.min_val, lo)
        _set(self.max_val, hi)
        return x_orig


def _linspace_f32(start, end, steps):
    """torch.linspace in float32: the first half counts up from start, the second down from end."""
    start, end = np.float32(start), np.float32(end)
    step = np.float32((end - start) / np.float32(steps - 1))
    i = np.arange(steps)
    half = steps // 2
    up = start + step * i[:half].astype(np.float32)
    down = end - step * (steps - i[half:] - 1).astype(np.float32)
    return np.concatenate([up, down]).astype(np.float32)


def _histc(x, bins, lo, hi):
    """torch.histc in float32: ``bin = int((x - lo) * bins / (hi - lo))``, the top edge in the last bin."""
    lo, hi = np.float32(lo), np.float32(hi)
    if lo == hi:
        lo, hi = lo - np.float32(1), hi + np.float32(1)
    x = x[(x >= lo) & (x <= hi)]
    pos = ((x - lo) * np.float32(bins) / (hi - lo)).astype(np.int64)
    pos[pos == bins] = bins - 1
    return np.bincount(pos, minlength=bins).astype(np.float32)


class HistogramObserver(UniformQuantizationObserverBase):
    """A running histogram of the values; qparams from the sub-range that minimises the L2 quantization error.

    Each batch is binned over the running ``[min_val, max_val]``; when the range grows, the old histogram
    is spread onto the new bins (each old bin cut into ``upsample_rate`` pieces placed by their centres).
    ``calculate_qparams`` shrinks ``[start_bin, end_bin]`` from the side with less mass, ``1e-5`` of the
    total at a time, while the estimated error of quantizing to ``2 ** bits`` levels keeps falling.
    """

    def __init__(self, bins=2048, dtype=None, qscheme=None, reduce_range=False, quant_min=None, quant_max=None,
                 factory_kwargs=None, eps=_F32_EPS, is_dynamic=False, **kwargs):
        qscheme = _qd.per_tensor_affine if qscheme is None else qscheme
        if not _is_per_tensor(qscheme):
            raise NotImplementedError("HistogramObserver's qscheme only support torch.per_tensor_symmetric "
                                      "and torch.per_tensor_affine.")
        if is_dynamic:
            raise NotImplementedError("HistogramObserver doesn't support dynamic quantization")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range, quant_min=quant_min,
                         quant_max=quant_max, factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        self.bins = bins
        self.register_buffer("histogram", make(np.zeros(bins, np.float32)))
        self.register_buffer("min_val", make(np.array(np.inf, np.float32)))
        self.register_buffer("max_val", make(np.array(-np.inf, np.float32)))
        self.dst_nbins = 2 ** (8 * self.dtype.itemsize)
        self.upsample_rate = 16

    @staticmethod
    def _get_norm(delta_begin, delta_end, density):
        """density * integral of x^2 over [begin, end] = density * (end^3 - begin^3) / 3."""
        norm = (delta_end * delta_end * delta_end - delta_begin * delta_begin * delta_begin) / np.float32(3)
        return density * norm

    def _compute_quantization_error(self, next_start_bin, next_end_bin):
        lo, hi = float(self.min_val._data), float(self.max_val._data)
        bin_width = (hi - lo) / self.bins
        dst_bin_width = bin_width * (next_end_bin - next_start_bin + 1) / self.dst_nbins
        if dst_bin_width == 0.0:
            return 0.0
        f = np.float32
        bw, dbw = f(bin_width), f(dst_bin_width)
        src_bin = np.arange(self.bins)
        src_begin = (src_bin - next_start_bin).astype(np.float32) * bw
        src_end = src_begin + bw
        last = self.dst_nbins - 1
        dst_of_begin = np.clip(np.floor(src_begin / dbw), 0, last).astype(np.float32)
        dst_of_begin_center = (dst_of_begin + f(0.5)) * dbw
        dst_of_end = np.clip(np.floor(src_end / dbw), 0, last).astype(np.float32)
        density = self.histogram._data / bw
        half = f(dst_bin_width / 2)
        norm = np.zeros(self.bins, np.float32)
        norm += self._get_norm(src_begin - dst_of_begin_center, np.full(self.bins, half, np.float32), density)
        norm += (dst_of_end - dst_of_begin - f(1)) * self._get_norm(-half, half, density)
        dst_of_end_center = dst_of_end * dbw + half
        norm += self._get_norm(-half, src_end - dst_of_end_center, density)
        return float(norm.sum(dtype=np.float32))

    def _non_linear_param_search(self):
        lo, hi = _f32(self.min_val), _f32(self.max_val)
        bin_width = (hi - lo) / np.float32(self.bins)
        hist = self.histogram._data
        total = float(hist.sum(dtype=np.float32))
        csum = np.cumsum(hist, dtype=np.float32)
        stepsize = 1e-5
        alpha, beta = 0.0, 1.0
        start_bin, end_bin = 0, self.bins - 1
        norm_min = float("inf")
        while alpha < beta:
            next_alpha, next_beta = alpha + stepsize, beta - stepsize
            left, right = start_bin, end_bin
            a_lim, b_lim = np.float32(next_alpha * total), np.float32(next_beta * total)
            while left < end_bin and csum[left] < a_lim:
                left += 1
            while right > start_bin and csum[right] > b_lim:
                right -= 1
            next_start, next_end = start_bin, end_bin
            if (left - start_bin) > (end_bin - right):
                next_start, alpha = left, next_alpha
            else:
                next_end, beta = right, next_beta
            if next_start == start_bin and next_end == end_bin:
                continue
            norm = self._compute_quantization_error(next_start, next_end)
            if norm > norm_min:
                break
            norm_min = norm
            start_bin, end_bin = next_start, next_end
        new_min = lo + bin_width * np.float32(start_bin)
        new_max = lo + bin_width * np.float32(end_bin + 1)
        return new_min, new_max

    def _upscale_histogram(self, histogram, orig_min, orig_max, update_min, update_max):
        n = self.bins * self.upsample_rate
        hist = np.repeat(histogram, self.upsample_rate) / np.float32(self.upsample_rate)
        bin_size = (np.float32(orig_max) - np.float32(orig_min)) / np.float32(n)
        mids = _linspace_f32(orig_min, orig_max, n + 1)[:-1] + np.float32(0.5) * bin_size
        edges = _linspace_f32(update_min, update_max, self.bins + 1)
        buckets = np.searchsorted(edges, mids, side="right") - 1
        buckets = np.clip(buckets, 0, self.bins - 1)
        return np.bincount(buckets, weights=hist.astype(np.float64), minlength=self.bins).astype(np.float32)

    def _combine_histograms(self, orig_hist, orig_min, orig_max, update_hist, update_min, update_max):
        if update_min == orig_min and update_max == orig_max:
            return orig_hist + update_hist
        if orig_min == orig_max:
            bin_value = orig_hist.sum(dtype=np.float32)
            moved = _histc(np.array([orig_min], np.float32), self.bins, update_min, update_max) * bin_value
            return moved + update_hist
        return update_hist + self._upscale_histogram(orig_hist, orig_min, orig_max, update_min, update_max)

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        x = _f32(x_orig.detach()).reshape(-1)
        if np.isinf(x).any():
            warnings.warn("torch.inf detected in input tensor, ignoring input", stacklevel=2)
            x = x[~np.isinf(x)]
            if x.size == 0:
                return x_orig
        x_min, x_max = x.min(), x.max()
        cur_min, cur_max = _f32(self.min_val), _f32(self.max_val)
        if cur_min == np.inf or cur_max == -np.inf:
            _set(self.min_val, x_min)
            _set(self.max_val, x_max)
            _set(self.histogram, _histc(x, self.bins, x_min, x_max))
            return x_orig
        new_min, new_max = np.minimum(cur_min, x_min), np.maximum(cur_max, x_max)
        update = _histc(x, self.bins, new_min, new_max)
        if new_min == cur_min and new_max == cur_max:
            _set(self.histogram, self.histogram._data + update)
        else:
            _set(self.histogram, self._combine_histograms(self.histogram._data, cur_min, cur_max, update,
                                                          new_min, new_max))
            _set(self.min_val, new_min)
            _set(self.max_val, new_max)
        return x_orig

    def calculate_qparams(self):
        if float(self.min_val._data) == np.inf and float(self.max_val._data) == -np.inf:
            warnings.warn("must run observer before calling calculate_qparams.                                    "
                          "Returning default scale and zero point ", stacklevel=2)
            return make(np.array([1.0], np.float32)), make(np.array([0], np.int64))
        new_min, new_max = self._non_linear_param_search()
        return self._calculate_qparams(new_min, new_max)

    def extra_repr(self):
        return f"min_val={_fmt(self.min_val)}, max_val={_fmt(self.max_val)}"


class PlaceholderObserver(ObserverBase):
    """Observes nothing; carries ``dtype`` (and ``is_dynamic``) to ``convert``, as dynamic quantization needs."""

    def __init__(self, dtype=None, custom_op_name="", compute_dtype=None, quant_min=None, quant_max=None,
                 qscheme=None, eps=None, is_dynamic=False):
        super().__init__(dtype=_dt.float32 if dtype is None else dtype, is_dynamic=is_dynamic)
        if qscheme is None:
            qscheme = _qd.per_tensor_affine
        if eps is None:
            eps = _F32_EPS
        self.qscheme = qscheme
        self.quant_min, self.quant_max = quant_min, quant_max
        self.eps = eps
        self.custom_op = custom_op_name
        if compute_dtype:
            self.is_dynamic = True

    def forward(self, x):
        return x

    def calculate_qparams(self):
        raise Exception("calculate_qparams should not be called for PlaceholderObserver")  # noqa: TRY002


class NoopObserver(ObserverBase):
    """Passes values through; ``dtype`` float16 weights keep their float values."""

    def __init__(self, dtype=None, custom_op_name=""):
        super().__init__(dtype=_dt.float16 if dtype is None else dtype)
        self.custom_op = custom_op_name

    def forward(self, x):
        return x

    def calculate_qparams(self):
        raise Exception("calculate_qparams should not be called for NoopObserver")  # noqa: TRY002


default_observer = MinMaxObserver.with_args(quant_min=0, quant_max=127)
default_placeholder_observer = PlaceholderObserver
default_debug_observer = MinMaxObserver
default_weight_observer = MinMaxObserver.with_args(dtype=_qd.qint8, qscheme=_qd.per_tensor_symmetric)
weight_observer_range_neg_127_to_127 = MinMaxObserver.with_args(
    dtype=_qd.qint8, qscheme=_qd.per_tensor_symmetric, quant_min=-127, quant_max=127, eps=2 ** -12)
default_histogram_observer = HistogramObserver.with_args(quant_min=0, quant_max=127)
default_per_channel_weight_observer = PerChannelMinMaxObserver.with_args(dtype=_qd.qint8,
                                                                         qscheme=_qd.per_channel_symmetric)
default_dynamic_quant_observer = PlaceholderObserver.with_args(dtype=_qd.quint8, quant_min=0, quant_max=255,
                                                               is_dynamic=True)
default_float_qparams_observer = PerChannelMinMaxObserver.with_args(
    dtype=_qd.quint8, qscheme=_qd.per_channel_affine_float_qparams, ch_axis=0)
