"""``AnchorGenerator`` and ``DefaultBoxGenerator`` (torchvision.models.detection.anchor_utils):
the reference boxes of the region proposal network and of SSD.

Feature map ``i`` gets ``len(sizes[i]) * len(aspect_ratios[i])`` anchors per location. For a size
``s`` and an aspect ratio ``a = h / w`` the anchor centred at 0 is ``round((-w/2, -h/2, w/2, h/2))``
with ``h = s sqrt(a)`` and ``w = s / sqrt(a)``; it is repeated at every location ``(x, y) * stride``
of the map, the stride being ``image size // map size``. ``forward`` returns, per image, all maps'
anchors concatenated: location-major, then anchor.

>>> import ember
>>> from ember.vision.models.detection.image_list import ImageList
>>> gen = AnchorGenerator(sizes=((8,),), aspect_ratios=((1.0,),))
>>> anchors = gen(ImageList(ember.zeros(1, 3, 16, 16), [(16, 16)]), [ember.zeros(1, 4, 2, 2)])
>>> anchors[0].tolist()
[[-4.0, -4.0, 4.0, 4.0], [4.0, -4.0, 12.0, 4.0], [-4.0, 4.0, 4.0, 12.0], [4.0, 4.0, 12.0, 12.0]]
"""
import math

import ember
from .... import nn


