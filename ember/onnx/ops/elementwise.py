"""Elementwise ONNX ops: arithmetic, math functions, activations, comparisons, logic, casts.

Float inputs go through ember's differentiable ops; integer and boolean inputs through NumPy with
ONNX's integer semantics (``Div`` truncates toward zero, ``Mod`` follows the ``fmod`` attribute),
so the result keeps the input's dtype as ONNX requires.
"""
import numpy as np

import ember
import ember.nn.functional as F

from . import register, arr, tensor, is_float, np_dtype, to_ember_dtype


def _float_all(*xs):
    return all(is_float(x) for x in xs if x is not None)


def _binary(np_fn, em_fn):
    def op(ctx, a, b):
        if _float_all(a, b):
            return em_fn(a, b).to(a.dtype)  # ONNX keeps the type; ember's bfloat16 may widen
        x, y = arr(a), arr(b)
        return tensor(np.asarray(np_fn(x, y)).astype(np.result_type(x, y), copy=False))
    return op


def _int_div(x, y):
    if np.issubdtype(np.result_type(x, y), np.integer):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.trunc(x / y).astype(np.result_type(x, y))
    return x / y


register("Add")(_binary(np.add, lambda a, b: a + b))
register("Sub")(_binary(np.subtract, lambda a, b: a - b))
register("Mul")(_binary(np.multiply, lambda a, b: a * b))
register("Div")(_binary(_int_div, lambda a, b: a / b))


@register("Pow")
def pow_(ctx, a, b):
    if is_float(a):
        # the exponent may have another type than the base; the result has the base's
        return ember.pow(a, b.to(a.dtype) if b.dtype != a.dtype else b)
    x, y = arr(a), arr(b)
    return tensor(np.power(x.astype(np.float64), y).astype(x.dtype))


