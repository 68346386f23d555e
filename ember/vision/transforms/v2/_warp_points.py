"""Affine maps, rotations and perspective warps of boxes and keypoints, as
``transforms.v2.functional``'s kernels: the points (a box's four corners) are moved by the
forward map the image undergoes; a box becomes the axis-aligned box around its moved corners,
clamped to the canvas. With ``expand`` the points are shifted onto the grown canvas.

>>> import ember
>>> rotate_keypoints(ember.tensor([[1.0, 0.0]]), (4, 4), 90.0)[0].tolist()
[[0.0, 3.0]]
"""
import numpy as np

import ember
from ember.vision.transforms import functional as F1

__all__ = ["affine_keypoints", "rotate_keypoints", "perspective_keypoints", "elastic_keypoints",
           "affine_bounding_boxes", "rotate_bounding_boxes", "perspective_bounding_boxes",
           "elastic_bounding_boxes"]


def _shear(shear):
    if isinstance(shear, (int, float)):
        return [float(shear), 0.0]
    shear = [float(s) for s in shear]
    return shear * 2 if len(shear) == 1 else shear


def _affine_points(points, canvas_size, angle, translate, scale, shear, center, expand):
    """Points ``(n, 2)`` moved by torchvision's forward affine map; ``(points, canvas)``."""
    h, w = canvas_size
    cx, cy = center if center is not None else (w * 0.5, h * 0.5)
    linear, t = F1.affine_matrix(angle, translate, scale, _shear(shear))
    c = np.array([cx, cy], dtype=np.float64)
    moved = (points - c) @ linear.T + c + t
    if expand:
        corners = np.array([[0.0, 0.0], [0.0, h], [w, h], [w, 0.0]])
        moved = moved - ((corners - c) @ linear.T + c + t).min(axis=0)
        canvas_size = _expanded_canvas(linear, t, c, h, w)
    return moved, tuple(canvas_size)


def _expanded_canvas(linear, t, c, h, w):
    # torchvision sizes the grown canvas of boxes and keypoints from the inverse map with the
    # absolute centre (images use the centre-relative map), in float32, so it can differ from
    # the image's by a pixel; this follows it.
    f32 = np.float32
    inverse = np.linalg.inv(linear)
    offset = c - inverse @ (c + t)
    half = np.array([0.5 * w, 0.5 * h])
    corners = np.array([[-1, -1], [-1, 1], [1, 1], [1, -1]]) * half
    moved = (corners.astype(f32) @ inverse.T.astype(f32) + offset.astype(f32)) + half.astype(f32)
    tol = f32(1e-4)
    hi = np.ceil(np.trunc(moved.max(axis=0) * f32(1.0 / 1e-4)) * tol)
    lo = np.floor(np.trunc(moved.min(axis=0) * f32(1.0 / 1e-4)) * tol)
    new_w, new_h = (int(v) for v in hi - lo)
    return new_h, new_w


def _restore(arr, dtype):
    return ember.from_numpy(np.ascontiguousarray(
        np.trunc(arr).astype(dtype) if np.dtype(dtype).kind in "iu" else arr.astype(dtype)))


def affine_keypoints(keypoints, canvas_size, angle, translate, scale, shear, center=None):
    """``(keypoints, canvas_size)`` after :func:`affine`."""
    arr = keypoints._data
    moved, canvas = _affine_points(arr.reshape(-1, 2).astype(np.float64), canvas_size, angle,
                                   translate, scale, shear, center, False)
    return _restore(moved.reshape(arr.shape), arr.dtype), canvas


def rotate_keypoints(keypoints, canvas_size, angle, expand=False, center=None):
    """``(keypoints, canvas_size)`` after :func:`rotate` by ``angle`` counter-clockwise."""
    arr = keypoints._data
    moved, canvas = _affine_points(arr.reshape(-1, 2).astype(np.float64), canvas_size, -angle,
                                   [0.0, 0.0], 1.0, [0.0, 0.0], center, expand)
    return _restore(moved.reshape(arr.shape), arr.dtype), canvas


def _perspective_points(points, startpoints, endpoints, coefficients):
    if coefficients is None:
        # The forward map takes start to end, so its coefficients solve end <- start.
        from ember.vision.transforms._geometry_ops import _perspective_coeffs
        coefficients = _perspective_coeffs(endpoints, startpoints)
    a, b, c, d, e, f, g, h = (float(v) for v in coefficients)
    x, y = points[:, 0], points[:, 1]
    denom = g * x + h * y + 1.0
    return np.stack([(a * x + b * y + c) / denom, (d * x + e * y + f) / denom], axis=1)


