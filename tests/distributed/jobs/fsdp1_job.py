"""PyTorch's FSDP1 wrapper, written for torch (torchrun's environment, 2 ranks, device_id=cpu): a size-based
auto-wrap policy over a small MLP, three steps of Adam with FSDP.clip_grad_norm_; flat parameter shapes, full
state dicts (rank0_only too), the optimizer state as whole tensors and loaded back into a fresh wrapped model
that then trains exactly as the original; use_orig_params shapes; summon_full_params with writeback; a backward
under no_sync then one with sync. Rank 0 writes every rank's record."""
import functools
import json
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.distributed.fsdp import FullStateDictConfig, StateDictType
from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
from torch.distributed.fsdp.wrap import size_based_auto_wrap_policy

init_path, out = sys.argv[1], sys.argv[2]
dist.init_process_group("gloo")
rank = dist.get_rank()
init = np.load(init_path)
cpu = torch.device("cpu")
policy = functools.partial(size_based_auto_wrap_policy, min_num_params=20)
rec = {}


def build(scale=1.0, **kw):
    m = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    m.load_state_dict({k: torch.tensor(init[k] * scale) for k in init.files})
    return FSDP(m, device_id=cpu, auto_wrap_policy=policy, **kw)


def step(f, opt, x, clip=True):
    opt.zero_grad()
    loss = f(x).pow(2).mean()
    loss.backward()
    norm = float(f.clip_grad_norm_(0.5)) if clip else None
    opt.step()
    return [float(loss.detach()), norm]


rng = np.random.default_rng(20 + rank)
xs = [torch.tensor(rng.standard_normal((4, 5)).astype(np.float32)) for _ in range(8)]
f = build()
rec["repr"] = repr(f)
rec["params"] = [[n, list(p.shape)] for n, p in f.named_parameters()]
opt = torch.optim.Adam(f.parameters(), lr=0.05)
rec["losses"] = [step(f, opt, xs[i]) for i in range(3)]
with FSDP.state_dict_type(f, StateDictType.FULL_STATE_DICT, FullStateDictConfig(rank0_only=True)):
    rec["rank0_only_keys"] = list(f.state_dict().keys())
sd = f.state_dict()
rec["state_dict"] = {k: v.tolist() for k, v in sd.items()}
osd = FSDP.optim_state_dict(f, opt)
rec["optim"] = {k: {s: (t.tolist() if isinstance(t, torch.Tensor) else t) for s, t in st.items()}
                for k, st in osd["state"].items()}
rec["optim_params"] = osd["param_groups"][0]["params"]
f2 = build(scale=0.5)
f2.load_state_dict(sd)
opt2 = torch.optim.Adam(f2.parameters(), lr=0.05)
opt2.load_state_dict(FSDP.optim_state_dict_to_load(f2, opt2, osd))
rec["resumed"] = [step(f, opt, xs[5]), step(f2, opt2, xs[5])]
with FSDP.summon_full_params(f):
    rec["summon_shapes"] = [list(p.shape) for p in f.parameters()]
    with torch.no_grad():
        f.module[0].module.bias.add_(1.0)
rec["after_writeback"] = f.state_dict()["0.bias"].tolist()
g = FSDP(nn.Linear(4, 2), device_id=cpu, use_orig_params=True)
rec["orig_params"] = [[n, list(p.shape)] for n, p in g.named_parameters()]
# gradient accumulation: a backward under no_sync, then one with sync (torch's state_dict() fails right after
# this sequence, so the record is a forward's output)
opt.zero_grad()
with f.no_sync():
    f(xs[3]).pow(2).mean().backward()
f(xs[4]).pow(2).mean().backward()
opt.step()
with torch.no_grad():
    rec["accumulated"] = f(xs[6]).tolist()
gathered = [None, None] if rank == 0 else None
dist.gather_object(rec, gathered, dst=0)
if rank == 0:
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
