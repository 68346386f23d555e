"""PyTorch's module paths in ember: nn.modules.*, nn.parallel, utils.data submodules and
DistributedSampler (same indices as torch's), backends, accelerator, version."""
import importlib

import numpy as np
import pytest
import torch

import ember
from ember import nn

NN_SUBMODULES = ["linear", "conv", "activation", "loss", "pooling", "batchnorm", "normalization", "dropout", "rnn",
                 "sparse", "container", "module", "flatten", "padding", "transformer", "pixelshuffle", "upsampling",
                 "distance", "instancenorm", "channelshuffle", "fold"]


@pytest.mark.parametrize("sub", NN_SUBMODULES)
def test_nn_modules_submodule_reexports_the_same_classes(sub):
    ours = importlib.import_module(f"ember.nn.modules.{sub}")
    theirs = importlib.import_module(f"torch.nn.modules.{sub}")
    shared = [n for n in theirs.__all__ if hasattr(nn, n)]
    for name in shared:
        assert getattr(ours, name) is getattr(nn, name), f"nn.modules.{sub}.{name}"
        assert name in ours.__all__ and name in dir(ours)
    assert set(ours.__all__) <= set(dir(theirs))
    assert getattr(nn.modules, sub) is ours
    with pytest.raises(AttributeError, match=f"ember.nn.modules.{sub}' has no attribute 'Nope'"):
        ours.Nope


def test_nn_modules_paths_used_by_pytorch_code():
    from ember.nn.modules.batchnorm import _BatchNorm
    from ember.nn.modules.conv import _ConvNd
    from ember.nn.modules.linear import Linear
    from ember.nn.modules.loss import _Loss
    from ember.nn.modules.module import Module
    from ember.nn.modules.utils import _pair, _triple
    assert Linear is nn.Linear and Module is nn.Module and nn.modules.Linear is nn.Linear
    assert isinstance(nn.BatchNorm2d(3), _BatchNorm) and isinstance(nn.Conv2d(1, 2, 3), _ConvNd)
    assert isinstance(nn.MSELoss(), _Loss)
    assert _pair(3) == torch.nn.modules.utils._pair(3) == (3, 3) and _triple((1, 2, 3)) == (1, 2, 3)
    assert nn.modules.module.register_module_forward_hook is nn.hooks.register_module_forward_hook


def test_data_parallel_is_a_pass_through_like_torch_on_cpu():
    torch_model = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    model = nn.DataParallel(nn.Linear(3, 2))
    assert nn.DataParallel is nn.parallel.DataParallel
    assert list(model.state_dict()) == list(torch_model.state_dict()) == ["module.weight", "module.bias"]
    model.load_state_dict({k: v.detach().numpy() for k, v in torch_model.state_dict().items()})
    x = np.random.randn(5, 3).astype(np.float32)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    torch_model(tx).square().sum().backward()
    model(ex).square().sum().backward()
    np.testing.assert_allclose(model(ex).detach().numpy(), torch_model(tx).detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(model.module.weight.grad.numpy(), torch_model.module.weight.grad.numpy(), rtol=1e-5)
    assert [p is q for p, q in zip(model.parameters(), model.module.parameters())] == [True, True]
    assert nn.parallel.data_parallel(model.module, ember.tensor(x)).shape == (5, 2)
    with pytest.raises(RuntimeError, match="DataParallel: device 0 was requested, but ember runs on the CPU"):
        nn.DataParallel(nn.Linear(3, 2), device_ids=[0])


def test_utils_data_submodules():
    from ember.utils.data import dataloader, dataset, distributed, sampler
    import ember.utils.data as data
    assert dataloader.DataLoader is data.DataLoader and dataloader.get_worker_info is data.get_worker_info
    assert dataset.TensorDataset is data.TensorDataset and sampler.RandomSampler is data.RandomSampler
    assert distributed.DistributedSampler is data.DistributedSampler
    for mod in (dataloader, dataset, sampler, distributed):
        theirs = importlib.import_module(f"torch.utils.data.{mod.__name__.rpartition('.')[2]}")
        assert all(hasattr(theirs, n) for n in mod.__all__)


@pytest.mark.parametrize("n,replicas,shuffle,drop_last,seed,epoch", [
    (10, 3, True, False, 0, 0), (10, 3, True, True, 0, 0), (10, 3, False, False, 0, 0), (10, 3, False, True, 5, 1),
    (101, 4, True, False, 42, 3), (7, 8, True, False, 1, 0), (2, 5, True, False, 0, 2), (1000, 2, True, True, 7, 9),
])
def test_distributed_sampler_gives_torchs_indices(n, replicas, shuffle, drop_last, seed, epoch):
    from ember.utils.data.distributed import DistributedSampler
    for rank in range(replicas):
        ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed,
                                  drop_last=drop_last)
        theirs = torch.utils.data.DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle,
                                                     seed=seed, drop_last=drop_last)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_distributed_sampler_with_a_dataloader_and_errors():
    from ember.utils.data import DataLoader, DistributedSampler, TensorDataset
    data = TensorDataset(ember.arange(12))
    shards = []
    for rank in range(3):
        sampler = DistributedSampler(data, num_replicas=3, rank=rank, seed=3)
        sampler.set_epoch(1)
        shards.append([int(v) for (batch,) in DataLoader(data, batch_size=2, sampler=sampler) for v in batch])
    assert sorted(sum(shards, [])) == list(range(12))
    assert shards[0] != [0, 3, 6, 9]
    assert list(DistributedSampler(range(4), shuffle=False)) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        DistributedSampler(data, num_replicas=3, rank=3)


