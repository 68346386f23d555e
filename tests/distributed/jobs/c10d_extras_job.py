"""torch.distributed's less common calls, written for torch (torchrun's environment, 2 ranks): init_device_mesh
before init_process_group (it joins the default group), send_object_list / recv_object_list, the deprecated
coalesced collectives, new_subgroups / new_subgroups_by_enumeration and their errors, get_pg_count, a DDP comm
hook's GradBucket; each rank writes what it saw to OUT/rank<r>.json."""
import json
import os
import sys
import warnings

import torch
import torch.distributed as dist
import torch.nn as nn

out_dir = sys.argv[1]
mesh = dist.init_device_mesh("cpu", (2,), mesh_dim_names=("dp",))
rank = dist.get_rank()
res = {"initialized": dist.is_initialized(), "mesh": [list(mesh.shape), mesh.get_local_rank(), mesh.size(),
                                                      isinstance(mesh, dist.DeviceMesh), mesh.mesh_dim_names]}
if rank == 0:
    dist.send_object_list(["foo", 12, {"a": [1, 2.5]}, None], dst=1)
    back = [None]
    res["recv_from"] = dist.recv_object_list(back, src=1)
    res["got"] = back
else:
    got = [None] * 4
    res["recv_from"] = dist.recv_object_list(got, src=0)
    res["got"] = got
    dist.send_object_list([{"rank": 1}], group_dst=0)
for name, call in (("self", lambda: dist.send_object_list([1], dst=rank)),
                   ("no_src", lambda: dist.recv_object_list([None])),
                   ("both", lambda: dist.recv_object_list([None], src=0, group_src=0))):
    try:
        call()
        res[name] = None
    except ValueError as e:
        res[name] = str(e)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    ts = [torch.arange(3.0) * (rank + 1), torch.ones(2, 2) * rank]
    dist.all_reduce_coalesced(ts)
    res["reduce_coalesced"] = [t.tolist() for t in ts]
    ts = [torch.tensor([1.0, -2.0]) * (rank + 1)]
    work = dist.all_reduce_coalesced(ts, op=dist.ReduceOp.MAX, async_op=True)
    work.wait()
    res["reduce_coalesced_max"] = ts[0].tolist()
    outs = [[torch.zeros(3), torch.zeros(2, 2)] for _ in range(2)]
    dist.all_gather_coalesced(outs, [torch.arange(3.0) + rank, torch.full((2, 2), rank + 5.0)])
    res["gather_coalesced"] = [[o.tolist() for o in row] for row in outs]
res["warnings"] = [(c.category.__name__, str(c.message)) for c in caught]
for name, call in (("mixed_reduce", lambda: dist.all_reduce_coalesced([torch.ones(2), torch.ones(2).double()])),
                   ("mixed_gather", lambda: dist.all_gather_coalesced([[torch.ones(1), torch.ones(1)]] * 2,
                                                                      [torch.ones(1), torch.ones(1).long()]))):
    try:
        call()
        res[name] = None
    except ValueError as e:
        res[name] = str(e)

cur, subs = dist.new_subgroups(group_size=1)
t = torch.tensor([rank + 1.0])
dist.all_reduce(t, group=cur)
res["subgroups1"] = [dist.get_process_group_ranks(cur), len(subs), t.tolist()]
cur, subs = dist.new_subgroups_by_enumeration([[1], [0]])
res["enumerated"] = [dist.get_process_group_ranks(cur), len(subs)]
cur, subs = dist.new_subgroups(group_size=2)
t = torch.tensor([rank + 1.0])
dist.all_reduce(t, group=cur)
res["subgroups2"] = [dist.get_process_group_ranks(cur), len(subs), t.tolist()]
for name, call in (("size3", lambda: dist.new_subgroups(group_size=3)),
                   ("size0", lambda: dist.new_subgroups(group_size=0)),
                   ("empty", lambda: dist.new_subgroups_by_enumeration([]))):
    try:
        call()
        res[name] = None
    except ValueError as e:
        res[name] = str(e)
res["pg_count"] = dist.get_pg_count()
res["available"] = [dist.is_backend_available(b) for b in ("gloo", "nccl", "ucc", "GLOO")]
res["default_backend"] = [dist.get_default_backend_for_device("cpu"),
                          dist.get_default_backend_for_device(torch.device("cpu")),
                          dist.get_default_backend_for_device("cuda")]

seen = []


def hook(state, bucket):
    seen.append([isinstance(bucket, dist.GradBucket), bucket.index(), bucket.is_last(), len(bucket.parameters())])
    fut = torch.futures.Future()
    fut.set_result(bucket.buffer())
    return fut


torch.manual_seed(0)
ddp = nn.parallel.DistributedDataParallel(nn.Linear(3, 1))
ddp.register_comm_hook(None, hook)
ddp(torch.ones(2, 3)).sum().backward()
res["bucket"] = seen
with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
    json.dump(res, f)
dist.barrier()   # torch's gloo aborts a rank whose peer tears down first
dist.destroy_process_group()
# torch's gloo worker threads can abort the interpreter's teardown (pytorch/pytorch#179291): the record is
# written and the group destroyed, so leave without the teardown.
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
