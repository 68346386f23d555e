"""keras.random on ember: Keras's seed semantics, and the same distributions as Keras 3 (PyTorch backend):
shapes and dtypes equal, moments within sampling error, two-sample Kolmogorov-Smirnov distance small."""
import keras
import numpy as np
import pytest

import ember
from ember import keras as ekeras
from ember.keras import random as er

kr = keras.random
N = 20000


def _ks(a, b):
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    grid = np.concatenate([a, b])
    return np.max(np.abs(np.searchsorted(a, grid, "right") / a.size - np.searchsorted(b, grid, "right") / b.size))


CASES = [
    ("normal", lambda r, s: r.normal((N,), mean=1.0, stddev=2.0, seed=s)),
    ("uniform", lambda r, s: r.uniform((N,), minval=-1.0, maxval=3.0, seed=s)),
    ("uniform-f64", lambda r, s: r.uniform((N,), dtype="float64", seed=s)),
    ("randint", lambda r, s: r.randint((N,), 2, 9, seed=s)),
    ("randint-int64", lambda r, s: r.randint((N,), 0, 3, dtype="int64", seed=s)),
    ("truncated_normal", lambda r, s: r.truncated_normal((N,), mean=0.5, stddev=1.5, seed=s)),
    ("gamma", lambda r, s: r.gamma((N,), 2.5, seed=s)),
    ("beta", lambda r, s: r.beta((N,), 2.0, 5.0, seed=s)),
    ("binomial", lambda r, s: r.binomial((N,), 10, 0.3, seed=s)),
    ("categorical", lambda r, s: r.categorical(np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])), N // 2,
                                               seed=s)),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_distribution_matches_keras(name, fn):
    k = keras.ops.convert_to_numpy(fn(kr, 11))
    e = fn(er, 11)
    assert isinstance(e, ember.Tensor)
    assert tuple(e.shape) == k.shape
    assert keras.backend.standardize_dtype(e.dtype) == str(k.dtype)
    e = e.numpy()
    se = k.std() / np.sqrt(k.size)
    assert abs(e.mean() - k.mean()) < 6 * se + 1e-9
    assert abs(e.std() - k.std()) < 0.05 * k.std() + 1e-9
    assert _ks(e, k) < 0.03
    if name == "truncated_normal":
        assert np.abs(e - 0.5).max() <= 2 * 1.5 + 1e-6


def test_int_seed_repeats_and_seed_generator_advances():
    a, b = er.normal((5,), seed=3).numpy(), er.normal((5,), seed=3).numpy()
    np.testing.assert_array_equal(a, b)
    g1, g2 = er.SeedGenerator(5), er.SeedGenerator(5)
    x1, y1 = er.uniform((4,), seed=g1).numpy(), er.uniform((4,), seed=g1).numpy()
    x2 = er.uniform((4,), seed=g2).numpy()
    assert not np.array_equal(x1, y1)
    np.testing.assert_array_equal(x1, x2)
    assert g1.get_config() == {"seed": 5, "name": g1.name}
    with pytest.raises(ValueError, match="integer"):
        er.SeedGenerator("x")


def test_global_stream_follows_set_random_seed():
    ekeras.utils.set_random_seed(123)
    a = er.normal((3,)).numpy()
    ekeras.utils.set_random_seed(123)
    b = er.normal((3,)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, er.normal((3,)).numpy())


def test_dropout_matches_keras_semantics_and_passes_gradients():
    x = ember.ones(400, 50, requires_grad=True)
    y = er.dropout(x, 0.3, seed=1)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7, rtol=1e-6)
    shared = er.dropout(ember.ones(4, 6), 0.5, noise_shape=(None, 1), seed=2).numpy()
    assert all(len(set(row)) == 1 for row in shared)
    k = keras.ops.convert_to_numpy(kr.dropout(keras.ops.ones((4, 6)), 0.5, noise_shape=(4, 1), seed=2))
    assert all(len(set(row)) == 1 for row in k)
    np.testing.assert_array_equal(er.dropout(np.ones(3), 0.0).numpy(), np.ones(3))


def test_shuffle_is_a_permutation_along_the_axis():
    x = np.arange(12.0).reshape(4, 3)
    y = er.shuffle(x, axis=0, seed=4).numpy()
    ky = keras.ops.convert_to_numpy(kr.shuffle(x, axis=0, seed=4))
    assert sorted(map(tuple, y)) == sorted(map(tuple, x)) == sorted(map(tuple, ky))
    z = er.shuffle(x, axis=1, seed=4).numpy()
    np.testing.assert_array_equal(np.sort(z, 1), x)
