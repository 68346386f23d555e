r"""Sparse tensors in PyTorch's COO, CSR and CSC layouts, with gradients through their values.

A COO tensor of shape ``(*sparse_dims, *dense_dims)`` keeps ``indices`` (int64, ``(sparse_dim, nnz)``)
and ``values`` (``(nnz, *dense_dims)``); element ``indices[:, k]`` holds ``values[k]`` and repeated
indices add up. ``coalesce()`` sorts the indices (row-major) and sums the repeats, as PyTorch does.
A CSR tensor is a 2-D COO tensor seen through ``crow_indices`` (row ``i`` owns entries
``crow[i]:crow[i+1]``) and ``col_indices``; a CSC tensor keeps its entries in column order, seen through
``ccol_indices`` (column ``j`` owns ``ccol[j]:ccol[j+1]``) and ``row_indices``. ``x.sparse_mask(mask)`` is the
dense ``x`` at ``mask``'s entries, in ``mask``'s layout (the gradient flows back to ``x``).

The values are an ordinary ember tensor, so gradients flow through them: a sparse tensor built from
values that require grad passes gradients back to them, and ``requires_grad_()`` on a sparse leaf
gives it a sparse ``.grad`` with the same indices. Ops that have no sparse form raise and say so;
``to_dense()`` is the way out.

>>> import ember
>>> s = ember.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3., 4., 5.], (2, 3))
>>> s.to_dense()
tensor([[0., 0., 3.],
        [4., 0., 5.]])
>>> (s @ ember.ones(3, 1)).flatten()
tensor([3., 9.])
"""
import numpy as np

from ..autograd.tensor import Tensor, Size, _new
from ..backend import dtypes as _dt
from ..backend.formats import sparse_coo, sparse_csr, sparse_csc

_LAYOUT_NAME = {sparse_coo: "Sparse", sparse_csr: "SparseCsr", sparse_csc: "SparseCsc"}   # torch's, in errors


