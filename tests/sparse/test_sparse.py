"""ember.sparse against torch.sparse: the same indices and values give the same tensors, products and
gradients; float64 finite differences check the product's gradients independently."""
import warnings

import numpy as np
import pytest
import torch

import ember

warnings.filterwarnings("ignore", message="Sparse (invariant checks|CSR tensor support)")


def _coo(rng, n=20, m=15, nnz=60, dup=True, dtype=np.float32):
    idx = np.stack([rng.integers(0, n, nnz), rng.integers(0, m, nnz)]).astype(np.int64)
    if dup:
        idx[:, :5] = idx[:, 5:10]         # repeated entries, summed by coalesce
    vals = rng.standard_normal(nnz).astype(dtype)
    return idx, vals, (n, m)


def _pair(idx, vals, shape, requires_grad=False):
    e = ember.tensor(vals, requires_grad=requires_grad)
    t = torch.tensor(vals, requires_grad=requires_grad)
    return (ember.sparse_coo_tensor(ember.tensor(idx), e, shape), torch.sparse_coo_tensor(torch.tensor(idx), t, shape),
            e, t)


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def test_constructors_coalesce_and_dense_match_torch():
    rng = np.random.default_rng(0)
    idx, vals, shape = _coo(rng)
    s, t, _, _ = _pair(idx, vals, shape)
    assert s.is_sparse and s.layout == ember.sparse_coo and not s.is_coalesced()
    assert s._nnz() == t._nnz() and tuple(s.shape) == tuple(t.shape) and s.sparse_dim() == 2 and s.dense_dim() == 0
    np.testing.assert_allclose(_np(s.to_dense()), _np(t.to_dense()), rtol=1e-6, atol=1e-6)
    sc, tc = s.coalesce(), t.coalesce()
    assert sc.is_coalesced() and sc._nnz() == tc._nnz()
    np.testing.assert_array_equal(_np(sc.indices()), _np(tc.indices()))
    np.testing.assert_allclose(_np(sc.values()), _np(tc.values()), rtol=1e-6, atol=1e-6)
    with pytest.raises(RuntimeError, match="uncoalesced"):
        s.indices()
    # size inferred from the indices, and the legacy constructor
    a = ember.sparse_coo_tensor([[0, 2], [1, 3]], [1.0, 2.0])
    assert tuple(a.shape) == tuple(torch.sparse_coo_tensor([[0, 2], [1, 3]], [1.0, 2.0]).shape) == (3, 4)
    b = ember.sparse.FloatTensor(ember.tensor(idx), ember.tensor(vals), ember.Size(shape))
    np.testing.assert_allclose(_np(b.to_dense()), _np(t.to_dense()), rtol=1e-6, atol=1e-6)


def test_dense_to_sparse_and_csr_match_torch():
    rng = np.random.default_rng(1)
    d = rng.standard_normal((6, 5)).astype(np.float32) * (rng.random((6, 5)) < 0.4)
    s, t = ember.tensor(d).to_sparse(), torch.tensor(d).to_sparse()
    np.testing.assert_array_equal(_np(s.indices()), _np(t.indices()))
    np.testing.assert_array_equal(_np(s.values()), _np(t.values()))
    sc, tc = ember.tensor(d).to_sparse_csr(), torch.tensor(d).to_sparse_csr()
    assert sc.layout == ember.sparse_csr and sc.is_sparse_csr and not sc.is_sparse
    for name in ("crow_indices", "col_indices", "values"):
        np.testing.assert_array_equal(_np(getattr(sc, name)()), _np(getattr(tc, name)()))
    csr = ember.sparse_csr_tensor(ember.tensor(_np(tc.crow_indices())), ember.tensor(_np(tc.col_indices())),
                                  ember.tensor(_np(tc.values())), (6, 5))
    np.testing.assert_array_equal(_np(csr.to_dense()), d)
    # hybrid: sparse over the first dim, dense rows
    h, ht = ember.tensor(d).to_sparse(1), torch.tensor(d).to_sparse(1)
    assert h.sparse_dim() == ht.sparse_dim() == 1 and h.dense_dim() == ht.dense_dim() == 1
    np.testing.assert_array_equal(_np(h.values()), _np(ht.values()))


