"""``GeneralizedRCNNTransform`` (torchvision.models.detection.transform): what R-CNN models do to
their input images and targets before the backbone, and to their detections after.

Each image is normalised ``(x - mean) / std`` and resized bilinearly (``align_corners=False``) by
``scale = min(min_size / min(h, w), max_size / max(h, w))`` to ``floor(h * scale) x floor(w *
scale)``, the interpolation's coordinate scale recomputed from those sizes (torchvision's
``recompute_scale_factor=True``); target boxes are scaled by the float32 ratios new / old size
and target masks resized with nearest. The images are zero-padded at the bottom and right to a
common size rounded up to ``size_divisible`` and stacked into an ``ImageList``. ``postprocess``
maps detection boxes back to the original image sizes and pastes the masks into them.

>>> import ember
>>> t = GeneralizedRCNNTransform(64, 80, [0.5] * 3, [0.25] * 3).eval()
>>> images, _ = t([ember.zeros(3, 50, 60), ember.zeros(3, 40, 40)])
>>> tuple(images.tensors.shape), images.image_sizes
((2, 3, 64, 96), [(64, 76), (64, 64)])
"""
import math

import ember
from .... import nn
from ....nn import functional as F
from .image_list import ImageList
from .roi_heads import paste_masks_in_image


def _resize_image_and_masks(image, self_min_size, self_max_size, target=None, fixed_size=None):
    im_shape = image.shape[-2:]
    size, scale_factor, recompute = None, None, None
    if fixed_size is not None:
        size = [fixed_size[1], fixed_size[0]]
    else:
        scale_factor = min(self_min_size / min(im_shape), self_max_size / max(im_shape))
        recompute = True
    image = F.interpolate(image[None], size=size, scale_factor=scale_factor, mode="bilinear",
                          recompute_scale_factor=recompute, align_corners=False)[0]
    if target is None:
        return image, target
    if "masks" in target:
        mask = F.interpolate(target["masks"][:, None].float(), size=size, scale_factor=scale_factor,
                             recompute_scale_factor=recompute)[:, 0].byte()
        target["masks"] = mask
    return image, target


class GeneralizedRCNNTransform(nn.Module):
    def __init__(self, min_size, max_size, image_mean, image_std, size_divisible=32, fixed_size=None, **kwargs):
        super().__init__()
        if not isinstance(min_size, (list, tuple)):
            min_size = (min_size,)
        self.min_size = min_size
        self.max_size = max_size
        self.image_mean = image_mean
        self.image_std = image_std
        self.size_divisible = size_divisible
        self.fixed_size = fixed_size
        self._skip_resize = kwargs.pop("_skip_resize", False)

    def forward(self, images, targets=None):
        images = [img for img in images]
        if targets is not None:
            targets = [{k: v for k, v in t.items()} for t in targets]   # a copy: resizing replaces entries
        for i in range(len(images)):
            image = images[i]
            target = targets[i] if targets is not None else None
            if image.dim() != 3:
                raise ValueError(f"images is expected to be a list of 3d tensors of shape [C, H, W], got "
                                 f"{image.shape}")
            image = self.normalize(image)
            image, target = self.resize(image, target)
            images[i] = image
            if targets is not None and target is not None:
                targets[i] = target
        image_sizes = [tuple(img.shape[-2:]) for img in images]
        batched = self.batch_images(images, size_divisible=self.size_divisible)
        return ImageList(batched, [(int(h), int(w)) for h, w in image_sizes]), targets

    def normalize(self, image):
        if not image.is_floating_point():
            raise TypeError(f"Expected input images to be of floating type (in range [0, 1]), but found type "
                            f"{image.dtype} instead")
        mean = ember.as_tensor(self.image_mean, dtype=image.dtype)
        std = ember.as_tensor(self.image_std, dtype=image.dtype)
        return (image - mean[:, None, None]) / std[:, None, None]

    def torch_choice(self, k):
        """``random.choice(k)`` from ember's generator (as torchvision draws from torch's)."""
        index = int(ember.empty(1).uniform_(0.0, float(len(k))).item())
        return k[index]

    def resize(self, image, target=None):
        h, w = image.shape[-2:]
        if self.training:
            if self._skip_resize:
                return image, target
            size = self.torch_choice(self.min_size)
        else:
            size = self.min_size[-1]
        image, target = _resize_image_and_masks(image, size, self.max_size, target, self.fixed_size)
        if target is None:
            return image, target
        target["boxes"] = resize_boxes(target["boxes"], (h, w), image.shape[-2:])
        if "keypoints" in target:
            target["keypoints"] = resize_keypoints(target["keypoints"], (h, w), image.shape[-2:])
        return image, target

    def max_by_axis(self, the_list):
        maxes = list(the_list[0])
        for sublist in the_list[1:]:
            for index, item in enumerate(sublist):
                maxes[index] = max(maxes[index], item)
        return maxes

    def batch_images(self, images, size_divisible=32):
        """The images zero-padded (bottom, right) to one size, a multiple of ``size_divisible``."""
        max_size = self.max_by_axis([list(img.shape) for img in images])
        stride = float(size_divisible)
        max_size[1] = int(math.ceil(float(max_size[1]) / stride) * stride)
        max_size[2] = int(math.ceil(float(max_size[2]) / stride) * stride)
        padded = []
        for img in images:
            c, h, w = img.shape
            padded.append(F.pad(img, (0, max_size[2] - w, 0, max_size[1] - h, 0, max_size[0] - c)))
        return ember.stack(padded)

    def postprocess(self, result, image_shapes, original_image_sizes):
        if self.training:
            return result
        for i, (pred, im_s, o_im_s) in enumerate(zip(result, image_shapes, original_image_sizes)):
            boxes = resize_boxes(pred["boxes"], im_s, o_im_s)
            result[i]["boxes"] = boxes
            if "masks" in pred:
                result[i]["masks"] = paste_masks_in_image(pred["masks"], boxes, o_im_s)
            if "keypoints" in pred:
                result[i]["keypoints"] = resize_keypoints(pred["keypoints"], im_s, o_im_s)
        return result

    def __repr__(self):
        indent = "\n    "
        return (f"{self.__class__.__name__}({indent}Normalize(mean={self.image_mean}, std={self.image_std})"
                f"{indent}Resize(min_size={self.min_size}, max_size={self.max_size}, mode='bilinear')\n)")


def _ratios(new_size, original_size):
    # float32 ratios, as torchvision's torch.tensor(s) / torch.tensor(s_orig)
    return [ember.tensor(float(s), dtype=ember.float32) / ember.tensor(float(s0), dtype=ember.float32)
            for s, s0 in zip(new_size, original_size)]


def resize_keypoints(keypoints, original_size, new_size):
    ratio_h, ratio_w = _ratios(new_size, original_size)
    x = keypoints[..., 0] * ratio_w
    y = keypoints[..., 1] * ratio_h
    return ember.stack((x, y) + tuple(keypoints[..., k] for k in range(2, keypoints.shape[-1])), dim=-1)


def resize_boxes(boxes, original_size, new_size):
    ratio_height, ratio_width = _ratios(new_size, original_size)
    xmin, ymin, xmax, ymax = boxes.unbind(1)
    return ember.stack((xmin * ratio_width, ymin * ratio_height, xmax * ratio_width, ymax * ratio_height), dim=1)