class _SparseData:
    """What ``_data`` of a sparse tensor holds: its shape and dtype, and a clear error for any dense op."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise NotImplementedError(_unsupported(ufunc.__name__))

    def __init__(self, shape, dtype):
        self.shape, self.dtype = tuple(shape), dtype
        self.ndim = len(self.shape)
        self.size = int(np.prod(self.shape, dtype=np.int64))
        self.itemsize = dtype.itemsize
        self.flags = None

    def __array__(self, *args, **kwargs):
        raise NotImplementedError(_unsupported())


def _unsupported(op="this operation"):
    return (f"{op} does not support sparse tensors (layout ember.sparse_coo / sparse_csr): ember's sparse "
            "tensors support to_dense, coalesce, indices/values, t/transpose, sum, scalar * and /, +/- with a "
            "sparse tensor of the same shape, and products with dense matrices (@, mm, ember.sparse.mm, addmm); "
            "call .to_dense() first")


class SparseTensor(Tensor):
    """A sparse tensor (see the module docstring). Made by :func:`sparse_coo_tensor`,
    :func:`sparse_csr_tensor` or ``dense.to_sparse()``."""

    _sparse = True

    def __init__(self, *args, **kwargs):
        raise TypeError("SparseTensor: make sparse tensors with ember.sparse_coo_tensor, ember.sparse_csr_tensor "
                        "or Tensor.to_sparse()")

    @classmethod
    def _make(cls, indices, values, shape, coalesced=False, layout=sparse_coo):
        s = _new(cls)
        s._indices_np = indices
        s._v = values
        s._layout = layout
        s._coalesced = bool(coalesced)
        s._data = _SparseData(shape, values._data.dtype)
        return s

    # -- what PyTorch's sparse tensors answer -------------------------------------------------------
    @property
    def layout(self):
        return self._layout

    @property
    def is_sparse(self):
        return self._layout == sparse_coo

    @property
    def is_sparse_csr(self):
        return self._layout == sparse_csr

    def sparse_dim(self):
        return self._indices_np.shape[0]

    def dense_dim(self):
        return self._data.ndim - self.sparse_dim()

    def _nnz(self):
        return self._indices_np.shape[1]

    def is_coalesced(self):
        if self._layout != sparse_coo:
            raise RuntimeError("is_coalesced expected sparse coordinate tensor layout but got " +
                               _LAYOUT_NAME[self._layout])
        return self._coalesced

    def is_contiguous(self, memory_format=None):
        raise RuntimeError("sparse tensors do not have is_contiguous")

    def numel(self):
        return self._data.size

    nelement = numel

    def __len__(self):
        if not self._data.shape:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def _indices(self):
        return _int_tensor(self._indices_np)

    def indices(self):
        if self._layout != sparse_coo:
            raise RuntimeError("indices expected sparse coordinate tensor layout but got " + _LAYOUT_NAME[self._layout])
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return self._indices()

    def _values(self):
        return self._v

    def values(self):
        if self._layout == sparse_coo and not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return self._v

    def crow_indices(self):
        self._need(sparse_csr, "crow_indices")
        n = self._data.shape[0]
        counts = np.bincount(self._indices_np[0], minlength=n)
        return _int_tensor(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))

    def col_indices(self):
        self._need(sparse_csr, "col_indices")
        return _int_tensor(self._indices_np[1].copy())

    def ccol_indices(self):
        self._need(sparse_csc, "ccol_indices")
        counts = np.bincount(self._indices_np[1], minlength=self._data.shape[1])
        return _int_tensor(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))

    def row_indices(self):
        self._need(sparse_csc, "row_indices")
        return _int_tensor(self._indices_np[0].copy())

    def _need(self, layout, name):
        if self._layout != layout:
            kind = "row" if layout == sparse_csr else "column"
            raise RuntimeError(f"{name} expected sparse {kind} compressed tensor layout but got "
                               f"{_LAYOUT_NAME[self._layout]}")

    # -- autograd: through the values ---------------------------------------------------------------
    @property
    def _rg(self):
        return self._v._rg

    @property
    def requires_grad(self):
        return self._v._rg

    @requires_grad.setter
    def requires_grad(self, flag):
        self._v.requires_grad = flag

    def requires_grad_(self, requires_grad=True):
        self._v.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        return self._v.grad_fn

    @property
    def is_leaf(self):
        return self._v.grad_fn is None

    @property
    def grad(self):
        g = self._v.grad
        if g is None:
            return None
        return SparseTensor._make(self._indices_np, g, self._data.shape, self._coalesced, self._layout)

    @grad.setter
    def grad(self, value):
        if value is None:
            self._v.grad = None
            return
        raise RuntimeError("assigning .grad of a sparse tensor is not supported; zero it with .grad = None")

    def detach(self):
        return SparseTensor._make(self._indices_np, self._v.detach(), self._data.shape, self._coalesced,
                                  self._layout)

    def clone(self, memory_format=None):
        return SparseTensor._make(self._indices_np.copy(), self._v.clone(), self._data.shape, self._coalesced,
                                  self._layout)

    # -- conversions ---------------------------------------------------------------------------------
    def coalesce(self):
        """Sorted, unique indices; the values of repeated indices summed (differentiably)."""
        if self._layout != sparse_coo:
            raise RuntimeError("coalesce expected sparse coordinate tensor layout but got " +
                               _LAYOUT_NAME[self._layout])
        if self._coalesced:
            return self
        from ..autograd.ops.index import index_add
        from ..creation import zeros
        idx, shape = self._indices_np, self._data.shape
        nsd = idx.shape[0]
        if idx.shape[1] == 0:
            return SparseTensor._make(idx, self._v, shape, True)
        flat = np.ravel_multi_index(tuple(idx), shape[:nsd]) if nsd else np.zeros(idx.shape[1], np.int64)
        uniq, inverse = np.unique(flat, return_inverse=True)
        new_idx = np.stack(np.unravel_index(uniq, shape[:nsd])).astype(np.int64).reshape(nsd, -1)
        v = self._v
        summed = index_add(zeros((len(uniq),) + tuple(v._data.shape[1:]), dtype=v.dtype), 0,
                           _int_tensor(inverse.reshape(-1).astype(np.int64)), v)
        return SparseTensor._make(new_idx, summed, shape, True)

    def to_dense(self, dtype=None, *, masked_grad=None):
        """The dense tensor; its gradient flows back to the values."""
        from ..autograd.ops.index import index_add
        from ..autograd.ops.shape import reshape
        from ..creation import zeros
        idx, shape, v = self._indices_np, self._data.shape, self._v
        nsd = idx.shape[0]
        flat = np.ravel_multi_index(tuple(idx), shape[:nsd]) if nsd and idx.shape[1] else np.zeros(
            idx.shape[1], np.int64)
        rows = int(np.prod(shape[:nsd], dtype=np.int64))
        dense = index_add(zeros((rows,) + tuple(shape[nsd:]), dtype=v.dtype), 0, _int_tensor(flat.astype(np.int64)),
                          v)
        out = reshape(dense, shape)
        return out.to(dtype) if dtype is not None else out

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        if layout == sparse_csr:
            return self.to_sparse_csr()
        if layout == sparse_csc:
            return self.to_sparse_csc()
        if self._layout == sparse_csr:
            return SparseTensor._make(self._indices_np, self._v, self._data.shape, True)
        if self._layout == sparse_csc:   # in column order, so not coalesced, as PyTorch's
            return SparseTensor._make(self._indices_np, self._v, self._data.shape, self._nnz() <= 1)
        return self

    to_sparse_coo = to_sparse

    def _check_2d(self, name):
        if self._data.ndim != 2 or self.sparse_dim() != 2:
            raise RuntimeError(f"{name}: expected a 2-D sparse tensor, got shape {tuple(self._data.shape)}")

    def to_sparse_csr(self, dense_dim=None):
        if self._layout == sparse_csr:
            return self
        self._check_2d("to_sparse_csr")
        c = self.to_sparse().coalesce()
        return SparseTensor._make(c._indices_np, c._v, c._data.shape, True, sparse_csr)

    def to_sparse_csc(self, dense_dim=None):
        """The same entries in column order (``ccol_indices``, ``row_indices``); the values' gradient flows back."""
        if self._layout == sparse_csc:
            return self
        self._check_2d("to_sparse_csc")
        c = self.to_sparse().coalesce()
        rows, cols = c._indices_np
        order = np.lexsort((rows, cols))
        from ..autograd.ops.index import index_select
        v = index_select(c._v, 0, _int_tensor(order))
        return SparseTensor._make(c._indices_np[:, order], v, c._data.shape, True, sparse_csc)

    def sparse_mask(self, mask):
        return sparse_mask(self.to_dense(), mask)

    def to(self, *args, **kwargs):
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, _dt.dtype):
                dtype = a
        if dtype is None or dtype == self.dtype:
            return self
        return SparseTensor._make(self._indices_np, self._v.to(dtype), self._data.shape, self._coalesced,
                                  self._layout)

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return f"ember.sparse.{self.dtype.name.capitalize()}Tensor"
        return self.to(dtype)

    def float(self):
        return self.to(_dt.float32)

    def double(self):
        return self.to(_dt.float64)

    def half(self):
        return self.to(_dt.float16)

    def cpu(self, memory_format=None):
        return self

    def cuda(self, *args, **kwargs):
        return Tensor.cuda(self._v, *args, **kwargs) and self

    def coalesce_(self):
        return self.coalesce()

    def zero_(self):
        """Make this tensor all zeros in place: no stored entries (``nnz == 0``), as PyTorch's sparse ``zero_``."""
        from ..autograd.tensor import make
        self._indices_np = np.zeros((self.sparse_dim(), 0), np.int64)
        self._v = make(np.zeros((0,) + self._v._data.shape[1:], self._v._data.dtype))
        self._coalesced = True
        return self

    # -- arithmetic ----------------------------------------------------------------------------------
    def _with_values(self, v, coalesced=None):
        return SparseTensor._make(self._indices_np, v, self._data.shape,
                                  self._coalesced if coalesced is None else coalesced, self._layout)

    def _scalar(self, other, name):
        if isinstance(other, Tensor):
            if isinstance(other, SparseTensor) or other._data.ndim:
                raise NotImplementedError(_unsupported(f"sparse {name} with a non-scalar tensor"))
        return other

    def __mul__(self, other):
        return self._with_values(self._v * self._scalar(other, "*"))

    __rmul__ = __mul__
    mul = __mul__

    def __truediv__(self, other):
        return self._with_values(self._v / self._scalar(other, "/"))

    div = __truediv__

    def __neg__(self):
        return self._with_values(-self._v)

    neg = __neg__

    def __add__(self, other, alpha=1):
        if isinstance(other, SparseTensor):
            if tuple(other._data.shape) != tuple(self._data.shape):
                raise RuntimeError(f"add: expected sparse tensors of the same size, got {tuple(self.shape)} and "
                                   f"{tuple(other.shape)}")
            from ..autograd.ops.shape import cat
            o = other._v * alpha if alpha != 1 else other._v
            s = SparseTensor._make(np.concatenate([self._indices_np, other._indices_np], 1), cat([self._v, o]),
                                   self._data.shape)
            out = s.coalesce()
            return out.to_sparse(layout=self._layout) if self._layout != sparse_coo else out
        if isinstance(other, Tensor):   # PyTorch's message and refusal
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
        raise NotImplementedError(_unsupported("sparse + a scalar"))

    def add(self, other, *, alpha=1):
        return self.__add__(other, alpha)

    def __sub__(self, other):
        return self.__add__(other, -1)

    sub = __sub__

    def __matmul__(self, other):
        from .ops import matmul
        return matmul(self, other)

    def __rmatmul__(self, other):
        from .ops import matmul
        return matmul(other, self)

    mm = matmul = __matmul__

    def t(self):
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D")
        return self.transpose(0, 1) if self._data.ndim == 2 else self

    def transpose(self, dim0, dim1):
        nd = self._data.ndim
        d0, d1 = dim0 % nd, dim1 % nd
        if max(d0, d1) >= self.sparse_dim():
            raise NotImplementedError("transpose of a sparse tensor's dense dimensions is not supported")
        idx = self._indices_np.copy()
        idx[[d0, d1]] = idx[[d1, d0]]
        shape = list(self._data.shape)
        shape[d0], shape[d1] = shape[d1], shape[d0]
        if self._layout != sparse_coo and d0 != d1:
            # the transpose of a CSR matrix is the CSC matrix of the same entries (and back), as PyTorch's t()
            return SparseTensor._make(idx, self._v, shape, True, sparse_csc if self._layout == sparse_csr
                                      else sparse_csr)
        out = SparseTensor._make(idx, self._v, shape, False)
        return out if self._layout == sparse_coo else out.coalesce().to_sparse(layout=self._layout)

    def sum(self, dim=None, keepdim=False, dtype=None):
        from . import sum as _sum
        if keepdim:
            raise NotImplementedError("sum(keepdim=True) of a sparse tensor is not supported")
        return _sum(self, dim, dtype=dtype)

    def pow(self, exponent):
        if isinstance(exponent, Tensor) or not exponent > 0:
            raise NotImplementedError(_unsupported("sparse pow with a non-positive or tensor exponent"))
        s = self if self._layout != sparse_coo else self.coalesce()
        return s._with_values(s._v ** exponent)

    __pow__ = pow

    # -- printing ------------------------------------------------------------------------------------
    def __repr__(self):
        indent = len("tensor(")
        if self._layout == sparse_coo:
            parts = [("indices=", self._indices()), ("values=", self._v.detach())]
        elif self._layout == sparse_csc:
            parts = [("ccol_indices=", self.ccol_indices()), ("row_indices=", self.row_indices()),
                     ("values=", self._v.detach())]
        else:
            parts = [("crow_indices=", self.crow_indices()), ("col_indices=", self.col_indices()),
                     ("values=", self._v.detach())]
        body = (",\n" + " " * indent).join(
            name + repr(t).replace("\n", "\n" + " " * (indent + len(name))) for name, t in parts)
        # a dense repr's own dtype= suffix goes; the sparse suffixes follow, as PyTorch prints them
        prefix = _dt.PREFIX[0]   # "torch" under ember.compat's present_as_torch
        body = body.replace(f", dtype={prefix}.{self._v.dtype.name}", "")
        suffixes = [f"size={tuple(self._data.shape)}", f"nnz={self._nnz()}"]
        if self._v.dtype not in (_dt.get_default_dtype(), _dt.int64):
            suffixes.append(f"dtype={prefix}.{self._v.dtype.name}")
        suffixes.append(f"layout={self._layout!r}")
        if self._v.grad_fn is not None:
            suffixes.append(f"grad_fn=<{self._v.grad_fn.name}>")
        elif self._v._rg:
            suffixes.append("requires_grad=True")
        text = "tensor(" + body
        last = len(text) - text.rfind("\n") + 1
        force = self._layout == sparse_coo
        for s in suffixes:
            if force or last + len(s) + 2 > 80:
                text += ",\n" + " " * indent + s
                last = indent + len(s)
                force = False
            else:
                text += ", " + s
                last += len(s) + 2
        return text + ")"

    __str__ = __repr__

    def __getitem__(self, index):
        raise NotImplementedError(_unsupported("indexing"))

    def __iter__(self):
        raise NotImplementedError(_unsupported("iteration"))

    def __bool__(self):
        raise NotImplementedError(_unsupported("bool()"))

    def numpy(self, *, force=False):
        raise NotImplementedError(_unsupported("numpy()"))

    def item(self):
        raise NotImplementedError(_unsupported("item()"))

    def __reduce_ex__(self, protocol):
        raise NotImplementedError(_unsupported("saving (ember.save)"))


