"""A Keras 3 program's custom layer and loss written with ``keras.ops`` run unchanged on ember: the same
code, given the same weights, computes what Keras computes, and trains under ``fit``."""
import keras
import numpy as np

from ember import keras as ekeras


def _program(k):
    ops = k.ops

    class GatedDense(k.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2 * self.units), initializer="glorot_uniform")
            self.b = self.add_weight(shape=(2 * self.units,), initializer="zeros")

        def call(self, x):
            h = ops.add(ops.matmul(x, self.w), self.b)
            a, g = ops.split(h, 2, axis=-1)
            y = ops.multiply(ops.gelu(a), ops.sigmoid(g))
            return ops.layer_normalization(y, axis=-1)

    def loss(y_true, y_pred):
        p = ops.softmax(y_pred, axis=-1)
        return ops.mean(ops.sum(ops.square(ops.subtract(ops.one_hot(ops.cast(y_true, "int32"), 3), p)), axis=-1))
    return GatedDense, loss


def test_custom_layer_and_loss_match_keras_and_train():
    keras.utils.set_random_seed(0)  # Keras draws the initial weights; fixed so the run is repeatable
    x = np.random.default_rng(0).standard_normal((64, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32")
    KLayer, kloss = _program(keras)
    ELayer, eloss = _program(ekeras)
    kl, el = KLayer(3), ELayer(3)
    kout = keras.ops.convert_to_numpy(kl(x))
    el(x)
    el.w.data = ekeras.ops.convert_to_tensor(keras.ops.convert_to_numpy(kl.w))
    el.b.data = ekeras.ops.convert_to_tensor(keras.ops.convert_to_numpy(kl.b))
    # Layer normalisation over 3 features divides by a small float32 spread, which magnifies the last-bit
    # differences between two matmul orders; 1e-5 absolute is float32 resolution at unit scale.
    np.testing.assert_allclose(el(x).detach().numpy(), kout, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(float(eloss(y, el(x)).detach().numpy()),
                               float(keras.ops.convert_to_numpy(kloss(y, kl(x)))), rtol=1e-5)

    model = ekeras.Sequential([ekeras.Input((5,)), ELayer(4), ekeras.layers.Dense(3)])
    model.compile(optimizer="adam", loss=eloss)
    hist = model.fit(x, y.astype("float32"), epochs=8, batch_size=16, verbose=0).history["loss"]
    assert hist[-1] < hist[0]