@register("Mod")
def mod(ctx, a, b):
    fmod = ctx.attr("fmod", 0)
    if _float_all(a, b):
        return ember.fmod(a, b) if fmod else ember.remainder(a, b)
    x, y = arr(a), arr(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.fmod(x, y) if fmod else np.mod(x, y)
    return tensor(out.astype(np.result_type(x, y)))


# name -> (ember function for floats, NumPy function for the rest or None)
_UNARY = {
    "Abs": (ember.abs, np.abs), "Neg": (ember.neg, np.negative), "Exp": (ember.exp, None),
    "Log": (ember.log, None), "Sqrt": (ember.sqrt, None), "Reciprocal": (ember.reciprocal, None),
    "Floor": (ember.floor, None), "Ceil": (ember.ceil, None), "Round": (ember.round, None),
    "Erf": (ember.erf, None), "Sin": (ember.sin, None), "Cos": (ember.cos, None),
    "Tan": (ember.tan, None), "Asin": (ember.asin, None), "Acos": (ember.acos, None),
    "Atan": (ember.atan, None), "Sinh": (ember.sinh, None), "Cosh": (ember.cosh, None),
    "Asinh": (ember.asinh, None), "Acosh": (ember.acosh, None), "Atanh": (ember.atanh, None),
    "Sign": (ember.sign, np.sign), "Sigmoid": (ember.sigmoid, None), "Tanh": (ember.tanh, None),
    "Relu": (F.relu, lambda x: np.maximum(x, 0).astype(x.dtype)), "Softsign": (F.softsign, None),
}


def _unary(name, em_fn, np_fn):
    def op(ctx, x):
        if is_float(x):
            return em_fn(x)
        if np_fn is None:
            raise ctx.unsupported(f"input dtype {x.dtype}")
        return tensor(np_fn(arr(x)))
    op.__name__ = name.lower()
    return op


for _name, (_em, _np) in _UNARY.items():
    register(_name)(_unary(_name, _em, _np))


@register("Identity")
def identity(ctx, x):
    return [x]  # as a one-output list, so a sequence (a list itself) passes through whole


@register("Softplus")
def softplus(ctx, x):
    # log(1 + e^x) computed stably: max(x, 0) + log1p(e^-|x|)
    return F.relu(x) + ember.log1p(ember.exp(-ember.abs(x)))


@register("LeakyRelu")
def leaky_relu(ctx, x):
    return F.leaky_relu(x, ctx.attr("alpha", 0.01)).to(x.dtype)


@register("Elu")
def elu(ctx, x):
    return F.elu(x, ctx.attr("alpha", 1.0)).to(x.dtype)


@register("Celu")
def celu(ctx, x):
    return F.celu(x, ctx.attr("alpha", 1.0)).to(x.dtype)  # ember's celu answers bfloat16 in float32


@register("Selu")
def selu(ctx, x):
    alpha = ctx.attr("alpha", 1.67326319217681884765625)
    gamma = ctx.attr("gamma", 1.05070102214050292968750)
    return gamma * ember.where(x > 0, x, alpha * (ember.exp(x) - 1))


@register("HardSigmoid")
def hard_sigmoid(ctx, x):
    return ember.clamp(ctx.attr("alpha", 0.2) * x + ctx.attr("beta", 0.5), 0.0, 1.0)


@register("HardSwish")
def hard_swish(ctx, x):
    return x * ember.clamp(x / 6 + 0.5, 0.0, 1.0)


@register("Gelu")
def gelu(ctx, x):
    return F.gelu(x, approximate=ctx.attr("approximate", "none")).to(x.dtype)


@register("Mish")
def mish(ctx, x):
    return x * ember.tanh(softplus(ctx, x))


@register("Swish")
def swish(ctx, x):
    return x * ember.sigmoid(ctx.attr("alpha", 1.0) * x)


@register("ThresholdedRelu")
def thresholded_relu(ctx, x):
    return ember.where(x > ctx.attr("alpha", 1.0), x, ember.zeros_like(x))


@register("Shrink")
def shrink(ctx, x):
    lambd, bias = ctx.attr("lambd", 0.5), ctx.attr("bias", 0.0)
    if not is_float(x):
        a = arr(x).astype(np.float64)
        out = np.where(a < -lambd, a + bias, np.where(a > lambd, a - bias, 0))
        return tensor(out.astype(arr(x).dtype))
    zero = ember.zeros_like(x)
    return ember.where(x < -lambd, x + bias, ember.where(x > lambd, x - bias, zero))


@register("PRelu")
def prelu(ctx, x, slope):
    if slope.dim() == 1 and x.dim() > 2 and slope.shape[0] == x.shape[1] != x.shape[-1]:
        slope = slope.reshape(-1, *([1] * (x.dim() - 2)))  # opset < 7: a slope per channel
    if not is_float(x):
        a, s = arr(x), arr(slope)
        return tensor(np.where(a < 0, a * s, a).astype(a.dtype))
    return ember.where(x < 0, x * slope, x)


@register("Clip")
def clip(ctx, x, lo=None, hi=None):
    if ctx.opset < 11:
        lo_v, hi_v = ctx.attr("min", None), ctx.attr("max", None)
    else:
        lo_v = None if lo is None else arr(lo).item()
        hi_v = None if hi is None else arr(hi).item()
    if not is_float(x):
        a = arr(x)
        return tensor(np.clip(a, lo_v if lo_v is not None else a.min(initial=0),
                              hi_v if hi_v is not None else a.max(initial=0)).astype(a.dtype))
    out = x
    if lo_v is not None:
        out = ember.where(out < lo_v, ember.full_like(out, lo_v), out)
    if hi_v is not None:
        out = ember.where(out > hi_v, ember.full_like(out, hi_v), out)
    return out


def _variadic(np_fn, em_fn, mean=False):
    def op(ctx, *xs):
        if _float_all(*xs):
            out = xs[0]
            for x in xs[1:]:
                out = em_fn(out, x)
            return out / len(xs) if mean else out
        out = arr(xs[0])
        for x in xs[1:]:
            out = np_fn(out, arr(x))
        return tensor(out)
    return op


register("Max")(_variadic(np.maximum, ember.maximum))
register("Min")(_variadic(np.minimum, ember.minimum))
register("Sum")(_variadic(np.add, lambda a, b: a + b))
register("Mean")(_variadic(np.add, lambda a, b: a + b, mean=True))


def _compare(np_fn):
    def op(ctx, a, b):
        return tensor(np_fn(arr(a), arr(b)))
    return op


for _name, _fn in {"Equal": np.equal, "Less": np.less, "Greater": np.greater,
                   "LessOrEqual": np.less_equal, "GreaterOrEqual": np.greater_equal,
                   "And": np.logical_and, "Or": np.logical_or, "Xor": np.logical_xor,
                   "BitwiseAnd": np.bitwise_and, "BitwiseOr": np.bitwise_or,
                   "BitwiseXor": np.bitwise_xor}.items():
    register(_name)(_compare(_fn))


@register("Not")
def not_(ctx, x):
    return tensor(np.logical_not(arr(x)))


@register("BitwiseNot")
def bitwise_not(ctx, x):
    return tensor(np.bitwise_not(arr(x)))


@register("BitShift")
def bit_shift(ctx, a, b):
    x, y = arr(a), arr(b)
    out = np.left_shift(x, y) if ctx.attr("direction") == "LEFT" else np.right_shift(x, y)
    return tensor(out.astype(x.dtype))


@register("IsNaN")
def is_nan(ctx, x):
    return tensor(np.isnan(arr(x)))


@register("IsInf")
def is_inf(ctx, x):
    a = arr(x)
    pos, neg = ctx.attr("detect_positive", 1), ctx.attr("detect_negative", 1)
    return tensor((np.isposinf(a) & bool(pos)) | (np.isneginf(a) & bool(neg)))


@register("Where")
def where(ctx, cond, a, b):
    if _float_all(a, b):
        return ember.where(cond if cond.dtype == ember.bool else cond.to(ember.bool), a, b)
    return tensor(np.where(arr(cond), arr(a), arr(b)))


def onnx_np_dtype(ctx, elem_type):
    import onnx
    if elem_type == onnx.TensorProto.STRING:
        raise ctx.unsupported("string tensors")
    dt = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type))
    if dt.name not in {
            "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
            "float16", "float32", "float64", *FLOAT8_MAX}:
        raise ctx.unsupported(f"dtype {onnx.TensorProto.DataType.Name(elem_type)}")
    return dt


