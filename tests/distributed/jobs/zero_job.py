"""ZeroRedundancyOptimizer (Adam) under DistributedDataParallel, written for torch and started with torchrun's
environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT): each rank trains on its own rows from NumPy, a
StepLR changes the learning rate midway; rank 0 writes the final weights and the consolidated optimizer state.

    python zero_job.py INIT OUT                      (real torch)
    python -m ember.torch_compat zero_job.py INIT OUT  (ember)
"""
import json
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.distributed.optim import ZeroRedundancyOptimizer
from torch.nn.parallel import DistributedDataParallel as DDP

init_path, out = sys.argv[1], sys.argv[2]
dist.init_process_group("gloo")
rank = dist.get_rank()
model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 2))
init = np.load(init_path)
model.load_state_dict({k: torch.tensor(init[k]) for k in init.files})
ddp = DDP(model)
opt = ZeroRedundancyOptimizer(ddp.parameters(), optimizer_class=torch.optim.Adam, lr=0.02, weight_decay=0.01)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
rng = np.random.default_rng(7 + rank)
losses = []
for step in range(6):
    x = torch.tensor(rng.standard_normal((12, 6)).astype(np.float32))
    y = torch.tensor(rng.standard_normal((12, 2)).astype(np.float32))
    opt.zero_grad()
    loss = nn.functional.mse_loss(ddp(x), y)
    loss.backward()
    opt.step()
    sched.step()
    losses.append(loss.item())
owned = sum(len(g["params"]) for g in opt.optim.param_groups)
opt.consolidate_state_dict(to=0)
if rank == 0:
    sd = opt.state_dict()
    arrays = {f"param.{k}": v.detach().numpy() for k, v in model.state_dict().items()}
    for i, st in sd["state"].items():
        for key, value in st.items():
            arrays[f"state.{i}.{key}"] = np.asarray(value.detach().numpy() if torch.is_tensor(value) else value)
    np.savez(out, **arrays)
    groups = [{k: v for k, v in g.items() if k != "params"} | {"params": g["params"]} for g in sd["param_groups"]]
    with open(out + ".json", "w") as f:
        json.dump({"losses": losses, "lr": groups[0]["lr"], "params": groups[0]["params"]}, f)
with open(f"{out}.owned{rank}", "w") as f:
    f.write(str(owned))
dist.barrier()   # torch's gloo aborts a rank whose peer tears down first
dist.destroy_process_group()
# torch's gloo worker threads can abort the interpreter's teardown ("terminate called without an active
# exception", pytorch/pytorch#179291, seen in CI): the record is written and the group destroyed, so leave
# without the teardown.
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
