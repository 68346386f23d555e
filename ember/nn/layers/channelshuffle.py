"""``ChannelShuffle``: interleave channel groups (ShuffleNet), over :func:`ember.nn.functional.channel_shuffle`.

>>> import ember
>>> from ember import nn
>>> nn.ChannelShuffle(2)
ChannelShuffle(groups=2)
"""
from ...functional.shuffle import channel_shuffle
from ..module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Split the channels of ``(N, C, *)`` into ``groups`` and interleave them (output shape = input shape)."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
