"""DDP communication hooks, written for torch (torchrun's environment): PyTorch's fp16_compress_hook,
fp16_compress_wrapper(allreduce_hook), and a user hook that keeps each rank's gradients (a no-op future);
each on its own model, from the same weights, trained on each rank's own rows; rank 0 writes the weights."""
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
from torch.nn.parallel import DistributedDataParallel as DDP

init_path, out = sys.argv[1], sys.argv[2]
dist.init_process_group("gloo")
rank = dist.get_rank()
init = np.load(init_path)


def noop(state, bucket):
    fut = torch.futures.Future()
    fut.set_result(bucket.buffer())
    return fut


hooks = {"fp16": default_hooks.fp16_compress_hook, "wrapped": default_hooks.fp16_compress_wrapper(
    default_hooks.allreduce_hook), "allreduce": default_hooks.allreduce_hook, "noop": noop}
weights = {}
for name, hook in hooks.items():
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))
    model.load_state_dict({k: torch.tensor(init[k]) for k in init.files})
    ddp = DDP(model)
    ddp.register_comm_hook(None, hook)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
    rng = np.random.default_rng(11 + rank)
    for _ in range(4):
        x = torch.tensor(rng.standard_normal((10, 5)).astype(np.float32))
        y = torch.tensor(rng.standard_normal((10, 1)).astype(np.float32))
        opt.zero_grad()
        nn.functional.mse_loss(ddp(x), y).backward()
        opt.step()
    for k, v in model.state_dict().items():
        weights[f"{name}.rank{rank}.{k}"] = v.detach().numpy()
gathered = [None, None] if rank == 0 else None
dist.gather_object({k: v.tolist() for k, v in weights.items()}, gathered, dst=0)
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
