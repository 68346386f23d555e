"""Composite ops over ember tensors: activations, losses, linear maps, dropout, embeddings, distances,
and (from their own modules) convolution, pooling, normalization, padding and vision ops.

This is ``torch.nn.functional``'s API; users usually import it as
``import ember.nn.functional as F``.

>>> import ember
>>> import ember.functional as F
>>> F.softmax(ember.tensor([0.0, 0.0]), dim=0)
tensor([0.5000, 0.5000])
"""
from .activation import (relu, relu_, relu6, leaky_relu, leaky_relu_, prelu, rrelu, rrelu_, elu, elu_, selu,
                         selu_, celu, celu_, gelu, silu, silu_, mish, sigmoid, tanh, softmax, log_softmax,
                         softmin, softplus, softsign, hardtanh, hardtanh_, hardsigmoid, hardswish, threshold,
                         threshold_, logsigmoid, tanhshrink, softshrink, hardshrink, glu, gumbel_softmax)
from .linear import linear, bilinear
from .dropout import (dropout, dropout1d, dropout2d, dropout3d, alpha_dropout, feature_alpha_dropout)
from .embedding import embedding, embedding_bag, one_hot
from .distance import cosine_similarity, pairwise_distance, normalize, pdist
from .loss import (mse_loss, l1_loss, smooth_l1_loss, huber_loss, cross_entropy, nll_loss, binary_cross_entropy,
                   binary_cross_entropy_with_logits)
from .loss_margin import (kl_div, poisson_nll_loss, gaussian_nll_loss, margin_ranking_loss, hinge_embedding_loss,
                          soft_margin_loss, multilabel_soft_margin_loss, multi_margin_loss, cosine_embedding_loss,
                          triplet_margin_loss, triplet_margin_with_distance_loss, multilabel_margin_loss)

# The convolution / pooling / normalization / padding / vision families live in their own modules,
# written separately; each is re-exported when present.
import importlib as _importlib

for _name in ("conv", "pooling", "normalization", "padding", "vision", "attention", "upsampling", "conv_3d",
              "pooling3d", "spatial_transform", "ctc", "shuffle", "fractional_pool", "loss_linear"):
    try:
        _mod = _importlib.import_module(f".{_name}", __name__)
    except ImportError as _e:
        if getattr(_e, "name", None) not in (f"{__name__}.{_name}",):
            raise
        continue
    for _k in getattr(_mod, "__all__", [k for k in vars(_mod) if not k.startswith("_")]):
        _v = getattr(_mod, _k)
        if callable(_v) and not isinstance(_v, type(_importlib)):
            globals().setdefault(_k, _v)
del _name, _importlib
