"""Tensor parallelism (``torch.distributed.tensor.parallel``): one layer's weight split over the ranks of a mesh.

``parallelize_module(model, mesh, {"w1": ColwiseParallel(), "w2": RowwiseParallel()})`` shards the named
submodules' weights as DTensors and wraps their forward (Megatron-LM's two halves of an MLP):

- ``ColwiseParallel`` (``nn.Linear``: weight and bias ``Shard(0)``; ``nn.Embedding``: weight ``Shard(1)``):
  the input is whole on every rank; rank ``r`` computes its slice of the output features,
  ``y_r = x W_r^T + b_r``. The input's gradient is the sum over ranks of their parts (an all-reduce in backward);
  the output stays local (``use_local_output=True``), sharded on its last dimension.
- ``RowwiseParallel`` (``nn.Linear``: weight ``Shard(1)``, bias ``Replicate()``; ``nn.Embedding``: weight
  ``Shard(0)``): the input is sharded on its last dimension (a colwise layer's output); each rank computes
  ``x_r W_r^T``, and the output ``y = sum_r x_r W_r^T + b`` is all-reduced in forward (its gradient, the
  same on every rank, passes back unchanged). An embedding looks up the rows it holds, zeros elsewhere.

Every rank computes the same loss from the replicated output, so gradients are those of one process: the
parameters' ``.grad`` are DTensors of their layout, and ``clip_grad_norm_`` counts replicated ones once.
Plans take fully qualified names, with ``*`` matching one name level (``"layers.*.mlp.w1"``).

Example (every rank of a 2-rank job)::

    mesh = init_device_mesh("cpu", (2,))
    parallelize_module(mlp, mesh, {"w1": ColwiseParallel(), "w2": RowwiseParallel()})
    mlp(x).sum().backward()            # w1.weight.grad: Shard(0), w2.weight.grad: Shard(1)
"""
import fnmatch

import numpy as np

from ember.autograd.function import Function
from ember.autograd.tensor import make
from ..placement_types import Shard, Replicate
from .._api import DTensor, _as_parameter, _local_slices, _contig, _default_mesh

__all__ = ["parallelize_module", "ParallelStyle", "ColwiseParallel", "RowwiseParallel", "SequenceParallel",
           "PrepareModuleInput", "PrepareModuleOutput", "loss_parallel"]


class _CopyToRegion(Function):
    """Forward: the input as it is. Backward: the sum over ranks of the gradient (each rank used the whole input)."""

    @staticmethod
    def forward(ctx, group, x):
        ctx.group = group
        return x.detach().clone()

    @staticmethod
    def backward(ctx, grad):
        from ember.distributed.collectives import all_reduce
        g = grad.detach().clone()
        all_reduce(g, group=ctx.group)
        return None, g


class _ReduceFromRegion(Function):
    """Forward: the sum over ranks. Backward: the gradient as it is (every rank computes the same loss)."""

    @staticmethod
    def forward(ctx, group, x):
        from ember.distributed.collectives import all_reduce
        out = x.detach().clone()
        all_reduce(out, group=group)
        return out

    @staticmethod
    def backward(ctx, grad):
        return None, grad


def _grads_as_dtensors(param):
    """A hook keeping a sharded parameter's ``.grad`` a DTensor of the parameter's layout."""
    def hook(p):
        g = p._grad
        if g is not None and not isinstance(g, DTensor):
            mesh, pl, shape = p._spec
            p._grad = DTensor._make(g._data, mesh, pl, shape)
    param.register_post_accumulate_grad_hook(hook)


def _shard_param(module, name, mesh, placement, src_data_rank):
    from ember.distributed.collectives import broadcast
    p = module._parameters.get(name)
    if p is None:
        return
    full = make(np.array(p._data, copy=True))
    if src_data_rank is not None:
        broadcast(full, src=src_data_rank, group=mesh._all_ranks_group())
    arr = full._data
    local = _contig(arr[_local_slices(arr.shape, mesh, (placement,), mesh.get_coordinate())])
    sharded = _as_parameter(DTensor._make(local, mesh, (placement,), arr.shape), p.requires_grad)
    module._parameters[name] = sharded
    if sharded.requires_grad:
        _grads_as_dtensors(sharded)


class ParallelStyle:
    """How :func:`parallelize_module` parallelizes one module."""

    src_data_rank = 0

    def _apply(self, module, mesh):
        raise NotImplementedError


def _kind(module, style):
    from ember.nn import Linear, Embedding
    if isinstance(module, Linear):
        return "linear"
    if isinstance(module, Embedding):
        return "embedding"
    raise NotImplementedError(f"{style}: ember parallelizes nn.Linear and nn.Embedding, got {type(module).__name__}")


def _check_layouts(style, given, expected, what):
    if given is None:
        return
    given = given if isinstance(given, (tuple, list)) else (given,)
    if tuple(given) != (expected,):
        raise NotImplementedError(f"{style}: {what}={tuple(given)}; ember supports the default {expected}")


