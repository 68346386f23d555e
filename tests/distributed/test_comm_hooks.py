"""DDP communication hooks against torch's: PyTorch's fp16_compress_hook, fp16_compress_wrapper(allreduce_hook),
allreduce_hook and a user hook returning each rank's own gradients (a completed Future), each training its own
model on 2 gloo ranks from the same weights and rows, give torch's weights on both ranks."""
import numpy as np
import pytest
import torch

import ember
import ember.distributed as dist
from ember.nn.parallel import DistributedDataParallel as DDP

from ._launch import torch_and_ember


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("comm_hooks")
    torch.manual_seed(1)
    m = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    np.savez(tmp / "init.npz", **{k: v.detach().numpy() for k, v in m.state_dict().items()})
    torch_and_ember("comm_hook_job.py", tmp / "init.npz", tmp / "{lib}.npz")
    return dict(np.load(tmp / "ember.npz")), dict(np.load(tmp / "torch.npz"))


@pytest.mark.parametrize("hook", ["fp16", "wrapped", "allreduce", "noop"])
def test_hooked_ddp_trains_to_torchs_weights(weights, hook):
    ours, theirs = weights
    keys = [k for k in theirs if k.startswith(hook + ".")]
    assert keys and sorted(k for k in ours if k.startswith(hook + ".")) == sorted(keys)
    for k in keys:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-5, atol=1e-7, err_msg=k)
    if hook != "noop":      # averaged gradients: the replicas agree; the no-op hook keeps them apart
        for k in keys:
            if ".rank0." in k:
                np.testing.assert_array_equal(ours[k], ours[k.replace(".rank0.", ".rank1.")])


def test_a_hook_is_registered_once_and_must_be_callable():
    dist.init_process_group("gloo", rank=0, world_size=1)
    try:
        model = DDP(ember.nn.Linear(2, 1))
        with pytest.raises(TypeError, match="hook must be callable"):
            model.register_comm_hook(None, 3)
        model.register_comm_hook(None, lambda state, bucket: None)
        with pytest.raises(RuntimeError, match="can only be called once"):
            model.register_comm_hook(None, lambda state, bucket: None)
    finally:
        dist.destroy_process_group()