class AnchorGenerator(nn.Module):
    def __init__(self, sizes=((128, 256, 512),), aspect_ratios=((0.5, 1.0, 2.0),)):
        super().__init__()
        if not isinstance(sizes[0], (list, tuple)):
            sizes = tuple((s,) for s in sizes)
        if not isinstance(aspect_ratios[0], (list, tuple)):
            aspect_ratios = (aspect_ratios,) * len(sizes)
        self.sizes = sizes
        self.aspect_ratios = aspect_ratios
        self.cell_anchors = [self.generate_anchors(size, ratio) for size, ratio in zip(sizes, aspect_ratios)]

    def generate_anchors(self, scales, aspect_ratios, dtype=ember.float32, device=None):
        """The zero-centred anchors of every (aspect ratio, scale) pair, ratio-major, rounded."""
        scales = ember.as_tensor(scales, dtype=dtype)
        aspect_ratios = ember.as_tensor(aspect_ratios, dtype=dtype)
        h_ratios = ember.sqrt(aspect_ratios)
        w_ratios = 1 / h_ratios
        ws = (w_ratios[:, None] * scales[None, :]).reshape(-1)
        hs = (h_ratios[:, None] * scales[None, :]).reshape(-1)
        return (ember.stack([-ws, -hs, ws, hs], dim=1) / 2).round()

    def set_cell_anchors(self, dtype, device=None):
        self.cell_anchors = [a.to(dtype=dtype) for a in self.cell_anchors]

    def num_anchors_per_location(self):
        return [len(s) * len(a) for s, a in zip(self.sizes, self.aspect_ratios)]

    def grid_anchors(self, grid_sizes, strides):
        if not len(grid_sizes) == len(strides) == len(self.cell_anchors):
            raise ValueError(f"AnchorGenerator: got {len(grid_sizes)} feature maps for {len(self.cell_anchors)} "
                             f"anchor sizes / aspect ratios. Anchors should be Tuple[Tuple[int]] because each "
                             f"feature map could potentially have different sizes and aspect ratios.")
        anchors = []
        for (grid_h, grid_w), (stride_h, stride_w), base in zip(grid_sizes, strides, self.cell_anchors):
            shifts_x = ember.arange(0, grid_w, dtype=ember.int32) * stride_w
            shifts_y = ember.arange(0, grid_h, dtype=ember.int32) * stride_h
            shift_y, shift_x = ember.meshgrid(shifts_y, shifts_x, indexing="ij")
            shift_x, shift_y = shift_x.reshape(-1), shift_y.reshape(-1)
            shifts = ember.stack((shift_x, shift_y, shift_x, shift_y), dim=1)
            anchors.append((shifts.reshape(-1, 1, 4) + base.reshape(1, -1, 4)).reshape(-1, 4))
        return anchors

    def forward(self, image_list, feature_maps):
        grid_sizes = [tuple(f.shape[-2:]) for f in feature_maps]
        image_size = image_list.tensors.shape[-2:]
        strides = [(image_size[0] // g[0], image_size[1] // g[1]) for g in grid_sizes]
        self.set_cell_anchors(feature_maps[0].dtype)
        over_maps = self.grid_anchors(grid_sizes, strides)
        return [ember.cat(over_maps) for _ in range(len(image_list.image_sizes))]


class DefaultBoxGenerator(nn.Module):
    """SSD's default boxes (Liu et al., 2016, page 6). Feature map ``k`` has the scales
    ``s_k`` (``scales``, or ``min_ratio .. max_ratio`` evenly spaced, then 1) and for each location
    the boxes ``(s_k, s_k)``, ``(s', s')`` with ``s' = sqrt(s_k s_k+1)`` and ``(s_k sqrt(r), s_k /
    sqrt(r))`` plus its transpose for every ratio ``r`` of ``aspect_ratios[k]``, in units of the
    image size (clamped to [0, 1] when ``clip``). The centres are ``(i + 0.5) / f_k`` with ``f_k``
    the map size, or ``image size / steps[k]``. As torchvision, the centres and sizes are float32
    numbers whatever the features' dtype."""

    def __init__(self, aspect_ratios, min_ratio=0.15, max_ratio=0.9, scales=None, steps=None, clip=True):
        super().__init__()
        if steps is not None and len(aspect_ratios) != len(steps):
            raise ValueError("aspect_ratios and steps should have the same length")
        self.aspect_ratios = aspect_ratios
        self.steps = steps
        self.clip = clip
        num_outputs = len(aspect_ratios)
        if scales is not None:
            self.scales = scales
        elif num_outputs > 1:
            self.scales = [min_ratio + (max_ratio - min_ratio) * k / (num_outputs - 1.0) for k in range(num_outputs)]
            self.scales.append(1.0)
        else:
            self.scales = [min_ratio, max_ratio]
        self._wh_pairs = self._generate_wh_pairs(num_outputs)

    def _generate_wh_pairs(self, num_outputs, dtype=ember.float32, device=None):
        pairs = []
        for k in range(num_outputs):
            s_k = self.scales[k]
            s_prime = math.sqrt(s_k * self.scales[k + 1])
            wh = [[s_k, s_k], [s_prime, s_prime]]
            for ar in self.aspect_ratios[k]:
                w, h = s_k * math.sqrt(ar), s_k / math.sqrt(ar)
                wh += [[w, h], [h, w]]
            pairs.append(ember.as_tensor(wh, dtype=dtype))
        return pairs

    def num_anchors_per_location(self):
        return [2 + 2 * len(r) for r in self.aspect_ratios]

    def _grid_default_boxes(self, grid_sizes, image_size, dtype=ember.float32):
        """All maps' boxes as ``(cx, cy, w, h)`` fractions of the image: location-major, then box."""
        boxes = []
        for k, (f_h, f_w) in enumerate(grid_sizes):
            if self.steps is not None:
                y_f, x_f = image_size[0] / self.steps[k], image_size[1] / self.steps[k]
            else:
                y_f, x_f = f_h, f_w
            cx = ((ember.arange(0, f_w) + 0.5) / x_f).to(dtype=dtype)
            cy = ((ember.arange(0, f_h) + 0.5) / y_f).to(dtype=dtype)
            cy, cx = ember.meshgrid(cy, cx, indexing="ij")
            wh = self._wh_pairs[k]
            centres = ember.stack((cx.reshape(-1), cy.reshape(-1)) * len(wh), dim=-1).reshape(-1, 2)
            if self.clip:
                wh = wh.clamp(min=0, max=1)
            boxes.append(ember.cat((centres, wh.repeat(f_h * f_w, 1)), dim=1))
        return ember.cat(boxes, dim=0)

    def __repr__(self):
        return (f"{self.__class__.__name__}(aspect_ratios={self.aspect_ratios}, clip={self.clip}, "
                f"scales={self.scales}, steps={self.steps})")

    def forward(self, image_list, feature_maps):
        """Per image, the default boxes in ``(x1, y1, x2, y2)`` pixels of the batched images."""
        grid_sizes = [tuple(f.shape[-2:]) for f in feature_maps]
        image_size = tuple(image_list.tensors.shape[-2:])
        boxes = self._grid_default_boxes(grid_sizes, image_size, dtype=feature_maps[0].dtype)
        x_y_size = ember.tensor([image_size[1], image_size[0]])
        xyxy = ember.cat([(boxes[:, :2] - 0.5 * boxes[:, 2:]) * x_y_size,
                          (boxes[:, :2] + 0.5 * boxes[:, 2:]) * x_y_size], -1)
        return [xyxy for _ in image_list.image_sizes]
