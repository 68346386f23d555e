"""``fully_shard``: PyTorch's FSDP2. Each parameter is sharded over the ranks; a module's forward sees it whole.

``fully_shard(module)`` replaces every parameter the module owns (those not owned by a submodule
already passed to ``fully_shard``) by a DTensor parameter sharded on dimension 0 over the mesh
(``Shard(0)``, ``torch.chunk``'s pieces; on a 2-d mesh ``(Replicate(), Shard(0))``: HSDP), and makes
the module an ``FSDP<Class>`` (a subclass of its class and of :class:`FSDPModule`). Then, per step:

- before the module's forward, its parameters are all-gathered into whole tensors (cast to
  ``mp_policy.param_dtype`` if set), which the forward uses; after it, the module shows its sharded
  parameters again (the whole ones live on in the autograd graph until backward is done);
- at the end of backward, for each ``fully_shard`` module in forward order, each whole parameter's
  gradient is averaged over the ranks, ``g = (1 / N) sum over ranks of g_r`` (in ``reduce_dtype``), and
  this rank's shard of ``g`` is added to the sharded parameter's ``.grad`` (a DTensor), so an optimizer
  step updates each rank's shard as one process over the ranks' joint batch would update the whole.

The optimizer then works on shards (its state is sharded too). ``set_requires_gradient_sync(False)``
accumulates whole gradients locally (gradient accumulation) until a step with sync. Where PyTorch
overlaps the gathers and the reductions with compute and frees whole parameters between forward and
backward (``reshard_after_forward``), ember runs them in step: same numbers, no overlap.

Example (every rank of a 2-rank job)::

    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    for layer in model[::2]:
        fully_shard(layer)
    fully_shard(model)
    opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    model(x).sum().backward(); opt.step()           # each rank updated its half of every weight
"""
from dataclasses import dataclass

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.tensor import make
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.distributed.tensor import DTensor, Shard, Replicate
from ember.distributed.tensor._api import _contig, _as_parameter, _local_slices, _gather, _default_mesh


__all__ = ["fully_shard", "FSDPModule", "MixedPrecisionPolicy", "OffloadPolicy", "CPUOffloadPolicy",
           "UnshardHandle"]


@dataclass(frozen=True)
class MixedPrecisionPolicy:
    """Dtypes of the whole parameters in forward (``param_dtype``), of the gradient reduction
    (``reduce_dtype``) and of the forward outputs (``output_dtype``); None keeps the parameters' dtype."""
    param_dtype: object = None
    reduce_dtype: object = None
    output_dtype: object = None
    cast_forward_inputs: bool = True


@dataclass
class OffloadPolicy:
    """No offloading (the parameters live on the CPU already)."""


@dataclass
class CPUOffloadPolicy(OffloadPolicy):
    """Keep sharded parameters on the CPU: what ember always does."""
    pin_memory: bool = True


class UnshardHandle:
    """What ``unshard(async_op=True)`` returns; ember's unshard is done when it returns."""

    def wait(self):
        return None


def _np_dtype(d):
    if d is None:
        return None
    from ember.backend import dtypes as _dt
    return _dt.to_dtype(d).numpy


class _Managed:
    """One sharded parameter: where it is registered, its DTensor, and its whole copy during a step."""

    def __init__(self, owners, sharded):
        self.owners = owners            # [(module, name)], more than one for tied weights
        self.sharded = sharded
        self.whole = None
        self.pending = None             # accumulated whole gradient under set_requires_gradient_sync(False)

    def install(self, p):
        for owner, name in self.owners:
            owner._parameters[name] = p


_in_backward = []       # the states whose whole parameters the running backward will reduce, in forward order


