"""PyTorch's "Getting started with DistributedDataParallel" program, as written for torch: processes started
by ``torch.multiprocessing.spawn``, ``MASTER_ADDR``/``MASTER_PORT`` set in ``setup``, the gloo backend. Each
rank trains on its own rows (from NumPy, the same under torch and ember); rank 0 writes the final weights.

    python ddp_tutorial.py --port P --init init.npz --out out.npz      (real torch)
    python -m ember.torch_compat ddp_tutorial.py ...                    (ember)
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.optim as optim
from torch.nn.parallel import DistributedDataParallel as DDP


def setup(rank, world_size, port):
    os.environ["MASTER_ADDR"] = "localhost"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)


def cleanup():
    dist.destroy_process_group()


class ToyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.net1 = nn.Linear(10, 10)
        self.relu = nn.ReLU()
        self.net2 = nn.Linear(10, 5)

    def forward(self, x):
        return self.net2(self.relu(self.net1(x)))


def demo_basic(rank, world_size, args):
    setup(rank, world_size, args.port)
    model = ToyModel()
    init = np.load(args.init)
    model.load_state_dict({k: torch.tensor(init[k]) for k in init.files})
    ddp_model = DDP(model)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(ddp_model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(100 + rank)
    losses = []
    for _ in range(args.steps):
        x = torch.tensor(rng.standard_normal((20, 10)).astype(np.float32))
        y = torch.tensor(rng.standard_normal((20, 5)).astype(np.float32))
        optimizer.zero_grad()
        loss = loss_fn(ddp_model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    total = torch.tensor([float(rank + 1)])
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    gathered = [torch.zeros(2) for _ in range(world_size)]
    dist.all_gather(gathered, torch.tensor([float(rank), 10.0 * rank]))
    if rank == 0:
        np.savez(args.out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    with open(f"{args.out}.rank{rank}.json", "w") as f:
        json.dump({"losses": losses, "total": total.item(), "gathered": [g.tolist() for g in gathered],
                   "backend": dist.get_backend(), "world": dist.get_world_size()}, f)
    dist.barrier()   # torch's gloo aborts a rank whose peer tears down first
    cleanup()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--init", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--world", type=int, default=2)
    args = p.parse_args()
    mp.spawn(demo_basic, args=(args.world, args), nprocs=args.world, join=True)