# Ops that map 0 to 0 act on the stored values alone, as PyTorch's sparse kernels do.
_ZERO_PRESERVING = ("abs", "sqrt", "square", "sin", "sinh", "tan", "tanh", "asin", "asinh", "atan", "atanh",
                    "expm1", "log1p", "sign", "sgn", "floor", "ceil", "round", "trunc", "frac", "relu",
                    "deg2rad", "rad2deg", "erf", "erfinv", "signbit", "isnan", "isinf", "nan_to_num")


def _unary(name):
    def op(self, *args, **kwargs):
        s = self if self._layout != sparse_coo else self.coalesce()   # f(a + b) is not f(a) + f(b)
        return s._with_values(getattr(s._v, name)(*args, **kwargs))
    op.__name__ = name
    op.__doc__ = f"``{name}`` of the stored values (it maps zero to zero, so the result stays sparse)."
    return op


for _name in _ZERO_PRESERVING:
    setattr(SparseTensor, _name, _unary(_name))
SparseTensor.__abs__ = SparseTensor.abs
del _name


def _int_tensor(a):
    from ..autograd.tensor import make
    return make(np.ascontiguousarray(a, dtype=np.int64))


def _as_values(values, dtype):
    from ..creation import tensor
    if isinstance(values, Tensor):
        return values.to(dtype) if dtype is not None and values.dtype != dtype else values
    return tensor(values, dtype=dtype)


