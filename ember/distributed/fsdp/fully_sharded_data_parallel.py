"""``FullyShardedDataParallel``: PyTorch's FSDP1 wrapper, each unit's parameters flattened and sharded.

``FSDP(module, device_id=torch.device("cpu"), auto_wrap_policy=...)`` wraps the submodules the policy
picks (:mod:`.wrap`) as units of their own, then the root. A unit concatenates the parameters it owns
(those not in a child unit), in ``named_parameters`` order, into one flat vector, pads it to a multiple of
the world size ``N`` and keeps this rank's contiguous ``1/N`` of it as ``_flat_param`` (a 1-d parameter
registered on the wrapped module; with ``use_orig_params=True`` the original names are kept, each a 1-d
view of its part of this rank's piece, possibly empty). Per step:

- a unit's forward all-gathers the flat vector and shows its parameters whole, as views of it;
- at the end of backward the flat gradient is averaged over the ranks, ``g = (1 / N) sum_r g_r``, and this
  rank's piece is added to the flat parameter's ``.grad`` (``no_sync()`` accumulates locally instead);
- the optimizer updates the pieces (elementwise, as one process over the joint batch would);
  ``FSDP.clip_grad_norm_`` takes the norm over all ranks' pieces.

``state_dict()`` is PyTorch's ``FULL_STATE_DICT`` by default: whole tensors under the original names (no
``_fsdp_wrapped_module.``), on every rank or only rank 0 (``FullStateDictConfig(rank0_only=True)`` in
``FSDP.state_dict_type``); ``load_state_dict`` takes such a dict. ``FSDP.optim_state_dict`` /
``optim_state_dict_to_load`` convert the optimizer's state between the flat pieces and whole tensors under
the original names; ``summon_full_params`` shows the whole parameters inside a block (and writes changes back).

As PyTorch 2.13, on a machine without an accelerator ``device_id=torch.device("cpu")`` must be given.
"""
import contextlib
import math

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.tensor import Tensor, make
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from .api import (ShardingStrategy, BackwardPrefetch, MixedPrecision, CPUOffload, StateDictType, FullStateDictConfig,
                  FullOptimStateDictConfig, StateDictSettings)
from ._fully_shard import _in_backward, _queue_reduction, _np_dtype
from .wrap import _recursive_wrap

__all__ = ["FullyShardedDataParallel", "FlatParameter"]

_WRAPPED = "_fsdp_wrapped_module"


class FlatParameter(Parameter):
    """This rank's piece of a unit's flattened, padded parameters (a 1-d parameter)."""


def _clean(name):
    return ".".join(p for p in name.split(".") if p != _WRAPPED)


def _check_device(device_id):
    if device_id is None:
        raise RuntimeError("FSDP needs a non-CPU accelerator device, but no accelerator device is detected.")
    if str(device_id) != "cpu":
        raise RuntimeError(f"FullyShardedDataParallel: device_id {device_id!r} names an accelerator; ember runs on "
                           f"the CPU (device_id=torch.device('cpu'))")


