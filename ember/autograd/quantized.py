"""Quantized tensors: integers ``q`` with a scale and zero point, read as ``x = (q - zero_point) * scale``.

``quantize_per_tensor(x, scale, zero_point, dtype)`` rounds as PyTorch's CPU kernels (fbgemm) do,
in float32: ``q = clamp(nearbyint(zero_point + x * (1 / scale)), qmin, qmax)`` with ties to even;
``dequantize`` gives ``(q - zero_point) * scale`` in float32. ``quantize_per_channel`` does the same
with one scale and zero point per slice along ``axis``.

The fake-quantize ops (used by quantization-aware training) round-trip in float:
``fake_quantize_per_tensor_affine(x, s, z, qmin, qmax) = (clamp(nearbyint(x / s) + z) - z) * s``; their
gradient is the straight-through estimator: 1 where ``nearbyint(x / s) + z`` lies in ``[qmin, qmax]``,
0 where it was clamped.

>>> import ember
>>> q = ember.quantize_per_tensor(ember.tensor([0.1, -0.5, 2.0]), 0.1, 3, ember.quint8)
>>> q.int_repr()
tensor([ 4,  0, 23], dtype=ember.uint8)
>>> q.dequantize()
tensor([ 0.1000, -0.3000,  2.0000])
"""
import numpy as np

from ..backend import dtypes as _dt
from ..backend import qdtypes as _qd
from .function import Function
from .tensor import Tensor, make

_new = object.__new__


def _round_q(x, inv_scale, zero_point):
    """fbgemm's Quantize in float32: nearbyint(zero_point + x * inv_scale), before clamping."""
    return np.rint(np.float32(zero_point) + x * inv_scale)


def quantize_array(x, scale, zero_point, qmin, qmax, axis=None):
    """Float array -> integer grid values (as float32, unclamped and clamped), per tensor or along ``axis``."""
    x = np.asarray(x, np.float32)
    scale = np.asarray(scale, np.float32)
    zero_point = np.asarray(zero_point)
    if axis is not None:
        shape = [1] * x.ndim
        shape[axis] = -1
        scale, zero_point = scale.reshape(shape), zero_point.reshape(shape)
    inv = (np.float32(1.0) / scale).astype(np.float32)
    return np.clip(_round_q(x, inv, zero_point.astype(np.float32)), qmin, qmax).astype(np.float32)


_SMALL_SCALE_THRESHOLD = np.float32(6.1e-5)


