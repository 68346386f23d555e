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


ERRORS = [
    ("quantile_q_range", lambda L: L.quantile(L.ones(3), 1.5), r"q values must be in the range \[0, 1\]"),
    ("quantile_int", lambda L: L.quantile(L.tensor([1, 2]), 0.5), "float or double"),
    ("quantile_interp", lambda L: L.quantile(L.ones(3), 0.5, interpolation="cubic"), "interpolation"),
    ("quantile_q_2d", lambda L: L.quantile(L.ones(3), L.ones(2, 2) / 2), "1D tensor"),
    ("cummax_dim", lambda L: L.cummax(L.ones(2, 3), 2), "out of range"),
    ("diff_0d", lambda L: L.diff(L.tensor(1.0)), "at least one-dimensional"),
    ("trapezoid_x_len", lambda L: L.trapezoid(L.ones(3, 4), L.ones(3)), "There must be one `x` value"),
    ("cov_3d", lambda L: L.cov(L.ones(2, 2, 2)), "two or fewer dimensions"),
    ("cov_fweights_len", lambda L: L.cov(L.ones(2, 3), fweights=L.tensor([1, 2])), "fweights"),
    ("cov_aweights_neg", lambda L: L.cov(L.ones(2, 3), aweights=L.tensor([1.0, -1.0, 1.0])), "negative"),
    ("bincount_2d", lambda L: L.bincount(L.tensor([[1, 2]])), "1-d non-negative integral"),
    ("bincount_negative", lambda L: L.bincount(L.tensor([1, -2])), "1-d non-negative integral"),
    ("histc_bins", lambda L: L.histc(L.ones(3), bins=0), "bins must be > 0"),
    ("histc_range", lambda L: L.histc(L.ones(3), 4, 2, 1), "max must be larger than min"),
    ("bucketize_2d_boundaries", lambda L: L.bucketize(L.ones(3), L.ones(2, 2)), "boundaries tensor must be 1 dim"),
    ("searchsorted_side", lambda L: L.searchsorted(L.ones(3), L.ones(2), side="middle"), "side can only be"),
    ("searchsorted_leading", lambda L: L.searchsorted(L.ones(2, 3), L.ones(3, 1)), "first N-1 dimensions"),
    ("cdist_cols", lambda L: L.cdist(L.ones(3, 2), L.ones(4, 3)), "same number of columns"),
    ("cdist_1d", lambda L: L.cdist(L.ones(3), L.ones(3)), "at least 2D"),
    ("cdist_dtypes", lambda L: L.cdist(L.ones(2, 3), L.ones(2, 3, dtype=L.float64)), "same dtype"),
    ("dist_int", lambda L: L.dist(L.tensor([1, 2]), L.tensor([3, 4])), "floating point"),
    ("pdist_3d", lambda L: L.pdist(L.ones(2, 2, 2)), "2D"),
    ("renorm_1d", lambda L: L.renorm(L.ones(3), 2, 0, 1.0), "at least 2 dimensions"),
    ("cross_size", lambda L: L.cross(L.ones(2, 4), L.ones(2, 4), dim=1), "must have length 3"),
    ("tensordot_mismatch", lambda L: L.tensordot(L.ones(2, 3), L.ones(4, 2), 1), "contracted dimensions"),
    ("trace_3d", lambda L: L.trace(L.ones(2, 2, 2)), "expected a matrix"),
    ("block_diag_3d", lambda L: L.block_diag(L.ones(2, 2, 2)), "2 or fewer dimensions"),
    ("combinations_2d", lambda L: L.combinations(L.ones(2, 2)), "Expect a 1D vector"),
    ("hsplit_divisible", lambda L: L.hsplit(L.ones(2, 5), 2), "not divisible"),
    ("dsplit_ndim", lambda L: L.dsplit(L.ones(2, 4), 2), "at least 3 dimension"),
    ("unfold_size", lambda L: L.ones(2, 3).unfold(1, 4, 1), "maximum size for tensor at dimension 1 is 3"),
    ("unfold_step", lambda L: L.ones(2, 3).unfold(1, 2, 0), "step is 0 but must be > 0"),
    ("sum_to_size", lambda L: L.ones(2, 3).sum_to_size(4, 3), "is not expandable to size"),
    ("index_copy_shape", lambda L: L.ones(3, 4).index_copy(0, L.tensor([0]), L.ones(2, 4)), "source"),
    ("index_copy_range", lambda L: L.ones(3, 4).index_copy(0, L.tensor([5]), L.ones(1, 4)), "out of"),
    ("index_reduce_mode", lambda L: L.ones(3).index_reduce(0, L.tensor([0]), L.ones(1), "sum"), "reduce"),
    ("put_range", lambda L: L.ones(2, 2).put(L.tensor([7]), L.ones(1)), "out of range"),
    ("put_count", lambda L: L.ones(2, 2).put(L.tensor([1, 2]), L.ones(3)), "same number of elements"),
    ("select_scatter_shape", lambda L: L.select_scatter(L.ones(3, 4), L.ones(4), 1, 0), "src"),
    ("slice_scatter_shape", lambda L: L.slice_scatter(L.ones(3, 4), L.ones(3, 3), 1, 0, 2), "src"),
    ("diagonal_scatter_shape", lambda L: L.diagonal_scatter(L.ones(3, 4), L.ones(4)), "src"),
    ("as_strided_bounds", lambda L: L.ones(2, 2).as_strided((3, 3), (2, 1)), "out of bounds for storage"),
    ("addr_vec", lambda L: L.addr(L.ones(2, 2), L.ones(2, 1), L.ones(2)), "1-D"),
    ("chain_matmul_1d", lambda L: L.chain_matmul(L.ones(2, 2), L.ones(2)), "2D"),
]


