"""Data loading, as in ``torch.utils.data``: datasets, samplers, collation and the DataLoader.

Users import it as ``ember.utils.data``:

>>> import ember
>>> from ember.utils.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(ember.zeros(6, 2), ember.arange(6)), batch_size=4)
>>> [x.shape[0] for x, y in loader]
[4, 2]
"""
from ember.data.collate import collate, default_collate, default_convert
from ember.data.dataloader import DataLoader
from ember.data.dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset,
                                StackDataset, Subset, TensorDataset, random_split)
from ember.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                                SubsetRandomSampler, WeightedRandomSampler)
from ember.data.worker import WorkerInfo, get_worker_info
from ember.data.distributed import DistributedSampler

__all__ = ["DataLoader", "Dataset", "IterableDataset", "TensorDataset", "StackDataset",
           "ConcatDataset", "ChainDataset", "Subset", "random_split", "Sampler",
           "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "default_collate", "default_convert", "collate", "get_worker_info",
           "WorkerInfo", "DistributedSampler"]
