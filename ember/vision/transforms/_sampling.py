"""Reading an image at continuous points, as ``torch.nn.functional.grid_sample`` with
``align_corners=False``: pixel ``(i, j)`` is centred at ``(x, y) = (j + 0.5, i + 0.5)``."""
import numpy as np

__all__ = ["sample_array"]


def sample_array(work, px, py, mode, fill_values=None):
    """``work (..., H, W)`` (a float array) read at the points ``(px, py)`` (arrays of the output
    shape). ``mode`` is ``"nearest"`` (the nearest centre, ties to even as ``grid_sample``) or
    ``"bilinear"``. Outside the image is zero when ``fill_values`` is None; otherwise, as
    torchvision, a nearest read outside is ``fill_values`` and a bilinear read is
    ``m * s + (1 - m) * fill_values``, where ``s`` is the zero-padded read and ``m`` the weight of
    its taps inside the image."""
    h, w = work.shape[-2:]

    def tap(ix, iy, values):
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        return np.where(inside, values[..., np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)], 0.0)

    if mode == "nearest":
        ix, iy = np.rint(px - 0.5).astype(np.int64), np.rint(py - 0.5).astype(np.int64)
        out = tap(ix, iy, work)
        if fill_values is None:
            return out
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        return np.where(inside, out, fill_values)
    if mode != "bilinear":
        raise ValueError(f"sampling supports 'nearest' and 'bilinear', got {mode!r}")
    x, y = px - 0.5, py - 0.5
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = x - x0, y - y0
    taps = ((x0, y0, (1 - fx) * (1 - fy)), (x0 + 1, y0, fx * (1 - fy)),
            (x0, y0 + 1, (1 - fx) * fy), (x0 + 1, y0 + 1, fx * fy))
    out = sum(tap(ix, iy, work) * wt for ix, iy, wt in taps)
    if fill_values is None:
        return out
    ones = np.ones((h, w))
    mask = sum(tap(ix, iy, ones) * wt for ix, iy, wt in taps)
    return out * mask + (1.0 - mask) * fill_values
