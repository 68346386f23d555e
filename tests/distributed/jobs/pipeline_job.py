"""Pipeline parallelism, written for torch (torchrun's environment, 2 ranks): a 4-block token model (embedding,
two residual blocks, a head) split by hand, trained 3 Adam steps on 8 sequences in 4 microbatches with
ScheduleGPipe and Schedule1F1B (2 stages: two blocks a rank), 1F1B with stage 0 sending a tuple (the
activations and the integer ids, which get no gradient), GPipe with scale_grads=False, GPipe with
every stage's input_args and output_args given (static: no shape inference), GPipe on a
DistributedDataParallel model (data parallel over both ranks, a one-stage pipeline each), and
ScheduleLoopedBFS and ScheduleInterleaved1F1B (4 stages: blocks r and r + 2 on rank r); then one eval().
Records per-microbatch losses, the merged output, the gradients of the first and last step and the final
weights of the blocks each rank holds. Rank 0 writes every rank's record."""
import json
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.distributed.pipelining import (PipelineStage, Schedule1F1B, ScheduleGPipe, ScheduleInterleaved1F1B,
                                          ScheduleLoopedBFS)

init_path, out = sys.argv[1], sys.argv[2]
dist.init_process_group("gloo")
rank = dist.get_rank()
init = np.load(init_path)
device = torch.device("cpu")


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


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(x)


class First(nn.Module):
    """Stage 0 of the tuple variant: passes the token ids on beside the activations (no gradient for them)."""

    def __init__(self, embed, block):
        super().__init__()
        self.embed, self.block = embed, block

    def forward(self, ids):
        return self.block(self.embed(ids)), ids


class Last(nn.Module):
    def __init__(self, block, head):
        super().__init__()
        self.block, self.head = block, head

    def forward(self, x, ids):
        return self.head(self.block(x)) + 0.1 * ids.unsqueeze(-1).float()


def blocks():
    model = nn.ModuleList([Embed(), Block(), Block(), Head()])
    model.load_state_dict({k: torch.tensor(init[k]) for k in init.files})
    return model


def loss_fn(output, target):
    return F.cross_entropy(output.reshape(-1, 10), target.reshape(-1))


rng = np.random.default_rng(5)          # the same batches on both ranks
batches = [(torch.tensor(rng.integers(0, 10, (8, 5))), torch.tensor(rng.integers(0, 10, (8, 5))))
           for _ in range(3)]


def run(name):
    model = blocks()
    if name == "GPipe_ddp":               # data parallel over both ranks, a one-stage pipeline on each
        groups = [dist.new_group([0]), dist.new_group([1])]
        ddp = nn.parallel.DistributedDataParallel(nn.Sequential(*model))
        # (static: torch's shape-inference forward through DDP breaks its reducer's next forward)
        stages = [PipelineStage(ddp, 0, 1, device, input_args=batches[0][0][:2], output_args=torch.zeros(2, 5, 10),
                                group=groups[rank])]
        schedule = ScheduleGPipe(stages[0], 4, loss_fn=loss_fn)
    elif name in ("LoopedBFS", "Interleaved1F1B"):
        stages = [PipelineStage(model[s], s, 4, device) for s in (rank, rank + 2)]
        cls = ScheduleLoopedBFS if name == "LoopedBFS" else ScheduleInterleaved1F1B
        schedule = cls(stages, 4, loss_fn=loss_fn)
    else:
        part = nn.Sequential(model[2 * rank], model[2 * rank + 1])
        if name == "1F1B_tuple":
            part = First(model[0], model[1]) if rank == 0 else Last(model[2], model[3])
        if name == "GPipe_static":        # every stage describes its microbatch: no shape inference
            examples = ((batches[0][0][:2], torch.zeros(2, 5, 8, requires_grad=True)) if rank == 0 else
                        (torch.zeros(2, 5, 8, requires_grad=True), torch.zeros(2, 5, 10)))
            stages = [PipelineStage(part, rank, 2, device, input_args=examples[0], output_args=examples[1])]
        else:
            stages = [PipelineStage(part, rank, 2, device)]
        cls = Schedule1F1B if name.startswith("1F1B") else ScheduleGPipe
        schedule = cls(stages[0], 4, loss_fn=loss_fn, scale_grads=name != "GPipe_sum")
    held = {id(p) for st in stages for p in st.submod.parameters()}
    named = [(n, p) for n, p in model.named_parameters() if id(p) in held]
    opt = torch.optim.Adam([p for _, p in named], lr=0.05)
    rec = {"losses": [], "grads": [], "outputs": []}
    for step, (x, y) in enumerate(batches):
        opt.zero_grad()
        losses = []
        if name == "GPipe_ddp":
            result = schedule.step((x + rank) % 10, target=y, losses=losses)
        else:
            result = schedule.step(x) if rank == 0 else schedule.step(target=y, losses=losses)
        rec["losses"].append([float(v.detach()) for v in losses])
        if step in (0, 2):
            rec["grads"].append({n: p.grad.tolist() for n, p in named})
            rec["outputs"].append(None if result is None else result.detach().tolist())
        opt.step()
    losses = []
    if name == "GPipe_ddp":
        result = schedule.eval(batches[0][0], target=batches[0][1], losses=losses)
    else:
        result = schedule.eval(batches[0][0]) if rank == 0 else schedule.eval(target=batches[0][1], losses=losses)
    rec["eval"] = [[float(v) for v in losses], None if result is None else result.tolist()]
    rec["weights"] = {n: p.detach().tolist() for n, p in named}
    return rec


record = {name: run(name) for name in ("GPipe", "1F1B", "1F1B_tuple", "GPipe_sum", "GPipe_static",
                                            "GPipe_ddp", "LoopedBFS", "Interleaved1F1B")}
gathered = [None, None] if rank == 0 else None
dist.gather_object(record, gathered, dst=0)
if rank == 0:
    with open(out, "w") as fh:
        json.dump(gathered, fh)
dist.barrier()
dist.destroy_process_group()
# torch's gloo worker threads can abort the interpreter at finalization (pytorch/pytorch#179291): the record
# is written and the group destroyed, so leave without the interpreter's teardown.
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
