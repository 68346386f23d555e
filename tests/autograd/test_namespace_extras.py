"""torch.gradient, segment_reduce, histogramdd, binomial, cond, while_loop, svd_lowrank,
pca_lowrank, lobpcg, frombuffer, from_dlpack and to_dlpack against PyTorch (values, gradients
where differentiable, float64 gradcheck, shared memory)."""
import array

import numpy as np
import pytest
import torch

import ember
from ember.func.control_flow import cond, while_loop
from ember.functional import lowrank, numeric
from ember.io import interop
from tests.nn.helpers import assert_close


@pytest.mark.parametrize("kw", [dict(), dict(spacing=2.0), dict(spacing=[1.5, 0.5]), dict(dim=1, edge_order=2),
                                dict(dim=[0], spacing=[np.array([0.0, 1.0, 3.0, 4.5])], edge_order=2),
                                dict(dim=0, spacing=[np.array([0.0, 0.5, 3.0, 4.0])])])
def test_gradient(kw):
    x = np.random.default_rng(0).standard_normal((4, 5))

    def spacing(lib):
        s = kw.get("spacing", 1)
        return [lib.tensor(v) if isinstance(v, np.ndarray) else v for v in s] if isinstance(s, list) else s
    rest = {k: v for k, v in kw.items() if k != "spacing"}
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = numeric.gradient(ex, spacing=spacing(ember), **rest)
    theirs = torch.gradient(tx, spacing=spacing(torch), **rest)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_close(a, b)
    sum((a * a).sum() for a in ours).backward()
    sum((b * b).sum() for b in theirs).backward()
    assert_close(ex.grad, tx.grad)
    assert ember.autograd.gradcheck(lambda t: numeric.gradient(t, spacing=spacing(ember), **rest)[0],
                                    (ember.tensor(x, requires_grad=True),))


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "prod"])
@pytest.mark.parametrize("initial", [None, 0.5])
@pytest.mark.parametrize("form", ["lengths", "offsets"])
def test_segment_reduce(reduce, initial, form):
    d = np.random.default_rng(1).standard_normal(7)
    lengths = np.array([2, 0, 4, 1])
    seg = {"lengths": lengths} if form == "lengths" else {"offsets": np.concatenate([[0], np.cumsum(lengths)])}
    ed, td = ember.tensor(d, requires_grad=True), torch.tensor(d, requires_grad=True)
    ours = numeric.segment_reduce(ed, reduce, initial=initial, **{k: ember.tensor(v) for k, v in seg.items()})
    theirs = torch.segment_reduce(td, reduce, initial=initial, **{k: torch.tensor(v) for k, v in seg.items()})
    assert_close(ours, theirs)
    finite = np.isfinite(theirs.detach().numpy())
    ember.where(ember.tensor(finite), ours, 0.0).sum().backward()
    torch.where(torch.tensor(finite), theirs, 0.0).sum().backward()
    assert_close(ed.grad, td.grad)


def test_segment_reduce_along_an_axis_with_per_row_lengths():
    d = np.arange(12.0).reshape(2, 6)
    lengths = np.array([[2, 4], [3, 3]])
    assert_close(numeric.segment_reduce(ember.tensor(d), "sum", lengths=ember.tensor(lengths), axis=1),
                 torch.segment_reduce(torch.tensor(d), "sum", lengths=torch.tensor(lengths), axis=1))
    with pytest.raises(RuntimeError, match="sum to"):
        numeric.segment_reduce(ember.tensor(d[0]), "sum", lengths=ember.tensor([2, 2]))


@pytest.mark.parametrize("kw", [dict(bins=4), dict(bins=[3, 5], density=True),
                                dict(bins=[2, 3], range=[-1.0, 1.0, -2.0, 2.0], weight=True)])
def test_histogramdd(kw):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((50, 2))
    w = rng.uniform(0, 1, 50)
    ekw, tkw = dict(kw), dict(kw)
    if kw.get("weight"):
        ekw["weight"], tkw["weight"] = ember.tensor(w), torch.tensor(w)
    ours, theirs = numeric.histogramdd(ember.tensor(x), **ekw), torch.histogramdd(torch.tensor(x), **tkw)
    assert_close(ours[0], theirs[0])
    for a, b in zip(ours[1], theirs[1]):
        assert_close(a, b)


