"""Two more image layers of Keras 3: ``RandomElasticTransform`` and ``ContrastLimitedAdaptiveHistogramEqualization``.

``RandomElasticTransform``: for a distortion ``f ~ U(scale)`` (one per batch), ``alpha = 0.1 f max(H, W)``
and ``sigma = 0.05 f min(H, W)``; two standard-normal fields ``(nx, ny)`` per image are scaled by ``sigma``,
blurred by a Gaussian of width ``sigma`` (kernel ``int(6 sigma) | 1``, zero padding) into ``(dx, dy)``, and
output pixel ``(y, x)`` samples the input at ``(y + alpha dy, x + alpha dx)`` (``interpolation``,
``fill_mode`` / ``fill_value`` outside). Each image is warped with a probability drawn from ``U(factor)``;
the result is clipped to ``value_range``. The normal fields are part of the drawn transformation
(``"displacement_noise"``, shape ``(2, N, H, W)``), so a transformation can be fixed and replayed.

``ContrastLimitedAdaptiveHistogramEqualization`` (CLAHE): on the [0, 255] scale each image is cut into a
``tile_grid_size`` grid of tiles (padded symmetrically at the bottom / right to whole tiles); each tile's
256-bin histogram of the integer levels is clipped at ``floor(clip_limit * tile_pixels / 256)`` (an integer,
as Keras's torch backend counts in integers) with the excess
spread evenly over the bins, and its cdf gives the lookup ``255 (cdf - cdf_min) / (tile_pixels - cdf_min)``.
A pixel's value is the bilinear blend of the lookups of the four nearest tile centres (edge tiles repeated).
Deterministic and applied in training and inference alike, as in Keras.

>>> import numpy as np
>>> from ember import keras
>>> layer = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(1, 1), clip_limit=0)
>>> layer(np.array([[[[10.0], [20.0]]]], "float32")).numpy().ravel().tolist()
[127.5, 255.0]
"""
import numpy as np

from ...autograd.tensor import make
from ..ops import image as _image
from .preprocessing_color import _ColorLayer, _factor, _rescale

_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


class RandomElasticTransform(_ColorLayer):
    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(factor, (0, 1))
        self.scale = _factor(scale, (0, 1), "scale")
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one "
                                      "('nearest', 'bilinear').")
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {_FILL_MODES}.")
        self.interpolation, self.fill_mode, self.fill_value = interpolation, fill_mode, fill_value

    def get_random_transformation(self, images, training=True, seed=None):
        # Keras draws nothing (and so leaves images as they are) when no image can be warped.
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        n, h, w, _ = self._nhwc(self._batch(images)[0]).shape
        rng = self._generator(seed)
        # Keras's order of draws: the per-image probabilities, then the thresholds they are compared with.
        probability = rng.uniform(self.factor[0], self.factor[1], n)
        return {"apply_transform": rng.uniform(0, 1, n) < probability,
                "distortion_factor": np.asarray(rng.uniform(self.scale[0], self.scale[1]), self.dtype),
                "displacement_noise": rng.standard_normal((2, n, h, w)).astype(self.dtype)}

    def _apply(self, a, p):
        n, h, w, c = a.shape
        f = np.float32(p["distortion_factor"])
        alpha, sigma = max(h, w) * (np.float32(0.1) * f), min(h, w) * (np.float32(0.05) * f)
        size = int(6 * sigma) | 1
        noise = p["displacement_noise"].astype(a.dtype).reshape(2 * n, h, w, 1) * sigma
        d = _image.gaussian_blur(make(noise), kernel_size=(size, size), sigma=(float(sigma), float(sigma)),
                                 data_format="channels_last")._data.reshape(2, n, h, w)
        ys = np.arange(h, dtype=a.dtype)[:, None] + alpha * d[1]
        xs = np.arange(w, dtype=a.dtype)[None, :] + alpha * d[0]
        order = 0 if self.interpolation == "nearest" else 1
        channel = make(np.broadcast_to(np.arange(c, dtype=a.dtype), (h, w, c)).copy())
        warped = np.stack([
            _image.map_coordinates(make(np.ascontiguousarray(a[i])),
                                   [make(np.repeat(ys[i][..., None], c, -1)), make(np.repeat(xs[i][..., None], c, -1)),
                                    channel], order, self.fill_mode, self.fill_value)._data
            for i in range(n)]).astype(a.dtype)
        out = np.where(p["apply_transform"].reshape(-1, 1, 1, 1), warped, a)
        return np.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update(factor=list(self.factor), scale=list(self.scale), interpolation=self.interpolation,
                      fill_mode=self.fill_mode, fill_value=self.fill_value)
        return config


