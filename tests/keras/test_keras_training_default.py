"""Keras's rule for ``training`` when nobody passes it: the caller's value, else the enclosing call's (fit,
predict, an outer layer), else the default in the layer's own ``call`` signature. So a direct call of an
augmentation layer augments (its ``call`` defaults to training=True) while ``predict`` passes images through.
Each check runs the same code on Keras 3 and on ember.keras."""
import keras
import numpy as np
import pytest

from ember import keras as ekeras


def _seen(lib):
    class Probe(lib.layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.seen = []

        def call(self, x, training=True):
            self.seen.append(bool(training))
            return x
    return Probe


@pytest.mark.parametrize("lib", [keras, ekeras], ids=["keras", "ember"])
def test_signature_default_is_the_last_resort(lib):
    probe = _seen(lib)()
    x = np.ones((4, 2), "float32")
    probe(x)
    probe(x, training=False)
    model = lib.Sequential([lib.Input((2,)), probe, lib.layers.Dense(1)])
    model.predict(x, verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.ones((4, 1), "float32"), epochs=1, verbose=0)
    model(x)
    assert probe.seen[:2] == [True, False]
    assert False in probe.seen[2:] and True in probe.seen[2:]
    assert probe.seen[-1] is True  # a direct model call: no enclosing value, so the layer's default


@pytest.mark.parametrize("lib", [keras, ekeras], ids=["keras", "ember"])
def test_a_direct_call_augments_and_predict_passes_through(lib):
    x = np.arange(32 * 4 * 4, dtype="float32").reshape(32, 4, 4, 1)
    flip = lib.layers.RandomFlip("horizontal", seed=0)
    out = np.asarray(keras.ops.convert_to_numpy(flip(x)))
    assert (out != x).any()  # 32 coin flips all tails has probability 2**-32
    assert np.array_equal(np.asarray(keras.ops.convert_to_numpy(flip(x, training=False))), x)
    model = lib.Sequential([lib.Input((4, 4, 1)), lib.layers.RandomFlip("horizontal")])
    assert np.array_equal(model.predict(x, verbose=0), x)
