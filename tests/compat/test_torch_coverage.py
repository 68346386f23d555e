"""Coverage of PyTorch 2.13's public namespaces by ember, against floors that only go up.

For each namespace, the public names of the installed torch (less the reasoned exclusions in
``torch_exclusions.py``) are counted, and the share ember has must stay at or above the floor
below. The floors are what ember had when they were last set, rounded down; raise them as names
are added (``python -m tests.compat.coverage`` lists what is missing).
"""
import pytest
import torch

from tests.compat import coverage, torch_exclusions

# Set from the committed tree on 2026-12-03, after torch.fft, torch.distributions and the namespace gaps landed.
FLOORS = {
    "torch": 98,
    "torch.nn": 100,
    "torch.nn.functional": 100,
    "torch.optim": 100,
    "torch.utils.data": 100,
    "torch.linalg": 100,
    "torch.special": 100,
    "torch.fft": 100,
    "torch.distributions": 100,
    "torch.Tensor": 98,
}


@pytest.fixture(scope="module")
def rows():
    rows = coverage.table()
    print("\n" + coverage.format_table(rows))
    return rows


def test_the_oracle_is_pytorch_2_13():
    assert torch.__version__.startswith("2.13"), torch.__version__


@pytest.mark.parametrize("namespace", list(FLOORS))
def test_coverage_stays_above_its_floor(rows, namespace):
    percent, have, counted, excluded = rows[namespace]
    assert counted > 0
    assert percent >= FLOORS[namespace], (
        f"{namespace}: ember has {have} of {counted} names ({percent:.1f}%), below the floor of "
        f"{FLOORS[namespace]}%; run python -m tests.compat.coverage --namespace {namespace}\n"
        + coverage.format_table(rows))


def test_every_namespace_has_a_floor():
    assert set(FLOORS) == set(coverage.NAMESPACES)


@pytest.mark.parametrize("namespace,name,expected", [
    ("torch", "os", "the Python module 'os'"),
    ("torch", "cudnn_convolution", "another device"),
    ("torch", "sparse_coo_tensor", "sparse tensors"),
    ("torch", "quantize_per_tensor", "quantized tensors"),
    ("torch", "Graph", "TorchScript IR"),
    ("torch", "FloatStorage", "storages"),
    ("torch.Tensor", "is_cuda", "another device"),
    ("torch", "batch_norm_stats", "only for CUDA"),
    ("torch", "native_norm", "sparse"),
    ("torch", "hsmm", "sparse"),
    ("torch", "torch", "the torch package itself"),
    ("torch", "StorageBase", "storages"),
    ("torch", "from_file", None),
    ("torch", "batch_norm_update_stats", None),
    ("torch", "quantile", None),
    ("torch", "matmul", None),
    ("torch.Tensor", "get_device", None),
    ("torch", "compiler", None),
])
def test_exclusions_are_reasoned_and_do_not_swallow_real_ops(namespace, name, expected):
    theirs = torch.Tensor if namespace == "torch.Tensor" else torch
    why = torch_exclusions.reason(namespace, name, getattr(theirs, name))
    assert (why is None) if expected is None else (expected in why)
