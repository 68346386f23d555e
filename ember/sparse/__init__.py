r"""``ember.sparse``: sparse COO and CSR tensors and their products, as ``torch.sparse``.

Graph networks keep an adjacency matrix sparse and multiply it with dense features; that is what
this module is for. Besides the constructors (``ember.sparse_coo_tensor``, ``ember.sparse_csr_tensor``,
``dense.to_sparse()`` and the legacy ``ember.sparse.FloatTensor(indices, values, size)``), it has
:func:`mm` / :func:`addmm` (also ``@``, ``ember.mm``, ``ember.spmm``), :func:`sum`, and
:func:`softmax` / :func:`log_softmax` over the stored entries. Gradients flow to the dense operand
and to the sparse tensor's values.

>>> import ember
>>> a = ember.tensor([[0., 2.], [3., 0.]]).to_sparse()
>>> ember.sparse.mm(a, ember.eye(2))
tensor([[0., 2.],
        [3., 0.]])
>>> ember.sparse.sum(a)
tensor(5.)
"""
import numpy as np

from ..autograd.tensor import Tensor as _DenseTensor
from ..backend import dtypes as _dt
from .tensor import SparseTensor, sparse_coo_tensor, sparse_csr_tensor, dense_to_sparse
from .ops import matmul, spmm

