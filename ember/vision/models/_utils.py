"""Small helpers shared by the model builders, and ``IntermediateLayerGetter`` (torchvision's
``models._utils``), which returns a model's intermediate outputs.

>>> import ember
>>> from ember import nn
>>> net = nn.Sequential(OrderedDict(conv=nn.Conv2d(1, 2, 3), relu=nn.ReLU(), head=nn.Flatten()))
>>> {k: tuple(v.shape) for k, v in IntermediateLayerGetter(net, {"relu": "feat"})(ember.zeros(1, 1, 5, 5)).items()}
{'feat': (1, 2, 3, 3)}
"""
from collections import OrderedDict

from ... import nn


def make_divisible(v, divisor, min_value=None):
    """Round a channel count to a multiple of ``divisor`` without losing more than 10% of it
    (MobileNet's rule, so every layer width suits vectorised kernels)."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class IntermediateLayerGetter(nn.ModuleDict):
    """The children of ``model`` up to the last one named in ``return_layers`` (``{child name:
    output name}``), run in order; ``forward`` returns an ordered dict of the named children's
    outputs. Only direct children can be named, and they must run in registration order (as in
    a ResNet), since the model's own ``forward`` is not used."""

    def __init__(self, model, return_layers):
        children = [name for name, _ in model.named_children()]
        if not set(return_layers).issubset(children):
            missing = sorted(set(return_layers) - set(children))
            raise ValueError(f"IntermediateLayerGetter: return_layers {missing} are not children of the model "
                             f"(children: {children})")
        orig_return_layers = return_layers
        return_layers = {str(k): str(v) for k, v in return_layers.items()}
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            return_layers.pop(name, None)
            if not return_layers:
                break
        super().__init__(layers)
        self.return_layers = {str(k): str(v) for k, v in orig_return_layers.items()}

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out
