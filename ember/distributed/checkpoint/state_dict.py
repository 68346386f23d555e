"""Model and optimizer state dicts that do not depend on how the model is wrapped
(``torch.distributed.checkpoint.state_dict``).

- Keys are the model's own names: the ``module.`` of DistributedDataParallel, the ``_orig_mod.`` of
  ``compile`` and ``_checkpoint_wrapped_module.`` are dropped, so a state dict saved from a wrapped
  model loads into an unwrapped one and back.
- The optimizer's state is keyed by those parameter names instead of integers
  (``{"state": {"0.weight": {...}}, "param_groups": [{..., "params": ["0.weight", ...]}]}``); its state is
  made first (one step with zero gradients, parameters unchanged) if no step has run yet, so a state
  dict to load a checkpoint into has every tensor.
- ``StateDictOptions(full_state_dict=True)``: DTensors (``fully_shard``'s parameters and their optimizer
  state) are gathered whole (a collective); with ``cpu_offload=True`` too, only rank 0 keeps them (the
  others get empty dicts). The ``set_*`` functions take whole tensors or DTensors and keep each rank's
  piece; ``broadcast_from_rank0=True`` takes the values from rank 0 (the others may pass empty dicts).

Example (every rank)::

    model_sd, optim_sd = get_state_dict(model, opt)
    dcp.save({"model": model_sd, "optim": optim_sd}, checkpoint_id=path)
    dcp.load({"model": model_sd, "optim": optim_sd}, checkpoint_id=path)
    set_state_dict(model, opt, model_state_dict=model_sd, optim_state_dict=optim_sd)
"""
from dataclasses import dataclass

import numpy as np

from ember.autograd.tensor import Tensor, make
from ember.distributed.tensor._api import _contig, DTensor, _local_slices


__all__ = ["StateDictOptions", "get_model_state_dict", "get_optimizer_state_dict", "get_state_dict",
           "set_model_state_dict", "set_optimizer_state_dict", "set_state_dict"]

_WRAPPERS = ("module.", "_orig_mod.", "_checkpoint_wrapped_module.", "_fsdp_wrapped_module.")


@dataclass
class StateDictOptions:
    full_state_dict: bool = False
    cpu_offload: bool = False
    ignore_frozen_params: bool = False
    keep_submodule_prefixes: bool = True
    strict: bool = True
    broadcast_from_rank0: bool = False
    flatten_optimizer_state_dict: bool = False
    dsd_fqn_modifiers: str = "_fqn_modifiers"


def _fqn(name):
    parts = [p for p in name.split(".") if p + "." not in _WRAPPERS]
    return ".".join(parts)


def _rank():
    from ember.distributed import process_group as pgm
    return pgm.get_rank() if pgm.is_initialized() else 0


def _full(v):
    return v.full_tensor() if isinstance(v, DTensor) else v


def _param_names(model):
    return {id(p): _fqn(n) for n, p in model.named_parameters(remove_duplicate=False)}


def _unique_params(opt):
    """The optimizer's parameters in state-dict index order (each once)."""
    seen, out = set(), []
    for g in opt.param_groups:
        for p in g["params"]:
            if id(p) not in seen:
                seen.add(id(p))
                out.append(p)
    return out


def _optimizers(optimizers):
    return list(optimizers) if isinstance(optimizers, (list, tuple)) else [optimizers]


def get_model_state_dict(model, *, submodules=None, options=None):
    """``model.state_dict()`` under the model's own names (see the module docstring)."""
    options = options or StateDictOptions()
    frozen = {_fqn(n) for n, p in model.named_parameters() if not p.requires_grad}
    out = {}
    for k, v in model.state_dict().items():
        name = _fqn(k)
        if options.ignore_frozen_params and name in frozen:
            continue
        out[name] = _full(v) if options.full_state_dict else v
    if options.full_state_dict and options.cpu_offload and _rank() != 0:
        return {}
    return out


def _init_state(model, opt):
    """Make ``opt``'s state as PyTorch does when none exists: zero gradients, one ``step()`` at learning rate 0,
    gradients dropped (the step count then reads 1). Nothing is done if the state or any gradient exists."""
    if opt.state:
        return
    params = [p for g in opt.param_groups for p in g["params"]]
    if any(p._grad is not None for p in params):
        return
    for p in params:
        if p.requires_grad:
            zeros = np.zeros_like(p._data)
            p._grad = p._with_local(zeros) if hasattr(p, "_with_local") else make(zeros)
    lrs = [g["lr"] for g in opt.param_groups if "lr" in g]
    for g in opt.param_groups:
        if "lr" in g:
            g["lr"] = 0.0
    opt.step()
    for g in opt.param_groups:
        if "lr" in g:
            g["lr"] = lrs.pop(0)
    opt.zero_grad(set_to_none=True)


