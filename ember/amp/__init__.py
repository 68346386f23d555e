"""``ember.amp``: PyTorch's automatic mixed precision API (``torch.amp``).

``autocast`` regions nest and answer queries as PyTorch's; inside a CPU region the ops of PyTorch's
lists cast as its do (matmul, linear, convolution, attention in bfloat16; losses in float32: see
:mod:`ember.amp.autocast_mode`). ``GradScaler`` scales losses and skips steps with inf/NaN gradients
exactly as PyTorch's.

>>> import ember
>>> scaler = ember.amp.GradScaler("cpu")
>>> scaler.is_enabled(), scaler.get_scale()
(True, 65536.0)
"""
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd", "is_autocast_available"]
