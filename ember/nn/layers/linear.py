"""Affine layers: ``Linear``, ``Bilinear``, ``LazyLinear`` and the pass-through ``Identity``.

>>> import ember
>>> from ember import nn
>>> fc = nn.Linear(784, 128)
>>> fc(ember.randn(32, 784)).shape
ember.Size([32, 128])
"""
import math

from ... import creation
from ...functional.linear import linear, bilinear
from .. import init
from ..module import Module, input_error
from ..parameter import Parameter, UninitializedParameter


class Identity(Module):
    """Returns its input; accepts and ignores any constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x W^T + b``.

    Args:
        in_features: size of each input sample's last dimension.
        out_features: size of each output sample's last dimension.
        bias: learn an additive bias (default True).

    Shape: input ``(*, in_features)``, output ``(*, out_features)``.

    Init (as PyTorch): weight and bias ~ U(-1/sqrt(in_features), 1/sqrt(in_features)).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(creation.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        x = input._data
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise input_error(self, f"expected input with last dimension {self.in_features}, got input of shape "
                                    f"{tuple(x.shape)}" + _hint(x.shape, self.in_features))
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _hint(shape, in_features):
    n = 1
    for s in shape[1:]:
        n *= s
    if len(shape) > 2 and n == in_features:
        return " (flatten it first: x.flatten(1) or nn.Flatten())"
    return ""


class LazyLinear(Linear):
    """A :class:`Linear` whose ``in_features`` is taken from the first input it sees."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features = 0
        self.out_features = out_features
        self._dtype = dtype
        self.weight = UninitializedParameter()
        if bias:
            self.bias = UninitializedParameter()
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.in_features:
            super().reset_parameters()

    def forward(self, input):
        if isinstance(self.weight, UninitializedParameter):
            self.in_features = input._data.shape[-1]
            d = self._dtype or input.dtype
            self.weight.materialize((self.out_features, self.in_features), dtype=d)
            if self.bias is not None:
                self.bias.materialize((self.out_features,), dtype=d)
            self.reset_parameters()
            self.__class__ = Linear
        return Linear.forward(self, input)


class Bilinear(Module):
    """``y = x1^T A x2 + b``.

    Args:
        in1_features, in2_features: sizes of the two inputs' last dimensions.
        out_features: size of the output's last dimension.
        bias: learn an additive bias (default True).

    Shape: input1 ``(*, in1)``, input2 ``(*, in2)``, output ``(*, out)``.

    Init: weight and bias ~ U(-1/sqrt(in1_features), 1/sqrt(in1_features)).
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(creation.empty((out_features, in1_features, in2_features), dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        a, b = input1._data, input2._data
        if a.shape[-1:] != (self.in1_features,) or b.shape[-1:] != (self.in2_features,):
            raise input_error(self, f"expected inputs with last dimensions {self.in1_features} and "
                                    f"{self.in2_features}, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
