"""``SyncBatchNorm``: batch norm whose statistics span all processes of a distributed job.

Ember runs in one process (``ember.distributed`` has no backend), so the statistics are those of
the local batch: ``SyncBatchNorm`` computes what :class:`BatchNorm1d` / ``2d`` / ``3d`` compute, on
inputs of any rank >= 2, with their parameters and state_dict keys. ``convert_sync_batchnorm``
swaps every batch-norm layer of a model for one, keeping its weights and running statistics, so
DistributedDataParallel training scripts run unchanged.

>>> from ember import nn
>>> net = SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Conv2d(1, 3, 1), nn.BatchNorm2d(3)))
>>> type(net[1]).__name__
'SyncBatchNorm'
"""
from .normalization import _BatchNorm, _shape_error

__all__ = ["SyncBatchNorm"]


class SyncBatchNorm(_BatchNorm):
    """Batch normalization over ``(N, C, *)`` (statistics of the local batch; see the module docstring).

    Args:
        num_features, eps, momentum, affine, track_running_stats, bias: as :class:`BatchNorm2d`.
        process_group: the group to synchronize over (one process here; accepted).
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.ndim < 2:
            raise _shape_error(self, f"expected at least 2D input (got {input.ndim}D input)")

    def _check_non_zero_input_channels(self, input):
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    def forward(self, input):
        self._check_input_dim(input)
        self._check_non_zero_input_channels(input)
        return super().forward(input)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with each ``BatchNorm*d`` (at any depth) replaced by a ``SyncBatchNorm`` holding
        the same parameters, running statistics and train/eval mode."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                      process_group, bias=module.bias is not None)
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
