"""Uneven inputs under ``Join`` against torch's: PyTorch's DDP (+ ZeroRedundancyOptimizer) on 2 gloo ranks where
rank r trains on 3 + 2 r batches, from the same weights and rows, ends with torch's weights on both ranks; with
``throw_on_early_termination`` both frameworks stop every rank at the same step with the same errors."""
import numpy as np
import pytest
import torch

import ember
import ember.distributed as dist
from ember.distributed.algorithms.join import Join, Joinable, JoinHook
from ember.nn.parallel import DistributedDataParallel as DDP

from ._launch import torch_and_ember


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("join")
    torch.manual_seed(1)
    nn = torch.nn
    m = nn.ModuleDict(dict(fc1=nn.Linear(5, 8), norm=nn.BatchNorm1d(8), fc2=nn.Linear(8, 1), extra=nn.Linear(8, 1)))
    np.savez(tmp / "init.npz", **{k: v.detach().numpy() for k, v in m.state_dict().items()})
    torch_and_ember("join_job.py", tmp / "init.npz", tmp / "{lib}.npz")
    return dict(np.load(tmp / "ember.npz")), dict(np.load(tmp / "torch.npz"))


@pytest.mark.parametrize("case", ["plain", "divide_active", "batchnorm", "unused", "zero"])
def test_uneven_inputs_train_to_torchs_weights(weights, case):
    ours, theirs = weights
    keys = sorted(k for k in theirs if k.startswith(case + "."))
    assert keys and sorted(k for k in ours if k.startswith(case + ".")) == keys
    for k in keys:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-5, atol=1e-6, err_msg=k)
    for k in keys:      # the last joiner's model reached every rank
        if ".rank0." in k:
            np.testing.assert_array_equal(ours[k], ours[k.replace(".rank0.", ".rank1.")])


def test_divisor_matters(weights):
    ours, _ = weights
    assert not np.allclose(ours["plain.rank0.fc2.weight"], ours["divide_active.rank0.fc2.weight"])


def test_throw_on_early_termination_stops_every_rank_alike(weights):
    ours, theirs = weights
    for rank in (0, 1):
        for what in ("steps", "caught"):
            k = f"throw.rank{rank}.{what}"
            assert ours[k] == theirs[k], k
    assert ours["throw.rank1.caught"] == 1 and ours["throw.rank0.steps"] == 2


def test_join_needs_a_joinable_and_one_process_group():
    with pytest.raises(ValueError, match="at least one joinable"):
        Join([])
    dist.init_process_group("gloo", rank=0, world_size=1)
    try:
        model = DDP(ember.nn.Linear(2, 1))
        with model.join():          # one rank: nothing to shadow; the block runs as is
            model(ember.ones(3, 2)).sum().backward()
        assert model.module.weight.grad is not None

        class Counting(Joinable):
            def __init__(self):
                super().__init__()
                self.posts = []

            def join_hook(self, **kwargs):
                outer = self

                class Hook(JoinHook):
                    def post_hook(self, is_last_joiner):
                        outer.posts.append(is_last_joiner)
                return Hook()

            @property
            def join_device(self):
                return ember.device("cpu")

            @property
            def join_process_group(self):
                return dist.group.WORLD

        c = Counting()
        with Join([c]):
            assert Join.notify_join_context(c) is not None
        assert c.posts == [True]
        with Join([c], enable=False):
            assert Join.notify_join_context(c) is None
    finally:
        dist.destroy_process_group()
