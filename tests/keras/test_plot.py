"""ember.plot writes the PNG pictures (read back with matplotlib) and says how to install matplotlib."""
import sys

import numpy as np
import pytest

from ember import plot

PNG = b"\x89PNG\r\n\x1a\n"


def _png(path):
    with open(path, "rb") as f:
        assert f.read(8) == PNG
    import matplotlib.image
    img = matplotlib.image.imread(path)
    assert img.ndim == 3 and img.shape[0] > 50 and img.shape[1] > 50
    return img


def test_plot_history_from_a_fit(tmp_path):
    from ember import keras
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype(np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, (x[:, 0] > 0).astype(int), epochs=3, validation_split=0.25, verbose=0)
    img = _png(plot.plot_history(history, str(tmp_path / "h.png")))
    assert img.shape[1] > 1.5 * img.shape[0]  # two panels side by side: accuracy and loss
    with pytest.raises(KeyError, match="no 'auc'"):
        plot.plot_history(history, str(tmp_path / "x.png"), metrics=["auc"])


def test_confusion_matrix_counts_and_picture(tmp_path):
    y_true = np.array([0, 1, 2, 2, 1, 0])
    scores = np.eye(3)[[0, 2, 2, 2, 1, 1]]
    np.testing.assert_array_equal(plot.confusion_matrix(y_true, scores), [[1, 1, 0], [0, 1, 1], [0, 0, 2]])
    _png(plot.plot_confusion_matrix(y_true, scores, str(tmp_path / "cm.png"), class_names=["a", "b", "c"]))
    _png(plot.plot_confusion_matrix(y_true, scores.argmax(1), str(tmp_path / "cmn.png"), normalize=True))


def test_misclassified_grid_and_filters(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (10, 28, 28, 1)).astype(np.uint8)
    y_true = np.arange(10) % 3
    y_pred = y_true.copy()
    y_pred[[1, 4, 7]] = (y_pred[[1, 4, 7]] + 1) % 3
    _png(plot.plot_misclassified(images, y_true, y_pred, str(tmp_path / "mis.png")))
    _png(plot.plot_misclassified(images[:, :, :, 0], y_true, y_true, str(tmp_path / "none.png")))
    _png(plot.plot_filters(rng.standard_normal((32, 1, 3, 3)), str(tmp_path / "f.png")))
    _png(plot.plot_filters(rng.standard_normal((8, 3, 5, 5)), str(tmp_path / "rgb.png")))
    with pytest.raises(ValueError, match=r"\(out, in, kh, kw\), got shape \(3, 3\)"):
        plot.plot_filters(np.zeros((3, 3)), str(tmp_path / "bad.png"))


def test_missing_matplotlib_names_the_extra(monkeypatch, tmp_path):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "ember\[plot\]"'):
        plot.plot_history({"loss": [1.0]}, str(tmp_path / "h.png"))
