"""``ember.utils.tensorboard`` (``torch.utils.tensorboard``): ``SummaryWriter`` for the TensorBoard viewer.

Writes event files itself (no TensorFlow, no Pillow; the ``tensorboard`` package is only needed to view them).

>>> from ember.utils.tensorboard import SummaryWriter
"""
from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
