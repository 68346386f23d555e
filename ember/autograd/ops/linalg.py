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
from .conversion import in_float32
from ..autocast_state import active as _autocast, run_lower
from .elementwise import sum_to, mul, add
from .products import _combine
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
    if _autocast.cpu:
        return run_lower(matmul, input, other)
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' must be Tensor, not {type(other).__name__}")
    if input._sparse or other._sparse:
        from ...sparse.ops import matmul as sparse_matmul
        return sparse_matmul(input, other)
    _same_dtype_product("matmul", input, other)
    a, b, ta, tb = prep(input, other, "matmul")
    if a.dtype.char not in "fd" and (a.dtype.kind == "V" or a.dtype.char == "e"):
        # bfloat16/float16: a float32 product rounded once, as PyTorch's CPU GEMM (forward, backward)
        return in_float32(matmul, input, other)
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
            if a.ndim >= 2 and b.ndim >= 2 and not _gm.enabled:
                # First order, matrices: the same two products straight in NumPy, without the matmul op's
                # checks and wrapping for each (bit for bit the products below).
                gd = g._data
                ga = sum_to(out(np.matmul(gd, np.swapaxes(b, -1, -2))), a.shape) if ta._rg else None
                gb = sum_to(out(np.matmul(np.swapaxes(a, -1, -2), gd)), b.shape) if tb._rg else None
                return ga, gb
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
    """``beta * input + alpha * mat1 @ mat2``; with ``beta = 0`` ``input`` is ignored (NaN/inf in it,
    e.g. the ``torch.empty`` buffer Hugging Face's attention passes, do not propagate), as PyTorch."""
    if _autocast.cpu:
        return run_lower(addmm, input, mat1, mat2, beta=beta, alpha=alpha)
    if mat1._data.dtype.char not in "fd" and (mat1._data.dtype.kind == "V" or mat1._data.dtype.char == "e"):
        # bfloat16/float16: product and sum in float32, rounded once, as PyTorch's addmm
        return in_float32(addmm, input, mat1, mat2, beta=beta, alpha=alpha)
    if _hooks.observers:
        _hooks.rename("addmm")
    return _combine(input, mm(mat1, mat2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * bmm(batch1, batch2)``; ``beta = 0`` ignores ``input``, as :func:`addmm`."""
    if _autocast.cpu:
        return run_lower(baddbmm, input, batch1, batch2, beta=beta, alpha=alpha)
    if batch1._data.dtype.char not in "fd" and (batch1._data.dtype.kind == "V" or batch1._data.dtype.char == "e"):
        # bfloat16/float16: in float32, rounded once, as PyTorch's baddbmm
        return in_float32(baddbmm, input, batch1, batch2, beta=beta, alpha=alpha)
    if _hooks.observers:
        _hooks.rename("baddbmm")
    return _combine(input, bmm(batch1, batch2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * mat @ vec``; ``beta = 0`` ignores ``input``, as :func:`addmm`."""
    return _combine(input, mv(mat, vec), beta, alpha)


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


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _sublist_equation(args):
    """``einsum(op0, [0, 1], op1, [1, 2], [0, 2])``, PyTorch's sublist form, as an equation and operands:
    integers 0..51 name the dimensions and ``...`` (Ellipsis) the broadcast ones."""
    def spec(sub):
        out = []
        for v in sub:
            if v is Ellipsis:
                out.append("...")
            elif isinstance(v, int) and 0 <= v < len(_LETTERS):
                out.append(_LETTERS[v])
            else:
                raise ValueError(f"einsum(): subscript in subscript list is not within the valid range [0, 52), "
                                 f"got {v!r}")
        return "".join(out)
    n = len(args) // 2
    operands, specs = list(args[0:2 * n:2]), [spec(sub) for sub in args[1:2 * n:2]]
    eq = ",".join(specs)
    if len(args) % 2:
        eq += "->" + spec(args[-1])
    return eq, operands


def _letter_sizes(spec, shape):
    """``{letter: size}`` for an operand's subscripts (``...`` skipped over)."""
    if "..." in spec:
        head, tail = spec.split("...")
        return {**dict(zip(head, shape)), **dict(zip(tail, shape[len(shape) - len(tail):] if tail else ()))}
    return dict(zip(spec, shape))


def _operand_grad(g, rhs, ins, operands, i):
    """The gradient of operand ``i``: ``g`` contracted with the other operands onto the operand's own
    distinct subscripts, broadcast over those summed inside it alone, and put on the diagonal of any
    repeated subscript (``'ii->i'``: the gradient lives on the diagonal, zero elsewhere)."""
    from .shape import reshape, expand
    o, spec = operands[i], ins[i]
    others = [ins[j] for j in range(len(operands)) if j != i]
    avail = set("".join(others) + rhs)
    uniq = "".join(dict.fromkeys(spec.replace("...", "\0")).keys()).replace("\0", "...")
    target = "".join(c for c in uniq if c in avail or c == ".")
    gi = einsum(",".join([rhs] + others) + "->" + target, g, *[operands[j] for j in range(len(operands)) if j != i])
    sizes = _letter_sizes(spec, o._data.shape)
    if target != uniq:
        # Subscripts summed inside this operand alone: the gradient is the same along them.
        head, _, tail = uniq.partition("...")
        ell = list(o._data.shape[len(head):o._data.ndim - len(tail)]) if "..." in uniq else []
        view, full = [], []
        for part in (head, None, tail):
            if part is None:
                view += ell
                full += ell
                continue
            for c in part:
                view.append(sizes[c] if c in avail else 1)
                full.append(sizes[c])
        gi = expand(reshape(gi, tuple(view)), tuple(full))
    if len(uniq.replace("...", "")) != len(spec.replace("...", "")):
        used = set(",".join(ins) + rhs)
        fresh = iter(c for c in _LETTERS if c not in used)
        seen, renamed, eyes = set(), [], []
        for c in spec.replace("...", "\0"):
            if c in seen:
                new = next(fresh)
                eyes.append((c + new, sizes[c]))
                renamed.append(new)
            else:
                seen.add(c)
                renamed.append(c)
        renamed = "".join(renamed).replace("\0", "...")
        eye_tensors = [out(np.eye(n, dtype=g._data.dtype)) for _, n in eyes]
        gi = einsum(",".join([uniq] + [e for e, _ in eyes]) + "->" + renamed, gi, *eye_tensors)
    if tuple(gi._data.shape) != o._data.shape:   # '...' broadcast this operand against a larger one
        gi = sum_to(gi, o._data.shape)
    return gi


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)`` or the sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])``; gradients by einsum of the other operands."""
    if not isinstance(equation, str):
        equation, operands = _sublist_equation((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ins, rhs = _parse_einsum(equation, len(operands))
    arrays = [o._data for o in operands]
    dt = operands[0].dtype
    for o in operands[1:]:
        dt = _dt.promote_types(dt, o.dtype)
    if dt.numpy.kind == "V" or dt.numpy.char == "e":
        # bfloat16 (NumPy's einsum refuses it) and float16 (no BLAS): in float32, rounded once, as PyTorch's bmm
        # (with three or more operands PyTorch rounds each pairwise product; here only the result is rounded)
        return in_float32(einsum, equation, *operands)
    arrays = [x.astype(dt.numpy, copy=False) for x in arrays]
    try:
        r = np.einsum(",".join(ins) + "->" + rhs, *arrays, optimize=len(arrays) > 2)
    except ValueError as e:
        raise RuntimeError(f"einsum(): {e} (equation '{equation}', shapes "
                           f"{[tuple(x.shape) for x in arrays]})") from None
    t = out(r)
    if _gm.enabled and any(o._rg for o in operands):
        def backward(g):
            return tuple(_operand_grad(g, rhs, ins, operands, i) if o._rg else None for i, o in enumerate(operands))
        _rec(t, "EinsumBackward0", backward, tuple(operands), tuple(operands))
    return t

