"""The random torchvision transforms of ember.vision: each is exactly its functional op (checked
against torchvision in test_vision_tv_functional.py) at the parameters its get_params draws,
the draws follow torchvision's distributions, and ember.manual_seed repeats them."""
import math
import random

import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F

RNG = np.random.default_rng(7)
U8 = RNG.integers(0, 256, (3, 12, 14), dtype=np.uint8)
F32 = RNG.random((3, 12, 14), dtype=np.float32)


def tensor(arr):
    return ember.from_numpy(arr.copy())


def same(a, b):
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, ember.Tensor):
        return a.dtype == b.dtype and np.array_equal(a.numpy(), b.numpy())
    return np.array_equal(np.asarray(a), np.asarray(b))


def test_color_jitter_is_the_adjust_ops_in_the_drawn_order():
    jitter = T.ColorJitter(brightness=0.4, contrast=(0.5, 1.5), saturation=0.3, hue=0.2)
    assert jitter.brightness == (0.6, 1.4) and jitter.hue == (-0.2, 0.2)
    ops = [F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue]
    for img in (tensor(U8), tensor(F32), Image.fromarray(U8.transpose(1, 2, 0))):
        ember.manual_seed(11)
        order, *factors = jitter.get_params(jitter.brightness, jitter.contrast,
                                            jitter.saturation, jitter.hue)
        want = img
        for i in order:
            want = ops[i](want, factors[i])
        ember.manual_seed(11)
        assert same(jitter(img), want)
    ember.manual_seed(0)
    draws = [jitter.get_params(jitter.brightness, jitter.contrast, jitter.saturation,
                               jitter.hue) for _ in range(400)]
    assert all(sorted(d[0]) == [0, 1, 2, 3] for d in draws)
    assert len({tuple(d[0]) for d in draws}) > 12  # orders vary
    b = np.array([d[1] for d in draws])
    h = np.array([d[4] for d in draws])
    assert 0.6 <= b.min() and b.max() <= 1.4 and abs(b.mean() - 1.0) < 0.04
    assert -0.2 <= h.min() and h.max() <= 0.2 and abs(h.mean()) < 0.02


def test_color_jitter_ranges_and_errors():
    assert T.ColorJitter(brightness=1.5).brightness == (0.0, 2.5)  # clipped at zero
    assert T.ColorJitter().brightness is None and T.ColorJitter(hue=(0, 0)).hue is None
    assert T.ColorJitter(contrast=(1, 1)).contrast is None
    with pytest.raises(ValueError, match="must be non negative"):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError, match=r"hue values should be between \(-0.5, 0.5\)"):
        T.ColorJitter(hue=0.6)
    jitter = T.ColorJitter(saturation=(0.0, 0.0))
    out = jitter(tensor(U8))
    assert same(out, F.adjust_saturation(tensor(U8), 0.0))


@pytest.mark.parametrize("make, op", [
    (lambda: T.RandomInvert(p=0.5), lambda x: F.invert(x)),
    (lambda: T.RandomPosterize(3, p=0.5), lambda x: F.posterize(x, 3)),
    (lambda: T.RandomSolarize(100, p=0.5), lambda x: F.solarize(x, 100)),
    (lambda: T.RandomAdjustSharpness(2.0, p=0.5), lambda x: F.adjust_sharpness(x, 2.0)),
    (lambda: T.RandomAutocontrast(p=0.5), lambda x: F.autocontrast(x)),
    (lambda: T.RandomEqualize(p=0.5), lambda x: F.equalize(x)),
    (lambda: T.RandomGrayscale(p=0.5), lambda x: F.rgb_to_grayscale(x, 3)),
])
def test_random_colour_ops_apply_with_probability_p(make, op):
    t = make()
    # Large enough for equalize (which leaves images of < 255 pixels a channel unchanged) and
    # not spanning [0, 255], so that every op changes it.
    img = tensor(RNG.integers(40, 170, (3, 24, 24), dtype=np.uint8))
    assert not same(op(img), img)
    ember.manual_seed(3)
    outs = [t(img) for _ in range(200)]
    applied = [same(o, op(img)) for o in outs]
    assert all(a or same(o, img) for a, o in zip(applied, outs))
    assert 70 < sum(applied) < 130
    ember.manual_seed(3)
    assert all(same(t(img), o) for o in outs[:20])
    assert same(make().__class__(*_args(t), p=1.0)(img), op(img))
    assert same(make().__class__(*_args(t), p=0.0)(img), img)


