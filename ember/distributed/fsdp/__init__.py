"""``ember.distributed.fsdp`` (``torch.distributed.fsdp``): fully sharded data parallel training, PyTorch's
FSDP2 API (``fully_shard``, :class:`FSDPModule`, the policies); see :mod:`._fully_shard`."""
from ._fully_shard import (fully_shard, FSDPModule, MixedPrecisionPolicy, OffloadPolicy, CPUOffloadPolicy,
                           UnshardHandle)

__all__ = ["fully_shard", "FSDPModule", "MixedPrecisionPolicy", "OffloadPolicy", "CPUOffloadPolicy",
           "UnshardHandle"]
