"""``DistributedDataParallel``: every rank trains one replica on its own data; gradients are averaged.

Construction broadcasts rank 0's parameters and buffers to every rank (``init_sync``), after
checking that the ranks' parameter shapes agree. The parameters that require gradients are
packed, in reverse order of ``module.parameters()`` (roughly the order backward produces their
gradients), into buckets of at most ``bucket_cap_mb`` MiB (the first one 1 MiB, as PyTorch).
A hook on each parameter marks its gradient ready; when a bucket is complete its gradients,
divided by the world size, are copied into one flat buffer and summed over the ranks with a
non-blocking MPI all-reduce, while backward goes on computing the rest (MPI progresses it inside
MPI calls, so each later gradient's hook polls the buckets in flight). Buckets start in index
order on every rank (so the ranks' collectives match). At the end of backward (an engine
callback) the all-reduces are waited for and each ``.grad`` receives

    grad_p = (1 / world_size) * sum over ranks r of grad_p(r)

so that an optimizer step leaves the replicas identical: 2 ranks with batch B step as 1 process
with batch 2B (for a loss that is a mean over the batch).

``no_sync()`` skips the all-reduce for the backward of forwards run inside it: gradients
accumulate locally and are averaged at the first synchronized backward. With
``find_unused_parameters=True`` a parameter that did not take part in a rank's loss counts as
a zero gradient there, and one unused on every rank keeps ``.grad`` untouched, as in PyTorch;
without it, an unused parameter is reported at the next forward. ``broadcast_buffers`` copies
rank 0's buffers (batch-norm statistics) to the others at each forward. ``state_dict`` keys
carry the ``module.`` prefix, as in PyTorch.

Example (under ``ember run -n 2``)::

    dist.init_process_group("mpi")
    model = DistributedDataParallel(nn.Linear(4, 1))
    loss = model(x).pow(2).mean()
    loss.backward()                     # model.module.weight.grad is the average over the ranks
"""
import contextlib
import weakref

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.engine import queue_callback
from ember.autograd.tensor import make
from ember.nn.module import Module
from ember.distributed.algorithms.join import Join, JoinHook, _JoinConfig, _GroupJoinable
from ember.distributed.grad_bucket import GradBucket

__all__ = ["DistributedDataParallel", "GradBucket"]

_FIRST_BUCKET_BYTES = 1024 * 1024      # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES


class _Bucket:
    """Parameters whose gradients travel together in one flat buffer."""

    def __init__(self, params, dtype):
        self.params = params
        self.offsets = np.cumsum([0] + [p._data.size for p in params]).tolist()
        wire = np.dtype(np.float32) if dtype == np.float16 or dtype.name == "bfloat16" else dtype
        self.buffer = np.empty(self.offsets[-1], wire)
        self.pending = len(params)
        self.ready = [False] * len(params)
        self.request = None

    def reset(self):
        self.pending = len(self.params)
        self.ready = [False] * len(self.params)
        self.request = None


def _check_devices(device_ids, output_device):
    for d in list(device_ids or []) + ([output_device] if output_device is not None else []):
        if str(d) not in ("cpu", "-1"):
            raise ValueError(f"DistributedDataParallel: device {d!r} was requested, but ember runs on the CPU "
                             f"only (device_ids must be None)")


