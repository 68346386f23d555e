"""ONNX converters for ember's tensor ops: arithmetic, comparisons, shapes, indexing, reductions.

A converter has the op's own signature after ``(t, out)``: ``t`` is the
:class:`~ember.onnx._export_trace.Tracer` (``t.name(x)`` is the graph value of a tensor or
constant, ``t.set(out, value)`` names the result, ``t.g`` builds nodes) and ``out`` the real
result the op computed. ``OPS`` maps op names (function names, ``Tensor`` method names) to
converters; the layer-level ops (convolution, pooling, normalization ...) are in
``_export_nn_ops`` and join the same table. A converter raises ``NotImplementedError`` with
the reason for arguments ONNX cannot express.
"""
import numpy as np

from ..autograd.tensor import Tensor
from ._export_graph import is_dim, onnx_dtype

OPS = {}
INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


def op(*names):
    def register(fn):
        for n in names:
            OPS[n] = fn
        return fn
    return register


def dtype_of(x):
    if isinstance(x, Tensor):
        return x._data.dtype
    return None


def operand(t, x, dtype):
    """The graph value of ``x`` (tensor or Python number) as ``dtype``."""
    if isinstance(x, Tensor):
        n = t.name(x)
        return t.g.cast(n, dtype) if t.g.dtypes.get(n, x._data.dtype) != np.dtype(dtype) else n
    if is_dim(x):
        return t.name(x, dtype=dtype)
    return t.g.const(np.asarray(x, dtype=dtype))


def out_dtype(out):
    return out[0]._data.dtype if isinstance(out, (tuple, list)) else out._data.dtype


def emit(t, out, op_type, inputs, **attrs):
    name = t.g.node(op_type, inputs, dtype=out._data.dtype, **attrs)
    t.set(out, name)
    return name


def _common_dtype(a, b):
    da = dtype_of(a)
    db = dtype_of(b)
    if da is None:
        return db
    if db is None:
        return da
    return np.result_type(da, db)


# -- elementwise binary ---------------------------------------------------------------------------
def _binary(onnx_op, swap=False):
    def convert(t, out, a, b, *rest, alpha=1, **kw):
        if swap:
            a, b = b, a
        dt = out._data.dtype
        va, vb = operand(t, a, dt), operand(t, b, dt)
        if alpha != 1:
            vb = t.g.node("Mul", [vb, t.g.const(np.asarray(alpha, dt))], dtype=dt)
        emit(t, out, onnx_op, [va, vb])
    return convert


for _names, _op, _swap in ((("add", "add_", "__iadd__"), "Add", False), (("radd",), "Add", True),
                           (("sub", "sub_", "subtract"), "Sub", False), (("rsub_op",), "Sub", True),
                           (("mul", "mul_", "multiply"), "Mul", False), (("rmul",), "Mul", True),
                           (("maximum", "fmax"), "Max", False), (("minimum", "fmin"), "Min", False)):
    op(*_names)(_binary(_op, _swap))


@op("rsub")
def _rsub(t, out, a, b, alpha=1):
    # Tensor.__rsub__(s, o) is o - s; ember.rsub(input, other) is other - alpha * input.
    dt = out._data.dtype
    va, vb = operand(t, a, dt), operand(t, b, dt)
    if alpha != 1:
        va = t.g.node("Mul", [va, t.g.const(np.asarray(alpha, dt))], dtype=dt)
    emit(t, out, "Sub", [vb, va])


@op("div", "div_", "divide", "true_divide", "rdiv")
def _div(t, out, a, b, rounding_mode=None, _swap=False):
    dt = out._data.dtype
    va, vb = operand(t, a, dt), operand(t, b, dt)
    if rounding_mode is None:
        emit(t, out, "Div", [va, vb])
    elif rounding_mode == "floor" and dt.kind == "f":
        emit(t, out, "Floor", [t.g.node("Div", [va, vb], dtype=dt)])
    elif rounding_mode == "trunc" and dt.kind == "f":
        q = t.g.node("Div", [va, vb], dtype=dt)
        emit(t, out, "Mul", [t.g.node("Sign", [q], dtype=dt), t.g.node("Floor", [t.g.node("Abs", [q], dtype=dt)],
                                                                      dtype=dt)])
    else:
        raise NotImplementedError(f"with rounding_mode={rounding_mode!r} on {dt} has no ONNX form here")


OPS["rdiv"] = lambda t, out, a, b: _div(t, out, b, a)


@op("pow")
def _pow(t, out, a, b):
    dt = out._data.dtype
    if not isinstance(b, Tensor) and b == 2:
        x = operand(t, a, dt)
        return emit(t, out, "Mul", [x, x])
    if not isinstance(b, Tensor) and b == 0.5:
        return emit(t, out, "Sqrt", [operand(t, a, dt)])
    emit(t, out, "Pow", [operand(t, a, dt), operand(t, b, dt)])


