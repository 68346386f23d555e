"""PyTorch's ``torch.utils.data.dataloader`` path for :mod:`ember.data.dataloader`."""
from ember.data.collate import default_collate, default_convert  # noqa: F401
from ember.data.dataloader import DataLoader  # noqa: F401
from ember.data.worker import WorkerInfo, get_worker_info  # noqa: F401

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]