def _clahe(a, grid, clip_limit):
    """CLAHE of a float batch ``(N, H, W, C)`` on the [0, 255] scale."""
    n, h, w, c = a.shape
    gh, gw = grid
    th, tw = -(-h // gh), -(-w // gw)
    if (th * gh, tw * gw) != (h, w):
        a = np.pad(a, ((0, 0), (0, th * gh - h), (0, tw * gw - w), (0, 0)), mode="symmetric")
    levels = np.clip(a, 0, 255).astype(np.int64)
    tiles = levels.reshape(n, gh, th, gw, tw, c).transpose(0, 1, 3, 5, 2, 4).reshape(-1, th * tw)
    offsets = (np.arange(tiles.shape[0]) * 256)[:, None]
    hist = np.bincount((tiles + offsets).ravel(), minlength=tiles.shape[0] * 256)
    hist = hist.reshape(n, gh, gw, c, 256).astype(np.float32)
    if clip_limit > 0:
        # Keras (torch backend) counts in integers and casts the limit to that type, truncating it.
        clipped = np.minimum(hist, np.float32(int(clip_limit * th * tw / 256.0)))
        hist = clipped + (hist - clipped).sum(-1, keepdims=True) / np.float32(256.0)
    cdf = np.cumsum(hist, -1)
    cdf_min = cdf.min(-1, keepdims=True)
    denom = np.float32(th * tw) - cdf_min
    lut = np.clip((cdf - cdf_min) * np.float32(255.0) / np.where(denom == 0, 1, denom), 0, 255)
    lut = np.pad(lut, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")

    def axis(size, tile, count):
        g = (np.arange(size, dtype=np.float32) - tile / 2.0) / tile + 1.0
        lo = np.floor(g)
        return np.clip(lo, 0, count + 1).astype(np.int64), np.clip(lo + 1, 0, count + 1).astype(np.int64), g - lo

    y0, y1, wy = axis(th * gh, th, gh)
    x0, x1, wx = axis(tw * gw, tw, gw)
    b, ch = np.arange(n)[:, None, None, None], np.arange(c)[None, None, None, :]
    y0, y1, wy = y0[None, :, None, None], y1[None, :, None, None], wy[None, :, None, None]
    x0, x1, wx = x0[None, None, :, None], x1[None, None, :, None], wx[None, None, :, None]
    top = lut[b, y0, x0, ch, levels] * (1 - wx) + lut[b, y0, x1, ch, levels] * wx
    bottom = lut[b, y1, x0, ch, levels] * (1 - wx) + lut[b, y1, x1, ch, levels] * wx
    return (top * (1 - wy) + bottom * wy)[:, :h, :w, :]


class ContrastLimitedAdaptiveHistogramEqualization(_ColorLayer):
    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kwargs):
        super().__init__(value_range, None, data_format, **kwargs)
        grid = tuple(tile_grid_size) if isinstance(tile_grid_size, (tuple, list)) else ()
        if len(grid) != 2 or any(int(g) != g or g < 1 for g in grid):
            raise ValueError(f"ContrastLimitedAdaptiveHistogramEqualization: `tile_grid_size` should be two "
                             f"positive integers (height, width). Received: tile_grid_size={tile_grid_size}")
        self.clip_limit, self.tile_grid_size = clip_limit, tuple(int(g) for g in grid)

    def get_random_transformation(self, images, training=True, seed=None):
        return {}

    def transform_images(self, images, transformation=None, training=True):
        # Keras applies CLAHE whatever `training` says.
        return super().transform_images(images, {}, training=True)

    def call(self, inputs, training=None):
        return self.transform_images(inputs)

    def _apply(self, a, p):
        out = _clahe(_rescale(a.astype(np.float32), self.value_range, (0, 255)), self.tile_grid_size,
                     self.clip_limit)
        return _rescale(out, (0, 255), self.value_range)

    def get_config(self):
        config = super().get_config()
        config.pop("seed")
        config.update(clip_limit=self.clip_limit, tile_grid_size=list(self.tile_grid_size))
        return config
