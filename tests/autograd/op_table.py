"""The op table: one row per op, with sample inputs, driving the generic tests in test_ops.py.

Each row names an op and gives ``fn(lib, *inputs)``, called once with ``lib=ember`` and
ember tensors and once with ``lib=torch`` and torch tensors, so both frameworks run the
very same expression. ``samples`` lists input shapes (broadcasting, 0-d, empty) and
``domain`` keeps inputs where the op is smooth.
"""
import dataclasses
from typing import Callable, Sequence

import numpy as np


@dataclasses.dataclass
class OpInfo:
    name: str
    fn: Callable
    samples: Sequence[tuple]             # each sample: a tuple of input shapes
    domain: str = "real"                 # real | pos | unit | nonzero | int
    grad: bool = True                    # differentiable (first order)
    gradgrad: bool = True                # smooth enough for second-order gradcheck
    dtypes: tuple = ("float32", "float64")
    int_ok: bool = False                 # also run forward on int64 inputs
    noncontig: bool = True               # also run on a transposed (non-contiguous) view
    atol: float = 1e-6
    index_args: str = None               # how integer index inputs are drawn (see test_ops.make_inputs)
    fd_eps: float = 1e-6                 # finite-difference step (larger where the op rounds to float32)
    fd_atol: float = 1e-5


UNARY = [(3, 4), (), (0, 3), (5,)]
BINARY = [((3, 4), (3, 4)), ((3, 1), (4,)), ((), (2, 3)), ((2, 3), ()), ((0, 3), (3,))]
REDUCE = [(3, 4), (2, 3, 4)]


def u(name, expr, domain="real", **kw):
    return OpInfo(name, expr, [(s,) for s in UNARY], domain, **kw)


def b(name, expr, domain="real", **kw):
    return OpInfo(name, expr, BINARY, domain, **kw)


def r(name, expr, shapes=REDUCE, **kw):
    return OpInfo(name, expr, [(s,) for s in shapes], **kw)