OPS["rpow"] = lambda t, out, a, b: _pow(t, out, b, a)
OPS["rsub_"] = OPS["rsub"]


@op("floor_divide")
def _floor_divide(t, out, a, b):
    dt = out._data.dtype
    va, vb = operand(t, a, dt), operand(t, b, dt)
    if dt.kind == "f":
        return emit(t, out, "Floor", [t.g.node("Div", [va, vb], dtype=dt)])
    f = np.float64
    q = t.g.node("Floor", [t.g.node("Div", [t.g.cast(va, f), t.g.cast(vb, f)], dtype=f)], dtype=f)
    emit(t, out, "Cast", [q], to=onnx_dtype(dt))


OPS["rfloor_divide"] = lambda t, out, a, b: _floor_divide(t, out, b, a)


@op("remainder")
def _remainder(t, out, a, b):
    dt = out._data.dtype
    if dt.kind == "f":
        return _py_mod(t, out, operand(t, a, dt), operand(t, b, dt))
    emit(t, out, "Mod", [operand(t, a, dt), operand(t, b, dt)], fmod=0)


def _py_mod(t, out, va, vb):
    # Python's remainder: a - floor(a / b) * b (sign of the divisor).
    dt = out._data.dtype
    q = t.g.node("Floor", [t.g.node("Div", [va, vb], dtype=dt)], dtype=dt)
    emit(t, out, "Sub", [va, t.g.node("Mul", [q, vb], dtype=dt)])


OPS["rremainder"] = lambda t, out, a, b: _remainder(t, out, b, a)


@op("fmod")
def _fmod(t, out, a, b):
    dt = out._data.dtype
    emit(t, out, "Mod", [operand(t, a, dt), operand(t, b, dt)], fmod=1 if dt.kind == "f" else 0)


def _compare(onnx_op, negate=False):
    def convert(t, out, a, b):
        dt = _common_dtype(a, b)
        v = t.g.node(onnx_op, [operand(t, a, dt), operand(t, b, dt)], dtype=np.bool_)
        if negate:
            return emit(t, out, "Not", [v])
        t.set(out, v)
    return convert


for _names, _op, _neg in ((("eq",), "Equal", False), (("ne", "not_equal"), "Equal", True),
                          (("lt", "less"), "Less", False), (("le", "less_equal"), "LessOrEqual", False),
                          (("gt", "greater"), "Greater", False), (("ge", "greater_equal"), "GreaterOrEqual", False)):
    op(*_names)(_compare(_op, _neg))


def _logical(onnx_op):
    def convert(t, out, a, b):
        if out._data.dtype != np.bool_:
            raise NotImplementedError("on integer tensors (bitwise) has no ONNX form here")
        emit(t, out, onnx_op, [operand(t, a, np.bool_), operand(t, b, np.bool_)])
    return convert


for _names, _op in ((("logical_and", "and_"), "And"), (("logical_or", "or_"), "Or"),
                    (("logical_xor", "xor_"), "Xor")):
    op(*_names)(_logical(_op))


@op("logical_not", "invert")
def _not(t, out, a):
    if out._data.dtype != np.bool_:
        raise NotImplementedError("on integer tensors (bitwise) has no ONNX form here")
    emit(t, out, "Not", [operand(t, a, np.bool_)])


# -- elementwise unary ------------------------------------------------------------------------------
def _unary(onnx_op):
    def convert(t, out, x, *rest, **kw):
        emit(t, out, onnx_op, [operand(t, x, out._data.dtype)])
    return convert


for _names, _op in ((("neg", "negative", "neg_"), "Neg"), (("abs", "absolute", "abs_"), "Abs"),
                    (("exp", "exp_"), "Exp"), (("log", "log_"), "Log"), (("sqrt", "sqrt_"), "Sqrt"),
                    (("sin",), "Sin"), (("cos",), "Cos"), (("tan",), "Tan"), (("tanh", "tanh_"), "Tanh"),
                    (("sigmoid", "sigmoid_"), "Sigmoid"), (("relu", "relu_"), "Relu"), (("erf",), "Erf"),
                    (("reciprocal",), "Reciprocal"), (("floor",), "Floor"), (("ceil",), "Ceil"),
                    (("sign",), "Sign"), (("asin", "arcsin"), "Asin"), (("acos", "arccos"), "Acos"),
                    (("atan", "arctan"), "Atan"), (("sinh",), "Sinh"), (("cosh",), "Cosh"),
                    (("asinh", "arcsinh"), "Asinh"), (("acosh", "arccosh"), "Acosh"),
                    (("atanh", "arctanh"), "Atanh"), (("softsign",), "Softsign")):
    op(*_names)(_unary(_op))


