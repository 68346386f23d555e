"""keras.quantizers against Keras 3: abs-max quantization, int4 packing, float8 helpers, the quantizer
classes and their configs."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

K, E = keras.quantizers, ek.quantizers
X = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)


def _k(t):
    return keras.ops.convert_to_numpy(t)


@pytest.mark.parametrize("axis", [-1, 0, (0, 1)])
@pytest.mark.parametrize("value_range", [(-127, 127), (-8, 7)])
def test_abs_max_quantize_matches_keras(axis, value_range):
    q, s = E.abs_max_quantize(X, axis, value_range)
    kq, ks = K.abs_max_quantize(X, axis, value_range)
    np.testing.assert_array_equal(q.numpy(), _k(kq))
    np.testing.assert_allclose(s.numpy(), _k(ks), rtol=1e-6)
    assert q.dtype.name == "int8"
    eq, es = E.AbsMaxQuantizer(value_range=value_range)(X, axis=axis)
    np.testing.assert_array_equal(eq.numpy(), _k(K.AbsMaxQuantizer(value_range=value_range)(X, axis=axis)[0]))


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_int4_packing_matches_keras(dtype, axis):
    lo, hi = (-8, 8) if dtype == "int8" else (0, 16)
    q = np.random.default_rng(1).integers(lo, hi, (5, 3)).astype(dtype)
    p, shape, n = E.pack_int4(q, axis, dtype)
    kp, kshape, kn = K.pack_int4(q, axis, dtype)
    np.testing.assert_array_equal(p.numpy(), _k(kp))
    assert (shape, n) == (tuple(kshape), kn)
    np.testing.assert_array_equal(E.unpack_int4(p, n, axis, dtype).numpy(), q)
    np.testing.assert_array_equal(E.unpack_int4(p, n, axis, dtype).numpy(), _k(K.unpack_int4(kp, kn, axis, dtype)))
    with pytest.raises(TypeError, match="Expected"):
        E.pack_int4(q.astype(np.int32), axis)


def test_float8_helpers_match_keras():
    for qdt in ("float8_e4m3fn", "float8_e5m2"):
        np.testing.assert_allclose(E.quantize_and_dequantize(X, np.float32(0.01), qdt, "float32").numpy(),
                                   _k(K.quantize_and_dequantize(X, np.float32(0.01), qdt, "float32")))
    amax = np.array([0.0, 2.0, np.inf, 5.0], np.float32)
    scale = np.array([1.0, 0.5, 2.0, 1.0], np.float32)
    np.testing.assert_allclose(E.compute_float8_scale(amax, scale, 448.0, 1).numpy(),
                               _k(K.compute_float8_scale(amax, scale, 448.0, 1)))
    history = np.arange(4, dtype=np.float32)
    np.testing.assert_allclose(E.compute_float8_amax_history(X, history).numpy(),
                               _k(K.compute_float8_amax_history(X, history)))


def test_quantizer_classes_and_configs():
    kq = K.AbsMaxQuantizer(axis=0, value_range=(-100, 100))
    eq = E.deserialize(K.serialize(kq))
    assert isinstance(eq, E.AbsMaxQuantizer) and eq.get_config() == kq.get_config()
    assert isinstance(E.get("abs_max_quantizer"), E.AbsMaxQuantizer)
    assert ek.Quantizer is E.Quantizer and E.Quantizer()(X) is X
    with pytest.raises(ValueError, match="within the interval"):
        E.AbsMaxQuantizer(value_range=(-200, 200))