def test_repr_matches_torch():
    cases = [dict(indices=[[0, 1, 1], [2, 0, 2]], values=[3., 4., 5.], size=(2, 3)),
             dict(indices=[[0, 1], [1, 0]], values=[1., 2.], size=(2, 2), dtype="float64"),
             dict(indices=[[0, 1]], values=[[1., 2.], [3., 4.]], size=(2, 2)),
             dict(indices=[[0, 1], [1, 0]], values=[1., 2.], size=(2, 2), requires_grad=True)]
    for c in cases:
        kw = {k: v for k, v in c.items() if k not in ("indices", "values", "size")}
        ek = {**kw, **({"dtype": getattr(ember, kw["dtype"])} if "dtype" in kw else {})}
        tk = {**kw, **({"dtype": getattr(torch, kw["dtype"])} if "dtype" in kw else {})}
        e = ember.sparse_coo_tensor(c["indices"], c["values"], c["size"], **ek)
        t = torch.sparse_coo_tensor(c["indices"], c["values"], c["size"], **tk)
        assert repr(e) == repr(t).replace("torch.", "ember."), (repr(e), repr(t))
    e = ember.tensor([[0., 2.], [3., 0.]]).to_sparse_csr()
    t = torch.tensor([[0., 2.], [3., 0.]]).to_sparse_csr()
    assert repr(e) == repr(t).replace("torch.", "ember.")


