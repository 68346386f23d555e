"""DistributedDataParallel under ``mpiexec -n 2`` against PyTorch in one process on the global batch:
the same initial weights (rank 0's, which DDP broadcast), the same rows, the same optimizer; the
final weights agree to float32 rounding and are identical on both ranks."""
import json
import os

import numpy as np
import pytest
import torch

from ._launch import LAUNCHERS
from .jobs._data import B, HIDDEN, IN, LR, MOMENTUM, OUT, STEPS, data, rank_rows

WORLD = 2


@pytest.fixture(scope="module", params=list(LAUNCHERS))
def job(tmp_path_factory, request):
    out = str(tmp_path_factory.mktemp("ddp"))
    proc = LAUNCHERS[request.param]("train_job.py", out, n=WORLD)
    assert proc.returncode == 0, proc.stderr[-3000:]
    load = lambda name: dict(np.load(os.path.join(out, f"{name}.npz")))  # noqa: E731
    infos = [json.load(open(os.path.join(out, f"info{r}.json"))) for r in range(WORLD)]
    return load, infos


def _torch_mlp(state):
    model = torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), torch.nn.Tanh(), torch.nn.Linear(HIDDEN, HIDDEN),
                                torch.nn.Tanh(), torch.nn.Linear(HIDDEN, OUT))
    model.load_state_dict({k.removeprefix("module."): torch.tensor(v) for k, v in state.items()})
    return model


def _assert_same(ours, model, rtol=1e-5, atol=1e-6):
    theirs = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    assert set(ours) == set(theirs)
    for k in ours:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=rtol, atol=atol, err_msg=k)


def _rows(lo, world=WORLD, per_rank=B):
    return list(range(lo, lo + per_rank * world))


def test_two_ranks_of_batch_b_train_as_one_process_of_batch_2b(job):
    load, infos = job
    init = load("ddp_init")
    model = _torch_mlp(init)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = data(STEPS * B * WORLD)
    for step in range(STEPS):
        rows = sorted(sum((rank_rows(step, r, WORLD) for r in range(WORLD)), []))
        assert rows == _rows(step * B * WORLD)
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(torch.tensor(x[rows])), torch.tensor(y[rows])).backward()
        opt.step()
    finals = [load(f"ddp_final{r}") for r in range(WORLD)]
    for k in finals[0]:
        assert np.array_equal(finals[0][k], finals[1][k]), k     # the replicas stay identical
        assert not np.allclose(finals[0][k], init[k])            # and they trained
    _assert_same(finals[0], model)
    assert all(i["buckets"] == 3 and i["state_dict_keys"] == ["module.0.weight", "module.0.bias"] for i in infos)
    assert [i["sampler"] for i in infos] == [[2, 0], [2, 1]]   # DistributedSampler took the process group


def test_no_sync_accumulates_locally_then_averages(job):
    load, infos = job
    init = load("nosync_init")
    model = _torch_mlp(init)
    x, y = data(10 * 2 * B * WORLD, seed=1)
    # rank 1's gradient of its first micro-batch, before any all-reduce
    probe = _torch_mlp(init)
    rows1 = list(range(1, B * WORLD, WORLD))
    torch.nn.functional.mse_loss(probe(torch.tensor(x[rows1])), torch.tensor(y[rows1])).backward()
    np.testing.assert_allclose(infos[1]["local_grad_after_no_sync"], probe[0].bias.grad.numpy(), rtol=1e-5,
                               atol=1e-7)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    for step in range(10):
        opt.zero_grad()
        for micro in range(2):
            rows = _rows((2 * step + micro) * B * WORLD)
            torch.nn.functional.mse_loss(model(torch.tensor(x[rows])), torch.tensor(y[rows])).backward()
        opt.step()
    finals = [load(f"nosync_final{r}") for r in range(WORLD)]
    for k in finals[0]:
        assert np.array_equal(finals[0][k], finals[1][k]), k
    _assert_same(finals[0], model)


class _Heads(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = torch.nn.Linear(IN, HIDDEN)
        self.a = torch.nn.Linear(HIDDEN, OUT)
        self.b = torch.nn.Linear(HIDDEN, OUT)
        self.c = torch.nn.Linear(HIDDEN, OUT)

    def forward(self, x, use_b):
        h = self.trunk(x).tanh()
        return self.a(h) + self.b(h) if use_b else self.a(h)


def test_find_unused_parameters_averages_with_zeros_and_leaves_unused_grads_alone(job):
    load, infos = job
    init = load("unused_init")
    model = _Heads()
    model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = data(5 * B * WORLD, seed=2)
    for step in range(5):
        opt.zero_grad(set_to_none=True)
        # the average over the ranks of each rank's loss; rank 1 does not use head b
        loss = sum(torch.nn.functional.mse_loss(model(torch.tensor(x[rank_rows(step, r, WORLD)]), use_b=r == 0),
                                                torch.tensor(y[rank_rows(step, r, WORLD)])) for r in range(WORLD))
        (loss / WORLD).backward()
        opt.step()
    assert model.c.weight.grad is None and all(i["c_grad_is_none"] for i in infos)
    finals = [load(f"unused_final{r}") for r in range(WORLD)]
    for k in finals[0]:
        assert np.array_equal(finals[0][k], finals[1][k]), k
    _assert_same(finals[0], model)
    np.testing.assert_array_equal(finals[0]["c.weight"], init["c.weight"])


def test_an_unused_parameter_is_reported_at_the_next_forward(job):
    _, infos = job
    for rank, info in enumerate(infos):
        assert info["unused_error"].startswith("Expected to have finished reduction in the prior iteration")
        assert info["unused_error"].endswith(f"Parameters which did not receive grad for rank {rank}: c.bias, c.weight")


def test_sync_batch_norm_uses_the_global_batch_statistics(job):
    load, _ = job
    init = load("syncbn_init")
    model = torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), torch.nn.BatchNorm1d(HIDDEN), torch.nn.Tanh(),
                                torch.nn.Linear(HIDDEN, OUT))
    model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = data(5 * B * WORLD, seed=4)
    for step in range(5):
        rows = _rows(step * B * WORLD)
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(torch.tensor(x[rows])), torch.tensor(y[rows])).backward()
        opt.step()
    finals = [load(f"syncbn_final{r}") for r in range(WORLD)]
    for k in finals[0]:
        assert np.array_equal(finals[0][k], finals[1][k]), k
    _assert_same(finals[0], model)     # weights and running_mean / running_var / num_batches_tracked
