"""DistributedDataParallel training on each rank; writes initial and final weights to OUT (npz files).

Modes, run one after the other: ``ddp`` (20 SGD steps of B rows per rank through DistributedSampler
and DataLoader), ``nosync`` (10 steps of two micro-batches, the first under no_sync), ``unused``
(find_unused_parameters with a head rank 1 does not use and one nobody uses), ``unused_error``
(an unused parameter without find_unused_parameters is reported at the next forward), ``syncbn``
(SyncBatchNorm in a DDP model, 5 steps)."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _data import B, HIDDEN, IN, LR, MOMENTUM, OUT, STEPS, data  # noqa: E402

import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402
from ember import nn  # noqa: E402
from ember.nn.parallel import DistributedDataParallel as DDP  # noqa: E402
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset  # noqa: E402

out_dir = sys.argv[1]
dist.init_process_group(os.environ.get("JOB_BACKEND", "mpi"))  # gloo under ember.distributed.run
rank, world = dist.get_rank(), dist.get_world_size()


def mlp():
    return nn.Sequential(nn.Linear(IN, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, OUT))


def save(name, module):
    np.savez(os.path.join(out_dir, f"{name}.npz"), **{k: v.detach().numpy() for k, v in module.state_dict().items()})


info = {}
# -- ddp: 2 ranks x B rows == 1 process x 2B rows ------------------------------------------------
ember.manual_seed(100 + rank)           # each rank starts elsewhere: DDP must broadcast rank 0's weights
model = mlp()
ddp = DDP(model, bucket_cap_mb=0.0005)   # ~500-byte buckets: several all-reduces per backward
info["buckets"] = len(ddp._buckets)
info["state_dict_keys"] = list(ddp.state_dict())[:2]
if rank == 0:
    save("ddp_init", model)
x, y = data(STEPS * B * world)
sampler = DistributedSampler(TensorDataset(ember.tensor(x), ember.tensor(y)), shuffle=False)
info["sampler"] = [sampler.num_replicas, sampler.rank]
loader = DataLoader(TensorDataset(ember.tensor(x), ember.tensor(y)), batch_size=B, sampler=sampler)
opt = ember.optim.SGD(ddp.parameters(), lr=LR, momentum=MOMENTUM)
for xb, yb in loader:
    opt.zero_grad()
    nn.functional.mse_loss(ddp(xb), yb).backward()
    opt.step()
save(f"ddp_final{rank}", model)

# -- nosync: gradient accumulation over two micro-batches ------------------------------------------
ember.manual_seed(200 + rank)
model = mlp()
ddp = DDP(model)
if rank == 0:
    save("nosync_init", model)
x, y = data(10 * 2 * B * world, seed=1)
opt = ember.optim.SGD(ddp.parameters(), lr=LR, momentum=MOMENTUM)
for step in range(10):
    opt.zero_grad()
    for micro in range(2):
        lo = (2 * step + micro) * B * world
        rows = list(range(lo + rank, lo + B * world, world))
        xb, yb = ember.tensor(x[rows]), ember.tensor(y[rows])
        if micro == 0:
            with ddp.no_sync():
                nn.functional.mse_loss(ddp(xb), yb).backward()
            if step == 0:   # the first micro-batch's gradients stayed local
                info["local_grad_after_no_sync"] = model[0].bias.grad.tolist()
        else:
            nn.functional.mse_loss(ddp(xb), yb).backward()
    opt.step()
save(f"nosync_final{rank}", model)


# -- unused: find_unused_parameters ----------------------------------------------------------------
class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Linear(IN, HIDDEN)
        self.a = nn.Linear(HIDDEN, OUT)
        self.b = nn.Linear(HIDDEN, OUT)
        self.c = nn.Linear(HIDDEN, OUT)     # used by no rank

    def forward(self, x, use_b):
        h = self.trunk(x).tanh()
        return self.a(h) + self.b(h) if use_b else self.a(h)


ember.manual_seed(300 + rank)
model = Heads()
ddp = DDP(model, find_unused_parameters=True)
if rank == 0:
    save("unused_init", model)
x, y = data(5 * B * world, seed=2)
opt = ember.optim.SGD(ddp.parameters(), lr=LR)
for step in range(5):
    lo = step * B * world
    rows = list(range(lo + rank, lo + B * world, world))
    opt.zero_grad(set_to_none=True)
    nn.functional.mse_loss(ddp(ember.tensor(x[rows]), use_b=rank == 0), ember.tensor(y[rows])).backward()
    opt.step()
info["c_grad_is_none"] = model.c.weight.grad is None
save(f"unused_final{rank}", model)

# -- unused parameters without find_unused_parameters: reported at the next forward ---------------
ddp = DDP(Heads())
xb = ember.tensor(x[:B])
nn.functional.mse_loss(ddp(xb, use_b=True), ember.tensor(y[:B])).backward()
try:
    ddp(xb, use_b=True)
    info["unused_error"] = None
except RuntimeError as e:
    info["unused_error"] = str(e)

# -- syncbn: SyncBatchNorm's statistics span the global batch -------------------------------------
ember.manual_seed(400 + rank)
model = nn.Sequential(nn.Linear(IN, HIDDEN), nn.SyncBatchNorm(HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, OUT))
ddp = DDP(model)
if rank == 0:
    save("syncbn_init", model)
x, y = data(5 * B * world, seed=4)
opt = ember.optim.SGD(ddp.parameters(), lr=LR, momentum=MOMENTUM)
for step in range(5):
    lo = step * B * world
    rows = list(range(lo + rank, lo + B * world, world))
    opt.zero_grad()
    nn.functional.mse_loss(ddp(ember.tensor(x[rows])), ember.tensor(y[rows])).backward()
    opt.step()
save(f"syncbn_final{rank}", model)

with open(os.path.join(out_dir, f"info{rank}.json"), "w") as f:
    json.dump(info, f)
dist.destroy_process_group()
