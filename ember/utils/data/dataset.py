"""PyTorch's ``torch.utils.data.dataset`` path for :mod:`ember.data.dataset`."""
from ember.data.dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset,  # noqa: F401
                                StackDataset, Subset, TensorDataset, random_split)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset", "ChainDataset",
           "Subset", "random_split"]
