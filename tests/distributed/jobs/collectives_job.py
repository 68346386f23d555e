"""Every collective once, on deterministic per-rank inputs; each rank writes what it got to OUT/rank<r>.json."""
import json
import os
import sys

import numpy as np

import ember
import ember.distributed as dist

out_dir = sys.argv[1]
dist.init_process_group(os.environ.get("JOB_BACKEND", "mpi"))  # gloo under ember.distributed.run
r, n = dist.get_rank(), dist.get_world_size()
res = {"rank": r, "world": n, "backend": dist.get_backend(), "initialized": dist.is_initialized()}


def base(rank):
    return np.arange(6, dtype=np.float64).reshape(2, 3) * (rank + 1) + rank


for op in ("SUM", "PRODUCT", "MIN", "MAX", "AVG"):
    t = ember.tensor(base(r))
    assert dist.all_reduce(t, op=getattr(dist.ReduceOp, op)) is None
    res[f"all_reduce_{op}"] = t.tolist()
for op in ("BAND", "BOR", "BXOR", "SUM"):
    t = ember.tensor(np.array([5, 3, 12, 7], np.int64) + 3 * r)
    dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
    res[f"all_reduce_int_{op}"] = t.tolist()
t = ember.tensor(np.array([True, False, r == 1, False]))
dist.all_reduce(t)
res["all_reduce_bool_SUM"] = t.tolist()
t = ember.tensor(base(r)).half()
dist.all_reduce(t)
res["all_reduce_half"] = [str(t.dtype), t.float().tolist()]
# in place on a non-contiguous view: the base tensor sees the result
b = ember.tensor(base(r))
view = b.t()
dist.all_reduce(view)
res["all_reduce_view_base"] = b.tolist()
# async: a Work, waited for
t = ember.tensor(base(r))
work = dist.all_reduce(t, async_op=True)
res["async"] = [type(work).__name__, work.wait(), work.is_completed(), t.tolist()]

t = ember.tensor(base(r))
dist.broadcast(t, src=1)
res["broadcast"] = t.tolist()
parts = [ember.zeros(2, 3, dtype=ember.float64) for _ in range(n)]
dist.all_gather(parts, ember.tensor(base(r)))
res["all_gather"] = [p.tolist() for p in parts]
out = ember.zeros(2 * n, 3, dtype=ember.float64)
dist.all_gather_into_tensor(out, ember.tensor(base(r)))
res["all_gather_into_tensor"] = out.tolist()
out = ember.zeros(2, 3, dtype=ember.float64)
dist.reduce_scatter(out, [ember.tensor(base(r) * (k + 1)) for k in range(n)])
res["reduce_scatter"] = out.tolist()
out = ember.zeros(3, dtype=ember.float64)
dist.reduce_scatter_tensor(out, ember.tensor(base(r).reshape(-1)), op=dist.ReduceOp.MAX)
res["reduce_scatter_tensor_MAX"] = out.tolist()
t = ember.tensor(base(r))
dist.reduce(t, dst=1)
res["reduce"] = t.tolist()
got = [ember.zeros(2, 3, dtype=ember.float64) for _ in range(n)] if r == 0 else None
dist.gather(ember.tensor(base(r)), got, dst=0)
res["gather"] = [g.tolist() for g in got] if got else None
t = ember.zeros(2, 3, dtype=ember.float64)
dist.scatter(t, [ember.tensor(base(k) * 10) for k in range(n)] if r == 1 else None, src=1)
res["scatter"] = t.tolist()
outs = [ember.zeros(3, dtype=ember.float64) for _ in range(n)]
dist.all_to_all(outs, [ember.tensor(base(r)[0] + 100 * k) for k in range(n)])
res["all_to_all"] = [o.tolist() for o in outs]
dist.barrier()
if r == 0:
    dist.send(ember.tensor(base(0)), dst=1)
    res["recv"] = None
else:
    t = ember.zeros(2, 3, dtype=ember.float64)
    sender = dist.recv(t)
    res["recv"] = [sender, t.tolist()]
objs = [None] * n
dist.all_gather_object(objs, {"rank": r, "name": f"r{r}", "tuple": (r, 1.5)})
res["all_gather_object"] = objs
lst = [{"from": r}, [r, r]]
dist.broadcast_object_list(lst, src=1)
res["broadcast_object_list"] = lst
gathered = [None] * n if r == 1 else None
dist.gather_object(r * 7, gathered, dst=1)
res["gather_object"] = gathered
one = [None]
dist.scatter_object_list(one, [f"for {k}" for k in range(n)] if r == 0 else None, src=0)
res["scatter_object_list"] = one[0]
g = dist.new_group([1])
res["new_group"] = [dist.get_rank(g), dist.get_world_size(g)]
if r == 1:
    t = ember.tensor([2.0])
    dist.all_reduce(t, group=g)
    res["new_group_all_reduce"] = t.tolist()
errors = {}
try:
    dist.all_gather([ember.zeros(3)] * n, ember.zeros(2))
except ValueError as e:
    errors["shape"] = str(e)
try:
    dist.all_gather_object([None] * n, object())
except TypeError as e:
    errors["json"] = str(e)
try:
    dist.init_process_group("mpi")
except ValueError as e:
    errors["twice"] = str(e)
res["errors"] = errors
dist.destroy_process_group()
res["after_destroy"] = dist.is_initialized()
with open(os.path.join(out_dir, f"rank{r}.json"), "w") as f:
    json.dump(res, f)
