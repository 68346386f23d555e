"""Collectives on Python objects: ``all_gather_object``, ``broadcast_object_list``, ``gather_object``,
``scatter_object_list``, and point to point: ``send_object_list`` / ``recv_object_list``.

PyTorch pickles the objects; ember sends them as JSON (UTF-8 bytes, their lengths first), so
nothing a peer sends is ever unpickled. Objects must be JSON data: dicts with string keys,
lists, strings, numbers, booleans and None (tuples arrive as lists); anything else raises a
``TypeError`` naming the function and the type.

Example (on every rank)::

    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, {"rank": dist.get_rank()})
"""
import json

import numpy as np

from .process_group import resolve_group, wait

__all__ = ["all_gather_object", "broadcast_object_list", "gather_object", "scatter_object_list", "send_object_list",
           "recv_object_list"]


def _encode(obj, where):
    try:
        return np.frombuffer(json.dumps(obj, allow_nan=True).encode("utf-8"), np.uint8)
    except (TypeError, ValueError) as e:
        raise TypeError(f"ember.distributed.{where}: objects are sent as JSON (dicts, lists, str, int, float, "
                        f"bool, None), got {type(obj).__name__}: {e}") from None


def _decode(buf):
    return json.loads(bytes(buf).decode("utf-8"))


def _gatherv(pg, payload, root, where):
    """Bytes of every rank, to every rank (``root`` None) or to ``root`` only (others get None)."""
    n = pg.size()
    sizes = np.zeros(n, np.int64)
    wait(pg.comm.Iallgather(np.array([payload.size], np.int64), sizes), pg, where)
    out = np.empty(int(sizes.sum()), np.uint8)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    spec = [out, (sizes.tolist(), offsets.tolist())]
    if root is None:
        wait(pg.comm.Iallgatherv(payload, spec), pg, where)
    else:
        wait(pg.comm.Igatherv(payload, spec if pg.rank() == root else None, root=root), pg, where)
        if pg.rank() != root:
            return None
    return [out[o:o + s] for o, s in zip(offsets, sizes)]


def allgather_json(pg, obj, where="all_gather_object"):
    """Every rank's ``obj``, in rank order (the helper behind ``all_gather_object``)."""
    return [_decode(b) for b in _gatherv(pg, _encode(obj, where), None, where)]


def _group_root(pg, global_rank, where):
    if global_rank not in pg.ranks:
        raise ValueError(f"ember.distributed.{where}: rank {global_rank} is not part of the group {pg.ranks}")
    return pg.ranks.index(global_rank)


def all_gather_object(object_list, obj, group=None):
    """Fill ``object_list`` (one slot per rank) with every rank's ``obj``."""
    pg = resolve_group(group)
    if pg is None:
        return
    if len(object_list) != pg.size():
        raise ValueError(f"ember.distributed.all_gather_object: object_list must have one slot per rank "
                         f"({pg.size()}), got {len(object_list)}")
    object_list[:] = allgather_json(pg, obj)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Replace ``object_list``'s items on every rank by those of rank ``src`` (default 0)."""
    pg = resolve_group(group)
    if pg is None:
        return
    root = group_src if group_src is not None else _group_root(pg, 0 if src is None else src,
                                                               "broadcast_object_list")
    payload = _encode(list(object_list), "broadcast_object_list") if pg.rank() == root else None
    size = np.array([payload.size if payload is not None else 0], np.int64)
    wait(pg.comm.Ibcast(size, root=root), pg, "broadcast_object_list")
    buf = payload if payload is not None else np.empty(int(size[0]), np.uint8)
    wait(pg.comm.Ibcast(buf, root=root), pg, "broadcast_object_list")
    got = _decode(buf)
    if len(got) != len(object_list):
        raise ValueError(f"ember.distributed.broadcast_object_list: rank {src} sent {len(got)} objects, this "
                         f"rank's object_list has {len(object_list)} slots")
    object_list[:] = got


def gather_object(obj, object_gather_list=None, dst=0, group=None, group_dst=None):
    """On rank ``dst``, fill ``object_gather_list`` with every rank's ``obj``."""
    pg = resolve_group(group)
    if pg is None:
        return
    root = group_dst if group_dst is not None else _group_root(pg, dst, "gather_object")
    got = _gatherv(pg, _encode(obj, "gather_object"), root, "gather_object")
    if got is not None:
        if object_gather_list is None or len(object_gather_list) != pg.size():
            raise ValueError(f"ember.distributed.gather_object: on the destination rank object_gather_list must "
                             f"have one slot per rank ({pg.size()})")
        object_gather_list[:] = [_decode(b) for b in got]


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=0, group=None,
                        group_src=None):
    """Rank ``i`` gets ``scatter_object_input_list[i]`` of rank ``src`` in ``scatter_object_output_list[0]``."""
    pg = resolve_group(group)
    if pg is None:
        return
    root = group_src if group_src is not None else _group_root(pg, src, "scatter_object_list")
    holder = [scatter_object_input_list if pg.rank() == root else None]
    if pg.rank() == root and (scatter_object_input_list is None or len(scatter_object_input_list) != pg.size()):
        raise ValueError(f"ember.distributed.scatter_object_list: the source rank must give one object per rank "
                         f"({pg.size()})")
    broadcast_object_list(holder, group=group, group_src=root)
    scatter_object_output_list[0] = holder[0][pg.rank()]


def _peer(pg, global_rank, group_rank, name):
    """The group rank of the other end, as PyTorch checks it (given once, never this rank)."""
    if group_rank is not None:
        if global_rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        peer = int(group_rank)
    else:
        if global_rank is None:
            raise ValueError("Must specify global_rank or group_rank")
        peer = _group_root(pg, int(global_rank), f"{name}_object_list")
    if peer == pg.rank():
        kind = "destination" if name == "send" else "source"
        raise ValueError(f"Invalid {kind} rank: {kind} rank should not be the same as the rank of the current "
                         f"process.")
    return peer


def send_object_list(object_list, dst=None, group=None, device=None, group_dst=None, use_batch=False):
    """Send the objects of ``object_list`` to rank ``dst`` (a global rank; ``group_dst`` within ``group``), whose
    :func:`recv_object_list` must have as many slots."""
    pg = resolve_group(group)
    peer = _peer(pg, dst, group_dst, "send") if pg is not None else None
    if pg is None:
        return
    payloads = [_encode(obj, "send_object_list") for obj in object_list]
    sizes = np.array([p.size for p in payloads], np.int64)
    data = np.concatenate(payloads) if payloads else np.empty(0, np.uint8)
    wait(pg.comm.Isend(sizes, dest=peer, tag=0), pg, "send_object_list")
    wait(pg.comm.Isend(data, dest=peer, tag=0), pg, "send_object_list")


def recv_object_list(object_list, src=None, group=None, device=None, group_src=None, use_batch=False):
    """Fill ``object_list`` with the objects rank ``src`` sent with :func:`send_object_list`; returns the
    sender's global rank (-1 on a rank outside ``group``)."""
    pg = resolve_group(group)
    peer = _peer(pg, src, group_src, "recv") if pg is not None else None
    if pg is None:
        return -1
    sizes = np.empty(len(object_list), np.int64)
    wait(pg.comm.Irecv(sizes, source=peer, tag=0), pg, "recv_object_list")
    data = np.empty(int(sizes.sum()), np.uint8)
    wait(pg.comm.Irecv(data, source=peer, tag=0), pg, "recv_object_list")
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    object_list[:] = [_decode(data[lo:hi]) for lo, hi in zip(offsets[:-1], offsets[1:])]
    return pg.ranks[peer]
