"""Dynamically quantized ``Linear`` (``torch.ao.nn.quantized.dynamic.Linear``): int8 weights, float in and out.

On each call the input is quantized to quint8 with qparams from its own min and max (range halved,
``reduce_range=True``, as fbgemm's ``linear_dynamic``), multiplied in integers with the int8 weight
and returned as float32: ``y = float(acc) * (x_scale * w_scale) + bias``.

>>> import ember
>>> from ember.ao.nn.quantized.dynamic import Linear
>>> Linear(3, 2)(ember.ones(4, 3)).shape
ember.Size([4, 2])
"""
from ..... import nn
from .....autograd.tensor import make
from .....backend import qdtypes as _qd
from .. import _kernels as K
from ..linear import Linear as _QLinear, quantize_weight


class Linear(_QLinear):
    """Float input and output; the weight is quantized once, the input on every call."""

    _version = 4
    _FLOAT_MODULE = (nn.Linear,)

    def __init__(self, in_features, out_features, bias_=True, dtype=None):
        super().__init__(in_features, out_features, bias_, dtype=dtype)
        self.version = 4

    def _get_name(self):
        return "DynamicQuantizedLinear"

    def extra_repr(self):
        s = f"in_features={self.in_features}, out_features={self.out_features}, dtype={self._packed_params.dtype}"
        if self._packed_params.dtype is _qd.qint8:
            s += f", qscheme={self.weight().qscheme()}"
        return s

    def forward(self, x):
        a = x._data
        if a.ndim == 0 or a.shape[-1] != self.in_features:
            raise RuntimeError(f"{self._get_name()}(in_features={self.in_features}) got input of shape "
                               f"{tuple(a.shape)}")
        xc, x_scale = K.dynamic_input(x, reduce_range=True)
        wc, w_scales = K.weight_parts(self.weight())
        acc = K.linear_acc(xc.reshape(-1, self.in_features), wc)
        out = K.dynamic_output(acc, x_scale, w_scales, K.float_of(self.bias()))
        return make(out.reshape(a.shape[:-1] + (self.out_features,)))

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """Quantize a float ``Linear``'s weight with its qconfig's weight observer (default: per-tensor int8)."""
        from .....ao.quantization.qconfig import default_dynamic_qconfig
        float_linear = mod[0] if hasattr(mod, "_parts") else mod
        qconfig = getattr(mod, "qconfig", None) or default_dynamic_qconfig
        observer = qconfig.weight()
        observer(float_linear.weight)
        if observer.dtype is not _qd.qint8:
            raise RuntimeError(f"ember's dynamic Linear supports qint8 weights only, got {observer.dtype}")
        q = cls(float_linear.in_features, float_linear.out_features, dtype=observer.dtype,
                bias_=float_linear.bias is not None)
        q.set_weight_bias(quantize_weight(float_linear.weight.float(), observer),
                          None if float_linear.bias is None else float_linear.bias.detach())
        return q

