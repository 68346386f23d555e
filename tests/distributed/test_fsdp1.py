"""PyTorch's FSDP1 wrapper (FullyShardedDataParallel) against torch's: the same program (jobs/fsdp1_job.py) on 2 gloo
ranks under real torch and under ember, from the same weights and rows, records the same module tree, flat
parameter names and shapes, losses and FSDP.clip_grad_norm_ norms, full state dicts (rank0_only too), whole
optimizer state that loads back and resumes exactly, summon_full_params with writeback, use_orig_params shapes and
a no_sync accumulation."""
import json

import numpy as np
import pytest
import torch

import ember
import ember.distributed as dist
from ember.distributed.fsdp import FullyShardedDataParallel as FSDP
from ember.distributed.fsdp.wrap import size_based_auto_wrap_policy, ModuleWrapPolicy, enable_wrap, wrap

from ._launch import torch_and_ember
from .test_fsdp import _same


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fsdp1")
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    np.savez(tmp / "init.npz", **{k: v.detach().numpy() for k, v in m.state_dict().items()})
    torch_and_ember("fsdp1_job.py", tmp / "init.npz", tmp / "{lib}.json")
    return json.loads((tmp / "ember.json").read_text()), json.loads((tmp / "torch.json").read_text())


@pytest.mark.parametrize("what", ["repr", "params", "losses", "state_dict", "rank0_only_keys", "optim",
                                  "optim_params", "resumed", "summon_shapes", "after_writeback", "orig_params",
                                  "accumulated"])
def test_fsdp1_program_records_what_torch_records(runs, what):
    ours, theirs = runs
    for rank in (0, 1):
        _same(ours[rank][what], theirs[rank][what], f"rank{rank}.{what}")


def test_the_record_is_not_trivial(runs):
    ours, _ = runs
    assert ours[0]["params"][1] == ["_fsdp_wrapped_module.2._fsdp_wrapped_module._flat_param", [14]]
    assert ours[1]["rank0_only_keys"] == [] and len(ours[0]["rank0_only_keys"]) == 4
    assert ours[0]["resumed"][0] == ours[0]["resumed"][1]


def test_needs_a_cpu_device_id_as_torch_and_wraps_by_policy():
    dist.init_process_group("gloo", rank=0, world_size=1)
    try:
        with pytest.raises(RuntimeError, match="non-CPU accelerator"):
            FSDP(ember.nn.Linear(2, 2))
        cpu = ember.device("cpu")
        net = ember.nn.Sequential(ember.nn.Linear(4, 4), ember.nn.ReLU(), ember.nn.Linear(4, 2))
        f = FSDP(net, device_id=cpu, auto_wrap_policy=ModuleWrapPolicy({ember.nn.Linear}))
        assert [type(m).__name__ for m in f.module] == ["FullyShardedDataParallel", "ReLU", "FullyShardedDataParallel"]
        assert size_based_auto_wrap_policy(net, recurse=False, nonwrapped_numel=10, min_num_params=11) is False
        with enable_wrap(wrapper_cls=FSDP, device_id=cpu):
            assert isinstance(wrap(ember.nn.Linear(2, 2)), FSDP)
        assert not isinstance(wrap(ember.nn.Linear(2, 2)), FSDP)
        x = ember.ones(3, 4)
        ref = ember.nn.Sequential(ember.nn.Linear(4, 4), ember.nn.ReLU(), ember.nn.Linear(4, 2))
        ref.load_state_dict(f.state_dict())
        np.testing.assert_allclose(f(x).detach().numpy(), ref(x).detach().numpy(), rtol=1e-6)
    finally:
        dist.destroy_process_group()
