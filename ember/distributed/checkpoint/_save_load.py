"""``save`` and ``load``: a state dict written by every rank at once, each rank its own pieces.

A checkpoint is a directory:

- ``__<rank>_0.safetensors`` per rank: the pieces that rank holds. A DTensor contributes its local
  piece (named ``<fqn>@<offsets>``); a plain tensor is written once, by rank 0 (it is the same on
  every rank, as for PyTorch's deduplication of replicated items);
- ``.metadata.json``, written by rank 0 last (so a directory without it is an unfinished save): for
  each fully qualified name (nested keys joined by ``.``) either a tensor's dtype, global size and
  the chunks (file, key, offsets, sizes) that cover it, or a plain value (numbers, strings, lists,
  dicts: JSON).

``load`` fills the given state dict in place: each tensor (or DTensor piece) is copied from the
saved chunks that overlap it, so a checkpoint saved on N ranks loads on M ranks, sharded or whole;
plain values are replaced. Objects with ``state_dict()``/``load_state_dict()`` (``Stateful``: a model,
an optimizer, a class of yours) are saved through ``state_dict()`` and restored with
``load_state_dict()``. Nothing is unpickled: PyTorch's ``.distcp``/``.metadata`` files (pickles) are not
read; ember's checkpoints are safetensors and JSON.

Example (every rank)::

    import ember.distributed.checkpoint as dcp
    dcp.save({"model": model.state_dict(), "step": 10}, checkpoint_id="ckpt/10")
    state = {"model": model.state_dict(), "step": 0}
    dcp.load(state, checkpoint_id="ckpt/10")       # model's tensors refilled in place; state["step"] == 10
"""
import json
import os
from concurrent.futures import Future

import numpy as np

from ember.autograd.tensor import Tensor
from ember.backend import dtypes as _dt
from ember.io.atomic import atomic_write
from ember.io.safetensors import save_file, load_file
from ember.distributed.tensor._api import _contig, DTensor, _local_slices


__all__ = ["save", "load", "async_save", "FileSystemWriter", "FileSystemReader", "Stateful", "Metadata",
           "save_state_dict", "load_state_dict"]

_METADATA = ".metadata.json"


class Stateful:
    """What ``save``/``load`` call on objects that are not tensors or plain values: ``state_dict()`` and
    ``load_state_dict(state_dict)`` (any object with both counts; subclassing is optional)."""

    def state_dict(self):
        raise NotImplementedError

    def load_state_dict(self, state_dict):
        raise NotImplementedError


def _is_stateful(v):
    return not isinstance(v, Tensor) and callable(getattr(v, "state_dict", None)) and \
        callable(getattr(v, "load_state_dict", None))


class FileSystemWriter:
    """Where ``save`` writes: the directory ``path`` (made if missing)."""

    def __init__(self, path, single_file_per_rank=True, sync_files=True, thread_count=1,
                 per_thread_copy_ahead=10_000_000, cache_staged_state_dict=False, overwrite=True, **_):
        self.path = os.fspath(path)
        self.overwrite = overwrite


class FileSystemReader:
    """Where ``load`` reads: the directory ``path``."""

    def __init__(self, path, **_):
        self.path = os.fspath(path)

    def read_metadata(self):
        return Metadata(_read_metadata(self.path))


class Metadata:
    """What a checkpoint holds: ``state_dict_metadata`` maps each name to its dtype and size (tensors) or value."""

    def __init__(self, entries):
        self.entries = entries
        self.state_dict_metadata = {k: (dict(dtype=v["dtype"], size=tuple(v["size"])) if v["kind"] == "tensor"
                                        else dict(value=v["value"])) for k, v in entries.items()}

    def __repr__(self):
        return f"Metadata({len(self.entries)} entries)"


def _flatten(sd, prefix=""):
    """``(fqn, value, container, key)`` for every leaf of a nested state dict (dicts and lists), in order."""
    items = sd.items() if isinstance(sd, dict) else enumerate(sd)
    for k, v in items:
        name = f"{prefix}{k}"
        if _is_stateful(v):
            yield from _flatten(v.state_dict(), name + ".")
        elif isinstance(v, dict) or (isinstance(v, (list, tuple)) and any(isinstance(x, (Tensor, dict, list, tuple))
                                                                       for x in v)):
            yield from _flatten(v, name + ".")
        else:
            yield name, v, sd, k


