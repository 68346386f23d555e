"""Bind the ops onto ``Tensor`` as methods and operators (``x.exp()``, ``x + y``, ``x[i]`` ...).

Binding the plain functions (rather than wrapping them) keeps method calls as
cheap as function calls.
"""
import numpy as np

from .tensor import Tensor
from . import ops
from .ops import elementwise as E, reduce as R, shape as S, index as I, linalg as L
from .ops.softmax import softmax as _softmax, log_softmax as _log_softmax
from .ops import conversion as C, inplace as IP
from .. import random as _random


def _or_not_implemented(compare):
    def operator(self, other):
        try:
            return compare(self, other)
        except TypeError:
            return NotImplemented
    operator.__name__ = compare.__name__
    return operator


def _bind():
    T = Tensor
    # Operators.
    T.__add__ = E.add
    T.__radd__ = lambda s, o: E.add(o, s)
    T.__sub__ = E.sub
    T.__rsub__ = lambda s, o: E.sub(o, s)
    T.__mul__ = E.mul
    T.__rmul__ = E.mul  # self first, as PyTorch records it (grad_fn.next_functions)
    T.__truediv__ = E.div
    T.__rtruediv__ = lambda s, o: E.div(o, s)
    T.__floordiv__ = E.floor_divide
    T.__rfloordiv__ = lambda s, o: E.floor_divide(o, s)
    T.__mod__ = E.remainder
    T.__rmod__ = lambda s, o: E.remainder(o, s)
    T.__pow__ = E.pow
    T.__rpow__ = lambda s, o: E.pow(o, s)
    T.__matmul__ = L.matmul
    T.__rmatmul__ = lambda s, o: L.matmul(o, s)
    T.__neg__ = E.neg
    T.__pos__ = lambda s: s
    T.__abs__ = E.abs
    T.__invert__ = lambda s: E.logical_not(s) if s._data.dtype == np.bool_ else E.bitwise_not(s)
    T.__and__ = lambda s, o: E.logical_and(s, o) if s._data.dtype == np.bool_ else E.bitwise_and(s, o)
    T.__or__ = lambda s, o: E.logical_or(s, o) if s._data.dtype == np.bool_ else E.bitwise_or(s, o)
    T.__xor__ = lambda s, o: E.logical_xor(s, o) if s._data.dtype == np.bool_ else E.bitwise_xor(s, o)
    T.__rand__, T.__ror__, T.__rxor__ = T.__and__, T.__or__, T.__xor__
    # As torch, an operand of a type the op rejects (None, a str) makes the operator return
    # NotImplemented: ``t == None`` is then False and ``t < None`` Python's own TypeError.
    T.__eq__ = _or_not_implemented(E.eq)
    T.__ne__ = _or_not_implemented(E.ne)
    T.__lt__ = _or_not_implemented(E.lt)
    T.__le__ = _or_not_implemented(E.le)
    T.__gt__ = _or_not_implemented(E.gt)
    T.__ge__ = _or_not_implemented(E.ge)
    T.__getitem__ = I.getitem
    T.__setitem__ = I.setitem
    T.__iadd__ = lambda s, o: IP.add_(s, o)
    T.__isub__ = lambda s, o: IP.sub_(s, o)
    T.__imul__ = lambda s, o: IP.mul_(s, o)
    T.__itruediv__ = lambda s, o: IP.div_(s, o)

    names = """
    add sub mul div floor_divide remainder fmod pow maximum minimum fmax fmin atan2 arctan2 lerp
    neg negative abs absolute exp exp2 log log2 log10 log1p expm1 sqrt rsqrt square sin cos tan tanh
    sinh cosh asin acos atan arcsin arccos arctan asinh acosh atanh sigmoid erf erfinv reciprocal sign floor
    ceil trunc fix frac round relu clamp clip clamp_min clamp_max heaviside xlogy
    eq ne lt le gt ge greater greater_equal less less_equal not_equal logical_and logical_or logical_xor
    logical_not bitwise_and bitwise_or bitwise_xor bitwise_not isnan isinf isfinite isposinf isneginf
    nan_to_num allclose isclose equal
    """.split()
    for n in names:
        setattr(T, n, getattr(E, n))
    T.subtract, T.multiply, T.divide, T.true_divide = E.sub, E.mul, E.div, E.div
    T.rsub = E.rsub
    T.where = lambda s, condition, other: E.where(condition, s, other)

    for n in """sum nansum mean nanmean prod amax amin max min argmax argmin var std norm logsumexp cumsum
    cumprod all any count_nonzero sort argsort topk kthvalue median unique""".split():
        setattr(T, n, getattr(R, n))
    for n in """reshape view view_as reshape_as flatten unflatten permute transpose swapaxes swapdims t movedim
    moveaxis squeeze unsqueeze expand expand_as broadcast_to contiguous clone narrow select chunk
    tensor_split unbind flip fliplr flipud roll rot90 tril triu repeat tile repeat_interleave diagonal
    diag""".split():
        setattr(T, n, getattr(S, n))
    # torch's method names its first argument split_size (torch.split's is split_size_or_sections):
    # mamba-minimal calls x.split(split_size=[d_inner, d_inner], dim=-1)
    def split(self, split_size, dim=0):
        return S.split(self, split_size, dim)
    split.__qualname__ = "Tensor.split"
    T.split = split
    for n in """gather scatter scatter_add scatter_reduce index_select index_add index_fill masked_fill
    masked_select masked_scatter take_along_dim take nonzero argwhere""".split():
        setattr(T, n, getattr(I, n))
    for n in "matmul mm bmm mv dot inner outer ger addmm baddbmm addmv".split():
        setattr(T, n, getattr(L, n))
    T.softmax = _softmax
    T.log_softmax = _log_softmax
    for n in ("to type float double half bfloat16 long int short char byte bool type_as cpu cuda pin_memory is_pinned "
              "record_stream").split():
        setattr(T, n, getattr(C, n))
    T.T = property(lambda s: S.permute(s, tuple(range(s._data.ndim - 1, -1, -1))))
    T.mT = property(lambda s: S.transpose(s, -2, -1))
    T.H = property(lambda s: ops.conj(s.T))     # conjugate transposes (plain ones for real tensors)
    T.mH = property(lambda s: ops.conj(s.mT))

    # In-place forms.
    for n in ("add_", "sub_", "mul_", "div_", "addcmul_", "addcdiv_", "zero_", "fill_", "copy_"):
        setattr(T, n, getattr(IP, n))
    T.subtract_, T.multiply_, T.divide_, T.true_divide_ = IP.sub_, IP.mul_, IP.div_, IP.div_
    for n in """neg abs exp exp2 log log2 log10 log1p expm1 sqrt rsqrt square sin cos tan tanh sigmoid erf
    reciprocal sign floor ceil trunc frac round relu clamp clip clamp_min clamp_max pow remainder fmod lerp
    maximum minimum atan2 nan_to_num""".split():
        setattr(T, n + "_", IP.make_inplace(getattr(E, n), n))
    for n in """masked_fill scatter scatter_add index_fill index_add masked_scatter""".split():
        setattr(T, n + "_", IP.make_inplace(getattr(I, n), n))
    for n in ("tril", "triu"):
        setattr(T, n + "_", IP.make_inplace(getattr(S, n), n))
    T.t_ = lambda s: _rebind_shape(s, S.t(s))
    T.transpose_ = T.swapdims_ = lambda s, dim0, dim1: _rebind_shape(s, S.transpose(s, dim0, dim1))
    T.squeeze_ = lambda s, dim=None: _rebind_shape(s, S.squeeze(s, dim))
    T.unsqueeze_ = lambda s, dim: _rebind_shape(s, S.unsqueeze(s, dim))
    T.resize_ = lambda s, *size: _resize(s, size)

    T.uniform_ = _random.uniform_
    T.normal_ = _random.normal_
    T.bernoulli_ = _random.bernoulli_
    T.random_ = _random.random_
    T.exponential_ = _random.exponential_
    T.bernoulli = lambda s, p=None, generator=None: _random.bernoulli(s, p, generator=generator)
    T.multinomial = lambda s, num_samples, replacement=False, *, generator=None: _random.multinomial(
        s, num_samples, replacement, generator=generator)

    # new_*: the source's dtype and device unless given (a meta tensor's new_zeros is on meta)
    T.new_tensor = lambda s, data, dtype=None, device=None, **kw: _creation().tensor(
        data, dtype=dtype or s.dtype, device=device or _device_of(s), **kw)
    T.new_zeros = lambda s, *size, dtype=None, device=None, **kw: _creation().zeros(
        *size, dtype=dtype or s.dtype, device=device or _device_of(s), **kw)
    T.new_ones = lambda s, *size, dtype=None, device=None, **kw: _creation().ones(
        *size, dtype=dtype or s.dtype, device=device or _device_of(s), **kw)
    T.new_empty = lambda s, *size, dtype=None, device=None, **kw: _creation().empty(
        *size, dtype=dtype or s.dtype, device=device or _device_of(s), **kw)
    T.new_full = lambda s, size, fill_value, dtype=None, device=None, **kw: _creation().full(
        size, fill_value, dtype=dtype or s.dtype, device=device or _device_of(s), **kw)