def perspective_keypoints(keypoints, canvas_size, startpoints, endpoints, coefficients=None):
    """Keypoints after :func:`perspective` (their canvas is unchanged)."""
    arr = keypoints._data
    moved = _perspective_points(arr.reshape(-1, 2).astype(np.float64), startpoints, endpoints,
                                coefficients)
    return _restore(moved.reshape(arr.shape), arr.dtype)


def _box_corners(bounding_boxes, format):
    from ember.vision.transforms.v2.functional import _to_xyxy
    xyxy = _to_xyxy(bounding_boxes._data, format)
    return xyxy[:, [[0, 1], [2, 1], [2, 3], [0, 3]]].reshape(-1, 2)


def _boxes_around(corners, format, canvas, dtype, clamping_mode):
    from ember.vision.transforms.v2.functional import _clamp_xyxy, _from_xyxy
    corners = corners.reshape(-1, 4, 2)
    xyxy = np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1)
    if clamping_mode is not None:
        xyxy = _clamp_xyxy(xyxy, canvas)
    return ember.from_numpy(np.ascontiguousarray(_from_xyxy(xyxy, format, dtype)))


def _format(format):
    from ember.vision import tv_tensors
    return tv_tensors.BoundingBoxFormat[format.upper()] if isinstance(format, str) else format


def affine_bounding_boxes(bounding_boxes, format, canvas_size, angle, translate, scale, shear,
                          center=None, clamping_mode="soft"):
    """Boxes after :func:`affine` (the canvas is unchanged)."""
    format = _format(format)
    moved, canvas = _affine_points(_box_corners(bounding_boxes, format), canvas_size, angle,
                                   translate, scale, shear, center, False)
    return _boxes_around(moved, format, canvas, bounding_boxes._data.dtype, clamping_mode)


def rotate_bounding_boxes(bounding_boxes, format, canvas_size, angle, expand=False, center=None,
                          clamping_mode="soft"):
    """``(boxes, canvas_size)`` after :func:`rotate`."""
    format = _format(format)
    moved, canvas = _affine_points(_box_corners(bounding_boxes, format), canvas_size, -angle,
                                   [0.0, 0.0], 1.0, [0.0, 0.0], center, expand)
    return _boxes_around(moved, format, canvas, bounding_boxes._data.dtype,
                         clamping_mode), canvas


def perspective_bounding_boxes(bounding_boxes, format, canvas_size, startpoints, endpoints,
                               coefficients=None, clamping_mode="soft"):
    """Boxes after :func:`perspective`."""
    format = _format(format)
    moved = _perspective_points(_box_corners(bounding_boxes, format), startpoints, endpoints,
                                coefficients)
    return _boxes_around(moved, format, tuple(canvas_size), bounding_boxes._data.dtype,
                         clamping_mode)


def _elastic_points(points, canvas_size, displacement):
    """Where each point goes under an elastic warp: the identity grid minus the displacement,
    read at the point's (truncated, clamped) pixel, in pixel units."""
    h, w = canvas_size
    disp = displacement._data if isinstance(displacement, ember.Tensor) else np.asarray(
        displacement)
    if disp.shape != (1, h, w, 2):
        raise ValueError(f"Argument displacement shape should be (1, {h}, {w}, 2), but given "
                         f"{tuple(disp.shape)}")
    gx = np.linspace((1 - w) / w, (w - 1) / w, w)
    gy = np.linspace((1 - h) / h, (h - 1) / h, h)
    ix = np.clip(np.trunc(points[:, 0]).astype(np.int64), 0, w - 1)
    iy = np.clip(np.trunc(points[:, 1]).astype(np.int64), 0, h - 1)
    x = gx[ix] - disp[0, iy, ix, 0]
    y = gy[iy] - disp[0, iy, ix, 1]
    return np.stack([(x + 1) * 0.5 * w - 0.5, (y + 1) * 0.5 * h - 0.5], axis=1)


def elastic_keypoints(keypoints, canvas_size, displacement):
    """Keypoints after :func:`elastic_transform` with ``displacement`` ``(1, H, W, 2)``."""
    arr = keypoints._data
    moved = _elastic_points(arr.reshape(-1, 2).astype(np.float64), canvas_size, displacement)
    return _restore(moved.reshape(arr.shape), arr.dtype)


def elastic_bounding_boxes(bounding_boxes, format, canvas_size, displacement,
                           clamping_mode="soft"):
    """Boxes after :func:`elastic_transform`: the box around its moved corners (each corner
    read at its pixel, rounded up)."""
    format = _format(format)
    corners = np.ceil(_box_corners(bounding_boxes, format))
    moved = _elastic_points(corners, canvas_size, displacement)
    return _boxes_around(moved, format, tuple(canvas_size), bounding_boxes._data.dtype,
                         clamping_mode)
