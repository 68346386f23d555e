"""Transforms against torch ops (interpolate, grid_sample, pad) and hand-computed arrays, on
NumPy arrays, ember Tensors and PIL Images."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from PIL import Image

import ember
from ember.vision import transforms as T
from ember.vision.transforms import InterpolationMode
from ember.vision.transforms import functional as F

RNG = np.random.default_rng(0)
IMG_HWC = RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8)
IMG_HW = RNG.integers(0, 256, (5, 7), dtype=np.uint8)


def test_to_tensor_matches_torch_for_hwc_hw_and_pil():
    out = T.ToTensor()(IMG_HWC)
    want = torch.from_numpy(IMG_HWC.transpose(2, 0, 1).copy()).float().div(255)
    assert out.dtype == ember.float32 and out.shape == (3, 6, 8)
    np.testing.assert_array_equal(out.numpy(), want.numpy())
    gray = T.ToTensor()(IMG_HW)
    assert gray.shape == (1, 5, 7)
    np.testing.assert_array_equal(gray.numpy()[0], torch.from_numpy(IMG_HW).float().div(255))
    np.testing.assert_array_equal(T.ToTensor()(Image.fromarray(IMG_HWC)).numpy(), out.numpy())
    floats = np.full((2, 2), 3.0, dtype=np.float64)
    assert T.ToTensor()(floats).tolist() == [[[3.0, 3.0], [3.0, 3.0]]]  # non-uint8: unscaled
    with pytest.raises(TypeError, match="PIL Image or a NumPy array"):
        T.ToTensor()(ember.zeros(1, 2, 2))


def test_pil_to_tensor_and_to_pil_image_round_trip():
    t = T.PILToTensor()(Image.fromarray(IMG_HWC))
    assert t.dtype == ember.uint8 and t.shape == (3, 6, 8)
    np.testing.assert_array_equal(t.numpy(), IMG_HWC.transpose(2, 0, 1))
    pil = T.ToPILImage()(T.ToTensor()(IMG_HWC))
    np.testing.assert_array_equal(np.asarray(pil), IMG_HWC)
    gray = T.ToPILImage()(ember.from_numpy(IMG_HW[None].copy()))
    assert gray.mode == "L"
    np.testing.assert_array_equal(np.asarray(gray), IMG_HW)
    half = T.ToPILImage()(ember.full((1, 1, 1), 0.999))
    assert np.asarray(half).tolist() == [[254]]  # float * 255 truncated, as torchvision


def test_normalize_matches_torch_and_errors():
    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    mean, std = [0.1, 0.2, 0.3], [0.5, 1.5, 2.0]
    out = T.Normalize(mean, std)(ember.from_numpy(x.copy()))
    want = (torch.from_numpy(x) - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None,
                                                                                        None]
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-6, atol=1e-7)
    t = ember.from_numpy(x.copy())
    assert T.Normalize(mean, std, inplace=True)(t) is t
    np.testing.assert_allclose(t.numpy(), want.numpy(), rtol=1e-6, atol=1e-7)
    with pytest.raises(TypeError, match="ember Tensor"):
        T.Normalize(mean, std)(x)
    with pytest.raises(TypeError, match="float tensor, got ember.uint8"):
        T.Normalize([0], [1])(ember.zeros(1, 2, 2, dtype=ember.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize([0], [0])(ember.zeros(1, 2, 2))


@pytest.mark.parametrize("mode, antialias", [("bilinear", False), ("bilinear", True),
                                             ("bicubic", False), ("bicubic", True),
                                             ("nearest", True), ("nearest-exact", True)])
@pytest.mark.parametrize("size", [(4, 5), (13, 7), (20, 31)])
def test_resize_matches_torch_interpolate(mode, antialias, size):
    x = RNG.standard_normal((2, 3, 10, 12))
    out = T.Resize(size, interpolation=InterpolationMode(mode), antialias=antialias)(
        ember.from_numpy(x.copy()))
    kwargs = {} if mode.startswith("nearest") else {"align_corners": False,
                                                   "antialias": antialias}
    want = TF.interpolate(torch.from_numpy(x), size=size, mode=mode, **kwargs)
    assert out.shape == tuple(want.shape)
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-9, atol=1e-9)


def test_resize_int_size_keeps_aspect_and_uint8_rounds():
    img = np.zeros((30, 40), dtype=np.uint8)
    assert F.resize(img, 20).shape == (20, 26)
    assert F.resize(np.zeros((40, 30, 3), np.uint8), 20).shape == (26, 20, 3)
    assert F.resize(img, 20, max_size=24).shape == (18, 24)
    with pytest.raises(ValueError, match="max_size = 20 must be strictly greater"):
        F.resize(img, 20, max_size=20)
    up = F.resize(np.array([[0, 255]], dtype=np.uint8), [1, 4], antialias=False)
    assert up.dtype == np.uint8 and up.tolist() == [[0, 64, 191, 255]]  # 63.75, 191.25 rounded
    # PIL Images are resized by Pillow, as torchvision does (values checked against
    # torchvision in test_vision_tv_functional.py).
    pil = T.Resize([3, 4])(Image.fromarray(IMG_HWC))
    assert isinstance(pil, Image.Image) and pil.size == (4, 3)


def test_center_crop_hand_computed_and_padded():
    img = np.arange(30, dtype=np.uint8).reshape(5, 6)
    assert T.CenterCrop(2)(img).tolist() == [[14, 15], [20, 21]]  # top round(1.5)=2, left 2
    assert T.CenterCrop((3, 4))(img).tolist() == [[7, 8, 9, 10], [13, 14, 15, 16],
                                                  [19, 20, 21, 22]]
    big = T.CenterCrop((7, 6))(img)
    assert big.shape == (7, 6) and big[0].tolist() == [0] * 6 and big[1].tolist() == img[0].tolist()
    t = T.CenterCrop(2)(ember.from_numpy(np.stack([img, img])))
    assert t.shape == (2, 2, 2) and t.numpy()[1].tolist() == [[14, 15], [20, 21]]


@pytest.mark.parametrize("mode, torch_mode", [("reflect", "reflect"), ("edge", "replicate")])
def test_pad_modes_match_torch_pad(mode, torch_mode):
    x = RNG.standard_normal((3, 5, 6))
    out = T.Pad((1, 2, 3, 4), padding_mode=mode)(ember.from_numpy(x.copy()))
    want = TF.pad(torch.from_numpy(x)[None], (1, 3, 2, 4), mode=torch_mode)[0]
    np.testing.assert_array_equal(out.numpy(), want.numpy())


def test_pad_constant_fill_and_symmetric():
    img = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    assert T.Pad(1, fill=9)(img).tolist() == [[9, 9, 9, 9], [9, 1, 2, 9], [9, 3, 4, 9],
                                              [9, 9, 9, 9]]
    assert T.Pad((1, 0), padding_mode="symmetric")(img).tolist() == [[1, 1, 2, 2], [3, 3, 4, 4]]
    rgb = T.Pad(1, fill=(10, 20, 30))(np.zeros((1, 1, 3), np.uint8))
    assert rgb[0, 0].tolist() == [10, 20, 30] and rgb[1, 1].tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="fill has 2 values but the image has 3 channels"):
        T.Pad(1, fill=(1, 2))(np.zeros((1, 1, 3), np.uint8))


def test_random_crop_is_a_window_and_reproducible():
    img = np.arange(64, dtype=np.uint8).reshape(8, 8)
    crop = T.RandomCrop(4, padding=2)
    ember.manual_seed(0)
    outs = [crop(img) for _ in range(20)]
    padded = np.pad(img, 2)
    for out in outs:
        assert out.shape == (4, 4)
        assert any((padded[i:i + 4, j:j + 4] == out).all() for i in range(9) for j in range(9))
    assert len({o.tobytes() for o in outs}) > 5
    ember.manual_seed(0)
    assert all((crop(img) == o).all() for o in outs)
    grown = T.RandomCrop((10, 9), pad_if_needed=True)(img)
    assert grown.shape == (10, 9)
    with pytest.raises(ValueError, match=r"Required crop size \(10, 9\) is larger than input "
                                         r"image size \(8, 8\)"):
        T.RandomCrop((10, 9))(img)


def test_flips_on_every_kind():
    assert (T.RandomHorizontalFlip(p=1.0)(IMG_HWC) == IMG_HWC[:, ::-1]).all()
    assert (T.RandomVerticalFlip(p=1.0)(IMG_HWC) == IMG_HWC[::-1]).all()
    assert (T.RandomHorizontalFlip(p=0.0)(IMG_HWC) == IMG_HWC).all()
    t = T.RandomHorizontalFlip(p=1.0)(ember.from_numpy(IMG_HWC.transpose(2, 0, 1).copy()))
    np.testing.assert_array_equal(t.numpy(), IMG_HWC[:, ::-1].transpose(2, 0, 1))
    pil = T.RandomVerticalFlip(p=1.0)(Image.fromarray(IMG_HWC))
    np.testing.assert_array_equal(np.asarray(pil), IMG_HWC[::-1])
    ember.manual_seed(5)
    flips = [T.RandomHorizontalFlip()(IMG_HW)[0, 0] != IMG_HW[0, 0] for _ in range(200)]
    assert 70 < sum(flips) < 130
    ember.manual_seed(5)
    assert flips == [T.RandomHorizontalFlip()(IMG_HW)[0, 0] != IMG_HW[0, 0] for _ in range(200)]


@pytest.mark.parametrize("shape", [(4, 4), (5, 5), (4, 6)])
def test_rotate_by_multiples_of_90_matches_rot90(shape):
    img = RNG.integers(0, 256, shape, dtype=np.uint8)
    if shape[0] == shape[1]:
        assert (F.rotate(img, 90) == np.rot90(img)).all()
        assert (F.rotate(img, -90) == np.rot90(img, -1)).all()
    assert (F.rotate(img, 180) == np.rot90(img, 2)).all()
    assert (F.rotate(img, 90, expand=True) == np.rot90(img)).all()


def grid_sample_rotation(x, angle_ccw, mode):
    """The oracle: torch's affine_grid + grid_sample for a counter-clockwise rotation of a
    square image about its centre, zero outside."""
    a = math.radians(angle_ccw)
    theta = torch.tensor([[[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0]]],
                         dtype=torch.float64)
    grid = TF.affine_grid(theta, list(x.shape), align_corners=False)
    return TF.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)


@pytest.mark.parametrize("angle", [17.0, -40.0, 123.0])
def test_rotate_bilinear_matches_grid_sample(angle):
    x = RNG.standard_normal((1, 2, 9, 9))
    ours = F.rotate(ember.from_numpy(x.copy()), angle, interpolation=InterpolationMode.BILINEAR)
    want = grid_sample_rotation(torch.from_numpy(x), angle, "bilinear")
    np.testing.assert_allclose(ours.numpy(), want.numpy(), atol=1e-10)


def test_random_rotation_reproducible_with_fill():
    rot = T.RandomRotation(30, fill=7)
    img = np.zeros((9, 9), np.uint8)
    ember.manual_seed(2)
    a = [rot(img) for _ in range(3)]
    ember.manual_seed(2)
    b = [rot(img) for _ in range(3)]
    assert all((x == y).all() for x, y in zip(a, b))
    assert any((x == 7).any() for x in a)  # corners come from outside the image
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-3)


def test_affine_translation_is_a_shift_with_zeros():
    img = np.arange(1, 21, dtype=np.uint8).reshape(4, 5)
    out = F.affine(img, angle=0, translate=(2, 1), scale=1.0, shear=0)
    want = np.zeros_like(img)
    want[1:, 2:] = img[:-1, :-2]
    np.testing.assert_array_equal(out, want)
    assert (F.affine(img, angle=-90, translate=(0, 0), scale=1.0, shear=0)[:, :4]
            == F.rotate(img, 90)[:, :4]).all()


def test_affine_scale_and_shear_match_grid_sample():
    x = RNG.standard_normal((1, 1, 8, 8))
    angle, scale, shear = 20.0, 1.3, (10.0, -5.0)
    linear, _ = F.affine_matrix(angle, (0, 0), scale, shear)
    inverse = np.linalg.inv(linear)
    theta = torch.tensor([[[inverse[0, 0], inverse[0, 1], 0.0],
                           [inverse[1, 0], inverse[1, 1], 0.0]]])
    grid = TF.affine_grid(theta.double(), [1, 1, 8, 8], align_corners=False)
    want = TF.grid_sample(torch.from_numpy(x), grid, mode="bilinear", align_corners=False)
    ours = F.affine(ember.from_numpy(x.copy()), angle, (0, 0), scale, shear,
                    interpolation=InterpolationMode.BILINEAR)
    np.testing.assert_allclose(ours.numpy(), want.numpy(), atol=1e-10)
    # torchvision's convention: positive angle turns clockwise, i.e. rotate(-angle).
    img = RNG.integers(0, 256, (6, 6), dtype=np.uint8)
    assert (F.affine(img, 90, (0, 0), 1.0, 0) == np.rot90(img, -1)).all()


def test_random_affine_params_ranges_and_reproducibility():
    ember.manual_seed(0)
    for _ in range(50):
        angle, (dx, dy), scale, (sx, sy) = T.RandomAffine.get_params(
            [-10, 10], [0.1, 0.2], [0.9, 1.1], [-5, 5, -3, 3], (28, 28))
        assert -10 <= angle <= 10 and abs(dx) <= 3 and abs(dy) <= 6
        assert 0.9 <= scale <= 1.1 and -5 <= sx <= 5 and -3 <= sy <= 3
        assert isinstance(dx, int)
    t = T.RandomAffine(15, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=8)
    img = RNG.integers(0, 256, (12, 12, 3), dtype=np.uint8)
    ember.manual_seed(1)
    a = t(img)
    ember.manual_seed(1)
    b = t(Image.fromarray(img))
    assert a.shape == img.shape and (np.asarray(b) == a).all()
    with pytest.raises(ValueError, match="translate should be a sequence"):
        T.RandomAffine(0, translate=(1.5, 0))


def test_same_result_for_numpy_tensor_and_pil():
    # Resize is left out: PIL Images are resized by Pillow, as torchvision does.
    pipeline = T.Compose([T.Pad(2, padding_mode="reflect"), T.CenterCrop(7),
                          T.RandomRotation(20)])
    ember.manual_seed(3)
    a = pipeline(IMG_HWC)
    ember.manual_seed(3)
    b = pipeline(ember.from_numpy(IMG_HWC.transpose(2, 0, 1).copy()))
    ember.manual_seed(3)
    c = pipeline(Image.fromarray(IMG_HWC))
    np.testing.assert_array_equal(b.numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(np.asarray(c), a)
    assert "Compose(\n    Pad(" in repr(pipeline)


def test_bad_inputs_name_what_was_given():
    with pytest.raises(TypeError, match="got list"):
        F.hflip([[1, 2]])
    with pytest.raises(ValueError, match=r"got shape \(1, 2, 3, 4\)"):
        F.hflip(np.zeros((1, 2, 3, 4)))
    with pytest.raises(TypeError, match="should be callable"):
        T.Lambda(3)
    assert T.Lambda(lambda x: x * 2)(3) == 6
