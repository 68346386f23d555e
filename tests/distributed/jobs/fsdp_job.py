"""FSDP2 (fully_shard), DTensor and distributed checkpoints, written for torch (torchrun's environment, 2 ranks).

From the same weights and rows: three steps of Adam with clip_grad_norm_ on a model whose two Linear layers
and root are each fully_shard-ed; a step with gradient accumulation (set_requires_gradient_sync); the state
dicts (sharded and full, model and optimizer); a distributed checkpoint saved, then loaded into a model of
other weights, which must then train exactly as the original; DTensor layout operations. Rank 0 writes all.
"""
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
import torch.nn as nn
from torch.distributed.checkpoint.state_dict import (StateDictOptions, get_model_state_dict, get_optimizer_state_dict,
                                                     get_state_dict, set_model_state_dict, set_state_dict)
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import FSDPModule, fully_shard
from torch.distributed.tensor import DTensor, Replicate, Shard, distribute_tensor

init_path, ckpt_dir, out = sys.argv[1], sys.argv[2], sys.argv[3]
dist.init_process_group("gloo")
rank = dist.get_rank()
init = np.load(init_path)
mesh = init_device_mesh("cpu", (2,))
rec = {}


def build(scale=1.0):
    m = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    m.load_state_dict({k: torch.tensor(init[k] * scale) for k in init.files})
    fully_shard(m[0], mesh=mesh)
    fully_shard(m[2], mesh=mesh)
    fully_shard(m, mesh=mesh)
    return m


def rows(seed):
    rng = np.random.default_rng(seed)
    return [torch.tensor(rng.standard_normal((4, 5)).astype(np.float32)) for _ in range(8)]


def step(m, opt, x, accumulate=None):
    opt.zero_grad()
    if accumulate is not None:
        m.set_requires_gradient_sync(False)
        m(accumulate).pow(2).mean().backward()
        m.set_requires_gradient_sync(True)
    loss = m(x).pow(2).mean()
    loss.backward()
    norm = nn.utils.clip_grad_norm_(m.parameters(), 0.5)
    opt.step()
    return float(loss.detach()), float(norm.full_tensor() if isinstance(norm, DTensor) else norm)


m = build()
rec["types"] = [type(m).__name__, type(m[0]).__name__, isinstance(m, FSDPModule), type(m[0].weight).__name__,
                isinstance(m[0].weight, nn.Parameter)]
rec["local_shapes"] = {k: list(v.to_local().shape) for k, v in m.state_dict().items()}
rec["global_shapes"] = {k: list(v.shape) for k, v in m.state_dict().items()}
rec["placements"] = repr(m[2].weight.placements)
opt = torch.optim.Adam(m.parameters(), lr=0.05)
xs = rows(10 + rank)
rec["losses"] = [step(m, opt, xs[i]) for i in range(3)]
rec["accumulated"] = step(m, opt, xs[3], accumulate=xs[4])
full = get_model_state_dict(m, options=StateDictOptions(full_state_dict=True))
rec["full"] = {k: v.tolist() for k, v in full.items()}
ofull = get_optimizer_state_dict(m, opt, options=StateDictOptions(full_state_dict=True))
rec["optim_full"] = {k: {s: (t.tolist() if isinstance(t, torch.Tensor) else t) for s, t in st.items()}
                     for k, st in ofull["state"].items()}
rec["optim_params"] = ofull["param_groups"][0]["params"]
# a distributed checkpoint of the sharded state, loaded into a model of other weights
model_sd, optim_sd = get_state_dict(m, opt)
rec["sharded_types"] = sorted({type(v).__name__ for v in model_sd.values()})
dcp.save({"model": model_sd, "optim": optim_sd, "epoch": 3}, checkpoint_id=ckpt_dir)
m2 = build(scale=0.5)
opt2 = torch.optim.Adam(m2.parameters(), lr=0.05)
sd2, osd2 = get_state_dict(m2, opt2)
state = {"model": sd2, "optim": osd2, "epoch": 0}
dcp.load(state, checkpoint_id=ckpt_dir)
set_state_dict(m2, opt2, model_state_dict=state["model"], optim_state_dict=state["optim"])
rec["epoch"] = state["epoch"]
rec["resumed"] = [step(m, opt, xs[5]), step(m2, opt2, xs[5])]
rec["resumed_weights_equal"] = bool(all(torch.equal(a.full_tensor(), b.full_tensor())
                                        for a, b in zip(m.parameters(), m2.parameters())))
# whole weights into a sharded model
m3 = build(scale=2.0)
set_model_state_dict(m3, {k: torch.tensor(np.asarray(v, np.float32)) for k, v in rec["full"].items()},
                     options=StateDictOptions(full_state_dict=True))
rec["set_full"] = {k: v.full_tensor().tolist() for k, v in m3.state_dict().items()}
# DTensor layouts
d = distribute_tensor(torch.arange(10.0).view(5, 2), mesh, [Shard(0)])
rec["dt_local"] = d.to_local().tolist()
rec["dt_full"] = d.full_tensor().tolist()
r = d.redistribute(mesh, [Replicate()])
rec["dt_replicate"] = [repr(r.placements), r.to_local().tolist()]
s1 = d.redistribute(mesh, [Shard(1)])
rec["dt_shard1"] = s1.to_local().tolist()
f = DTensor.from_local(torch.ones(2, 3) * (rank + 1), mesh, [Shard(0)])
rec["from_local"] = [list(f.shape), f.full_tensor().tolist()]
rec["sum"] = [repr(d.sum().placements), float(d.sum().full_tensor())]
rec["mesh"] = [repr(mesh), mesh.size(), mesh.get_local_rank()]
gathered = [None, None] if rank == 0 else None
dist.gather_object(rec, gathered, dst=0)
if rank == 0:
    import json
    with open(out, "w") as fh:
        json.dump(gathered, fh)
dist.barrier()
dist.destroy_process_group()
# torch's gloo worker threads can still hold tensors when the interpreter finalizes and abort it
# ("terminate called without an active exception", pytorch/pytorch#179291, seen in CI): the record is
# written and the group destroyed, so leave without the interpreter's teardown.
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
