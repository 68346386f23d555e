"""Differential fuzzing of common tensor ops against torch 2.13: the same random call on both libraries must
either raise on both or return the same dtype, shape and values.

The generator draws an op, operand dtypes (bool, uint8, int64, float16, float32, float64), shapes (0-d, empty,
broadcastable and not) and arguments (dims in and out of range), seeded, so a failure names a case that
reproduces. ``python -m tests.reliability.differential [N] [seed]`` prints the mismatches grouped by op.
"""
import sys
from collections import Counter

import numpy as np

DTYPES = ["bool", "uint8", "int64", "float16", "float32", "float64"]
SHAPES = [(), (0,), (3,), (2, 3), (1, 3), (2, 1), (2, 0), (4, 3)]
DIMS = [None, 0, 1, -1, -2, 2, -3]


def _dim_ops():
    return {
        "sum": lambda L, x, d: x.sum() if d is None else x.sum(d),
        "mean": lambda L, x, d: x.mean() if d is None else x.mean(d),
        "prod": lambda L, x, d: x.prod() if d is None else x.prod(d),
        "std": lambda L, x, d: x.std() if d is None else x.std(d),
        "var": lambda L, x, d: x.var() if d is None else x.var(d),
        "amax": lambda L, x, d: x.amax() if d is None else x.amax(d),
        "amin": lambda L, x, d: x.amin() if d is None else x.amin(d),
        "max": lambda L, x, d: x.max() if d is None else x.max(d).values,
        "argmax": lambda L, x, d: x.argmax() if d is None else x.argmax(d),
        "argmin": lambda L, x, d: x.argmin() if d is None else x.argmin(d),
        "all": lambda L, x, d: x.all() if d is None else x.all(d),
        "any": lambda L, x, d: x.any() if d is None else x.any(d),
        "logsumexp": lambda L, x, d: L.logsumexp(x, 0 if d is None else d),
        "softmax": lambda L, x, d: L.softmax(x, 0 if d is None else d),
        "log_softmax": lambda L, x, d: L.log_softmax(x, 0 if d is None else d),
        "cumsum": lambda L, x, d: L.cumsum(x, 0 if d is None else d),
        "cumprod": lambda L, x, d: L.cumprod(x, 0 if d is None else d),
        "sort": lambda L, x, d: L.sort(x, -1 if d is None else d).values,
        "argsort": lambda L, x, d: L.argsort(x, -1 if d is None else d),
        "flip": lambda L, x, d: L.flip(x, (0,) if d is None else (d,)),
        "squeeze": lambda L, x, d: x.squeeze() if d is None else x.squeeze(d),
        "unsqueeze": lambda L, x, d: x.unsqueeze(0 if d is None else d),
        "transpose": lambda L, x, d: x.transpose(0, -1 if d is None else d),
        "flatten": lambda L, x, d: x.flatten() if d is None else x.flatten(d),
        "norm": lambda L, x, d: x.norm() if d is None else x.norm(dim=d),
        "count_nonzero": lambda L, x, d: L.count_nonzero(x) if d is None else L.count_nonzero(x, d),
        "median": lambda L, x, d: (x.median() if d is None else x.median(d).values) if x.numel() or x.is_floating_point()
        else L.tensor(0),
        "cummax": lambda L, x, d: L.cummax(x, 0 if d is None else d).values,
        "diff": lambda L, x, d: L.diff(x, dim=-1 if d is None else d),
        "roll": lambda L, x, d: L.roll(x, 1, 0 if d is None else d),
        "topk1": lambda L, x, d: L.topk(x, 1, -1 if d is None else d).values,
        "nansum": lambda L, x, d: L.nansum(x) if d is None else L.nansum(x, d),
        "aminmax": lambda L, x, d: L.aminmax(x).min if d is None else L.aminmax(x, dim=d).min,
        "unbind_first": lambda L, x, d: L.unbind(x, 0 if d is None else d)[0],
        "chunk_first": lambda L, x, d: L.chunk(x, 2, 0 if d is None else d)[0],
        "narrow": lambda L, x, d: L.narrow(x, 0 if d is None else d, 0, 1),
        "select": lambda L, x, d: L.select(x, 0 if d is None else d, 0),
        "movedim": lambda L, x, d: L.movedim(x, 0, -1 if d is None else d),
        "cat_self": lambda L, x, d: L.cat([x, x], 0 if d is None else d),
        "stack_self": lambda L, x, d: L.stack([x, x], 0 if d is None else d),
    }


