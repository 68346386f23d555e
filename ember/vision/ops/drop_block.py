"""DropBlock (Ghiasi et al., 2018), torchvision's ``drop_block2d`` / ``drop_block3d`` and the
``DropBlock2d`` / ``DropBlock3d`` modules: dropout of contiguous square (cubic) regions.

Block centres are drawn with probability ``gamma = p * prod(S) / (block_size^d * prod(S - block_size + 1))``
over the positions where a whole block fits (``S`` the spatial sizes, ``d`` their number), each
centre is grown to a ``block_size`` block (zero-padded max pooling), and the kept activations are
scaled by ``numel / (eps + number kept)`` so the expected sum is unchanged. Identity when not
training or when ``p == 0``.

>>> import ember
>>> drop_block2d(ember.ones(1, 1, 4, 4), 0.5, 3, training=False).sum().item()
16.0
"""
from ... import nn
from ...nn import functional as F


def _drop_block(name, input, p, block_size, inplace, eps, training, dims):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"{name}: drop probability has to be between 0 and 1, but got {p}")
    if input.dim() != dims + 2:
        raise ValueError(f"{name}: input should be {dims + 2} dimensional. Got {input.dim()} dimensions.")
    if not training or p == 0.0:
        return input
    spatial = list(input.shape[2:])
    block_size = min([block_size] + spatial)
    fits = [s - block_size + 1 for s in spatial]
    total, room = 1, 1
    for s, f in zip(spatial, fits):
        total, room = total * s, room * f
    gamma = (p * total) / ((block_size ** dims) * room)
    noise = input.new_empty(tuple(input.shape[:2]) + tuple(fits)).bernoulli_(gamma)
    noise = F.pad(noise, [block_size // 2] * (2 * dims), value=0)
    pool = F.max_pool2d if dims == 2 else F.max_pool3d
    noise = pool(noise, stride=(1,) * dims, kernel_size=(block_size,) * dims, padding=block_size // 2)
    noise = 1 - noise
    normalize_scale = noise.numel() / (eps + noise.sum())
    if inplace:
        return input.mul_(noise).mul_(normalize_scale)
    return input * noise * normalize_scale


def drop_block2d(input, p, block_size, inplace=False, eps=1e-06, training=True):
    """DropBlock over the last two dims of an ``(N, C, H, W)`` input."""
    return _drop_block("drop_block2d", input, p, block_size, inplace, eps, training, 2)


def drop_block3d(input, p, block_size, inplace=False, eps=1e-06, training=True):
    """DropBlock over the last three dims of an ``(N, C, D, H, W)`` input."""
    return _drop_block("drop_block3d", input, p, block_size, inplace, eps, training, 3)


class DropBlock2d(nn.Module):
    """Module form of :func:`drop_block2d` (active in training mode)."""

    def __init__(self, p, block_size, inplace=False, eps=1e-06):
        super().__init__()
        self.p, self.block_size, self.inplace, self.eps = p, block_size, inplace, eps

    def forward(self, input):
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps, self.training)

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p}, block_size={self.block_size}, inplace={self.inplace})"


class DropBlock3d(DropBlock2d):
    """Module form of :func:`drop_block3d` (active in training mode)."""

    def forward(self, input):
        return drop_block3d(input, self.p, self.block_size, self.inplace, self.eps, self.training)
