"""``AnchorGenerator`` (torchvision.models.detection.anchor_utils): the reference boxes of the
region proposal network.

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
