"""The ``torch.<op>`` forms of functional ops, with PyTorch's top-level (ATen) signatures, which differ
from ``torch.nn.functional``'s: positional ``train`` flags, integer ``reduction`` codes
(0 none, 1 mean, 2 sum), ``torch.embedding(weight, indices)`` and ``torch.batch_norm(input, weight, bias,
running_mean, running_var, ...)`` argument orders, and pooling ``stride=[]`` meaning "the kernel size".

The facade (``ember/__init__.py``) serves these lazily, so ``import ember`` does not load this module.

>>> import ember
>>> ember.threshold(ember.tensor([-1.0, 2.0]), 0.5, 0.0)
tensor([0., 2.])
"""
import importlib

# By module path: the package re-exports functions under some of these modules' names (dropout, linear ...).
_act, _drop, _loss, _lm, _dist, _lin, _emb = (importlib.import_module("." + m, __package__) for m in (
    "activation", "dropout", "loss", "loss_margin", "distance", "linear", "embedding"))
from ..autograd.ops import reshape as _reshape, transpose as _transpose

_REDUCTION = {0: "none", 1: "mean", 2: "sum"}


def _red(reduction):
    if isinstance(reduction, str):
        return reduction
    try:
        return _REDUCTION[int(reduction)]
    except (KeyError, ValueError):
        raise ValueError(f"reduction must be 0 (none), 1 (mean) or 2 (sum), got {reduction!r}") from None


def _F():
    import ember.functional as F
    return F


def _stride(stride):
    return None if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else stride


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _F().conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _F().conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _F().conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _F().conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _F().conv3d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _F().conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1, zero_infinity=False):
    return _F().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, _red(reduction), zero_infinity)


def dropout(input, p, train):
    return _drop.dropout(input, p, train)


def dropout_(input, p, train):
    return _drop.dropout(input, p, train, inplace=True)


def alpha_dropout(input, p, train):
    return _drop.alpha_dropout(input, p, train)


def alpha_dropout_(input, p, train):
    return _drop.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input, p, train):
    return _drop.feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input, p, train):
    return _drop.feature_alpha_dropout(input, p, train, inplace=True)


def _channel_dropout(input, p, train, inplace):
    """Zero whole channels (dim 1) with probability p, scaling the rest by 1 / (1 - p)."""
    fn = _drop.dropout1d if input.ndim <= 3 else _drop.dropout2d
    if input.ndim > 4:
        fn = getattr(_drop, "dropout3d")
    return fn(input, p, train, inplace=inplace)


def feature_dropout(input, p, train):
    return _channel_dropout(input, p, train, False)


def feature_dropout_(input, p, train):
    return _channel_dropout(input, p, train, True)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    return _F().layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    return _F().group_norm(input, num_groups, weight, bias, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled=True):
    return _F().batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                  cudnn_enabled=True):
    return _F().instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return _F().rms_norm(input, normalized_shape, weight, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``weight[indices]``; note PyTorch's top-level order (weight first) and ``padding_idx=-1`` for none."""
    return _emb.embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                          scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def bilinear(input1, input2, weight, bias=None):
    return _lin.bilinear(input1, input2, weight, bias)


def selu(input):
    return _act.selu(input)


def selu_(input):
    return _act.selu_(input)


def celu(input, alpha=1.0):
    return _act.celu(input, alpha)


def celu_(input, alpha=1.0):
    return _act.celu_(input, alpha)


def prelu(input, weight):
    return _act.prelu(input, weight)


def rrelu(input, lower=0.125, upper=1.0 / 3, training=False, generator=None):
    return _act.rrelu(input, lower, upper, training)


def rrelu_(input, lower=0.125, upper=1.0 / 3, training=False, generator=None):
    return _act.rrelu_(input, lower, upper, training)


def threshold(input, threshold, value):
    return _act.threshold(input, threshold, value)


def threshold_(input, threshold, value):
    return _act.threshold_(input, threshold, value)


def hardshrink(input, lambd=0.5):
    return _act.hardshrink(input, lambd)


def pixel_shuffle(input, upscale_factor):
    return _F().pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    return _F().pixel_unshuffle(input, downscale_factor)


def channel_shuffle(input, groups):
    """Split the C channels (dim 1) into ``groups`` groups and interleave them: (N, g, C/g, ...) -> (N, C/g, g, ...)."""
    shape = tuple(input.shape)
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"sizes {list(shape)}")
    if groups <= 0 or shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {shape[1]} channels and "
                           f"{groups} groups.")
    n, c, rest = shape[0], shape[1], shape[2:]
    x = _reshape(input, (n, groups, c // groups) + rest)
    return _reshape(_transpose(x, 1, 2), shape)


native_channel_shuffle = channel_shuffle


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    return _dist.cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return _dist.pairwise_distance(x1, x2, p, eps, keepdim)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    return _loss.binary_cross_entropy_with_logits(input, target, weight, reduction=_red(reduction),
                                                  pos_weight=pos_weight)


def kl_div(input, target, reduction=1, *, log_target=False):
    return _lm.kl_div(input, target, reduction=_red(reduction), log_target=log_target)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1):
    return _lm.margin_ranking_loss(input1, input2, target, margin, reduction=_red(reduction))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1):
    return _lm.cosine_embedding_loss(input1, input2, target, margin, reduction=_red(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=1):
    return _lm.hinge_embedding_loss(input, target, margin, reduction=_red(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction=1):
    return _lm.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction=_red(reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return _lm.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=_red(reduction))


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode, return_indices=True)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True):
    return _F().avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)


def adaptive_avg_pool1d(input, output_size):
    return _F().adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    """Returns ``(values, indices)``, as PyTorch's top-level form always does."""
    return _F().adaptive_max_pool1d(input, output_size, return_indices=True)


def constant_pad_nd(input, pad, value=0):
    return _F().pad(input, list(pad), mode="constant", value=value)


def detach(input):
    return input.detach()


def detach_(input):
    return input.detach_()