__all__ = ["mm", "addmm", "sum", "softmax", "log_softmax", "spdiags", "check_sparse_tensor_invariants",
           "FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "Tensor"]


def mm(mat1, mat2, reduce=None):
    """``mat1 @ mat2`` with a sparse ``mat1`` (or ``mat2``); ``reduce`` other than ``"sum"`` is not supported."""
    if reduce not in (None, "sum"):
        raise NotImplementedError(f"ember.sparse.mm: reduce={reduce!r} is not supported (only 'sum')")
    return matmul(mat1, mat2)


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """``beta * mat + alpha * (mat1 @ mat2)`` with a sparse ``mat1``."""
    p = matmul(mat1, mat2)
    return (mat * beta if beta != 1 else mat) + (p * alpha if alpha != 1 else p)


def sum(input, dim=None, dtype=None):
    """Sum of a sparse tensor's entries: all of them (a 0-d dense tensor), or over ``dim`` (a sparse tensor,
    or a dense one when every sparse dim is summed)."""
    from ..autograd.ops.reduce import sum as dense_sum
    if not isinstance(input, SparseTensor):
        return dense_sum(input, dim, dtype=dtype) if dim is not None else dense_sum(input, dtype=dtype)
    v = input._v if dtype is None else input._v.to(dtype)
    if dim is None:
        return dense_sum(v)
    nd = input._data.ndim
    dims = sorted({d % nd for d in ((dim,) if isinstance(dim, int) else dim)})
    nsd = input.sparse_dim()
    sparse_dims = [d for d in dims if d < nsd]
    dense_dims = [d - nsd + 1 for d in dims if d >= nsd]
    if dense_dims:
        v = dense_sum(v, tuple(dense_dims))
    keep = [d for d in range(nsd) if d not in sparse_dims]
    shape = [input._data.shape[d] for d in keep] + [s for i, s in enumerate(input._data.shape[nsd:], nsd)
                                                     if i not in dims]
    if not keep:
        return dense_sum(v, 0)
    out = SparseTensor._make(input._indices_np[keep], v, shape, False)
    return out.coalesce()


def _entry_softmax(input, dim, dtype, log):
    """Softmax over the stored entries that share every index but ``dim`` (absent entries count as -inf)."""
    from ..autograd.ops.softmax import softmax as dense_softmax, log_softmax as dense_log_softmax
    from ..autograd.ops.elementwise import exp, log as _log, sub, div
    from ..autograd.ops.index import index_select
    from ..creation import full, zeros
    from ..autograd.ops.index import index_add
    from ..autograd.tensor import make
    if not isinstance(input, SparseTensor):
        f = dense_log_softmax if log else dense_softmax
        return f(input, dim, dtype=dtype)
    s = input.coalesce()
    nsd = s.sparse_dim()
    d = dim % s._data.ndim
    if d >= nsd:
        raise NotImplementedError("ember.sparse.softmax over a dense dimension is not supported")
    others = [k for k in range(nsd) if k != d]
    idx = s._indices_np
    key = np.ravel_multi_index(tuple(idx[others]), tuple(s._data.shape[k] for k in others)) if others else \
        np.zeros(idx.shape[1], np.int64)
    uniq, group = np.unique(key, return_inverse=True)
    group = group.reshape(-1)
    v = s._v if dtype is None else s._v.to(dtype)
    vd = v._data
    gmax = np.full((len(uniq),) + vd.shape[1:], -np.inf, vd.dtype)
    np.maximum.at(gmax, group, vd)
    g = make(group.astype(np.int64))
    shifted = sub(v, make(gmax[group]))       # the max is a constant shift: it leaves the gradient alone
    e = exp(shifted)
    denom = index_add(zeros((len(uniq),) + vd.shape[1:], dtype=v.dtype), 0, g, e)
    if log:
        out = sub(shifted, _log(index_select(denom, 0, g)))
    else:
        out = div(e, index_select(denom, 0, g))
    return SparseTensor._make(idx, out, s._data.shape, True)


def softmax(input, dim, *, dtype=None):
    """``torch.sparse.softmax``: over the specified entries along ``dim``; unspecified entries stay absent."""
    return _entry_softmax(input, dim, dtype, log=False)


def log_softmax(input, dim, *, dtype=None):
    """``torch.sparse.log_softmax``: the log of :func:`softmax`, computed stably."""
    return _entry_softmax(input, dim, dtype, log=True)


def spdiags(diagonals, offsets, shape, layout=None):
    """``torch.sparse.spdiags``: a sparse matrix with the rows of ``diagonals`` on the ``offsets`` diagonals
    (SciPy's convention: entry ``j`` of row ``k`` sits in column ``j``)."""
    diag = diagonals._data if isinstance(diagonals, _DenseTensor) else np.asarray(diagonals)
    offs = offsets._data if isinstance(offsets, _DenseTensor) else np.asarray(offsets)
    n, m = (int(s) for s in shape)
    rows, cols, vals = [], [], []
    for k, off in enumerate(offs.reshape(-1).tolist()):
        j = np.arange(max(0, off), min(m, n + off, diag.shape[1]))
        rows.append(j - off)
        cols.append(j)
        vals.append(diag[k, j])
    from ..creation import tensor
    idx = np.stack([np.concatenate(rows), np.concatenate(cols)]).astype(np.int64) if rows else np.zeros((2, 0),
                                                                                                    np.int64)
    out = sparse_coo_tensor(idx, tensor(np.concatenate(vals) if vals else diag[:0, 0]), (n, m)).coalesce()
    from ..backend.formats import sparse_csr
    return out.to_sparse_csr() if layout == sparse_csr else out


class check_sparse_tensor_invariants:
    """``torch.sparse.check_sparse_tensor_invariants``: ember checks its sparse tensors' indices whenever they
    are made, so this context manager and its switches change nothing."""

    _enabled = True

    def __init__(self, enable=True):
        self.enable = enable

    @staticmethod
    def is_enabled():
        return check_sparse_tensor_invariants._enabled

    @staticmethod
    def enable():
        check_sparse_tensor_invariants._enabled = True

    @staticmethod
    def disable():
        check_sparse_tensor_invariants._enabled = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        return fn


def _legacy(dtype):
    def make(*args, **kwargs):
        """The legacy ``torch.sparse.FloatTensor(indices, values, size)`` constructor (or ``(*size)``: empty)."""
        if args and all(isinstance(a, int) for a in args):
            return sparse_coo_tensor(np.zeros((len(args), 0), np.int64), np.zeros(0, dtype.numpy), args)
        indices, values = args[0], args[1]
        size = args[2] if len(args) > 2 else kwargs.get("size")
        return sparse_coo_tensor(indices, values, size, dtype=dtype)
    make.__name__ = f"{dtype.name.capitalize()}Tensor"
    return make


FloatTensor = _legacy(_dt.float32)
DoubleTensor = _legacy(_dt.float64)
LongTensor = _legacy(_dt.int64)
IntTensor = _legacy(_dt.int32)
Tensor = SparseTensor
