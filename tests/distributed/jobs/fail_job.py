"""A DDP training loop in which rank 1 fails at a given step: ``die`` (os._exit(1), no cleanup),
``raise`` (an uncaught exception) or ``hang`` (stops calling collectives; the group's timeout is 2 s)."""
import os
import sys
import time

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP

mode, fail_step = sys.argv[1], int(sys.argv[2])   # die: argv[3] is where to write the time of death
dist.init_process_group(os.environ.get("JOB_BACKEND", "mpi"), timeout=2.0 if mode == "hang" else None)
rank = dist.get_rank()
model = DDP(nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)))
opt = ember.optim.SGD(model.parameters(), lr=0.1)
x, y = ember.randn(8, 4), ember.randn(8, 1)
for step in range(1000):
    if rank == 1 and step == fail_step:
        if mode == "die":
            with open(sys.argv[3], "w") as f:     # when it died, for the test's "within seconds"
                f.write(repr(time.time()))
            os._exit(1)
        if mode == "raise":
            raise ValueError(f"bad batch at step {step}")
        time.sleep(60)
    opt.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()
    opt.step()
    time.sleep(0.01)
print("finished", rank)
