"""Matrix products: matmul (``@``), mm, bmm, einsum, outer, dot, addmm, baddbmm.

``matmul`` follows NumPy's (and PyTorch's) rules: 1-D operands are promoted to a
row or column and the added dim is removed afterwards; leading dims broadcast.
The gradients are ``g @ B^T`` and ``A^T @ g``, summed back over broadcast dims.
"""
import numpy as np

from ...backend import dtypes as _dt
from .. import grad_mode
from .. import op_hooks as _hooks
from ..node import record as _rec
from ..tensor import Tensor
from ._util import out, prep
from .elementwise import sum_to, mul, add
from .shape import transpose as _transpose, unsqueeze as _unsqueeze, reshape as _reshape  # not inside rules: ~1-2 us a call

_gm = grad_mode.state



def _mT(x):
    return _transpose(x, -1, -2)


def _same_dtype_product(name, x, y):
    """Products do not promote, as in PyTorch: a float32 weight times a float64 input is a bug to report,
    not a silent float64 computation. Bool has no product kernel."""
    dx, dy = x._data.dtype, y._data.dtype
    if dx != dy:
        raise RuntimeError(f"{name}(): expected both operands to have the same dtype, but got {x.dtype} and "
                           f"{y.dtype} (shapes {tuple(x._data.shape)} and {tuple(y._data.shape)})")
    if dx == np.bool_ and (x._data.size and y._data.size or x._data.ndim == 1 and y._data.ndim == 1):
        raise NotImplementedError(f"{name}(): not implemented for bool tensors")


def matmul(input, other):
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' must be Tensor, not {type(other).__name__}")
    if input._sparse or other._sparse:
        from ...sparse.ops import matmul as sparse_matmul
        return sparse_matmul(input, other)
    _same_dtype_product("matmul", input, other)
    a, b, ta, tb = prep(input, other, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim >= 2 else b.shape[0]
    if ka != kb:
        if a.ndim <= 2 and b.ndim <= 2:
            raise RuntimeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
                               f"({ka} != {kb})")
        raise RuntimeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
                           f"({ka} != {kb} in the contracted dimension)")
    try:
        t = out(np.matmul(a, b))
    except ValueError:
        raise RuntimeError(f"matmul: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                           "broadcast together") from None
    if _gm.enabled and (ta._rg or tb._rg):
        def backward(g):
            if a.ndim == 1 and b.ndim == 1:
                return (mul(g, tb) if ta._rg else None, mul(g, ta) if tb._rg else None)
            A = _unsqueeze(ta, 0) if a.ndim == 1 else ta
            B = _unsqueeze(tb, -1) if b.ndim == 1 else tb
            G = g
            if a.ndim == 1:
                G = _unsqueeze(G, -2)
            if b.ndim == 1:
                G = _unsqueeze(G, -1)
            ga = gb = None
            if ta._rg:
                ga = matmul(G, _mT(B))
                ga = _reshape(sum_to(ga, A._data.shape), a.shape)
            if tb._rg:
                gb = matmul(_mT(A), G)
                gb = _reshape(sum_to(gb, B._data.shape), b.shape)
            return ga, gb
        _rec(t, "MmBackward0" if a.ndim == 2 and b.ndim == 2 else "MatmulBackward0", backward, (ta, tb),
             tuple(x for x, need in ((ta, tb._rg), (tb, ta._rg)) if need))
    if _hooks.observers:
        _hooks.product("matmul", a.shape, b.shape, t, (_gm.enabled and ta._rg, _gm.enabled and tb._rg))
    return t


def mm(input, mat2):
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"mm: both arguments must be 2D, got {input._data.ndim}D and {mat2._data.ndim}D")
    if input._data.shape[1] != mat2._data.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({input._data.shape[0]}x"
                           f"{input._data.shape[1]} and {mat2._data.shape[0]}x{mat2._data.shape[1]})")
    return matmul(input, mat2)


def bmm(input, mat2):
    a, b = input._data, mat2._data
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"bmm: both arguments must be 3D, got {a.ndim}D and {b.ndim}D")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"bmm: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied")
    return matmul(input, mat2)


def mv(input, vec):
    return matmul(input, vec)