def _device_of(t):
    """The device= a ``new_*`` call on ``t`` passes: "meta" for a meta tensor, else "cpu" (not None: the source's
    device wins over ``with torch.device(...)``, as in torch)."""
    return "meta" if t.is_meta else "cpu"


def _bind_more():
    """Reductions, scans, shape/index ops, linear algebra and their in-place forms (ops/*_more.py ...)."""
    from .ops import (scan, stats, counting, distance, shape_more, index_more, strided, products,
                      inplace_more as IM, torch_linalg as TL)
    T = Tensor
    for mod in (scan, stats, counting, distance, shape_more, index_more, products):
        for n in mod.__all__:
            if n not in ("tril_indices", "triu_indices", "block_diag", "cartesian_prod", "atleast_3d", "dstack",
                         "column_stack", "row_stack", "chain_matmul"):
                setattr(T, n, getattr(mod, n))
    T.vdot = ops.vdot
    T.as_strided, T.as_strided_scatter = strided.as_strided, strided.as_strided_scatter
    T.storage_offset = strided.storage_offset
    T.narrow_copy = strided.narrow_copy
    T.unsafe_chunk, T.unsafe_split, T.unsafe_split_with_sizes = S.chunk, S.split, shape_more.split_with_sizes
    for n in IM.INPLACE_FORMS:
        src = next(m for m in (index_more, R, I, L, distance, products) if hasattr(m, n))
        setattr(T, n + "_", IP.make_inplace(getattr(src, n), n))
    T.swapaxes_ = lambda s, axis0, axis1: _rebind_shape(s, S.transpose(s, axis0, axis1))
    T.as_strided_ = lambda s, size, stride, storage_offset=None: _rebind_shape(
        s, strided.as_strided(s, size, stride, storage_offset))
    for n in ("apply_", "map_", "map2_", "resize_as_", "new_empty_strided", "fill_diagonal_"):
        setattr(T, n, getattr(IM, n))
    T.resize = lambda s, *sizes: S.reshape(s, *sizes).clone()
    T.resize_as = lambda s, other: S.reshape(s, other._data.shape).clone()
    for n in TL.TENSOR_METHODS:
        setattr(T, n, getattr(TL, n))
    _bind_sparse(T)


