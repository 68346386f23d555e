"""Oracle tests (Keras 3, torch backend) for the fixes the text/structured-data programs needed: dict inputs
matched by key whatever the dict's order, a layer whose inputs are all keywords building from them
(``attention(query=q, value=v)``), and a masking layer called on a list keeping the first input's mask."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ember import keras as ek  # noqa: E402

from .test_keras_programs import _same_weights  # noqa: E402


def _dict_model(K):
    inputs = {"zeta": K.Input((1,), name="zeta"), "alpha": K.Input((2,), name="alpha")}
    out = K.layers.concatenate([inputs["zeta"], K.layers.Dense(2)(inputs["alpha"])])
    model = K.Model(inputs, out)
    _same_weights(model)
    return model


def test_dict_inputs_are_matched_by_key_not_by_insertion_order():
    data = {"alpha": np.array([[1.0, 2.0]], "float32"), "zeta": np.array([[5.0]], "float32")}
    expected = _dict_model(keras).predict(data, verbose=0)
    np.testing.assert_allclose(_dict_model(ek).predict(data, verbose=0), expected, rtol=1e-6)
    assert expected[0, 0] == 5.0


def test_attention_called_with_keywords_only_builds_from_them():
    rng = np.random.default_rng(0)
    q = rng.standard_normal((2, 3, 4)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    outs = []
    for K in (keras, ek):
        layer = K.layers.MultiHeadAttention(num_heads=2, key_dim=3)
        out = layer(query=K.ops.convert_to_tensor(q), value=K.ops.convert_to_tensor(v))
        _same_weights(layer)
        out = layer(query=K.ops.convert_to_tensor(q), value=K.ops.convert_to_tensor(v))
        outs.append(np.asarray(K.ops.convert_to_numpy(out)))
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)


def test_masking_layer_on_a_list_keeps_the_first_inputs_mask():
    tokens_a = np.array([[1, 2, 0, 0, 0], [3, 0, 0, 0, 0]])
    tokens_b = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 0]])
    masks = []
    for K in (keras, ek):
        class Block(K.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.supports_masking = True

            def call(self, inputs, mask=None):
                return inputs[0] * 2.0

            def compute_output_shape(self, input_shape):
                return input_shape[0]

        a, b = K.Input((5,), dtype="int32"), K.Input((6,), dtype="int32")
        ea = K.layers.Embedding(4, 2, mask_zero=True)(a)
        eb = K.layers.Embedding(4, 2, mask_zero=True)(b)
        model = K.Model([a, b], Block()([ea, eb]))
        out = model([K.ops.convert_to_tensor(tokens_a), K.ops.convert_to_tensor(tokens_b)])
        masks.append(np.asarray(K.ops.convert_to_numpy(out._keras_mask)))
    np.testing.assert_array_equal(masks[1], masks[0])
    np.testing.assert_array_equal(masks[0], tokens_a != 0)
