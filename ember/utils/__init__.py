"""Utilities under PyTorch's names: ``ember.utils.data`` is the data-loading package."""
from ember.utils import data

__all__ = ["data"]
