"""Utilities under PyTorch's names: ``ember.utils.data`` is the data-loading package;
``ember.utils.checkpoint`` (activation checkpointing) and ``ember.utils.tensorboard`` (``SummaryWriter``)
load on first use."""
import importlib as _importlib

from ember.utils import data

__all__ = ["data", "checkpoint", "tensorboard"]


def __getattr__(name):
    if name in ("checkpoint", "tensorboard"):
        return _importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'ember.utils' has no attribute '{name}'")
