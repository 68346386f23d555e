"""FSDP2 (fully_shard), DTensor, DeviceMesh and distributed checkpoints against torch's: the same program
(jobs/fsdp_job.py) on 2 gloo ranks under real torch and under ember, from the same weights and rows, records the
same losses, clipped norms, shard shapes, sharded and full state dicts (model and optimizer), DTensor layouts,
and a checkpoint round trip that resumes training exactly; the ember checkpoint then loads whole in one process."""
import json

import numpy as np
import pytest
import torch

import ember
import ember.distributed as dist
import ember.distributed.checkpoint as dcp
from ember.distributed.fsdp import fully_shard

from ._launch import torch_and_ember


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fsdp")
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    np.savez(tmp / "init.npz", **{k: v.detach().numpy() for k, v in m.state_dict().items()})
    torch_and_ember("fsdp_job.py", tmp / "init.npz", tmp / "ckpt_{lib}", tmp / "{lib}.json")
    ours = json.loads((tmp / "ember.json").read_text())
    theirs = json.loads((tmp / "torch.json").read_text())
    return ours, theirs, tmp


def _same(a, b, where):
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
        return
    if isinstance(a, list):
        try:
            x, y = np.asarray(a, float), np.asarray(b, float)
        except (ValueError, TypeError):      # strings, or lists of unequal lengths: element by element
            assert isinstance(b, list) and len(a) == len(b), where
            for i, (p, q) in enumerate(zip(a, b)):
                _same(p, q, f"{where}[{i}]")
            return
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6, err_msg=where)
    elif isinstance(a, float):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=where)
    else:
        assert a == b, where


@pytest.mark.parametrize("what", ["types", "local_shapes", "global_shapes", "placements", "losses", "accumulated",
                                  "full", "optim_full", "optim_params", "sharded_types", "epoch", "resumed",
                                  "resumed_weights_equal", "set_full", "dt_local", "dt_full", "dt_replicate",
                                  "dt_shard1", "from_local", "sum", "mesh"])
def test_fsdp_program_records_what_torch_records(runs, what):
    ours, theirs, _ = runs
    for rank in (0, 1):
        _same(ours[rank][what], theirs[rank][what], f"rank{rank}.{what}")


def test_shards_differ_and_training_moved(runs):
    ours, _, _ = runs
    assert ours[0]["local_shapes"]["2.weight"] == [2, 8] and ours[1]["local_shapes"]["2.weight"] == [1, 8]
    assert ours[0]["resumed_weights_equal"] is True
    assert ours[0]["losses"][0][1] != ours[0]["losses"][2][1]


def test_a_two_rank_checkpoint_loads_whole_in_one_process(runs):
    ours, _, tmp = runs
    model = ember.nn.Sequential(ember.nn.Linear(5, 8), ember.nn.ReLU(), ember.nn.Linear(8, 3))
    state = {"model": model.state_dict(), "epoch": -1}
    dcp.load(state, checkpoint_id=tmp / "ckpt_ember")
    assert state["epoch"] == 3
    # the checkpoint was saved after the accumulated step: its weights are the full state dict recorded then
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v.numpy(), np.asarray(ours[0]["full"][k], np.float32), rtol=1e-6, err_msg=k)


def test_checkpoint_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="metadata"):
        dcp.load({"x": ember.zeros(2)}, checkpoint_id=tmp_path)
    with pytest.raises(TypeError, match="cannot store"):
        dcp.save({"f": object()}, checkpoint_id=tmp_path / "c")
    dcp.save({"x": ember.ones(3)}, checkpoint_id=tmp_path / "d")
    with pytest.raises(RuntimeError, match="size"):
        dcp.load({"x": ember.zeros(4)}, checkpoint_id=tmp_path / "d")
    with pytest.raises(RuntimeError, match="missing"):
        dcp.load({"y": ember.zeros(3)}, checkpoint_id=tmp_path / "d")


def test_fully_shard_in_one_process_and_its_errors():
    dist.init_process_group("gloo", rank=0, world_size=1)
    try:
        with pytest.raises(ValueError, match="containers"):
            fully_shard(ember.nn.ModuleList([ember.nn.Linear(2, 2)]))
        from ember.distributed.device_mesh import DeviceMesh
        with pytest.raises(RuntimeError, match="CPU only"):
            DeviceMesh("cuda", [0])
        torch_model = torch.nn.Linear(3, 2)
        model = ember.nn.Linear(3, 2)
        model.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in torch_model.state_dict().items()})
        fully_shard(model)
        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        model(ember.tensor(x)).sum().backward()
        torch_model(torch.tensor(x)).sum().backward()
        np.testing.assert_allclose(model.weight.grad.full_tensor().numpy(), torch_model.weight.grad.numpy(),
                                   rtol=1e-6)
        assert type(model).__name__ == "FSDPLinear" and type(model.weight.grad).__name__ == "DTensor"
    finally:
        dist.destroy_process_group()


def test_the_dcp_tutorials_stateful_app_state_round_trips(tmp_path):
    """PyTorch's distributed-checkpoint tutorial: an AppState(Stateful) wrapping get_state_dict/set_state_dict."""
    from ember.distributed.checkpoint.stateful import Stateful
    from ember.distributed.checkpoint.state_dict import get_state_dict, set_state_dict
    from ember.distributed.checkpoint.default_planner import DefaultLoadPlanner

    class AppState(Stateful):
        def __init__(self, model, optimizer):
            self.model, self.optimizer = model, optimizer

        def state_dict(self):
            m, o = get_state_dict(self.model, self.optimizer)
            return {"model": m, "optim": o}

        def load_state_dict(self, state_dict):
            set_state_dict(self.model, self.optimizer, model_state_dict=state_dict["model"],
                           optim_state_dict=state_dict["optim"])

    def build(seed):
        ember.manual_seed(seed)
        m = ember.nn.Linear(3, 2)
        return m, ember.optim.Adam(m.parameters(), lr=0.1)

    x = ember.ones(4, 3)
    m, o = build(0)
    for _ in range(2):
        o.zero_grad()
        m(x).pow(2).sum().backward()
        o.step()
    dcp.save({"app": AppState(m, o)}, checkpoint_id=tmp_path / "app")
    m2, o2 = build(1)
    dcp.load({"app": AppState(m2, o2)}, checkpoint_id=tmp_path / "app")
    for model, opt in ((m, o), (m2, o2)):
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        opt.step()
    np.testing.assert_array_equal(m.weight.detach().numpy(), m2.weight.detach().numpy())
    assert o2.state_dict()["state"][0]["step"].item() == 3
    extra = {"app": AppState(m2, o2), "new_key": ember.zeros(1)}
    with pytest.raises(RuntimeError, match="missing"):
        dcp.load(extra, checkpoint_id=tmp_path / "app")
    dcp.load(extra, checkpoint_id=tmp_path / "app", planner=DefaultLoadPlanner(allow_partial_load=True))
