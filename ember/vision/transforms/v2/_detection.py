"""More ``transforms.v2`` transforms: the multi-scale resizes and zoom-out of detection
pipelines, photometric distortion, box utilities (clamp, convert, sanitize), JPEG artefacts,
video frame subsampling and the automatic augmentations over whole samples."""
import numbers

import numpy as np

import ember
from ember.vision import tv_tensors
from ember.vision._pil import is_pil_image
from ember.vision.transforms import autoaugment as A1
from ember.vision.transforms.functional import InterpolationMode
from ember.vision.transforms.transforms import _rand, _randint
from ember.vision.transforms.v2 import functional as F
from ember.vision.transforms.v2._transform import (Transform, get_bounding_boxes, query_chw,
                                                   query_size, tree_flatten)
from ember.vision.transforms.v2._transforms import _ImageOnly, _MixBase, _RandomApplyTransform

__all__ = ["RandomZoomOut", "RandomShortestSize", "RandomResize", "ScaleJitter",
           "RandomPhotometricDistort", "ClampBoundingBoxes", "ConvertBoundingBoxFormat",
           "SanitizeBoundingBoxes", "ClampKeyPoints", "SanitizeKeyPoints", "get_keypoints",
           "RandomIoUCrop", "SetClampingMode", "JPEG", "UniformTemporalSubsample", "AutoAugment",
           "AutoAugmentPolicy", "RandAugment", "TrivialAugmentWide", "AugMix"]

AutoAugmentPolicy = A1.AutoAugmentPolicy


class _ResizeTo(Transform):
    """Resize every part to ``params["size"]``."""

    def __init__(self, interpolation=InterpolationMode.BILINEAR, antialias=True):
        self.interpolation, self.antialias = interpolation, antialias

    def transform(self, inpt, params):
        return F.resize(inpt, params["size"], self.interpolation, antialias=self.antialias)


class RandomZoomOut(_RandomApplyTransform):
    """With probability ``p``, place the sample on a canvas ``r`` times larger
    (``r ~ U(side_range)``) at a random spot, the rest ``fill``."""

    def __init__(self, fill=0, side_range=(1.0, 4.0), p=0.5):
        super().__init__(p)
        if len(side_range) != 2 or side_range[0] < 1.0 or side_range[0] > side_range[1]:
            raise ValueError(f"Invalid side range provided {side_range}.")
        self.fill, self.side_range = fill, tuple(side_range)

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        r = self.side_range[0] + _rand() * (self.side_range[1] - self.side_range[0])
        canvas_w, canvas_h = int(w * r), int(h * r)
        left, top = int((canvas_w - w) * _rand()), int((canvas_h - h) * _rand())
        return {"padding": [left, top, canvas_w - left - w, canvas_h - top - h]}

    def transform(self, inpt, params):
        fill = self.fill.get(type(inpt), 0) if isinstance(self.fill, dict) else (
            0 if isinstance(inpt, tv_tensors.Mask) else self.fill)
        return F.pad(inpt, params["padding"], fill=fill)


