"""PyTorch's quantized element types (``quint8``, ``qint8``, ``qint32``, ``quint4x2``) and qschemes.

A quantized dtype names how a tensor's integers are read: ``x = (q - zero_point) * scale``. Each is an
:class:`ember.dtype` over the NumPy integer type that stores ``q``; none of them is in NumPy's
dtype map, so a plain ``uint8`` array stays ``ember.uint8``.

>>> import ember
>>> ember.quint8, ember.quint8.itemsize, ember.per_tensor_affine
(ember.quint8, 1, ember.per_tensor_affine)
"""
import numpy as np

from . import dtypes as _dt

quint8 = _dt.dtype("quint8", np.uint8, 1)
qint8 = _dt.dtype("qint8", np.int8, 1)
qint32 = _dt.dtype("qint32", np.int32, 1)
quint4x2 = _dt.dtype("quint4x2", np.uint8, 1)
QUANTIZED = (quint8, qint8, qint32, quint4x2)
# (quant_min, quant_max) of each quantized dtype's full range.
RANGE = {quint8: (0, 255), qint8: (-128, 127), qint32: (-2 ** 31, 2 ** 31 - 1), quint4x2: (0, 15)}
for _d in QUANTIZED:
    _d.is_signed = _d in (qint8, qint32)
    _dt._NAMES[_d.name] = _d  # to_dtype("torch.quint8") and pickling find them by name


class qscheme:
    """How a quantized tensor's scale and zero point apply: to the whole tensor or per channel."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return _dt.PREFIX[0] + "." + self.name

    def __reduce__(self):
        return (_scheme_by_name, (self.name,))


per_tensor_affine = qscheme("per_tensor_affine")
per_channel_affine = qscheme("per_channel_affine")
per_tensor_symmetric = qscheme("per_tensor_symmetric")
per_channel_symmetric = qscheme("per_channel_symmetric")
per_channel_affine_float_qparams = qscheme("per_channel_affine_float_qparams")
_SCHEMES = {s.name: s for s in (per_tensor_affine, per_channel_affine, per_tensor_symmetric, per_channel_symmetric,
                                per_channel_affine_float_qparams)}


def _scheme_by_name(name):
    return _SCHEMES[name]


def is_quantized_dtype(d):
    return any(d is q for q in QUANTIZED)