def test_binomial_draws_have_the_binomial_moments():
    count = ember.full((20000,), 10.0)
    prob = ember.full((20000,), 0.3)
    draws = numeric.binomial(count, prob, generator=ember.Generator().manual_seed(0)).numpy()
    theirs = torch.binomial(torch.full((20000,), 10.0), torch.full((20000,), 0.3)).numpy()
    assert draws.dtype == theirs.dtype and set(np.unique(draws)) <= set(range(11))
    assert abs(draws.mean() - 3.0) < 0.05 and abs(draws.var() - 2.1) < 0.1
    assert abs(theirs.mean() - 3.0) < 0.05
    with pytest.raises(RuntimeError, match="prob"):
        numeric.binomial(ember.ones(2), ember.tensor([0.5, 1.5]))


def test_cond_and_while_loop_match_torch():
    x = np.array([1.0, -2.0])
    for pred in (True, False):
        ours = cond(pred, lambda a: (a * 2, a), lambda a: (a - 1, a), (ember.tensor(x),))
        theirs = torch.cond(pred, lambda a: (a * 2, a), lambda a: (a - 1, a), (torch.tensor(x),))
        for a, b in zip(ours, theirs):
            assert_close(a, b)
    ours = while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s * 2), (ember.tensor(0), ember.tensor(1.0)))
    theirs = torch.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s * 2), (torch.tensor(0), torch.tensor(1.0)))
    for a, b in zip(ours, theirs):
        assert_close(a, b)
    t = ember.tensor(x, requires_grad=True)
    cond(t.sum() < 0, lambda a: (a * a).sum(), lambda a: a.sum(), (t,)).backward()
    assert_close(t.grad, 2 * x)
    with pytest.raises(RuntimeError, match="single-element"):
        cond(ember.tensor([True, False]), lambda a: a, lambda a: a, (t,))


def _low_rank(m, n, r, seed=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, r)) @ rng.standard_normal((r, n))


@pytest.mark.parametrize("shape", [(8, 6), (5, 9)])
def test_svd_lowrank_is_exact_on_low_rank_matrices(shape):
    A = _low_rank(*shape, 3)
    U, S, V = lowrank.svd_lowrank(ember.tensor(A), q=4)
    tU, tS, tV = torch.svd_lowrank(torch.tensor(A), q=4)
    assert_close(S, tS, atol=1e-9)
    np.testing.assert_allclose((U.numpy() * S.numpy()) @ V.numpy().T, A, atol=1e-9)
    np.testing.assert_allclose(U.numpy().T @ U.numpy(), np.eye(4), atol=1e-9)


def test_pca_lowrank_matches_torch():
    A = _low_rank(10, 5, 2) + 3.0
    for center in (True, False):
        _, S, V = lowrank.pca_lowrank(ember.tensor(A), q=3, center=center)
        _, tS, tV = torch.pca_lowrank(torch.tensor(A), q=3, center=center)
        assert_close(S, tS, atol=1e-9)
        np.testing.assert_allclose(np.abs(V.numpy()[:, :2].T @ tV.numpy()[:, :2]), np.eye(2), atol=1e-7)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("generalized", [False, True])
def test_lobpcg_eigenpairs_match_torch(largest, generalized):
    rng = np.random.default_rng(4)
    M = rng.standard_normal((12, 12))
    A = M @ M.T + np.eye(12)
    B = np.diag(rng.uniform(1, 2, 12)) if generalized else None
    args = dict(k=2, largest=largest)
    E, X = lowrank.lobpcg(ember.tensor(A), B=None if B is None else ember.tensor(B), **args)
    tE, tX = torch.lobpcg(torch.tensor(A), B=None if B is None else torch.tensor(B), **args)
    assert_close(E, tE, rtol=1e-6)
    Bm = np.eye(12) if B is None else B
    np.testing.assert_allclose(A @ X.numpy(), Bm @ X.numpy() * E.numpy(), atol=1e-8)
    np.testing.assert_allclose(np.abs(X.numpy().T @ Bm @ tX.numpy()), np.eye(2), atol=1e-5)


def test_lobpcg_is_differentiable():
    rng = np.random.default_rng(5)
    M = rng.standard_normal((9, 9))
    A = M @ M.T

    def top(a):
        return lowrank.lobpcg((a + a.mT) / 2, k=1)[0].sum()
    assert ember.autograd.gradcheck(top, (ember.tensor(A, requires_grad=True),))


