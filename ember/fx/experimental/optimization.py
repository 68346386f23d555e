"""``fuse``: fold each BatchNorm that follows a Conv / Linear into it, by graph edit, as
``torch.fx.experimental.optimization.fuse``.

For an eval-mode pair ``bn(conv(x))`` with ``s = gamma / sqrt(running_var + eps)``::

    W' = W * s (per output channel)        b' = (b - running_mean) * s + beta

so the fused layer alone gives the pair's output. The graph's ``bn`` node is removed and its
users read the fused layer's node. Only a Conv / Linear whose output feeds nothing but the
BatchNorm, and a BatchNorm that tracks running statistics, is fused.

>>> import ember, ember.nn as nn
>>> m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).eval()
>>> fused = fuse(m)
>>> [n.op for n in fused.graph.nodes], type(fused.get_submodule("0")).__name__
(['placeholder', 'call_module', 'output'], 'Conv2d')
"""
import copy

import ember.nn as nn
from ember.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

from .. import GraphModule, symbolic_trace

__all__ = ["fuse", "matches_module_pattern", "replace_node_module"]


def _parent_name(target):
    *parent, name = target.rsplit(".", 1)
    return parent[0] if parent else "", name


def matches_module_pattern(pattern, node, modules):
    """Whether ``node`` calls a ``pattern[1]`` module on the output of a ``pattern[0]`` module call."""
    if len(node.args) == 0:
        return False
    for expected_type, current in zip(pattern, (node.args[0], node)):
        if not hasattr(current, "op") or current.op != "call_module" or not isinstance(current.target, str) \
                or current.target not in modules or type(modules[current.target]) is not expected_type:
            return False
    return True


def replace_node_module(node, modules, new_module):
    """Install ``new_module`` at ``node``'s target."""
    parent, name = _parent_name(node.target)
    modules[node.target] = new_module
    setattr(modules[parent], name, new_module)


def fuse(model, inplace=False, no_trace=False):
    """``model`` traced, with each Conv/Linear + BatchNorm pair fused (see the module doc)."""
    patterns = [(nn.Conv1d, nn.BatchNorm1d), (nn.Conv2d, nn.BatchNorm2d), (nn.Conv3d, nn.BatchNorm3d),
                (nn.Linear, nn.BatchNorm1d)]
    if not inplace:
        model = copy.deepcopy(model)
    fx_model = model if no_trace and isinstance(model, GraphModule) else symbolic_trace(model)
    modules = dict(fx_model.named_modules())
    new_graph = copy.deepcopy(fx_model.graph)
    for pattern in patterns:
        for node in new_graph.nodes:
            if not matches_module_pattern(pattern, node, modules) or len(node.args[0].users) > 1:
                continue
            first, bn = modules[node.args[0].target], modules[node.target]
            if not bn.track_running_stats:
                continue
            fused = fuse_linear_bn_eval(first, bn) if pattern[0] is nn.Linear else fuse_conv_bn_eval(first, bn)
            replace_node_module(node.args[0], modules, fused)
            node.replace_all_uses_with(node.args[0])
            new_graph.erase_node(node)
    return GraphModule(fx_model, new_graph)