UNARY = ["abs", "neg", "exp", "log", "sqrt", "sin", "sign", "floor", "ceil", "round", "trunc", "sigmoid", "tanh",
         "relu", "logical_not", "bitwise_not", "isnan", "isinf", "isfinite", "reciprocal", "square", "exp2", "expm1",
         "log1p", "log2", "rsqrt", "erf", "frac", "signbit", "nan_to_num", "positive", "sgn", "deg2rad", "angle",
         "clone", "t", "ravel", "numel_tensor", "nonzero", "argwhere", "isreal", "cos", "asin", "atan", "sinh",
         "erfinv", "lgamma", "digamma", "logit", "i0", "sinc", "fix", "negative", "square_", "abs_", "neg_"]

BINARY = ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "maximum", "minimum", "fmax",
          "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
          "bitwise_xor", "matmul", "atan2", "hypot", "copysign", "nextafter", "xlogy", "where", "true_divide",
          "heaviside", "gcd", "lcm", "bitwise_left_shift", "ldexp", "logaddexp", "dot", "outer", "isclose",
          "equal", "dist", "cross_last", "lerp_half", "masked_fill", "add_", "mul_", "sub_", "div_", "clamp",
          "rsub", "float_power", "mm", "bmm", "kron", "inner"]


def _unary(L, name, x):
    if name == "numel_tensor":
        return L.tensor(x.numel())
    if name == "t":
        return x.t()
    if name.endswith("_") and not name.startswith("square"):
        return getattr(x.clone(), name)()
    if name == "square_":
        return x.clone().square_()
    if name in ("nonzero", "argwhere"):
        return getattr(L, name)(x)
    return getattr(L, name)(x)


def _binary(L, name, x, y):
    if name == "where":
        return L.where(x > 0 if x.dtype != L.bool else x, x, y)
    if name == "cross_last":
        return L.linalg.cross(x, y)
    if name == "lerp_half":
        return L.lerp(x, y, 0.5)
    if name == "masked_fill":
        return x.masked_fill(y > 0 if y.dtype != L.bool else y, 1)
    if name in ("add_", "mul_", "sub_", "div_"):
        return getattr(x.clone(), name)(y)
    if name == "clamp":
        return L.clamp(x, min=y)
    if name == "equal":
        return L.tensor(L.equal(x, y))
    if name == "isclose":
        return L.isclose(x, y)
    return getattr(L, name)(x, y)


def make_array(rng, dtype, shape):
    if dtype == "bool":
        return np.asarray(rng.random(shape) > 0.5)
    if dtype in ("uint8", "int64"):
        lo = 0 if dtype == "uint8" else -4
        return np.asarray(rng.integers(lo, 5, shape).astype(dtype))
    a = np.asarray(rng.standard_normal(shape) * 2)
    if a.size and rng.random() < 0.2:
        a.flat[rng.integers(a.size)] = rng.choice([np.nan, np.inf, -np.inf, 0.0])
    return a.astype(dtype)


def cases(n, seed):
    rng = np.random.default_rng(seed)
    dim_ops = _dim_ops()
    names = [("dim", k) for k in dim_ops] + [("unary", k) for k in UNARY] + [("binary", k) for k in BINARY]
    for i in range(n):
        kind, name = names[rng.integers(len(names))]
        dt = DTYPES[rng.integers(len(DTYPES))]
        shape = SHAPES[rng.integers(len(SHAPES))]
        x = make_array(rng, dt, shape)
        if kind == "dim":
            d = DIMS[rng.integers(len(DIMS))]
            yield i, name, (x, d), (lambda L, a, f=dim_ops[name]: f(L, L.tensor(a[0]), a[1]))
        elif kind == "unary":
            yield i, name, (x,), (lambda L, a, nm=name: _unary(L, nm, L.tensor(a[0])))
        else:
            dt2 = dt if rng.random() < 0.5 else DTYPES[rng.integers(len(DTYPES))]
            shape2 = shape if rng.random() < 0.6 else SHAPES[rng.integers(len(SHAPES))]
            y = make_array(rng, dt2, shape2)
            scalar = rng.random() < 0.15
            if scalar:
                y = [True, 2, -3, 0.5, 0][rng.integers(5)]
            yield i, name, (x, y), (lambda L, a, nm=name: _binary(
                L, nm, L.tensor(a[0]), a[1] if not isinstance(a[1], np.ndarray) else L.tensor(a[1])))


