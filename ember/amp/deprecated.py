"""``torch.cuda.amp`` and ``torch.cpu.amp``: the deprecated device-specific spellings of ``torch.amp``.

Each warns with PyTorch's ``FutureWarning`` and then behaves as the ``ember.amp`` class for its
device (a CUDA region or scaler disables itself, as PyTorch's does without a GPU).
"""
import functools
import warnings

from .autocast_mode import autocast as _autocast, custom_bwd as _custom_bwd, custom_fwd as _custom_fwd
from .grad_scaler import GradScaler as _GradScaler


def _warn(old, new):
    warnings.warn(f"`{old}(args...)` is deprecated. Please use `{new}` instead.", FutureWarning, stacklevel=3)


def _device_autocast(device):
    class autocast(_autocast):
        __doc__ = f"``torch.{device}.amp.autocast``: ``ember.autocast('{device}', ...)``, deprecated."

        def __init__(self, enabled=True, dtype=None, cache_enabled=True):
            _warn(f"torch.{device}.amp.autocast", f"torch.amp.autocast('{device}', args...)")
            default = "float16" if device == "cuda" else "bfloat16"
            super().__init__(device, dtype=default if dtype is None else dtype, enabled=enabled,
                             cache_enabled=cache_enabled)
    autocast.__qualname__ = autocast.__name__ = "autocast"
    return autocast


def _device_grad_scaler(device):
    class GradScaler(_GradScaler):
        __doc__ = f"``torch.{device}.amp.GradScaler``: ``ember.amp.GradScaler('{device}', ...)``, deprecated."

        def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                     enabled=True):
            _warn(f"torch.{device}.amp.GradScaler", f"torch.amp.GradScaler('{device}', args...)")
            super().__init__(device, init_scale=init_scale, growth_factor=growth_factor,
                             backoff_factor=backoff_factor, growth_interval=growth_interval, enabled=enabled)
    return GradScaler


def _device_custom(device, fn):
    @functools.wraps(fn)
    def deprecated(f=None, **kwargs):
        _warn(f"torch.{device}.amp.{fn.__name__}", f"torch.amp.{fn.__name__}(args..., device_type='{device}')")
        return fn(f, device_type=device, **kwargs)
    return deprecated


cuda_autocast = _device_autocast("cuda")
cuda_grad_scaler = _device_grad_scaler("cuda")
cpu_grad_scaler = _device_grad_scaler("cpu")
cpu_autocast = _device_autocast("cpu")
cuda_custom_fwd = _device_custom("cuda", _custom_fwd)
cuda_custom_bwd = _device_custom("cuda", _custom_bwd)
