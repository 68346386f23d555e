"""keras.ops' NumPy-like ops: ember.keras.ops against Keras 3 (PyTorch backend), one row per case:
values, shapes, dtypes, and gradients for the differentiable ones."""
import numpy as np
import pytest

from tests.keras.ops_oracle import f32, f64, ints, pos, run, table_params

x23, y23 = f64(2, 3), f64(2, 3, seed=1)
x234 = f64(2, 3, 4, seed=2)
i23 = ints(2, 3)
G = dict(grad=True)

UNARY_GRAD = ["abs", "absolute", "negative", "square", "sin", "cos", "tan", "sinh", "cosh", "tanh", "arctan",
              "arcsinh", "exp", "exp2", "expm1", "sign", "fabs", "cbrt", "deg2rad", "rad2deg", "sinc", "i0",
              "reciprocal", "trunc", "round", "ceil", "floor", "conj", "real", "angle", "copy", "ravel",
              "fliplr", "flipud", "transpose", "nan_to_num"]
UNARY_POS = ["sqrt", "log", "log10", "log1p", "log2", "arccosh"]
UNARY_UNIT = ["arcsin", "arccos", "arctanh"]
UNARY_BOOL = ["isfinite", "isinf", "isnan", "isneginf", "isposinf", "isreal", "signbit", "logical_not"]
BINARY_GRAD = ["add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum", "fmax", "fmin",
               "arctan2", "logaddexp", "logaddexp2", "hypot", "power"]
BINARY_CMP = ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and",
              "logical_or", "logical_xor", "isclose"]
INT_BINARY = ["bitwise_and", "bitwise_or", "bitwise_xor", "gcd", "lcm", "mod", "fmod", "floor_divide"]

ROWS = []
for n in UNARY_GRAD:
    ROWS.append((f"{n}", lambda o, x, n=n: getattr(o, n)(x), [x23], G))
    ROWS.append((f"{n}-f32", lambda o, x, n=n: getattr(o, n)(x), [f32(2, 3)], {}))
for n in UNARY_POS:
    ROWS.append((n, lambda o, x, n=n: getattr(o, n)(x), [pos(3, 2) + (1.0 if n == "arccosh" else 0.0)], G))
for n in UNARY_UNIT:
    ROWS.append((n, lambda o, x, n=n: getattr(o, n)(x), [f64(5, lo=-0.9, hi=0.9)], G))
for n in UNARY_BOOL:
    ROWS.append((n, lambda o, x, n=n: getattr(o, n)(x), [np.array([1.0, -np.inf, np.nan, np.inf, -0.0, 2.0])], {}))
for n in UNARY_GRAD[:22] + UNARY_POS[:5]:
    ROWS.append((f"{n}-int", lambda o, x, n=n: getattr(o, n)(x), [ints(4, lo=1, hi=5)], {}))
    ROWS.append((f"{n}-int64", lambda o, x, n=n: getattr(o, n)(x), [ints(4, lo=1, hi=5, dtype=np.int64)], {}))
for n in BINARY_GRAD:
    ROWS.append((n, lambda o, a, b, n=n: getattr(o, n)(a, b), [pos(2, 3), pos(1, 3, seed=3)], G))
    ROWS.append((f"{n}-scalar", lambda o, a, n=n: getattr(o, n)(a, 2), [pos(2, 3)], G))
    ROWS.append((f"{n}-int-float", lambda o, a, n=n: getattr(o, n)(a, 1.5), [ints(3, lo=1, hi=4)], {}))
    ROWS.append((f"{n}-int8-int", lambda o, a, n=n: getattr(o, n)(a, 2), [ints(3, lo=1, hi=4, dtype=np.int8)], {}))
for n in BINARY_CMP:
    ROWS.append((n, lambda o, a, b, n=n: getattr(o, n)(a, b), [np.array([1.0, 2, 3, 0]), np.array([1.0, 0, 4, 0])],
                 {}))
