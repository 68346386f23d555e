"""``torch.utils.mobile_optimizer``: PyTorch's TorchScript passes for mobile, a no-op in ember.

:func:`optimize_for_mobile` returns the (scripted) module it is given, unchanged: ember has no
TorchScript graph to fold or fuse (``torch.jit.script`` returns the module itself), so the module
runs exactly as before. The backend, blocklist and preserved methods are checked and ignored.

>>> import ember
>>> m = ember.nn.Linear(2, 2)
>>> optimize_for_mobile(m) is m
True
"""
import enum

__all__ = ["optimize_for_mobile", "MobileOptimizerType", "LintCode", "generate_mobile_module_lints"]


class MobileOptimizerType(enum.Enum):
    CONV_BN_FUSION = 0
    INSERT_FOLD_PREPACK_OPS = 1
    REMOVE_DROPOUT = 2
    FUSE_ADD_RELU = 3
    HOIST_CONV_PACKED_PARAMS = 4
    VULKAN_AUTOMATIC_GPU_TRANSFER = 6


class LintCode(enum.Enum):
    BUNDLED_INPUT = 1
    REQUIRES_GRAD = 2
    DROPOUT = 3
    BATCHNORM = 4


def optimize_for_mobile(script_module, optimization_blocklist=None, preserved_methods=None, backend="CPU"):
    """``script_module`` unchanged (see the module docstring)."""
    if backend.lower() not in ("cpu", "vulkan", "metal"):
        raise TypeError(f"Unknown backend, must be one of 'CPU', 'Vulkan' or 'Metal', got {backend!r}")
    return script_module


def generate_mobile_module_lints(script_module):
    """No lints: ember keeps no TorchScript attributes to check."""
    return []
