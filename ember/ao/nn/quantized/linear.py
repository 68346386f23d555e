"""Quantized ``Linear``: int8 weights, quint8 input and output, float bias (``torch.ao.nn.quantized.Linear``).

``y_q = requantize(sum((x_q - x_zp) * w_q) , bias)`` to the module's ``scale`` and ``zero_point``
(see ``_kernels``). The weight and bias live in ``_packed_params`` (a :class:`LinearPackedParams`),
so the state_dict keys are PyTorch's: ``scale``, ``zero_point``, ``_packed_params.dtype``,
``_packed_params._packed_params`` (the ``(weight, bias)`` tuple).

>>> import ember
>>> from ember.ao.nn.quantized import Linear
>>> m = Linear(4, 2)
>>> m(ember.quantize_per_tensor(ember.ones(1, 4), 0.1, 0, ember.quint8)).shape
ember.Size([1, 2])
"""
import numpy as np

from .... import nn
from ....autograd import quantized as _q
from ....autograd.tensor import make
from ....backend import qdtypes as _qd
from . import _kernels as K
from ._qparams import OutputQParams


def repr_hiding(module, hidden):
    """``repr(module)`` without the children named in ``hidden`` (packed weights print as PyTorch's: not at all)."""
    from ....nn.module import _addindent
    extra = module.extra_repr()
    lines = extra.split("\n") if extra else []
    children = [f"({k}): " + _addindent(repr(m), 2) for k, m in module._modules.items() if k not in hidden]
    if len(lines) == 1 and not children:
        return f"{module._get_name()}({lines[0]})"
    body = lines + children
    return module._get_name() + "(" + ("\n  " + "\n  ".join(body) + "\n" if body else "") + ")"


def quantize_weight(weight, observer):
    """Quantize a float weight with the qparams of an observer that has seen it (PyTorch's ``_quantize_weight``)."""
    scale, zp = observer.calculate_qparams()
    w = weight.detach()
    if observer.qscheme in (_qd.per_tensor_affine, _qd.per_tensor_symmetric):
        return _q.quantize_per_tensor(w, float(scale._data.reshape(-1)[0]), int(zp._data.reshape(-1)[0]),
                                      observer.dtype)
    if observer.qscheme in (_qd.per_channel_affine, _qd.per_channel_symmetric):
        return _q.quantize_per_channel(w, make(scale._data.astype(np.float64)), make(zp._data.astype(np.int64)),
                                       observer.ch_axis, observer.dtype)
    raise ValueError(f"Unsupported qscheme {observer.qscheme} for a quantized weight")


class LinearPackedParams(nn.Module):
    """Holds a quantized linear layer's ``(weight, bias)``, as fbgemm's packed weight does."""

    _version = 3

    def __init__(self, dtype=None):
        super().__init__()
        self.dtype = _qd.qint8 if dtype is None else dtype
        w = _q.quantize_per_tensor(make(np.zeros((1, 1), np.float32)), 1.0, 0, _qd.qint8)
        self.set_weight_bias(w, None)

    def set_weight_bias(self, weight, bias):
        self._packed_params = (weight, bias)

    def _weight_bias(self):
        return self._packed_params

    def forward(self, x):
        return x

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "dtype"] = self.dtype
        destination[prefix + "_packed_params"] = self._weight_bias()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        for key in ("dtype", "_packed_params"):
            if prefix + key not in state_dict:
                missing_keys.append(prefix + key)
        if prefix + "dtype" in state_dict:
            self.dtype = state_dict.pop(prefix + "dtype")
        if prefix + "_packed_params" in state_dict:
            self.set_weight_bias(*state_dict.pop(prefix + "_packed_params"))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys, unexpected_keys,
                                      error_msgs)

    def __repr__(self):
        return repr(self._weight_bias())


class Linear(OutputQParams, nn.Module):
    """A linear layer over quantized tensors; built from a float (or QAT) one by ``from_float`` / ``convert``."""

    _version = 3
    _FLOAT_MODULE = (nn.Linear,)
    _relu = False

    def __init__(self, in_features, out_features, bias_=True, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        dtype = _qd.qint8 if dtype is None else dtype
        bias = make(np.zeros(out_features, np.float32)) if bias_ else None
        w = _q.quantize_per_tensor(make(np.zeros((out_features, in_features), np.float32)), 1.0, 0, _qd.qint8)
        self._packed_params = LinearPackedParams(dtype)
        self._packed_params.set_weight_bias(w, bias)
        self.scale = 1.0
        self.zero_point = 0

    def _get_name(self):
        return "QuantizedLinear"

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, scale={self.scale}, "
                f"zero_point={self.zero_point}, qscheme={self.weight().qscheme()}")

    def __repr__(self):
        return repr_hiding(self, ("_packed_params",))

    def weight(self):
        return self._packed_params._weight_bias()[0]

    def bias(self):
        return self._packed_params._weight_bias()[1]

    def set_weight_bias(self, w, b):
        self._packed_params.set_weight_bias(w, b)

    def forward(self, x):
        x = K.as_quantized(x, f"{self._get_name()}(in_features={self.in_features})")
        if x.shape[-1] != self.in_features:
            raise RuntimeError(f"{self._get_name()}(in_features={self.in_features}) got input of shape "
                               f"{tuple(x.shape)}")
        wc, w_scales = K.weight_parts(self.weight())
        lead = x.shape[:-1]
        acc = K.linear_acc(K.centered(x).reshape(-1, self.in_features), wc)
        out = K.requantize(acc, x._scale, w_scales, K.float_of(self.bias()), self.scale, self.zero_point,
                           _qd.quint8, relu=self._relu)
        return out.reshape(*lead, self.out_features)

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """Quantize a float ``Linear`` (or ``LinearReLU`` / a QAT Linear) that carries an observer."""
        float_linear, weight_post_process, activation = float_parts(mod)
        weight_post_process(float_linear.weight)
        qweight = quantize_weight(float_linear.weight.float(), weight_post_process)
        act_scale, act_zp = activation.calculate_qparams()
        q = cls(float_linear.in_features, float_linear.out_features, dtype=weight_post_process.dtype,
                bias_=float_linear.bias is not None)
        q.set_weight_bias(qweight, None if float_linear.bias is None else float_linear.bias.detach())
        q.scale = float(act_scale._data.reshape(-1)[0])
        q.zero_point = int(act_zp._data.reshape(-1)[0])
        return q

    @classmethod
    def from_reference(cls, ref, output_scale, output_zero_point):
        raise NotImplementedError("ember does not build quantized modules from reference (FX) modules")


def float_parts(mod):
    """(module holding the weight, weight observer, output observer) of a prepared float, fused or QAT module;
    the weight observer is a fresh ``qconfig.weight()`` unless QAT already has a ``weight_fake_quant``."""
    from ..intrinsic import _FusedModule
    activation = getattr(mod, "activation_post_process", None)
    if not hasattr(activation, "calculate_qparams"):
        raise AssertionError(f"Input float module {type(mod).__name__} must have observer attached")
    if hasattr(mod, "weight_fake_quant"):
        return mod, mod.weight_fake_quant, activation
    if getattr(mod, "qconfig", None) is None:
        raise AssertionError(f"Input float module {type(mod).__name__} must have qconfig defined")
    inner = mod[0] if isinstance(mod, _FusedModule) else mod
    return inner, mod.qconfig.weight(), activation

