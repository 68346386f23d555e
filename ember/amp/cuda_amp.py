"""``ember.cuda.amp`` (``torch.cuda.amp``): deprecated aliases; ember has no CUDA, so they disable themselves.

>>> import warnings, ember
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     ember.cuda.amp.GradScaler().is_enabled()
False
"""
from .deprecated import cuda_autocast as autocast, cuda_grad_scaler as GradScaler
from .deprecated import cuda_custom_bwd as custom_bwd, cuda_custom_fwd as custom_fwd

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd"]