@pytest.mark.parametrize("k", [1, 7])
def test_sparse_dense_product_and_gradients_match_torch(k):
    rng = np.random.default_rng(2)
    idx, vals, shape = _coo(rng)
    d = rng.standard_normal((shape[1], k)).astype(np.float32)
    w = rng.standard_normal((shape[0], k)).astype(np.float32)
    s, t, ev, tv = _pair(idx, vals, shape, requires_grad=True)
    ed, td = ember.tensor(d, requires_grad=True), torch.tensor(d, requires_grad=True)
    for eo, to in ((ember.sparse.mm(s, ed), torch.sparse.mm(t, td)), (s @ ed, t @ td), (ember.mm(s, ed),
                   torch.mm(t, td)), (ember.spmm(s, ed), torch.spmm(t, td))):
        np.testing.assert_allclose(_np(eo), _np(to), rtol=1e-5, atol=1e-5)
    eo, to = ember.sparse.mm(s, ed), torch.sparse.mm(t, td)
    (eo * ember.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(_np(ed.grad), _np(td.grad), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_np(ev.grad), _np(tv.grad), rtol=1e-5, atol=1e-5)


def test_sparse_leaf_gets_a_sparse_grad_like_torch():
    rng = np.random.default_rng(3)
    idx, vals, shape = _coo(rng, dup=False)
    s = ember.sparse_coo_tensor(idx, vals, shape).coalesce().requires_grad_()
    t = torch.sparse_coo_tensor(torch.tensor(idx), torch.tensor(vals), shape).coalesce().requires_grad_()
    d = rng.standard_normal((shape[1], 4)).astype(np.float32)
    ember.sparse.mm(s, ember.tensor(d)).pow(2).sum().backward()
    torch.sparse.mm(t, torch.tensor(d)).pow(2).sum().backward()
    assert s.grad.is_sparse and t.grad.is_sparse
    np.testing.assert_allclose(_np(s.grad.to_dense()), _np(t.grad.to_dense()), rtol=1e-5, atol=1e-5)


def test_dense_at_sparse_sparse_at_sparse_and_addmm():
    rng = np.random.default_rng(4)
    idx, vals, shape = _coo(rng)
    s, t, _, _ = _pair(idx, vals, shape)
    a = rng.standard_normal((3, shape[0])).astype(np.float32)
    np.testing.assert_allclose(_np(ember.tensor(a) @ s), _np(torch.tensor(a) @ t), rtol=1e-5, atol=1e-5)
    ss = ember.sparse.mm(s, s.t())
    tt = torch.sparse.mm(t, t.t())
    assert ss.is_sparse
    np.testing.assert_allclose(_np(ss.to_dense()), _np(tt.to_dense()), rtol=1e-4, atol=1e-4)
    m = rng.standard_normal((shape[0], 2)).astype(np.float32)
    d = rng.standard_normal((shape[1], 2)).astype(np.float32)
    np.testing.assert_allclose(_np(ember.sparse.addmm(ember.tensor(m), s, ember.tensor(d), beta=0.5, alpha=2.0)),
                               _np(torch.sparse.addmm(torch.tensor(m), t, torch.tensor(d), beta=0.5, alpha=2.0)),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_np(ember.addmm(ember.tensor(m), s, ember.tensor(d))),
                               _np(torch.addmm(torch.tensor(m), t, torch.tensor(d))), rtol=1e-5, atol=1e-5)


def test_sum_transpose_add_scale_match_torch():
    rng = np.random.default_rng(5)
    idx, vals, shape = _coo(rng)
    s, t, _, _ = _pair(idx, vals, shape)
    np.testing.assert_allclose(_np(ember.sparse.sum(s)), _np(torch.sparse.sum(t)), rtol=1e-5)
    for dim in (0, 1):
        es, ts = ember.sparse.sum(s, dim), torch.sparse.sum(t, dim)
        np.testing.assert_allclose(_np(es.to_dense()), _np(ts.to_dense()), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_np(s.t().to_dense()), _np(t.t().to_dense()))
    np.testing.assert_allclose(_np((s + s * 2).to_dense()), _np((t + t * 2).to_dense()), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_np((s - s / 2).to_dense()), _np((t - t / 2).to_dense()), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_np(s.abs().to_dense()), _np(t.abs().to_dense()), rtol=1e-6, atol=1e-7)
    with pytest.raises(RuntimeError, match=r"add\(sparse, dense\) is not supported"):
        t + torch.ones(shape)
    with pytest.raises(RuntimeError, match=r"add\(sparse, dense\) is not supported"):
        s + ember.ones(shape)


@pytest.mark.parametrize("log", [False, True])
def test_sparse_softmax_and_gradient_match_torch(log):
    rng = np.random.default_rng(6)
    idx, vals, shape = _coo(rng, dup=False)
    idx = np.unique(idx, axis=1)
    vals = vals[:idx.shape[1]]
    s, t, ev, tv = _pair(idx, vals, shape, requires_grad=True)
    ef, tf = (ember.sparse.log_softmax, torch.sparse.log_softmax) if log else (ember.sparse.softmax,
                                                                               torch.sparse.softmax)
    eo, to = ef(s, 1), tf(t, 1)
    np.testing.assert_allclose(_np(eo.to_dense()), _np(to.to_dense()), rtol=1e-5, atol=1e-6)
    w = rng.standard_normal(shape).astype(np.float32)
    (eo.to_dense() * ember.tensor(w)).sum().backward()
    (to.to_dense() * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(_np(ev.grad), _np(tv.grad), rtol=1e-4, atol=1e-5)


def test_spdiags_matches_torch():
    diags = np.arange(12, dtype=np.float32).reshape(3, 4) + 1
    offsets = [0, -1, 2]
    e = ember.sparse.spdiags(ember.tensor(diags), ember.tensor(offsets), (4, 5))
    t = torch.sparse.spdiags(torch.tensor(diags), torch.tensor(offsets), (4, 5))
    np.testing.assert_array_equal(_np(e.to_dense()), _np(t.to_dense()))


def test_product_gradients_by_finite_differences():
    rng = np.random.default_rng(7)
    idx, vals, shape = _coo(rng, n=5, m=4, nnz=12, dtype=np.float64)
    d = rng.standard_normal((4, 3))
    w = rng.standard_normal((5, 3))

    def loss(v, dd):
        return (ember.sparse.mm(ember.sparse_coo_tensor(idx, ember.tensor(v), shape), ember.tensor(dd)) *
                ember.tensor(w)).sum().item()
    ev = ember.tensor(vals, requires_grad=True)
    ed = ember.tensor(d, requires_grad=True)
    (ember.sparse.mm(ember.sparse_coo_tensor(idx, ev, shape), ed) * ember.tensor(w)).sum().backward()
    eps = 1e-6
    for arr, grad, which in ((vals, ev.grad, 0), (d, ed.grad, 1)):
        num = np.zeros_like(arr)
        for k in range(arr.size):
            up, dn = arr.copy(), arr.copy()
            up.flat[k] += eps
            dn.flat[k] -= eps
            args_up = (up, d) if which == 0 else (vals, up)
            args_dn = (dn, d) if which == 0 else (vals, dn)
            num.flat[k] = (loss(*args_up) - loss(*args_dn)) / (2 * eps)
        np.testing.assert_allclose(_np(grad), num, rtol=1e-6, atol=1e-8)


def test_errors_name_what_was_expected():
    with pytest.raises(RuntimeError, match="out of bounds for dimension 1 with size 3"):
        ember.sparse_coo_tensor([[0, 1], [0, 3]], [1.0, 2.0], (2, 3))
    with pytest.raises(ValueError, match="indices hold 2 entries but values hold 3"):
        ember.sparse_coo_tensor([[0, 1], [0, 1]], [1.0, 2.0, 3.0], (2, 3))
    s = ember.sparse_coo_tensor([[0, 1], [0, 1]], [1.0, 2.0], (2, 3))
    with pytest.raises(RuntimeError, match=r"cannot be multiplied \(2x3 and 4x1\)"):
        s @ ember.ones(4, 1)
    with pytest.raises(NotImplementedError, match="exp does not support sparse tensors.*to_dense"):
        s.exp()
    with pytest.raises(NotImplementedError, match="to_dense"):
        s[0]


def test_gcn_layer_with_a_sparse_adjacency_trains_like_torch():
    """Kipf & Welling's GCN propagation, D^-1/2 (A + I) D^-1/2 X W, with the adjacency sparse: same
    weights and graph give the same losses over a few Adam steps in both frameworks."""
    rng = np.random.default_rng(8)
    n, f, c = 30, 6, 3
    edges = rng.integers(0, n, (2, 80))
    edges = np.concatenate([edges, edges[::-1], np.tile(np.arange(n), (2, 1))], 1)
    deg = np.bincount(edges[1], minlength=n).astype(np.float32)
    norm = (deg[edges[0]] ** -0.5 * deg[edges[1]] ** -0.5).astype(np.float32)
    x = rng.standard_normal((n, f)).astype(np.float32)
    y = rng.integers(0, c, n)
    w1 = rng.standard_normal((f, 8)).astype(np.float32) * 0.3
    w2 = rng.standard_normal((8, c)).astype(np.float32) * 0.3

    def run(lib):
        adj = lib.sparse_coo_tensor(lib.tensor(edges), lib.tensor(norm), (n, n))
        p1, p2 = lib.nn.Parameter(lib.tensor(w1)), lib.nn.Parameter(lib.tensor(w2))
        opt = lib.optim.Adam([p1, p2], lr=0.05)
        X, Y, losses = lib.tensor(x), lib.tensor(y), []
        for _ in range(5):
            h = lib.relu(lib.spmm(adj, X @ p1))
            loss = lib.nn.functional.cross_entropy(lib.sparse.mm(adj, h @ p2), Y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses
    np.testing.assert_allclose(run(ember), run(torch), rtol=1e-5)
