"""``ZeroRedundancyOptimizer``: each rank keeps the optimizer state of its share of the parameters only.

ZeRO stage 1 (as ``torch.distributed.optim.ZeroRedundancyOptimizer``). The parameters are divided
among the ranks of the process group, largest first, each to the rank with the fewest elements so
far; every rank builds ``optimizer_class`` over its share. ``step()`` updates the rank's own share
from the (already averaged, e.g. by DistributedDataParallel) gradients, then every rank broadcasts
its updated parameters to the others, so all ranks end the step with the same weights as one
optimizer over all the parameters, while the optimizer state (Adam's two moments: twice the model's
size) is split N ways.

``state_dict()`` works on the rank that called ``consolidate_state_dict(to=rank)`` (a collective):
the whole state, indexed as one optimizer over all parameters would index it, so it loads into a
plain optimizer or into a ZeroRedundancyOptimizer on any number of ranks.

Example (every rank)::

    model = DistributedDataParallel(net)
    opt = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=ember.optim.Adam, lr=1e-3)
    loss_fn(model(x), y).backward()
    opt.step()
    opt.consolidate_state_dict(to=0)
    if dist.get_rank() == 0:
        ember.save(opt.state_dict(), "optim.safetensors")
"""
import copy

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.tensor import Tensor, make
from ember.distributed.algorithms.join import Join, JoinHook, _JoinConfig, _GroupJoinable
from .optimizer import Optimizer

__all__ = ["ZeroRedundancyOptimizer"]


