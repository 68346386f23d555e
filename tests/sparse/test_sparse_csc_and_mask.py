"""CSC tensors, sparse_compressed_tensor and Tensor.sparse_mask against torch 2.13: construction (from dense, from
compressed indices), ccol_indices/row_indices/values, the layout errors, conversions between COO/CSR/CSC, t()
swapping CSR and CSC, products with dense matrices, and sparse_mask's values, layout and gradient."""
import warnings

import numpy as np
import pytest
import torch

import ember

D = np.array([[0., 2., 0., 1.], [3., 0., 4., 0.], [0., 5., 0., 0.]])


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


def _parts(s):
    if s.layout in (torch.sparse_csc, ember.sparse_csc):
        return [str(s.layout).split(".")[-1], _np(s.ccol_indices()).tolist(), _np(s.row_indices()).tolist(),
                _np(s.values()).tolist(), tuple(s.shape), s._nnz()]
    if s.layout in (torch.sparse_csr, ember.sparse_csr):
        return [str(s.layout).split(".")[-1], _np(s.crow_indices()).tolist(), _np(s.col_indices()).tolist(),
                _np(s.values()).tolist(), tuple(s.shape), s._nnz()]
    return [str(s.layout).split(".")[-1], _np(s._indices()).tolist(), _np(s._values()).tolist(), tuple(s.shape),
            s.is_coalesced()]


def _probe(L):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # torch's "CSC support is in beta" and invariant-check warnings
        d = L.tensor(D)
        c = d.to_sparse_csc()
        out = {"from_dense": _parts(c), "flags": (c.is_sparse, c.is_sparse_csr, c.sparse_dim(), c.dense_dim()),
               "via_layout": _parts(d.to_sparse(layout=L.sparse_csc)),
               "built": _parts(L.sparse_csc_tensor(L.tensor([0, 1, 3, 4, 5]), L.tensor([1, 0, 2, 1, 0]),
                                                   L.tensor([3., 2., 5., 4., 1.]), (3, 4))),
               "compressed_csc": _parts(L.sparse_compressed_tensor(L.tensor([0, 1, 3, 4, 5]), L.tensor([1, 0, 2, 1, 0]),
                                                                   L.tensor([3., 2., 5., 4., 1.]), (3, 4),
                                                                   layout=L.sparse_csc)),
               "compressed_csr": _parts(L.sparse_compressed_tensor(L.tensor([0, 2, 4, 5]), L.tensor([1, 3, 0, 2, 1]),
                                                                   L.tensor([2., 1., 3., 4., 5.]), (3, 4),
                                                                   layout=L.sparse_csr)),
               "dense_back": _np(c.to_dense()).tolist(), "to_coo": _parts(c.to_sparse()),
               "to_csr": _parts(c.to_sparse_csr()), "coo_to_csc": _parts(d.to_sparse().to_sparse_csc()),
               "csr_to_csc": _parts(d.to_sparse_csr().to_sparse_csc()), "t": _parts(c.t()),
               "csr_t": _parts(d.to_sparse_csr().t()), "scaled": _parts(c * 2),
               "mm": _np(c @ L.arange(8.0, dtype=L.float64).reshape(4, 2)).tolist(),
               "rmm": _np(L.arange(6.0, dtype=L.float64).reshape(2, 3) @ c).tolist(),
               "empty": _parts(L.zeros(3, 4, dtype=L.float64).to_sparse_csc())}
        errors = {}
        for name, call in (("crow_of_csc", lambda: c.crow_indices()), ("ccol_of_csr", lambda: d.to_sparse_csr().
                                                                        ccol_indices()),
                           ("row_of_coo", lambda: d.to_sparse().row_indices()), ("coalesce", lambda: c.coalesce()),
                           ("indices", lambda: c.indices()), ("is_coalesced", lambda: c.is_coalesced()),
                           ("no_layout", lambda: L.sparse_compressed_tensor(L.tensor([0, 1]), L.tensor([0]),
                                                                            L.tensor([1.]), (1, 1)))):
            try:
                call()
                errors[name] = None
            except RuntimeError as e:
                errors[name] = str(e)
        out["errors"] = errors
        x = L.arange(12.0, dtype=L.float64).reshape(3, 4).requires_grad_()
        masks = {"coo": d.to_sparse(), "csr": d.to_sparse_csr(), "csc": c,
                 "uncoalesced": L.sparse_coo_tensor([[0, 0, 1], [1, 1, 0]], [1., 1., 1.], (3, 4))}
        for name, mask in masks.items():
            r = x.sparse_mask(mask)
            out[f"mask_{name}"] = _parts(r) + [type(r.grad_fn).__name__]
        x.sparse_mask(masks["coo"]).to_dense().pow(2).sum().backward()
        out["mask_grad"] = _np(x.grad).tolist()
    return out


def test_csc_compressed_and_sparse_mask_as_torch():
    ours, theirs = _probe(ember), _probe(torch)
    assert ours.keys() == theirs.keys()
    for key in theirs:
        assert ours[key] == theirs[key], key


def test_blocked_layouts_are_refused_with_the_supported_ones_named():
    with pytest.raises(NotImplementedError, match="sparse_csr and sparse_csc"):
        ember.sparse_compressed_tensor(ember.tensor([0, 1]), ember.tensor([0]), ember.ones(1, 2, 2), (2, 2),
                                       layout=ember.sparse_bsr)
