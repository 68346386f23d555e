"""Feature Pyramid Network (Lin et al., 2017), torchvision's ``FeaturePyramidNetwork`` with its
extra blocks ``LastLevelMaxPool`` and ``LastLevelP6P7``.

From an ordered dict of feature maps, finest first, each map gets a 1x1 lateral convolution to
``out_channels``; from the coarsest down, the running top-down map is upsampled (nearest) to the
next finer map's size and added to its lateral, and every sum passes a 3x3 convolution. The
output is an ordered dict with the input's keys (plus the extra blocks' levels). Convolutions are
initialized with kaiming_uniform_(a=1) and zero bias; state_dict keys match torchvision's
(``inner_blocks.0.0.weight``, ``layer_blocks.0.0.weight``).

>>> import ember
>>> fpn = FeaturePyramidNetwork([4, 8], 6, extra_blocks=LastLevelMaxPool())
>>> out = fpn({"c2": ember.zeros(1, 4, 8, 8), "c3": ember.zeros(1, 8, 4, 4)})
>>> [(k, tuple(v.shape)) for k, v in out.items()]
[('c2', (1, 6, 8, 8)), ('c3', (1, 6, 4, 4)), ('pool', (1, 6, 2, 2))]
"""
from collections import OrderedDict

from ... import nn
from ...nn import functional as F
from .misc import Conv2dNormActivation


class ExtraFPNBlock(nn.Module):
    """Base of the blocks that add levels after the FPN: ``forward(results, x, names)`` returns
    the extended ``(results, names)``."""

    def forward(self, results, x, names):
        raise NotImplementedError


class LastLevelMaxPool(ExtraFPNBlock):
    """One more level, ``"pool"``: the coarsest output subsampled by a stride-2 1x1 max pool."""

    def forward(self, x, y, names):
        names.append("pool")
        x.append(F.max_pool2d(x[-1], kernel_size=1, stride=2, padding=0))
        return x, names


class LastLevelP6P7(ExtraFPNBlock):
    """Two more levels, ``"p6"`` and ``"p7"`` (RetinaNet): stride-2 3x3 convolutions, the first
    from the coarsest input (or output, when ``in_channels == out_channels``), the second after a
    ReLU."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        for module in (self.p6, self.p7):
            nn.init.kaiming_uniform_(module.weight, a=1)
            nn.init.constant_(module.bias, 0)
        self.use_P5 = in_channels == out_channels

    def forward(self, p, c, names):
        p5, c5 = p[-1], c[-1]
        p6 = self.p6(p5 if self.use_P5 else c5)
        p7 = self.p7(F.relu(p6))
        p.extend([p6, p7])
        return p, names + ["p6", "p7"]


class FeaturePyramidNetwork(nn.Module):
    def __init__(self, in_channels_list, out_channels, extra_blocks=None, norm_layer=None):
        super().__init__()
        self.inner_blocks = nn.ModuleList()
        self.layer_blocks = nn.ModuleList()
        for in_channels in in_channels_list:
            if in_channels == 0:
                raise ValueError("FeaturePyramidNetwork: in_channels=0 is currently not supported")
            self.inner_blocks.append(Conv2dNormActivation(in_channels, out_channels, kernel_size=1, padding=0,
                                                          norm_layer=norm_layer, activation_layer=None))
            self.layer_blocks.append(Conv2dNormActivation(out_channels, out_channels, kernel_size=3,
                                                          norm_layer=norm_layer, activation_layer=None))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
        if extra_blocks is not None and not isinstance(extra_blocks, ExtraFPNBlock):
            raise TypeError(f"FeaturePyramidNetwork: extra_blocks should be of type ExtraFPNBlock not "
                            f"{type(extra_blocks).__name__}")
        self.extra_blocks = extra_blocks

    def forward(self, x):
        names = list(x.keys())
        x = list(x.values())
        if len(x) != len(self.inner_blocks):
            raise ValueError(f"FeaturePyramidNetwork: got {len(x)} feature maps for {len(self.inner_blocks)} "
                             f"in_channels")
        last_inner = self.inner_blocks[-1](x[-1])
        results = [self.layer_blocks[-1](last_inner)]
        for idx in range(len(x) - 2, -1, -1):
            inner_lateral = self.inner_blocks[idx](x[idx])
            top_down = F.interpolate(last_inner, size=tuple(inner_lateral.shape[-2:]), mode="nearest")
            last_inner = inner_lateral + top_down
            results.insert(0, self.layer_blocks[idx](last_inner))
        if self.extra_blocks is not None:
            results, names = self.extra_blocks(results, x, names)
        return OrderedDict(zip(names, results))