class DistributedDataParallel(Module, _GroupJoinable):
    """Data-parallel training of ``module`` over the ranks of ``process_group`` (see the module docstring).

    Args:
        module (Module): the replica each rank trains.
        device_ids, output_device: None (ember runs on the CPU).
        broadcast_buffers (bool): copy rank 0's buffers to every rank at each forward (default True).
        init_sync (bool): broadcast rank 0's parameters and buffers at construction (default True).
        process_group: the group to average over (default: the default group).
        bucket_cap_mb (float): bucket size limit in MiB (default 25).
        find_unused_parameters (bool): allow parameters that a forward did not use (default False).
        gradient_as_bucket_view, static_graph, check_reduction: accepted for PyTorch compatibility.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 init_sync=True, process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None, mixed_precision=None,
                 device_mesh=None):
        super().__init__()
        self._join_config = _JoinConfig.construct_disabled_join_config()
        self._divide_by_initial_world_size = True
        self._forward_work = None
        from ember.distributed.process_group import resolve_group, ProcessGroup
        _check_devices(device_ids, output_device)
        pg = resolve_group(process_group)
        if pg is None:
            raise ValueError("DistributedDataParallel: this process is not a member of process_group")
        self.module = module
        self.device_ids = None
        self.output_device = None
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.static_graph = static_graph
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.process_group = pg
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self._default_cap = bucket_cap_mb is None
        seen = set()
        self._ddp_params = []
        self._ddp_names = []
        for name, p in module.named_parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                self._ddp_params.append(p)
                self._ddp_names.append(name)
        if not self._ddp_params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        self._verify_shapes()
        # Gradients travel on a communicator of their own, so that they never interleave with the
        # collectives the training script makes on the group.
        comm = pg.comm.Dup()
        self._grad_group = ProcessGroup(comm, pg.ranks, pg.timeout, pg.group_name + ".ddp", backend=pg.backend)
        self._comm_hook = None
        if init_sync:
            self._broadcast_coalesced(list(module.parameters()) + [b for _, b in module.named_buffers()])
        self._buckets, self._where = self._assign_buckets()
        self._next_bucket = 0
        self._expect_backward = False
        self._callback_queued = False
        self._unused_error = None
        ref = weakref.ref(self)     # the parameters' hooks must not keep a dropped wrapper alive

        def hook(p):
            ddp = ref()
            if ddp is not None:
                ddp._grad_ready(p)
        self._hooks = [p.register_post_accumulate_grad_hook(hook) for p in self._ddp_params]

    # -- construction ---------------------------------------------------------------------
    def _verify_shapes(self):
        from ember.distributed.objects import allgather_json
        mine = [[n, list(p._data.shape), str(p._data.dtype)] for n, p in zip(self._ddp_names, self._ddp_params)]
        for rank, theirs in enumerate(allgather_json(self.process_group, mine, "DistributedDataParallel")):
            if theirs != mine:
                diff = next((f"{a} on this rank vs {b} on rank {self.process_group.ranks[rank]}"
                             for a, b in zip(mine, theirs) if a != b),
                            f"{len(mine)} parameters here vs {len(theirs)} on rank {self.process_group.ranks[rank]}")
                raise RuntimeError(f"DistributedDataParallel: the ranks' models differ (parameter name, shape, "
                                   f"dtype): {diff}")

    def _broadcast_coalesced(self, tensors, root=0):
        """Group rank ``root``'s values of ``tensors`` on every rank: one broadcast per dtype."""
        from ember.distributed.process_group import wait
        by_dtype = {}
        for t in tensors:
            by_dtype.setdefault(t._data.dtype.str, []).append(t)
        pg = self.process_group
        for group in by_dtype.values():
            flat = np.concatenate([t._data.ravel() for t in group])
            wire = flat.astype(np.float32) if flat.dtype == np.float16 or flat.dtype.name == "bfloat16" else flat
            if wire.dtype == np.bool_:
                wire = wire.view(np.uint8)
            wait(pg.comm.Ibcast(wire, root=root), pg, "DistributedDataParallel(broadcast)")
            if pg.rank() == root:
                continue
            at = 0
            for t in group:
                n = t._data.size
                t._data[...] = wire[at:at + n].reshape(t._data.shape).astype(t._data.dtype, copy=False)
                at += n

    def _assign_buckets(self):
        buckets, where = [], {}
        # PyTorch: a small first bucket (1 MiB) by default, so communication starts early in backward
        current, size, cap = [], 0, (_FIRST_BUCKET_BYTES if self._default_cap else self.bucket_bytes_cap)
        for p in reversed(self._ddp_params):
            if current and (size + p._data.nbytes > cap or p._data.dtype != current[0]._data.dtype):
                buckets.append(_Bucket(current, current[0]._data.dtype))
                current, size, cap = [], 0, self.bucket_bytes_cap
            current.append(p)
            size += p._data.nbytes
        buckets.append(_Bucket(current, current[0]._data.dtype))
        for b, bucket in enumerate(buckets):
            for i, p in enumerate(bucket.params):
                where[id(p)] = (b, i)
        return buckets, where

    # -- forward / backward ---------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._unused_error is not None:
            message, self._unused_error = self._unused_error, None
            raise RuntimeError(message)
        self._forward_work = Join.notify_join_context(self)
        if self._syncs_buffers():
            # Under a join context rank 0 may have joined with stale buffers: the highest rank still training sends.
            root = self._find_common_rank(self.process_group.rank(), True) if self._join_config.enable else 0
            self._broadcast_coalesced(self._buffers_to_sync(), root)
        if self._join_config.enable:
            # Tells the joined ranks whether this iteration's backward all-reduces gradients.
            self._global_flag(1.0 if self.require_backward_grad_sync else 0.0)
        self._expect_backward = grad_mode.state.enabled and self.require_backward_grad_sync
        # As PyTorch: the next forward broadcasts buffers only if this one synchronizes its backward.
        self.require_forward_param_sync = self._expect_backward
        return self.module(*inputs, **kwargs)

    def _buffers_to_sync(self):
        return [b for _, b in self.module.named_buffers()]

    def _syncs_buffers(self):
        return (self.broadcast_buffers and self.require_forward_param_sync and self.process_group.size() > 1
                and bool(self._buffers_to_sync()))

    # -- uneven inputs (Join) ---------------------------------------------------------------
    def _global_flag(self, mine, op=None):
        """``mine`` reduced over the group (a sum, or ``op``), as a float."""
        from ember.creation import full
        from ember.distributed.collectives import all_reduce, ReduceOp
        t = full((1,), float(mine))
        all_reduce(t, op=ReduceOp.SUM if op is None else op, group=self.process_group)
        return t.item()

    def _find_common_rank(self, rank, candidate):
        """The highest group rank among those passing ``candidate=True`` (PyTorch's ``_find_common_rank``)."""
        from ember.distributed.reduce_op import ReduceOp
        common = int(self._global_flag(rank if candidate else -1, ReduceOp.MAX))
        if common == -1:
            raise ValueError("DistributedDataParallel: expected at least one rank to be a candidate for the common "
                             "rank (a join-context bug)")
        return common

    def join_hook(self, **kwargs):
        """The hook that shadows this DDP's forward and backward collectives on a joined rank; takes
        ``divide_by_initial_world_size`` (default True: gradients divided by the world size even when
        fewer ranks contribute; False: by the number of ranks still training)."""
        return _DDPJoinHook(self, kwargs.get("divide_by_initial_world_size", True))

    def join(self, divide_by_initial_world_size=True, enable=True, throw_on_early_termination=False):
        """``Join([self], ...)``: the context manager for training on uneven inputs (see
        :mod:`ember.distributed.algorithms.join`)."""
        return Join([self], enable, throw_on_early_termination,
                    divide_by_initial_world_size=divide_by_initial_world_size)

    def _shadow_iteration(self):
        """A joined rank's side of one iteration of the others: their buffer broadcast, their backward flag,
        then one zero bucket per gradient all-reduce (and the unused-parameter flags), in their order."""
        if self._syncs_buffers():
            self._broadcast_coalesced(self._buffers_to_sync(), self._find_common_rank(self.process_group.rank(),
                                                                                        False))
        should_sync = self._global_flag(0.0) != 0
        self.require_forward_param_sync = should_sync
        if not should_sync:
            return
        from ember.distributed.process_group import wait, _mpi
        MPI = _mpi()
        for index, bucket in enumerate(self._buckets):
            zeros = np.zeros_like(bucket.buffer)
            if self._comm_hook is not None:
                state, hook = self._comm_hook
                hook(state, GradBucket(index, make(zeros), bucket, index == len(self._buckets) - 1)).wait()
            else:
                wait(self._grad_group.comm.Iallreduce(MPI.IN_PLACE, zeros, MPI.SUM), self._grad_group,
                     "DistributedDataParallel(join)")
        if self.find_unused_parameters:
            flags = np.zeros(sum(len(b.params) for b in self._buckets), np.int32)
            wait(self._grad_group.comm.Iallreduce(MPI.IN_PLACE, flags, MPI.MAX), self._grad_group,
                 "DistributedDataParallel(join)")

    def _sync_final_model(self, is_last_joiner):
        """Every rank takes the parameters (and buffers) of the highest rank among the last to join."""
        root = self._find_common_rank(self.process_group.rank(), is_last_joiner)
        tensors = list(self.module.parameters())
        if self.broadcast_buffers:
            tensors += self._buffers_to_sync()
        self._broadcast_coalesced(tensors, root)

    @contextlib.contextmanager
    def no_sync(self):
        """Forwards run inside skip the gradient all-reduce of their backward; gradients accumulate."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def _grad_ready(self, p):
        if not self._expect_backward:
            return
        if not self._callback_queued:
            self._callback_queued = True
            queue_callback(self._finish_backward)
        # MPI moves a non-blocking collective along only inside MPI calls: poll the buckets in flight
        # as each gradient arrives (a microsecond each), so that they progress during backward.
        for launched in self._buckets[:self._next_bucket]:
            if launched.request is not None:
                launched.request.Test()
        b, i = self._where[id(p)]
        bucket = self._buckets[b]
        if not bucket.ready[i]:
            bucket.ready[i] = True
            bucket.pending -= 1
            if bucket.pending == 0:
                self._launch_ready()

    def _launch_ready(self, force=False):
        while self._next_bucket < len(self._buckets):
            bucket = self._buckets[self._next_bucket]
            if bucket.pending and not force:
                return
            self._launch(bucket)
            self._next_bucket += 1

    def register_comm_hook(self, state, hook):
        """Replace the gradient all-reduce with ``hook(state, bucket) -> Future`` (PyTorch's DDP comm hook).

        ``bucket`` is a :class:`GradBucket` whose ``buffer()`` holds the bucket's gradients, summed
        over nothing yet and not divided; the future's value (a tensor of the buffer's size) becomes
        the parameters' ``.grad``. ``ember.distributed.algorithms.ddp_comm_hooks.default_hooks`` has
        PyTorch's ``allreduce_hook``, ``fp16_compress_hook`` and ``bf16_compress_hook``.
        """
        if self._comm_hook is not None:
            raise RuntimeError("register_comm_hook or register_builtin_comm_hook can only be called once.")
        if not callable(hook):
            raise TypeError(f"DistributedDataParallel.register_comm_hook: hook must be callable, got "
                            f"{type(hook).__name__}")
        self._comm_hook = (state, hook)

    def _launch(self, bucket):
        from ember.distributed.process_group import _mpi
        if self._comm_hook is not None:
            return self._launch_hook(bucket)
        scale = 1.0 / self._divisor()
        buf = bucket.buffer
        for p, lo, hi in zip(bucket.params, bucket.offsets, bucket.offsets[1:]):
            g = p._grad
            if g is None:
                buf[lo:hi] = 0
            else:
                np.multiply(g._data.reshape(-1), scale, out=buf[lo:hi], casting="unsafe")
        MPI = _mpi()
        bucket.request = self._grad_group.comm.Iallreduce(MPI.IN_PLACE, buf, MPI.SUM)

    def _divisor(self):
        """The world size, or under ``Join(..., divide_by_initial_world_size=False)`` the ranks still training."""
        if self._divide_by_initial_world_size or self._forward_work is None:
            return self._grad_group.size()
        self._forward_work.wait()
        return max(1, int(self._forward_work.result()[0].item()))

    def _launch_hook(self, bucket):
        buf = bucket.buffer
        for p, lo, hi in zip(bucket.params, bucket.offsets, bucket.offsets[1:]):
            g = p._grad
            buf[lo:hi] = 0 if g is None else g._data.reshape(-1)
        index = self._buckets.index(bucket)
        state, hook = self._comm_hook
        grad_bucket = GradBucket(index, make(buf), bucket, index == len(self._buckets) - 1)
        bucket.future = hook(state, grad_bucket)

    def _finish_backward(self):
        from ember.distributed.process_group import wait, _mpi
        self._callback_queued = False
        self._expect_backward = False
        unused = [(b, i) for b, bucket in enumerate(self._buckets) for i, r in enumerate(bucket.ready) if not r]
        self._launch_ready(force=True)
        used = None
        if self.find_unused_parameters:
            MPI = _mpi()
            flags = np.concatenate([np.array(bucket.ready, np.int32) for bucket in self._buckets])
            wait(self._grad_group.comm.Iallreduce(MPI.IN_PLACE, flags, MPI.MAX), self._grad_group,
                 "DistributedDataParallel(backward)")
            used = flags
        for bucket in self._buckets:
            if getattr(bucket, "future", None) is not None:
                result = bucket.future.wait()
                bucket.future = None
                values = result[0] if isinstance(result, (list, tuple)) else result
                bucket.buffer[...] = values._data.reshape(-1).astype(bucket.buffer.dtype, copy=False)
                continue
            wait(bucket.request, self._grad_group, "DistributedDataParallel(backward)")
        k = 0
        for bucket in self._buckets:
            for p, lo, hi in zip(bucket.params, bucket.offsets, bucket.offsets[1:]):
                if used is not None and not used[k]:
                    k += 1
                    continue       # unused on every rank: .grad untouched, as in PyTorch
                k += 1
                avg = bucket.buffer[lo:hi].reshape(p._data.shape)
                g = p._grad
                if g is not None and g._data.flags.writeable and g._data.dtype == avg.dtype:
                    g._data[...] = avg
                    g._bump()
                else:
                    p._grad = make(avg.astype(p._data.dtype))
            bucket.reset()
        self._next_bucket = 0
        if unused and not self.find_unused_parameters:
            name_of = {id(p): n for p, n in zip(self._ddp_params, self._ddp_names)}
            names = [name_of[id(self._buckets[b].params[i])] for b, i in unused]
            self._unused_error = (
                "Expected to have finished reduction in the prior iteration before starting a new one. This error "
                "indicates that your module has parameters that were not used in producing loss. You can enable "
                "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
                "`ember.nn.parallel.DistributedDataParallel`. Parameters which did not receive grad for rank "
                f"{self.process_group.ranks[self.process_group.rank()]}: {', '.join(names)}")

    def __del__(self):
        for h in self.__dict__.get("_hooks", ()):
            h.remove()


class _DDPJoinHook(JoinHook):
    """DDP's join hook: a joined rank shadows each iteration's collectives; at the end the last joiner's
    model is broadcast to every rank."""

    def __init__(self, ddp, divide_by_initial_world_size):
        if not isinstance(ddp, DistributedDataParallel):
            raise AssertionError(f"DDP join hook requires passing in a DistributedDataParallel instance as the "
                                 f"state, got {type(ddp).__name__}")
        self.ddp = ddp
        ddp._divide_by_initial_world_size = divide_by_initial_world_size
        super().__init__()

    def main_hook(self):
        self.ddp._shadow_iteration()

    def post_hook(self, is_last_joiner):
        self.ddp._sync_final_model(is_last_joiner)