def dot(input, other):
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
                           "have the same number of elements, but got different")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {input.dtype} and {other.dtype}")
    return matmul(input, other)


vdot = dot


def inner(input, other):
    """``sum_k input[..., k] * other[..., k]``: the result has shape ``input.shape[:-1] + other.shape[:-1]``;
    a 0-d operand multiplies the other."""
    from .shape import reshape
    from .elementwise import mul as _mul
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return _mul(input, other)
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(a.shape)} and {list(b.shape)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"inner(): both inputs should have same dtype, got {input.dtype} and {other.dtype}")
    if a.ndim == 1 and b.ndim == 1:
        return dot(input, other)
    k = a.shape[-1]
    rows = lambda s: int(np.prod(s[:-1], dtype=np.int64))  # noqa: E731 - explicit, as -1 is ambiguous when k = 0
    r = matmul(reshape(input, (rows(a.shape), k)), _mT(reshape(other, (rows(b.shape), k))))
    return reshape(r, a.shape[:-1] + b.shape[:-1])


def outer(input, vec2):
    """``input[i] * vec2[j]`` for 1-D operands."""
    from .shape import reshape
    for name, v in (("self", input), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v._data.ndim}-D")
    return mul(reshape(input, (-1, 1)), reshape(vec2, (1, -1)))


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    if _hooks.observers:
        _hooks.rename("addmm")
    p = mm(mat1, mat2)
    return add(mul(input, beta) if beta != 1 else input, mul(p, alpha) if alpha != 1 else p)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    if _hooks.observers:
        _hooks.rename("baddbmm")
    p = bmm(batch1, batch2)
    return add(mul(input, beta) if beta != 1 else input, mul(p, alpha) if alpha != 1 else p)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    p = mv(mat, vec)
    return add(mul(input, beta) if beta != 1 else input, mul(p, alpha) if alpha != 1 else p)


def _parse_einsum(equation, n):
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:
        lhs = eq
        letters = lhs.replace(",", "").replace("...", "")
        rhs = ("..." if "..." in lhs else "") + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    ins = lhs.split(",")
    if len(ins) != n:
        raise RuntimeError(f"einsum(): {len(ins)} operands in the equation '{equation}' but {n} tensors given")
    return ins, rhs


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``; gradients by einsum of the other operands."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ins, rhs = _parse_einsum(equation, len(operands))
    arrays = [o._data for o in operands]
    dt = operands[0].dtype
    for o in operands[1:]:
        dt = _dt.promote_types(dt, o.dtype)
    arrays = [x.astype(dt.numpy, copy=False) for x in arrays]
    try:
        r = np.einsum(",".join(ins) + "->" + rhs, *arrays, optimize=len(arrays) > 2)
    except ValueError as e:
        raise RuntimeError(f"einsum(): {e} (equation '{equation}', shapes "
                           f"{[tuple(x.shape) for x in arrays]})") from None
    t = out(r)
    if _gm.enabled and any(o._rg for o in operands):
        def backward(g):
            grads = []
            for i, o in enumerate(operands):
                if not o._rg:
                    grads.append(None)
                    continue
                spec = ins[i]
                if len(set(spec.replace("...", ""))) != len(spec.replace("...", "")):
                    raise RuntimeError("einsum backward with a repeated index within one operand is not supported")
                others = [ins[j] for j in range(len(operands)) if j != i]
                avail = set("".join(others) + rhs)
                target = "".join(c for c in spec if c in avail or c == ".")
                eq = ",".join([rhs] + others) + "->" + target
                gi = einsum(eq, g, *[operands[j] for j in range(len(operands)) if j != i])
                if target != spec:
                    from .shape import reshape, expand
                    kept = [c for c in spec if c in avail]
                    shape = [o._data.shape[k] if c not in avail else -1 for k, c in enumerate(spec)]
                    view = [gi._data.shape[kept.index(c)] if c in avail else 1 for c in spec]
                    gi = expand(reshape(gi, tuple(view)), tuple(o._data.shape))
                grads.append(gi)
            return tuple(grads)
        _rec(t, "EinsumBackward0", backward, tuple(operands), tuple(operands))
    return t

