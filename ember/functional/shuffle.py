"""``channel_shuffle`` (ShuffleNet's channel interleaving) and ``native_channel_shuffle``.

>>> import ember
>>> import ember.nn.functional as F
>>> F.channel_shuffle(ember.arange(6.0).reshape(1, 6, 1, 1), 2).flatten().tolist()
[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
"""
from ..autograd.ops import reshape, transpose

__all__ = ["channel_shuffle", "native_channel_shuffle"]


def channel_shuffle(input, groups):
    """Split the ``C`` channels of ``(N, C, *)`` into ``groups`` and interleave them:
    ``(N, g, C/g, *) -> (N, C/g, g, *) -> (N, C, *)``."""
    shape = tuple(input._data.shape)
    if len(shape) < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"sizes {list(shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    N, C = shape[:2]
    if C % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {C} channels and {groups} groups.")
    y = reshape(input, (N, groups, C // groups) + shape[2:])
    return reshape(transpose(y, 1, 2), shape)


def native_channel_shuffle(input, groups):
    """The same as :func:`channel_shuffle` (PyTorch's native kernel of it)."""
    return channel_shuffle(input, groups)
