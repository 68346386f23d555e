"""``keras.Variable`` and the Layer weight API, with Keras 3 (torch backend) as the oracle.

The same program text runs with ``keras`` bound to real Keras and to ``ember.keras``; each test
compares what both give (values, names, paths, trainability, shapes).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402
from ember import keras as ek  # noqa: E402
from ember import nn, optim  # noqa: E402

BOTH = pytest.mark.parametrize("K", [keras, ek], ids=["keras", "ember"])


def _np(t):
    if hasattr(t, "value") and hasattr(t, "path"):
        t = t.value
    if hasattr(t, "detach"):
        return t.detach().cpu().numpy()
    return np.asarray(t._data if hasattr(t, "_data") else t)


def _variable_story(K):
    v = K.Variable(initializer=np.arange(6, dtype="float32").reshape(2, 3), name="w")
    out = {"init": v.numpy().copy(), "shape": tuple(v.shape), "name": v.name, "trainable": v.trainable,
           "ndim": v.ndim}
    v.assign(np.ones((2, 3), "float32"))
    out["assign"] = v.numpy().copy()
    v.assign_add(np.full((2, 3), 2.0, "float32"))
    out["assign_add"] = v.numpy().copy()
    v.assign_sub(np.full((2, 3), 0.5, "float32"))
    out["assign_sub"] = v.numpy().copy()
    out["arith"] = _np(v * 2 + 1)
    out["rarith"] = _np(10 - v)
    z = K.Variable(initializer="zeros", shape=(3,), dtype="float32", trainable=False, name="z")
    out["zeros"] = z.numpy().copy()
    out["z_trainable"] = z.trainable
    o = K.Variable(initializer=K.initializers.Ones(), shape=(2,))
    out["ones"] = o.numpy().copy()
    return out


def test_variable_matches_keras():
    a, b = _variable_story(keras), _variable_story(ek)
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray):
            np.testing.assert_allclose(b[key], a[key], err_msg=key)
        else:
            assert b[key] == a[key], key


def test_variable_assign_shape_mismatch_raises_like_keras():
    for K in (keras, ek):
        v = K.Variable(np.ones((2, 2), "float32"))
        with pytest.raises(ValueError, match="must match"):
            v.assign(np.ones((3,), "float32"))


def test_variable_is_a_parameter_and_an_ember_tensor_with_gradients():
    v = ek.Variable(np.array([1.0, 2.0, 3.0], "float32"), name="w")
    assert isinstance(v, nn.Parameter) and isinstance(v, ember.Tensor)
    assert v.dtype == ember.float32 and v.dtype.name == "float32"
    x = ember.tensor([0.5, -1.0, 2.0])
    loss = (ember.exp(v) * x).sum() + ember.matmul(v, x)
    loss.backward()
    tv = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tx = torch.tensor([0.5, -1.0, 2.0])
    ((torch.exp(tv) * tx).sum() + tv @ tx).backward()
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-6)
    # assign is an in-place update outside the graph, and keeps the same object (optimizers hold it).
    v.assign(np.zeros(3, "float32"))
    assert v.numpy().tolist() == [0.0, 0.0, 0.0] and v.requires_grad


class _Scale:
    """A custom layer written once against the Keras API, built for real Keras or ember.keras."""

    @staticmethod
    def make(K):
        class Scale(K.layers.Layer):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.units = units
                self.offset = K.Variable(np.full((units,), 0.5, "float32"), name="offset", trainable=False)

            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones", name="w")
                self.b = self.add_variable((self.units,), "zeros", name="b")
                self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

            def call(self, x):
                return K.ops.matmul(x, self.w) + self.b + self.offset

            def compute_output_shape(self, input_shape):
                return tuple(input_shape[:-1]) + (self.units,)
        return Scale


def _layer_story(K):
    layer = _Scale.make(K)(3, name="scale")
    out = {"built_before": layer.built}
    y = layer(np.ones((2, 4), "float32"))
    out.update(built=layer.built, y=_np(y), shape=tuple(layer.compute_output_shape((None, 4))),
               weights=[w.name for w in layer.weights], paths=[w.path for w in layer.weights],
               trainable=[w.name for w in layer.trainable_weights],
               non_trainable=[w.name for w in layer.non_trainable_weights],
               values=[np.asarray(a) for a in layer.get_weights()])
    layer.set_weights([np.full(w.shape, 2.0, "float32") for w in layer.weights])
    out["after_set"] = _np(layer(np.ones((1, 4), "float32")))
    layer.trainable = False
    out["frozen_trainable"] = [w.name for w in layer.trainable_weights]
    out["frozen_flags"] = [bool(w.trainable) for w in layer.weights]
    return out


def test_custom_layer_weight_api_matches_keras():
    a, b = _layer_story(keras), _layer_story(ek)
    for key in a:
        if key in ("y", "after_set"):
            np.testing.assert_allclose(b[key], a[key], err_msg=key)
        elif key == "values":
            assert len(a[key]) == len(b[key])
            for x, y in zip(a[key], b[key]):
                np.testing.assert_allclose(y, x)
        else:
            assert b[key] == a[key], key


def test_layer_weights_are_variables_trained_by_ember_optimizers():
    model = ek.Sequential([ek.Input((3,)), ek.layers.Dense(4, activation="tanh"), ek.layers.Dense(1)])
    assert all(isinstance(w, ek.Variable) for w in model.weights)
    prefix = f"{model.name}/{model.layers[0].name}"   # Keras's path: the Sequential's scope, then the layer's
    assert [w.path for w in model.weights][:2] == [f"{prefix}/kernel", f"{prefix}/bias"]
    params = list(model.parameters())
    assert {id(p) for p in params} == {id(w) for w in model.trainable_weights}
    before = [w.numpy() for w in model.weights]
    opt = optim.SGD(params, lr=0.1)
    x = ember.tensor(np.random.default_rng(0).standard_normal((8, 3)).astype("float32"))
    loss = (model(x) ** 2).mean()
    loss.backward()
    opt.step()
    assert all(np.any(w.numpy() != b) for w, b in zip(model.weights, before))
    # A frozen layer's variables stop training, as in Keras.
    model.layers[0].trainable = False
    assert not model.layers[0].kernel.trainable and not model.layers[0].kernel.requires_grad
    assert len(model.trainable_weights) == 2


def _frozen_bn_story(K):
    bn = K.layers.BatchNormalization()
    bn.build((None, 3))
    bn.trainable = False
    return ([w.name for w in bn.weights], [w.name for w in bn.trainable_weights],
            [w.name for w in bn.non_trainable_weights])


def test_frozen_batch_norm_weight_lists_match_keras():
    assert _frozen_bn_story(ek) == _frozen_bn_story(keras)


def _feature_extractor_story(K, weights=None):
    model = K.Sequential([K.Input((6,)), K.layers.Dense(5, activation="relu", name="d1"),
                          K.layers.Dense(4, activation="tanh", name="d2"), K.layers.Dense(2, name="d3")])
    if weights is not None:
        model.set_weights(weights)
    x = np.random.default_rng(1).standard_normal((3, 6)).astype("float32")
    by_index = K.Model(inputs=model.inputs, outputs=model.layers[1].output)
    by_name = K.Model(inputs=model.inputs, outputs=model.get_layer("d1").output)
    both = K.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    return model, {"index": _np(by_index(x)), "name": _np(by_name(x)), "all": [_np(t) for t in both(x)],
                   "shapes": [(tuple(layer.input.shape), tuple(layer.output.shape)) for layer in model.layers]}


def test_sequential_feature_extractor_matches_keras():
    kmodel, a = _feature_extractor_story(keras)
    _, b = _feature_extractor_story(ek, [_np(w) for w in kmodel.weights])
    np.testing.assert_allclose(b["index"], a["index"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b["name"], a["name"], rtol=1e-5, atol=1e-6)
    for x, y in zip(a["all"], b["all"]):
        np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-6)
    assert b["shapes"] == a["shapes"]


def test_functional_feature_extractor_and_layer_shapes():
    inputs = ek.Input((5,))
    h = ek.layers.Dense(4, name="hidden")(inputs)
    out = ek.layers.Dense(1, name="out")(h)
    model = ek.Model(inputs, out)
    sub = ek.Model(model.inputs, model.get_layer("hidden").output)
    x = np.ones((2, 5), "float32")
    np.testing.assert_allclose(sub(x).numpy(force=True), model.get_layer("hidden")(x).numpy(force=True))
    assert model.get_layer("hidden").input_shape == (None, 5)
    assert model.get_layer("hidden").output_shape == (None, 4)
    assert model.get_layer("out").input is h


def _copy_weights(src, dst):
    for e, k in zip(dst.weights, src.weights):
        assert e.name == k.name and tuple(e.shape) == tuple(k.shape)
        e.assign(_np(k))


@pytest.mark.parametrize("rnn", ["SimpleRNN", "LSTM", "GRU"])
def test_stateful_rnn_carries_states_and_resets_like_keras(rnn):
    x1 = np.random.default_rng(2).standard_normal((2, 3, 4)).astype("float32")
    x2 = np.random.default_rng(3).standard_normal((2, 3, 4)).astype("float32")
    outs = {}
    layers = {}
    for K in (keras, ek):
        layer = getattr(K.layers, rnn)(5, stateful=True, return_sequences=True)
        layer(x1)
        layers[K] = layer
    _copy_weights(layers[keras], layers[ek])
    for K in (keras, ek):
        layer = layers[K]
        layer.reset_states()
        a = _np(layer(x1))
        b = _np(layer(x2))       # starts from the states left by x1
        layer.reset_states()
        c = _np(layer(x2))       # starts from zeros again
        outs[K] = (a, b, c)
    for x, y in zip(outs[keras], outs[ek]):
        np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-5)
    assert not np.allclose(outs[ek][1], outs[ek][2])


def _masked_model(K, rnn, weights=None):
    inputs = K.Input((5,), dtype="int32")
    x = K.layers.Embedding(7, 4, mask_zero=True)(inputs)
    x = getattr(K.layers, rnn)(3, return_sequences=True)(x)
    x = K.layers.GlobalAveragePooling1D()(x)
    model = K.Model(inputs, x)
    if weights is not None:
        model.set_weights(weights)
    return model


@pytest.mark.parametrize("rnn", ["SimpleRNN", "LSTM", "GRU"])
def test_embedding_mask_zero_flows_through_rnn_and_pooling_like_keras(rnn):
    tokens = np.array([[1, 2, 3, 0, 0], [4, 0, 5, 6, 0]], "int32")
    kmodel = _masked_model(keras, rnn)
    emodel = _masked_model(ek, rnn, [_np(w) for w in kmodel.weights])
    np.testing.assert_allclose(_np(emodel(tokens)), _np(kmodel(tokens)), rtol=1e-5, atol=1e-6)


def _masking_model(K, weights=None):
    inputs = K.Input((4, 3))
    x = K.layers.Masking(mask_value=0.0)(inputs)
    x = K.layers.LSTM(2)(x)
    model = K.Model(inputs, x)
    if weights is not None:
        model.set_weights(weights)
    return model


def test_masking_layer_skips_steps_in_lstm_like_keras():
    x = np.random.default_rng(4).standard_normal((2, 4, 3)).astype("float32")
    x[0, 2:] = 0.0
    x[1, 1] = 0.0
    kmodel = _masking_model(keras)
    emodel = _masking_model(ek, [_np(w) for w in kmodel.weights])
    np.testing.assert_allclose(_np(emodel(x)), _np(kmodel(x)), rtol=1e-5, atol=1e-6)


def _masked_attention(K, weights=None):
    q_in, v_in = K.Input((3,), dtype="int32"), K.Input((4,), dtype="int32")
    emb = K.layers.Embedding(9, 4, mask_zero=True)
    out = K.layers.Attention()([emb(q_in), emb(v_in)])
    out = K.layers.Dense(4)(out)
    model = K.Model([q_in, v_in], out)
    if weights is not None:
        model.set_weights(weights)
    return model


def test_embedding_masks_reach_attention_like_keras():
    q = np.array([[1, 2, 0], [3, 0, 0]], "int32")
    v = np.array([[4, 5, 6, 0], [7, 8, 0, 0]], "int32")
    kmodel = _masked_attention(keras)
    emodel = _masked_attention(ek, [_np(w) for w in kmodel.weights])
    np.testing.assert_allclose(_np(emodel([q, v])), _np(kmodel([q, v])), rtol=1e-5, atol=1e-6)


def test_softmax_mask_matches_keras():
    x = np.random.default_rng(5).standard_normal((2, 4)).astype("float32")
    mask = np.array([[True, False, True, True], [False, False, False, False]])
    a = _np(keras.layers.Softmax()(torch.tensor(x), mask=torch.tensor(mask)))
    b = _np(ek.layers.Softmax()(ember.tensor(x), mask=mask))
    np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


def test_lambda_is_refused_on_load_unless_safe_mode_is_off(tmp_path):
    model = ek.Sequential([ek.Input((3,)), ek.layers.Lambda(lambda t: t * 2.0 + 1.0), ek.layers.Dense(2)])
    x = np.ones((2, 3), "float32")
    expected = model(x).numpy(force=True)
    path = str(tmp_path / "lam.keras")
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        ek.models.load_model(path)
    loaded = ek.models.load_model(path, safe_mode=False)
    np.testing.assert_allclose(loaded(x).numpy(force=True), expected)
    # Keras refuses the same way.
    kmodel = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t * 2.0 + 1.0)])
    kpath = str(tmp_path / "klam.keras")
    kmodel.save(kpath)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.load_model(kpath)


def _masked_mha(K, layer, weights=None):
    tokens = K.Input((4,), dtype="int32")
    x = K.layers.Embedding(9, 6, mask_zero=True)(tokens)
    if layer == "mha":
        y = K.layers.MultiHeadAttention(num_heads=2, key_dim=3)(x, x)
    else:
        y = K.layers.GroupQueryAttention(head_dim=3, num_query_heads=2, num_key_value_heads=1)(x, x)
    model = K.Model(tokens, y)
    if weights is not None:
        model.set_weights(weights)
    return model


@pytest.mark.parametrize("layer", ["mha", "gqa"])
def test_embedding_masks_reach_multi_head_attention_like_keras(layer):
    tokens = np.array([[1, 2, 0, 0], [3, 4, 5, 0]], "int32")
    kmodel = _masked_mha(keras, layer)
    emodel = _masked_mha(ek, layer, [_np(w) for w in kmodel.weights])
    assert [w.name for w in emodel.weights] == [w.name for w in kmodel.weights]
    np.testing.assert_allclose(_np(emodel(tokens)), _np(kmodel(tokens)), rtol=1e-5, atol=1e-6)
