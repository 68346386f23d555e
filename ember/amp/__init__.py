"""``ember.amp``: PyTorch's automatic mixed precision API (``torch.amp``).

``autocast`` regions are recorded (their state is queryable and nests as in PyTorch) but ops keep
their inputs' dtype; ``GradScaler`` scales losses and skips steps with inf/NaN gradients exactly
as PyTorch's. See :mod:`ember.amp.autocast_mode` for why ember does not cast to bfloat16.

>>> import ember
>>> scaler = ember.amp.GradScaler("cpu")
>>> scaler.is_enabled(), scaler.get_scale()
(True, 65536.0)
"""
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd", "is_autocast_available"]