def _as_indices(indices, name):
    a = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if a.size == 0:
        a = a.reshape(a.shape if a.ndim == 2 else (1, 0)).astype(np.int64)
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: indices must be an int64 tensor, got dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.int64)


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None, is_coalesced=None):
    """``torch.sparse_coo_tensor``: ``indices`` ``(sparse_dim, nnz)``, ``values`` ``(nnz, *dense_dims)``;
    ``size`` defaults to the smallest shape holding every index."""
    idx = _as_indices(indices, "sparse_coo_tensor")
    if idx.ndim != 2:
        raise ValueError(f"sparse_coo_tensor: indices must be 2-D (sparse_dim, nnz), got shape {idx.shape}")
    v = _as_values(values, dtype)
    if v._data.ndim == 0:
        raise ValueError("sparse_coo_tensor: values must have at least one dimension (nnz, ...)")
    if v._data.shape[0] != idx.shape[1]:
        raise ValueError(f"sparse_coo_tensor: indices hold {idx.shape[1]} entries but values hold "
                         f"{v._data.shape[0]} (values.shape[0] must equal indices.shape[1])")
    nsd = idx.shape[0]
    if size is None:
        sparse_shape = tuple(int(m) + 1 for m in idx.max(1)) if idx.shape[1] else (0,) * nsd
        shape = sparse_shape + tuple(v._data.shape[1:])
    else:
        shape = tuple(int(s) for s in size)
        if len(shape) != nsd + v._data.ndim - 1:
            raise RuntimeError(f"sparse_coo_tensor: number of dimensions must be sparse_dim ({nsd}) + dense_dim "
                               f"({v._data.ndim - 1}), but got size {shape}")
        if tuple(v._data.shape[1:]) != shape[nsd:]:
            raise RuntimeError(f"sparse_coo_tensor: values have dense shape {tuple(v._data.shape[1:])}, "
                               f"size asks for {shape[nsd:]}")
        if idx.shape[1]:
            lo, hi = idx.min(1), idx.max(1)
            for d in range(nsd):
                if lo[d] < 0 or hi[d] >= shape[d]:
                    bad = lo[d] if lo[d] < 0 else hi[d]
                    raise RuntimeError(f"sparse_coo_tensor: index {int(bad)} is out of bounds for dimension "
                                       f"{d} with size {shape[d]}")
    if requires_grad:
        v = v.detach().requires_grad_()
    coalesced = bool(is_coalesced) or idx.shape[1] <= 1
    return SparseTensor._make(idx, v, shape, coalesced)


