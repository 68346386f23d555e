"""Fake quantization for quantization-aware training: observe, then quantize-dequantize in float.

:class:`FakeQuantize` runs its observer on each input (while ``observer_enabled``), copies the
observer's ``(scale, zero_point)`` into its buffers and returns
``fake_quantize_per_tensor_affine(x, scale, zero_point, quant_min, quant_max)`` (or per channel),
whose gradient is the straight-through estimator (1 inside the range, 0 where clamped).

:class:`FusedMovingAvgObsFakeQuantize` is PyTorch's fused op (``torch.fused_moving_avg_obs_fake_quant``):
the same moving-average observation, but the qparams it fake-quantizes with come from ATen's
``ChooseQuantizationParams`` (zero point chosen from whichever end has the smaller rounding error;
symmetric ranges made ``[-128, 127] * s``), not from the observer's Python formula, which
``calculate_qparams`` (and so ``convert``) still uses.

>>> import ember
>>> from ember.ao.quantization import FakeQuantize
>>> fq = FakeQuantize()
>>> fq(ember.tensor([0.0, 0.26, 1.0]))
tensor([0.0000, 0.2588, 1.0000])
"""
import numpy as np

from ... import nn
from ...autograd import quantized as _q
from ...autograd.quantized import choose_quantization_params  # noqa: F401 (PyTorch's name lives here too)
from ...autograd.tensor import make
from ...backend import qdtypes as _qd
from .observer import (MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver, HistogramObserver,
                       _with_args, _is_per_channel, _is_per_tensor, _set, _f32)

class FakeQuantizeBase(nn.Module):
    """The switches every fake-quantize module has (buffers ``fake_quant_enabled``, ``observer_enabled``)."""

    with_args = classmethod(_with_args)

    def __init__(self):
        super().__init__()
        self.register_buffer("fake_quant_enabled", make(np.array([1], np.uint8)))
        self.register_buffer("observer_enabled", make(np.array([1], np.uint8)))

    def enable_fake_quant(self, enabled=True):
        self.fake_quant_enabled._data[0] = 1 if enabled else 0

    def disable_fake_quant(self):
        self.enable_fake_quant(False)

    def enable_observer(self, enabled=True):
        self.observer_enabled._data[0] = 1 if enabled else 0

    def disable_observer(self):
        self.enable_observer(False)


