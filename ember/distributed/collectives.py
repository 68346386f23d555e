"""Collectives on tensors, with ``torch.distributed``'s names, signatures and in-place semantics.

Each call is MPI's non-blocking collective (``Iallreduce``, ``Ibcast``, ``Iallgather``,
``Ireduce_scatter_block``, ``Ireduce``, ``Igather``, ``Iscatter``, ``Ibarrier``) on the group's
communicator. With ``async_op=False`` (the default) it waits and returns None; with
``async_op=True`` it returns a :class:`Work` whose ``wait()`` finishes it (the result is in the
tensor only after ``wait()``, as in PyTorch). Results are written into the given tensors in place.

Every rank of the group must make the same calls in the same order. ``src``/``dst`` are global
ranks (``group_src``/``group_dst`` are ranks within ``group``). float16 and bfloat16 tensors
travel as float32 (MPI has no half-precision sums); bool tensors reduce as logical and/or.

Example (on each of 2 ranks)::

    t = ember.tensor([float(dist.get_rank() + 1)])
    dist.all_reduce(t)                      # t == [3.] on both ranks
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
"""
import warnings

import numpy as np

from .process_group import resolve_group, wait, _mpi
from .reduce_op import ReduceOp, as_reduce_op

__all__ = ["Work", "all_reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter",
           "reduce_scatter_tensor", "reduce", "gather", "scatter", "barrier", "monitored_barrier", "all_to_all",
           "all_to_all_single", "send", "recv", "isend", "irecv", "P2POp", "batch_isend_irecv", "all_reduce_coalesced",
           "all_gather_coalesced"]


class Work:
    """The handle of an ``async_op=True`` collective: ``wait()`` finishes it, ``is_completed()`` polls."""

    def __init__(self, request, pg, op, finish=None):
        self._request = request
        self._pg = pg
        self._op = op
        self._finish = finish
        self._done = False
        self._result = None

    def _complete(self):
        if not self._done:
            self._done = True
            if self._finish is not None:
                self._result = self._finish()

    def wait(self, timeout=None):
        """Block until the collective is done (the group's timeout applies); returns True."""
        if not self._done:
            if self._request is not None:
                wait(self._request, self._pg, self._op)
            self._complete()
        return True

    def is_completed(self):
        if not self._done and (self._request is None or self._request.Test()):
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed()

    def exception(self):
        return None

    def result(self):
        self.wait()
        return [] if self._result is None else self._result

    def get_future(self):
        from ember.futures import Future
        fut = Future()
        fut.set_result(self.result())
        return fut


def _done(work, async_op):
    if async_op:
        return work
    work.wait()
    return None


def _array(tensor, where, name="tensor"):
    from ember.autograd.tensor import Tensor
    if not isinstance(tensor, Tensor):
        raise TypeError(f"ember.distributed.{where}: {name} must be a Tensor, got {type(tensor).__name__}")
    return tensor._data


_WIRE = {}


def _wire_dtype(dtype):
    """The dtype a tensor travels as: half precisions widen to float32, bool to uint8."""
    wire = _WIRE.get(dtype)
    if wire is None:
        if dtype == np.float16 or dtype.name == "bfloat16":
            wire = np.dtype(np.float32)
        elif dtype == np.bool_:
            wire = np.dtype(np.uint8)
        else:
            wire = dtype
        _WIRE[dtype] = wire
    return wire


def _staged(arr):
    """A contiguous array MPI can work in: ``arr`` itself when possible, else a copy (copied back later)."""
    wire = _wire_dtype(arr.dtype)
    if wire == arr.dtype and arr.flags.c_contiguous and arr.flags.writeable:
        return arr, False
    return np.ascontiguousarray(arr, dtype=wire), True


def _write(tensor, values):
    """Put ``values`` into ``tensor`` in place (casting back to its dtype) and bump its version."""
    arr = tensor._data
    if values is not arr:
        if arr.flags.writeable:
            arr[...] = values.reshape(arr.shape).astype(arr.dtype, copy=False)
        else:
            tensor._data = values.reshape(arr.shape).astype(arr.dtype)
    tensor._bump()