# The largest finite value of each float8 type (ml_dtypes' NumPy types, as onnx names them).
FLOAT8_MAX = {"float8_e4m3fn": 448.0, "float8_e4m3fnuz": 240.0, "float8_e5m2": 57344.0, "float8_e5m2fnuz": 57344.0}


def to_float8(a, dt, saturate=True):
    """ONNX's conversion to a float8 type ``dt``: round to nearest even; with ``saturate`` (the attribute's
    default) values beyond the type's range and infinities become its largest finite value, signed; without,
    they become what the type holds for them (infinity in e5m2, NaN in the others). NaN stays NaN."""
    a = np.asarray(a)
    if saturate:
        m = FLOAT8_MAX[dt.name]
        a = np.clip(a, -m, m)   # NaN passes through clip
    return a.astype(dt)


def cast_to(ctx, x, dt):
    if np_dtype(x) == dt:
        return x
    if dt.name in FLOAT8_MAX:
        return tensor(to_float8(arr(x), dt, ctx.attr("saturate", 1)))
    if is_float(x) and dt.kind == "f":
        return x.to(to_ember_dtype(dt))  # differentiable
    a = arr(x)
    if a.dtype.kind == "f" and dt.kind in "iu":
        with np.errstate(invalid="ignore", over="ignore"):
            return tensor(a.astype(dt))
    return tensor(a.astype(dt))


@register("Cast")
def cast(ctx, x):
    return cast_to(ctx, x, onnx_np_dtype(ctx, ctx.attr("to")))


@register("CastLike")
def cast_like(ctx, x, like):
    return cast_to(ctx, x, np_dtype(like))



@register("BitCast")
def bit_cast(ctx, x):
    """Reinterpret the bits as another type of the same width (float32 <-> int32 ...)."""
    dt = onnx_np_dtype(ctx, ctx.attr("to"))
    a = arr(x)
    if dt.itemsize != a.dtype.itemsize:
        raise ctx.unsupported(f"casting {a.dtype} to {dt}, of another width")
    return tensor(np.ascontiguousarray(a).view(dt).reshape(a.shape))