class FakeQuantize(FakeQuantizeBase):
    """Observe ``x`` with ``observer(**observer_kwargs)``, then fake-quantize it with the observer's qparams."""

    def __init__(self, observer=MovingAverageMinMaxObserver, quant_min=None, quant_max=None, is_dynamic=False,
                 **observer_kwargs):
        super().__init__()
        if quant_min is not None and quant_max is not None:
            if quant_min > quant_max:
                raise AssertionError("quant_min must be less than or equal to quant_max")
            observer_kwargs.update({"quant_min": quant_min, "quant_max": quant_max})
        observer_kwargs["is_dynamic"] = is_dynamic
        self.activation_post_process = observer(**observer_kwargs)
        app = self.activation_post_process
        self.quant_min, self.quant_max, self.is_dynamic = app.quant_min, app.quant_max, app.is_dynamic
        zp_dtype = np.float32 if app.qscheme is _qd.per_channel_affine_float_qparams else np.int32
        self.register_buffer("scale", make(np.array([1.0], np.float32)))
        self.register_buffer("zero_point", make(np.array([0], zp_dtype)))
        self.dtype, self.qscheme = app.dtype, app.qscheme
        self.ch_axis = getattr(app, "ch_axis", -1)
        if not (_is_per_channel(self.qscheme) or _is_per_tensor(self.qscheme)):
            raise AssertionError("Only per channel and per tensor quantization are supported in fake quantize"
                                 f" got qscheme: {self.qscheme}")
        self.is_per_channel = _is_per_channel(self.qscheme)

    def calculate_qparams(self):
        return self.activation_post_process.calculate_qparams()

    def forward(self, X):
        if self.observer_enabled._data[0] == 1:
            self.activation_post_process(X.detach())
            scale, zero_point = self.calculate_qparams()
            _set(self.scale, scale._data)
            _set(self.zero_point, zero_point._data)
        if self.fake_quant_enabled._data[0] == 1:
            app = self.activation_post_process
            if self.is_per_channel:
                X = _q.fake_quantize_per_channel_affine(X, self.scale, self.zero_point, self.ch_axis,
                                                        app.quant_min, app.quant_max)
            else:
                X = _q.fake_quantize_per_tensor_affine(X, self.scale, self.zero_point, app.quant_min, app.quant_max)
        return X

    def extra_repr(self):
        app = self.activation_post_process
        return (f"fake_quant_enabled={self.fake_quant_enabled}, observer_enabled={self.observer_enabled}, "
                f"quant_min={app.quant_min}, quant_max={app.quant_max}, dtype={self.dtype}, qscheme={self.qscheme}, "
                f"ch_axis={self.ch_axis}, scale={self.scale}, zero_point={self.zero_point}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # scale and zero_point take the loaded shape (per-channel ones grow from [1]).
        for name in ("scale", "zero_point"):
            if prefix + name in state_dict:
                _set(getattr(self, name), np.asarray(state_dict[prefix + name]._data))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


class FusedMovingAvgObsFakeQuantize(FakeQuantize):
    """Moving-average observer and fake quantization in one step (PyTorch's default QAT fake-quant for x86)."""

    def __init__(self, observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, **observer_kwargs):
        super().__init__(observer, quant_min, quant_max, **observer_kwargs)
        if not isinstance(self.activation_post_process,
                          (MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver)):
            raise AssertionError("Fused observer+fake_quant module only works with MovingAverageMinMaxObserver")
        self.register_buffer("fake_quant_enabled", make(np.array([1], np.int64)))
        self.register_buffer("observer_enabled", make(np.array([1], np.int64)))
        self.is_symmetric_quant = self.activation_post_process.qscheme in (_qd.per_tensor_symmetric,
                                                                           _qd.per_channel_symmetric)

    def extra_repr(self):
        app = self.activation_post_process
        return (f"fake_quant_enabled={self.fake_quant_enabled}, observer_enabled={self.observer_enabled}, "
                f"scale={self.scale}, zero_point={self.zero_point}, dtype={self.dtype}, "
                f"quant_min={app.quant_min}, quant_max={app.quant_max}, qscheme={self.qscheme}, "
                f"reduce_range={app.reduce_range}")

    def forward(self, X):
        app = self.activation_post_process
        if self.observer_enabled._data[0] == 1:
            app(X.detach())
            lo, hi = _f32(app.min_val).reshape(-1), _f32(app.max_val).reshape(-1)
            pairs = [choose_quantization_params(a, b, app.quant_min, app.quant_max, self.is_symmetric_quant)
                     for a, b in zip(lo, hi)]
            _set(self.scale, np.array([p[0] for p in pairs], np.float32))
            _set(self.zero_point, np.array([p[1] for p in pairs], np.int32))
        if self.fake_quant_enabled._data[0] != 1:
            return X.clone()
        if self.is_per_channel:
            return _q.fake_quantize_per_channel_affine(X, self.scale, self.zero_point, self.ch_axis,
                                                       app.quant_min, app.quant_max)
        return _q.fake_quantize_per_tensor_affine(X, self.scale, self.zero_point, app.quant_min, app.quant_max)


def disable_fake_quant(mod):
    """``model.apply(disable_fake_quant)``: turn fake quantization off in every fake-quantize module."""
    if isinstance(mod, FakeQuantizeBase):
        mod.disable_fake_quant()


def enable_fake_quant(mod):
    if isinstance(mod, FakeQuantizeBase):
        mod.enable_fake_quant()


def disable_observer(mod):
    """``model.apply(disable_observer)``: freeze the qparams (stop observing)."""
    if isinstance(mod, FakeQuantizeBase):
        mod.disable_observer()


def enable_observer(mod):
    if isinstance(mod, FakeQuantizeBase):
        mod.enable_observer()


default_fake_quant = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
                                            dtype=_qd.quint8, qscheme=_qd.per_tensor_affine, reduce_range=True)
default_weight_fake_quant = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=-128,
                                                   quant_max=127, dtype=_qd.qint8,
                                                   qscheme=_qd.per_tensor_symmetric, reduce_range=False)
default_dynamic_fake_quant = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
                                                    is_dynamic=True, dtype=_qd.quint8, averaging_constant=1)
default_per_channel_weight_fake_quant = FakeQuantize.with_args(
    observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127, dtype=_qd.qint8,
    qscheme=_qd.per_channel_symmetric, reduce_range=False, ch_axis=0)
default_histogram_fake_quant = FakeQuantize.with_args(observer=HistogramObserver, quant_min=0, quant_max=255,
                                                      dtype=_qd.quint8, qscheme=_qd.per_tensor_affine,
                                                      reduce_range=True)
default_fused_act_fake_quant = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, dtype=_qd.quint8)
default_fused_wt_fake_quant = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=-128, quant_max=127, dtype=_qd.qint8,
    qscheme=_qd.per_tensor_symmetric)
default_fused_per_channel_wt_fake_quant = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127, dtype=_qd.qint8,
    qscheme=_qd.per_channel_symmetric)
