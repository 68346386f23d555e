"""``FloatFunctional`` (float model: records the output range of ``add``, ``cat``, ...) and its quantized
form ``QFunctional``, which ``convert`` swaps in.

Tensor arithmetic in ``forward`` cannot carry an observer; a ``FloatFunctional`` attribute can:
``self.skip_add.add(a, b)``. ``QFunctional.add`` dequantizes both operands, adds in float32 and
requantizes to its own ``scale`` and ``zero_point`` (fbgemm's quantized add does the same).

>>> import ember
>>> from ember.ao.nn.quantized import FloatFunctional
>>> FloatFunctional().add(ember.tensor([1.0]), ember.tensor([2.0]))
tensor([3.])
"""
import numpy as np

from .... import nn
from ....autograd import quantized as _q
from ....backend import qdtypes as _qd
from ....autograd import ops
from . import _kernels as K
from ._qparams import OutputQParams


class FloatFunctional(nn.Module):
    """Float ``add``, ``add_scalar``, ``mul``, ``mul_scalar``, ``cat``, ``add_relu``, each observed by
    ``activation_post_process`` (an ``Identity`` until ``prepare`` puts an observer there)."""

    def __init__(self):
        super().__init__()
        self.activation_post_process = nn.Identity()

    def forward(self, x):
        raise RuntimeError("FloatFunctional is not intended to use the 'forward'. Please use the underlying "
                           "operation")

    def add(self, x, y):
        return self.activation_post_process(ops.add(x, y))

    def add_scalar(self, x, y):
        return ops.add(x, y)  # PyTorch does not observe scalar ops: the output range follows the input

    def mul(self, x, y):
        return self.activation_post_process(ops.mul(x, y))

    def mul_scalar(self, x, y):
        return ops.mul(x, y)

    def cat(self, x, dim=0):
        return self.activation_post_process(ops.cat(x, dim=dim))

    def add_relu(self, x, y):
        return self.activation_post_process(ops.relu(ops.add(x, y)))

    def matmul(self, x, y):
        return self.activation_post_process(ops.matmul(x, y))


class FXFloatFunctional(FloatFunctional):
    """FloatFunctional without observation (FX graph mode inserts its own)."""

    def __init__(self):
        nn.Module.__init__(self)

    def add(self, x, y):
        return ops.add(x, y)

    def mul(self, x, y):
        return ops.mul(x, y)

    def cat(self, x, dim=0):
        return ops.cat(x, dim=dim)

    def add_relu(self, x, y):
        return ops.relu(ops.add(x, y))

    def matmul(self, x, y):
        return ops.matmul(x, y)


def _requant(values, scale, zero_point, relu=False):
    qmin = zero_point if relu else 0
    return _q.from_qparams(np.clip(_q.quantize_array(values, scale, zero_point, 0, 255), qmin, 255), _qd.quint8,
                           scale, zero_point)


class QFunctional(OutputQParams, nn.Module):
    """Quantized ``add``, ``mul``, ``cat``, ``add_relu`` (and scalar forms), requantized to this module's
    ``scale`` and ``zero_point``."""

    def __init__(self):
        super().__init__()
        self.scale = 1.0
        self.zero_point = 0
        self.activation_post_process = nn.Identity()

    def _get_name(self):
        return "QFunctional"

    def extra_repr(self):
        return f"scale={self.scale}, zero_point={self.zero_point}"

    def forward(self, x):
        raise RuntimeError("Functional is not intended to use the 'forward'. Please use the underlying operation")

    def _operands(self, x, y, what):
        x = K.as_quantized(x, f"QFunctional.{what}")
        y = K.as_quantized(y, f"QFunctional.{what}")
        return x.dequantize()._data, y.dequantize()._data

    def add(self, x, y):
        a, b = self._operands(x, y, "add")
        return _requant(a + b, self.scale, self.zero_point)

    def add_relu(self, x, y):
        a, b = self._operands(x, y, "add_relu")
        return _requant(a + b, self.scale, self.zero_point, relu=True)

    def mul(self, x, y):
        a, b = self._operands(x, y, "mul")
        return _requant(a * b, self.scale, self.zero_point)

    def add_scalar(self, x, y):
        """As ATen's quantized add of a scalar: the integers stay and the zero point moves by
        ``round(y / scale)`` while it stays in range; otherwise (ember) requantized in place."""
        x = K.as_quantized(x, "QFunctional.add_scalar")
        scale, zp = x.q_scale(), x.q_zero_point()
        shift = int(np.rint(float(y) / scale))
        qmin, qmax = _qd.RANGE[x.dtype]
        if qmin <= zp - shift <= qmax:
            return _q.from_qparams(x._data, x.dtype, scale, zp - shift)
        return _requant(x.dequantize()._data + np.float32(y), scale, zp)

    def mul_scalar(self, x, y):
        """As ATen's for ``y > 0``: the integers stay and the scale is multiplied by ``y``."""
        x = K.as_quantized(x, "QFunctional.mul_scalar")
        if float(y) > 0:
            return _q.from_qparams(x._data, x.dtype, x.q_scale() * float(y), x.q_zero_point())
        return _requant(x.dequantize()._data * np.float32(y), x.q_scale(), x.q_zero_point())

    def cat(self, x, dim=0):
        parts = [K.as_quantized(t, "QFunctional.cat").dequantize()._data for t in x]
        return _requant(np.concatenate(parts, axis=dim), self.scale, self.zero_point)

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        scale, zero_point = mod.activation_post_process.calculate_qparams()
        q = cls()
        q.scale = float(scale._data.reshape(-1)[0])
        q.zero_point = int(zero_point._data.reshape(-1)[0])
        return q

