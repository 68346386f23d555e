"""Bounding boxes through the geometric preprocessing layers, against real Keras 3 (torch backend): Keras draws
a transformation (``get_random_transformation``), both frameworks apply that same transformation to the images
and to the boxes (``transform_images`` / ``transform_bounding_boxes``), and the boxes and labels (-1 for a box
pushed out of the image) must agree in several box formats. Whole dict calls are compared where the draw is
fixed (factors with equal bounds, deterministic layers) and at inference."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ember import keras as ek  # noqa: E402

IMAGES = np.random.default_rng(0).random((2, 12, 16, 3)).astype("float32") * 255
BOXES = np.array([[[1, 2, 8, 9], [4, 3, 15, 11], [-1, -1, -1, -1]], [[0, 0, 5, 5], [6, 1, 14, 10], [2, 6, 12, 12]]],
                 "float32")
LABELS = np.array([[1, 2, -1], [0, 3, 1]], "int32")
FORMATS = ["xyxy", "xywh", "rel_xyxy", "center_yxhw"]

LAYERS = {
    "RandomFlip": lambda K, f: K.layers.RandomFlip("horizontal_and_vertical", bounding_box_format=f, seed=1),
    "RandomFlip_horizontal": lambda K, f: K.layers.RandomFlip("horizontal", bounding_box_format=f, seed=1),
    "RandomFlip_vertical": lambda K, f: K.layers.RandomFlip("vertical", bounding_box_format=f, seed=2),
    "RandomTranslation": lambda K, f: K.layers.RandomTranslation(0.3, 0.3, bounding_box_format=f, seed=1),
    "RandomRotation": lambda K, f: K.layers.RandomRotation(0.2, bounding_box_format=f, seed=1),
    "RandomZoom": lambda K, f: K.layers.RandomZoom((-0.4, 0.4), bounding_box_format=f, seed=1),
    "RandomZoom_width": lambda K, f: K.layers.RandomZoom((-0.4, 0.4), (-0.3, 0.5), bounding_box_format=f, seed=1),
    "Resizing": lambda K, f: K.layers.Resizing(8, 10, bounding_box_format=f),
    "Resizing_crop": lambda K, f: K.layers.Resizing(8, 8, crop_to_aspect_ratio=True, bounding_box_format=f),
    "Resizing_pad": lambda K, f: K.layers.Resizing(8, 8, pad_to_aspect_ratio=True, bounding_box_format=f),
    "CenterCrop": lambda K, f: K.layers.CenterCrop(8, 10, bounding_box_format=f),
    "CenterCrop_upscale": lambda K, f: K.layers.CenterCrop(14, 10, bounding_box_format=f),
    "RandomCrop": lambda K, f: K.layers.RandomCrop(7, 9, bounding_box_format=f, seed=1),
    "RandomCrop_upscale": lambda K, f: K.layers.RandomCrop(14, 10, bounding_box_format=f, seed=1),
    "RandomShear": lambda K, f: K.layers.RandomShear(0.3, 0.2, bounding_box_format=f, seed=1),
    "RandomShear_x": lambda K, f: K.layers.RandomShear(x_factor=(0.1, 0.4), bounding_box_format=f, seed=2),
}


def _np(x):
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(_np(v) for v in x)
    if torch.is_tensor(x):
        return x.detach().cpu().numpy()
    return np.asarray(x.numpy()) if hasattr(x, "numpy") else x


def _boxes(fmt, boxes=BOXES):
    return _np(keras.utils.bounding_boxes.convert_format(boxes.copy(), "xyxy", fmt, height=12, width=16))


def _check(got, expected):
    np.testing.assert_allclose(_np(got["boxes"]), _np(expected["boxes"]), rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(_np(got["labels"]), _np(expected["labels"]))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_keras_transformation_moves_boxes_and_images_alike(name, fmt):
    k_layer, e_layer = LAYERS[name](keras, fmt), LAYERS[name](ek, fmt)
    boxes = _boxes(fmt)
    data = {"images": IMAGES, "bounding_boxes": {"boxes": boxes, "labels": LABELS}}
    t = _np(k_layer.get_random_transformation(data, training=True))
    expected = k_layer.transform_bounding_boxes({"boxes": torch.tensor(boxes), "labels": torch.tensor(LABELS)}, t,
                                                training=True)
    got = e_layer.transform_bounding_boxes({"boxes": boxes.copy(), "labels": LABELS.copy()}, t, training=True)
    _check(got, expected)
    np.testing.assert_allclose(_np(e_layer.transform_images(IMAGES, t, training=True)),
                               _np(k_layer.transform_images(torch.tensor(IMAGES), t, training=True)), atol=1e-3)


FIXED = {
    "RandomTranslation": lambda K: K.layers.RandomTranslation((0.25, 0.25), (-0.25, -0.25), bounding_box_format="xywh"),
    "RandomRotation": lambda K: K.layers.RandomRotation((0.25, 0.25), bounding_box_format="xyxy"),
    "RandomZoom": lambda K: K.layers.RandomZoom((0.5, 0.5), (-0.25, -0.25), bounding_box_format="rel_xyxy"),
    "Resizing": lambda K: K.layers.Resizing(6, 20, bounding_box_format="center_xywh"),
    "CenterCrop": lambda K: K.layers.CenterCrop(10, 10, bounding_box_format="xyxy"),
    "RandomCrop": lambda K: K.layers.RandomCrop(13, 18, bounding_box_format="xywh"),
}


@pytest.mark.parametrize("batched", [True, False], ids=["batch", "single"])
@pytest.mark.parametrize("name", sorted(FIXED))
def test_dict_call_with_a_fixed_draw_equals_keras(name, batched):
    fmt = FIXED[name](keras).bounding_box_format
    boxes, labels, images = _boxes(fmt), LABELS, IMAGES
    if not batched:
        boxes, labels, images = boxes[1], labels[1], images[1]
    outs = []
    for K in (keras, ek):
        data = {"images": images.copy(), "bounding_boxes": {"boxes": boxes.copy(), "labels": labels.copy()},
                "labels": np.array([1.0, 0.0])}
        outs.append(_np(FIXED[name](K)(data, training=True)))
    expected, got = outs
    _check(got["bounding_boxes"], expected["bounding_boxes"])
    np.testing.assert_allclose(got["images"], expected["images"], atol=1e-3)
    np.testing.assert_array_equal(got["labels"], expected["labels"])


@pytest.mark.parametrize("name", ["RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom", "RandomCrop",
                                  "RandomShear"])
def test_random_layers_pass_boxes_through_at_inference_as_keras(name):
    outs = []
    for K in (keras, ek):
        data = {"images": IMAGES.copy(), "bounding_boxes": {"boxes": _boxes("xywh"), "labels": LABELS.copy()}}
        outs.append(_np(LAYERS[name](K, "xywh")(data, training=False)))
    _check(outs[1]["bounding_boxes"], outs[0]["bounding_boxes"])
    np.testing.assert_allclose(outs[1]["images"], outs[0]["images"])


def test_random_flip_draw_flips_boxes_with_the_image():
    """One draw per image moves both: a flipped image comes with mirrored boxes, an unflipped one with the same."""
    layer = ek.layers.RandomFlip("horizontal", bounding_box_format="xyxy", seed=3)
    out = _np(layer({"images": IMAGES, "bounding_boxes": {"boxes": BOXES, "labels": LABELS}}))
    for image, flipped, boxes, moved in zip(IMAGES, out["images"], BOXES, out["bounding_boxes"]["boxes"]):
        if np.allclose(flipped, image):
            np.testing.assert_allclose(moved[:2], boxes[:2])
        else:
            np.testing.assert_allclose(flipped, image[:, ::-1])
            np.testing.assert_allclose(moved[:2], np.stack([16 - boxes[:2, 2], boxes[:2, 1], 16 - boxes[:2, 0],
                                                            boxes[:2, 3]], -1))


def test_bounding_boxes_need_a_format_as_in_keras():
    for K in (keras, ek):
        with pytest.raises(ValueError, match="bounding_box_format"):
            K.layers.RandomFlip()({"images": IMAGES, "bounding_boxes": {"boxes": BOXES, "labels": LABELS}})
    assert ek.layers.RandomZoom(0.1, bounding_box_format="xyxy").get_config()["bounding_box_format"] == "xyxy"


@pytest.mark.parametrize("training", [True, False])
def test_geometric_layers_cast_pixels_to_their_dtype_as_keras(training):
    pixels = np.arange(9, dtype="uint8").reshape(1, 3, 3, 1)
    makers = [lambda K: K.layers.RandomFlip(), lambda K: K.layers.RandomZoom(0.1), lambda K: K.layers.RandomCrop(2, 2),
              lambda K: K.layers.RandomTranslation(0.1, 0.1), lambda K: K.layers.RandomRotation(0.1),
              lambda K: K.layers.RandomShear(0.1)]
    for make in makers:
        dtypes = [str(make(K)(pixels, training=training).dtype).split(".")[-1] for K in (keras, ek)]
        assert dtypes[1] == dtypes[0], (type(make(ek)).__name__, dtypes)