class _WhoLoads:
    def __len__(self):
        return 8

    def __getitem__(self, i):
        from ember.utils.data import get_worker_info
        info = get_worker_info()
        return ember.tensor([i, info.id, info.num_workers])


def test_get_worker_info_inside_and_outside_workers():
    from ember.utils.data import DataLoader, get_worker_info
    assert get_worker_info() is None
    rows = ember.cat(list(DataLoader(_WhoLoads(), batch_size=2, num_workers=2))).tolist()
    assert [r[0] for r in rows] == list(range(8))
    assert {r[1] for r in rows} == {0, 1} and {r[2] for r in rows} == {2}


def test_backends_accelerator_and_version_answer_as_a_cpu_build():
    import ember.backends.cuda
    import ember.backends.cudnn
    import ember.backends.mps
    b = ember.backends
    assert b.mps.is_available() is False and b.mps.is_built() is False
    assert b.cuda.is_built() is False and b.cuda.matmul.allow_tf32 is False
    b.cuda.matmul.allow_tf32 = True
    b.cudnn.benchmark = True
    assert b.cuda.matmul.allow_tf32 and b.cudnn.benchmark
    b.cuda.matmul.allow_tf32 = b.cudnn.benchmark = False
    assert b.cudnn.is_available() is False and b.cudnn.version() is None
    assert b.mkldnn.is_available() is False and b.openmp.is_available() is False
    with b.cuda.sdp_kernel(enable_flash=False):
        assert not b.cuda.flash_sdp_enabled() and b.cuda.math_sdp_enabled()
    assert b.cuda.flash_sdp_enabled()
    for name in ["is_built", "matmul", "flash_sdp_enabled", "enable_flash_sdp", "math_sdp_enabled",
                 "mem_efficient_sdp_enabled", "preferred_linalg_library"]:
        assert hasattr(torch.backends.cuda, name) and hasattr(b.cuda, name)
    acc = ember.accelerator
    assert (acc.is_available(), acc.current_accelerator(), acc.device_count()) == (False, None, 0)
    assert (torch.accelerator.is_available(), torch.accelerator.current_accelerator(),
            torch.accelerator.device_count()) == (False, None, 0)
    with pytest.raises(RuntimeError, match="none is available"):
        acc.current_device_index()
    assert ember.version.__version__ == ember.__version__ and ember.version.cuda is None
    assert torch.version.cuda is None


def test_layout_and_memory_format_constants():
    x = ember.zeros(2, 3)
    assert x.layout == ember.strided and torch.zeros(2).layout == torch.strided
    for name in ["contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
                 "legacy_contiguous_format"]:
        assert isinstance(getattr(ember, name), ember.memory_format)
        assert repr(getattr(ember, name)) == repr(getattr(torch, name)).replace("torch.", "ember.")
    assert ember.zeros_like(x, memory_format=ember.preserve_format).shape == (2, 3)
    model = nn.Conv2d(1, 2, 3).to(memory_format=ember.channels_last)
    assert model(ember.zeros(1, 1, 5, 5)).shape == (1, 2, 3, 3)


def test_distributed_is_available_and_fails_as_torch_before_init():
    dist = ember.distributed
    assert dist.is_available() is torch.distributed.is_available() is True and dist.is_initialized() is False
    assert torch.distributed.is_initialized() is False
    for fn in (dist.get_rank, dist.get_world_size):
        with pytest.raises(ValueError) as ours:
            fn()
        with pytest.raises(ValueError) as theirs:
            getattr(torch.distributed, fn.__name__)()
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError,
                       match=r"init_process_group\(backend='nccl'\): ember's backends are 'gloo'.*'nccl' needs GPUs"):
        dist.init_process_group("nccl")
