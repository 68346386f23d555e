"""Keypoint kernels of ``transforms.v2.functional``: points ``(..., 2)`` as ``(x, y)`` pixel
indices on a canvas ``(H, W)``, so a flip maps ``x`` to ``W - 1 - x`` (boxes, which have
edges, map to ``W - x``). Kernels that change the canvas return ``(points, canvas_size)``;
nothing is clamped unless asked (:func:`clamp_keypoints`).

>>> import ember
>>> horizontal_flip_keypoints(ember.tensor([[0.0, 1.0], [3.0, 2.0]]), (4, 4)).tolist()
[[3.0, 1.0], [0.0, 2.0]]
"""
import numpy as np

import ember
from ember.vision.transforms import functional as F1

__all__ = ["horizontal_flip_keypoints", "vertical_flip_keypoints", "crop_keypoints",
           "resize_keypoints", "pad_keypoints", "center_crop_keypoints",
           "resized_crop_keypoints", "clamp_keypoints", "sanitize_keypoints",
           "get_size_keypoints"]


def _t(arr, dtype):
    arr = np.asarray(arr)
    if np.dtype(dtype).kind in "iu":
        arr = np.trunc(arr)
    return ember.from_numpy(np.ascontiguousarray(arr.astype(dtype)))


def horizontal_flip_keypoints(keypoints, canvas_size):
    arr = keypoints._data.copy()
    arr[..., 0] = (canvas_size[1] - 1) - arr[..., 0]
    return ember.from_numpy(arr)


def vertical_flip_keypoints(keypoints, canvas_size):
    arr = keypoints._data.copy()
    arr[..., 1] = (canvas_size[0] - 1) - arr[..., 1]
    return ember.from_numpy(arr)


def crop_keypoints(keypoints, top, left, height, width):
    arr = keypoints._data
    return _t(arr - np.array([left, top], dtype=arr.dtype), arr.dtype), (height, width)


def resize_keypoints(keypoints, size, canvas_size, max_size=None):
    h, w = canvas_size
    nh, nw = F1.resized_output_size(h, w, size, max_size)
    if (nh, nw) == (h, w):
        return keypoints, tuple(canvas_size)
    arr = keypoints._data
    ratio = np.array([nw / w, nh / h], dtype=np.float32)
    return _t(arr * ratio, arr.dtype), (nh, nw)


def pad_keypoints(keypoints, canvas_size, padding, padding_mode="constant"):
    if padding_mode != "constant":
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with KeyPoints "
                         f"(supported modes are constant)")
    left, top, right, bottom = F1.parse_padding(padding)
    arr = keypoints._data
    canvas = (canvas_size[0] + top + bottom, canvas_size[1] + left + right)
    return _t(arr + np.array([left, top], dtype=arr.dtype), arr.dtype), canvas


def center_crop_keypoints(inpt, canvas_size, output_size):
    th, tw = F1._pair(output_size, "output_size")
    top = int(round((canvas_size[0] - th) / 2.0))
    left = int(round((canvas_size[1] - tw) / 2.0))
    return crop_keypoints(inpt, top, left, th, tw)


def resized_crop_keypoints(keypoints, top, left, height, width, size):
    points, canvas = crop_keypoints(keypoints, top, left, height, width)
    return resize_keypoints(points, size, canvas)


def clamp_keypoints(inpt, canvas_size=None):
    """Points clipped to the pixel grid ``[0, W - 1] x [0, H - 1]``."""
    canvas = canvas_size or getattr(inpt, "canvas_size", None)
    if canvas is None:
        raise ValueError("For pure tensor inputs, `canvas_size` has to be passed.")
    arr = inpt._data.astype(np.float64)
    arr[..., 0] = np.clip(arr[..., 0], 0, canvas[1] - 1)
    arr[..., 1] = np.clip(arr[..., 1], 0, canvas[0] - 1)
    out = _t(arr, inpt._data.dtype)
    from ember.vision import tv_tensors
    return tv_tensors.wrap(out, like=inpt) if isinstance(inpt, tv_tensors.KeyPoints) else out


def sanitize_keypoints(key_points, canvas_size=None):
    """``(kept, valid)``: the points (or groups of points, for ``(N, K, 2)``) that lie inside
    the canvas."""
    from ember.vision import tv_tensors
    if isinstance(key_points, tv_tensors.KeyPoints):
        if canvas_size is not None:
            raise ValueError("canvas_size must be None when key_points is a KeyPoints")
        canvas_size = key_points.canvas_size
    elif canvas_size is None:
        raise ValueError("canvas_size cannot be None if key_points is a plain tensor")
    arr = key_points._data
    h, w = canvas_size
    x, y = arr[..., 0], arr[..., 1]
    valid = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    if valid.ndim > 1:
        valid = valid.reshape(valid.shape[0], -1).all(axis=1)
    kept = ember.from_numpy(np.ascontiguousarray(arr[valid]))
    if isinstance(key_points, tv_tensors.KeyPoints):
        kept = tv_tensors.wrap(kept, like=key_points)
    return kept, ember.from_numpy(valid)


def get_size_keypoints(keypoints):
    return list(keypoints.canvas_size)
