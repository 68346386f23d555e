"""QConfig: which observer (or fake-quantize) constructors to attach to a module's activation and weight.

``get_default_qconfig('x86')`` (or ``'fbgemm'``) is PyTorch's server-CPU recipe: a
:class:`HistogramObserver` with ``reduce_range=True`` for activations and per-channel symmetric
int8 weights; ``get_default_qat_qconfig`` the fake-quantize equivalents for training.

>>> from ember.ao.quantization import get_default_qconfig
>>> get_default_qconfig("x86").weight().qscheme
ember.per_channel_symmetric
"""
from collections import namedtuple

from ...backend import dtypes as _dt
from .fake_quantize import (FakeQuantize, FusedMovingAvgObsFakeQuantize, default_fake_quant,  # noqa: F401
                            default_weight_fake_quant, default_per_channel_weight_fake_quant,
                            default_fused_act_fake_quant, default_fused_wt_fake_quant,
                            default_fused_per_channel_wt_fake_quant)
from .observer import (HistogramObserver, MovingAverageMinMaxObserver, NoopObserver, PlaceholderObserver,  # noqa: F401
                       default_observer, default_weight_observer, default_per_channel_weight_observer,
                       default_dynamic_quant_observer, default_float_qparams_observer, default_debug_observer,
                       default_placeholder_observer)


class QConfig(namedtuple("QConfig", ["activation", "weight"])):
    """``QConfig(activation=..., weight=...)``: observer classes (or ``with_args`` constructors), not instances."""

    __slots__ = ()

    def __new__(cls, activation, weight):
        from ... import nn
        if isinstance(activation, nn.Module) or isinstance(weight, nn.Module):
            raise ValueError("QConfig received observer instance, please pass observer class instead. "
                             "Use MyObserver.with_args(x=1) to override arguments to constructor if needed")
        return super().__new__(cls, activation, weight)


QConfigDynamic = QConfig

default_qconfig = QConfig(activation=default_observer, weight=default_weight_observer)
default_debug_qconfig = QConfig(weight=default_weight_observer, activation=default_debug_observer)
default_per_channel_qconfig = QConfig(activation=default_observer, weight=default_per_channel_weight_observer)
default_dynamic_qconfig = QConfig(activation=default_dynamic_quant_observer, weight=default_weight_observer)
float16_dynamic_qconfig = QConfig(activation=PlaceholderObserver.with_args(dtype=_dt.float16, is_dynamic=True),
                                  weight=PlaceholderObserver.with_args(dtype=_dt.float16))
float16_static_qconfig = QConfig(activation=PlaceholderObserver.with_args(dtype=_dt.float16),
                                 weight=PlaceholderObserver.with_args(dtype=_dt.float16))
per_channel_dynamic_qconfig = QConfig(activation=default_dynamic_quant_observer,
                                      weight=default_per_channel_weight_observer)
float_qparams_weight_only_qconfig = QConfig(activation=default_placeholder_observer,
                                            weight=default_float_qparams_observer)
default_qat_qconfig = QConfig(activation=default_fake_quant, weight=default_weight_fake_quant)
default_weight_only_qconfig = QConfig(activation=lambda: __import__("ember").nn.Identity(),
                                      weight=default_weight_fake_quant)
default_activation_only_qconfig = QConfig(activation=default_fake_quant,
                                          weight=lambda: __import__("ember").nn.Identity())


def get_default_qconfig(backend="x86", version=0):
    """PyTorch's post-training qconfig for ``backend`` ('x86', 'fbgemm', 'qnnpack', 'onednn')."""
    supported = ["fbgemm", "x86", "qnnpack", "onednn"]
    if backend not in supported:
        raise AssertionError(f"backend: {backend} not supported. backend must be one of {supported}")
    if version != 0:
        raise AssertionError(f"Version number: {version} in get_default_qconfig is not supported. Version "
                             f"number must be 0")
    if backend in ("fbgemm", "x86"):
        return QConfig(activation=HistogramObserver.with_args(reduce_range=True),
                       weight=default_per_channel_weight_observer)
    if backend == "qnnpack":
        return QConfig(activation=HistogramObserver.with_args(reduce_range=False), weight=default_weight_observer)
    return QConfig(activation=HistogramObserver.with_args(reduce_range=False),
                   weight=default_per_channel_weight_observer)


def get_default_qat_qconfig(backend="x86", version=1):
    """PyTorch's quantization-aware-training qconfig (version 1: the fused observer + fake-quantize)."""
    supported = ["fbgemm", "x86", "qnnpack", "onednn"]
    if backend not in supported:
        raise AssertionError(f"backend: {backend} not supported. backend must be one of {supported}")
    reduce = backend in ("fbgemm", "x86")
    if version == 0:
        act = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
                                     reduce_range=reduce)
        weight = default_weight_fake_quant if backend == "qnnpack" else default_per_channel_weight_fake_quant
        return QConfig(activation=act, weight=weight)
    if version == 1:
        act = FusedMovingAvgObsFakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0,
                                                      quant_max=255, reduce_range=reduce)
        weight = default_fused_wt_fake_quant if backend == "qnnpack" else default_fused_per_channel_wt_fake_quant
        return QConfig(activation=act, weight=weight)
    raise AssertionError(f"Version number: {version} in get_default_qat_qconfig is not supported. Version "
                         f"number must be 0 or 1")