def get_optimizer_state_dict(model, optimizers, *, submodules=None, options=None):
    """The optimizer(s)' state dict keyed by parameter names (see the module docstring)."""
    options = options or StateDictOptions()
    names = _param_names(model)
    state, groups = {}, []
    for opt in _optimizers(optimizers):
        _init_state(model, opt)
        sd = opt.state_dict()
        seen = _unique_params(opt)
        for idx, st in sd["state"].items():
            name = names[id(seen[idx])]
            state[name] = {k: (_full(v) if options.full_state_dict else v) for k, v in st.items()}
        for g in sd["param_groups"]:
            g = dict(g)
            g["params"] = [names[id(seen[i])] for i in g["params"]]
            groups.append(g)
    if options.full_state_dict and options.cpu_offload and _rank() != 0:
        return {}
    return {"state": state, "param_groups": groups}


def get_state_dict(model, optimizers, *, submodules=None, options=None):
    return (get_model_state_dict(model, options=options),
            get_optimizer_state_dict(model, optimizers, options=options))


def _broadcast_values(targets, values, from_rank0):
    """``values`` as every rank should use them: rank 0's, broadcast, when ``from_rank0``."""
    if not from_rank0:
        return values
    from ember.distributed.collectives import broadcast
    out = {}
    for name, target in targets.items():
        shape = tuple(target.shape)
        dtype = target._data.dtype
        arr = _contig(_full(values[name])._data, dtype=dtype) if _rank() == 0 else np.empty(shape, dtype)
        t = make(arr)
        broadcast(t, src=0)
        out[name] = t
    return out


def _assign(target, value, name):
    """Copy ``value`` (whole, or a DTensor) into ``target`` (a tensor, or this rank's piece of a DTensor)."""
    if tuple(target.shape) != tuple(value.shape):
        raise RuntimeError(f"set_state_dict: {name!r} has shape {list(target.shape)} in the model but "
                           f"{list(value.shape)} in the state dict")
    src = value
    if isinstance(value, DTensor) and (not isinstance(target, DTensor) or value._spec[:2] != target._spec[:2]):
        src = value.full_tensor()
    if isinstance(target, DTensor) and not isinstance(src, DTensor):
        mesh, pl, shape = target._spec
        piece = src._data[_local_slices(shape, mesh, pl, mesh.get_coordinate())]
    else:
        piece = src._data
    target._data[...] = piece
    target._bump()


def set_model_state_dict(model, model_state_dict, *, options=None):
    """Load ``model_state_dict`` (own names; whole tensors or DTensors) into ``model``; returns the missing and
    unexpected keys (raises on either with ``strict``)."""
    from ember.nn.module import _IncompatibleKeys
    options = options or StateDictOptions()
    own = {_fqn(k): v for k, v in model.state_dict(keep_vars=True).items()}
    given = dict(model_state_dict)
    if options.broadcast_from_rank0:
        given = _broadcast_values({k: v for k, v in own.items() if _rank() != 0 or k in given}, given, True)
    missing = [k for k in own if k not in given]
    unexpected = [k for k in given if k not in own]
    if options.strict and (missing or unexpected):
        raise RuntimeError(f"Error(s) in loading state_dict for {type(model).__name__}: missing keys {missing}, "
                           f"unexpected keys {unexpected}")
    from ember.autograd import grad_mode
    with grad_mode.no_grad():
        for k, v in given.items():
            if k in own:
                _assign(own[k], v, k)
    return _IncompatibleKeys(missing, unexpected)


def set_optimizer_state_dict(model, optimizers, optim_state_dict, *, options=None):
    """Load a name-keyed optimizer state dict (see :func:`get_optimizer_state_dict`) into the optimizer(s)."""
    options = options or StateDictOptions()
    names = _param_names(model)
    for opt in _optimizers(optimizers):
        _init_state(model, opt)
        seen = _unique_params(opt)
        by_name = {names[id(p)]: p for p in seen}
        index = {names[id(p)]: i for i, p in enumerate(seen)}
        current = opt.state_dict()
        state = {}
        for name, st in optim_state_dict["state"].items():
            if name not in index:
                continue
            p = by_name[name]
            mine = current["state"].get(index[name], {})
            new = {}
            for k, v in st.items():
                if isinstance(v, Tensor) and k in mine and isinstance(mine[k], Tensor) and mine[k]._data.ndim:
                    target = mine[k]
                    _assign(target, v, f"{name}.{k}")
                    new[k] = target
                else:
                    new[k] = v
            del p
            state[index[name]] = new
        groups = []
        saved_groups = [g for g in optim_state_dict["param_groups"] if any(n in index for n in g["params"])]
        for g, saved in zip(opt.param_groups, saved_groups):
            g2 = dict(saved)
            g2["params"] = [index[n] for n in saved["params"] if n in index]
            groups.append(g2)
        opt.load_state_dict({"state": state, "param_groups": groups})


def set_state_dict(model, optimizers, *, model_state_dict, optim_state_dict, options=None):
    keys = set_model_state_dict(model, model_state_dict, options=options)
    set_optimizer_state_dict(model, optimizers, optim_state_dict, options=options)
    return keys