for n in INT_BINARY:
    ROWS.append((n, lambda o, a, b, n=n: getattr(o, n)(a, b), [ints(6, lo=-9, hi=9), ints(6, lo=1, hi=5, seed=4)],
                 {}))
for n in ("mod", "fmod", "floor_divide"):
    ROWS.append((f"{n}-float", lambda o, a, b, n=n: getattr(o, n)(a, b), [f64(6) * 3, pos(6, seed=2)], {}))

ROWS += [
    ("left_shift", lambda o, a: o.left_shift(a, 2), [ints(4, lo=0, hi=9)], {}),
    ("right_shift", lambda o, a, b: o.bitwise_right_shift(a, b), [ints(4, lo=0, hi=99), ints(4, lo=0, hi=3)], {}),
    ("bitwise_invert", lambda o, a: o.bitwise_invert(a), [ints(4)], {}),
    ("bitwise_not", lambda o, a: o.bitwise_not(a), [ints(4)], {}),
    ("heaviside", lambda o, a: o.heaviside(a, 0.5), [np.array([-1.0, 0.0, 2.0])], {}),
    ("heaviside-int", lambda o, a, b: o.heaviside(a, b), [ints(4), ints(4, seed=1)], {}),
    ("ldexp", lambda o, a, b: o.ldexp(a, b), [f32(4), ints(4, lo=-2, hi=3)], {}),
    ("nextafter", lambda o, a, b: o.nextafter(a, b), [f32(4), f32(4, seed=1)], {}),
    ("divide_no_nan", lambda o, a, b: o.divide_no_nan(a, b), [f64(4), np.array([0.0, 1.0, 0.0, 2.0])], G),
    ("clip", lambda o, a: o.clip(a, -0.5, 1.0), [x23], G),
    ("clip-int", lambda o, a: o.clip(a, -2, 3), [i23], {}),
    ("nan_to_num-args", lambda o, a: o.nan_to_num(a, nan=1.0, posinf=9.0, neginf=-9.0),
     [np.array([np.nan, np.inf, -np.inf, 1.0])], {}),
    ("allclose", lambda o, a, b: o.allclose(a, b), [x23, x23 + 1e-9], {}),
    ("round-decimals", lambda o, a: o.round(a, 2), [x23], {}),
    ("round-int", lambda o, a: o.round(a), [i23], {}),
    ("power-int", lambda o, a: o.power(a, 2), [i23], {}),
    ("add-bool", lambda o, a, b: o.add(a, b), [np.array([True, False]), np.array([1, 2], np.int8)], {}),
    ("add-uint8-int8", lambda o, a, b: o.add(a, b), [np.array([1, 2], np.uint8), np.array([1, 2], np.int8)], {}),
    ("subtract-bool", lambda o, a, b: o.subtract(a, b), [np.array([True, False]), np.array([1.0, 2.0])], {}),
    ("maximum-int-float", lambda o, a: o.maximum(a, 1.5), [i23], {}),
    ("floor_divide-scalars", lambda o: o.floor_divide(7, 2), [], {}),
]

# Reductions and statistics.
RED = ["sum", "prod", "mean", "var", "std", "max", "min", "amax", "amin", "nansum", "nanmean", "nanvar", "nanstd",
       "nanmax", "nanmin", "nanprod", "logsumexp", "median", "ptp"]
for n in RED:
    ROWS.append((n, lambda o, x, n=n: getattr(o, n)(x), [x234], G))
    ROWS.append((f"{n}-axis", lambda o, x, n=n: getattr(o, n)(x, axis=1), [x234], G))
    ROWS.append((f"{n}-axes-keep", lambda o, x, n=n: getattr(o, n)(x, axis=(0, 2), keepdims=True), [x234], G))
    ROWS.append((f"{n}-f32", lambda o, x, n=n: getattr(o, n)(x, axis=-1), [f32(3, 4)], {}))