def _as_np(r):
    if isinstance(r, (bool, int, float)):
        return np.asarray(r), type(r).__name__
    return r.detach().numpy(), str(r.dtype).split(".")[-1]


def tolerated(args, e_err, t_err):
    """The two differences that are kept on purpose, each because it cannot change a program that runs on torch:

    - ember accepts a Python number where torch's binding insists on a Tensor (``torch.atan2(x, 0.5)`` is a
      TypeError in torch); a program that runs on torch never passes one.
    - torch lets an out-of-range ``dim`` through on an empty tensor (a legacy of its old 1-D empty tensors);
      ember reports the bad dim, which is a bug in the caller either way.

    (The median of an empty bool or integer tensor is not compared at all: torch returns whatever its
    uninitialised output holds.)
    """
    if t_err is not None and e_err is None and isinstance(t_err, TypeError) and (
            "must be Tensor, not" in str(t_err) or "invalid combination of arguments" in str(t_err)):
        return True
    empty = any(isinstance(a, np.ndarray) and a.size == 0 for a in args)
    return (empty and t_err is None and isinstance(e_err, IndexError)
            and "Dimension out of range" in str(e_err))


def compare(fn, args):
    """None when ember and torch agree, else a short description of the difference."""
    import torch
    import ember
    res = []
    for L in (ember, torch):
        try:
            res.append((_as_np(fn(L, args)), None))
        except Exception as e:  # the exception is what is compared
            res.append((None, e))
    (e_out, e_err), (t_out, t_err) = res
    if tolerated(args, e_err, t_err):
        return None
    if (e_err is None) != (t_err is None):
        if t_err is not None:
            return f"torch raises {type(t_err).__name__}: {str(t_err)[:80]!r}, ember returns"
        return f"ember raises {type(e_err).__name__}: {str(e_err)[:80]!r}, torch returns"
    if e_err is not None:
        return None
    (ev, ed), (tv, td) = e_out, t_out
    if ed != td:
        return f"dtype {ed} vs torch {td}"
    if ev.shape != tv.shape:
        return f"shape {ev.shape} vs torch {tv.shape}"
    if ev.dtype.kind == "f":
        # The coarsest float among the inputs bounds the accuracy: float64 * 2 ** float32 rounds in float32.
        sizes = [ev.dtype.itemsize] + [a.dtype.itemsize for a in args if isinstance(a, np.ndarray)
                                       and a.dtype.kind == "f"]
        tol = {2: 2e-3, 4: 2e-5, 8: 1e-10}[min(sizes)]
        ok = np.allclose(ev.astype(np.float64), tv.astype(np.float64), rtol=tol, atol=tol, equal_nan=True)
    else:
        ok = np.array_equal(ev, tv)
    return None if ok else "values differ"


def run(n=2000, seed=0):
    import warnings
    bad = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for i, name, args, fn in cases(n, seed):
            why = compare(fn, args)
            if why:
                bad.append((i, name, args, why))
    return bad


def _describe(args):
    return ", ".join(f"{a.dtype}{list(a.shape)}" if isinstance(a, np.ndarray) else repr(a) for a in args)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    bad = run(n, seed)
    print(f"{len(bad)} of {n} cases differ")
    by_op = Counter(b[1] for b in bad)
    for op, c in by_op.most_common():
        ex = [b for b in bad if b[1] == op][:3]
        print(f"{op}: {c}")
        for i, _, args, why in ex:
            print(f"    #{i} ({_describe(args)}): {why}")
