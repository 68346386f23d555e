"""keras.datasets.mnist.load_data: Keras's shapes and dtypes; the full set when present, else the bundled sample
(said once on stderr)."""
import numpy as np

from ember.keras.datasets import mnist


def test_bundled_sample_when_the_full_set_is_absent(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("EMBER_DATA", raising=False)
    monkeypatch.setattr(mnist, "_warned", [False])
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8 and y_test.shape == (1000,)
    assert sorted(np.unique(y_train)) == list(range(10)) and x_train.max() == 255
    mnist.load_data()
    err = capsys.readouterr().err
    assert err.count("bundled with ember") == 1


def test_full_set_is_read_from_the_keras_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("EMBER_DATA", raising=False)
    cache = tmp_path / ".keras" / "datasets"
    cache.mkdir(parents=True)
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), "y_train": np.arange(6, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), "y_test": np.arange(2, dtype=np.uint8)}
    np.savez(cache / "mnist.npz", **arrays)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