class ZeroRedundancyOptimizer(Optimizer, _GroupJoinable):
    """Wraps ``optimizer_class`` so that each rank holds the state of its share of ``params`` only.

    Args:
        params: tensors or parameter groups, as for any optimizer (every rank the same, in the same order).
        optimizer_class: the optimizer each rank runs on its share (``ember.optim.Adam``, ``SGD`` ...).
        process_group: the ranks to shard over (default: the default group).
        parameters_as_bucket_view (bool): accepted; the broadcasts are bucketed per rank either way.
        overlap_with_ddp (bool): not supported (it needs DDP communication hooks).
        **defaults: the hyperparameters of ``optimizer_class``.
    """

    def __init__(self, params, optimizer_class, process_group=None, parameters_as_bucket_view=False,
                 overlap_with_ddp=False, **defaults):
        import ember.distributed as dist
        from ember.distributed.process_group import resolve_group
        if overlap_with_ddp:
            raise NotImplementedError("ZeroRedundancyOptimizer(overlap_with_ddp=True) needs DistributedDataParallel "
                                      "communication hooks, which ember does not have; use overlap_with_ddp=False")
        self._dist = dist
        self._join_config = _JoinConfig.construct_disabled_join_config()
        self.process_group = resolve_group(process_group)
        self.world_size = self.process_group.size()
        self.rank = self.process_group.rank()
        self.global_rank = self.process_group.ranks[self.rank]
        self._optimizer_class = optimizer_class
        self._default = defaults
        self.parameters_as_bucket_view = parameters_as_bucket_view
        super().__init__(params, defaults)
        self._all_state = None
        self._partition = self._partition_parameters()
        self.optim = optimizer_class(self._partition[self.rank], **defaults)
        self._sync_param_groups(self.optim.param_groups, self.param_groups)

    # -- partition -------------------------------------------------------------------------------

    def _partition_parameters(self):
        """For each rank, its param groups: PyTorch's greedy split, largest parameter first."""
        sizes = [0] * self.world_size
        per_rank = [[] for _ in range(self.world_size)]
        self._owner = {}
        for group in self.param_groups:
            shares = [[] for _ in range(self.world_size)]
            for p in sorted(group["params"], key=lambda t: t.numel(), reverse=True):
                r = sizes.index(min(sizes))
                shares[r].append(p)
                sizes[r] += p.numel()
                self._owner[id(p)] = r
            for r in range(self.world_size):
                local = {k: v for k, v in group.items() if k not in ("params", "param_names")}
                local["params"] = shares[r]
                per_rank[r].append(local)
        return per_rank

    @staticmethod
    def _sync_param_groups(source, destination):
        """Copy the hyperparameters (not the params) of ``source``'s groups into ``destination``'s."""
        for s, d in zip(source, destination):
            for k, v in s.items():
                if k not in ("params", "param_names"):
                    d[k] = v

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        if getattr(self, "optim", None) is not None:          # after construction: re-partition
            self._partition = self._partition_parameters()
            self.optim = self._optimizer_class(self._partition[self.rank], **self._default)

    # -- the step ----------------------------------------------------------------------------------

    def step(self, closure=None):
        """Update this rank's share, then broadcast every rank's updated share to all; returns the loss."""
        Join.notify_join_context(self)
        self._sync_param_groups(self.param_groups, self.optim.param_groups)   # an LR scheduler's changes
        loss = self.optim.step(closure) if closure is not None else self.optim.step()
        self._broadcast_params()
        self._sync_param_groups(self.optim.param_groups, self.param_groups)
        return loss

    def join_hook(self, **kwargs):
        """A joined rank's hook: one ``step()`` per iteration of the ranks still training (its share updated from
        its last gradients, and its part in every share's broadcast), as PyTorch's ZeRO join hook."""
        return _ZeROJoinHook(self)

    def _broadcast_params(self):
        """Each rank's share, packed into one buffer per dtype, broadcast from its owner."""
        with grad_mode.no_grad():
            for r in range(self.world_size):
                owned = [p for group in self._partition[r] for p in group["params"]]
                by_dtype = {}
                for p in owned:
                    by_dtype.setdefault(p._data.dtype, []).append(p)
                for dtype, ps in sorted(by_dtype.items(), key=lambda kv: str(kv[0])):
                    if r == self.rank:
                        flat = np.concatenate([p._data.reshape(-1) for p in ps])
                    else:
                        flat = np.empty(sum(p._data.size for p in ps), dtype)
                    buf = make(flat)
                    self._dist.broadcast(buf, src=self.process_group.ranks[r], group=self.process_group)
                    if r != self.rank:
                        offset = 0
                        for p in ps:
                            n = p._data.size
                            p._data[...] = buf._data[offset:offset + n].reshape(p._data.shape)
                            p._bump()
                            offset += n

    # -- state dicts ---------------------------------------------------------------------------------

    def _global_index(self):
        index = {}
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), len(index))
        return index

    def consolidate_state_dict(self, to=0):
        """Gather the whole optimizer state on rank ``to`` (a global rank); every rank must call it."""
        from ember.distributed import broadcast_object_list
        index = self._global_index()
        local_params = [p for group in self.optim.param_groups for p in group["params"]]
        self._all_state = {} if self.global_rank == to else None
        for r in range(self.world_size):
            src = self.process_group.ranks[r]
            meta = [None]
            tensors = []
            if r == self.rank:
                described = {}
                for p in local_params:
                    entries = {}
                    for key, value in self.optim.state.get(p, {}).items():
                        if isinstance(value, Tensor):
                            entries[key] = ["tensor", list(value._data.shape), value._data.dtype.str]
                            tensors.append(value)
                        else:
                            entries[key] = ["value", value]
                    described[str(index[id(p)])] = entries
                meta = [described]
            broadcast_object_list(meta, src=src, group=self.process_group)
            received = iter(tensors)
            for gi, entries in meta[0].items():
                state = {}
                for key, (kind, *info) in entries.items():
                    if kind == "tensor":
                        t = next(received) if r == self.rank else make(np.empty(info[0], np.dtype(info[1])))
                        self._dist.broadcast(t, src=src, group=self.process_group)
                        state[key] = make(np.array(t._data, copy=True)) if self._all_state is not None else None
                    else:
                        state[key] = info[0]
                if self._all_state is not None:
                    self._all_state[int(gi)] = state

    def state_dict(self):
        """The whole state, as one optimizer over all parameters gives it (after ``consolidate_state_dict``)."""
        if self._all_state is None:
            raise RuntimeError(f"Optimizer state has not been consolidated on this rank. Please call "
                               f"`consolidate_state_dict(to={self.global_rank})` on all ranks beforehand if you "
                               f"meant to save the global state.")
        index = self._global_index()
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k not in ("params",)}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        return {"state": dict(sorted(self._all_state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a whole state (from ``state_dict()`` or a plain optimizer's): each rank keeps its share."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        index = self._global_index()
        for group, saved in zip(self.param_groups, saved_groups):
            for k, v in saved.items():
                if k not in ("params", "param_names"):
                    group[k] = v
        local_groups, local_state = [], {}
        i = 0
        for local in self.optim.param_groups:
            ids = []
            for p in local["params"]:
                gi = index[id(p)]
                state = state_dict["state"].get(gi, state_dict["state"].get(str(gi)))
                if state is not None:
                    local_state[i] = state
                ids.append(i)
                i += 1
            local_groups.append({k: v for k, v in local.items() if k != "params"} | {"params": ids})
        self._sync_param_groups(self.param_groups, local_groups)
        self.optim.load_state_dict({"state": local_state, "param_groups": local_groups})
        self._all_state = None

    def __repr__(self):
        return f"ZeroRedundancyOptimizer(rank {self.rank} of {self.world_size}, {self.optim!r})"


class _ZeROJoinHook(JoinHook):
    def __init__(self, zero):
        if not isinstance(zero, ZeroRedundancyOptimizer):
            raise AssertionError("ZeRO join hook requires passing in a ZeroRedundancyOptimizer instance as the state")
        self.zero = zero
        super().__init__()

    def main_hook(self):
        self.zero.step()