class _FSDPState:
    def __init__(self, module, mesh, placements, managed, mp_policy, reshard_after_forward):
        self.module = module
        self.mesh = mesh
        self.placements = placements
        self.managed = managed
        self.mp = mp_policy
        self.reshard_after_forward = reshard_after_forward
        self.requires_gradient_sync = True
        self.unsharded = False
        self.divide_factor = None

    # -- forward ---------------------------------------------------------------------------------
    def unshard(self):
        """All-gather every managed parameter into a whole leaf tensor and show it to the module."""
        if self.unsharded:
            return
        dtype = _np_dtype(self.mp.param_dtype)
        for m in self.managed:
            s = m.sharded
            mesh, pl, shape = s._spec
            full = _gather(s._data, shape, mesh, pl)
            if dtype is not None and full.dtype.kind == "f":
                full = full.astype(dtype)
            whole = Parameter(make(full), requires_grad=s.requires_grad)
            m.whole = whole
            m.install(whole)
        self.unsharded = True

    def reshard(self):
        for m in self.managed:
            m.install(m.sharded)
        self.unsharded = False

    def pre_forward(self, module, args, kwargs):
        _queue_reduction.queued = False     # a new forward: any earlier backward has ended (or was dropped)
        self.unshard()
        if grad_mode.state.enabled and any(m.sharded.requires_grad for m in self.managed):
            if self in _in_backward:
                _in_backward.remove(self)
            _in_backward.append(self)
            for m in self.managed:
                if m.whole.requires_grad:
                    m.whole.register_post_accumulate_grad_hook(_queue_reduction)
        if self.mp.param_dtype is not None and self.mp.cast_forward_inputs:
            dtype = _np_dtype(self.mp.param_dtype)
            args = tuple(a.to(self.mp.param_dtype) if hasattr(a, "_data") and a._data.dtype.kind == "f"
                         and a._data.dtype != dtype else a for a in args)
        return args, kwargs

    def post_forward(self, module, args, output):
        self.reshard()
        if self.mp.output_dtype is not None and hasattr(output, "_data") and output._data.dtype.kind == "f":
            return output.to(self.mp.output_dtype)
        return None

    # -- backward ----------------------------------------------------------------------------------
    def reduce_gradients(self):
        """Average the whole gradients over the ranks (or keep accumulating them) and add each rank's shard to
        the sharded parameter's ``.grad``; one flag all-reduce first, so that a parameter no rank used keeps
        ``.grad`` unchanged, and every rank makes the same collectives."""
        from ember.distributed.collectives import all_reduce
        from ember.distributed.reduce_op import ReduceOp
        trainable = [m for m in self.managed if m.whole is not None and m.whole.requires_grad]
        for m in trainable:
            g = m.whole._grad
            if g is not None:
                m.pending = g._data.copy() if m.pending is None else m.pending + g._data
            m.whole._grad = None
        if not self.requires_gradient_sync or not trainable:
            return
        group = self.mesh._all_ranks_group()
        flags = make(np.array([m.pending is not None for m in trainable], np.int32))
        all_reduce(flags, op=ReduceOp.MAX, group=group)
        n = group.size()
        factor = float(self.divide_factor) if self.divide_factor is not None else float(n)
        red = _np_dtype(self.mp.reduce_dtype)
        for m, used in zip(trainable, flags._data.tolist()):
            s = m.sharded
            mesh, pl, shape = s._spec
            if not used:
                m.pending = None
                continue
            g = m.pending if m.pending is not None else np.zeros(shape, s._data.dtype)
            m.pending = None
            t = make(_contig(g, dtype=red or g.dtype))
            all_reduce(t, group=group)
            avg = t._data / np.asarray(factor, t._data.dtype)
            local = _contig(avg[_local_slices(shape, mesh, pl, mesh.get_coordinate())],
                                         dtype=s._data.dtype)
            if s._grad is None:
                s._grad = DTensor._make(local, mesh, pl, shape)
            else:
                s._grad._data += local
                s._grad._bump()
        for m in self.managed:
            m.whole = None


def _queue_reduction(_whole):
    """A whole parameter's gradient is ready: make sure the reductions run once this backward ends."""
    from ember.autograd.engine import queue_callback
    if _in_backward and not getattr(_queue_reduction, "queued", False):
        _queue_reduction.queued = True
        queue_callback(_finish_backward)


def _finish_backward():
    _queue_reduction.queued = False
    states = list(_in_backward)
    _in_backward.clear()
    for state in states:
        state.reduce_gradients()


