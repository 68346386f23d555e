"""``ember.keras.visualization`` against Keras 3's ``keras.visualization`` on the same images and masks: the
drawn arrays, and for the galleries the grid, the pixels and titles of every matplotlib axis."""
import numpy as np
import pytest

from ember.keras import visualization as ev


@pytest.fixture(scope="module")
def kv():
    import keras
    return keras.visualization


def _np(x):
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def _data(seed=0, batch=3, classes=4):
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 255, (batch, 5, 6, 3)).astype(np.float32)
    masks = rng.integers(-1, classes, (batch, 5, 6, 1)).astype(np.int32)
    return images, masks


@pytest.mark.parametrize("kwargs", [{"num_classes": 4}, {"num_classes": 5, "alpha": 0.3}, {"blend": False, "num_classes": 4},
                                    {"ignore_index": 2, "num_classes": 4},
                                    {"num_classes": 3, "color_mapping": {0: [9, 8, 7], 1: [1, 2, 3], 2: [250, 0, 5]}}])
def test_draw_segmentation_masks(kv, kwargs):
    images, masks = _data(classes=kwargs["num_classes"])
    ours, theirs = _np(ev.draw_segmentation_masks(images, masks, **kwargs)), \
        _np(kv.draw_segmentation_masks(images, masks, **kwargs))
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_allclose(ours.astype(np.float64), theirs.astype(np.float64), atol=1e-4)
    first = _np(ev.draw_segmentation_masks(images.transpose(0, 3, 1, 2), masks.transpose(0, 3, 1, 2),
                                                         data_format="channels_first", **kwargs))
    np.testing.assert_array_equal(first, ours)


def test_draw_segmentation_masks_errors(kv):
    images, masks = _data()
    with pytest.raises(ValueError, match="4D"):
        ev.draw_segmentation_masks(images[0], masks)
    with pytest.raises(RuntimeError):  # num_classes=None is the largest class: Keras's one_hot rejects it
        kv.draw_segmentation_masks(images, masks)
    with pytest.raises(ValueError, match="num_classes"):
        ev.draw_segmentation_masks(images, masks)
    with pytest.raises(TypeError, match="integer"):
        ev.draw_segmentation_masks(images, masks.astype(np.float32))


def _figure(fn, *args, **kwargs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.close("all")
    fn(*args, show=False, **kwargs)
    fig = plt.gcf()
    out = [(ax.get_title(), ax.get_images()[0].get_array().copy()) for ax in fig.axes if ax.get_images()]
    size = tuple(fig.get_size_inches())
    plt.close("all")
    return size, out


def _same_figure(ours, theirs):
    assert ours[0] == theirs[0] and len(ours[1]) == len(theirs[1]) > 0
    for (t1, a1), (t2, a2) in zip(ours[1], theirs[1]):
        assert t1 == t2
        np.testing.assert_array_equal(np.asarray(a1), np.asarray(a2))


@pytest.mark.parametrize("kwargs", [{}, {"rows": 1, "cols": 3, "value_range": (0, 1), "scale": 1},
                                    {"y_true": np.array([0, 1, 2]), "y_pred": np.array([1, 1]),
                                     "label_map": {0: "cat", 1: "dog"}}])
def test_plot_image_gallery(kv, kwargs):
    images = _data(batch=4)[0]
    if kwargs.get("value_range") == (0, 1):
        images = images / 255.0
    _same_figure(_figure(ev.plot_image_gallery, images, **kwargs),
                 _figure(kv.plot_image_gallery, images, **kwargs))


def test_plot_image_gallery_saves_and_checks(tmp_path):
    images = _data(batch=2)[0]
    path = tmp_path / "g.png"
    ev.plot_image_gallery(images, path=str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="label_map"):
        ev.plot_image_gallery(images, y_true=np.array([0, 1]))
    with pytest.raises(ValueError, match="path"):
        ev.plot_image_gallery(images, path=str(path), show=True)


@pytest.mark.parametrize("which", [("y_true",), ("y_pred",), ("y_true", "y_pred")])
def test_plot_segmentation_mask_gallery(kv, which):
    images, masks = _data(batch=2)
    kwargs = {name: masks for name in which}
    _same_figure(_figure(ev.plot_segmentation_mask_gallery, images, 4, **kwargs),
                 _figure(kv.plot_segmentation_mask_gallery, images, 4, **kwargs))