class RandomShortestSize(_ResizeTo):
    """Resize so the shorter side is one of ``min_size`` (picked uniformly) and the longer at
    most ``max_size``."""

    def __init__(self, min_size, max_size=None, interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
        super().__init__(interpolation, antialias)
        self.min_size = [min_size] if isinstance(min_size, int) else list(min_size)
        self.max_size = max_size

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        r = self.min_size[_randint(0, len(self.min_size))] / min(h, w)
        if self.max_size is not None:
            r = min(r, self.max_size / max(h, w))
        return {"size": (int(h * r), int(w * r))}


class RandomResize(_ResizeTo):
    """Resize the shorter side to an int drawn uniformly from ``[min_size, max_size)``."""

    def __init__(self, min_size, max_size, interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
        super().__init__(interpolation, antialias)
        self.min_size, self.max_size = min_size, max_size

    def make_params(self, flat_inputs):
        return {"size": [_randint(self.min_size, self.max_size)]}


class ScaleJitter(_ResizeTo):
    """Resize to fit ``target_size = (w, h)``, times a scale drawn from ``scale_range``
    (Ghiasi et al., 2021)."""

    def __init__(self, target_size, scale_range=(0.1, 2.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__(interpolation, antialias)
        self.target_size, self.scale_range = target_size, scale_range

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        scale = self.scale_range[0] + _rand() * (self.scale_range[1] - self.scale_range[0])
        r = min(self.target_size[1] / h, self.target_size[0] / w) * scale
        return {"size": (int(h * r), int(w * r))}


class RandomPhotometricDistort(_ImageOnly):
    """The SSD distortions: brightness, contrast (before or after the rest), saturation, hue
    and a channel permutation, each with probability ``p`` and factors drawn from the ranges."""

    def __init__(self, brightness=(0.875, 1.125), contrast=(0.5, 1.5), saturation=(0.5, 1.5),
                 hue=(-0.05, 0.05), p=0.5):
        self.brightness, self.contrast, self.saturation, self.hue, self.p = (
            brightness, contrast, saturation, hue, p)

    def make_params(self, flat_inputs):
        channels = query_chw(flat_inputs)[0]
        params = {}
        for key, (low, high) in (("brightness", self.brightness), ("contrast", self.contrast),
                                 ("saturation", self.saturation), ("hue", self.hue)):
            params[key] = low + _rand() * (high - low) if _rand() < self.p else None
        params["contrast_before"] = _rand() < 0.5
        params["permutation"] = (ember.random._get_rng(None).permutation(channels).tolist()
                                 if _rand() < self.p else None)
        return params

    def transform(self, inpt, params):
        if params["brightness"] is not None:
            inpt = F.adjust_brightness(inpt, params["brightness"])
        if params["contrast"] is not None and params["contrast_before"]:
            inpt = F.adjust_contrast(inpt, params["contrast"])
        if params["saturation"] is not None:
            inpt = F.adjust_saturation(inpt, params["saturation"])
        if params["hue"] is not None:
            inpt = F.adjust_hue(inpt, params["hue"])
        if params["contrast"] is not None and not params["contrast_before"]:
            inpt = F.adjust_contrast(inpt, params["contrast"])
        if params["permutation"] is not None:
            inpt = F.permute_channels(inpt, params["permutation"])
        return inpt


class _BoxesOnly(Transform):
    def _transforms_input(self, inpt):
        return isinstance(inpt, tv_tensors.BoundingBoxes)

    def _needs_transform_list(self, flat_inputs):
        return [self._transforms_input(x) for x in flat_inputs]


class ClampBoundingBoxes(_BoxesOnly):
    """Clip every box to its canvas."""

    def __init__(self, clamping_mode="auto"):
        self.clamping_mode = clamping_mode

    def transform(self, inpt, params):
        return F.clamp_bounding_boxes(inpt)


class ConvertBoundingBoxFormat(_BoxesOnly):
    """Re-express every box in ``format``."""

    def __init__(self, format):
        self.format = tv_tensors.BoundingBoxFormat[format.upper()] if isinstance(
            format, str) else format

    def transform(self, inpt, params):
        return F.convert_bounding_box_format(inpt, new_format=self.format)


def _drop_invalid(t, inputs, valid, per_box_masks):
    """The sample without the rows ``valid(flat) -> (target, keep)`` rejects: of the target,
    of the labels ``t.labels_getter`` finds and (with ``per_box_masks``) of masks with one
    row per target row."""
    sample = inputs if len(inputs) > 1 else inputs[0]
    labels = None
    if t.labels_getter is not None:
        labels = (t.labels_getter(sample) if callable(t.labels_getter)
                  else _MixBase._labels(t, sample))
    flat, rebuild = tree_flatten(sample)
    target, keep = valid(flat)
    extra = [e for e in (labels if isinstance(labels, (tuple, list)) else (labels,))
             if e is not None]
    out = []
    for x in flat:
        if x is target or any(x is e for e in extra) or (
                per_box_masks and isinstance(x, tv_tensors.Mask) and x.ndim >= 3
                and x.shape[0] == len(keep)):
            kept = ember.from_numpy(np.ascontiguousarray(x._data[keep]))
            x = tv_tensors.wrap(kept, like=x) if isinstance(x, tv_tensors.TVTensor) else kept
        out.append(x)
    return rebuild(out)


class SanitizeBoundingBoxes(Transform):
    """Drop degenerate boxes (side below ``min_size``, area below ``min_area``, or outside the
    canvas), with the matching rows of per-box masks and of the labels (found by
    ``labels_getter``: by default a ``"labels"``-like key of the sample's dict)."""

    def __init__(self, min_size=1.0, min_area=1.0, labels_getter="default"):
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}.")
        if min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {min_area}.")
        self.min_size, self.min_area = float(min_size), float(min_area)
        self.labels_getter = labels_getter

    def __call__(self, *inputs):
        def valid(flat):
            boxes = get_bounding_boxes(flat)
            keep = F.sanitize_bounding_boxes(boxes, min_size=self.min_size,
                                             min_area=self.min_area)[1]._data
            return boxes, keep
        return _drop_invalid(self, inputs, valid, per_box_masks=True)


def _iou_with(boxes, window):
    """Intersection over union of each XYXY box with one ``window``."""
    lt = np.maximum(boxes[:, :2], window[:2])
    rb = np.minimum(boxes[:, 2:], window[2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=1)
    area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    return inter / (area + np.prod(window[2:] - window[:2]) - inter)


class RandomIoUCrop(Transform):
    """The SSD crop (Liu et al., 2016): pick a minimum IoU from ``sampler_options`` (1 or more
    keeps the sample), then up to ``trials`` random windows of scale ``[min_scale, max_scale]``
    and aspect ratio ``[min_aspect_ratio, max_aspect_ratio]`` until one holds a box centre and
    overlaps some such box by that IoU; crop to it, zeroing the boxes whose centres fall
    outside (follow with SanitizeBoundingBoxes to drop them)."""

    def __init__(self, min_scale=0.3, max_scale=1.0, min_aspect_ratio=0.5, max_aspect_ratio=2.0,
                 sampler_options=None, trials=40):
        self.min_scale, self.max_scale = min_scale, max_scale
        self.min_aspect_ratio, self.max_aspect_ratio = min_aspect_ratio, max_aspect_ratio
        self.options = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0] if sampler_options is None else list(
            sampler_options)
        self.trials = trials

    def make_params(self, flat_inputs):
        if not any(isinstance(x, tv_tensors.BoundingBoxes) for x in flat_inputs) or not any(
                isinstance(x, tv_tensors.Image) or F.is_pure_tensor(x) or is_pil_image(x)
                for x in flat_inputs):
            raise TypeError(f"{type(self).__name__}() requires input sample to contain tensor "
                            f"or PIL images and bounding boxes. Sample can also contain masks.")
        orig_h, orig_w = query_size(flat_inputs)
        boxes = get_bounding_boxes(flat_inputs)
        xyxy = F._to_xyxy(boxes._data, boxes.format)
        cx, cy = (xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2
        while True:
            min_iou = self.options[_randint(0, len(self.options))]
            if min_iou >= 1.0:
                return {}
            for _ in range(self.trials):
                span = self.max_scale - self.min_scale
                new_w = int(orig_w * (self.min_scale + span * _rand()))
                new_h = int(orig_h * (self.min_scale + span * _rand()))
                if new_h == 0 or not (self.min_aspect_ratio <= new_w / new_h
                                      <= self.max_aspect_ratio):
                    continue
                left, top = int((orig_w - new_w) * _rand()), int((orig_h - new_h) * _rand())
                right, bottom = left + new_w, top + new_h
                if left == right or top == bottom:
                    continue
                inside = (left < cx) & (cx < right) & (top < cy) & (cy < bottom)
                if not inside.any():
                    continue
                window = np.array([left, top, right, bottom], dtype=np.float64)
                if _iou_with(xyxy[inside], window).max() < min_iou:
                    continue
                return {"top": top, "left": left, "height": new_h, "width": new_w,
                        "inside": inside}

    def transform(self, inpt, params):
        if not params:
            return inpt
        out = F.crop(inpt, params["top"], params["left"], params["height"], params["width"])
        if isinstance(out, tv_tensors.BoundingBoxes):
            out._data[~params["inside"]] = 0
        return out


class SetClampingMode(Transform):
    """Set the ``clamping_mode`` (``"soft"``, ``"hard"`` or None) of the sample's boxes."""

    def __init__(self, clamping_mode):
        if clamping_mode not in (None, "soft", "hard"):
            raise ValueError(f"clamping_mode must be soft, hard or None, got {clamping_mode}")
        self.clamping_mode = clamping_mode

    def _transforms_input(self, inpt):
        return isinstance(inpt, tv_tensors.BoundingBoxes)

    def _needs_transform_list(self, flat_inputs):
        return [self._transforms_input(x) for x in flat_inputs]

    def transform(self, inpt, params):
        out = tv_tensors.wrap(ember.from_numpy(inpt._data.copy()), like=inpt)
        out.clamping_mode = self.clamping_mode
        return out


def get_keypoints(flat_inputs):
    """The (first) ``tv_tensors.KeyPoints`` of the sample."""
    for x in flat_inputs:
        if isinstance(x, tv_tensors.KeyPoints):
            return x
    raise ValueError("No keypoints were found in the sample")


class ClampKeyPoints(Transform):
    """Clip every keypoint to the pixel grid of its canvas."""

    def _transforms_input(self, inpt):
        return isinstance(inpt, tv_tensors.KeyPoints)

    def _needs_transform_list(self, flat_inputs):
        return [self._transforms_input(x) for x in flat_inputs]

    def transform(self, inpt, params):
        return F.clamp_keypoints(inpt)


class SanitizeKeyPoints(Transform):
    """Drop the keypoints (or groups, for ``(N, K, 2)``) outside their canvas, with the
    matching labels (found as by :class:`SanitizeBoundingBoxes`)."""

    def __init__(self, labels_getter="default"):
        self.labels_getter = labels_getter

    def __call__(self, *inputs):
        def valid(flat):
            points = get_keypoints(flat)
            return points, F.sanitize_keypoints(points)[1]._data
        return _drop_invalid(self, inputs, valid, per_box_masks=False)


class JPEG(_ImageOnly):
    """Re-encode uint8 images as JPEG at ``quality`` (an int, or ``(min, max)`` drawn
    uniformly)."""

    def __init__(self, quality):
        if isinstance(quality, numbers.Integral):
            quality = (int(quality), int(quality))
        if len(quality) != 2 or not 1 <= quality[0] <= quality[1] <= 100:
            raise ValueError(f"quality must be an int or (min, max) within [1, 100], got "
                             f"{quality}")
        self.quality = tuple(quality)

    def make_params(self, flat_inputs):
        return {"quality": _randint(self.quality[0], self.quality[1] + 1)}

    def transform(self, inpt, params):
        return F.jpeg(inpt, params["quality"])


class UniformTemporalSubsample(Transform):
    """``num_samples`` evenly spaced frames of each video ``(..., T, C, H, W)``."""

    def __init__(self, num_samples):
        self.num_samples = num_samples

    def _transforms_input(self, inpt):
        return isinstance(inpt, tv_tensors.Video) or F.is_pure_tensor(inpt)

    def transform(self, inpt, params):
        return F.uniform_temporal_subsample(inpt, self.num_samples)


class _AutoAugmentV2(_ImageOnly):
    """A v1 automatic augmentation applied to each image of the sample."""

    v1 = None

    def __init__(self, *args, **kwargs):
        self._t = self.v1(*args, **kwargs)

    def __getattr__(self, name):
        if name == "_t":
            raise AttributeError(name)
        return getattr(self._t, name)

    def transform(self, inpt, params):
        return F._rewrap(self._t(inpt), inpt)


class AutoAugment(_AutoAugmentV2):
    """v1's AutoAugment on the sample's images."""
    v1 = A1.AutoAugment


class RandAugment(_AutoAugmentV2):
    """v1's RandAugment on the sample's images."""
    v1 = A1.RandAugment


class TrivialAugmentWide(_AutoAugmentV2):
    """v1's TrivialAugmentWide on the sample's images."""
    v1 = A1.TrivialAugmentWide


class AugMix(_AutoAugmentV2):
    """v1's AugMix on the sample's images."""
    v1 = A1.AugMix
