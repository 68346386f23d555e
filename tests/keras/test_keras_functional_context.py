"""Functional-graph details that keras.io vision programs rely on, against Keras 3 (torch backend):

* a ``training`` value from the enclosing call (fit's True, predict's False) replaces the one recorded on a
  node (``base_model(x, training=False)``), while a direct call without ``training`` keeps the recorded one;
* sub-models and weightless layers whose names hold "." (``mobilenetv2_0.35_32``) build, run and are found
  by name (Keras's torch backend refuses a "." in the name of a layer that owns weights);
* sparse_categorical_crossentropy over per-pixel targets ``(N, H, W, 1)`` (value and gradient);
* keras.ops.image.elastic_transform's fields (normal * sigma, kernel int(6 sigma) | 1) and warp.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ember import keras as ek  # noqa: E402


def _nested_batchnorm_program(K):
    base_in = K.Input((3,))
    base = K.Model(base_in, K.layers.BatchNormalization(name="bn")(K.layers.Dense(3)(base_in)), name="base")
    inputs = K.Input((3,))
    h = base(inputs, training=False)
    dropped = K.layers.Dropout(0.5)(h, training=True)
    model = K.Model(inputs, [K.layers.Dense(1)(h), dropped])
    rng = np.random.default_rng(0)
    model.set_weights([np.abs(rng.standard_normal(w.shape)).astype("float32") for w in model.get_weights()])
    x, y = rng.random((8, 3)).astype("float32"), rng.random((8, 1)).astype("float32")
    out = {"direct_call_drops": bool((K.ops.convert_to_numpy(model(x)[1]) == 0).any()),
           "predict_drops": bool((model.predict(x, verbose=0)[1] == 0).any())}
    for trainable in [False, True]:
        base.trainable = trainable
        model.compile(optimizer="sgd", loss=["mse", None])
        model.fit(x, [y, np.zeros((8, 3), "float32")], batch_size=4, shuffle=False, verbose=0)
        out[f"moving_mean_trainable_{trainable}"] = base.get_layer("bn").moving_mean.numpy()
    return out


def test_enclosing_training_value_replaces_the_nodes_as_in_keras():
    expected, got = _nested_batchnorm_program(keras), _nested_batchnorm_program(ek)
    assert got["direct_call_drops"] is expected["direct_call_drops"] is True
    assert got["predict_drops"] is expected["predict_drops"] is False
    for key in ("moving_mean_trainable_False", "moving_mean_trainable_True"):
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6)
    # Frozen: batch norm in inference, its statistics untouched after the initial value; trainable: fit's
    # training=True wins over the node's training=False, so they move.
    assert not np.allclose(got["moving_mean_trainable_True"], got["moving_mean_trainable_False"])


def _dotted_names(K):
    inner_in = K.Input((4,), name="inner_features")
    inner = K.Model(inner_in, K.layers.Dense(3)(inner_in), name="net_0.35_32")
    inputs = K.Input((4,), name="features")
    x = inner(inputs)
    x = K.layers.Activation("relu", name="relu.1")(x)
    model = K.Model(inputs, K.layers.Dense(2, name="head_logits")(x))
    rng = np.random.default_rng(1)
    model.set_weights([rng.standard_normal(w.shape).astype("float32") for w in model.get_weights()])
    data = rng.random((3, 4)).astype("float32")
    return {"names": [layer.name for layer in model.layers],
            "found": model.get_layer("relu.1").name + " " + model.get_layer("net_0.35_32").name,
            "out": model.predict(data, verbose=0), "weights": len(model.trainable_weights)}


def test_layers_named_with_dots_build_and_run_as_in_keras():
    expected, got = _dotted_names(keras), _dotted_names(ek)
    assert got["names"] == expected["names"] and got["found"] == expected["found"]
    assert got["weights"] == expected["weights"]
    np.testing.assert_allclose(got["out"], expected["out"], rtol=1e-5, atol=1e-6)


def test_per_pixel_sparse_categorical_crossentropy_matches_keras_value_and_gradient():
    rng = np.random.default_rng(2)
    probs = rng.random((2, 3, 4, 5)).astype("float32") + 0.1
    probs /= probs.sum(-1, keepdims=True)
    targets = rng.integers(0, 5, (2, 3, 4, 1))
    expected = keras.ops.convert_to_numpy(keras.losses.sparse_categorical_crossentropy(targets, probs))
    p = ek.ops.convert_to_tensor(probs)
    p.requires_grad_(True)
    got = ek.losses.sparse_categorical_crossentropy(targets, p)
    assert tuple(got.shape) == expected.shape == (2, 3, 4)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-6, atol=1e-6)
    # Keras's torch backend cannot differentiate the (N, H, W) form (nll_loss_nd backward: "grad_input must
    # be contiguous"); the flattened pixels give the same loss and the reference gradient.
    tp = torch.tensor(probs, requires_grad=True)
    keras.losses.sparse_categorical_crossentropy(targets.reshape(-1), tp.reshape(-1, 5)).sum().backward()
    got.sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_elastic_transform_matches_keras_with_kerass_draws(monkeypatch):
    """keras.ops.image.elastic_transform: Keras's torch backend draws dx then dy with torch.normal from torch's
    global generator (its seed is not used on CPU); ember draws them with keras.random.normal. Reseeding torch
    gives Keras's fields, which ember's keras.random.normal is made to return in the same order, so the
    smoothing, scaling and sampling are compared exactly."""
    import ember
    rng = np.random.default_rng(3)
    for shape, kwargs in [((2, 9, 11, 3), {}), ((1, 3, 8, 10), {"data_format": "channels_first", "sigma": 1.5,
                                                                 "alpha": 4.0, "fill_mode": "constant",
                                                                 "fill_value": 0.5}),
                          ((7, 6, 2), {"interpolation": "nearest", "sigma": 1.0, "alpha": 3.0})]:
        images = rng.random(shape).astype("float32")
        torch.manual_seed(11)
        expected = keras.ops.convert_to_numpy(keras.ops.image.elastic_transform(images, seed=1, **kwargs))
        batched = images if images.ndim == 4 else images[None]
        n, h, w = (batched.shape[0],) + ((batched.shape[2:4]) if kwargs.get("data_format") else batched.shape[1:3])
        torch.manual_seed(11)
        fields = [torch.normal(0.0, 1.0, size=(n, h, w)).numpy() for _ in range(2)]
        calls = []

        def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
            calls.append(tuple(shape))
            return ember.tensor(fields[len(calls) - 1])
        monkeypatch.setattr(ek.random, "normal", normal)
        got = ek.ops.image.elastic_transform(images, seed=1, **kwargs).numpy()
        monkeypatch.undo()
        assert calls == [(n, h, w), (n, h, w)]
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert not np.allclose(got, images)


def test_a_list_of_one_output_is_unpacked_like_keras():
    """keras.Model(inputs=[x], outputs=[y]) (keras.io's involution example): calling the model gives a tensor
    and predict an array, as Keras's Functional unpacks a list of one output (ember gave a list of one, so
    predict returned a (1, batch, ...) array)."""
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    got = {}
    for K in (keras, ek):
        i = K.Input((3,))
        model = K.Model(inputs=[i], outputs=[K.layers.Dense(2)(i)])
        model.set_weights([np.full((3, 2), 0.5, "float32"), np.zeros(2, "float32")])
        called, predicted = model(x), model.predict(x, verbose=0)
        model.compile("sgd", "mse")
        got[K] = (type(predicted).__name__, np.shape(predicted), tuple(called.shape),
                  isinstance(called, (list, tuple)), round(model.evaluate(x, np.ones((4, 2)), verbose=0), 5))
    assert got[ek] == got[keras] == ("ndarray", (4, 2), (4, 2), False, got[keras][4])


def _shared_lstm_model(K):
    a = K.Input((4,), dtype="int32", name="a")
    b = K.Input((4,), dtype="int32", name="b")
    embed, lstm = K.layers.Embedding(9, 3), K.layers.LSTM(2)
    merged = K.layers.concatenate([lstm(embed(a)), lstm(embed(b))])
    inner = K.Sequential([K.Input((4,)), K.layers.Dense(2, name="inner_dense")], name="inner")
    model = K.Model([a, b], K.layers.Dense(1, name="head")(inner(merged)), name="twin")
    model.compile("sgd", "mse")
    return model


def test_model_from_config_revives_a_functional_model_like_keras():
    """keras.Model.from_config(functional_model.get_config()) rebuilds the graph, as Keras's Model.from_config
    does for a functional config (ember passed the config's layers / input_layers to Model.__init__)."""
    x = [np.array([[1, 2, 3, 0]], "int32"), np.array([[4, 5, 0, 0]], "int32")]
    got = []
    for K in (keras, ek):
        K.backend.clear_session()   # automatic names count from a fresh session in both
        model = _shared_lstm_model(K)
        model.set_weights([np.linspace(-1, 1, w.size).reshape(w.shape).astype("float32") for w in model.get_weights()])
        rebuilt = K.Model.from_config(model.get_config())
        rebuilt.set_weights(model.get_weights())
        got.append((type(rebuilt).__name__, [layer.name for layer in rebuilt.layers],
                    np.asarray(rebuilt.predict(x, verbose=0))))
    assert got[1][:2] == got[0][:2]
    np.testing.assert_allclose(got[1][2], got[0][2], rtol=1e-5, atol=1e-6)


def test_clone_model_applies_clone_function_call_function_and_input_tensors_like_keras():
    """clone_model(model, clone_function=..., call_function=..., input_tensors=..., recursive=...) as Keras 3:
    ember ignored clone_function and input_tensors (it rebuilt the whole model from its config) and took no
    call_function or recursive. Shared layers stay shared in the clone, a compiled model's clone is compiled,
    and a subclassed model refuses a clone_function with Keras's message."""
    def summary(K, clone):
        return ([(type(layer).__name__, layer.name) for layer in clone.layers], len(clone.weights),
                clone.compiled, [tuple(t.shape) for t in clone.inputs])
    got = []
    for K in (keras, ek):
        K.backend.clear_session()
        model = _shared_lstm_model(K)
        swap = K.models.clone_model(model, clone_function=lambda layer: K.layers.GRU(2, name="gru")
                                    if isinstance(layer, K.layers.LSTM) else layer.__class__.from_config(
                                        layer.get_config()))
        deep = K.models.clone_model(model, recursive=True,
                                    clone_function=lambda layer: layer.__class__.from_config(
                                        {**layer.get_config(), "name": layer.name + "_c"}))
        calls = []

        def call_function(layer, *args, **kwargs):
            calls.append(layer.name)
            return layer(*args, **kwargs)
        same = K.models.clone_model(model, clone_function=lambda layer: layer, call_function=call_function)
        seq = K.Sequential([K.Input((3,)), K.layers.Dense(2, name="d")])
        new_input = K.Input((3,), name="other")
        seq_clone = K.models.clone_model(seq, input_tensors=new_input)
        with pytest.raises(ValueError) as err:
            class Sub(K.Model):
                def call(self, x):
                    return x
            K.models.clone_model(Sub(), clone_function=lambda layer: layer)
        got.append((summary(K, swap), summary(K, deep), [layer.name for layer in deep.get_layer("inner").layers],
                    calls, same.weights[0] is model.weights[0], summary(K, seq_clone),
                    seq_clone.layers[0] is not seq.layers[0], str(err.value).split(" Received")[0]))
    assert got[1] == got[0]


def test_operators_on_symbolic_tensors_are_graph_operations_like_keras():
    """x[:, :1], x ** 2, 2.0 ** x, x @ w, x // 3, x % 5, abs(x), x > 5, &, ~ on a KerasTensor build graph
    operations as in Keras (ember's KerasTensor had only + - * / and negation: 'KerasTensor' object is not
    subscriptable); an op whose first argument is a number (ops.power(2.0, x)) builds too."""
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    got = []
    for K in (keras, ek):
        K.backend.clear_session()
        i = K.Input((3, 4))
        outs = [i[:, :1], i[:, 1, ::2], i[..., -1], i ** 2, 2.0 ** (i * 0.1), i @ K.ops.ones((4, 2)), i // 3,
                i % 5, abs(-i), K.ops.cast(i > 5, "float32"), K.ops.cast((i > 5) & (i <= 20), "float32"),
                K.ops.cast(~(i >= 5) | (i < 1), "float32"), K.ops.power(2.0, i * 0.1)]
        model = K.Model(i, outs)
        got.append(([tuple(o.shape) for o in outs], [layer.name for layer in model.layers],
                    [np.asarray(a) for a in model.predict(x, verbose=0)]))
    assert got[1][:2] == got[0][:2]
    for e, k in zip(got[1][2], got[0][2]):
        np.testing.assert_allclose(e, k, rtol=1e-6)


def test_optional_inputs_and_input_config_like_keras():
    """keras.Input(..., optional=True): the model may be called (and predict) with None for that input and its
    layers see None, as Keras 3; the InputLayer config has Keras's ragged and optional keys; ragged=True is
    refused with Keras's words (ember took neither argument)."""
    x = np.ones((2, 2), "float32")
    got = []
    for K in (keras, ek):
        K.backend.clear_session()

        class AddIfPresent(K.layers.Layer):
            def call(self, a, b=None):
                return a if b is None else a + b
        a, b = K.Input((2,)), K.Input((2,), optional=True)
        model = K.Model([a, b], AddIfPresent()(a, b))
        with pytest.raises(ValueError) as err:
            K.Input((2,), ragged=True)
        config = json.loads(json.dumps(model.layers[1].get_config()))
        got.append((np.asarray(K.ops.convert_to_numpy(model([x, None]))), np.asarray(model.predict([x, x], verbose=0)),
                    np.asarray(model.predict([x, None], verbose=0)), config, str(err.value)))
    for e, k in zip(got[1][:3], got[0][:3]):
        np.testing.assert_array_equal(e, k)
    assert got[1][3:] == got[0][3:]