def _args(t):
    for name in ("bits", "threshold", "sharpness_factor"):
        if hasattr(t, name):
            return (getattr(t, name),)
    return ()


def test_grayscale_and_random_grayscale_keep_channel_count():
    assert T.Grayscale()(tensor(U8)).shape == (1, 12, 14)
    assert T.Grayscale(3)(tensor(U8)).shape == (3, 12, 14)
    pil = T.Grayscale()(Image.fromarray(U8.transpose(1, 2, 0)))
    assert pil.mode == "L"
    gray = T.RandomGrayscale(p=1.0)(tensor(U8[:1]))
    assert gray.shape == (1, 12, 14)
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        F.rgb_to_grayscale(tensor(U8), 2)


def test_gaussian_blur_draws_sigma_uniformly():
    blur = T.GaussianBlur((5, 3), sigma=(0.5, 1.5))
    assert blur.kernel_size == (5, 3)
    ember.manual_seed(4)
    sigma = blur.get_params(*blur.sigma)
    ember.manual_seed(4)
    assert same(blur(tensor(U8)), F.gaussian_blur(tensor(U8), [5, 3], [sigma, sigma]))
    ember.manual_seed(0)
    sigmas = np.array([blur.get_params(0.5, 1.5) for _ in range(500)])
    assert 0.5 <= sigmas.min() and sigmas.max() <= 1.5 and abs(sigmas.mean() - 1.0) < 0.05
    assert T.GaussianBlur(3, sigma=0.7).sigma == (0.7, 0.7)
    with pytest.raises(ValueError, match="odd and positive"):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match=r"of the form \(min, max\)"):
        T.GaussianBlur(3, sigma=(2.0, 1.0))
    with pytest.raises(ValueError, match="kernel_size should have odd and positive integers"):
        F.gaussian_blur(tensor(U8), [3, 2])


def test_random_resized_crop_params_and_output():
    rrc = T.RandomResizedCrop((5, 6), scale=(0.2, 0.9), ratio=(0.5, 2.0))
    img = tensor(F32)
    ember.manual_seed(5)
    params = rrc.get_params(img, rrc.scale, rrc.ratio)
    ember.manual_seed(5)
    assert same(rrc(img), F.resized_crop(img, *params, [5, 6]))
    ember.manual_seed(0)
    h_img, w_img = 12, 14
    for _ in range(300):
        top, left, h, w = rrc.get_params(img, rrc.scale, rrc.ratio)
        assert 0 <= top and top + h <= h_img and 0 <= left and left + w <= w_img
        area = h * w / (h_img * w_img)
        # Rounding h and w to ints moves the area and ratio a little off their ranges.
        assert 0.1 < area < 1.0 and 0.3 < w / h < 3.0
    # No draw fits an image far wider than any allowed ratio: the central crop at ratio 2.
    assert rrc.get_params(tensor(np.zeros((1, 4, 40))), (0.9, 1.0), (0.5, 2.0)) == (0, 16, 4, 8)
    assert rrc.get_params(tensor(np.zeros((1, 40, 4))), (0.9, 1.0), (0.5, 2.0)) == (16, 0, 8, 4)


