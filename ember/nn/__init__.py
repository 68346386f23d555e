"""Neural network building blocks with PyTorch's API: ``Module``, ``Parameter``, layers, losses,
containers, ``init`` and ``functional``.

>>> import ember
>>> from ember import nn
>>> model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
>>> model(ember.zeros(32, 1, 28, 28)).shape
ember.Size([32, 10])
"""
from .parameter import Parameter, Buffer, UninitializedParameter
from .module import Module, RemovableHandle, ModuleInputError
from .containers import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from .layers.linear import Identity, Linear, LazyLinear, Bilinear
from .layers.flatten import Flatten, Unflatten
from .layers.dropout import Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout
from .layers.sparse import Embedding, EmbeddingBag
from .layers.activation import (ReLU, ReLU6, LeakyReLU, PReLU, RReLU, ELU, SELU, CELU, GELU, SiLU, Mish, Sigmoid,
                                Tanh, Softmax, LogSoftmax, Softmin, Softmax2d, Softplus, Softsign, Hardtanh,
                                Hardsigmoid, Hardswish, Threshold, LogSigmoid, Tanhshrink, Softshrink, Hardshrink,
                                GLU)
from .layers.loss import (L1Loss, MSELoss, SmoothL1Loss, HuberLoss, CrossEntropyLoss, NLLLoss, NLLLoss2d, BCELoss,
                          BCEWithLogitsLoss, KLDivLoss, PoissonNLLLoss, GaussianNLLLoss, MarginRankingLoss,
                          CosineEmbeddingLoss, HingeEmbeddingLoss, SoftMarginLoss, MultiLabelSoftMarginLoss,
                          MultiMarginLoss, MultiLabelMarginLoss, TripletMarginLoss,
                          TripletMarginWithDistanceLoss)
from .layers.distance import CosineSimilarity, PairwiseDistance
from . import init, functional, utils  # noqa: F401
from . import grad, attention, common_types  # noqa: F401,E402

# Layer families written separately (convolution, pooling, normalization, upsampling, padding, recurrent,
# attention); each name is exported when its module is present.
_OPTIONAL = {
    "conv": "Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d LazyConv1d LazyConv2d Unfold Fold",
    "pooling": "MaxPool1d MaxPool2d MaxPool3d AvgPool1d AvgPool2d AvgPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d "
               "AdaptiveAvgPool3d AdaptiveMaxPool1d AdaptiveMaxPool2d LPPool1d LPPool2d MaxUnpool1d MaxUnpool2d",
    "normalization": "BatchNorm1d BatchNorm2d BatchNorm3d LayerNorm GroupNorm InstanceNorm1d InstanceNorm2d "
                     "LocalResponseNorm RMSNorm LazyBatchNorm1d LazyBatchNorm2d SyncBatchNorm",
    "upsampling": "Upsample UpsamplingNearest2d UpsamplingBilinear2d PixelShuffle PixelUnshuffle",
    "padding": "ZeroPad1d ZeroPad2d ConstantPad1d ConstantPad2d ConstantPad3d ReflectionPad1d ReflectionPad2d "
               "ReplicationPad1d ReplicationPad2d CircularPad1d CircularPad2d",
    "rnn": "RNN LSTM GRU RNNCell LSTMCell GRUCell RNNBase RNNCellBase",
    "transformer": "Transformer TransformerEncoder TransformerDecoder TransformerEncoderLayer "
                   "TransformerDecoderLayer",
    "attention": "MultiheadAttention",
    "channelshuffle": "ChannelShuffle",
    "volumetric": "Conv3d ConvTranspose3d MaxPool3d AvgPool3d AdaptiveAvgPool3d AdaptiveMaxPool3d LPPool3d "
                  "MaxUnpool3d InstanceNorm3d ZeroPad3d ReflectionPad3d ReplicationPad3d CircularPad3d",
    "lazy": "UninitializedBuffer LazyConv3d LazyConvTranspose1d LazyConvTranspose2d LazyConvTranspose3d "
            "LazyBatchNorm1d LazyBatchNorm2d LazyBatchNorm3d LazyInstanceNorm1d LazyInstanceNorm2d LazyInstanceNorm3d",
    "sequence_loss": "CTCLoss AdaptiveLogSoftmaxWithLoss",
    "fractional_pool": "FractionalMaxPool2d FractionalMaxPool3d",
    "legacy": "CrossMapLRN2d Container",
    "sync_batchnorm": "SyncBatchNorm",
    "linear_cross_entropy": "LinearCrossEntropyLoss LinearCrossEntropyOptions",
}


def _load_optional():
    import importlib
    for mod_name, names in _OPTIONAL.items():
        try:
            mod = importlib.import_module(f".layers.{mod_name}", __name__)
        except ImportError as e:
            if getattr(e, "name", None) != f"{__name__}.layers.{mod_name}":
                raise
            continue
        for n in names.split():
            if hasattr(mod, n):
                globals()[n] = getattr(mod, n)


_load_optional()
del _load_optional


def __getattr__(name):
    # PyTorch's module paths (nn.modules.linear, nn.parallel) load on first use.
    if name in ("modules", "parallel", "quantized", "intrinsic", "qat"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    if name == "DataParallel":
        from .parallel import DataParallel
        return DataParallel
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