def _world(process_group, no_dist):
    from ember.distributed import process_group as pgm
    if no_dist or not pgm.is_initialized():
        return None, 0, 1
    pg = pgm.resolve_group(process_group)
    return pg, pg.rank(), pg.size()


def _json_value(name, v):
    if isinstance(v, np.generic):
        v = v.item()
    try:
        json.dumps(v)
    except (TypeError, ValueError):
        raise TypeError(f"ember.distributed.checkpoint.save: {name!r} holds a {type(v).__name__}, which a checkpoint "
                        f"cannot store (tensors, numbers, strings, bools, None and lists/dicts of them; nothing is "
                        f"pickled)") from None
    return v


def _path_of(checkpoint_id, storage, kind):
    if storage is not None:
        return storage.path
    if checkpoint_id is None:
        raise ValueError(f"ember.distributed.checkpoint.{kind}: give checkpoint_id (a directory) or a storage "
                         f"{'writer' if kind == 'save' else 'reader'}")
    return os.fspath(checkpoint_id)


def save(state_dict, *, checkpoint_id=None, storage_writer=None, planner=None, process_group=None, no_dist=False):
    """Write ``state_dict`` (every rank its own pieces) to the directory ``checkpoint_id``; a collective.
    Returns the checkpoint's :class:`Metadata`."""
    from ember.distributed.objects import gather_object, broadcast_object_list
    path = _path_of(checkpoint_id, storage_writer, "save")
    pg, rank, world = _world(process_group, no_dist)
    os.makedirs(path, exist_ok=True)
    arrays, entries = {}, {}
    fname = f"__{rank}_0.safetensors"
    for name, v, _, _ in _flatten(state_dict):
        if isinstance(v, DTensor):
            mesh, pl, shape = v._spec
            region = _local_slices(shape, mesh, pl, mesh.get_coordinate())
            offsets, sizes = [s.start for s in region], [s.stop - s.start for s in region]
            # one copy of each distinct piece: the first mesh index along replicated dimensions writes it
            replica = any(not p.is_shard() and c != 0 for p, c in zip(pl, mesh.get_coordinate()))
            entry = dict(kind="tensor", dtype=str(v.dtype).replace("ember.", ""), size=list(shape), chunks=[])
            if v._data.size and not replica:
                key = f"{name}@{','.join(map(str, offsets))}"
                arrays[key] = _contig(v._data)
                entry["chunks"].append(dict(file=fname, key=key, offsets=offsets, sizes=sizes))
            entries[name] = entry
        elif isinstance(v, Tensor):
            entry = dict(kind="tensor", dtype=str(v.dtype).replace("ember.", ""), size=list(v._data.shape),
                         chunks=[])
            if rank == 0:
                arrays[name] = _contig(v._data)
                entry["chunks"].append(dict(file=fname, key=name, offsets=[0] * v._data.ndim,
                                            sizes=list(v._data.shape)))
            entries[name] = entry
        else:
            entries[name] = dict(kind="value", value=_json_value(name, v))
    save_file(arrays, os.path.join(path, fname))
    parts = [None] * world if rank == 0 else None
    if pg is not None:
        gather_object(entries, parts, dst=pg.ranks[0], group=pg)
    else:
        parts = [entries]
    merged = None
    if rank == 0:
        merged = {}
        for part in parts:
            for name, e in part.items():
                if name not in merged:
                    merged[name] = e
                elif e["kind"] == "tensor":
                    merged[name]["chunks"].extend(e["chunks"])
        with atomic_write(os.path.join(path, _METADATA)) as f:
            f.write(json.dumps({"format": "ember.distributed.checkpoint", "version": 1, "entries": merged}).encode())
    if pg is not None:
        box = [merged]
        broadcast_object_list(box, src=pg.ranks[0], group=pg)
        merged = box[0]
    return Metadata(merged)