def test_random_perspective_corners_and_op():
    t = T.RandomPerspective(distortion_scale=0.6, p=1.0, fill=0.25)
    img = tensor(F32)
    ember.manual_seed(6)
    start, end = t.get_params(14, 12, 0.6)
    ember.manual_seed(6)
    _ = ember.random._get_rng(None).random()  # the p draw comes first
    start, end = t.get_params(14, 12, 0.6)
    ember.manual_seed(6)
    assert same(t(img), F.perspective(img, start, end, fill=[0.25] * 3))
    assert start == [[0, 0], [13, 0], [13, 11], [0, 11]]
    ember.manual_seed(0)
    dx, dy = int(0.6 * 7), int(0.6 * 6)
    for _ in range(200):
        _, (tl, tr, br, bl) = t.get_params(14, 12, 0.6)
        assert 0 <= tl[0] <= dx and 0 <= tl[1] <= dy and 14 - dx - 1 <= tr[0] <= 13
        assert 12 - dy - 1 <= br[1] <= 11 and 0 <= bl[0] <= dx and 12 - dy - 1 <= bl[1] <= 11
    assert same(T.RandomPerspective(p=0.0)(img), img)


def test_elastic_transform_displacement_and_op():
    t = T.ElasticTransform(alpha=8.0, sigma=1.0, fill=0.5)
    img = tensor(F32)
    ember.manual_seed(8)
    disp = t.get_params(t.alpha, t.sigma, [12, 14])
    ember.manual_seed(8)
    assert same(t(img), F.elastic_transform(img, disp, fill=[0.5]))
    d = disp.numpy()
    assert d.shape == (1, 12, 14, 2) and d.dtype == np.float32
    # Blurred uniform [-1, 1] noise times alpha / size: dx by the width, dy by the height.
    assert np.abs(d[..., 0]).max() <= 8.0 / 14 and np.abs(d[..., 1]).max() <= 8.0 / 12
    ember.manual_seed(8)
    raw = ember.random._get_rng(None).random((1, 1, 12, 14), dtype=np.float32) * 2 - 1
    blurred = F.gaussian_blur(ember.from_numpy(raw), [9, 9], [1.0, 1.0]).numpy()
    np.testing.assert_allclose(d[0, ..., 0], blurred[0, 0] * np.float32(8.0) / 14, rtol=1e-6)
    zero = F.elastic_transform(img, np.zeros((1, 12, 14, 2)))
    np.testing.assert_allclose(zero.numpy(), F32, atol=1e-6)  # no displacement: identity


def test_random_erasing_region_and_values():
    t = T.RandomErasing(p=1.0, scale=(0.1, 0.2), ratio=(0.5, 2.0), value=(1.0, 2.0, 3.0))
    img = tensor(F32)
    ember.manual_seed(9)
    _ = ember.random._get_rng(None).random()
    top, left, h, w, v = t.get_params(img, t.scale, t.ratio, [1.0, 2.0, 3.0])
    ember.manual_seed(9)
    out = t(img)
    assert same(out, F.erase(img, top, left, h, w, v))
    assert (out.numpy()[:, top:top + h, left:left + w] == np.array([1, 2, 3])[:, None, None]).all()
    assert same(img, tensor(F32))  # not in place
    ember.manual_seed(0)
    for _ in range(200):
        top, left, h, w, _v = t.get_params(img, t.scale, t.ratio, [0.0])
        assert top + h <= 12 and left + w <= 14 and 0.05 < h * w / 168 < 0.3
    noise = T.RandomErasing(p=1.0, value="random")(tensor(np.zeros((3, 12, 14), np.float32)))
    assert (noise.numpy() != 0).any()
    inplace = tensor(F32)
    assert T.RandomErasing(p=1.0, inplace=True)(inplace) is inplace
    with pytest.raises(ValueError, match="should have either a single value or 3"):
        T.RandomErasing(p=1.0, value=(1, 2))(tensor(F32))
    with pytest.raises(TypeError, match="ember Tensor"):
        T.RandomErasing(p=1.0)(U8)
    with pytest.raises(ValueError, match="Scale should be between 0 and 1"):
        T.RandomErasing(scale=(0.5, 1.5))