@op("positive", "contiguous", "clone", "detach", "cpu", "cuda", "to", "type", "float", "double", "half", "long",
    "int", "short", "bool", "byte", "char", "type_as", "requires_grad_", "resolve_conj", "resolve_neg")
def _cast_like_out(t, out, x, *args, **kwargs):
    if not isinstance(out, Tensor):
        raise NotImplementedError("returned a non-tensor")
    n = t.name(x)
    if t.g.dtypes.get(n, x._data.dtype) != out._data.dtype:
        return emit(t, out, "Cast", [n], to=onnx_dtype(out._data.dtype))
    if out is x:
        return
    t.set(out, t.g.node("Identity", [n], dtype=out._data.dtype))


@op("round")
def _round(t, out, x, decimals=0):
    dt = out._data.dtype
    if decimals == 0:
        return emit(t, out, "Round", [operand(t, x, dt)])
    s = t.g.const(np.asarray(10.0 ** decimals, dt))
    emit(t, out, "Div", [t.g.node("Round", [t.g.node("Mul", [operand(t, x, dt), s], dtype=dt)], dtype=dt), s])


@op("rsqrt")
def _rsqrt(t, out, x):
    dt = out._data.dtype
    emit(t, out, "Reciprocal", [t.g.node("Sqrt", [operand(t, x, dt)], dtype=dt)])


@op("square")
def _square(t, out, x):
    v = operand(t, x, out._data.dtype)
    emit(t, out, "Mul", [v, v])


@op("log1p")
def _log1p(t, out, x):
    dt = out._data.dtype
    emit(t, out, "Log", [t.g.node("Add", [operand(t, x, dt), t.g.const(np.asarray(1, dt))], dtype=dt)])


@op("expm1")
def _expm1(t, out, x):
    dt = out._data.dtype
    emit(t, out, "Sub", [t.g.node("Exp", [operand(t, x, dt)], dtype=dt), t.g.const(np.asarray(1, dt))])


@op("isnan")
def _isnan(t, out, x):
    t.set(out, t.g.node("IsNaN", [t.name(x)], dtype=np.bool_))


@op("isinf")
def _isinf(t, out, x):
    t.set(out, t.g.node("IsInf", [t.name(x)], dtype=np.bool_))


@op("clamp", "clip", "clamp_", "clip_")
def _clamp(t, out, x, min=None, max=None):
    dt = out._data.dtype
    v = operand(t, x, dt)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if min is not None:
            v = t.g.node("Max", [v, operand(t, min, dt)], dtype=dt)
        if max is not None:
            v = t.g.node("Min", [v, operand(t, max, dt)], dtype=dt)
        return t.set(out, t.g.node("Identity", [v], dtype=dt))
    lo = t.g.const(np.asarray(min, dt)) if min is not None else ""
    hi = t.g.const(np.asarray(max, dt)) if max is not None else ""
    emit(t, out, "Clip", [v, lo, hi])


OPS["clamp_min"] = lambda t, out, x, min: _clamp(t, out, x, min=min)
OPS["clamp_max"] = lambda t, out, x, max: _clamp(t, out, x, max=max)


@op("where")
def _where(t, out, condition, input=None, other=None):
    if input is None:
        raise NotImplementedError("with one argument (nonzero) has a data-dependent shape")
    dt = out._data.dtype
    emit(t, out, "Where", [operand(t, condition, np.bool_), operand(t, input, dt), operand(t, other, dt)])


@op("masked_fill", "masked_fill_")
def _masked_fill(t, out, input, mask, value):
    dt = out._data.dtype
    emit(t, out, "Where", [operand(t, mask, np.bool_), operand(t, value, dt), operand(t, input, dt)])


@op("lerp")
def _lerp(t, out, input, end, weight):
    dt = out._data.dtype
    a, b = operand(t, input, dt), operand(t, end, dt)
    d = t.g.node("Sub", [b, a], dtype=dt)
    emit(t, out, "Add", [a, t.g.node("Mul", [operand(t, weight, dt), d], dtype=dt)])


# -- matrix products ------------------------------------------------------------------------------------
@op("matmul", "mm", "bmm", "mv", "rmatmul_op")
def _matmul(t, out, a, b):
    dt = out._data.dtype
    emit(t, out, "MatMul", [operand(t, a, dt), operand(t, b, dt)])


OPS["rmatmul"] = lambda t, out, a, b: _matmul(t, out, b, a)


