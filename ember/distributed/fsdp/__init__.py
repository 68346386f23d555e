"""``ember.distributed.fsdp`` (``torch.distributed.fsdp``): fully sharded data parallel training. PyTorch's FSDP2
API (``fully_shard``, :class:`FSDPModule`, the policies; :mod:`._fully_shard`) and its FSDP1 wrapper
(:class:`FullyShardedDataParallel`, flat sharded parameters; :mod:`.fully_sharded_data_parallel`) with its
configuration types (:mod:`.api`) and wrapping policies (:mod:`.wrap`)."""
from ._fully_shard import (fully_shard, FSDPModule, MixedPrecisionPolicy, OffloadPolicy, CPUOffloadPolicy,
                           UnshardHandle)
from .api import (ShardingStrategy, BackwardPrefetch, MixedPrecision, CPUOffload, StateDictType, StateDictConfig,
                  FullStateDictConfig, LocalStateDictConfig, ShardedStateDictConfig, OptimStateDictConfig,
                  FullOptimStateDictConfig, LocalOptimStateDictConfig, ShardedOptimStateDictConfig,
                  StateDictSettings, OptimStateKeyType)
from .fully_sharded_data_parallel import FullyShardedDataParallel, FlatParameter
from . import wrap

__all__ = ["fully_shard", "FSDPModule", "MixedPrecisionPolicy", "OffloadPolicy", "CPUOffloadPolicy",
           "UnshardHandle", "FullyShardedDataParallel", "FlatParameter", "ShardingStrategy", "BackwardPrefetch",
           "MixedPrecision", "CPUOffload", "StateDictType", "StateDictConfig", "FullStateDictConfig",
           "LocalStateDictConfig", "ShardedStateDictConfig", "OptimStateDictConfig", "FullOptimStateDictConfig",
           "LocalOptimStateDictConfig", "ShardedOptimStateDictConfig", "StateDictSettings", "OptimStateKeyType",
           "wrap"]
