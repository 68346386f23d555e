"""``ember.keras.visualization.draw_bounding_boxes`` / ``plot_bounding_box_gallery`` against Keras 3's on the
same images and boxes: every pixel of the drawn images (box formats, labels with and without confidences,
padding boxes, float and uint8 images, channels_first, line and text thickness), the galleries' axes and
titles, and the errors."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember.keras import visualization as ev  # noqa: E402

from .test_keras_visualization import _figure, _same_figure  # noqa: E402


@pytest.fixture(scope="module")
def kv():
    import keras
    return keras.visualization


def _boxes(fmt, confidences=False):
    xyxy = np.array([[[2, 3, 20, 15], [10, 1, 30, 22], [0, 0, 5, 5]],
                     [[5, 12, 28, 23], [1, 1, 8, 9], [3, 4, 6, 7]]], np.float32)
    labels = np.array([[0, 1, -1], [2, 0, 1]], np.int32)
    from keras.utils import bounding_boxes
    out = {"boxes": np.asarray(bounding_boxes.convert_format(xyxy, "xyxy", fmt, height=24, width=32)),
           "labels": labels}
    if confidences:
        out["confidences"] = np.array([[0.9, 0.25, 1.0], [0.5, 0.125, 0.75]], np.float32)
    return out


def _images(kind):
    rng = np.random.default_rng(0)
    if kind == "uint8":
        return rng.integers(0, 256, (2, 24, 32, 3)).astype(np.uint8)
    if kind == "unit":
        return rng.random((2, 24, 32, 3)).astype(np.float32)
    return rng.uniform(0, 300, (2, 24, 32, 3)).astype(np.float32)


CASES = [
    ("xyxy", "uint8", {}),
    ("rel_yxyx", "unit", {"class_mapping": {0: "cat", 1: "dog", 2: "car"}, "color": (255, 0, 0)}),
    ("center_xywh", "wide", {"class_mapping": {0: "a", 2: "c"}, "line_thickness": 1, "text_thickness": 2,
                             "font_scale": 0.4}),
    ("xywh", "uint8", {"class_mapping": {0: "cat", 1: "dog"}, "line_thickness": 3, "text_thickness": None}),
]


@pytest.mark.parametrize("fmt,kind,kwargs", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("confidences", [False, True])
def test_draw_bounding_boxes_matches_keras(kv, fmt, kind, kwargs, confidences):
    images, boxes = _images(kind), _boxes(fmt, confidences)
    theirs = kv.draw_bounding_boxes(images.copy(), dict(boxes), fmt, **kwargs)
    ours = ev.draw_bounding_boxes(images.copy(), dict(boxes), fmt, **kwargs)
    assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype == np.uint8
    np.testing.assert_array_equal(ours, theirs)
    assert (ours != np.clip(images * (255 if kind == "unit" else 1), 0, 255).astype(np.uint8)).any()


def test_draw_bounding_boxes_channels_first_and_errors(kv):
    images, boxes = _images("uint8"), _boxes("xyxy")
    first = images.transpose(0, 3, 1, 2).copy()
    # Keras 3.15 hands the channels-first array to OpenCV as it is (which refuses 24 "channels"); ember draws
    # it channels-last and returns it channels-first: Keras's channels-last pixels, transposed.
    ours = ev.draw_bounding_boxes(first, dict(boxes), "xyxy", data_format="channels_first")
    assert ours.shape == first.shape
    np.testing.assert_array_equal(ours.transpose(0, 2, 3, 1), kv.draw_bounding_boxes(images.copy(), dict(boxes),
                                                                                     "xyxy"))
    for fn in (ev.draw_bounding_boxes, kv.draw_bounding_boxes):
        with pytest.raises(ValueError, match="4D"):
            fn(images[0], dict(boxes), "xyxy")
        with pytest.raises(TypeError, match="dict"):
            fn(images, boxes["boxes"], "xyxy")
        with pytest.raises(ValueError, match="'labels'"):
            fn(images, {"boxes": boxes["boxes"]}, "xyxy")


@pytest.mark.parametrize("kwargs", [{"y_true": "xyxy"}, {"y_true": "xyxy", "y_pred": "xyxy", "legend": True,
                                                          "class_mapping": {0: "cat", 1: "dog", 2: "car"}},
                                    {"y_pred": "xyxy", "prediction_mapping": {1: "dog"}, "rows": 1, "cols": 2,
                                     "value_range": (0, 1), "line_thickness": 1}])
def test_plot_bounding_box_gallery_matches_keras(kv, kwargs):
    images = _images("unit" if kwargs.get("value_range") == (0, 1) else "uint8")
    kwargs = {k: (_boxes(v) if k in ("y_true", "y_pred") else v) for k, v in kwargs.items()}
    _same_figure(_figure(ev.plot_bounding_box_gallery, images, "xyxy", **kwargs),
                 _figure(kv.plot_bounding_box_gallery, images, "xyxy", **kwargs))


def test_plot_bounding_box_gallery_rejects_legend_with_handles(kv):
    from matplotlib import patches
    handles = [patches.Patch(color="red", label="x")]
    for fn in (ev.plot_bounding_box_gallery, kv.plot_bounding_box_gallery):
        with pytest.raises(ValueError, match="legend"):
            fn(_images("uint8"), "xyxy", legend=True, legend_handles=handles, show=False)