@op("addmm", "baddbmm", "addmv")
def _addmm(t, out, input, m1, m2, *, beta=1, alpha=1):
    dt = out._data.dtype
    p = t.g.node("MatMul", [operand(t, m1, dt), operand(t, m2, dt)], dtype=dt)
    if alpha != 1:
        p = t.g.node("Mul", [p, t.g.const(np.asarray(alpha, dt))], dtype=dt)
    c = operand(t, input, dt)
    if beta != 1:
        c = t.g.node("Mul", [c, t.g.const(np.asarray(beta, dt))], dtype=dt)
    emit(t, out, "Add", [p, c])


@op("einsum")
def _einsum(t, out, equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    dt = out._data.dtype
    emit(t, out, "Einsum", [operand(t, o, dt) for o in operands], equation=equation.replace(" ", ""))


@op("tensordot")
def _tensordot(t, out, a, b, dims=2):
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, int):
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    da, db = [d % na for d in da], [d % nb for d in db]
    letters = "abcdefghijklmnopqrstuvwxyz"
    la = list(letters[:na])
    lb = list(letters[na:na + nb])
    for i, j in zip(da, db):
        lb[j] = la[i]
    res = [la[i] for i in range(na) if i not in da] + [lb[j] for j in range(nb) if j not in db]
    dt = out._data.dtype
    equation = f"{''.join(la)},{''.join(lb)}->{''.join(res)}"
    emit(t, out, "Einsum", [operand(t, a, dt), operand(t, b, dt)], equation=equation)