class ColwiseParallel(ParallelStyle):
    def __init__(self, *, input_layouts=None, output_layouts=None, use_local_output=True):
        _check_layouts("ColwiseParallel", input_layouts, Replicate(), "input_layouts")
        _check_layouts("ColwiseParallel", output_layouts, Shard(-1), "output_layouts")
        if not use_local_output:
            raise NotImplementedError("ColwiseParallel(use_local_output=False): ember returns the local output")

    def _apply(self, module, mesh):
        import ember.nn.functional as F
        kind = _kind(module, "ColwiseParallel")
        group = mesh.get_group()
        if kind == "linear":
            _shard_param(module, "weight", mesh, Shard(0), self.src_data_rank)
            _shard_param(module, "bias", mesh, Shard(0), self.src_data_rank)

            def forward(x):
                x = _CopyToRegion.apply(group, x) if x.requires_grad else x
                return F.linear(x, module.weight, module.bias)
        else:
            _shard_param(module, "weight", mesh, Shard(1), self.src_data_rank)

            def forward(ids):
                return F.embedding(ids, module.weight, module.padding_idx, module.max_norm, module.norm_type,
                                   module.scale_grad_by_freq, module.sparse)
        module.forward = forward
        return module


class RowwiseParallel(ParallelStyle):
    def __init__(self, *, input_layouts=None, output_layouts=None, use_local_output=True):
        self._input = input_layouts if not isinstance(input_layouts, (tuple, list)) else tuple(input_layouts)[0]
        if self._input is not None and self._input not in (Shard(-1), Replicate()):
            raise NotImplementedError(f"RowwiseParallel: input_layouts={input_layouts}; ember supports Shard(-1) "
                                      f"(a Linear after a colwise one) and Replicate() (an Embedding's token ids)")
        _check_layouts("RowwiseParallel", output_layouts, Replicate(), "output_layouts")

    def _apply(self, module, mesh):
        import ember.nn.functional as F
        kind = _kind(module, "RowwiseParallel")
        group = mesh.get_group()
        if kind == "linear":
            _shard_param(module, "weight", mesh, Shard(1), self.src_data_rank)
            _shard_param(module, "bias", mesh, Replicate(), self.src_data_rank)

            if self._input == Replicate():
                raise NotImplementedError("RowwiseParallel(input_layouts=Replicate()) of an nn.Linear: ember "
                                          "takes its input sharded on the last dimension (a colwise layer's output)")

            def forward(x):
                from ember.autograd.ops import add
                y = _ReduceFromRegion.apply(group, F.linear(x, module.weight))
                return add(y, module.bias) if module.bias is not None else y
        else:
            if self._input != Replicate():
                # PyTorch would all-gather the token ids along their last dimension (Shard(-1) by default)
                raise NotImplementedError("RowwiseParallel of an nn.Embedding: give input_layouts=Replicate() (the "
                                          "token ids whole on every rank), as PyTorch's tutorials do")
            _shard_param(module, "weight", mesh, Shard(0), self.src_data_rank)
            w = module.weight
            lo = _local_slices(w._spec[2], mesh, w.placements, mesh.get_coordinate())[0].start
            rows = w._data.shape[0]

            def forward(ids):
                local = ids - lo
                outside = (local < 0) | (local >= rows)
                safe = local.masked_fill(outside, 0)
                e = F.embedding(safe, module.weight, None, module.max_norm, module.norm_type,
                                module.scale_grad_by_freq, module.sparse)
                e = e.masked_fill(outside.unsqueeze(-1), 0.0)
                return _ReduceFromRegion.apply(group, e)
        module.forward = forward
        return module


class _Unsupported(ParallelStyle):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}: ember's tensor parallelism has ColwiseParallel and "
                                  f"RowwiseParallel (nn.Linear, nn.Embedding)")


class SequenceParallel(_Unsupported):
    pass


class PrepareModuleInput(_Unsupported):
    pass


class PrepareModuleOutput(_Unsupported):
    pass


def loss_parallel():
    raise NotImplementedError("loss_parallel: ember's tensor parallelism returns a replicated output; compute the "
                              "loss on it as usual")


def parallelize_module(module, device_mesh=None, parallelize_plan=None, *, src_data_rank=0):
    """Apply ``parallelize_plan`` (a style, or ``{fqn pattern: style}``) to ``module``'s submodules over
    ``device_mesh`` (a 1-d mesh; default: all ranks); returns ``module``."""
    mesh = device_mesh if device_mesh is not None else _default_mesh()
    if mesh.ndim != 1:
        raise NotImplementedError("parallelize_module: ember takes a 1-d mesh (use mesh['tp'] of a 2-d one)")
    if parallelize_plan is None:
        return module
    if isinstance(parallelize_plan, ParallelStyle):
        parallelize_plan.src_data_rank = src_data_rank
        return parallelize_plan._apply(module, mesh)
    if not isinstance(parallelize_plan, dict):
        raise TypeError(f"parallelize_module: expect a ParallelStyle or a dict, got {type(parallelize_plan).__name__}")
    names = [n for n, _ in module.named_modules() if n]
    for pattern, style in parallelize_plan.items():
        depth = pattern.count(".")
        matched = [n for n in names if n.count(".") == depth and fnmatch.fnmatchcase(n, pattern)]
        if not matched:
            raise ValueError(f"parallelize_module: no submodule matches {pattern!r}")
        for n in matched:
            style.src_data_rank = src_data_rank
            style._apply(module.get_submodule(n), mesh)
    return module