def _mpi_op(op, dtype, where):
    MPI = _mpi()
    op = as_reduce_op(op, where)
    kind = dtype.kind
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and kind not in "iub":
        raise ValueError(f"ember.distributed.{where}: {op.name} needs an integer or bool tensor, got {dtype}")
    if op in (ReduceOp.PREMUL_SUM, ReduceOp.UNUSED):
        raise ValueError(f"ember.distributed.{where}: ReduceOp.{op.name} is not supported (use SUM, AVG, PRODUCT, "
                         f"MIN, MAX, BAND, BOR or BXOR)")
    if kind == "b":
        if op == ReduceOp.AVG:
            raise ValueError(f"ember.distributed.{where}: ReduceOp.AVG is undefined for bool tensors")
        # on 0/1 bytes: sum and max are "or", product and min are "and"
        return {ReduceOp.SUM: MPI.MAX, ReduceOp.MAX: MPI.MAX, ReduceOp.BOR: MPI.MAX, ReduceOp.PRODUCT: MPI.MIN,
                ReduceOp.MIN: MPI.MIN, ReduceOp.BAND: MPI.MIN, ReduceOp.BXOR: MPI.BXOR}[op]
    if kind == "c" and op in (ReduceOp.MIN, ReduceOp.MAX):
        raise ValueError(f"ember.distributed.{where}: {op.name} is undefined for complex tensors")
    if not _OPS:
        _OPS.update({ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN,
                     ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND, ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR})
    return _OPS[op]


_OPS = {}


def _average(buf, n, op):
    if as_reduce_op(op, "all_reduce") == ReduceOp.AVG:
        if buf.dtype.kind in "fc":
            buf /= n
        else:
            np.copyto(buf, np.trunc(buf / n).astype(buf.dtype))


