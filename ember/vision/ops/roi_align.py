"""RoI Align (He et al., 2017, Mask R-CNN), torchvision's ``roi_align`` and ``RoIAlign``.

Each region ``(batch_index, x1, y1, x2, y2)`` (in input-image coordinates, scaled by
``spatial_scale`` onto the feature map, shifted by half a pixel when ``aligned``) is divided
into ``output_size`` bins; each bin averages the bilinear samples of a ``g_h x g_w`` grid of
points (``sampling_ratio`` points per side, or ``ceil(roi_size / output_size)`` when it is
<= 0). A sample more than one pixel outside the map counts as 0; one within a pixel of the
border reads the border.

Bilinear sampling is separable: along ``y`` each bin's samples are a fixed weighting of the
feature rows, so the whole region is ``A_y @ features @ A_x^T`` with ``A_y`` of shape
``(pooled_h, H)`` and ``A_x`` of shape ``(pooled_w, W)``, built from the boxes. The output is two
batched matmuls, and its gradient reaches the features through them (the boxes get none, as in
torchvision).

>>> import ember
>>> x = ember.arange(16.0).reshape(1, 1, 4, 4)
>>> roi_align(x, ember.tensor([[0, 0.0, 0.0, 4.0, 4.0]]), output_size=1, aligned=True).item()
7.5
"""
import math

import numpy as np

import ember
from ... import nn


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def convert_boxes_to_roi_format(boxes):
    """A list of per-image ``(L_i, 4)`` boxes as one ``(K, 5)`` tensor ``(image_index, x1, y1, x2, y2)``."""
    concat = ember.cat(list(boxes), dim=0)
    ids = ember.cat([ember.full((len(b), 1), i, dtype=concat.dtype) for i, b in enumerate(boxes)], dim=0)
    return ember.cat([ids, concat], dim=1)


def _axis_weights(start, size, pooled, grid, extent):
    """``(pooled, extent)`` weights: row ``p`` averages the bilinear samples of bin ``p``'s
    ``grid`` points along one axis of length ``extent``."""
    bin_size = size / pooled
    pos = start + np.arange(pooled)[:, None] * bin_size + (np.arange(grid)[None, :] + 0.5) * bin_size / grid
    pos = pos.ravel()
    inside = (pos >= -1.0) & (pos <= extent)
    pos = np.maximum(pos, 0.0)
    low = np.floor(pos).astype(np.int64)
    at_edge = low >= extent - 1
    low = np.where(at_edge, extent - 1, low)
    high = np.where(at_edge, extent - 1, low + 1)
    frac = np.where(at_edge, 0.0, pos - low)
    weights = np.zeros((pooled * grid, extent))
    rows = np.arange(pooled * grid)
    np.add.at(weights, (rows, low), (1.0 - frac) * inside)
    np.add.at(weights, (rows, high), frac * inside)
    return weights.reshape(pooled, grid, extent).sum(axis=1) / grid


def roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """RoI Align of ``input`` (N, C, H, W) over ``boxes`` (a ``(K, 5)`` tensor or a list of
    ``(L_i, 4)`` tensors, one per image), output ``(K, C, output_size[0], output_size[1])``."""
    if input.dim() != 4:
        raise ValueError(f"roi_align: input must be (N, C, H, W), got shape {tuple(input.shape)}")
    rois = boxes if isinstance(boxes, ember.Tensor) else convert_boxes_to_roi_format(boxes)
    if rois.dim() != 2 or rois.shape[1] != 5:
        raise ValueError(f"roi_align: boxes must be a (K, 5) tensor or a list of (L, 4) tensors, "
                         f"got shape {tuple(rois.shape)}")
    pooled_h, pooled_w = _pair(output_size)
    _, channels, height, width = input.shape
    r = rois.detach().numpy().astype(np.float64)
    offset = 0.5 if aligned else 0.0
    ay = np.zeros((len(r), pooled_h, height))
    ax = np.zeros((len(r), pooled_w, width))
    for k, (_, x1, y1, x2, y2) in enumerate(r):
        sx, sy = x1 * spatial_scale - offset, y1 * spatial_scale - offset
        w, h = x2 * spatial_scale - offset - sx, y2 * spatial_scale - offset - sy
        if not aligned:
            w, h = max(w, 1.0), max(h, 1.0)
        gh = sampling_ratio if sampling_ratio > 0 else max(math.ceil(h / pooled_h), 1)
        gw = sampling_ratio if sampling_ratio > 0 else max(math.ceil(w / pooled_w), 1)
        ay[k] = _axis_weights(sy, h, pooled_h, gh, height)
        ax[k] = _axis_weights(sx, w, pooled_w, gw, width)
    if len(r) == 0:
        return input.new_zeros((0, channels, pooled_h, pooled_w))
    feats = input[ember.from_numpy(r[:, 0].astype(np.int64))]
    a_y = ember.from_numpy(ay[:, None]).to(input.dtype)
    a_x = ember.from_numpy(np.ascontiguousarray(ax.transpose(0, 2, 1))[:, None]).to(input.dtype)
    return a_y @ feats @ a_x


class RoIAlign(nn.Module):
    """Module form of :func:`roi_align`."""

    def __init__(self, output_size, spatial_scale, sampling_ratio, aligned=False):
        super().__init__()
        self.output_size, self.spatial_scale = output_size, spatial_scale
        self.sampling_ratio, self.aligned = sampling_ratio, aligned

    def forward(self, input, rois):
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio, self.aligned)

    def __repr__(self):
        return (f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
                f"sampling_ratio={self.sampling_ratio}, aligned={self.aligned})")