def test_frombuffer_shares_memory_and_matches_torch():
    buf = bytearray(np.arange(6, dtype=np.float32).tobytes())
    ours = interop.frombuffer(buf, dtype=ember.float32, count=3, offset=4)
    theirs = torch.frombuffer(buf, dtype=torch.float32, count=3, offset=4)
    assert_close(ours, theirs)
    ours[0] = 42.0
    assert theirs[0].item() == 42.0
    assert_close(interop.frombuffer(array.array("i", [1, 2]), dtype=ember.int32),
                 torch.frombuffer(array.array("i", [1, 2]), dtype=torch.int32))
    with pytest.raises(ValueError, match="multiple of element size"):
        interop.frombuffer(bytearray(6), dtype=ember.float32)


def test_dlpack_round_trips_share_memory():
    t = torch.arange(6.0).reshape(2, 3)
    e = interop.from_dlpack(t)
    t[0, 0] = 42.0
    assert e[0, 0].item() == 42.0 and tuple(e.shape) == (2, 3)
    capsule_view = interop.from_dlpack(torch.utils.dlpack.to_dlpack(t))
    assert capsule_view[0, 0].item() == 42.0
    mine = ember.arange(4.0)
    back = torch.from_dlpack(interop.to_dlpack(mine))
    mine.add_(1.0)
    assert back.tolist() == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(RuntimeError, match="require gradient"):
        interop.to_dlpack(ember.ones(2, requires_grad=True))


@pytest.mark.parametrize("shared", [False, True])
def test_from_file_matches_torch(tmp_path, shared):
    data = np.arange(10, dtype=np.float32)
    paths = {lib: tmp_path / f"{lib}.bin" for lib in ("ours", "theirs")}
    for p in paths.values():
        data.tofile(p)
    ours = interop.from_file(str(paths["ours"]), shared=shared, size=6)
    theirs = torch.from_file(str(paths["theirs"]), shared=shared, size=6)
    assert_close(ours, theirs)
    ours[0], theirs[0] = 42.0, 42.0
    assert np.array_equal(np.fromfile(paths["ours"], np.float32), np.fromfile(paths["theirs"], np.float32))
    assert_close(interop.from_file(str(paths["ours"]), size=2, dtype=ember.float64),
                 torch.from_file(str(paths["theirs"]), size=2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="smaller than the required mapping size"):
        interop.from_file(str(paths["ours"]), size=100)
    grown = tmp_path / "grown.bin"
    assert tuple(interop.from_file(str(grown), shared=True, size=5).shape) == (5,) and grown.stat().st_size == 20


@pytest.mark.parametrize("data,kw", [([1.0, 2.0, 3.0], {}), ([[1, 2], [3, 4]], {"dim": 0}),
                                     ([[1.5, -2.0], [0.0, 7.0]], {"dim": 1, "keepdim": True}),
                                     ([True, False, True], {}), (np.ones((2, 3, 4)), {"dim": (0, 2)}),
                                     (np.zeros((0, 3)), {"dim": 1})])
@pytest.mark.parametrize("dtype", [None, "float16", "int32"])
def test_hash_tensor_matches_torch(data, kw, dtype):
    x = np.asarray(data)
    if dtype is not None and x.dtype != bool:
        x = x.astype(dtype)
    ours, theirs = numeric.hash_tensor(ember.tensor(x), **kw), torch.hash_tensor(torch.tensor(x), **kw)
    assert str(ours.dtype) == "ember.uint64" and tuple(ours.shape) == tuple(theirs.shape)
    assert ours.tolist() == theirs.tolist()


def test_hash_tensor_errors_match_torch():
    for lib, t in ((numeric, ember.zeros(0)), (torch, torch.zeros(0))):
        with pytest.raises(RuntimeError, match="reduction dim to be specified"):
            lib.hash_tensor(t)
    with pytest.raises(IndexError, match="non-zero size"):
        numeric.hash_tensor(ember.zeros(0, 3), dim=0)


def test_hash_tensor_method():
    x = np.array([[1.5, -2.0], [0.0, 7.0]])
    assert ember.tensor(x).hash_tensor(1).tolist() == torch.tensor(x).hash_tensor(1).tolist()