class _FlatHandle:
    """A unit's flattened parameters: where each one lives in the flat vector, and this rank's piece."""

    def __init__(self, fsdp, params, group, no_shard, mixed_precision, use_orig_params):
        self.fsdp = fsdp
        self.group = group
        self.world = 1 if no_shard else group.size()
        self.rank = 0 if no_shard else group.rank()
        self.mp = mixed_precision
        self.use_orig_params = use_orig_params
        self.entries = []           # (owners [(module, name)], shape, numel, offset)
        offset = 0
        for p, owners in params:
            self.entries.append((owners, tuple(p._data.shape), p._data.size, offset))
            offset += p._data.size
        self.total = offset
        self.chunk = -(-offset // self.world) if offset else 0
        dtype = params[0][0]._data.dtype
        flat = np.zeros(self.chunk * self.world, dtype)
        for (p, _), (_, _, n, o) in zip(params, self.entries):
            flat[o:o + n] = p._data.reshape(-1)
        self.requires_grad = any(p.requires_grad for p, _ in params)
        self.local = flat[self.rank * self.chunk:(self.rank + 1) * self.chunk].copy()
        self.flat_param = FlatParameter(make(self.local), requires_grad=self.requires_grad)
        self.orig_views = []
        self.whole = None
        self.pending = None
        self.requires_gradient_sync = True
        for owners, _, _, _ in self.entries:
            for owner, name in owners:
                del owner._parameters[name]
        if use_orig_params:
            for owners, shape, n, o in self.entries:
                lo, hi = self._mine(o, n)
                view = Parameter(make(self.local[lo:hi]), requires_grad=self.requires_grad)
                self.orig_views.append(view)
                for owner, name in owners:
                    owner._parameters[name] = view
        else:
            fsdp._fsdp_wrapped_module._parameters["_flat_param"] = self.flat_param
        self.hide()

    def _mine(self, offset, numel):
        """The part ``[lo, hi)`` of this rank's piece that holds flat elements ``[offset, offset + numel)``."""
        start = self.rank * self.chunk
        lo = min(max(offset - start, 0), self.chunk)
        hi = min(max(offset + numel - start, 0), self.chunk)
        return lo, max(lo, hi)

    def optimizer_params(self):
        return self.orig_views if self.use_orig_params else [self.flat_param]

    # -- gathering --------------------------------------------------------------------------------
    def gather(self, local):
        """The whole padded flat vector from every rank's piece ``local``."""
        if self.world == 1:
            return local.copy()
        from ember.distributed.collectives import all_gather
        parts = [make(np.empty(self.chunk, local.dtype)) for _ in range(self.world)]
        all_gather(parts, make(np.ascontiguousarray(local)), group=self.group)
        return np.concatenate([p._data for p in parts])

    def unshard(self):
        """Show whole parameters to the module (views of one gathered leaf, so backward fills one flat gradient)."""
        from ember.autograd.ops import split, reshape
        _queue_reduction.queued = False     # a new forward: any earlier backward has ended (or was dropped)
        full = self.gather(self.local)
        dtype = _np_dtype(self.mp.param_dtype) if self.mp is not None else None
        if dtype is not None:
            full = full.astype(dtype)
        track = grad_mode.state.enabled and self.requires_grad
        leaf = make(full)
        if track:
            leaf.requires_grad = True
            self.whole = leaf
            leaf.register_post_accumulate_grad_hook(_queue_reduction)
            if self in _in_backward:
                _in_backward.remove(self)
            _in_backward.append(self)
        sizes = [n for _, _, n, _ in self.entries] + [full.size - self.total]
        pieces = split(leaf, sizes) if track else [make(full[o:o + n]) for _, _, n, o in self.entries]
        for (owners, shape, _, _), piece in zip(self.entries, pieces):
            view = reshape(piece, shape) if track else make(piece._data.reshape(shape))
            for owner, name in owners:
                owner.__dict__[name] = view

    def hide(self):
        """Outside forward the original names hold empty tensors (as PyTorch's freed views do): ``linear.bias is
        not None`` stays true, the whole values live in the pieces."""
        if self.use_orig_params:
            return
        for owners, _, _, _ in self.entries:
            for owner, name in owners:
                owner.__dict__[name] = make(np.empty(0, self.local.dtype))

    # -- gradients ------------------------------------------------------------------------------------
    def reduce_gradients(self):
        whole, self.whole = self.whole, None
        if whole is None or whole._grad is None:
            return
        g = whole._grad._data.astype(self.local.dtype, copy=False)
        self.pending = g.copy() if self.pending is None else self.pending + g
        if not self.requires_gradient_sync:
            return
        red = _np_dtype(self.mp.reduce_dtype or self.mp.param_dtype) if self.mp is not None else None
        total, self.pending = self.pending, None
        if self.world > 1 or self.group.size() > 1:
            from ember.distributed.collectives import all_reduce
            t = make(np.ascontiguousarray(total, dtype=red or total.dtype))
            all_reduce(t, group=self.group)
            total = t._data / np.asarray(self.group.size(), t._data.dtype)
        piece = total[self.rank * self.chunk:(self.rank + 1) * self.chunk].astype(self.local.dtype)
        if self.use_orig_params:
            for view, (_, _, n, o) in zip(self.orig_views, self.entries):
                lo, hi = self._mine(o, n)
                _add_grad(view, piece[lo:hi])
        else:
            _add_grad(self.flat_param, piece)

    # -- whole parameters in a block --------------------------------------------------------------------
    def summon(self):
        """Register whole parameters (copies) under their names; returns them for :meth:`unsummon`."""
        full = self.gather(self.local)
        params = []
        for owners, shape, n, o in self.entries:
            p = Parameter(make(full[o:o + n].reshape(shape).copy()), requires_grad=self.requires_grad)
            params.append(p)
            for owner, name in owners:
                owner.__dict__.pop(name, None)
                owner._parameters[name] = p
        self.fsdp._fsdp_wrapped_module._parameters.pop("_flat_param", None)
        return params

    def unsummon(self, params, writeback):
        if writeback:
            flat = np.zeros(self.chunk * self.world, self.local.dtype)
            for p, (_, _, n, o) in zip(params, self.entries):
                flat[o:o + n] = p._data.reshape(-1)
            self.local[...] = flat[self.rank * self.chunk:(self.rank + 1) * self.chunk]
            self.flat_param._bump()
        for i, (owners, _, _, _) in enumerate(self.entries):
            for owner, name in owners:
                if self.use_orig_params:
                    owner._parameters[name] = self.orig_views[i]
                else:
                    del owner._parameters[name]
        if not self.use_orig_params:
            self.fsdp._fsdp_wrapped_module._parameters["_flat_param"] = self.flat_param
        self.hide()


def _add_grad(param, piece):
    if param._grad is None:
        param._grad = make(piece.copy())
    else:
        param._grad._data += piece
        param._grad._bump()


_summoning = [0]


class FullyShardedDataParallel(Module):
    """PyTorch's ``FullyShardedDataParallel`` (FSDP1); see the module docstring."""

    def __init__(self, module, process_group=None, sharding_strategy=None, cpu_offload=None, auto_wrap_policy=None,
                 backward_prefetch=BackwardPrefetch.BACKWARD_PRE, mixed_precision=None, ignored_modules=None,
                 param_init_fn=None, device_id=None, sync_module_states=False, forward_prefetch=False,
                 limit_all_gathers=True, use_orig_params=False, ignored_states=None, device_mesh=None):
        super().__init__()
        from ember.distributed.process_group import resolve_group
        _check_device(device_id)
        group = device_mesh._all_ranks_group() if device_mesh is not None else resolve_group(process_group)
        ignored = set()
        for m in list(ignored_modules or ()) + [s for s in (ignored_states or ()) if isinstance(s, Module)]:
            ignored.update(id(p) for p in m.parameters())
        ignored.update(id(s) for s in (ignored_states or ()) if isinstance(s, Tensor))
        kwargs = dict(process_group=process_group, sharding_strategy=sharding_strategy, cpu_offload=cpu_offload,
                      mixed_precision=mixed_precision, device_id=device_id, sync_module_states=sync_module_states,
                      use_orig_params=use_orig_params, device_mesh=device_mesh)
        if auto_wrap_policy is not None and not isinstance(module, FullyShardedDataParallel):
            _recursive_wrap(module, auto_wrap_policy, lambda m: FullyShardedDataParallel(m, **kwargs), ignored,
                            only_wrap_children=True)
        self._fsdp_wrapped_module = module
        self.sharding_strategy = sharding_strategy or ShardingStrategy.FULL_SHARD
        self.mixed_precision = mixed_precision
        self.cpu_offload = cpu_offload or CPUOffload()
        self.backward_prefetch = backward_prefetch
        self.process_group = group
        self._use_orig_params = use_orig_params
        self._state_dict_type = StateDictType.FULL_STATE_DICT
        self._state_dict_config = FullStateDictConfig()
        self._optim_state_dict_config = FullOptimStateDictConfig()
        own = self._own_params(module, ignored)
        if sync_module_states and group.size() > 1:
            from ember.distributed.collectives import broadcast
            for p, _ in own:
                broadcast(p, src=group.ranks[0], group=group)
            for _, b in module.named_buffers():
                broadcast(b, src=group.ranks[0], group=group)
        self._handle = _FlatHandle(self, own, group, self.sharding_strategy == ShardingStrategy.NO_SHARD,
                                   mixed_precision, use_orig_params) if own else None

    @staticmethod
    def _own_params(module, ignored):
        """``(param, owners)`` for the parameters of ``module``'s subtree outside child units, in named order."""
        found = {}
        stack = [module]
        while stack:
            m = stack.pop(0)
            for name, p in m._parameters.items():
                if p is not None and id(p) not in ignored:
                    found.setdefault(id(p), (p, []))[1].append((m, name))
            stack[0:0] = [c for c in m._modules.values() if c is not None and
                          not isinstance(c, FullyShardedDataParallel)]
        order = {id(p): i for i, (_, p) in enumerate(module.named_parameters())}
        return sorted(found.values(), key=lambda e: order.get(id(e[0]), 0))

    @property
    def module(self):
        return self._fsdp_wrapped_module

    def forward(self, *args, **kwargs):
        h = self._handle
        if h is None or _summoning[0]:
            return self._fsdp_wrapped_module(*args, **kwargs)
        h.unshard()
        try:
            return self._fsdp_wrapped_module(*args, **kwargs)
        finally:
            h.hide()

    # -- the units of a tree ------------------------------------------------------------------------
    @staticmethod
    def fsdp_modules(module, root_only=False):
        units = [m for m in module.modules() if isinstance(m, FullyShardedDataParallel)]
        return units[:1] if root_only else units

    def _handles(self):
        return [m._handle for m in FullyShardedDataParallel.fsdp_modules(self) if m._handle is not None]

    @contextlib.contextmanager
    def no_sync(self):
        """Backwards inside accumulate whole gradients locally; the next one outside averages them."""
        handles = self._handles()
        for h in handles:
            h.requires_gradient_sync = False
        try:
            yield
        finally:
            for h in handles:
                h.requires_gradient_sync = True

    def clip_grad_norm_(self, max_norm, norm_type=2.0):
        """Scale every unit's gradient pieces so that the norm over all ranks' pieces is at most ``max_norm``;
        returns that norm as it was (the padding holds zeros, so it adds nothing)."""
        from ember.distributed.collectives import all_reduce
        from ember.distributed.reduce_op import ReduceOp
        norm_type = float(norm_type)
        grads = [p._grad._data for h in self._handles() for p in h.optimizer_params() if p._grad is not None]
        if norm_type == math.inf:
            local, op = max((float(np.abs(g).max()) for g in grads if g.size), default=0.0), ReduceOp.MAX
        else:
            local, op = sum(float((np.abs(g.astype(np.float64)) ** norm_type).sum()) for g in grads), ReduceOp.SUM
        acc = make(np.asarray([local], np.float64))
        if self.process_group.size() > 1 and self.sharding_strategy != ShardingStrategy.NO_SHARD:
            all_reduce(acc, op=op, group=self.process_group)
        total = float(acc._data[0]) if op == ReduceOp.MAX else float(acc._data[0]) ** (1.0 / norm_type)
        coef = min(float(max_norm) / (total + 1e-6), 1.0)
        for g in grads:
            g *= np.asarray(coef, g.dtype)
        dtype = grads[0].dtype if grads else np.float32
        return make(np.asarray(total, dtype))

    # -- whole parameters, state dicts -----------------------------------------------------------------
    @staticmethod
    @contextlib.contextmanager
    def summon_full_params(module, recurse=True, writeback=True, rank0_only=False, offload_to_cpu=False,
                           with_grads=False):
        """Inside the block every unit of ``module`` shows its whole parameters (copies); with ``writeback``
        changes to them go back to the pieces at the end."""
        units = FullyShardedDataParallel.fsdp_modules(module, root_only=not recurse)
        held = [(u._handle, u._handle.summon()) for u in units if u._handle is not None]
        _summoning[0] += 1
        try:
            yield
        finally:
            _summoning[0] -= 1
            for h, params in reversed(held):
                h.unsummon(params, writeback)

    @staticmethod
    @contextlib.contextmanager
    def state_dict_type(module, state_dict_type, state_dict_config=None, optim_state_dict_config=None):
        """Inside the block, ``state_dict()`` of ``module``'s units is of ``state_dict_type``."""
        units = FullyShardedDataParallel.fsdp_modules(module)
        before = [(u._state_dict_type, u._state_dict_config, u._optim_state_dict_config) for u in units]
        FullyShardedDataParallel.set_state_dict_type(module, state_dict_type, state_dict_config,
                                                     optim_state_dict_config)
        try:
            yield
        finally:
            for u, (t, c, o) in zip(units, before):
                u._state_dict_type, u._state_dict_config, u._optim_state_dict_config = t, c, o

    @staticmethod
    def set_state_dict_type(module, state_dict_type, state_dict_config=None, optim_state_dict_config=None):
        if state_dict_type == StateDictType.SHARDED_STATE_DICT:
            raise NotImplementedError("FullyShardedDataParallel: SHARDED_STATE_DICT; use FULL_STATE_DICT, or "
                                      "fully_shard with torch.distributed.checkpoint for sharded checkpoints")
        units = FullyShardedDataParallel.fsdp_modules(module)
        previous = StateDictSettings(units[0]._state_dict_type, units[0]._state_dict_config,
                                     units[0]._optim_state_dict_config) if units else None
        for u in units:
            u._state_dict_type = state_dict_type
            if state_dict_config is not None:
                u._state_dict_config = state_dict_config
            if optim_state_dict_config is not None:
                u._optim_state_dict_config = optim_state_dict_config
        return previous

    def _rank0_only_elsewhere(self):
        return getattr(self._state_dict_config, "rank0_only", False) and self.process_group.rank() != 0

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        if _summoning[0] or self._state_dict_type == StateDictType.LOCAL_STATE_DICT:
            return super().state_dict(*args, destination=destination, prefix=prefix, keep_vars=keep_vars)
        with FullyShardedDataParallel.summon_full_params(self, writeback=False):
            raw = super().state_dict(prefix=prefix, keep_vars=keep_vars)
        out = destination if destination is not None else type(raw)()
        if self._rank0_only_elsewhere():
            return out
        for k, v in raw.items():
            out[_clean(k)] = v
        return out

    def load_state_dict(self, state_dict, strict=True, assign=False):
        if self._state_dict_type == StateDictType.LOCAL_STATE_DICT:
            return super().load_state_dict(state_dict, strict=strict)
        with FullyShardedDataParallel.summon_full_params(self, writeback=True):
            actual = {_clean(k): k for k in Module.state_dict(self, keep_vars=True)}
            result = super().load_state_dict({actual.get(k, k): v for k, v in state_dict.items()}, strict=strict)
        result.missing_keys[:] = [_clean(k) for k in result.missing_keys]
        result.unexpected_keys[:] = [_clean(k) for k in result.unexpected_keys]
        return result

    # -- optimizer state ------------------------------------------------------------------------------
    def _optim_map(self, optim):
        """For each optimizer parameter: its handle and, for each original parameter it covers, (entry index,
        part of the piece [lo, hi))."""
        out = {}
        for h in self._handles():
            if h.use_orig_params:
                for i, view in enumerate(h.orig_views):
                    out[id(view)] = (h, [i])
            else:
                out[id(h.flat_param)] = (h, list(range(len(h.entries))))
        return out

    @staticmethod
    def _names(model, h, i):
        owner, name = h.entries[i][0][0]
        for mod_name, m in model.named_modules():
            if m is owner:
                return _clean(f"{mod_name}.{name}" if mod_name else name)
        raise KeyError(name)

    @staticmethod
    def optim_state_dict(model, optim, optim_state_dict=None, group=None):
        """The optimizer's state as whole tensors under the original parameter names (a collective)."""
        osd = optim.state_dict() if optim_state_dict is None else optim_state_dict
        params = [p for g in optim.param_groups for p in g["params"]]
        mapping = FullyShardedDataParallel._optim_map(model, optim)
        state, index_names = {}, {}
        done = set()
        for idx, p in enumerate(params):
            if id(p) not in mapping or id(p) in done:
                continue
            done.add(id(p))
            h, entries = mapping[id(p)]
            names = [FullyShardedDataParallel._names(model, h, i) for i in entries]
            index_names[idx] = names
            st = osd["state"].get(idx, {})
            for k, v in st.items():
                if isinstance(v, Tensor) and v._data.ndim == 1 and v._data.shape == p._data.shape:
                    local = np.zeros(h.chunk, v._data.dtype)
                    if h.use_orig_params:
                        lo, hi = h._mine(h.entries[entries[0]][3], h.entries[entries[0]][2])
                        local[lo:hi] = v._data
                        # the other views' parts of this rank's piece come from their own state, below
                    else:
                        local[...] = v._data
                    full = h.gather(local)
                    for name, i in zip(names, entries):
                        _, shape, n, o = h.entries[i]
                        state.setdefault(name, {})[k] = make(full[o:o + n].reshape(shape).copy())
                else:
                    for name in names:
                        state.setdefault(name, {})[k] = v
        groups = []
        for g, saved in zip(optim.param_groups, osd["param_groups"]):
            g2 = {k: v for k, v in saved.items() if k != "params"}
            g2["params"] = [n for i in saved["params"] for n in index_names.get(i, [])]
            groups.append(g2)
        if getattr(model._optim_state_dict_config, "rank0_only", False) and model.process_group.rank() != 0:
            return {}
        return {"state": state, "param_groups": groups}

    @staticmethod
    def optim_state_dict_to_load(model, optim, optim_state_dict, is_named_optimizer=False, load_directly=False,
                                 group=None):
        """A state dict for ``optim.load_state_dict`` from :meth:`optim_state_dict`'s whole tensors."""
        params = [p for g in optim.param_groups for p in g["params"]]
        mapping = FullyShardedDataParallel._optim_map(model, optim)
        name_to_index, state = {}, {}
        for idx, p in enumerate(params):
            if id(p) not in mapping:
                continue
            h, entries = mapping[id(p)]
            names = [FullyShardedDataParallel._names(model, h, i) for i in entries]
            for n in names:
                name_to_index[n] = idx
            saved = [optim_state_dict["state"].get(n) for n in names]
            if not any(saved):
                continue
            st = {}
            for k in next(s for s in saved if s):
                v = next(s[k] for s in saved if s and k in s)
                if isinstance(v, Tensor) and v._data.ndim:
                    flat = np.zeros(h.chunk * h.world, v._data.dtype)
                    for s, i in zip(saved, entries):
                        _, _, n, o = h.entries[i]
                        if s and k in s:
                            flat[o:o + n] = s[k]._data.reshape(-1)
                    piece = flat[h.rank * h.chunk:(h.rank + 1) * h.chunk]
                    if h.use_orig_params:
                        lo, hi = h._mine(h.entries[entries[0]][3], h.entries[entries[0]][2])
                        piece = piece[lo:hi]
                    st[k] = make(piece.copy())
                else:
                    st[k] = v
            state[idx] = st
        groups = []
        for g, saved in zip(optim.param_groups, optim_state_dict["param_groups"]):
            g2 = {k: v for k, v in saved.items() if k != "params"}
            g2["params"] = sorted({name_to_index[n] for n in saved["params"] if n in name_to_index})
            groups.append(g2)
        if load_directly:
            optim.load_state_dict({"state": state, "param_groups": groups})
        return {"state": state, "param_groups": groups}

    def extra_repr(self):
        return ""
