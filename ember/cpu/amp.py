"""``ember.cpu.amp`` (``torch.cpu.amp``): the deprecated spelling of ``ember.amp.autocast('cpu')``.

>>> import warnings, ember
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     with ember.cpu.amp.autocast():
...         ember.is_autocast_enabled("cpu")
True
"""
from ..amp.deprecated import cpu_autocast as autocast, cpu_grad_scaler as GradScaler

__all__ = ["autocast", "GradScaler"]
