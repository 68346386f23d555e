"""``ember.nn.parallel``: ``DataParallel`` (one process, CPU) and ``DistributedDataParallel`` (over
:mod:`ember.distributed`), at PyTorch's paths.

>>> from ember import nn
>>> nn.parallel.DataParallel is nn.DataParallel
True
"""
from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "data_parallel", "DistributedDataParallel"]