class FSDPModule:
    """What ``fully_shard`` adds to a module's class (``FSDPLinear`` is ``(FSDPModule, Linear)``)."""

    def _states(self, recurse=True):
        mods = self.modules() if recurse else [self]
        return [m._fsdp_state for m in mods if isinstance(m, FSDPModule)]

    def unshard(self, async_op=False):
        """Gather the module's parameters whole now (the next forward uses them)."""
        self._fsdp_state.unshard()
        return UnshardHandle() if async_op else None

    def reshard(self):
        """Show the sharded parameters again (frees the whole ones if no graph holds them)."""
        self._fsdp_state.reshard()

    def set_requires_gradient_sync(self, requires_gradient_sync, *, recurse=True):
        """False: backward accumulates whole gradients locally (no communication) until a backward with True."""
        for s in self._states(recurse):
            s.requires_gradient_sync = bool(requires_gradient_sync)

    def set_reshard_after_forward(self, reshard_after_forward, recurse=True):
        for s in self._states(recurse):
            s.reshard_after_forward = reshard_after_forward

    def set_gradient_divide_factor(self, factor):
        """Divide the summed gradients by ``factor`` instead of the number of ranks."""
        self._fsdp_state.divide_factor = factor

    set_reduce_scatter_divide_factor = set_gradient_divide_factor

    # Scheduling knobs of PyTorch's overlapped communication: ember runs in step, so they change nothing.
    def set_reshard_after_backward(self, reshard_after_backward, *, recurse=True):
        pass

    def set_is_last_backward(self, is_last_backward):
        pass

    def set_requires_all_reduce(self, requires_all_reduce, *, recurse=True):
        pass

    def set_modules_to_forward_prefetch(self, modules):
        pass

    def set_modules_to_backward_prefetch(self, modules):
        pass

    def set_post_optim_event(self, event):
        pass

    def set_unshard_in_backward(self, unshard_in_backward):
        pass

    def set_allocate_memory_from_process_group_for_comm(self, enable):
        pass


_classes = {}


def _fsdp_class(cls):
    if issubclass(cls, FSDPModule):
        return cls
    if cls not in _classes:
        _classes[cls] = type(f"FSDP{cls.__name__}", (FSDPModule, cls), {"__module__": cls.__module__})
    return _classes[cls]


def fully_shard(module, *, mesh=None, reshard_after_forward=None, shard_placement_fn=None,
                mp_policy=MixedPrecisionPolicy(), offload_policy=OffloadPolicy(), ignored_params=None):
    """Shard ``module``'s own parameters over ``mesh`` (default: all ranks) and gather them around its forward;
    see the module docstring. Returns ``module``, now an :class:`FSDPModule`. Apply it to submodules first
    (each becomes a unit whose parameters are gathered on its own), then to the root."""
    from ember.nn.modules.container import ModuleList, ModuleDict
    modules = list(module) if isinstance(module, (list, tuple)) else [module]
    for mod in modules:
        if isinstance(mod, (ModuleList, ModuleDict)):
            raise ValueError(f"fully_shard does not support containers that do not implement forward: {mod}")
        if not isinstance(mod, Module):
            raise TypeError(f"fully_shard: expected an nn.Module, got {type(mod).__name__}")
    mesh = mesh if mesh is not None else _default_mesh()
    if mesh.ndim == 1:
        placements = (Shard(0),)
    elif mesh.ndim == 2:
        placements = (Replicate(), Shard(0))
    else:
        raise ValueError(f"fully_shard expects a 1D or 2D DeviceMesh but got {mesh!r}")
    ignored = {id(p) for p in (ignored_params or ())}
    for mod in modules:
        seen = {}
        stack = [mod]
        while stack:        # the parameters of mod's subtree, not owned by an already sharded submodule
            sub = stack.pop(0)
            for name, p in list(sub._parameters.items()):
                if p is not None and id(p) not in ignored:
                    seen.setdefault(id(p), (p, []))[1].append((sub, name))
            stack.extend(c for c in sub._modules.values() if c is not None and not isinstance(c, FSDPModule))
        managed = []
        for p, owners in seen.values():
            if isinstance(p, DTensor):
                raise ValueError(f"fully_shard: parameter {owners[0][1]!r} is already a DTensor")
            pl = placements
            if shard_placement_fn is not None:
                chosen = shard_placement_fn(p)
                if chosen is not None:
                    pl = placements[:-1] + (chosen,)
            arr = p._data
            local = _contig(arr[_local_slices(arr.shape, mesh, pl, mesh.get_coordinate())])
            sharded = _as_parameter(DTensor._make(local, mesh, pl, arr.shape), p.requires_grad)
            m = _Managed(owners, sharded)
            m.install(sharded)
            managed.append(m)
        state = _FSDPState(mod, mesh, placements, managed, mp_policy, reshard_after_forward)
        mod.__class__ = _fsdp_class(type(mod))
        mod.__dict__["_fsdp_state"] = state
        mod.register_forward_pre_hook(state.pre_forward, with_kwargs=True)
        mod.register_forward_hook(state.post_forward)
    return module
