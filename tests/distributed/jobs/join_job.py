"""Uneven inputs under the Join context manager, written for torch (torchrun's environment): rank r trains on
3 + 2 r batches of its own rows; DDP's join hook shadows the collectives of the ranks still training. Cases:
plain DDP (divide by the initial world size), divide_by_initial_world_size=False, a BatchNorm model (buffers
broadcast from the highest rank still training), find_unused_parameters, and DDP with ZeroRedundancyOptimizer
as a second joinable. Each case starts from the same weights; rank 0 writes every rank's final weights."""
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.distributed.algorithms.join import Join
from torch.distributed.optim import ZeroRedundancyOptimizer
from torch.nn.parallel import DistributedDataParallel as DDP

init_path, out = sys.argv[1], sys.argv[2]
dist.init_process_group("gloo")
rank = dist.get_rank()
init = np.load(init_path)


class Net(nn.Module):
    def __init__(self, norm=False, extra=False):
        super().__init__()
        self.fc1 = nn.Linear(5, 8)
        self.norm = nn.BatchNorm1d(8) if norm else nn.Identity()
        self.fc2 = nn.Linear(8, 1)
        self.extra = nn.Linear(8, 1) if extra else None

    def forward(self, x):
        return self.fc2(torch.tanh(self.norm(self.fc1(x))))


def build(norm=False, extra=False):
    model = Net(norm, extra)
    state = model.state_dict()
    model.load_state_dict({k: torch.tensor(init[k]) if k in init.files else v for k, v in state.items()})
    return model


cases = {
    "plain": dict(),
    "divide_active": dict(join_kwargs=dict(divide_by_initial_world_size=False)),
    "batchnorm": dict(norm=True),
    "unused": dict(extra=True, ddp_kwargs=dict(find_unused_parameters=True)),
    "zero": dict(zero=True),
}
weights = {}
for name, case in cases.items():
    model = build(case.get("norm", False), case.get("extra", False))
    ddp = DDP(model, **case.get("ddp_kwargs", {}))
    if case.get("zero"):
        opt = ZeroRedundancyOptimizer(ddp.parameters(), optimizer_class=torch.optim.SGD, lr=0.1)
        joinables = [ddp, opt]
    else:
        opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
        joinables = [ddp]
    rng = np.random.default_rng(5 + rank)
    with Join(joinables, **case.get("join_kwargs", {})):
        for _ in range(3 + 2 * rank):
            x = torch.tensor(rng.standard_normal((6, 5)).astype(np.float32))
            y = torch.tensor(rng.standard_normal((6, 1)).astype(np.float32))
            opt.zero_grad()
            nn.functional.mse_loss(ddp(x), y).backward()
            opt.step()
    for k, v in model.state_dict().items():
        weights[f"{name}.rank{rank}.{k}"] = v.detach().numpy()
# throw_on_early_termination: every rank raises when the first one runs out
caught = "none"
model = build()
ddp = DDP(model)
opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
steps = 0
try:
    with Join([ddp], throw_on_early_termination=True):
        for _ in range(2 + 2 * rank):
            x = torch.ones(4, 5)
            opt.zero_grad()
            ddp(x).sum().backward()
            opt.step()
            steps += 1
except RuntimeError as e:
    caught = str(e)
weights[f"throw.rank{rank}.steps"] = np.array(steps)
weights[f"throw.rank{rank}.caught"] = np.array(int("exhausted" in caught or "Detected" in caught))
gathered = [None, None] if rank == 0 else None
dist.gather_object({k: np.asarray(v).tolist() for k, v in weights.items()}, gathered, dst=0)
if rank == 0:
    np.savez(out, **{k: np.array(v, np.float32) for part in gathered for k, v in part.items()})
dist.barrier()   # torch's gloo aborts a rank whose peer tears down first
dist.destroy_process_group()
# torch's gloo worker threads can abort the interpreter's teardown ("terminate called without an active
# exception", pytorch/pytorch#179291, seen in CI): the record is written and the group destroyed, so leave
# without the teardown.
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