def _compressed_parts(fn, compressed_indices, plain_indices, values, dtype, cname, pname):
    """Checked ``(compressed, plain, expanded, values)`` of a CSR/CSC constructor ``fn``: ``expanded`` repeats each
    compressed position (row for CSR, column for CSC) once per entry it holds."""
    comp = _as_indices(compressed_indices, fn).reshape(-1)
    plain = _as_indices(plain_indices, fn).reshape(-1)
    if comp.size == 0 or comp[0] != 0 or np.any(np.diff(comp) < 0) or comp[-1] != plain.size:
        raise RuntimeError(f"{fn}: {cname} must start at 0, not decrease and end at nnz ({plain.size}), got "
                           f"{comp.tolist()}")
    v = _as_values(values, dtype)
    if v._data.shape[0] != plain.size:
        raise RuntimeError(f"{fn}: {plain.size} {pname} indices but {v._data.shape[0]} values")
    expanded = np.repeat(np.arange(comp.size - 1, dtype=np.int64), np.diff(comp))
    return comp, plain, expanded, v


def _compressed_shape(fn, shape, plain, plain_dim, pname):
    if len(shape) != 2:
        raise NotImplementedError(f"{fn}: ember's {fn.split('_')[1].upper()} tensors are 2-D, got size {shape}")
    if plain.size and (plain.min() < 0 or plain.max() >= shape[plain_dim]):
        raise RuntimeError(f"{fn}: {pname} indices must be in [0, {shape[plain_dim]}), got "
                           f"[{int(plain.min())}, {int(plain.max())}]")


