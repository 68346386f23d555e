"""gloo over ember's TCP transport: the stores against torch's, the rendezvous methods, torchrun's launcher,
and PyTorch's DDP tutorial (``mp.spawn`` + ``init_process_group("gloo", rank, world_size)``) run on real
torch and on ember from the same initial weights and data, giving the same weights.

(The collectives and DDP suites also run over this transport: see ``LAUNCHERS`` in test_collectives.py and
test_ddp.py; the failure modes in test_failure.py.)"""
import datetime
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.distributed as tdist

import ember.distributed as dist

from ._launch import JOBS, ROOT, job_env


def _free_port():
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _store_script(lib, store):
    """The same operations on a store of ``lib`` (torch.distributed or ember.distributed); what they return."""
    out = []
    store.set("a", "x")
    store.set("b", b"\x00\xff")
    out += [store.get("a"), store.get("b"), store.add("n", 3), store.add("n", -1), store.get("n")]
    out += [store.compare_set("a", "x", "y"), store.compare_set("a", "q", "z"), store.get("a"),
            store.compare_set("fresh", "", "v"), store.compare_set("absent", "e", "d")]
    out += [store.check(["a", "b"]), store.check(["a", "nope"]), store.delete_key("b"), store.delete_key("b")]
    store.wait(["a"])
    store.set_timeout(datetime.timedelta(milliseconds=300))
    with pytest.raises(RuntimeError):       # DistStoreError (a RuntimeError) or, from torch's FileStore, RuntimeError
        store.get("never")
    with pytest.raises(RuntimeError):
        store.wait(["never"], datetime.timedelta(milliseconds=200))
    out.append(store.check(["absent"]))
    return out


@pytest.mark.parametrize("kind", ["HashStore", "TCPStore", "FileStore", "PrefixStore"])
def test_stores_answer_as_torchs(kind, tmp_path):
    def make(lib, tag):
        if kind == "HashStore":
            return lib.HashStore()
        if kind == "TCPStore":
            return lib.TCPStore("127.0.0.1", 0, 1, True, timeout=datetime.timedelta(seconds=5))
        if kind == "FileStore":
            return lib.FileStore(str(tmp_path / f"store_{tag}"), 1)
        return lib.PrefixStore("job", lib.HashStore())
    assert _store_script(dist, make(dist, "ember")) == _store_script(tdist, make(tdist, "torch"))


def test_a_prefix_store_writes_under_its_prefix_and_a_tcp_client_sees_the_masters_keys():
    inner = dist.HashStore()
    dist.PrefixStore("trainer", inner).set("epoch", "2")
    assert inner.get("trainer/epoch") == b"2"
    master = dist.TCPStore("127.0.0.1", 0, None, True)
    client = dist.TCPStore("127.0.0.1", master.port, None, False, timeout=datetime.timedelta(seconds=5))
    client.set("from_client", "1")
    assert master.get("from_client") == b"1" and client.add("k", 5) == 5 and master.add("k", 1) == 6


def _python(code, extra_env=None, timeout=60):
    env = dict(job_env(), **(extra_env or {}))
    for key in ("MASTER_ADDR", "MASTER_PORT", "LOCAL_RANK"):
        env.pop(key, None)
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=timeout)


def test_one_process_needs_no_rendezvous_and_no_mpi():
    code = ("import sys, ember, ember.distributed as d\n"
            "d.init_process_group('gloo')\nt = ember.tensor([1.5, 2.0])\nd.all_reduce(t, op=d.ReduceOp.AVG)\n"
            "d.barrier()\nprint(d.get_rank(), d.get_world_size(), d.get_backend(), t.tolist(), 'mpi4py' in sys.modules)\n"
            "d.destroy_process_group()\nprint(d.is_initialized())\n")
    proc = _python(code)
    assert proc.stdout.splitlines() == ["0 1 gloo [1.5, 2.0] False", "False"], proc.stderr


def test_env_rendezvous_without_master_addr_fails_as_torch():
    code = ("import {lib}.distributed as d\n"
            "try:\n    d.init_process_group('gloo')\nexcept ValueError as e:\n    print(e)\n")
    env = {"RANK": "0", "WORLD_SIZE": "2"}
    ours = _python(code.format(lib="ember"), env).stdout.strip()
    theirs = _python(code.format(lib="torch"), env).stdout.strip()
    assert ours == theirs.replace("torch.distributed", "torch.distributed")
    assert ours == "Error initializing torch.distributed using env:// rendezvous: environment variable MASTER_ADDR " \
                   "expected, but not set"


def test_a_rank_that_never_comes_times_the_rendezvous_out():
    port = _free_port()
    code = ("import ember.distributed as d\n"
            f"try:\n    d.init_process_group('gloo', init_method='tcp://127.0.0.1:{port}', rank=0, world_size=2, "
            f"timeout=1.0)\nexcept RuntimeError as e:\n    print(e)\n")
    proc = _python(code)
    assert proc.stdout.strip() == "ember.distributed.init_process_group: rank 0 of 2: ranks [1] did not connect " \
                                  "within 1 s", proc.stderr


_PAIR = """
import sys, ember, ember.distributed as d
rank = int(sys.argv[1])
{init}
t = ember.tensor([float(rank + 1), 10.0])
d.all_reduce(t)
out = [ember.zeros(1) for _ in range(2)]
d.all_gather(out, ember.tensor([rank * 7.0]))
print(d.get_rank(), d.get_world_size(), t.tolist(), [o.item() for o in out])
d.destroy_process_group()
"""


