"""``ember.utils.data``: PyTorch's ``torch.utils.data`` names for :mod:`ember.data`.

>>> from ember.utils.data import DataLoader, Dataset, TensorDataset, random_split
"""
from ember.data import *  # noqa: F401,F403
from ember.data import __all__  # noqa: F401
from ember.utils.data import dataloader, dataset, distributed, sampler  # noqa: F401,E402  (PyTorch's submodules)
