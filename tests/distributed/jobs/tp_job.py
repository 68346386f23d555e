"""Tensor parallelism, written for torch (torchrun's environment, 2 ranks): PyTorch's tensor-parallel tutorial
shape, an embedding (rowwise), a feed-forward pair (w1 colwise, w2 rowwise) and a colwise-then-rowwise pair
under a wildcard plan, trained three steps with AdamW and clip_grad_norm_ from the same weights and tokens;
parameter layouts, gradients' types, losses, norms and the final whole weights. Rank 0 writes every rank's."""
import json
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Replicate
from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module

init_path, out = sys.argv[1], sys.argv[2]
dist.init_process_group("gloo")
rank = dist.get_rank()
init = np.load(init_path)
mesh = init_device_mesh("cpu", (2,))


class FeedForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.w1 = nn.Linear(6, 8)
        self.w2 = nn.Linear(8, 6)

    def forward(self, x):
        return self.w2(torch.relu(self.w1(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(10, 6)
        self.layers = nn.ModuleList([FeedForward(), FeedForward()])
        self.head = nn.Linear(6, 4)

    def forward(self, ids):
        x = self.tok(ids)
        for layer in self.layers:
            x = x + layer(x)
        return self.head(x)


model = Net()
model.load_state_dict({k: torch.tensor(init[k]) for k in init.files})
parallelize_module(model, mesh, {"tok": RowwiseParallel(input_layouts=Replicate()), "layers.*.w1": ColwiseParallel(),
                                 "layers.*.w2": RowwiseParallel()})
rec = {"layouts": {n: [repr(p.placements), list(p.to_local().shape)] for n, p in model.named_parameters()
                   if hasattr(p, "placements")}}
opt = torch.optim.AdamW(model.parameters(), lr=0.05)
rng = np.random.default_rng(3)          # the same tokens on both ranks (tensor parallel: one batch)
losses = []
for step in range(3):
    ids = torch.tensor(rng.integers(0, 10, (4, 5)))
    y = torch.tensor(rng.integers(0, 4, (4, 5)))
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(ids).reshape(-1, 4), y.reshape(-1))
    loss.backward()
    # (torch, like ember, refuses to clip DTensor and plain gradients together: the head is not parallel)
    norm = nn.utils.clip_grad_norm_([p for p in model.parameters() if isinstance(p, DTensor)], 1.0)
    losses.append([float(loss.detach()), float(norm.full_tensor() if hasattr(norm, "full_tensor") else norm)])
    opt.step()
rec["losses"] = losses
rec["grad_types"] = sorted({type(p.grad).__name__ for p in model.parameters()})
rec["weights"] = {n: (p.full_tensor() if hasattr(p, "full_tensor") else p).detach().tolist()
                  for n, p in model.named_parameters()}
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
