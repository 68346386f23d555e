r"""Products of sparse and dense matrices, with their gradients.

For a sparse ``S`` (``n x m``, entries ``v_e`` at ``(r_e, c_e)``) and a dense ``D`` (``m x k``):

.. math::
    (S D)_{i} = \sum_{e: r_e = i} v_e D_{c_e},\qquad
    \frac{\partial L}{\partial D} = S^\top G,\qquad
    \frac{\partial L}{\partial v_e} = G_{r_e} \cdot D_{c_e}

where ``G`` is the gradient of the product. Rows are summed with one ``np.add.reduceat`` over the
entries sorted by row, so the cost is ``O(nnz * k)`` whatever the matrix's size.
"""
import numpy as np

from ..autograd import grad_mode
from ..autograd.node import record
from ..autograd.tensor import Tensor, make
from .tensor import SparseTensor, _unsupported


def _segment_rows(rows, contrib, n):
    """``out[i] = sum of contrib[e] over the entries e with rows[e] == i`` (out is ``(n, k)``)."""
    out = np.zeros((n,) + contrib.shape[1:], contrib.dtype)
    if rows.size == 0:
        return out
    order = np.argsort(rows, kind="stable") if np.any(rows[1:] < rows[:-1]) else None
    if order is not None:
        rows, contrib = rows[order], contrib[order]
    starts = np.flatnonzero(np.concatenate([[True], rows[1:] != rows[:-1]]))
    out[rows[starts]] = np.add.reduceat(contrib, starts, axis=0)
    return out


def _spmm_np(rows, cols, v, D, n):
    return _segment_rows(rows, v.reshape((-1,) + (1,) * (D.ndim - 1)) * D[cols], n)


def spmm(S, D):
    """``S @ D`` for a 2-D sparse ``S`` and a dense ``D`` (1-D or 2-D); differentiable in ``S``'s values and
    in ``D``."""
    if S.sparse_dim() != 2 or S.dense_dim() != 0:
        raise NotImplementedError(f"sparse mm: expected a 2-D sparse matrix with scalar values, got shape "
                                  f"{tuple(S.shape)} with sparse_dim {S.sparse_dim()}")
    n, m = S._data.shape
    d = D._data
    if d.ndim not in (1, 2) or d.shape[0] != m:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{m} and "
                           f"{'x'.join(map(str, d.shape))})")
    v = S._v
    if v._data.dtype != d.dtype:
        raise RuntimeError(f"sparse mm: expected both operands to have the same dtype, got {v.dtype} and {D.dtype}")
    rows, cols = S._indices_np
    out = make(_spmm_np(rows, cols, v._data, d, n))
    if grad_mode.state.enabled and (v._rg or D._rg):
        def backward(g):
            G = g._data
            if v._rg:
                prod = G[rows] * d[cols]
                gv = make(prod.reshape(prod.shape[0], -1).sum(1))
            else:
                gv = None
            gd = make(_spmm_np(cols, rows, v._data, G, m)) if D._rg else None
            return gv, gd
        record(out, "SparseAddmmBackward0", backward, (v, D))
    return out


def matmul(a, b):
    """``a @ b`` where either side is sparse: sparse @ dense, dense @ sparse (as ``(b^T a^T)^T``), and
    sparse @ sparse (a sparse result)."""
    sa, sb = isinstance(a, SparseTensor), isinstance(b, SparseTensor)
    if sa and sb:
        from .tensor import dense_to_sparse
        out = spmm(a, b.to_dense())
        return dense_to_sparse(out)
    if sa:
        if not isinstance(b, Tensor):
            raise TypeError(f"sparse mm: expected a tensor, got {type(b).__name__}")
        return spmm(a, b)
    if not isinstance(a, Tensor):
        raise TypeError(f"sparse mm: expected a tensor, got {type(a).__name__}")
    if a._data.ndim != 2:
        raise NotImplementedError(_unsupported(f"a {a._data.ndim}-D dense tensor @ a sparse matrix"))
    return spmm(b.t(), a.t()).t()


def smm(input, mat):
    """``torch.smm``: sparse ``input`` @ dense ``mat``."""
    return spmm(input, mat)