def sparse_csr_tensor(crow_indices, col_indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None):
    """``torch.sparse_csr_tensor``: row ``i`` holds ``values[crow[i]:crow[i+1]]`` at ``col_indices`` of the same
    slice."""
    fn = "sparse_csr_tensor"
    crow, col, rows, v = _compressed_parts(fn, crow_indices, col_indices, values, dtype, "crow_indices", "column")
    shape = (crow.size - 1, int(col.max()) + 1 if col.size else 0) if size is None else tuple(int(s) for s in size)
    _compressed_shape(fn, shape, col, 1, "column")
    if requires_grad:
        v = v.detach().requires_grad_()
    coo = SparseTensor._make(np.stack([rows, col]), v, shape, False)
    out = coo.coalesce()
    return SparseTensor._make(out._indices_np, out._v, shape, True, sparse_csr)


def sparse_csc_tensor(ccol_indices, row_indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None):
    """``torch.sparse_csc_tensor``: column ``j`` holds ``values[ccol[j]:ccol[j+1]]`` at ``row_indices`` of the same
    slice."""
    fn = "sparse_csc_tensor"
    ccol, row, cols, v = _compressed_parts(fn, ccol_indices, row_indices, values, dtype, "ccol_indices", "row")
    shape = (int(row.max()) + 1 if row.size else 0, ccol.size - 1) if size is None else tuple(int(s) for s in size)
    _compressed_shape(fn, shape, row, 0, "row")
    if ccol.size - 1 != shape[1]:
        raise RuntimeError(f"{fn}: ccol_indices must have size[1] + 1 = {shape[1] + 1} entries, got {ccol.size}")
    if requires_grad:
        v = v.detach().requires_grad_()
    return SparseTensor._make(np.stack([row, cols]), v, shape, True, sparse_csc)


