"""Pipeline parallelism on 3 ranks, written for torch (torchrun's environment): the 4-block token model of
pipeline_job.py as 3 stages (embedding, a block, a block and the head), the middle rank calling step() with
no arguments, 2 SGD steps (momentum) with ScheduleGPipe and with Schedule1F1B in 4 microbatches. Records
losses, gradients and final weights; rank 0 writes every rank's."""
import json
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.distributed.pipelining import PipelineStage, Schedule1F1B, ScheduleGPipe

init_path, out = sys.argv[1], sys.argv[2]
dist.init_process_group("gloo")
rank = dist.get_rank()
init = np.load(init_path)


class Embed(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 8)

    def forward(self, ids):
        return torch.tanh(self.emb(ids))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return x + torch.tanh(self.fc(x))


def loss_fn(output, target):
    return F.cross_entropy(output.reshape(-1, 10), target.reshape(-1))


rng = np.random.default_rng(7)
batches = [(torch.tensor(rng.integers(0, 10, (8, 5))), torch.tensor(rng.integers(0, 10, (8, 5))))
           for _ in range(2)]


def run(cls):
    model = nn.ModuleList([Embed(), Block(), Block(), nn.ModuleDict({"fc": nn.Linear(8, 10)})])
    model.load_state_dict({k: torch.tensor(init[k]) for k in init.files})
    head = model[3]["fc"]
    part = [model[0], model[1], nn.Sequential(model[2], head)][rank]
    schedule = cls(PipelineStage(part, rank, 3, torch.device("cpu")), 4, loss_fn=loss_fn)
    held = {id(p) for p in part.parameters()}
    named = [(n, p) for n, p in model.named_parameters() if id(p) in held]
    opt = torch.optim.SGD([p for _, p in named], lr=0.5, momentum=0.9)
    rec = {"losses": [], "grads": []}
    for x, y in batches:
        opt.zero_grad()
        losses = []
        if rank == 0:
            schedule.step(x)
        elif rank == 1:
            schedule.step()
        else:
            schedule.step(target=y, losses=losses)
        rec["losses"].append([float(v.detach()) for v in losses])
        rec["grads"].append({n: p.grad.tolist() for n, p in named})
        opt.step()
    rec["weights"] = {n: p.detach().tolist() for n, p in named}
    return rec


record = {cls.__name__: run(cls) for cls in (ScheduleGPipe, Schedule1F1B)}
gathered = [None] * 3 if rank == 0 else None
dist.gather_object(record, gathered, dst=0)
if rank == 0:
    with open(out, "w") as fh:
        json.dump(gathered, fh)
dist.barrier()
dist.destroy_process_group()
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
