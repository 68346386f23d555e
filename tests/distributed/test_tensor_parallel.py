"""Tensor parallelism against torch's: jobs/tp_job.py (a rowwise embedding and two colwise/rowwise feed-forward
pairs under a wildcard plan, AdamW, clip_grad_norm_ over the DTensor gradients) on 2 gloo ranks under torch and
under ember, from the same weights and tokens, records the same layouts, losses, norms, gradient types and final
whole weights."""
import json

import numpy as np
import pytest
import torch

import ember
import ember.distributed as dist
from ember.distributed.tensor import Replicate
from ember.distributed.tensor.parallel import parallelize_module, RowwiseParallel, ColwiseParallel, SequenceParallel

from ._launch import torch_and_ember
from .test_fsdp import _same


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tp")
    torch.manual_seed(0)
    nn = torch.nn
    ff = lambda: nn.ModuleDict(dict(w1=nn.Linear(6, 8), w2=nn.Linear(8, 6)))  # noqa: E731
    net = nn.ModuleDict(dict(tok=nn.Embedding(10, 6), layers=nn.ModuleList([ff(), ff()]), head=nn.Linear(6, 4)))
    np.savez(tmp / "init.npz", **{k: v.detach().numpy() for k, v in net.state_dict().items()})
    torch_and_ember("tp_job.py", tmp / "init.npz", tmp / "{lib}.json")
    return json.loads((tmp / "ember.json").read_text()), json.loads((tmp / "torch.json").read_text())


@pytest.mark.parametrize("what", ["layouts", "losses", "grad_types", "weights"])
def test_tensor_parallel_program_records_what_torch_records(runs, what):
    ours, theirs = runs
    for rank in (0, 1):
        _same(ours[rank][what], theirs[rank][what], f"rank{rank}.{what}")
    assert ours[0]["losses"][0][0] > ours[0]["losses"][2][0]


def test_unsupported_layouts_say_what_to_do():
    dist.init_process_group("gloo", rank=0, world_size=1)
    try:
        with pytest.raises(NotImplementedError, match="input_layouts=Replicate"):
            parallelize_module(ember.nn.Embedding(4, 2), None, RowwiseParallel())
        with pytest.raises(NotImplementedError, match="ColwiseParallel and RowwiseParallel"):
            SequenceParallel()
        with pytest.raises(ValueError, match="no submodule"):
            parallelize_module(ember.nn.Sequential(ember.nn.Linear(2, 2)), None, {"nope": ColwiseParallel()})
        emb = parallelize_module(ember.nn.Embedding(4, 2), None, RowwiseParallel(input_layouts=Replicate()))
        assert emb(ember.tensor([[1, 3]])).shape == (1, 2, 2)
    finally:
        dist.destroy_process_group()
