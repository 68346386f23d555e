"""``ember.nn.modules``: PyTorch's module paths for the layer classes.

Code written for PyTorch imports layers by their defining module
(``from torch.nn.modules.linear import Linear``, ``torch.nn.modules.module.Module``,
``isinstance(m, nn.modules.batchnorm._BatchNorm)``). ember defines its layers in
``ember.nn.layers``; each name below is a submodule that re-exports the same class objects, so
``nn.modules.linear.Linear is nn.Linear``. A layer that ember does not have is absent from its
submodule (``hasattr`` tells). The submodules are made when this package is imported.

>>> from ember import nn
>>> from ember.nn.modules.linear import Linear
>>> Linear is nn.Linear and nn.modules.module.Module is nn.Module
True
"""
import sys
import types

from ember import nn as _nn
from ember.nn import hooks as _hooks, module as _module
from ember.nn.modules import utils  # noqa: F401

# torch.nn.modules.<submodule>.__all__ as of PyTorch 2.13, plus the private base classes that
# isinstance checks use.
_NAMES = {
    "linear": "Bilinear Identity LazyLinear Linear NonDynamicallyQuantizableLinear",
    "conv": "Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d LazyConv1d LazyConv2d LazyConv3d "
            "LazyConvTranspose1d LazyConvTranspose2d LazyConvTranspose3d _ConvNd _ConvTransposeNd",
    "activation": "Threshold ReLU RReLU Hardtanh ReLU6 Sigmoid Hardsigmoid Tanh SiLU Mish Hardswish ELU CELU SELU "
                  "GLU GELU Hardshrink LeakyReLU LogSigmoid Softplus Softshrink MultiheadAttention PReLU Softsign "
                  "Tanhshrink Softmin Softmax Softmax2d LogSoftmax",
    "loss": "L1Loss NLLLoss NLLLoss2d PoissonNLLLoss GaussianNLLLoss KLDivLoss MSELoss BCELoss BCEWithLogitsLoss "
            "HingeEmbeddingLoss MultiLabelMarginLoss SmoothL1Loss HuberLoss SoftMarginLoss CrossEntropyLoss "
            "LinearCrossEntropyLoss MultiLabelSoftMarginLoss CosineEmbeddingLoss MarginRankingLoss MultiMarginLoss "
            "TripletMarginLoss TripletMarginWithDistanceLoss CTCLoss _Loss _WeightedLoss",
    "pooling": "MaxPool1d MaxPool2d MaxPool3d MaxUnpool1d MaxUnpool2d MaxUnpool3d AvgPool1d AvgPool2d AvgPool3d "
               "FractionalMaxPool2d FractionalMaxPool3d LPPool1d LPPool2d LPPool3d AdaptiveMaxPool1d "
               "AdaptiveMaxPool2d AdaptiveMaxPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d",
    "batchnorm": "BatchNorm1d LazyBatchNorm1d BatchNorm2d LazyBatchNorm2d BatchNorm3d LazyBatchNorm3d SyncBatchNorm "
                 "_NormBase _BatchNorm",
    "normalization": "LocalResponseNorm CrossMapLRN2d LayerNorm GroupNorm RMSNorm",
    "dropout": "Dropout Dropout1d Dropout2d Dropout3d AlphaDropout FeatureAlphaDropout _DropoutNd",
    "rnn": "RNNBase RNN LSTM GRU RNNCellBase RNNCell LSTMCell GRUCell",
    "sparse": "Embedding EmbeddingBag",
    "container": "Container Sequential ModuleList ModuleDict ParameterList ParameterDict",
    "module": "register_module_forward_pre_hook register_module_forward_hook register_module_full_backward_pre_hook "
              "register_module_backward_hook register_module_full_backward_hook "
              "register_module_buffer_registration_hook register_module_module_registration_hook "
              "register_module_parameter_registration_hook Module _global_forward_pre_hooks _global_forward_hooks "
              "_global_forward_hooks_with_kwargs _global_forward_hooks_always_called _global_backward_hooks "
              "_global_backward_pre_hooks",
    "flatten": "Flatten Unflatten",
    "padding": "CircularPad1d CircularPad2d CircularPad3d ConstantPad1d ConstantPad2d ConstantPad3d ReflectionPad1d "
               "ReflectionPad2d ReflectionPad3d ReplicationPad1d ReplicationPad2d ReplicationPad3d ZeroPad1d "
               "ZeroPad2d ZeroPad3d",
    "transformer": "Transformer TransformerEncoder TransformerDecoder TransformerEncoderLayer TransformerDecoderLayer",
    "pixelshuffle": "PixelShuffle PixelUnshuffle",
    "upsampling": "Upsample UpsamplingNearest2d UpsamplingBilinear2d",
    "distance": "PairwiseDistance CosineSimilarity",
    "instancenorm": "InstanceNorm1d InstanceNorm2d InstanceNorm3d LazyInstanceNorm1d LazyInstanceNorm2d "
                    "LazyInstanceNorm3d _InstanceNorm",
    "channelshuffle": "ChannelShuffle",
    "fold": "Fold Unfold",
}



def _lookup(name):
    # The public nn namespace first, then the files that define the private base classes and the
    # global hook functions. Looked up on use, so layers added to ember.nn later appear here too.
    for source in (_nn, _module, _hooks, *(sys.modules[m] for m in sorted(sys.modules)
                                          if m.startswith("ember.nn.layers."))):
        value = getattr(source, name, None)
        if value is not None:
            return value
    return None


class _Reexport(types.ModuleType):
    """A submodule whose names are ember's classes of the same names, where ember has them."""

    def __init__(self, name, names):
        super().__init__(name, f"PyTorch's ``torch.nn.modules.{name.rpartition('.')[2]}``: ember's classes "
                               f"under their PyTorch module path.")
        self._names = names.split()

    def __getattr__(self, name):
        value = _lookup(name) if name in self.__dict__.get("_names", ()) else None
        if value is None:
            raise AttributeError(f"module '{self.__name__}' has no attribute '{name}'")
        return value

    @property
    def __all__(self):
        return [n for n in self._names if not n.startswith("_") and _lookup(n) is not None]

    def __dir__(self):
        return sorted(set(super().__dir__()) | {n for n in self._names if _lookup(n) is not None})


for _sub, _names in _NAMES.items():
    sys.modules[f"{__name__}.{_sub}"] = globals()[_sub] = _Reexport(f"{__name__}.{_sub}", _names)
del _sub, _names

_PUBLIC = {n for names in _NAMES.values() for n in names.split() if not n.startswith("_")}


def __getattr__(name):
    value = _lookup(name) if name in _PUBLIC else None
    if value is None:
        raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
    return value


def __dir__():
    return sorted(set(globals()) | {n for n in _PUBLIC if _lookup(n) is not None})


__all__ = sorted(n for n in _PUBLIC if _lookup(n) is not None)