def choose_quantization_params(min_val, max_val, qmin, qmax, preserve_sparsity=False):
    """ATen/fbgemm ``ChooseQuantizationParams``: (float32 scale, int zero point) for ``[min_val, max_val]``."""
    f = np.float32
    lo, hi = f(min_val), f(max_val)
    if lo < 0 and hi > 0 and preserve_sparsity:
        sym_qmin = -((qmax - qmin) // 2 + 1)
        sym_qmax = (qmax - qmin) // 2
        max_scale = max(abs(float(lo) / sym_qmin), abs(float(hi) / sym_qmax))
        lo, hi = f(max_scale * sym_qmin), f(max_scale * sym_qmax)
    lo, hi = min(lo, f(0)), max(hi, f(0))
    scale = (float(hi) - float(lo)) / (qmax - qmin)
    if f(scale) == 0 or np.isinf(f(1) / f(scale)):
        scale = 0.1
    if scale < _SMALL_SCALE_THRESHOLD:
        org = f(scale)
        scale = float(_SMALL_SCALE_THRESHOLD)
        if lo == 0:
            hi = f(_SMALL_SCALE_THRESHOLD * (qmax - qmin))
        elif hi == 0:
            lo = f(-_SMALL_SCALE_THRESHOLD * (qmax - qmin))
        else:
            amp = f(_SMALL_SCALE_THRESHOLD / org)
            lo, hi = lo * amp, hi * amp
    zp_min = qmin - float(lo) / scale
    zp_max = qmax - float(hi) / scale
    err_min = abs(qmin) - abs(float(lo) / scale)
    err_max = abs(qmax) - abs(float(hi) / scale)
    zp = zp_min if err_min < err_max else zp_max
    if lo < 0 and hi > 0 and preserve_sparsity:
        zp = (qmin + qmax) / 2
    zp = qmin if zp < qmin else qmax if zp > qmax else int(np.rint(zp))
    return f(scale), zp


class QuantizedTensor(Tensor):
    """A quantized tensor: ``_data`` holds the integers; the qparams say how to read them.

    Built by :func:`quantize_per_tensor` / :func:`quantize_per_channel` (and by quantized modules);
    shape methods (``reshape``, ``view``, ``flatten``, ``permute``, indexing ...) keep the qparams.
    """

    is_quantized = property(lambda s: True)

    @property
    def dtype(self):
        return self._qdtype

    def qscheme(self):
        return self._qscheme

    def q_scale(self):
        self._per_tensor("q_scale")
        return float(self._scale)

    def q_zero_point(self):
        self._per_tensor("q_zero_point")
        return int(self._zp)

    def q_per_channel_scales(self):
        self._per_channel("q_per_channel_scales")
        return make(self._scales.copy())

    def q_per_channel_zero_points(self):
        self._per_channel("q_per_channel_zero_points")
        return make(self._zps.copy())

    def q_per_channel_axis(self):
        self._per_channel("q_per_channel_axis")
        return self._axis

    def _per_tensor(self, what):
        if self._axis is not None:
            raise RuntimeError(f"Expected quantizer->qscheme() == kPerTensorAffine to be true, but got false.  "
                               f"({what} needs a per-tensor quantized tensor, got {self._qscheme})")

    def _per_channel(self, what):
        if self._axis is None:
            raise RuntimeError(f"Expected quantizer->qscheme() == kPerChannelAffine to be true, but got false.  "
                               f"({what} needs a per-channel quantized tensor, got {self._qscheme})")

    def int_repr(self):
        return make(self._data.copy())

    def dequantize(self):
        q = self._data.astype(np.float32)
        if self._axis is None:
            return make((q - np.float32(self._zp)) * np.float32(self._scale))
        shape = [1] * q.ndim
        shape[self._axis] = -1
        # Per channel, ATen multiplies by the double scales and rounds once to float32.
        q = self._data.astype(np.float64) - self._zps.reshape(shape)
        return make((q * self._scales.astype(np.float64).reshape(shape)).astype(np.float32))

    def element_size(self):
        return self._data.itemsize

    def _like(self, data):
        """A quantized tensor with this one's qparams over new integers of a shape op's result."""
        return _wrap(np.asarray(data).copy(order="C"), self._qdtype, self._qscheme, self._scale, self._zp,
                     self._scales, self._zps, self._axis)

    def _shape_op(self, name, *args, **kwargs):
        if self._axis is not None and name not in ("clone", "detach", "contiguous"):
            raise RuntimeError(f"{name} of a per-channel quantized tensor is not supported in ember")
        return self._like(getattr(Tensor, name)(make(self._data), *args, **kwargs)._data)

    def __getitem__(self, index):
        return self._shape_op("__getitem__", index)

    def mean(self, dim=None, keepdim=False, dtype=None):
        """Mean with the same qparams, rounded to the nearest integer (as PyTorch's quantized mean)."""
        self._per_tensor("mean")
        q = self._data.astype(np.float64)
        axis = None if dim is None else tuple(np.atleast_1d(dim).tolist()) if not isinstance(dim, int) else dim
        m = np.rint(q.mean(axis=axis, keepdims=keepdim))
        lo, hi = _qd.RANGE[self._qdtype]
        return self._like(np.clip(m, lo, hi).astype(self._data.dtype))

    def relu(self):
        self._per_tensor("relu")
        return self._like(np.maximum(self._data, np.asarray(self._zp).astype(self._data.dtype)))

    def __repr__(self):
        from .printing import tensor_repr
        body = tensor_repr(self.dequantize())
        body = body[:-1] if body.endswith(")") else body
        pad = " " * len("tensor(")
        extra = f", size={tuple(self._data.shape)}, dtype={self._qdtype},\n{pad}quantization_scheme={self._qscheme}"
        if self._axis is None:
            extra += f", scale={float(self._scale)}, zero_point={int(self._zp)})"
        else:
            from .printing import tensor_repr as r
            extra += (f",\n{pad}scale={r(make(self._scales))},\n{pad}zero_point={r(make(self._zps))}, "
                      f"axis={self._axis})")
        return body + extra

    __str__ = __repr__

    def _qparams_state(self):
        """The qparams as plain data (for ``ember.save``); :func:`from_state` rebuilds the tensor."""
        state = {"dtype": self._qdtype.name, "qscheme": self._qscheme.name}
        if self._axis is None:
            state.update(scale=float(self._scale), zero_point=int(self._zp))
        else:
            state.update(scales=[float(v) for v in self._scales], zero_points=[int(v) for v in self._zps],
                         axis=int(self._axis))
        return state

    def __reduce_ex__(self, protocol):
        return (from_state, (self._data.copy(), self._qparams_state()))

    def __deepcopy__(self, memo):
        return from_state(self._data.copy(), self._qparams_state())

    def numpy(self, *args, **kwargs):
        raise TypeError("Got unsupported ScalarType " + self._qdtype.name.capitalize()
                        + " (call .dequantize() or .int_repr() first)")


def _unsupported(name):
    def method(self, *args, **kwargs):
        raise NotImplementedError(f"Could not run '{name}' with a quantized tensor ({self._qdtype}): PyTorch's "
                                  "QuantizedCPU backend has no such kernel; call .dequantize() first, or use a "
                                  "quantized module (e.g. FloatFunctional / QFunctional for add and mul)")
    return method


# Float arithmetic on the integers would be silently wrong: refuse it, as PyTorch does.
for _name in ("__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "__mul__", "__rmul__", "__imul__",
              "__truediv__", "__rtruediv__", "__matmul__", "__rmatmul__", "__neg__", "__pow__", "__rpow__", "add",
              "sub", "mul", "div", "matmul", "mm", "bmm", "sum", "prod", "exp", "log", "sigmoid", "tanh", "softmax",
              "log_softmax", "abs", "sqrt", "std", "var", "norm", "cumsum", "tolist"):
    setattr(QuantizedTensor, _name, _unsupported(_name))


def _to(self, *args, **kwargs):
    """``x_q.to('cpu')`` is ``x_q``; a float dtype raises as PyTorch's (dequantize instead)."""
    target = kwargs.get("dtype", next((a for a in args if not isinstance(a, str) and a is not None
                                       and not type(a).__name__ == "device"), None))
    if target is not None and _dt.to_dtype(target) is not self._qdtype:
        raise RuntimeError("Creation of quantized tensor requires quantized dtype like torch.quint8 "
                           f"(to convert {self._qdtype} to {_dt.to_dtype(target)}, call .dequantize())")
    return self


QuantizedTensor.to = _to
for _name in ("float", "double", "half", "long", "int"):
    setattr(QuantizedTensor, _name, lambda self, *a, **k: _to(self, _dt.float32))
QuantizedTensor.item = lambda self: self.dequantize().item()

for _name in ("reshape", "view", "flatten", "permute", "transpose", "contiguous", "squeeze", "unsqueeze", "clone",
              "detach", "view_as", "reshape_as", "expand", "t", "narrow", "select", "unflatten"):
    setattr(QuantizedTensor, _name, (lambda n: lambda s, *a, **k: s._shape_op(n, *a, **k))(_name))
del _name


def _wrap(q, qdtype, qscheme, scale=None, zero_point=None, scales=None, zero_points=None, axis=None):
    t = _new(QuantizedTensor)
    t._data = q
    t._qdtype, t._qscheme = qdtype, qscheme
    t._scale, t._zp = scale, zero_point
    t._scales, t._zps, t._axis = scales, zero_points, axis
    return t


def on_integers(x, fn, who="this op", counts=None):
    """Apply a float op that commutes with ``q -> (q - zero_point) * scale`` up to rounding (pooling, ReLU,
    reshapes) to a per-tensor quantized ``x``, as PyTorch's quantized kernels do: ``fn`` runs on
    ``q - zero_point`` (exact in float) and the result keeps ``x``'s qparams.

    For an average, ``counts(out_shape)`` gives each output's divisor ``n``: ATen averages the raw
    integers (padding counted as the zero point), ``round((sum(q - zp) + zp * n) / n)`` with ties to
    even, which differs from rounding the centred mean at ties; ember recovers the exact centred sum
    from the float average and rounds as ATen does."""
    if x._axis is not None:
        raise RuntimeError(f"{who} on a quantized tensor needs per-tensor qparams, got {x._qscheme}")
    zp = x._zp
    if counts is None:
        out = np.rint(fn(make(x._data.astype(np.float32) - np.float32(zp)))._data)
    else:
        mean = fn(make(x._data.astype(np.float64) - float(zp)))._data
        n = np.broadcast_to(np.asarray(counts(mean.shape), np.float64), mean.shape)
        sums = np.rint(mean * n)
        out = np.rint((sums + zp * n) / n) - zp
    lo, hi = _qd.RANGE[x._qdtype]
    return from_qparams(np.clip(out + zp, lo, hi), x._qdtype, x._scale, zp)


def adaptive_counts(in_sizes, out_sizes):
    """Window sizes of adaptive pooling: output ``i`` of ``m`` covers ``[floor(i * n / m), ceil((i + 1) * n / m))``."""
    grids = []
    for n, m in zip(in_sizes, out_sizes):
        i = np.arange(m)
        grids.append(-((-(i + 1) * n) // m) - (i * n) // m)
    total = grids[0].astype(np.float64)
    for g in grids[1:]:
        total = np.multiply.outer(total, g)
    return total


def clamp_quantized(x, lo, hi):
    """Clamp a per-tensor quantized tensor between float bounds (``None``: unbounded), each quantized as
    ATen's ``quantize_val`` does; the qparams stay."""
    if x._axis is not None:
        raise RuntimeError(f"clamp of a quantized tensor needs per-tensor qparams, got {x._qscheme}")
    qmin, qmax = _qd.RANGE[x._qdtype]
    bounds = [b if v is None else int(quantize_array(np.float32(v), x._scale, x._zp, qmin, qmax))
              for v, b in ((lo, qmin), (hi, qmax))]
    return from_qparams(np.clip(x._data, bounds[0], bounds[1]), x._qdtype, x._scale, x._zp)


def cat_quantized(tensors, dim=0):
    """``torch.cat`` of per-tensor quantized tensors: the result has the first one's qparams; the others
    are dequantized and quantized again with them."""
    first = tensors[0]
    if first._axis is not None or any(not isinstance(t, QuantizedTensor) or t._axis is not None for t in tensors):
        raise RuntimeError("cat of quantized tensors needs all of them quantized per tensor")
    lo, hi = _qd.RANGE[first._qdtype]
    parts = []
    for t in tensors:
        same = t._qdtype is first._qdtype and t._scale == first._scale and t._zp == first._zp
        parts.append(t._data if same else
                     quantize_array(t.dequantize()._data, first._scale, first._zp, lo, hi).astype(first._data.dtype))
    return first._like(np.concatenate(parts, axis=dim))


def _check_qdtype(dtype, fn):
    d = _dt.to_dtype(dtype)
    if not _qd.is_quantized_dtype(d) or d is _qd.quint4x2:
        raise RuntimeError(f"{fn}: expected dtype ember.quint8, ember.qint8 or ember.qint32, got {d}")
    return d


def _as_float32(x, fn):
    if isinstance(x, QuantizedTensor):
        raise RuntimeError(f"{fn}: expected a float tensor, got a quantized tensor of dtype {x.dtype}")
    a = x._data if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind != "f":
        raise RuntimeError(f"{fn}: expected a float tensor, got dtype {a.dtype}")
    return a.astype(np.float32, copy=False)


def from_state(q, state):
    """A quantized tensor from its integers and :meth:`QuantizedTensor._qparams_state` (checked)."""
    d = _dt.to_dtype(state.get("dtype"))
    if not _qd.is_quantized_dtype(d) or np.asarray(q).dtype != d.numpy:
        raise ValueError(f"a stored quantized tensor has dtype {state.get('dtype')!r} over {np.asarray(q).dtype} "
                         "integers")
    scheme = _qd._SCHEMES[state["qscheme"]]
    if "axis" in state:
        return _wrap(np.array(q), d, scheme, scales=np.asarray(state["scales"], np.float64),
                     zero_points=np.asarray(state["zero_points"], np.int64), axis=int(state["axis"]))
    return _wrap(np.array(q), d, scheme, float(state["scale"]), int(state["zero_point"]))


def from_qparams(q, dtype, scale, zero_point):
    """A per-tensor quantized tensor over already-quantized integers ``q`` (no rounding)."""
    d = _dt.to_dtype(dtype)
    return _wrap(np.asarray(q).astype(d.numpy), d, _qd.per_tensor_affine, float(scale), int(zero_point))


def quantize_per_tensor(input, scale, zero_point, dtype):
    """Quantize a float tensor with one ``scale`` and ``zero_point``; a list of tensors gives a list."""
    if isinstance(input, (list, tuple)):
        return [quantize_per_tensor(t, s, z, dtype) for t, s, z in
                zip(input, _items(scale, len(input)), _items(zero_point, len(input)))]
    d = _check_qdtype(dtype, "quantize_per_tensor")
    x = _as_float32(input, "quantize_per_tensor")
    scale = float(scale.item() if isinstance(scale, Tensor) else scale)
    zero_point = int(zero_point.item() if isinstance(zero_point, Tensor) else zero_point)
    qmin, qmax = _qd.RANGE[d]
    if d is _qd.qint32:  # ATen's own path: double math, x / scale rounded, then the zero point added
        q = np.clip(np.rint(x.astype(np.float64) / scale) + zero_point, qmin, qmax)
    else:
        q = quantize_array(x, scale, zero_point, qmin, qmax)
    # torch keeps scale as a double but quantizes with its float32 value, as done above.
    return _wrap(q.astype(d.numpy), d, _qd.per_tensor_affine, scale, zero_point)


def _items(v, n):
    if isinstance(v, Tensor):
        return list(v._data.reshape(-1)) if v._data.size > 1 else [v.item()] * n
    return list(v) if isinstance(v, (list, tuple)) else [v] * n


def quantize_per_channel(input, scales, zero_points, axis, dtype):
    """Quantize with ``scales[c]`` and ``zero_points[c]`` for slice ``c`` along ``axis``."""
    d = _check_qdtype(dtype, "quantize_per_channel")
    x = _as_float32(input, "quantize_per_channel")
    s = np.asarray(scales._data if isinstance(scales, Tensor) else scales, np.float64).reshape(-1)
    z = np.asarray(zero_points._data if isinstance(zero_points, Tensor) else zero_points).reshape(-1).astype(np.int64)
    axis = axis + x.ndim if axis < 0 else axis
    if not 0 <= axis < x.ndim or s.size != x.shape[axis] or z.size != x.shape[axis]:
        raise RuntimeError(f"quantize_per_channel: expected {x.shape[axis] if 0 <= axis < x.ndim else '?'} scales "
                           f"and zero points along axis {axis} of a tensor of shape {tuple(x.shape)}, got "
                           f"{s.size} and {z.size}")
    qmin, qmax = _qd.RANGE[d]
    q = quantize_array(x, s, z, qmin, qmax, axis=axis)
    return _wrap(q.astype(d.numpy), d, _qd.per_channel_affine, scales=s, zero_points=z, axis=axis)


def dequantize(input):
    """``torch.dequantize``: a quantized tensor's float values (a float tensor is returned as it is)."""
    if isinstance(input, (list, tuple)):
        return [dequantize(t) for t in input]
    return input.dequantize() if isinstance(input, QuantizedTensor) else input


def _fake_quant(x, scale, zero_point, qmin, qmax, axis=None):
    """Forward of the fake-quantize ops (ATen's cachemask kernels): values and the gradient mask."""
    s = np.asarray(scale, np.float32)
    z = np.asarray(zero_point).astype(np.int64)
    if axis is not None:
        shape = [1] * x.ndim
        shape[axis] = -1
        s, z = s.reshape(shape), z.reshape(shape)
    inv = (np.float32(1.0) / s).astype(np.float32)
    q = np.rint(x * inv) + z.astype(np.float32)  # round first, then add the zero point (not fbgemm's order)
    mask = (q >= qmin) & (q <= qmax)
    out = ((np.clip(q, qmin, qmax) - z.astype(np.float32)) * s).astype(x.dtype)
    return out, mask


class _FakeQuantize(Function):
    @staticmethod
    def forward(ctx, x, scale, zero_point, qmin, qmax, axis):
        out, mask = _fake_quant(x._data, scale, zero_point, qmin, qmax, axis)
        ctx.mask = mask
        return make(out)

    @staticmethod
    def backward(ctx, grad):
        return grad * make(ctx.mask.astype(grad._data.dtype)), None, None, None, None, None


def _qparam(v, kind):
    a = v._data if isinstance(v, Tensor) else np.asarray(v)
    return a.astype(kind)


def fake_quantize_per_tensor_affine(input, scale, zero_point, quant_min, quant_max):
    """Quantize and dequantize in one float op; gradient: straight-through inside ``[quant_min, quant_max]``."""
    if quant_min > quant_max:
        raise RuntimeError("`quant_min` should be less than or equal to `quant_max`.")
    s = _qparam(scale, np.float32).reshape(())
    z = _qparam(zero_point, np.int64).reshape(())
    return _FakeQuantize.apply(input, s, z, quant_min, quant_max, None)


def fake_quantize_per_channel_affine(input, scale, zero_point, axis, quant_min, quant_max):
    """Per-channel fake quantization along ``axis``; gradient as :func:`fake_quantize_per_tensor_affine`."""
    if quant_min > quant_max:
        raise RuntimeError("`quant_min` should be less than or equal to `quant_max`.")
    axis = axis + input.ndim if axis < 0 else axis
    s = _qparam(scale, np.float32).reshape(-1)
    z = _qparam(zero_point, np.int64).reshape(-1)
    if s.size != input.shape[axis]:
        raise RuntimeError(f"fake_quantize_per_channel_affine: dimensions of scale ({s.size}) and input along "
                           f"axis {axis} ({input.shape[axis]}) must match")
    return _FakeQuantize.apply(input, s, z, quant_min, quant_max, axis)