def sparse_compressed_tensor(compressed_indices, plain_indices, values, size=None, *, dtype=None, layout=None,
                             device=None, pin_memory=False, requires_grad=False, check_invariants=None):
    """``torch.sparse_compressed_tensor``: :func:`sparse_csr_tensor` for ``layout=sparse_csr``,
    :func:`sparse_csc_tensor` for ``layout=sparse_csc`` (ember has no blocked BSR/BSC layouts)."""
    kwargs = dict(dtype=dtype, device=device, requires_grad=requires_grad)
    if layout == sparse_csr:
        return sparse_csr_tensor(compressed_indices, plain_indices, values, size, **kwargs)
    if layout == sparse_csc:
        return sparse_csc_tensor(compressed_indices, plain_indices, values, size, **kwargs)
    if layout is None:
        raise RuntimeError("sparse_compressed_tensor expected sparse compressed tensor layout but got none")
    raise NotImplementedError(f"sparse_compressed_tensor: layout {layout!r} is not supported; ember's compressed "
                              f"layouts are sparse_csr and sparse_csc")


def sparse_mask(x, mask):
    """``x.sparse_mask(mask)``: a sparse tensor with ``mask``'s entries (and layout) holding ``x``'s values there;
    the gradient flows back to ``x``."""
    if not isinstance(mask, SparseTensor):
        raise RuntimeError("sparse_mask: expected mask to be a sparse tensor")
    if tuple(x._data.shape) != tuple(mask._data.shape):
        raise RuntimeError(f"sparse_mask(): operands have incompatible sizes; self has size {tuple(x.shape)} but "
                           f"mask has size {tuple(mask.shape)}")
    from ..autograd import grad_mode
    from ..autograd.node import record
    from ..autograd.tensor import make
    idx, shape = mask._indices_np, x._data.shape
    nsd = idx.shape[0]
    rows = int(np.prod(shape[:nsd], dtype=np.int64))
    flat = np.ravel_multi_index(tuple(idx), shape[:nsd]) if nsd and idx.shape[1] else np.zeros(idx.shape[1], np.int64)
    v = make(x._data.reshape((rows,) + tuple(shape[nsd:]))[flat])
    if grad_mode.state.enabled and x._rg:
        def backward(g):
            from ..autograd.ops.index import index_add
            from ..autograd.ops.shape import reshape
            from ..creation import zeros
            dense = index_add(zeros((rows,) + tuple(shape[nsd:]), dtype=g.dtype), 0, _int_tensor(flat), g)
            return (reshape(dense, shape),)
        record(v, "SparseMaskBackward0", backward, (x,))
    return SparseTensor._make(idx, v, shape, mask._coalesced, mask._layout)


def dense_to_sparse(x, sparse_dim=None, layout=None):
    """``Tensor.to_sparse``: the nonzero entries of ``x`` (over its first ``sparse_dim`` dims)."""
    if layout == sparse_csr:
        return dense_to_sparse(x, 2).to_sparse_csr()
    if layout == sparse_csc:
        return dense_to_sparse(x, 2).to_sparse_csc()
    a = x._data
    nsd = a.ndim if sparse_dim is None else int(sparse_dim)
    if not 0 <= nsd <= a.ndim:
        raise RuntimeError(f"to_sparse: sparse_dim {nsd} must be in [0, {a.ndim}]")
    flat = a.reshape((int(np.prod(a.shape[:nsd], dtype=np.int64)),) + a.shape[nsd:])
    keep = np.flatnonzero(flat.reshape(flat.shape[0], -1).any(1)) if flat.size else np.zeros(0, np.int64)
    idx = np.stack(np.unravel_index(keep, a.shape[:nsd])).astype(np.int64).reshape(nsd, -1)
    from ..autograd.ops.index import index_select
    from ..autograd.ops.shape import reshape
    v = index_select(reshape(x, flat.shape), 0, _int_tensor(keep))
    return SparseTensor._make(idx, v, a.shape, True)
