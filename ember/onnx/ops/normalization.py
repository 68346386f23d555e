"""ONNX normalizations: Batch/Instance/Layer/Group/RMS normalization, LRN, MeanVarianceNormalization.

All are written from ember's mean/var/sqrt so that scale, bias and (in inference) the running
statistics get gradients. The statistics are population ones (divide by n), as ONNX specifies;
``stash_type=1`` computes them in float32 whatever the input's dtype.
"""
import ember

from . import register, axis_of


def _channel(v, rank):
    return v.reshape(1, -1, *([1] * (rank - 2)))


@register("BatchNormalization")
def batch_norm(ctx, x, scale, bias, mean, var):
    eps = ctx.attr("epsilon", 1e-5)
    r = x.dim()
    if ctx.attr("training_mode", 0):  # batch statistics; the running ones are extra outputs
        dims = tuple(i for i in range(r) if i != 1)
        bmean = x.mean(dim=dims)
        bvar = ((x - _channel(bmean, r)) ** 2).mean(dim=dims)
        y = (x - _channel(bmean, r)) / ember.sqrt(_channel(bvar, r) + eps) * _channel(scale, r) \
            + _channel(bias, r)
        m = ctx.attr("momentum", 0.9)
        run_mean = mean * m + bmean * (1 - m)
        run_var = var * m + bvar * (1 - m)
        return (y, run_mean, run_var)[:max(ctx.n_outputs, 1)]
    # fold the statistics into one scale and shift per channel: two passes over x instead of four
    a = scale / ember.sqrt(var + eps)
    return x * _channel(a, r) + _channel(bias - mean * a, r)


@register("InstanceNormalization")
def instance_norm(ctx, x, scale, bias):
    eps = ctx.attr("epsilon", 1e-5)
    r = x.dim()
    dims = tuple(range(2, r))
    mu = x.mean(dim=dims, keepdim=True)
    var = ((x - mu) ** 2).mean(dim=dims, keepdim=True)
    return (x - mu) / ember.sqrt(var + eps) * _channel(scale, r) + _channel(bias, r)


def _stash(ctx, x, default=1):
    if ctx.attr("stash_type", default) == 1 and x.dtype != ember.float32:
        return x.to(ember.float32)
    return x


@register("LayerNormalization")
def layer_norm(ctx, x, scale, bias=None):
    eps = ctx.attr("epsilon", 1e-5)
    axis = axis_of(ctx.attr("axis", -1), x.dim())
    dims = tuple(range(axis, x.dim()))
    xs = _stash(ctx, x)
    mu = xs.mean(dim=dims, keepdim=True)
    var = ((xs - mu) ** 2).mean(dim=dims, keepdim=True)
    inv = 1.0 / ember.sqrt(var + eps)
    y = ((xs - mu) * inv).to(x.dtype) * scale
    if bias is not None:
        y = y + bias
    return (y, mu, inv)[:max(ctx.n_outputs, 1)]


@register("RMSNormalization")
def rms_norm(ctx, x, scale):
    eps = ctx.attr("epsilon", 1e-5)
    axis = axis_of(ctx.attr("axis", -1), x.dim())
    dims = tuple(range(axis, x.dim()))
    xs = _stash(ctx, x)
    inv = 1.0 / ember.sqrt((xs * xs).mean(dim=dims, keepdim=True) + eps)
    return (xs * inv).to(x.dtype) * scale


@register("GroupNormalization")
def group_norm(ctx, x, scale, bias):
    eps = ctx.attr("epsilon", 1e-5)
    g = ctx.attr("num_groups")
    n, c = x.shape[0], x.shape[1]
    xs = _stash(ctx, x)
    xg = xs.reshape(n, g, -1)
    mu = xg.mean(dim=2, keepdim=True)
    var = ((xg - mu) ** 2).mean(dim=2, keepdim=True)
    y = ((xg - mu) / ember.sqrt(var + eps)).reshape(*x.shape).to(x.dtype)
    if scale.numel() != c:  # opset 18: one scale and bias per group
        scale = ember.repeat_interleave(scale, c // g)
        bias = ember.repeat_interleave(bias, c // g)
    return y * _channel(scale, x.dim()) + _channel(bias, x.dim())


@register("LRN")
def lrn(ctx, x):
    size = ctx.attr("size")
    alpha, beta, bias = ctx.attr("alpha", 1e-4), ctx.attr("beta", 0.75), ctx.attr("bias", 1.0)
    lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
    sq = x * x
    c = x.shape[1]
    pad = [0, 0] * (x.dim() - 2) + [lo, hi]
    sqp = ember.nn.functional.pad(sq, pad)
    total = None
    for i in range(size):
        v = ember.narrow(sqp, 1, i, c)
        total = v if total is None else total + v
    return x / (bias + (alpha / size) * total) ** beta


@register("MeanVarianceNormalization")
def mean_variance_normalization(ctx, x):
    axes = tuple(axis_of(a, x.dim()) for a in (ctx.attr("axes") or [0, 2, 3]))
    mu = x.mean(dim=axes, keepdim=True)
    var = (x * x).mean(dim=axes, keepdim=True) - mu * mu
    return (x - mu) / (ember.sqrt(var) + 1e-9)

