"""Generic op tests driven by the op table: forward and gradients against PyTorch 2.13,
float64 gradcheck and second-order gradcheck, non-contiguous inputs and integer dtypes."""
import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck

from .op_table import OPS

CASES = [(op, i) for op in OPS for i in range(len(op.samples))]
IDS = [f"{op.name}-{i}" for op, i in CASES]


def _values(rng, shape, domain, dtype):
    a = rng.standard_normal(shape)
    if domain == "pos":
        a = np.abs(a) + 0.5
    elif domain == "unit":
        a = rng.uniform(-0.9, 0.9, shape)
    elif domain == "nonzero":
        a = np.sign(a + 1e-12) * (np.abs(a) + 0.5)
    elif domain == "int":
        a = rng.integers(-5, 6, shape)
    return np.asarray(a, dtype=dtype)


def make_inputs(op, sample, dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    kind = op.index_args
    for k, shape in enumerate(sample):
        if kind == "only_idx5":
            arrays.append(rng.integers(0, 5, shape).astype(np.int64))
        elif kind == "idx5" and k == 1:
            arrays.append(rng.integers(0, 5, shape).astype(np.int64))
        elif kind == "idx_dim1" and k == 1:
            arrays.append(rng.integers(0, sample[0][1], shape).astype(np.int64))
        elif dtype == "int64":
            a = rng.integers(-4, 5, shape)
            if op.domain in ("pos", "nonzero"):
                a = np.where(a <= 0, np.abs(a) + 1, a)
            arrays.append(a.astype(np.int64))
        else:
            arrays.append(_values(rng, shape, op.domain, dtype))
    return arrays


def _is_float(a):
    return a.dtype.kind == "f"


def run_both(op, arrays, requires_grad, noncontig=False):
    def conv(lib, a):
        if noncontig and a.ndim >= 2:
            base = np.ascontiguousarray(np.swapaxes(a, 0, 1))
            view = np.swapaxes(base, 0, 1)
            t = ember.from_numpy(view) if lib is ember else torch.from_numpy(base).transpose(0, 1)
        else:
            t = ember.from_numpy(a.copy()) if lib is ember else torch.from_numpy(a.copy())
        if requires_grad and _is_float(a):
            t.requires_grad_(True)
        return t
    xe = [conv(ember, a) for a in arrays]
    xt = [conv(torch, a) for a in arrays]
    return xe, xt, op.fn(ember, *xe), op.fn(torch, *xt)


def _np(t):
    return t.detach().numpy()


def assert_close(e, t, atol, what):
    a, b = _np(e), _np(t)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch {b.shape}"
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"{what}: dtype {e.dtype} != {t.dtype}"
    if a.dtype.kind == "f":
        np.testing.assert_allclose(a, b, rtol=1e-5 if a.dtype == np.float64 else 1e-4, atol=atol, err_msg=what)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("op,i", CASES, ids=IDS)
def test_forward_matches_torch(op, i, dtype):
    if dtype not in op.dtypes:
        pytest.fail(f"{op.name} does not declare {dtype}")
    arrays = make_inputs(op, op.samples[i], dtype)
    _, _, ye, yt = run_both(op, arrays, requires_grad=False)
    assert_close(ye, yt, op.atol if dtype == "float64" else 1e-5, f"{op.name} forward")


@pytest.mark.parametrize("op,i", [c for c in CASES if c[0].int_ok], ids=[x for c, x in zip(CASES, IDS) if c[0].int_ok])
def test_forward_int64_matches_torch(op, i):
    arrays = make_inputs(op, op.samples[i], "int64")
    _, _, ye, yt = run_both(op, arrays, requires_grad=False)
    assert_close(ye, yt, 0, f"{op.name} int64 forward")


@pytest.mark.parametrize("op,i", [c for c in CASES if c[0].noncontig], ids=[x for c, x in zip(CASES, IDS) if c[0].noncontig])
def test_noncontiguous_inputs(op, i):
    arrays = make_inputs(op, op.samples[i], "float64")
    xe, xt, ye, yt = run_both(op, arrays, requires_grad=op.grad, noncontig=True)
    assert_close(ye, yt, op.atol, f"{op.name} non-contiguous forward")
    if op.grad and yt.requires_grad:
        g = np.random.default_rng(1).standard_normal(tuple(yt.shape))
        ye.backward(ember.tensor(g))
        yt.backward(torch.from_numpy(g))
        for a, b in zip(xe, xt):
            if b.grad is not None:
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6)


GRAD_CASES = [c for c in CASES if c[0].grad]
GRAD_IDS = [x for c, x in zip(CASES, IDS) if c[0].grad]


@pytest.mark.parametrize("op,i", GRAD_CASES, ids=GRAD_IDS)
def test_gradient_matches_torch(op, i):
    arrays = make_inputs(op, op.samples[i], "float64")
    xe, xt, ye, yt = run_both(op, arrays, requires_grad=True)
    assert ye.requires_grad == yt.requires_grad, f"{op.name}: requires_grad {ye.requires_grad} != torch"
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape))
    ye.backward(ember.tensor(g))
    yt.backward(torch.from_numpy(g))
    for k, (a, b) in enumerate(zip(xe, xt)):
        if not _is_float(arrays[k]):
            continue
        tg = b.grad.numpy() if b.grad is not None else np.zeros(b.shape)
        eg = a.grad.numpy() if a.grad is not None else np.zeros(a.shape)
        assert a.grad is None or a.grad.shape == a.shape
        np.testing.assert_allclose(eg, tg, rtol=1e-5, atol=1e-6, err_msg=f"{op.name} grad of input {k}")


@pytest.mark.parametrize("op,i", GRAD_CASES, ids=GRAD_IDS)
def test_gradcheck_float64(op, i):
    arrays = make_inputs(op, op.samples[i], "float64", seed=2)
    xs = [ember.tensor(a, requires_grad=_is_float(a)) for a in arrays]
    assert gradcheck(lambda *ts: op.fn(ember, *ts), tuple(xs), eps=op.fd_eps, atol=op.fd_atol, rtol=1e-4)


GG = [c for c in GRAD_CASES if c[0].gradgrad and c[1] == 0]


@pytest.mark.parametrize("op,i", GG, ids=[f"{c[0].name}" for c in GG])
def test_second_order_gradcheck(op, i):
    arrays = make_inputs(op, op.samples[i], "float64", seed=3)
    xs = [ember.tensor(a, requires_grad=_is_float(a)) for a in arrays]
    assert gradgradcheck(lambda *ts: op.fn(ember, *ts), tuple(xs), eps=1e-6, atol=1e-4, rtol=1e-3)


def test_table_covers_every_op_family():
    names = {op.name for op in OPS}
    for required in ["add", "matmul_2d", "einsum", "softmax", "log_softmax", "gather", "scatter_add",
                     "cumprod", "topk", "sort", "var", "norm", "logsumexp", "getitem_mask"]:
        assert required in names
