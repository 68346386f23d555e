"""The generic op checks of test_ops.py (forward float32/float64 and int64 against torch, gradients against
torch, float64 gradcheck and gradgradcheck, non-contiguous inputs) over op_table_tensor.py, plus the
error cases of those ops."""
import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck

from .op_table_tensor import OPS
from .test_ops import make_inputs, run_both, assert_close, _is_float

CASES = [(op, i) for op in OPS for i in range(len(op.samples))]
IDS = [f"{op.name}-{i}" for op, i in CASES]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("op,i", CASES, ids=IDS)
def test_forward_matches_torch(op, i, dtype):
    arrays = make_inputs(op, op.samples[i], dtype)
    _, _, ye, yt = run_both(op, arrays, requires_grad=False)
    assert_close(ye, yt, op.atol if dtype == "float64" else 1e-5, f"{op.name} forward")


INT = [c for c in CASES if c[0].int_ok]


@pytest.mark.parametrize("op,i", INT, ids=[f"{c[0].name}-{c[1]}" for c in INT])
def test_forward_int64_matches_torch(op, i):
    arrays = make_inputs(op, op.samples[i], "int64")
    _, _, ye, yt = run_both(op, arrays, requires_grad=False)
    assert_close(ye, yt, 0, f"{op.name} int64 forward")


NC = [c for c in CASES if c[0].noncontig]


@pytest.mark.parametrize("op,i", NC, ids=[f"{c[0].name}-{c[1]}" for c in NC])
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


GRAD = [c for c in CASES if c[0].grad]
GRAD_IDS = [f"{c[0].name}-{c[1]}" for c in GRAD]


@pytest.mark.parametrize("op,i", GRAD, ids=GRAD_IDS)
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
        np.testing.assert_allclose(eg, tg, rtol=1e-5, atol=1e-6, err_msg=f"{op.name} grad of input {k}")


@pytest.mark.parametrize("op,i", GRAD, ids=GRAD_IDS)
def test_gradcheck_float64(op, i):
    arrays = make_inputs(op, op.samples[i], "float64", seed=2)
    xs = [ember.tensor(a, requires_grad=_is_float(a)) for a in arrays]
    assert gradcheck(lambda *ts: op.fn(ember, *ts), tuple(xs), eps=op.fd_eps, atol=op.fd_atol, rtol=1e-4)


GG = [c for c in GRAD if c[0].gradgrad and c[1] == 0]


@pytest.mark.parametrize("op,i", GG, ids=[c[0].name for c in GG])
def test_second_order_gradcheck(op, i):
    arrays = make_inputs(op, op.samples[i], "float64", seed=3)
    xs = [ember.tensor(a, requires_grad=_is_float(a)) for a in arrays]
    assert gradgradcheck(lambda *ts: op.fn(ember, *ts), tuple(xs), eps=1e-6, atol=1e-4, rtol=1e-3)
