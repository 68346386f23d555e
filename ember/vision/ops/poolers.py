"""``MultiScaleRoIAlign`` (torchvision.ops.poolers): RoI Align over a feature pyramid, each box
pooled from the level that suits its size (Lin et al., 2017, FPN, eq. 1).

The level of each feature map is its scale against the largest image, rounded to a power of two
(``scale = 2^round(log2(feature side / image side))``); a box of area ``A`` goes to level
``floor(canonical_level + log2(sqrt(A) / canonical_scale) + 1e-6)``, clamped to the pyramid's
levels, and is pooled by ``roi_align(..., spatial_scale=scale, aligned=False)`` there.

>>> import ember
>>> pool = MultiScaleRoIAlign(["p2", "p3"], output_size=2, sampling_ratio=2)
>>> feats = {"p2": ember.zeros(1, 4, 16, 16), "p3": ember.zeros(1, 4, 8, 8)}
>>> pool(feats, [ember.tensor([[0.0, 0.0, 8.0, 8.0], [0.0, 0.0, 60.0, 60.0]])], [(64, 64)]).shape
ember.Size([2, 4, 2, 2])
"""
import math

import numpy as np

import ember
from ... import nn
from .boxes import box_area
from .roi_align import _pair, convert_boxes_to_roi_format, roi_align


def _infer_scale(feature, original_size):
    scales = [2.0 ** round(math.log2(float(s1) / float(s2))) for s1, s2 in zip(feature.shape[-2:], original_size)]
    return scales[0]


class LevelMapper:
    """Maps boxes to pyramid levels ``k_min..k_max`` (returned as ``0..k_max-k_min``)."""

    def __init__(self, k_min, k_max, canonical_scale=224, canonical_level=4, eps=1e-6):
        self.k_min, self.k_max = k_min, k_max
        self.s0, self.lvl0, self.eps = canonical_scale, canonical_level, eps

    def __call__(self, boxlists):
        # in the boxes' own precision, as torchvision computes it
        s = np.sqrt(np.concatenate([box_area(b).detach().numpy() for b in boxlists]))
        levels = np.floor(self.lvl0 + np.log2(s / s.dtype.type(self.s0)) + s.dtype.type(self.eps))
        levels = np.clip(levels, self.k_min, self.k_max)
        return (levels - self.k_min).astype(np.int64)


class MultiScaleRoIAlign(nn.Module):
    """RoI Align of ``boxes`` (one ``(L_i, 4)`` tensor per image) from the feature maps named
    ``featmap_names`` of the dict ``x``; ``image_shapes`` are the images' ``(height, width)``."""

    def __init__(self, featmap_names, output_size, sampling_ratio, *, canonical_scale=224, canonical_level=4):
        super().__init__()
        self.featmap_names = list(featmap_names)
        self.sampling_ratio = sampling_ratio
        self.output_size = _pair(output_size)
        self.canonical_scale, self.canonical_level = canonical_scale, canonical_level
        self.scales, self.map_levels = None, None

    def _setup_scales(self, features, image_shapes):
        if not image_shapes:
            raise ValueError("MultiScaleRoIAlign: image_shapes list should not be empty")
        original = (max(s[0] for s in image_shapes), max(s[1] for s in image_shapes))
        scales = [_infer_scale(f, original) for f in features]
        lvl_min, lvl_max = -math.log2(scales[0]), -math.log2(scales[-1])
        return scales, LevelMapper(int(lvl_min), int(lvl_max), self.canonical_scale, self.canonical_level)

    def forward(self, x, boxes, image_shapes):
        # the maps of x named in featmap_names, in x's order (a missing name is skipped, as torchvision does)
        features = [v for k, v in x.items() if k in self.featmap_names]
        self.scales, self.map_levels = self._setup_scales(features, image_shapes)
        rois = convert_boxes_to_roi_format(boxes)
        if len(features) == 1:
            return roi_align(features[0], rois, self.output_size, spatial_scale=self.scales[0],
                             sampling_ratio=self.sampling_ratio)
        levels = self.map_levels(boxes)
        pieces, order = [], []
        for level, (feature, scale) in enumerate(zip(features, self.scales)):
            idx = np.nonzero(levels == level)[0]
            if len(idx):
                pieces.append(roi_align(feature, rois[ember.from_numpy(idx)], self.output_size, spatial_scale=scale,
                                        sampling_ratio=self.sampling_ratio))
                order.append(idx)
        if not pieces:
            return features[0].new_zeros((0, features[0].shape[1]) + self.output_size)
        # back to the boxes' order: the inverse of the level-sorted permutation
        return ember.cat(pieces)[ember.from_numpy(np.argsort(np.concatenate(order), kind="stable"))]

    def __repr__(self):
        return (f"{self.__class__.__name__}(featmap_names={self.featmap_names}, output_size={self.output_size}, "
                f"sampling_ratio={self.sampling_ratio})")
