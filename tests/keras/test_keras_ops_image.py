"""keras.ops.image against Keras 3 (PyTorch backend): values, shapes, dtypes and gradients."""
import numpy as np
import pytest

from tests.keras.ops_oracle import f64, run, table_params

rgb = np.random.default_rng(0).uniform(0, 1, (2, 5, 6, 3))
img = f64(2, 6, 7, 2)
G = dict(grad=True)
# A Python list: Keras's PyTorch backend edits the transform in place, which torch forbids on a tensor
# that requires grad; ember's gradient with respect to the transform is checked by perspective_transform.
T = [[1.1, 0.2, -0.7, -0.1, 0.9, 0.6, 0.0, 0.0], [0.9, -0.1, 0.4, 0.05, 1.2, -0.3, 0.0, 0.0]]
# For nearest-neighbour sampling: no output pixel maps within 1e-3 of a half-way point, where the rounding
# would depend on float round-off (T puts some exactly there: 0.9 * 6 - 0.1 * 3 + 0.4 = 5.5).
T_NEAREST = [[1.1, 0.2, -0.73, -0.1, 0.9, 0.61, 0.0, 0.0], [0.9, -0.1, 0.43, 0.05, 1.2, -0.27, 0.0, 0.0]]

ROWS = [
    ("rgb_to_grayscale", lambda o, x: o.image.rgb_to_grayscale(x), [rgb], G),
    ("rgb_to_grayscale-cf", lambda o, x: o.image.rgb_to_grayscale(x, data_format="channels_first"),
     [np.moveaxis(rgb, -1, 1).copy()], G),
    ("rgb_to_hsv", lambda o, x: o.image.rgb_to_hsv(x), [rgb], G),
    ("hsv_to_rgb", lambda o, x: o.image.hsv_to_rgb(x), [rgb], G),
    ("hsv-roundtrip", lambda o, x: o.image.hsv_to_rgb(o.image.rgb_to_hsv(x)), [rgb], G),
    ("resize-bilinear", lambda o, x: o.image.resize(x, (9, 4)), [img], G),
    ("resize-nearest", lambda o, x: o.image.resize(x, (3, 11), interpolation="nearest"), [img], G),
    ("resize-bicubic", lambda o, x: o.image.resize(x, (8, 8), interpolation="bicubic"), [img], G),
    ("resize-antialias-down", lambda o, x: o.image.resize(x, (3, 2), antialias=True), [img], G),
    ("resize-antialias-up", lambda o, x: o.image.resize(x, (9, 10), antialias=True), [img], G),
    ("resize-antialias-bicubic", lambda o, x: o.image.resize(x, (4, 3), interpolation="bicubic", antialias=True),
     [f64(1, 9, 8, 2)], G),
    ("resize-crop", lambda o, x: o.image.resize(x, (4, 4), crop_to_aspect_ratio=True), [img], G),
    ("resize-pad", lambda o, x: o.image.resize(x, (4, 4), pad_to_aspect_ratio=True, fill_value=0.5), [img], G),
    ("resize-cf-unbatched", lambda o, x: o.image.resize(x, (5, 5), data_format="channels_first"),
     [f64(2, 6, 7)], G),
    ("resize-uint8", lambda o, x: o.image.resize(x, (4, 3)),
     [np.random.default_rng(1).integers(0, 255, (1, 6, 5, 3)).astype(np.uint8)], {}),
    ("affine_transform", lambda o, x, t: o.image.affine_transform(x, t), [img, T], G),
    ("affine_transform-nearest-wrap", lambda o, x, t: o.image.affine_transform(x, t, interpolation="nearest",
                                                                                fill_mode="wrap"), [img, T_NEAREST], G),
    ("affine_transform-reflect", lambda o, x, t: o.image.affine_transform(x, t, fill_mode="reflect"), [img, T], G),
    ("affine_transform-mirror", lambda o, x, t: o.image.affine_transform(x, t, fill_mode="mirror"),
     [img[0], T[0]], G),
    ("affine_transform-nearest-fill", lambda o, x, t: o.image.affine_transform(x, t, fill_mode="nearest",
                                                                                fill_value=1.0), [img, T], G),
    ("map_coordinates", lambda o, x, c: o.image.map_coordinates(x, c, 1), [f64(4, 5), f64(2, 3, 3, lo=-1, hi=5)],
     G),
    ("map_coordinates-nearest", lambda o, x, c: o.image.map_coordinates(x, c, 0, fill_mode="nearest"),
     [f64(4, 5), f64(2, 6, lo=-1, hi=5)], G),
    ("map_coordinates-fill", lambda o, x, c: o.image.map_coordinates(x, c, 1, fill_value=2.0),
     [f64(4, 5), f64(2, 6, lo=-2, hi=6)], G),
    ("pad_images", lambda o, x: o.image.pad_images(x, 1, 2, target_height=9, target_width=10), [img], G),
    ("pad_images-cf", lambda o, x: o.image.pad_images(x, 0, 1, 2, 3, data_format="channels_first"),
     [f64(1, 2, 4, 5)], G),
    ("crop_images", lambda o, x: o.image.crop_images(x, 1, 2, target_height=3, target_width=4), [img], G),
    ("crop_images-bottom", lambda o, x: o.image.crop_images(x, 1, 1, 2, 2), [img[0]], G),
    ("extract_patches", lambda o, x: o.image.extract_patches(x, 2), [img], G),
    ("extract_patches-strided-same", lambda o, x: o.image.extract_patches(x, (3, 2), strides=(2, 1),
                                                                          padding="same"), [img], G),
    ("extract_patches_3d", lambda o, x: o.image.extract_patches_3d(x, 2), [f64(1, 4, 4, 4, 2)], G),
    # data_format given: Keras's PyTorch backend reads data_format=None as channels_first here.
    ("gaussian_blur", lambda o, x: o.image.gaussian_blur(x, (3, 3), (1.0, 0.7), data_format="channels_last"),
     [img], G),
    ("gaussian_blur-5-cf", lambda o, x: o.image.gaussian_blur(x, (5, 5), (1.5, 1.5), data_format="channels_first"),
     [img], G),
    ("sobel_edges", lambda o, x: o.image.sobel_edges(x), [img], G),
    ("ssim", lambda o, a, b: o.image.ssim(a, b, filter_size=3), [rgb, np.clip(rgb + 0.1 * f64(*rgb.shape), 0, 1)],
     G),
    ("perspective_transform", lambda o, x, s, e: o.image.perspective_transform(x, s, e),
     [img, np.array([[0, 0], [6, 0], [0, 5], [6, 5]], np.float64),
      np.array([[0.5, 0.2], [6.2, 0.1], [0.1, 4.6], [5.5, 5.3]], np.float64)], dict(grad=True, atol=1e-5)),
    ("scale_and_translate", lambda o, x: o.image.scale_and_translate(x, (2, 9, 5, 2), (1.4, 0.8), (0.3, -0.5),
                                                                     (1, 2), "linear"), [img], G),
    ("scale_and_translate-cubic-down", lambda o, x: o.image.scale_and_translate(x, (2, 3, 4, 2), (0.5, 0.6),
                                                                                (0.0, 0.1), (1, 2), "cubic"),
     [img], G),
]


@pytest.mark.parametrize("fn,args,kw", table_params(ROWS))
def test_image_op_matches_keras(fn, args, kw):
    run(fn, args, **{"rtol": 1e-5, "atol": 1e-6, **kw})


def test_elastic_transform_keeps_shape_and_a_zero_alpha_is_the_identity():
    from ember.keras import ops
    x = f64(1, 8, 8, 1)
    y = ops.image.elastic_transform(x, alpha=0.0, seed=1)
    np.testing.assert_allclose(y.numpy(), x, atol=1e-12)
    z = ops.image.elastic_transform(x, alpha=2.0, sigma=1.0, seed=1)
    assert tuple(z.shape) == x.shape and not np.allclose(z.numpy(), x)
