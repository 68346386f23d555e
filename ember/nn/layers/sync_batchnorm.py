"""``SyncBatchNorm``: batch norm whose statistics span all processes of a distributed job.

In training, with an initialized process group of several ranks (:mod:`ember.distributed`),
the per-channel mean and variance are those of the global batch (every rank's rows):

    mean = sum_r sum(x_r) / n,   var = sum_r sum((x_r - mean)^2) / n,   n = sum_r n_r

built from differentiable all-reduces (:func:`ember.distributed.nn.functional.all_reduce`), so the
input gradient is the global batch norm's; the running statistics take the unbiased
``var * n / (n - 1)``. In one process, or in eval, it computes what :class:`BatchNorm1d` / ``2d`` /
``3d`` compute, on inputs of any rank >= 2, with their parameters and state_dict keys.
``convert_sync_batchnorm`` swaps every batch-norm layer of a model for one, keeping its weights and
running statistics.

>>> from ember import nn
>>> net = SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Conv2d(1, 3, 1), nn.BatchNorm2d(3)))
>>> type(net[1]).__name__
'SyncBatchNorm'
"""
from .normalization import _BatchNorm, _shape_error

__all__ = ["SyncBatchNorm"]


class SyncBatchNorm(_BatchNorm):
    """Batch normalization over ``(N, C, *)`` with the global batch's statistics (see the module docstring).

    Args:
        num_features, eps, momentum, affine, track_running_stats, bias: as :class:`BatchNorm2d`.
        process_group: the group to synchronize over (default: the default group).
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
        group = self._sync_group() if self.training else None
        if group is None:
            return super().forward(input)
        return self._synchronized(input, group)

    def _sync_group(self):
        from ember import distributed as dist
        if not dist.is_initialized():
            return None
        from ember.distributed.process_group import resolve_group
        pg = resolve_group(self.process_group)
        return pg if pg is not None and pg.size() > 1 else None

    def _synchronized(self, input, group):
        from ember import creation
        from ember.autograd import grad_mode
        from ember.distributed.collectives import all_reduce as all_reduce_in_place
        from ember.distributed.nn.functional import all_reduce
        c = input.shape[1]
        dims = (0,) + tuple(range(2, input.ndim))
        shape = (1, c) + (1,) * (input.ndim - 2)
        count = creation.tensor([float(input.numel() // c)])
        all_reduce_in_place(count, group=group)
        n = float(count.item())
        mean = all_reduce(input.sum(dim=dims), group=group) / n
        centered = input - mean.reshape(shape)
        var = all_reduce((centered * centered).sum(dim=dims), group=group) / n
        out = centered * (var.reshape(shape) + self.eps).rsqrt()
        if self.weight is not None:
            out = out * self.weight.reshape(shape)
        if self.bias is not None:
            out = out + self.bias.reshape(shape)
        if self.track_running_stats and self.running_mean is not None:
            factor = 0.0 if self.momentum is None else self.momentum
            if self.num_batches_tracked is not None:
                nbt = self.num_batches_tracked
                nbt._data[...] += 1
                nbt._bump()
                factor = 1.0 / float(nbt._data) if self.momentum is None else self.momentum
            with grad_mode.no_grad():
                unbiased = var.detach() * (n / max(n - 1.0, 1.0))
                self.running_mean.mul_(1 - factor).add_(mean.detach().to(self.running_mean.dtype) * factor)
                self.running_var.mul_(1 - factor).add_(unbiased.to(self.running_var.dtype) * factor)
        return out

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
