"""How ``export`` writes ember's built-in layers as functional calls (torch.export inlines every module).

ember's layers compute on arrays directly, so an export trace cannot pass proxies through their
``forward``; it keeps them as leaves and rewrites each one as the functional call its ``forward``
makes, with its parameters and buffers read as ``get_attr`` nodes (later lifted to inputs).
Each builder gets ``(graph, module, attr, args, kwargs)``; ``attr("weight")`` is the node of that
attribute, or None when the module has none. A layer missing here stays a ``call_module`` node:
the program runs, but cannot be saved.
"""
import ember
import ember.nn as nn
import ember.nn.functional as F

__all__ = ["MODULES", "builder_for"]


def _x(args, kwargs):
    return args[0] if args else next(iter(kwargs.values()))


def _linear(g, m, attr, args, kwargs):
    return g.call_function(F.linear, (_x(args, kwargs), attr("weight"), attr("bias")))


def _conv(fn):
    def build(g, m, attr, args, kwargs):
        x = _x(args, kwargs)
        if m.padding_mode != "zeros":
            raise NotImplementedError(f"export: {type(m).__name__} with padding_mode={m.padding_mode!r}")
        padding = m.padding if isinstance(m.padding, str) else tuple(m.padding)
        return g.call_function(fn, (x, attr("weight"), attr("bias"), tuple(m.stride), padding, tuple(m.dilation),
                                    m.groups))
    return build


def _unary(fn, *names, **fixed):
    def build(g, m, attr, args, kwargs):
        kw = {n: getattr(m, n) for n in names}
        kw.update(fixed)
        return g.call_function(fn, (_x(args, kwargs),), kw)
    return build


def _softmax(fn):
    def build(g, m, attr, args, kwargs):
        return g.call_function(fn, (_x(args, kwargs),), {"dim": m.dim})
    return build


def _dropout(g, m, attr, args, kwargs):
    return g.call_function(F.dropout, (_x(args, kwargs),), {"p": m.p, "training": m.training})


def _identity(g, m, attr, args, kwargs):
    return _x(args, kwargs)


def _flatten(g, m, attr, args, kwargs):
    return g.call_function(ember.flatten, (_x(args, kwargs), m.start_dim, m.end_dim))


def _layer_norm(g, m, attr, args, kwargs):
    return g.call_function(F.layer_norm, (_x(args, kwargs), tuple(m.normalized_shape), attr("weight"), attr("bias"),
                                          m.eps))


def _group_norm(g, m, attr, args, kwargs):
    return g.call_function(F.group_norm, (_x(args, kwargs), m.num_groups, attr("weight"), attr("bias"), m.eps))


def _batch_norm(g, m, attr, args, kwargs):
    # As BatchNorm's forward: batch statistics in training (or without running stats), running ones in eval.
    training = m.training or not m.track_running_stats
    momentum = 0.0 if m.momentum is None else m.momentum
    if m.training and m.track_running_stats:
        tracked = attr("num_batches_tracked")
        if tracked is not None:
            g.call_method("add_", (tracked, 1))
            if m.momentum is None:
                raise NotImplementedError("export: BatchNorm with momentum=None (cumulative average) in training")
    return g.call_function(F.batch_norm, (_x(args, kwargs), attr("running_mean"), attr("running_var"), attr("weight"),
                                          attr("bias"), training, momentum, m.eps))


def _embedding(g, m, attr, args, kwargs):
    return g.call_function(F.embedding, (_x(args, kwargs), attr("weight"), m.padding_idx, m.max_norm, m.norm_type,
                                         m.scale_grad_by_freq, m.sparse))


def _pool(fn, *names):
    def build(g, m, attr, args, kwargs):
        return g.call_function(fn, (_x(args, kwargs),), {n: getattr(m, n) for n in names})
    return build


MODULES = {
    nn.Linear: _linear,
    nn.Conv1d: _conv(F.conv1d), nn.Conv2d: _conv(F.conv2d), nn.Conv3d: _conv(F.conv3d),
    nn.ReLU: _unary(F.relu), nn.ReLU6: _unary(F.relu6), nn.SiLU: _unary(F.silu), nn.Sigmoid: _unary(ember.sigmoid),
    nn.Tanh: _unary(ember.tanh), nn.GELU: _unary(F.gelu, "approximate"), nn.Mish: _unary(F.mish),
    nn.Hardswish: _unary(F.hardswish), nn.Softplus: _unary(F.softplus, "beta", "threshold"),
    nn.LeakyReLU: _unary(F.leaky_relu, "negative_slope"), nn.ELU: _unary(F.elu, "alpha"),
    nn.Hardtanh: _unary(F.hardtanh, "min_val", "max_val"),
    nn.Softmax: _softmax(F.softmax), nn.LogSoftmax: _softmax(F.log_softmax),
    nn.Dropout: _dropout, nn.Identity: _identity, nn.Flatten: _flatten,
    nn.LayerNorm: _layer_norm, nn.GroupNorm: _group_norm,
    nn.BatchNorm1d: _batch_norm, nn.BatchNorm2d: _batch_norm, nn.BatchNorm3d: _batch_norm,
    nn.Embedding: _embedding,
    nn.MaxPool1d: _pool(F.max_pool1d, "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                        "return_indices"),
    nn.MaxPool2d: _pool(F.max_pool2d, "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                        "return_indices"),
    nn.AvgPool1d: _pool(F.avg_pool1d, "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    nn.AvgPool2d: _pool(F.avg_pool2d, "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                        "divisor_override"),
    nn.AdaptiveAvgPool1d: _pool(F.adaptive_avg_pool1d, "output_size"),
    nn.AdaptiveAvgPool2d: _pool(F.adaptive_avg_pool2d, "output_size"),
}


def builder_for(m):
    """The builder for ``m``: its class's, or that of the built-in layer whose ``forward`` it inherits."""
    for cls in type(m).__mro__:
        b = MODULES.get(cls)
        if b is not None:
            return b if type(m).forward is cls.forward else None
    return None