def _root(pg, global_rank, group_rank, where, name):
    if group_rank is not None:
        if not 0 <= group_rank < pg.size():
            raise ValueError(f"ember.distributed.{where}: group_{name} {group_rank} is outside [0, {pg.size()})")
        return group_rank
    global_rank = 0 if global_rank is None else int(global_rank)
    if global_rank not in pg.ranks:
        raise ValueError(f"ember.distributed.{where}: {name} rank {global_rank} is not part of the group {pg.ranks}")
    return pg.ranks.index(global_rank)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` over all ranks with ``op``; every rank gets the result in ``tensor``."""
    pg = resolve_group(group)
    if pg is None:
        return None
    arr = _array(tensor, "all_reduce")
    buf, copied = _staged(arr)
    mpi_op = _mpi_op(op, arr.dtype, "all_reduce")
    request = pg.comm.Iallreduce(_mpi().IN_PLACE, buf, mpi_op)

    def finish():
        _average(buf, pg.size(), op)
        _write(tensor, buf)
        return [tensor]           # Work.result() and get_future().value(), as PyTorch's
    return _done(Work(request, pg, "all_reduce", finish), async_op)


def _deprecated(name):
    warnings.warn(f"`torch.distributed.{name}` will be deprecated. If you must use it, please revisit our "
                  f"documentation later at https://pytorch.org/docs/main/distributed.html#collective-functions",
                  FutureWarning, stacklevel=3)


def _same_dtype(tensors):
    first = tensors[0].dtype if tensors else None
    for t in tensors[1:]:
        if t.dtype != first:
            raise ValueError(f"Invalid usage of tensors with different dtypesFound {first} and  {t.dtype}")


def all_reduce_coalesced(tensors, op=ReduceOp.SUM, group=None, async_op=False):
    """:func:`all_reduce` of every tensor of ``tensors`` (one dtype) as one message (deprecated in PyTorch)."""
    _deprecated("all_reduce_coalesced")
    from ember.autograd.tensor import Tensor
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    arrays = [_array(t, "all_reduce_coalesced", "tensors") for t in tensors]
    _same_dtype(tensors)
    pg = resolve_group(group)
    if pg is None:
        return None
    if not arrays:
        return _done(Work(None, pg, "all_reduce_coalesced"), async_op)
    mpi_op = _mpi_op(op, arrays[0].dtype, "all_reduce_coalesced")
    flat = np.concatenate([a.reshape(-1).astype(_wire_dtype(a.dtype)) for a in arrays])
    request = pg.comm.Iallreduce(_mpi().IN_PLACE, flat, mpi_op)

    def finish():
        _average(flat, pg.size(), op)
        at = 0
        for t, a in zip(tensors, arrays):
            _write(t, flat[at:at + a.size])
            at += a.size
    return _done(Work(request, pg, "all_reduce_coalesced", finish), async_op)


def all_gather_coalesced(output_tensor_lists, input_tensor_list, group=None, async_op=False):
    """``output_tensor_lists[r][i]`` gets rank ``r``'s ``input_tensor_list[i]``, on every rank, as one message
    (deprecated in PyTorch)."""
    _deprecated("all_gather_coalesced")
    arrays = [_array(t, "all_gather_coalesced", "input_tensor_list") for t in input_tensor_list]
    _same_dtype(list(input_tensor_list))
    pg = resolve_group(group)
    if pg is None:
        return None
    if len(output_tensor_lists) != pg.size():
        raise ValueError(f"ember.distributed.all_gather_coalesced: output_tensor_lists must hold one list per rank "
                         f"({pg.size()}), got {len(output_tensor_lists)}")
    for outs in output_tensor_lists:
        if [tuple(o.shape) for o in outs] != [a.shape for a in arrays]:
            raise ValueError("ember.distributed.all_gather_coalesced: each list of output_tensor_lists must match "
                             "input_tensor_list's shapes, got " + str([tuple(o.shape) for o in outs]))
    wire = np.result_type(*[_wire_dtype(a.dtype) for a in arrays]) if arrays else np.dtype(np.float32)
    send = np.concatenate([a.reshape(-1).astype(wire) for a in arrays]) if arrays else np.empty(0, wire)
    out = np.empty((pg.size(), send.size), wire)
    request = pg.comm.Iallgather(send, out)

    def finish():
        for outs, row in zip(output_tensor_lists, out):
            at = 0
            for t, a in zip(outs, arrays):
                _write(t, row[at:at + a.size])
                at += a.size
    return _done(Work(request, pg, "all_gather_coalesced", finish), async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank."""
    pg = resolve_group(group)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "broadcast", "src")
    buf, _ = _staged(_array(tensor, "broadcast"))
    request = pg.comm.Ibcast(buf, root=root)
    return _done(Work(request, pg, "broadcast", lambda: _write(tensor, buf)), async_op)


def _check_list(tensors, like, n, where, name):
    if not isinstance(tensors, (list, tuple)) or len(tensors) != n:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise ValueError(f"ember.distributed.{where}: {name} must be a list of one tensor per rank ({n}), got {got}")
    for i, t in enumerate(tensors):
        a = _array(t, where, f"{name}[{i}]")
        if a.shape != like.shape:
            raise ValueError(f"ember.distributed.{where}: {name}[{i}] has shape {tuple(a.shape)}, expected "
                             f"{tuple(like.shape)} (the shape of the local tensor)")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[i]`` gets rank ``i``'s ``tensor``, on every rank."""
    pg = resolve_group(group)
    if pg is None:
        return None
    arr = _array(tensor, "all_gather")
    _check_list(tensor_list, arr, pg.size(), "all_gather", "tensor_list")
    send = np.ascontiguousarray(arr, dtype=_wire_dtype(arr.dtype))
    out = np.empty((pg.size(),) + arr.shape, send.dtype)
    request = pg.comm.Iallgather(send, out)

    def finish():
        for t, part in zip(tensor_list, out):
            _write(t, part)
    return _done(Work(request, pg, "all_gather", finish), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor``, concatenated (or stacked) in rank order into ``output_tensor``."""
    pg = resolve_group(group)
    if pg is None:
        return None
    arr = _array(input_tensor, "all_gather_into_tensor", "input_tensor")
    out_arr = _array(output_tensor, "all_gather_into_tensor", "output_tensor")
    if out_arr.size != arr.size * pg.size():
        raise ValueError(f"ember.distributed.all_gather_into_tensor: output_tensor must hold world_size "
                         f"({pg.size()}) x input_tensor ({tuple(arr.shape)}), got shape {tuple(out_arr.shape)}")
    send = np.ascontiguousarray(arr, dtype=_wire_dtype(arr.dtype))
    out = np.empty(out_arr.size, send.dtype)
    request = pg.comm.Iallgather(send, out)
    return _done(Work(request, pg, "all_gather_into_tensor", lambda: _write(output_tensor, out)), async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input_list[i]`` over all ranks with ``op`` into ``output`` of rank ``i``."""
    pg = resolve_group(group)
    if pg is None:
        return None
    out_arr = _array(output, "reduce_scatter", "output")
    _check_list(input_list, out_arr, pg.size(), "reduce_scatter", "input_list")
    wire = _wire_dtype(out_arr.dtype)
    send = np.ascontiguousarray(np.stack([t._data for t in input_list]), dtype=wire)
    return _reduce_scatter_block(output, send, op, pg, "reduce_scatter", async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input`` (world_size chunks of ``output``'s size, in rank order) over all ranks with
    ``op``; rank ``i`` gets chunk ``i`` in ``output``."""
    pg = resolve_group(group)
    if pg is None:
        return None
    out_arr = _array(output, "reduce_scatter_tensor", "output")
    in_arr = _array(input, "reduce_scatter_tensor", "input")
    if in_arr.size != out_arr.size * pg.size():
        raise ValueError(f"ember.distributed.reduce_scatter_tensor: input must hold world_size ({pg.size()}) x "
                         f"output ({tuple(out_arr.shape)}), got shape {tuple(in_arr.shape)}")
    send = np.ascontiguousarray(in_arr, dtype=_wire_dtype(in_arr.dtype))
    return _reduce_scatter_block(output, send, op, pg, "reduce_scatter_tensor", async_op)


def _reduce_scatter_block(output, send, op, pg, where, async_op):
    out = np.empty(send.size // pg.size(), send.dtype)
    request = pg.comm.Ireduce_scatter_block(send, out, _mpi_op(op, output._data.dtype, where))

    def finish():
        _average(out, pg.size(), op)
        _write(output, out)
    return _done(Work(request, pg, where, finish), async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` over all ranks with ``op`` into ``tensor`` of rank ``dst`` (others keep theirs)."""
    pg = resolve_group(group)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "reduce", "dst")
    arr = _array(tensor, "reduce")
    mpi_op = _mpi_op(op, arr.dtype, "reduce")
    send = np.ascontiguousarray(arr, dtype=_wire_dtype(arr.dtype))
    out = np.empty_like(send) if pg.rank() == root else None
    request = pg.comm.Ireduce(send, out, mpi_op, root=root)

    def finish():
        if out is not None:
            _average(out, pg.size(), op)
            _write(tensor, out)
    return _done(Work(request, pg, "reduce", finish), async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """On rank ``dst``, ``gather_list[i]`` gets rank ``i``'s ``tensor`` (other ranks pass no list)."""
    pg = resolve_group(group)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "gather", "dst")
    arr = _array(tensor, "gather")
    send = np.ascontiguousarray(arr, dtype=_wire_dtype(arr.dtype))
    out = None
    if pg.rank() == root:
        _check_list(gather_list, arr, pg.size(), "gather", "gather_list")
        out = np.empty((pg.size(),) + arr.shape, send.dtype)
    elif gather_list:
        raise ValueError("ember.distributed.gather: gather_list should be given on the destination rank only")
    request = pg.comm.Igather(send, out, root=root)

    def finish():
        if out is not None:
            for t, part in zip(gather_list, out):
                _write(t, part)
    return _done(Work(request, pg, "gather", finish), async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank ``i`` gets ``scatter_list[i]`` of rank ``src`` in ``tensor``."""
    pg = resolve_group(group)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "scatter", "src")
    arr = _array(tensor, "scatter")
    wire = _wire_dtype(arr.dtype)
    send = None
    if pg.rank() == root:
        _check_list(scatter_list, arr, pg.size(), "scatter", "scatter_list")
        send = np.ascontiguousarray(np.stack([t._data for t in scatter_list]), dtype=wire)
    elif scatter_list:
        raise ValueError("ember.distributed.scatter: scatter_list should be given on the source rank only")
    out = np.empty(arr.shape, wire)
    request = pg.comm.Iscatter(send, out, root=root)
    return _done(Work(request, pg, "scatter", lambda: _write(tensor, out)), async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Rank ``j`` sends ``input_tensor_list[i]`` to rank ``i``, which gets it in ``output_tensor_list[j]``
    (all tensors of one shape)."""
    pg = resolve_group(group)
    if pg is None:
        return None
    first = _array(input_tensor_list[0], "all_to_all", "input_tensor_list[0]")
    _check_list(input_tensor_list, first, pg.size(), "all_to_all", "input_tensor_list")
    _check_list(output_tensor_list, first, pg.size(), "all_to_all", "output_tensor_list")
    send = np.ascontiguousarray(np.stack([t._data for t in input_tensor_list]), dtype=_wire_dtype(first.dtype))
    out = np.empty_like(send)
    request = pg.comm.Ialltoall(send, out)

    def finish():
        for t, part in zip(output_tensor_list, out):
            _write(t, part)
    return _done(Work(request, pg, "all_to_all", finish), async_op)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op=False):
    """``input`` split along dim 0 into world_size equal chunks, chunk ``i`` sent to rank ``i``; ``output``
    gets the chunks received, in rank order (only equal splits are supported)."""
    pg = resolve_group(group)
    if pg is None:
        return None
    if output_split_sizes is not None or input_split_sizes is not None:
        raise NotImplementedError("ember.distributed.all_to_all_single: uneven split sizes are not supported; "
                                  "pass output_split_sizes=None and input_split_sizes=None")
    in_arr = _array(input, "all_to_all_single", "input")
    out_arr = _array(output, "all_to_all_single", "output")
    if in_arr.shape[0] % pg.size() or in_arr.shape != out_arr.shape:
        raise ValueError(f"ember.distributed.all_to_all_single: input and output must have one shape whose dim 0 "
                         f"divides by world_size ({pg.size()}); got {tuple(in_arr.shape)} and {tuple(out_arr.shape)}")
    send = np.ascontiguousarray(in_arr, dtype=_wire_dtype(in_arr.dtype))
    out = np.empty_like(send)
    request = pg.comm.Ialltoall(send, out)
    return _done(Work(request, pg, "all_to_all_single", lambda: _write(output, out)), async_op)


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group has reached its ``barrier``."""
    pg = resolve_group(group)
    if pg is None:
        return None
    return _done(Work(pg.comm.Ibarrier(), pg, "barrier"), async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    """A barrier (every collective here is already watched by the group's timeout)."""
    barrier(group)


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst``; returns a Work."""
    pg = resolve_group(group)
    root = _root(pg, dst, group_dst, "isend", "dst")
    arr = _array(tensor, "isend")
    send = np.ascontiguousarray(arr, dtype=_wire_dtype(arr.dtype))
    work = Work(pg.comm.Isend(send, dest=root, tag=tag), pg, "isend")
    work._buffer = send      # MPI reads it until the send completes, after the caller may have dropped the tensor
    return work


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns a Work."""
    pg = resolve_group(group)
    MPI = _mpi()
    source = MPI.ANY_SOURCE if src is None and group_src is None else _root(pg, src, group_src, "irecv", "src")
    buf = np.empty(_array(tensor, "irecv").shape, _wire_dtype(tensor._data.dtype))
    return Work(pg.comm.Irecv(buf, source=source, tag=tag), pg, "irecv", lambda: _write(tensor, buf))


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    isend(tensor, dst, group, tag, group_dst).wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor``; returns the sender's global rank."""
    pg = resolve_group(group)
    MPI = _mpi()
    source = MPI.ANY_SOURCE if src is None and group_src is None else _root(pg, src, group_src, "recv", "src")
    buf = np.empty(_array(tensor, "recv").shape, _wire_dtype(tensor._data.dtype))
    status = MPI.Status()
    request = pg.comm.Irecv(buf, source=source, tag=tag)
    wait(request, pg, "recv", status)
    _write(tensor, buf)
    return pg.ranks[status.Get_source()]


class P2POp:
    """One point-to-point operation for :func:`batch_isend_irecv`: ``op`` is :func:`isend` or :func:`irecv`,
    ``peer`` the global rank at the other end (or ``group_peer``, its rank within ``group``)."""

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type ``ember.distributed.isend`` or "
                             f"``ember.distributed.irecv``, got {op!r}")
        _array(tensor, "P2POp")
        self.op, self.tensor, self.peer, self.group = op, tensor, peer, group
        self.tag, self.group_peer = tag, group_peer

    def __repr__(self):
        peer = self.peer if self.group_peer is None else f"group_peer={self.group_peer}"
        return f"P2POp({self.op.__name__}, peer={peer}, shape={tuple(self.tensor.shape)}, tag={self.tag})"


def batch_isend_irecv(p2p_op_list):
    """Start every operation of ``p2p_op_list`` (a list of :class:`P2POp` on one group); a list of their Works.

    Sends leave at once (a send never waits for its receive to be posted), so any order of sends and
    receives between two ranks completes once every receive has its matching send.
    """
    if not isinstance(p2p_op_list, list) or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``ember.distributed.P2POp``.")
    if p2p_op_list and not all(p.group is p2p_op_list[0].group for p in p2p_op_list):
        raise ValueError("All ops need to use the same group.")
    works = []
    for p in p2p_op_list:
        if p.op is isend:
            works.append(isend(p.tensor, p.peer, p.group, p.tag, group_dst=p.group_peer))
        else:
            works.append(irecv(p.tensor, p.peer, p.group, p.tag, group_src=p.group_peer))
    return works