for n in ("sum", "prod", "mean", "var", "std", "max", "min", "median", "nansum", "ptp"):
    ROWS.append((f"{n}-int", lambda o, x, n=n: getattr(o, n)(x, axis=0), [i23], {}))
    ROWS.append((f"{n}-int8", lambda o, x, n=n: getattr(o, n)(x), [ints(2, 3, dtype=np.int8)], {}))
    if n != "ptp":  # Keras's PyTorch backend cannot subtract bools
        ROWS.append((f"{n}-bool", lambda o, x, n=n: getattr(o, n)(x), [np.array([True, False, True])], {}))
xnan = np.array([[1.0, np.nan, 3.0, 0.5], [np.nan, np.nan, np.nan, np.nan], [2.0, -1.0, np.nan, 4.0]])
for n in ("nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd", "nanmedian", "nanargmax",
          "nanargmin", "nancumsum", "nancumprod"):
    ROWS.append((f"{n}-nan", lambda o, x, n=n: getattr(o, n)(x, axis=1), [xnan], {}))
ROWS += [
    ("all", lambda o, x: o.all(x, axis=1), [i23 > 0], {}),
    ("any", lambda o, x: o.any(x), [i23 > 3], {}),
    ("any-keep", lambda o, x: o.any(x, axis=0, keepdims=True), [i23], {}),
    ("argmax", lambda o, x: o.argmax(x, axis=1), [x234], {}),
    ("argmin", lambda o, x: o.argmin(x), [x234], {}),
    ("argmax-keep", lambda o, x: o.argmax(x, axis=-1, keepdims=True), [x234], {}),
    ("sort", lambda o, x: o.sort(x), [x234], G),
    ("sort-axis0", lambda o, x: o.sort(x, axis=0), [x234], G),
    ("sort-none", lambda o, x: o.sort(x, axis=None), [x23], G),
    ("argsort", lambda o, x: o.argsort(x, axis=1), [x234], {}),
    ("argsort-none", lambda o, x: o.argsort(x, axis=None), [x23], {}),
    ("cumsum", lambda o, x: o.cumsum(x, axis=1), [x234], G),
    ("cumsum-none", lambda o, x: o.cumsum(x), [x23], G),
    ("cumsum-bool", lambda o, x: o.cumsum(x, axis=0), [i23 > 0], {}),
    ("cumprod", lambda o, x: o.cumprod(x, axis=-1), [x234], G),
    ("cumprod-int", lambda o, x: o.cumprod(x, axis=-1, dtype="float32"), [i23], {}),
    ("count_nonzero", lambda o, x: o.count_nonzero(x, axis=1), [i23], {}),
    ("count_nonzero-all", lambda o, x: o.count_nonzero(x), [i23], {}),
    ("average", lambda o, x: o.average(x, axis=1), [x234], G),
    ("average-w", lambda o, x, w: o.average(x, axis=1, weights=w), [x23, pos(3)], G),
    ("average-int", lambda o, x: o.average(x), [i23], {}),
    ("quantile", lambda o, x: o.quantile(x, 0.3, axis=1), [x234], G),
    ("quantile-q1d", lambda o, x: o.quantile(x, np.array([0.1, 0.5, 0.9]), axis=(0, 2), keepdims=True), [x234], G),
    ("quantile-methods", lambda o, x: [o.quantile(x, 0.4, method=m) for m in
                                       ("linear", "lower", "higher", "midpoint", "nearest")], [x234], G),
    ("quantile-int", lambda o, x: o.quantile(x, 0.5), [i23], {}),
    ("percentile", lambda o, x: o.percentile(x, 30.0, axis=-1), [x234], G),
    ("nanquantile", lambda o, x: o.nanquantile(x, 0.5, axis=1), [xnan], {}),
    ("nanpercentile", lambda o, x: o.nanpercentile(x, 25.0, axis=1), [xnan], {}),
    ("median-keep", lambda o, x: o.median(x, axis=1, keepdims=True), [x234], G),
    ("trace", lambda o, x: o.trace(x), [f64(3, 4)], G),
    ("trace-offset", lambda o, x: o.trace(x, offset=1, axis1=1, axis2=2), [x234], G),
    ("trace-int8", lambda o, x: o.trace(x), [ints(3, 3, dtype=np.int8)], {}),
    ("histogram", lambda o, x: o.histogram(x, bins=5), [f64(20)], {}),
    ("histogram-range", lambda o, x: o.histogram(x, bins=4, range=(-1, 1)), [f32(20)], {}),
    ("bincount", lambda o, x: o.bincount(x), [ints(10, lo=0, hi=5)], {}),
    ("bincount-w", lambda o, x, w: o.bincount(x, weights=w, minlength=7), [ints(10, lo=0, hi=5), f32(10)], {}),
    ("bincount-2d", lambda o, x: o.bincount(x, minlength=6), [ints(2, 5, lo=0, hi=5)], {}),
    ("digitize", lambda o, x, b: o.digitize(x, b), [f32(8), np.array([-1.0, 0.0, 1.0], np.float32)], {}),
    ("searchsorted", lambda o, s, v: o.searchsorted(s, v), [np.array([1.0, 2.0, 3.0]), f64(5) + 2], {}),
    ("searchsorted-right", lambda o, s, v: o.searchsorted(s, v, side="right"),
     [np.array([1, 2, 3]), np.array([1, 2, 5])], {}),
    ("nonzero", lambda o, x: o.nonzero(x), [i23], {}),
    ("unique", lambda o, x: o.unique(x), [ints(10, lo=0, hi=4)], {}),
    ("unique-all", lambda o, x: o.unique(x, return_index=True, return_inverse=True, return_counts=True),
     [ints(10, lo=0, hi=4)], {}),
    ("unique-size", lambda o, x: o.unique(x, size=6, fill_value=-1), [ints(10, lo=0, hi=4)], {}),
    ("corrcoef", lambda o, x: o.corrcoef(x), [f64(3, 5)], G),
    ("corrcoef-int", lambda o, x: o.corrcoef(x), [ints(3, 5)], {}),
    ("trapezoid", lambda o, y: o.trapezoid(y), [x234], G),
    ("trapezoid-x", lambda o, y, x: o.trapezoid(y, x), [f64(2, 4), np.array([0.0, 0.5, 1.5, 3.0])], G),
    ("trapezoid-dx", lambda o, y: o.trapezoid(y, dx=0.5, axis=0), [x23], G),
    ("max-initial", lambda o, x: o.max(x, axis=1, initial=0.5), [x23], G),
    ("min-initial", lambda o, x: o.min(x, initial=-0.5), [x23], {}),
]

