"""``replace_all_batch_norm_modules_``: batch norm without running statistics, for ``vmap``.

PyTorch's ``vmap`` cannot update one running mean from many mapped calls, so ``torch.func`` offers
this in-place switch: every batch-norm module of ``root`` drops ``running_mean``, ``running_var``
and ``num_batches_tracked`` and sets ``track_running_stats = False``, so it always normalizes with
the statistics of the batch it is given.

>>> from ember import nn
>>> m = replace_all_batch_norm_modules_(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)))
>>> m[1].running_mean is None, m[1].track_running_stats
(True, False)
"""
from ..nn.layers.normalization import _BatchNorm

__all__ = ["replace_all_batch_norm_modules_"]


def replace_all_batch_norm_modules_(root):
    """Switch every batch-norm module in ``root`` to batch statistics only, in place; returns ``root``."""
    for module in root.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root