@pytest.mark.parametrize("method", ["tcp", "file", "store"])
def test_rendezvous_by_tcp_url_file_and_an_explicit_store(method, tmp_path):
    port = _free_port()
    init = {"tcp": f"d.init_process_group('gloo', init_method='tcp://127.0.0.1:{port}', rank=rank, world_size=2)",
            "file": f"d.init_process_group('gloo', init_method='file://{tmp_path}/rdzv', rank=rank, world_size=2)",
            "store": f"s = d.TCPStore('127.0.0.1', {port}, 2, rank == 0)\n"
                     f"d.init_process_group('gloo', store=s, rank=rank, world_size=2)"}[method]
    script = tmp_path / "pair.py"
    script.write_text(_PAIR.format(init=init))
    procs = [subprocess.Popen([sys.executable, str(script), str(r)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=job_env(), cwd=ROOT) for r in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [o[0].strip() for o in outs] == ["0 2 [3.0, 20.0] [0.0, 7.0]", "1 2 [3.0, 20.0] [0.0, 7.0]"], outs


def test_torchrun_launcher_environment_and_restarts(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(
        "import json, os, sys\n"
        "keys = ['RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'GROUP_RANK', 'TORCHELASTIC_RESTART_COUNT',"
        " 'TORCHELASTIC_MAX_RESTARTS', 'OMP_NUM_THREADS']\n"
        "env = {k: os.environ[k] for k in keys}\n"
        f"open(os.path.join({str(tmp_path)!r}, 'env%s_%s.json' % (env['RANK'], env['TORCHELASTIC_RESTART_COUNT'])),"
        " 'w').write(json.dumps(env))\n"
        "import ember.distributed as d\n"
        "d.init_process_group('gloo')\n"
        "d.barrier()\n"
        "sys.exit(5 if env['RANK'] == '1' and env['TORCHELASTIC_RESTART_COUNT'] == '0' else 0)\n")
    env = job_env()
    env.pop("OMP_NUM_THREADS")
    proc = subprocess.run([sys.executable, "-m", "ember", "torchrun", "--nproc_per_node", "2", "--standalone",
                           "--max_restarts", "1", str(script)], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "worker with rank 1 failed first (exit code 5)" in proc.stderr and "1 restart(s) left" in proc.stderr
    got = {p.name: json.loads(p.read_text()) for p in tmp_path.glob("env*.json")}
    assert sorted(got) == ["env0_0.json", "env0_1.json", "env1_0.json", "env1_1.json"]
    assert got["env1_1.json"] == {"RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2",
                                  "GROUP_RANK": "0", "TORCHELASTIC_RESTART_COUNT": "1",
                                  "TORCHELASTIC_MAX_RESTARTS": "1", "OMP_NUM_THREADS": "1"}
    failing = subprocess.run([sys.executable, "-m", "ember.distributed.run", "--nproc_per_node", "2", "--standalone",
                              str(script)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert failing.returncode == 1 and "worker with rank 1 failed first (exit code 5)" in failing.stderr


def test_record_writes_the_root_cause_and_the_launcher_prints_it(tmp_path):
    script = tmp_path / "job.py"
    script.write_text("import torch.distributed as dist\n"
                      "from torch.distributed.elastic.multiprocessing.errors import record\n"
                      "@record\ndef main():\n    dist.init_process_group('gloo')\n"
                      "    if dist.get_rank() == 1:\n        raise KeyError('shard 7')\n    dist.barrier()\n"
                      "main()\n")
    proc = subprocess.run([sys.executable, "-m", "ember.distributed.run", "--nproc_per_node", "2", "--standalone",
                           "-m", "ember.torch_compat", str(script)], capture_output=True, text=True, env=job_env(),
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 1
    assert "root cause (rank 1, recorded by @record): KeyError: 'shard 7'" in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ddp_tutorial")
    torch.manual_seed(0)
    model = torch.nn.Sequential()
    init = {"net1.weight": torch.randn(10, 10) * 0.3, "net1.bias": torch.randn(10) * 0.1,
            "net2.weight": torch.randn(5, 10) * 0.3, "net2.bias": torch.randn(5) * 0.1}
    np.savez(tmp / "init.npz", **{k: v.numpy() for k, v in init.items()})
    job = os.path.join(JOBS, "ddp_tutorial.py")
    runs = {"torch": [sys.executable, job], "ember": [sys.executable, "-m", "ember.torch_compat", job]}
    procs = {}
    for name, cmd in runs.items():       # both at once: each mostly waits for its processes to start
        procs[name] = subprocess.Popen(cmd + ["--port", str(_free_port()), "--init", str(tmp / "init.npz"),
                                              "--out", str(tmp / f"{name}.npz")], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, env=job_env(), cwd=ROOT)
    for name, p in procs.items():
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, f"{name}: {err[-3000:]}"
    load = lambda name: (dict(np.load(tmp / f"{name}.npz")),  # noqa: E731
                         [json.loads((tmp / f"{name}.npz.rank{r}.json").read_text()) for r in range(2)])
    return load("torch"), load("ember")


def test_the_ddp_tutorial_trains_to_torchs_weights(tutorial):
    (theirs, _), (ours, _) = tutorial
    assert set(ours) == set(theirs)
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-5, atol=1e-6, err_msg=k)


def test_the_ddp_tutorial_losses_and_collectives_equal_torchs(tutorial):
    (_, theirs), (_, ours) = tutorial
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o["losses"], t["losses"], rtol=1e-5)
        assert (o["total"], o["gathered"], o["backend"], o["world"]) == \
               (t["total"], t["gathered"], t["backend"], t["world"]) == (3.0, [[0.0, 0.0], [1.0, 10.0]], "gloo", 2)