def test_five_and_ten_crop_and_errors():
    crops = T.FiveCrop(4)(tensor(U8))
    assert len(crops) == 5 and same(crops[0], F.crop(tensor(U8), 0, 0, 4, 4))
    assert same(crops[3], F.crop(tensor(U8), 8, 10, 4, 4))
    ten = T.TenCrop((4, 5))(tensor(U8))
    assert len(ten) == 10 and same(ten[5], F.crop(F.hflip(tensor(U8)), 0, 0, 4, 5))
    with pytest.raises(ValueError, match="bigger than input size"):
        T.FiveCrop(13)(tensor(U8))


def test_linear_transformation_is_the_flattened_product():
    rng = np.random.default_rng(1)
    m = rng.standard_normal((12, 12)).astype(np.float32)
    mean = rng.standard_normal(12).astype(np.float32)
    x = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
    t = T.LinearTransformation(ember.from_numpy(m), ember.from_numpy(mean))
    out = t(ember.from_numpy(x))
    np.testing.assert_allclose(out.numpy(), ((x.reshape(-1, 12) - mean) @ m).reshape(x.shape),
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="should be square"):
        T.LinearTransformation(ember.zeros(2, 3), ember.zeros(2))
    with pytest.raises(ValueError, match="incompatible shape"):
        t(ember.zeros(1, 2, 2))


def test_containers():
    add1, double = T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 2)
    ember.manual_seed(0)
    applied = [T.RandomApply([add1, double], p=0.3)(1) for _ in range(300)]
    assert set(applied) == {1, 4} and 60 < applied.count(4) < 120
    random.seed(0)
    picks = [T.RandomChoice([add1, double], p=[0.9, 0.1])(5) for _ in range(300)]
    assert set(picks) == {6, 10} and picks.count(6) > 240
    random.seed(0)
    assert picks == [T.RandomChoice([add1, double], p=[0.9, 0.1])(5) for _ in range(300)]
    orders = {T.RandomOrder([add1, double])(1) for _ in range(50)}
    assert orders == {3, 4}  # (1 * 2) + 1 and (1 + 1) * 2
    with pytest.raises(TypeError, match="p should be a sequence"):
        T.RandomChoice([add1], p=0.5)


def test_convert_image_dtype_transform():
    out = T.ConvertImageDtype(ember.float32)(tensor(U8))
    np.testing.assert_array_equal(out.numpy(), U8.astype(np.float32) / np.float32(255))
    back = T.ConvertImageDtype(ember.uint8)(out)
    np.testing.assert_array_equal(back.numpy(), U8)
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(tensor(F32), ember.int32)
    with pytest.raises(TypeError, match="expected an ember Tensor, got PIL Image"):
        F.convert_image_dtype(Image.fromarray(U8.transpose(1, 2, 0)))


def test_functional_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"brightness_factor \(-1\) is not non-negative"):
        F.adjust_brightness(tensor(U8), -1)
    with pytest.raises(ValueError, match=r"hue_factor \(0.7\) is not in \[-0.5, 0.5\]"):
        F.adjust_hue(tensor(U8), 0.7)
    with pytest.raises(TypeError, match="only uint8 images are supported, got float32"):
        F.equalize(tensor(F32))
    with pytest.raises(TypeError, match="channels, got 2"):
        F.adjust_contrast(tensor(U8[:2]), 1.0)
    with pytest.raises(ValueError, match=r"displacement should have shape \(1, 12, 14, 2\)"):
        F.elastic_transform(tensor(F32), np.zeros((1, 3, 3, 2)))
    with pytest.raises(ValueError, match="4 points each"):
        F.perspective(tensor(F32), [[0, 0]], [[0, 0]])
    assert math.isclose(F.get_image_size(tensor(U8))[0], 14)