# -- shapes -------------------------------------------------------------------------------------------------
def _sizes(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return list(args[0])
    return list(args)


def shape_dims(t, x):
    """``x``'s shape as ints and (for sizes that may be dynamic) Dims reading ``x``'s graph value."""
    s = x._data.shape
    n = t.name(x)
    from ._export_graph import Dim
    return [Dim(d, ("shape", n, i)) if d in t.dyn_sizes else d for i, d in enumerate(s)]


@op("reshape", "view")
def _reshape(t, out, x, *shape):
    shape = _sizes(shape)
    if out._data.dtype != x._data.dtype:
        raise NotImplementedError("view(dtype) reinterprets memory, which ONNX cannot express")
    emit(t, out, "Reshape", [t.name(x), t.g.shape_vec([int(s) if not is_dim(s) else s for s in shape])])


@op("view_as", "reshape_as")
def _view_as(t, out, x, other):
    emit(t, out, "Reshape", [t.name(x), t.g.node("Shape", [t.name(other)], dtype=np.int64)])


@op("flatten")
def _flatten(t, out, x, start_dim=0, end_dim=-1):
    nd = x._data.ndim
    if nd == 0:
        return emit(t, out, "Reshape", [t.name(x), t.g.ints([1])])
    s, e = start_dim % nd, end_dim % nd
    if s == e:
        return t.set(out, t.g.node("Identity", [t.name(x)], dtype=out._data.dtype))
    if e == nd - 1 and s == 1:
        return emit(t, out, "Flatten", [t.name(x)], axis=1)
    dims = shape_dims(t, x)
    target = dims[:s] + [-1] + dims[e + 1:]
    emit(t, out, "Reshape", [t.name(x), t.g.shape_vec(target)])


@op("unflatten")
def _unflatten(t, out, x, dim, sizes):
    dims = shape_dims(t, x)
    d = dim % len(dims)
    emit(t, out, "Reshape", [t.name(x), t.g.shape_vec(dims[:d] + list(sizes) + dims[d + 1:])])


@op("permute")
def _permute(t, out, x, *dims):
    dims = _sizes(dims)
    nd = x._data.ndim
    emit(t, out, "Transpose", [t.name(x)], perm=[int(d) % nd for d in dims])


@op("transpose", "swapaxes", "swapdims")
def _transpose(t, out, x, dim0, dim1):
    nd = x._data.ndim
    if nd < 2:
        return t.set(out, t.g.node("Identity", [t.name(x)], dtype=out._data.dtype))
    perm = list(range(nd))
    a, b = dim0 % nd, dim1 % nd
    perm[a], perm[b] = perm[b], perm[a]
    emit(t, out, "Transpose", [t.name(x)], perm=perm)


@op("t")
def _t(t, out, x):
    if x._data.ndim < 2:
        return t.set(out, t.g.node("Identity", [t.name(x)], dtype=out._data.dtype))
    emit(t, out, "Transpose", [t.name(x)], perm=[1, 0])


@op("movedim", "moveaxis")
def _movedim(t, out, x, source, destination):
    nd = x._data.ndim
    src = [s % nd for s in (source if isinstance(source, (list, tuple)) else [source])]
    dst = [d % nd for d in (destination if isinstance(destination, (list, tuple)) else [destination])]
    order = [i for i in range(nd) if i not in src]
    perm = [None] * nd
    for s, d in zip(src, dst):
        perm[d] = s
    it = iter(order)
    perm = [p if p is not None else next(it) for p in perm]
    emit(t, out, "Transpose", [t.name(x)], perm=perm)


@op("unsqueeze", "unsqueeze_")
def _unsqueeze(t, out, x, dim):
    nd = x._data.ndim + 1
    t.set(out, t.g.unsqueeze(t.name(x), [dim % nd], dtype=out._data.dtype))


@op("squeeze", "squeeze_")
def _squeeze(t, out, x, dim=None):
    nd = x._data.ndim
    if dim is None:
        axes = [i for i, s in enumerate(x._data.shape) if s == 1]
    else:
        dims = dim if isinstance(dim, (tuple, list)) else [dim]
        axes = [d % max(nd, 1) for d in dims if nd and x._data.shape[d % nd] == 1]
    if not axes:
        return t.set(out, t.g.node("Identity", [t.name(x)], dtype=out._data.dtype))
    t.set(out, t.g.squeeze(t.name(x), axes, dtype=out._data.dtype))


@op("expand", "broadcast_to")
def _expand(t, out, x, *sizes):
    sizes = _sizes(sizes)
    # -1 keeps the input's size; ONNX Expand broadcasts a 1 to the input's size.
    shape = [1 if (not is_dim(s) and s == -1) else s for s in sizes]
    emit(t, out, "Expand", [t.name(x), t.g.shape_vec(shape)])


@op("expand_as")
def _expand_as(t, out, x, other):
    emit(t, out, "Expand", [t.name(x), t.g.node("Shape", [t.name(other)], dtype=np.int64)])


@op("cat", "concat", "concatenate")
def _cat(t, out, tensors, dim=0, axis=None):
    dim = axis if axis is not None else dim
    dt = out._data.dtype
    parts = [operand(t, x, dt) for x in tensors if not (isinstance(x, Tensor) and x._data.size == 0
                                                         and x._data.ndim == 1)]
    emit(t, out, "Concat", parts, axis=int(dim) % out._data.ndim)


@op("stack")
def _stack(t, out, tensors, dim=0):
    dt = out._data.dtype
    d = int(dim) % out._data.ndim
    parts = [t.g.unsqueeze(operand(t, x, dt), [d], dtype=dt) for x in tensors]
    emit(t, out, "Concat", parts, axis=d)


def _split_outputs(t, outs, x, dim, squeeze=False):
    d = dim % x._data.ndim
    sizes = [o._data.shape[d] if not squeeze else 1 for o in outs]
    names = t.g.split(t.name(x), sizes, d)
    for o, n in zip(outs, names):
        t.set(o, t.g.squeeze(n, [d], dtype=o._data.dtype) if squeeze else n)


@op("split", "chunk", "tensor_split")
def _split(t, out, x, size_or_sections, dim=0):
    _split_outputs(t, list(out), x, dim)


@op("unbind")
def _unbind(t, out, x, dim=0):
    _split_outputs(t, list(out), x, dim, squeeze=True)


@op("narrow")
def _narrow(t, out, x, dim, start, length):
    d = dim % x._data.ndim
    t.set(out, t.g.slice(t.name(x), [start], [start + length], [d]))


@op("select")
def _select(t, out, x, dim, index):
    d = dim % x._data.ndim
    emit(t, out, "Gather", [t.name(x), t.g.const(np.asarray(index, np.int64))], axis=d)


@op("flip")
def _flip(t, out, x, *dims):
    dims = _sizes(dims)
    nd = x._data.ndim
    axes = [d % nd for d in dims]
    t.set(out, t.g.slice(t.name(x), [-1] * len(axes), [INT64_MIN] * len(axes), axes, [-1] * len(axes)))


@op("repeat", "tile")
def _repeat(t, out, x, *sizes):
    sizes = [int(s) for s in _sizes(sizes)]
    n = t.name(x)
    nd = x._data.ndim
    if len(sizes) > nd:
        n = t.g.unsqueeze(n, list(range(len(sizes) - nd)))
    elif len(sizes) < nd:
        sizes = [1] * (nd - len(sizes)) + sizes
    emit(t, out, "Tile", [n, t.g.ints(sizes)])


def _make_trilu(upper):
    def convert(t, out, x, diagonal=0):
        emit(t, out, "Trilu", [t.name(x), t.g.const(np.asarray(diagonal, np.int64))], upper=int(upper))
    return convert


OPS["tril"], OPS["triu"] = _make_trilu(False), _make_trilu(True)


# -- indexing ------------------------------------------------------------------------------------------------
@op("getitem")
def _getitem(t, out, x, idx):
    idx = idx if isinstance(idx, tuple) else (idx,)
    nd = x._data.ndim
    n_real = sum(1 for i in idx if i is not None and i is not Ellipsis)
    if any(isinstance(i, Tensor) and i._data.dtype == np.bool_ for i in idx) or \
            any(isinstance(i, (list, np.ndarray)) and np.asarray(i).dtype == np.bool_ for i in idx):
        raise NotImplementedError("indexing with a boolean mask has a data-dependent shape")
    full = []
    for i in idx:
        if i is Ellipsis:
            full.extend([slice(None)] * (nd - n_real))
        else:
            full.append(i)
    full.extend([slice(None)] * (nd - sum(1 for i in full if i is not None)))
    v = t.name(x)
    dt = out._data.dtype
    starts, ends, axes, steps = [], [], [], []
    gathers, tensor_idx, news = [], [], []
    axis = 0
    out_pos = 0
    for i in full:
        if i is None:
            news.append(out_pos)
            out_pos += 1
            continue
        if isinstance(i, slice):
            if not (i.start is None and i.stop is None and i.step in (None, 1)):
                step = 1 if i.step is None else int(i.step)
                starts.append(i.start if i.start is not None else (0 if step > 0 else -1))
                ends.append(i.stop if i.stop is not None else (INT64_MAX if step > 0 else INT64_MIN))
                axes.append(axis)
                steps.append(step)
            out_pos += 1
        elif isinstance(i, (int, np.integer)) or is_dim(i):
            gathers.append((axis, i))
        else:
            tensor_idx.append((axis, i, out_pos))
            out_pos += 1
        axis += 1
    if tensor_idx and (len(tensor_idx) > 1 or gathers):
        raise NotImplementedError("with several advanced (tensor/int) indices is not supported; index one axis "
                                  "at a time")
    if starts:
        v = t.g.node("Slice", [v, t.g.shape_vec(starts), t.g.shape_vec(ends), t.g.ints(axes), t.g.ints(steps)],
                     dtype=dt)
    for ax, i in sorted(gathers, reverse=True):
        v = t.g.node("Gather", [v, t.name(i, dtype=np.int64) if is_dim(i) else t.g.const(np.asarray(i, np.int64))],
                     axis=ax, dtype=dt)
    for ax, i, _ in tensor_idx:
        ind = i if isinstance(i, Tensor) else np.asarray(i, np.int64)
        iv = operand(t, ind, np.int64) if isinstance(ind, Tensor) else t.g.const(ind)
        v = t.g.node("Gather", [v, iv], axis=ax, dtype=dt)
    if news:
        v = t.g.unsqueeze(v, news, dtype=dt)
    if v == t.name(x):
        v = t.g.node("Identity", [v], dtype=dt)
    t.set(out, v)


@op("setitem")
def _setitem(t, out, x, idx, value):
    """``x[idx] = value`` for a scalar value and basic indices: Where(mask, value, x), the mask built in the graph
    from Range over each indexed axis (so it follows dynamic sizes)."""
    if isinstance(value, Tensor) and value._data.size != 1:
        raise NotImplementedError("with a tensor value is not supported (only scalars)")
    idx = idx if isinstance(idx, tuple) else (idx,)
    nd = x._data.ndim
    if any(i is None or isinstance(i, (Tensor, list, np.ndarray)) for i in idx):
        raise NotImplementedError("with None or tensor indices is not supported")
    n_real = sum(1 for i in idx if i is not Ellipsis)
    full = []
    for i in idx:
        full.extend([slice(None)] * (nd - n_real) if i is Ellipsis else [i])
    g = t.g
    dt = x._data.dtype
    v = t.g.node("Identity", [t.name(x)], dtype=dt)
    dims = shape_dims(t, x)
    mask = None
    for ax, i in enumerate(full):
        if isinstance(i, slice) and i == slice(None):
            continue
        size = g.squeeze(g.shape_vec([dims[ax]]) if is_dim(dims[ax]) else g.ints([dims[ax]]), [0], dtype=np.int64)
        r = g.node("Range", [g.const(np.asarray(0, np.int64)), size, g.const(np.asarray(1, np.int64))],
                   dtype=np.int64)
        n = x._data.shape[ax]
        if isinstance(i, slice):
            start, stop, step = i.indices(n)
            if step != 1 or is_dim(dims[ax]):
                raise NotImplementedError("with a stepped slice or a slice of a dynamic axis is not supported")
            m = g.node("And", [g.node("GreaterOrEqual", [r, g.const(np.asarray(start, np.int64))], dtype=np.bool_),
                               g.node("Less", [r, g.const(np.asarray(stop, np.int64))], dtype=np.bool_)],
                       dtype=np.bool_)
        elif is_dim(i):
            m = g.node("Equal", [r, t.name(i, dtype=np.int64)], dtype=np.bool_)
        else:
            if is_dim(dims[ax]) and int(i) < 0:
                raise NotImplementedError("with a negative index on a dynamic axis is not supported")
            m = g.node("Equal", [r, g.const(np.asarray(int(i) % n, np.int64))], dtype=np.bool_)
        m = g.unsqueeze(m, [a for a in range(nd) if a != ax], dtype=np.bool_) if nd > 1 else m
        mask = m if mask is None else g.node("And", [mask, m], dtype=np.bool_)
    if mask is None:
        t.set(x, g.node("Expand", [operand(t, value, dt), g.node("Shape", [v], dtype=np.int64)], dtype=dt))
        return
    t.set(x, g.node("Where", [mask, operand(t, value, dt), v], dtype=dt))


@op("index_select")
def _index_select(t, out, x, dim, index):
    emit(t, out, "Gather", [t.name(x), operand(t, index, np.int64)], axis=dim % x._data.ndim)


@op("gather", "take_along_dim")
def _gather(t, out, x, dim, index=None, **kw):
    if index is None or isinstance(dim, Tensor):
        dim, index = index, dim
    emit(t, out, "GatherElements", [t.name(x), operand(t, index, np.int64)], axis=dim % x._data.ndim)


# -- reductions ----------------------------------------------------------------------------------------------
def _axes(x, dim):
    nd = x._data.ndim
    if dim is None or dim == ():
        return list(range(nd))
    dims = dim if isinstance(dim, (tuple, list)) else [dim]
    return [int(d) % max(nd, 1) for d in dims]


def _reduce(onnx_op):
    def convert(t, out, x, dim=None, keepdim=False, *, dtype=None, **kw):
        if isinstance(dim, Tensor):
            raise NotImplementedError("with a tensor dim")
        dt = out._data.dtype
        v = operand(t, x, dt)
        if x._data.ndim == 0:
            return t.set(out, t.g.node("Identity", [v], dtype=dt))
        emit_v = t.g.reduce(onnx_op, v, _axes(x, dim), keepdim, dtype=dt)
        t.set(out, emit_v)
    return convert


for _names, _op in ((("sum", "nansum"), "ReduceSum"), (("mean", "nanmean"), "ReduceMean"),
                    (("amax",), "ReduceMax"), (("amin",), "ReduceMin"), (("prod",), "ReduceProd")):
    op(*_names)(_reduce(_op))


def _max_min(onnx_op, arg_op, elementwise):
    def convert(t, out, x, dim=None, keepdim=False, *, other=None):
        if isinstance(dim, Tensor) or other is not None:
            y = other if other is not None else dim
            dt = out._data.dtype
            return emit(t, out, elementwise, [operand(t, x, dt), operand(t, y, dt)])
        if dim is None:
            return t.set(out, t.g.reduce(onnx_op, t.name(x), list(range(x._data.ndim)), False,
                                         dtype=out._data.dtype))
        values, indices = out
        d = int(dim) % x._data.ndim
        t.set(values, t.g.reduce(onnx_op, t.name(x), [d], keepdim, dtype=values._data.dtype))
        t.set(indices, t.g.node(arg_op, [t.name(x)], axis=d, keepdims=int(keepdim), dtype=np.int64))
    return convert


OPS["max"] = _max_min("ReduceMax", "ArgMax", "Max")
OPS["min"] = _max_min("ReduceMin", "ArgMin", "Min")


def _arg(onnx_op):
    def convert(t, out, x, dim=None, keepdim=False):
        v = t.name(x)
        if dim is None:
            v = t.g.node("Reshape", [v, t.g.ints([-1])], dtype=x._data.dtype)
            dim = 0
            keepdim = False
        emit(t, out, onnx_op, [v], axis=int(dim) % max(x._data.ndim, 1), keepdims=int(keepdim))
    return convert


OPS["argmax"] = _arg("ArgMax")
OPS["argmin"] = _arg("ArgMin")


def _var_std(std):
    def convert(t, out, x, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(unbiased, (int, float)) and not isinstance(unbiased, bool) and correction is None:
            correction, unbiased = unbiased, None
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        dt = out._data.dtype
        axes = _axes(x, dim)
        v = t.name(x)
        m = t.g.reduce("ReduceMean", v, axes, True, dtype=dt)
        d = t.g.node("Sub", [v, m], dtype=dt)
        ss = t.g.reduce("ReduceSum", t.g.node("Mul", [d, d], dtype=dt), axes, keepdim, dtype=dt)
        n = int(np.prod([x._data.shape[a] for a in axes]))
        if any(x._data.shape[a] in t.dyn_sizes for a in axes):
            raise NotImplementedError("over a dynamic axis is not supported")
        r = t.g.node("Div", [ss, t.g.const(np.asarray(max(n - correction, 0), dt))], dtype=dt)
        emit(t, out, "Sqrt", [r]) if std else t.set(out, r)
    return convert


OPS["var"] = _var_std(False)
OPS["std"] = _var_std(True)


@op("norm")
def _norm(t, out, x, p="fro", dim=None, keepdim=False, dtype=None):
    dt = out._data.dtype
    if p in ("fro", 2, 2.0, None):
        t.set(out, t.g.reduce("ReduceL2", t.name(x), _axes(x, dim), keepdim, dtype=dt))
    elif p in (1, 1.0):
        t.set(out, t.g.reduce("ReduceL1", t.name(x), _axes(x, dim), keepdim, dtype=dt))
    else:
        raise NotImplementedError(f"with p={p!r}")


@op("logsumexp")
def _logsumexp(t, out, x, dim, keepdim=False):
    t.set(out, t.g.reduce("ReduceLogSumExp", t.name(x), _axes(x, dim), keepdim, dtype=out._data.dtype))


@op("cumsum")
def _cumsum(t, out, x, dim, *, dtype=None):
    dt = out._data.dtype
    emit(t, out, "CumSum", [operand(t, x, dt), t.g.const(np.asarray(dim % x._data.ndim, np.int64))])


@op("topk")
def _topk(t, out, x, k, dim=-1, largest=True, sorted=True):
    values, indices = out
    vs, ix = t.g.node("TopK", [t.name(x), t.g.ints([int(k)])], n_out=2, axis=dim % x._data.ndim,
                      largest=int(largest), sorted=1)
    t.g.dtypes[vs], t.g.dtypes[ix] = values._data.dtype, np.dtype(np.int64)
    t.set(values, vs)
    t.set(indices, ix)


def _softmax(onnx_op, negate=False):
    def convert(t, out, x, dim=None, *args, dtype=None, **kw):
        if dim is None:
            dim = 0 if x._data.ndim in (0, 1, 3) else 1
        dt = out._data.dtype
        v = operand(t, x, dt)
        if negate:
            v = t.g.node("Neg", [v], dtype=dt)
        emit(t, out, onnx_op, [v], axis=int(dim) % max(x._data.ndim, 1))
    return convert


OPS["softmax"] = _softmax("Softmax")
OPS["log_softmax"] = _softmax("LogSoftmax")
OPS["softmin"] = _softmax("Softmax", negate=True)


# -- creation from traced sizes ------------------------------------------------------------------------------
def _fill(value_of):
    def convert(t, out, *args, **kwargs):
        dt = out._data.dtype
        shape = t.g.shape_vec(_creation_sizes(args, kwargs))
        val = value_of(args, kwargs)
        emit(t, out, "ConstantOfShape", [shape],
             value=_tensor_attr(np.asarray([val], dt)))
    return convert


def _creation_sizes(args, kwargs):
    size = kwargs.get("size", args[0] if args else ())
    if isinstance(size, (tuple, list)):
        return list(size)
    return [a for a in args if isinstance(a, (int, np.integer))]


def _tensor_attr(arr):
    from onnx import numpy_helper
    return numpy_helper.from_array(arr)


OPS["zeros"] = OPS["empty"] = _fill(lambda a, k: 0)
OPS["ones"] = _fill(lambda a, k: 1)
OPS["full"] = _fill(lambda a, k: k.get("fill_value", a[1] if len(a) > 1 else 0))


def _fill_like(value_of):
    def convert(t, out, x, *args, **kwargs):
        dt = out._data.dtype
        emit(t, out, "ConstantOfShape", [t.g.node("Shape", [t.name(x)], dtype=np.int64)],
             value=_tensor_attr(np.asarray([value_of(args, kwargs)], dt)))
    return convert


OPS["zeros_like"] = OPS["empty_like"] = _fill_like(lambda a, k: 0)
OPS["ones_like"] = _fill_like(lambda a, k: 1)
OPS["full_like"] = _fill_like(lambda a, k: k.get("fill_value", a[0] if a else 0))


def _new_fill(value_of):
    def convert(t, out, x, *args, **kwargs):
        dt = out._data.dtype
        sizes = args[0] if args and isinstance(args[0], (tuple, list)) else \
            [a for a in args if isinstance(a, (int, np.integer))]
        if value_of is None:
            val = kwargs.get("fill_value", args[1] if len(args) > 1 else 0)
        else:
            val = value_of
        emit(t, out, "ConstantOfShape", [t.g.shape_vec(list(sizes))], value=_tensor_attr(np.asarray([val], dt)))
    return convert


OPS["new_zeros"] = OPS["new_empty"] = _new_fill(0)
OPS["new_ones"] = _new_fill(1)
OPS["new_full"] = _new_fill(None)


@op("arange")
def _arange(t, out, start=0, end=None, step=1, **kw):
    if end is None:
        start, end = 0, start
    dt = out._data.dtype
    emit(t, out, "Range", [operand(t, start, dt), operand(t, end, dt), operand(t, step, dt)])
