"""``keras.ops.image`` (the Keras-named ops come from ``image_ops``), and the image augmentation
kernels of the preprocessing layers (NHWC NumPy, no gradient): random flips and rotations with
Keras's fill modes and interpolations."""
import numpy as np

from .image_ops import (affine_transform, crop_images, elastic_transform, extract_patches,  # noqa: F401
                        extract_patches_3d, gaussian_blur, hsv_to_rgb, map_coordinates, pad_images,
                        perspective_transform, resize, rgb_to_grayscale, rgb_to_hsv, scale_and_translate,
                        sobel_edges, ssim)


def _fill_coords(c, size, mode):
    """Map out-of-range sample coordinates into range for a fill mode ('constant' leaves them)."""
    if mode == "reflect":       # d c b a | a b c d | d c b a
        period = 2 * size
        c = np.mod(c, period)
        return np.where(c >= size, period - 1 - c, c)
    if mode == "wrap":
        return np.mod(c, size)
    if mode == "nearest":
        return np.clip(c, 0, size - 1)
    return c


def rotate(images, angles, fill_mode="reflect", interpolation="bilinear", fill_value=0.0):
    """Rotate each ``(H, W, C)`` image of ``images`` counter-clockwise by ``angles[i]`` radians about its center."""
    N, H, W, C = images.shape
    out = np.empty_like(images)
    yy, xx = np.meshgrid(np.arange(H, dtype=np.float64), np.arange(W, dtype=np.float64), indexing="ij")
    cy, cx = (H - 1) / 2.0, (W - 1) / 2.0
    for n in range(N):
        cos, sin = np.cos(angles[n]), np.sin(angles[n])
        # Inverse map: the source pixel of each output pixel (rotation by -angle in image coordinates).
        sx = cos * (xx - cx) - sin * (yy - cy) + cx
        sy = sin * (xx - cx) + cos * (yy - cy) + cy
        out[n] = _sample(images[n], sy, sx, fill_mode, interpolation, fill_value)
    return out


def _sample(img, sy, sx, fill_mode, interpolation, fill_value):
    H, W, C = img.shape
    if interpolation == "nearest":
        iy, ix = np.round(sy).astype(np.int64), np.round(sx).astype(np.int64)
        return _gather(img, iy, ix, fill_mode, fill_value)
    y0, x0 = np.floor(sy).astype(np.int64), np.floor(sx).astype(np.int64)
    wy, wx = (sy - y0)[..., None], (sx - x0)[..., None]
    a = _gather(img, y0, x0, fill_mode, fill_value)
    b = _gather(img, y0, x0 + 1, fill_mode, fill_value)
    c = _gather(img, y0 + 1, x0, fill_mode, fill_value)
    d = _gather(img, y0 + 1, x0 + 1, fill_mode, fill_value)
    top = a * (1 - wx) + b * wx
    bottom = c * (1 - wx) + d * wx
    return (top * (1 - wy) + bottom * wy).astype(img.dtype)


def _gather(img, iy, ix, fill_mode, fill_value):
    H, W, _ = img.shape
    if fill_mode == "constant":
        inside = (iy >= 0) & (iy < H) & (ix >= 0) & (ix < W)
        v = img[np.clip(iy, 0, H - 1), np.clip(ix, 0, W - 1)]
        return np.where(inside[..., None], v, fill_value)
    return img[_fill_coords(iy, H, fill_mode), _fill_coords(ix, W, fill_mode)]