OPS = [
    # arithmetic
    b("add", lambda L, x, y: x + y, int_ok=True),
    b("add_alpha", lambda L, x, y: L.add(x, y, alpha=2.5)),
    b("sub", lambda L, x, y: x - y, int_ok=True),
    b("mul", lambda L, x, y: x * y, int_ok=True),
    b("div", lambda L, x, y: x / y, domain="nonzero", int_ok=True),
    b("floor_divide", lambda L, x, y: x // y, domain="nonzero", grad=False, int_ok=True),
    b("remainder", lambda L, x, y: x % y, domain="nonzero", int_ok=True, gradgrad=False),
    b("fmod", lambda L, x, y: L.fmod(x, y), domain="nonzero", gradgrad=False),
    b("pow", lambda L, x, y: x ** y, domain="pos"),
    u("pow_scalar", lambda L, x: x ** 3, int_ok=True),
    u("pow_neg_frac", lambda L, x: x ** -1.5, domain="pos"),
    u("rpow", lambda L, x: 2.0 ** x),
    u("scalar_ops", lambda L, x: (3 - x) * 2 / (x * x + 1) + 1.5),
    u("neg", lambda L, x: -x, int_ok=True),
    u("abs", lambda L, x: L.abs(x), domain="nonzero", int_ok=True, gradgrad=False),
    b("maximum", lambda L, x, y: L.maximum(x, y), int_ok=True, gradgrad=False),
    b("minimum", lambda L, x, y: L.minimum(x, y), int_ok=True, gradgrad=False),
    b("fmax", lambda L, x, y: L.fmax(x, y), int_ok=True, gradgrad=False),
    b("fmin", lambda L, x, y: L.fmin(x, y), gradgrad=False),
    b("atan2", lambda L, x, y: L.atan2(x, y), domain="nonzero"),
    b("lerp", lambda L, x, y: L.lerp(x, y, 0.3)),
    OpInfo("lerp_tensor_weight", lambda L, x, y, w: L.lerp(x, y, w), [((3, 4), (3, 4), (4,))]),
    OpInfo("where", lambda L, x, y: L.where(x > y, x, y), BINARY, gradgrad=False),
    u("where_scalar", lambda L, x: L.where(x > 0, x, 0.5), gradgrad=False),
    # math
    u("exp", lambda L, x: L.exp(x), int_ok=True),
    u("exp2", lambda L, x: L.exp2(x)),
    u("log", lambda L, x: L.log(x), domain="pos"),
    u("log2", lambda L, x: L.log2(x), domain="pos"),
    u("log10", lambda L, x: L.log10(x), domain="pos"),
    u("log1p", lambda L, x: L.log1p(x), domain="pos"),
    u("expm1", lambda L, x: L.expm1(x)),
    u("sqrt", lambda L, x: L.sqrt(x), domain="pos", int_ok=True),
    u("rsqrt", lambda L, x: L.rsqrt(x), domain="pos"),
    u("square", lambda L, x: L.square(x), int_ok=True),
    u("sin", lambda L, x: L.sin(x)),
    u("cos", lambda L, x: L.cos(x)),
    u("tan", lambda L, x: L.tan(x), domain="unit"),
    u("tanh", lambda L, x: L.tanh(x)),
    u("sinh", lambda L, x: L.sinh(x)),
    u("cosh", lambda L, x: L.cosh(x)),
    u("asin", lambda L, x: L.asin(x), domain="unit"),
    u("acos", lambda L, x: L.acos(x), domain="unit"),
    u("atan", lambda L, x: L.atan(x)),
    u("sigmoid", lambda L, x: L.sigmoid(x)),
    u("sigmoid_large", lambda L, x: L.sigmoid(x * 50)),
    u("relu", lambda L, x: L.relu(x), domain="nonzero", gradgrad=False),
    u("erf", lambda L, x: L.erf(x)),
    u("clamp", lambda L, x: L.clamp(x, -0.5, 0.7), gradgrad=False),
    u("clamp_min", lambda L, x: x.clamp(min=0.1), gradgrad=False),
    u("clip", lambda L, x: L.clip(x, max=0.2), gradgrad=False),
    OpInfo("clamp_tensor", lambda L, x, lo: L.clamp(x, min=lo), [((3, 4), (4,))], gradgrad=False),
    u("sign", lambda L, x: L.sign(x), int_ok=True),
    u("floor", lambda L, x: L.floor(x), int_ok=True),
    u("ceil", lambda L, x: L.ceil(x)),
    u("round", lambda L, x: L.round(x * 3)),
    u("trunc", lambda L, x: L.trunc(x * 3)),
    u("reciprocal", lambda L, x: L.reciprocal(x), domain="nonzero"),
    u("softmax", lambda L, x: L.softmax(x, -1)),
    u("log_softmax", lambda L, x: L.log_softmax(x, -1)),
    r("softmax_dim0", lambda L, x: L.softmax(x * 100, 0)),
    # reductions
    r("sum", lambda L, x: x.sum(), int_ok=True),
    r("sum_dim", lambda L, x: x.sum(1), int_ok=True),
    r("sum_dims_keep", lambda L, x: x.sum((0, -1), keepdim=True)),
    r("mean", lambda L, x: x.mean()),
    r("mean_dim", lambda L, x: L.mean(x, dim=-1, keepdim=True)),
    r("prod", lambda L, x: x.prod(), int_ok=True),
    r("prod_dim", lambda L, x: x.prod(1)),
    r("max", lambda L, x: x.max(), int_ok=True, gradgrad=False),
    r("max_dim", lambda L, x: x.max(1)[0], int_ok=True, gradgrad=False),
    r("max_dim_idx", lambda L, x: x.max(1, keepdim=True)[1], grad=False, int_ok=True),
    r("min_dim", lambda L, x: L.min(x, dim=0).values, gradgrad=False),
    r("amax", lambda L, x: L.amax(x, (0, 1)), gradgrad=False),
    r("amin", lambda L, x: L.amin(x, -1, keepdim=True), gradgrad=False),
    r("argmax", lambda L, x: L.argmax(x, 1), grad=False, int_ok=True),
    r("argmin", lambda L, x: L.argmin(x), grad=False),
    r("var", lambda L, x: x.var(1)),
    r("var_biased", lambda L, x: L.var(x, 0, unbiased=False)),
    r("var_correction", lambda L, x: x.var(dim=(0, 1), correction=0, keepdim=True)),
    r("std", lambda L, x: x.std()),
    r("std_dim", lambda L, x: x.std(-1, keepdim=True)),
    r("norm", lambda L, x: x.norm()),
    r("norm_dim", lambda L, x: L.norm(x, dim=1)),
    r("norm_p1", lambda L, x: L.norm(x, p=1, dim=0), gradgrad=False),
    r("norm_p3", lambda L, x: L.norm(x, p=3)),
    r("logsumexp", lambda L, x: L.logsumexp(x, 1)),
    r("logsumexp_large", lambda L, x: L.logsumexp(x * 1000, (0, 1))),
    r("cumsum", lambda L, x: x.cumsum(1), int_ok=True),
    r("cumprod", lambda L, x: x.cumprod(-1)),
    r("all", lambda L, x: (x > 0).all(1), grad=False),
    r("any", lambda L, x: (x > 0).any(), grad=False),
    r("topk", lambda L, x: x.topk(2)[0], gradgrad=False),
    r("topk_smallest", lambda L, x: L.topk(x, 2, dim=0, largest=False).values, gradgrad=False),
    r("topk_idx", lambda L, x: x.topk(2)[1], grad=False),
    r("sort", lambda L, x: L.sort(x, 1)[0], gradgrad=False),
    r("sort_desc", lambda L, x: x.sort(descending=True).values, gradgrad=False),
    r("argsort", lambda L, x: x.argsort(-1), grad=False),
    # shape
    r("reshape", lambda L, x: x.reshape(-1, 2)),
    r("view", lambda L, x: x.contiguous().view(4, -1)),
    r("flatten", lambda L, x: x.flatten()),
    OpInfo("unflatten", lambda L, x: x.unflatten(1, (2, 3)), [((4, 6),)]),
    r("permute", lambda L, x: x.permute(*range(x.ndim - 1, -1, -1))),
    r("transpose", lambda L, x: x.transpose(0, -1)),
    OpInfo("t", lambda L, x: x.t(), [((3, 4),)]),
    OpInfo("T_mT", lambda L, x: x.mT * 2, [((2, 3, 4),)]),
    OpInfo("squeeze", lambda L, x: x.squeeze(), [((3, 1, 4, 1),)]),
    OpInfo("squeeze_dim", lambda L, x: x.squeeze(1), [((3, 1, 4),)]),
    r("unsqueeze", lambda L, x: x.unsqueeze(1).unsqueeze(-1)),
    OpInfo("expand", lambda L, x: x.expand(2, 3, 4), [((3, 1),), ((4,),)]),
    OpInfo("expand_as", lambda L, x, y: x.expand_as(y) * y, [((3, 1), (2, 3, 4))]),
    OpInfo("broadcast_to", lambda L, x: L.broadcast_to(x, (2, 3, 4)), [((1, 4),)]),
    r("repeat", lambda L, x: x.repeat(2, 1, 3)),
    r("tile", lambda L, x: L.tile(x, (2,))),
    OpInfo("cat", lambda L, x, y: L.cat([x, y], 1), [((3, 4), (3, 2)), ((2, 3, 4), (2, 1, 4))]),
    OpInfo("cat_neg", lambda L, x, y: L.cat((x, y), -1), [((3, 4), (3, 2))]),
    OpInfo("stack", lambda L, x, y: L.stack([x, y], 1), [((3, 4), (3, 4))]),
    OpInfo("stack_0d", lambda L, x, y: L.stack([x, y], -1), [((), ())]),
    r("split", lambda L, x: x.split(2, 1)[1]),
    r("split_sizes", lambda L, x: L.split(x, [1, 2], dim=-2)[1]),
    r("chunk", lambda L, x: x.chunk(2, -1)[0]),
    r("unbind", lambda L, x: x.unbind(0)[1]),
    r("flip", lambda L, x: x.flip(0, -1)),
    r("flip_tuple", lambda L, x: L.flip(x, (0,))),
    r("roll", lambda L, x: x.roll(1, 1)),
    OpInfo("roll_multi", lambda L, x: L.roll(x, (1, -2), (0, 1)), [((3, 4),)]),
    OpInfo("tril", lambda L, x: L.tril(x, -1), [((4, 5),), ((2, 3, 3),)]),
    OpInfo("triu", lambda L, x: x.triu(1), [((4, 5),)]),
    r("contiguous", lambda L, x: x.transpose(0, 1).contiguous()),
    r("narrow", lambda L, x: x.narrow(-1, 1, 2)),
    r("select", lambda L, x: x.select(1, -1)),
    OpInfo("diagonal", lambda L, x: L.diagonal(x, 1), [((4, 5),)]),
    OpInfo("diag", lambda L, x: L.diag(x), [((4,),), ((4, 4),)]),
    OpInfo("movedim", lambda L, x: L.movedim(x, 0, -1), [((2, 3, 4),)]),
    # indexing
    r("getitem_basic", lambda L, x: x[1:, ::2]),
    r("getitem_none_ellipsis", lambda L, x: x[None, ..., -1]),
    r("getitem_int", lambda L, x: x[1]),
    r("getitem_list", lambda L, x: x[[0, 1, 1]]),
    r("getitem_mask", lambda L, x: x[x > 0]),
    OpInfo("getitem_tensor_idx", lambda L, x, i: x[i], [((5, 3), (4,))], index_args="idx5"),
    OpInfo("getitem_2adv", lambda L, x: x[[0, 1, 1], [2, 0, 0]], [((3, 4),)]),
    OpInfo("getitem_mixed", lambda L, x: x[:, [1, 1, 0], 1:], [((2, 3, 4),)]),
    OpInfo("gather", lambda L, x, i: L.gather(x, 1, i), [((4, 5), (4, 3))], index_args="idx_dim1"),
    OpInfo("scatter", lambda L, x, i, s: x.scatter(1, i, s), [((4, 5), (4, 1), (4, 1))], index_args="idx_dim1"),
    OpInfo("scatter_add", lambda L, x, i, s: L.scatter_add(x, 1, i, s), [((4, 5), (4, 3), (4, 3))],
           index_args="idx_dim1"),
    OpInfo("index_select", lambda L, x, i: L.index_select(x, 0, i), [((5, 3), (4,))], index_args="idx5"),
    r("masked_fill", lambda L, x: x.masked_fill(x > 0.5, -1.0)),
    r("masked_select", lambda L, x: L.masked_select(x, x < 0)),
    OpInfo("take_along_dim", lambda L, x, i: L.take_along_dim(x, i, 1), [((4, 5), (4, 3))],
           index_args="idx_dim1"),
    r("nonzero", lambda L, x: L.nonzero(x > 0), grad=False),
    OpInfo("one_hot", lambda L, i: (L.nn.functional.one_hot(i, 5) if L.__name__ == "torch"
                                    else L.one_hot(i, 5)), [((4,),)], grad=False, index_args="only_idx5"),
    # linear algebra
    OpInfo("matmul_2d", lambda L, x, y: x @ y, [((3, 4), (4, 5))], int_ok=True),
    OpInfo("matmul_1d_1d", lambda L, x, y: L.matmul(x, y), [((4,), (4,))]),
    OpInfo("matmul_1d_2d", lambda L, x, y: x @ y, [((4,), (4, 5)), ((4,), (2, 4, 5))]),
    OpInfo("matmul_2d_1d", lambda L, x, y: x @ y, [((3, 4), (4,)), ((2, 3, 4), (4,))]),
    OpInfo("matmul_batched_bcast", lambda L, x, y: x @ y, [((2, 1, 3, 4), (5, 4, 2)), ((2, 3, 4), (4, 5))]),
    OpInfo("mm", lambda L, x, y: L.mm(x, y), [((3, 4), (4, 2))]),
    OpInfo("bmm", lambda L, x, y: L.bmm(x, y), [((2, 3, 4), (2, 4, 5))]),
    OpInfo("einsum", lambda L, x, y: L.einsum("bij,bjk->bik", x, y), [((2, 3, 4), (2, 4, 5))]),
    OpInfo("einsum_reduce", lambda L, x, y: L.einsum("ij,k->j", x, y), [((3, 4), (2,))]),
    OpInfo("einsum_implicit", lambda L, x, y: L.einsum("ij,jk", x, y), [((3, 4), (4, 2))]),
    OpInfo("outer", lambda L, x, y: L.outer(x, y), [((3,), (4,))]),
    OpInfo("dot", lambda L, x, y: L.dot(x, y), [((4,), (4,))]),
    # conversion
    u("to_double", lambda L, x: x.to(L.float64) * 2),
    u("float_roundtrip", lambda L, x: x.float().double(), fd_eps=1e-3, fd_atol=1e-3),
    u("type_as", lambda L, x: x.type_as(x.double())),
    # comparison and logic (forward only)
    b("eq", lambda L, x, y: x == y, grad=False, int_ok=True),
    b("lt", lambda L, x, y: x < y, grad=False, int_ok=True),
    b("ge", lambda L, x, y: x >= y, grad=False),
    b("logical_and", lambda L, x, y: L.logical_and(x > 0, y > 0), grad=False),
    b("logical_or", lambda L, x, y: L.logical_or(x > 0, y > 0), grad=False),
    b("logical_xor", lambda L, x, y: L.logical_xor(x > 0, y > 0), grad=False),
    u("logical_not", lambda L, x: L.logical_not(x > 0), grad=False),
    u("isnan", lambda L, x: L.isnan(L.log(x)), grad=False),
    u("isinf", lambda L, x: L.isinf(1 / (x * 0)), grad=False),
    u("isfinite", lambda L, x: L.isfinite(L.log(x)), grad=False),
]

from .op_table_pointwise import OPS as _POINTWISE  # noqa: E402  (pointwise ops and ember.special)

OPS += _POINTWISE
OP_NAMES = [op.name for op in OPS]