# float16: Keras's PyTorch backend computes several of these in float32 on CPU and casts back.
x16 = pos(2, 3, dtype=np.float16)
for n in UNARY_GRAD[:12] + UNARY_POS[:4] + ["sum", "mean", "var", "std", "max", "prod", "cumsum", "cumprod",
                                             "logsumexp", "median", "sort", "argsort"]:
    ROWS.append((f"{n}-f16", lambda o, x, n=n: getattr(o, n)(x), [x16], dict(rtol=2e-3, atol=2e-3)))
for n in BINARY_GRAD + ["matmul", "dot"]:
    ROWS.append((f"{n}-f16", lambda o, x, n=n: getattr(o, n)(x, o.transpose(x) if n in ("matmul", "dot") else x),
                 [x16], dict(rtol=2e-3, atol=2e-3)))


@pytest.mark.parametrize("fn,args,kw", table_params(ROWS))
def test_numpy_op_matches_keras(fn, args, kw):
    run(fn, args, **kw)


def test_imag_and_real_parts_of_real_input_follow_numpy():
    # Keras's PyTorch backend raises on torch.imag of a real tensor; ember gives NumPy's answer.
    from ember.keras import ops
    x = f64(2, 3)
    np.testing.assert_array_equal(ops.imag(x).numpy(), np.imag(x))
    np.testing.assert_array_equal(ops.real(x).numpy(), np.real(x))
