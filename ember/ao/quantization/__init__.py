"""``ember.ao.quantization`` (``torch.ao.quantization``): eager-mode post-training static and dynamic
quantization and quantization-aware training, numerically as PyTorch's x86 (fbgemm) CPU backend.

>>> import ember
>>> from ember import nn
>>> from ember.ao.quantization import QuantStub, DeQuantStub, get_default_qconfig, prepare, convert
>>> m = nn.Sequential(QuantStub(), nn.Linear(3, 2), DeQuantStub()).eval()
>>> m.qconfig = get_default_qconfig("x86")
>>> m = prepare(m)
>>> _ = m(ember.randn(8, 3))
>>> q = convert(m)
>>> q(ember.randn(2, 3)).shape
ember.Size([2, 2])
"""
from .fake_quantize import (FakeQuantize, FakeQuantizeBase, FusedMovingAvgObsFakeQuantize,  # noqa: F401
                            default_fake_quant, default_weight_fake_quant, default_per_channel_weight_fake_quant,
                            default_histogram_fake_quant, default_dynamic_fake_quant, default_fused_act_fake_quant,
                            default_fused_wt_fake_quant, default_fused_per_channel_wt_fake_quant,
                            disable_fake_quant, enable_fake_quant, disable_observer, enable_observer)
from .fuse_modules import fuse_modules, fuse_modules_qat, fuse_known_modules, get_fuser_method  # noqa: F401
from .observer import (ObserverBase, UniformQuantizationObserverBase, MinMaxObserver,  # noqa: F401
                       MovingAverageMinMaxObserver, PerChannelMinMaxObserver, MovingAveragePerChannelMinMaxObserver,
                       HistogramObserver, PlaceholderObserver, NoopObserver, default_observer,
                       default_weight_observer, default_per_channel_weight_observer, default_histogram_observer,
                       default_dynamic_quant_observer, default_placeholder_observer, default_debug_observer,
                       default_float_qparams_observer, weight_observer_range_neg_127_to_127)
from .qconfig import (QConfig, QConfigDynamic, get_default_qconfig, get_default_qat_qconfig,  # noqa: F401
                      default_qconfig, default_debug_qconfig, default_per_channel_qconfig, default_dynamic_qconfig,
                      float16_dynamic_qconfig, float16_static_qconfig, per_channel_dynamic_qconfig,
                      float_qparams_weight_only_qconfig, default_qat_qconfig, default_weight_only_qconfig,
                      default_activation_only_qconfig)
from .quantize import (prepare, prepare_qat, convert, quantize, quantize_qat, quantize_dynamic,  # noqa: F401
                       propagate_qconfig_, swap_module, get_default_static_quant_module_mappings,
                       get_default_qat_module_mappings, get_default_dynamic_quant_module_mappings,
                       get_default_qconfig_propagation_list, DEFAULT_STATIC_QUANT_MODULE_MAPPINGS,
                       DEFAULT_QAT_MODULE_MAPPINGS, DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS)
from .stubs import QuantStub, DeQuantStub, QuantWrapper  # noqa: F401

__all__ = [n for n in dir() if not n.startswith("_") and n not in ("fake_quantize", "observer", "qconfig", "quantize",
                                                                   "stubs")]
