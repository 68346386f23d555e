"""Write to OUT/env<rank>.json what ``ember run`` gave this rank: torchrun's variables, the threads,
MPI's rank, the arguments; rank 1 exits with 3 when given --fail."""
import json
import os
import sys

import ember.distributed as dist

dist.init_process_group("gloo")     # CPU programs written for torch name gloo: it means MPI here
with open(os.path.join(sys.argv[1], f"env{dist.get_rank()}.json"), "w") as f:
    keys = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "OMP_NUM_THREADS")
    f.write(json.dumps({k: os.environ.get(k) for k in keys} | {"mpi_rank": dist.get_rank(), "main": __name__,
                                                               "backend": dist.get_backend(), "argv": sys.argv[1:]}))
dist.destroy_process_group()
sys.exit(3 if os.environ["RANK"] == "1" and "--fail" in sys.argv else 0)