def async_save(state_dict, *, checkpoint_id=None, storage_writer=None, planner=None, process_group=None, **_):
    """:func:`save`, returning a completed future (ember writes before returning)."""
    fut = Future()
    fut.set_result(save(state_dict, checkpoint_id=checkpoint_id, storage_writer=storage_writer,
                        process_group=process_group))
    return fut


def _read_metadata(path):
    meta = os.path.join(path, _METADATA)
    if not os.path.exists(meta):
        raise FileNotFoundError(f"ember.distributed.checkpoint.load: {path!r} holds no {_METADATA} (not an ember "
                                f"checkpoint, or its save did not finish)")
    with open(meta, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != "ember.distributed.checkpoint":
        raise ValueError(f"ember.distributed.checkpoint.load: {meta!r} is not an ember checkpoint's metadata")
    return doc["entries"]


def _fill(target, name, entry, path, files):
    """Copy the saved chunks of ``entry`` that overlap ``target``'s piece (whole, or a DTensor's) into it."""
    if isinstance(target, DTensor):
        mesh, pl, shape = target._spec
        region = _local_slices(shape, mesh, pl, mesh.get_coordinate())
    else:
        shape = tuple(target._data.shape)
        region = tuple(slice(0, s) for s in shape)
    if list(shape) != list(entry["size"]):
        raise RuntimeError(f"ember.distributed.checkpoint.load: {name!r} has size {list(shape)} here but "
                           f"{entry['size']} in the checkpoint")
    dst = target._data
    for ch in entry["chunks"]:
        lo = [max(r.start, o) for r, o in zip(region, ch["offsets"])]
        hi = [min(r.stop, o + s) for r, o, s in zip(region, ch["offsets"], ch["sizes"])]
        if any(a >= b for a, b in zip(lo, hi)) and dst.ndim:
            continue
        if ch["file"] not in files:
            files[ch["file"]] = load_file(os.path.join(path, ch["file"]))
        src = files[ch["file"]][ch["key"]]
        s_idx = tuple(slice(a - o, b - o) for a, b, o in zip(lo, hi, ch["offsets"]))
        d_idx = tuple(slice(a - r.start, b - r.start) for a, b, r in zip(lo, hi, region))
        dst[d_idx] = src[s_idx].astype(dst.dtype, copy=False)
    target._bump()


def load(state_dict, *, checkpoint_id=None, storage_reader=None, planner=None, process_group=None, no_dist=False):
    """Fill ``state_dict`` in place from the checkpoint directory ``checkpoint_id`` (see the module docstring)."""
    path = _path_of(checkpoint_id, storage_reader, "load")
    entries = _read_metadata(path)
    files = {}
    statefuls = []

    def walk(sd, prefix):
        items = list(sd.items()) if isinstance(sd, dict) else list(enumerate(sd))
        for k, v in items:
            name = f"{prefix}{k}"
            if _is_stateful(v):
                inner = v.state_dict()
                walk(inner, name + ".")
                statefuls.append((v, inner))
            elif isinstance(v, dict) or (isinstance(v, list) and any(isinstance(x, (Tensor, dict, list))
                                                                      for x in v)):
                walk(v, name + ".")
            elif name not in entries:
                if getattr(planner, "allow_partial_load", False):
                    continue
                raise RuntimeError(f"ember.distributed.checkpoint.load: {name!r} is missing from the checkpoint "
                                   f"{path!r}")
            elif isinstance(v, Tensor):
                if entries[name]["kind"] != "tensor":
                    raise RuntimeError(f"ember.distributed.checkpoint.load: {name!r} is a tensor here but a value "
                                       f"in the checkpoint")
                _fill(v, name, entries[name], path, files)
            else:
                if entries[name]["kind"] != "value":
                    raise RuntimeError(f"ember.distributed.checkpoint.load: {name!r} is a tensor in the checkpoint; "
                                       f"give a tensor of size {entries[name]['size']} to load it into")
                sd[k] = entries[name]["value"]
    walk(state_dict, "")
    for obj, inner in statefuls:
        obj.load_state_dict(inner)


save_state_dict = save
load_state_dict = load