@pytest.mark.parametrize("name,fn,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_inputs_raise_like_torch(name, fn, match):
    with pytest.raises(Exception):
        fn(torch)
    with pytest.raises((RuntimeError, IndexError, TypeError, ValueError), match=match):
        fn(ember)


def test_storage_geometry_matches_torch():
    xe, xt = ember.arange(20.0).reshape(4, 5), torch.arange(20.0).reshape(4, 5)
    for f in (lambda x: x[1:, 2:], lambda x: x.t()[1], lambda x: x[2], lambda x: x.unfold(1, 2, 2)):
        assert f(xe).storage_offset() == f(xt).storage_offset()
        assert f(xe).stride() == f(xt).stride()
    e = ember.empty_strided((2, 3), (1, 2))
    t = torch.empty_strided((2, 3), (1, 2))
    assert e.shape == t.shape and e.stride() == t.stride()
    n = xe.new_empty_strided((3, 2), (1, 3))
    assert n.stride() == (1, 3) and n.dtype == ember.float32
    v = xe.unfold(0, 2, 1)
    v[0, 0, 0] = 100.0            # a view: the write shows through
    assert xe[0, 0].item() == 100.0


def test_python_callable_methods_match_torch():
    a = np.arange(6.0).reshape(2, 3)
    e, t = ember.tensor(a), torch.tensor(a)
    e.apply_(lambda v: v * v + 1)
    t.apply_(lambda v: v * v + 1)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    e.map_(ember.tensor([1.0, 2.0, 3.0]), lambda u, v: u - v)
    t.map_(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), lambda u, v: u - v)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    e.map2_(ember.ones(2, 3, dtype=ember.float64), ember.tensor(2.0, dtype=ember.float64), lambda u, v, w: u * w + v)
    t.map2_(torch.ones(2, 3, dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64), lambda u, v, w: u * w + v)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    with pytest.raises(RuntimeError, match="apply_"):
        ember.ones(2, requires_grad=True).apply_(lambda v: v)


def test_fill_diagonal_and_resize_as_match_torch():
    for shape, wrap in (((3, 3), False), ((5, 2), True), ((5, 2), False), ((2, 2, 2), False)):
        e, t = ember.zeros(*shape), torch.zeros(*shape)
        e.fill_diagonal_(4.0, wrap=wrap)
        t.fill_diagonal_(4.0, wrap=wrap)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    x = ember.randn(3, 3, requires_grad=True)
    y = (x * 1).fill_diagonal_(0.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 1 - np.eye(3))
    e = ember.arange(6.0)
    e.resize_as_(ember.zeros(2, 3))
    t = torch.arange(6.0)
    t.resize_as_(torch.zeros(2, 3))
    np.testing.assert_array_equal(e.numpy(), t.numpy())
