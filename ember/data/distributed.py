"""``DistributedSampler``: the slice of a dataset that one of ``num_replicas`` processes reads.

Each epoch the indices ``0 .. len(dataset)-1`` are (if ``shuffle``) permuted by a stream
seeded with ``seed + epoch``, padded by repeating from the start to a multiple of
``num_replicas`` (or, with ``drop_last``, cut to one), and replica ``rank`` takes every
``num_replicas``-th index starting at ``rank``. The permutation is PyTorch's CPU ``randperm``
(a Fisher-Yates shuffle over a Mersenne Twister seeded with ``seed + epoch``), so the same
arguments give the same indices as ``torch.utils.data.DistributedSampler``: processes split a
dataset the same way whichever framework each runs.

``num_replicas`` and ``rank`` default to the world size and rank of the default process group
(:mod:`ember.distributed`) when one is initialized, as in PyTorch, and to 1 and 0 (one process) otherwise.

>>> sampler = DistributedSampler(range(10), num_replicas=3, rank=1, shuffle=False)
>>> list(sampler), len(sampler)
([1, 4, 7, 0], 4)
"""
import math

from ember.data.sampler import Sampler

__all__ = ["DistributedSampler"]


def torch_randperm(n, seed):
    """PyTorch's ``torch.randperm(n, generator=torch.Generator().manual_seed(seed))`` on the CPU."""
    import ember
    return ember.random._randperm_values(ember.Generator().manual_seed(seed), n).tolist()


class DistributedSampler(Sampler):
    """Indices of ``dataset`` for replica ``rank`` of ``num_replicas``; call ``set_epoch`` each epoch.

    Args:
        dataset: anything with ``len()``.
        num_replicas (int): number of processes; default 1.
        rank (int): this process, in ``[0, num_replicas)``; default 0.
        shuffle (bool): permute the indices each epoch (default True).
        seed (int): base seed; epoch ``e`` uses ``seed + e`` (default 0).
        drop_last (bool): drop the tail so every replica gets ``len // num_replicas`` indices,
            instead of padding with repeated indices (default False).
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ember import distributed as dist
            group = dist.is_initialized()
            if num_replicas is None:
                num_replicas = dist.get_world_size() if group else 1
            if rank is None:
                rank = dist.get_rank() if group else 0
        num_replicas, rank = int(num_replicas), int(rank)
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas should be a positive integer, got {num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        indices = torch_randperm(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding and indices:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch, so that shuffling differs between epochs (and agrees across replicas)."""
        self.epoch = epoch
