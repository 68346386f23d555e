"""ZeroRedundancyOptimizer against torch's: the same program (DDP + ZeRO over Adam, a StepLR) run on real torch
and on ember, 2 ranks over gloo, from the same weights and rows, gives the same losses, weights, partition and
consolidated optimizer state; in one process it steps, saves and loads as the optimizer it wraps."""
import json

import numpy as np
import pytest
import torch

import ember
import ember.distributed as dist
from ember.optim.zero_redundancy_optimizer import ZeroRedundancyOptimizer

from ._launch import torch_and_ember


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("zero")
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16), torch.nn.Tanh(),
                            torch.nn.Linear(16, 2))
    np.savez(tmp / "init.npz", **{k: v.detach().numpy() for k, v in m.state_dict().items()})
    torch_and_ember("zero_job.py", tmp / "init.npz", tmp / "{lib}.npz")
    return {lib: (dict(np.load(tmp / f"{lib}.npz")), json.loads((tmp / f"{lib}.npz.json").read_text()),
                  [int((tmp / f"{lib}.npz.owned{r}").read_text()) for r in range(2)]) for lib in ("torch", "ember")}


def test_weights_and_consolidated_state_equal_torchs(runs):
    ours, theirs = runs["ember"][0], runs["torch"][0]
    assert sorted(ours) == sorted(theirs) and any(k.startswith("state.") for k in ours)
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-5, atol=1e-6, err_msg=k)


def test_losses_lr_schedule_and_partition_equal_torchs(runs):
    (_, ours, owned), (_, theirs, their_owned) = runs["ember"], runs["torch"]
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-5)
    assert ours["lr"] == theirs["lr"] == 0.005 and ours["params"] == theirs["params"]
    assert owned == their_owned == [1, 5]     # the largest weight alone on rank 0, the rest on rank 1


@pytest.fixture
def one_process_group():
    dist.init_process_group("gloo", rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_on_one_rank_it_is_the_optimizer_it_wraps_and_its_state_round_trips(one_process_group):
    def model():
        ember.manual_seed(3)
        return ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.Tanh(), ember.nn.Linear(4, 1))
    a, b = model(), model()
    zero = ZeroRedundancyOptimizer(a.parameters(), optimizer_class=ember.optim.Adam, lr=0.1)
    plain = ember.optim.Adam(b.parameters(), lr=0.1)
    x, y = ember.randn(8, 3), ember.randn(8, 1)
    for opt, net in ((zero, a), (plain, b)):
        for _ in range(3):
            opt.zero_grad()
            ember.nn.functional.mse_loss(net(x), y).backward()
            opt.step()
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    with pytest.raises(RuntimeError, match=r"consolidate_state_dict\(to=0\)"):
        zero.state_dict()
    zero.consolidate_state_dict(to=0)
    sd, want = zero.state_dict(), plain.state_dict()
    assert sd["param_groups"][0]["params"] == want["param_groups"][0]["params"] and sorted(sd["state"]) == \
        sorted(want["state"])
    for i in want["state"]:
        for key in want["state"][i]:
            np.testing.assert_array_equal(np.asarray(sd["state"][i][key]), np.asarray(want["state"][i][key]))
    fresh = ZeroRedundancyOptimizer(b.parameters(), optimizer_class=ember.optim.Adam, lr=0.5)
    fresh.load_state_dict(want)              # a plain optimizer's state loads into ZeRO
    assert fresh.param_groups[0]["lr"] == 0.1
    fresh.consolidate_state_dict()
    for i in want["state"]:
        np.testing.assert_array_equal(np.asarray(fresh.state_dict()["state"][i]["exp_avg"]),
                                      np.asarray(want["state"][i]["exp_avg"]))