def _bind_sparse(T):
    """A dense tensor's ways into ember.sparse (imported on first use)."""
    def to_sparse(s, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        from ..sparse.tensor import dense_to_sparse
        return dense_to_sparse(s, sparse_dim, layout)

    def to_sparse_csr(s, dense_dim=None):
        from ..sparse.tensor import dense_to_sparse
        from ..backend.formats import sparse_csr
        return dense_to_sparse(s, 2, sparse_csr)
    def to_sparse_csc(s, dense_dim=None):
        from ..sparse.tensor import dense_to_sparse
        from ..backend.formats import sparse_csc
        return dense_to_sparse(s, 2, sparse_csc)

    def sparse_mask(s, mask):
        from ..sparse.tensor import sparse_mask as _sparse_mask
        return _sparse_mask(s, mask)
    T.to_sparse = T.to_sparse_coo = to_sparse
    T.to_sparse_csr = to_sparse_csr
    T.to_sparse_csc = to_sparse_csc
    T.sparse_mask = sparse_mask
    T.to_dense = lambda s, dtype=None, *, masked_grad=None: s if dtype is None else s.to(dtype)


def _creation():
    from .. import creation
    return creation


def _rebind_shape(s, r):
    s._data = r._data
    if r.grad_fn is not None:
        s.grad_fn = r.grad_fn
    return s


def _resize(s, size):
    from .ops._util import shape_args
    shape = shape_args(size, "resize_")
    s._data = np.resize(s._data, shape)
    return s


_bind()
_bind_more()

from . import pointwise_api as _pointwise_api  # noqa: E402  (pointwise methods, in-place forms, predicates)

_pointwise_api.bind()
