"""``ember.distributed.nn``: collectives that autograd differentiates (``torch.distributed.nn``)."""
from . import functional  # noqa: F401

__all__ = ["functional"]
