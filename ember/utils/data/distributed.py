"""PyTorch's ``torch.utils.data.distributed`` path for :mod:`ember.data.distributed`."""
from ember.data.distributed import DistributedSampler  # noqa: F401

__all__ = ["DistributedSampler"]
