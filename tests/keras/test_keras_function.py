"""``keras.Function`` and ``keras.Operation`` against Keras 3: the same graph and weights give the same
outputs, for single and nested inputs, and a custom Operation works eagerly and in a graph."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402


def _graph(K):
    a, b = K.Input((3,), name="a"), K.Input((2,), name="b")
    dense = K.layers.Dense(2, name="d")
    out = K.layers.Add()([K.layers.Activation("tanh")(dense(a)), b])
    return [a, b], {"sum": out}, dense


def test_function_matches_keras():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal((4, 2)).astype(np.float32)
    kin, kout, kd = _graph(keras)
    ein, eout, ed = _graph(ek)
    kf, ef = keras.Function(kin, kout["sum"]), ek.Function(ein, eout["sum"])
    kf([a, b])
    for e, k in zip(ed.weights, kd.weights):
        e.assign(keras.ops.convert_to_numpy(k.value))
    np.testing.assert_allclose(ef([a, b]).numpy(force=True), keras.ops.convert_to_numpy(kf([a, b])), rtol=1e-5,
                               atol=1e-6)
    assert len(ef.inputs) == len(kf.inputs) == 2 and len(ef.outputs) == 1
    with pytest.raises(ValueError, match="KerasTensors"):
        ek.Function(ein, np.ones(2))


def test_custom_operation_eager_and_symbolic():
    def make(K):
        class Cube(K.Operation):
            def call(self, x):
                return x * x * x
        return Cube
    x = np.array([[1.0, -2.0]], np.float32)
    ECube, KCube = make(ek), make(keras)
    np.testing.assert_allclose(ECube()(x).numpy(), keras.ops.convert_to_numpy(KCube()(x)))
    inp = ek.Input((2,))
    fn = ek.Function(inp, ECube()(inp))
    np.testing.assert_allclose(fn(x).numpy(), x ** 3)
    assert ECube()(inp).shape == (None, 2)
