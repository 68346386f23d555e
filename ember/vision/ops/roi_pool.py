"""RoI max pooling (Girshick, 2015, Fast R-CNN), torchvision's ``roi_pool`` and ``RoIPool``.

Each region ``(batch_index, x1, y1, x2, y2)`` is scaled by ``spatial_scale`` and rounded to
whole pixels (half away from zero), both corners inclusive, then split into ``output_size``
bins with floor/ceil edges; each bin takes the maximum of its pixels (0 for a bin that falls
outside the map). The gradient goes to the first maximal pixel of each bin.

>>> import ember
>>> x = ember.arange(16.0).reshape(1, 1, 4, 4)
>>> roi_pool(x, ember.tensor([[0, 0.0, 0.0, 3.0, 3.0]]), output_size=2).flatten().tolist()
[5.0, 7.0, 13.0, 15.0]
"""
import math

import numpy as np

import ember
from ... import nn
from .roi_align import _pair, convert_boxes_to_roi_format


def _round_half_away(v):
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def _bin_masks(start, size, pooled, extent):
    # (pooled, extent): which pixels of one axis each bin covers, and whether the bin is empty.
    bin_size = size / pooled
    lo = np.clip(np.floor(np.arange(pooled) * bin_size).astype(np.int64) + start, 0, extent)
    hi = np.clip(np.ceil(np.arange(1, pooled + 1) * bin_size).astype(np.int64) + start, 0, extent)
    pix = np.arange(extent)
    return (pix >= lo[:, None]) & (pix < hi[:, None]), hi <= lo


def roi_pool(input, boxes, output_size, spatial_scale=1.0):
    """RoI max pooling of ``input`` (N, C, H, W) over ``boxes`` (a ``(K, 5)`` tensor or a list of
    ``(L_i, 4)`` tensors), output ``(K, C, output_size[0], output_size[1])``."""
    if input.dim() != 4:
        raise ValueError(f"roi_pool: input must be (N, C, H, W), got shape {tuple(input.shape)}")
    rois = boxes if isinstance(boxes, ember.Tensor) else convert_boxes_to_roi_format(boxes)
    if rois.dim() != 2 or rois.shape[1] != 5:
        raise ValueError(f"roi_pool: boxes must be a (K, 5) tensor or a list of (L, 4) tensors, "
                         f"got shape {tuple(rois.shape)}")
    pooled_h, pooled_w = _pair(output_size)
    _, channels, height, width = input.shape
    if rois.shape[0] == 0:
        return input.new_zeros((0, channels, pooled_h, pooled_w))
    r = rois.detach().numpy().astype(np.float64)
    masks, empty = [], []
    for b, x1, y1, x2, y2 in r:
        sx, sy = _round_half_away(x1 * spatial_scale), _round_half_away(y1 * spatial_scale)
        w = max(_round_half_away(x2 * spatial_scale) - sx + 1, 1)
        h = max(_round_half_away(y2 * spatial_scale) - sy + 1, 1)
        my, ey = _bin_masks(sy, h, pooled_h, height)
        mx, ex = _bin_masks(sx, w, pooled_w, width)
        masks.append(my[:, None, :, None] & mx[None, :, None, :])   # (PH, PW, H, W)
        empty.append(ey[:, None] | ex[None, :])
    mask = ember.from_numpy(np.stack(masks)[:, None])   # (K, 1, PH, PW, H, W)
    feats = input[ember.from_numpy(r[:, 0].astype(np.int64))][:, :, None, None]   # (K, C, 1, 1, H, W)
    masked = ember.where(mask, feats, ember.full((), float("-inf"), dtype=input.dtype)).flatten(-2)
    first_max = masked.argmax(dim=-1, keepdim=True)
    pooled = feats.expand(-1, -1, pooled_h, pooled_w, -1, -1).flatten(-2).gather(-1, first_max).squeeze(-1)
    return ember.where(ember.from_numpy(np.stack(empty)[:, None]), ember.zeros((), dtype=input.dtype), pooled)


class RoIPool(nn.Module):
    """Module form of :func:`roi_pool`."""

    def __init__(self, output_size, spatial_scale):
        super().__init__()
        self.output_size, self.spatial_scale = output_size, spatial_scale

    def forward(self, input, rois):
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self):
        return f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale})"
