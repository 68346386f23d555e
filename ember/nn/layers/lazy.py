"""Lazy layers: ``LazyConv3d``, ``LazyConvTranspose1d/2d/3d``, ``LazyBatchNorm1d/2d/3d`` and
``LazyInstanceNorm1d/2d/3d``, whose ``in_channels`` / ``num_features`` come from the first input, and
``UninitializedBuffer``.

Until that first call the parameters are :class:`UninitializedParameter` (and the running
statistics :class:`UninitializedBuffer`); the first forward materializes them with the
input's channel count, initializes them as the eager layer would, and turns the module into
that eager class (``LazyConv3d`` becomes ``Conv3d``), as PyTorch does.

>>> import ember
>>> from ember import nn
>>> bn = nn.LazyBatchNorm2d()
>>> _ = bn(ember.zeros(2, 5, 3, 3))
>>> type(bn).__name__, bn.num_features, bn.running_mean.shape
('BatchNorm2d', 5, ember.Size([5]))
"""

from ...autograd.tensor import Tensor, _new
from ...backend import dtypes as _dt
from ..module import Module, input_error
from ..parameter import UninitializedParameter, on_meta, _empty
from ...backend.meta import MetaArray
from .conv import _ConvNd, _LazyConvMixin, ConvTranspose1d, ConvTranspose2d
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d
from .volumetric import Conv3d, ConvTranspose3d, InstanceNorm3d

__all__ = ["UninitializedBuffer", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
           "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d"]


class UninitializedBuffer(Tensor):
    """A buffer whose shape is set on the first forward pass (the running statistics of lazy norms)."""

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        return _new(cls)

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        self._data = _empty((0,), dtype, on_meta(device))
        self.persistent = persistent

    def materialize(self, shape, device=None, dtype=None):
        self._data = _empty(shape, dtype, type(self._data) is MetaArray if device is None else on_meta(device))
        self.__class__ = Tensor

    def __repr__(self):
        return "<UninitializedBuffer>"


class LazyConv3d(_LazyConvMixin, Conv3d):
    """A :class:`Conv3d` whose ``in_channels`` is inferred from the first input."""

    cls_to_become = Conv3d

    def _check_input(self, input):
        if input._data.ndim not in (4, 5):
            Conv3d._check_input(self, input)  # the 3-D layers' message for a wrong rank
        _LazyConvMixin._check_input(self, input)


class _LazyConvTransposeMixin:
    """``in_channels`` from the first input; the weight ``(C_in, C_out / groups, *k)`` is created then."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        Module.__init__(self)
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        self._configure(0, out_channels, kernel_size, stride, padding, dilation, groups, padding_mode,
                        output_padding)
        self._dtype = dtype
        self.weight = UninitializedParameter()
        if bias:
            self.bias = UninitializedParameter()
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if not isinstance(self.weight, UninitializedParameter):
            _ConvNd.reset_parameters(self)

    def _check_input(self, input):
        cls = self.cls_to_become
        if isinstance(self.weight, UninitializedParameter):
            x = input._data
            if x.ndim not in (self.nd + 1, self.nd + 2):
                raise input_error(self, f"expected a {self.nd + 2}D input or an unbatched {self.nd + 1}D one, got "
                                        f"input of shape {tuple(x.shape)}")
            c = x.shape[-self.nd - 1]
            if c % self.groups:
                raise input_error(self, f"the input's {c} channels are not divisible by groups={self.groups}")
            self.in_channels = c
            d = self._dtype or input.dtype
            self.weight.materialize((c, self.out_channels // self.groups) + self.kernel_size, dtype=d)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,), dtype=d)
            self.reset_parameters()
            del self._dtype
            self.__class__ = cls
        cls._check_input(self, input)


class LazyConvTranspose1d(_LazyConvTransposeMixin, ConvTranspose1d):
    """A :class:`ConvTranspose1d` whose ``in_channels`` is inferred from the first input."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTransposeMixin, ConvTranspose2d):
    """A :class:`ConvTranspose2d` whose ``in_channels`` is inferred from the first input."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTransposeMixin, ConvTranspose3d):
    """A :class:`ConvTranspose3d` whose ``in_channels`` is inferred from the first input."""

    cls_to_become = ConvTranspose3d


class _LazyNormMixin:
    """``num_features`` from dim 1 of the first input (for instance norms too, as PyTorch), ``affine`` and
    ``track_running_stats`` on by default (for instance norms too, as PyTorch's lazy forms)."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
        Module.__init__(self)
        self.num_features = 0
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self._dtype = dtype
        if affine:
            self.weight = UninitializedParameter()
            self.bias = UninitializedParameter()
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", UninitializedBuffer(dtype=dtype))
            self.register_buffer("running_var", UninitializedBuffer(dtype=dtype))
            self.register_buffer("num_batches_tracked", _long_zero())
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_parameters(self):
        if self.num_features:
            self.cls_to_become.reset_parameters(self)

    def forward(self, input):
        cls = self.cls_to_become
        if self.num_features == 0:
            c = input._data.shape[1] if input._data.ndim > 1 else None
            if not c:
                raise input_error(self, f"cannot infer num_features from an input of shape {tuple(input.shape)}")
            self.num_features = c
            d = self._dtype or input.dtype
            for name in ("weight", "bias", "running_mean", "running_var"):
                t = getattr(self, name)
                if t is not None:
                    t.materialize((c,), dtype=d)
            self.reset_parameters()
            del self._dtype
            self.__class__ = cls
        return cls.forward(self, input)


def _long_zero():
    from ... import creation
    return creation.tensor(0, dtype=_dt.int64)


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """A :class:`BatchNorm1d` whose ``num_features`` is inferred from the first input."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """A :class:`BatchNorm2d` whose ``num_features`` is inferred from the first input."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormMixin, BatchNorm3d):
    """A :class:`BatchNorm3d` whose ``num_features`` is inferred from the first input."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNormMixin, InstanceNorm1d):
    """An :class:`InstanceNorm1d` whose ``num_features`` is inferred from the first input."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormMixin, InstanceNorm2d):
    """An :class:`InstanceNorm2d` whose ``num_features`` is inferred from the first input."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormMixin, InstanceNorm3d):
    """An :class:`InstanceNorm3d` whose ``num_features`` is inferred from the first input."""

    cls_to_become = InstanceNorm3d
