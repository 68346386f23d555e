"""Keras 3 quantization in ember.keras against real Keras 3.15 (torch backend), on identical float weights:
``layer.quantize`` / ``model.quantize`` in int8, int4 (per-channel and sub-channel) and float8 for Dense,
EinsumDense and Embedding give the same variables (names, dtypes, shapes, values), outputs, input and bias
gradients and training steps (float8's scale / amax-history updates included); the quantized policies
match Keras's names, configs and errors; quantized ``.keras`` files move both ways; and a whole flow
(train, quantize to int8, save, load on the other side) predicts the same."""
import os
import re
import warnings

import numpy as np
import pytest

from ember import keras as ek
import ember

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def keras():
    import keras
    return keras


def _np(K, x):
    return np.asarray(x.detach().numpy()) if K is ek else np.asarray(x.detach().cpu().numpy())


def _quantize(layer, K, mode, config):
    if config is None:
        layer.quantize(mode)
    else:
        layer.quantize(mode, config=config(K))


def _int4(block):
    return lambda K: K.quantizers.Int4QuantizationConfig(block_size=block)


def _weight_only(K):
    return K.quantizers.Int8QuantizationConfig(activation_quantizer=None)


CASES = [  # (id, layer factory, build shape, mode, config factory)
    ("dense_int8", lambda K: K.layers.Dense(5, activation="relu"), (None, 7), "int8", None),
    ("dense_int8_weight_only", lambda K: K.layers.Dense(5), (None, 7), "int8", _weight_only),
    ("dense_int4_default", lambda K: K.layers.Dense(5), (None, 7), "int4", None),
    ("dense_int4_groups", lambda K: K.layers.Dense(5), (None, 7), "int4", _int4(3)),
    ("dense_int4_channel", lambda K: K.layers.Dense(5), (None, 7), "int4", _int4(-1)),
    ("dense_float8", lambda K: K.layers.Dense(5, activation="tanh"), (None, 7), "float8", None),
    ("dense_3d_int8", lambda K: K.layers.Dense(4), (None, 2, 6), "int8", None),
    ("einsum_ab_int8", lambda K: K.layers.EinsumDense("ab,bc->ac", 4, bias_axes="c"), (None, 3), "int8", None),
    ("einsum_heads_int8", lambda K: K.layers.EinsumDense("abc,cde->abde", (3, 2, 4), bias_axes="de"),
     (None, 3, 5), "int8", None),
    ("einsum_squeeze_int8", lambda K: K.layers.EinsumDense("abcd,cde->abe", (3, 4)), (None, 3, 2, 5), "int8", None),
    ("einsum_weight_only", lambda K: K.layers.EinsumDense("abc,cd->abd", (3, 4), bias_axes="d"), (None, 3, 5),
     "int8", _weight_only),
    ("einsum_int4_groups", lambda K: K.layers.EinsumDense("abc,cde->abde", (3, 2, 4), bias_axes="de"),
     (None, 3, 5), "int4", _int4(2)),
    ("einsum_int4_channel", lambda K: K.layers.EinsumDense("abc,cd->abd", (3, 4)), (None, 3, 5), "int4", _int4(-1)),
    ("einsum_float8", lambda K: K.layers.EinsumDense("abc,cd->abd", (3, 4), bias_axes="d"), (None, 3, 5),
     "float8", None),
    ("embedding_int8", lambda K: K.layers.Embedding(7, 5), (None, 3), "int8", None),
    ("embedding_int4_default", lambda K: K.layers.Embedding(7, 5), (None, 3), "int4", None),
    ("embedding_int4_groups", lambda K: K.layers.Embedding(7, 5), (None, 3), "int4", _int4(2)),
    ("embedding_int4_channel", lambda K: K.layers.Embedding(7, 5), (None, 3), "int4", _int4(-1)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_layer_quantize_matches_keras(keras, case):
    import torch
    _, make, shape, mode, config = case
    kl, el = make(keras), make(ek)
    kl.build(shape)
    el.build(shape)
    el.set_weights(kl.get_weights())
    _quantize(kl, keras, mode, config)
    _quantize(el, ek, mode, config)
    assert el.dtype_policy.name == kl.dtype_policy.name
    assert el.quantization_mode == kl.quantization_mode == mode
    assert [w.name for w in el.weights] == [w.name for w in kl.weights]
    for kw, ew in zip(kl.get_weights(), el.get_weights()):
        assert kw.dtype == ew.dtype and kw.shape == ew.shape
        np.testing.assert_array_equal(ew, kw)
    rng = np.random.default_rng(1)
    if "embedding" in case[0]:
        x = rng.integers(0, 7, (2, 3))
        np.testing.assert_allclose(el(x).detach().numpy(), keras.ops.convert_to_numpy(kl(x)), rtol=1e-6, atol=1e-7)
        return
    x = rng.standard_normal((2,) + shape[1:]).astype("float32")
    up = rng.standard_normal((2,) + tuple(kl.compute_output_shape((2,) + shape[1:]))[1:]).astype("float32")
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    yk, ye = kl(xt), el(xe)
    np.testing.assert_allclose(_np(ek, ye), _np(keras, yk), rtol=1e-6, atol=1e-6)
    (yk * torch.tensor(up)).sum().backward()
    (ye * ember.tensor(up)).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    if getattr(kl, "bias", None) is not None:
        np.testing.assert_allclose(el.bias.grad.numpy(), kl.bias.value.grad.numpy(), rtol=1e-5, atol=1e-6)


def _mlp(K):
    return K.Sequential([K.Input((6,)), K.layers.Dense(5, activation="tanh"),
                         K.layers.EinsumDense("ab,bc->ac", 4, bias_axes="c", activation="relu"), K.layers.Dense(3)])


@pytest.mark.parametrize("mode", ["int8", "float8"])   # int4 trains as int8 does (the bias only)
def test_training_steps_match_keras(keras, mode):
    """Three SGD steps on the quantized model: losses and every variable (the trainable bias only for int8/int4;
    for float8 the kernel, bias and the scales and histories the optimizer overwrites) as in Keras."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 6)).astype("float32"), rng.standard_normal((4, 3)).astype("float32")
    km, em = _mlp(keras), _mlp(ek)
    em.set_weights(km.get_weights())
    km.quantize(mode)
    em.quantize(mode)
    km.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    em.compile(optimizer=ek.optimizers.SGD(0.1), loss="mse")
    for _ in range(3):
        np.testing.assert_allclose(em.train_on_batch(x, y), km.train_on_batch(x, y), rtol=1e-5)
    assert [w.name for w in em.weights] == [w.name for w in km.weights]
    for kw, ew in zip(km.weights, em.weights):
        np.testing.assert_allclose(ew.numpy(), keras.ops.convert_to_numpy(kw), rtol=1e-5, atol=1e-6, err_msg=kw.path)


def _mixed(K):
    i = K.Input((3,), dtype="int32")
    e = K.layers.Embedding(9, 4)(i)
    h = K.layers.EinsumDense("abc,cd->abd", (3, 5), bias_axes="d", activation="relu")(e)
    return K.Model(i, K.layers.Dense(2)(K.layers.Flatten()(h)))


@pytest.mark.parametrize("mode", ["int8", "int4", "float8"])
def test_quantized_keras_files_move_both_ways(keras, mode, tmp_path):
    rng = np.random.default_rng(2)
    x = rng.integers(0, 9, (4, 3)).astype("int32")
    km, em = _mixed(keras), _mixed(ek)
    em.set_weights(km.get_weights())
    km.quantize(mode)
    em.quantize(mode)
    expected = km.predict(x, verbose=0)
    np.testing.assert_allclose(em.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)
    em.save(tmp_path / "ember.keras")
    km.save(tmp_path / "keras.keras")
    k2, e2 = keras.saving.load_model(tmp_path / "ember.keras"), ek.saving.load_model(tmp_path / "keras.keras")
    assert [lay.dtype_policy.name for lay in e2.layers] == [lay.dtype_policy.name for lay in km.layers]
    assert [lay.dtype_policy.name for lay in k2.layers] == [lay.dtype_policy.name for lay in km.layers]
    np.testing.assert_allclose(k2.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(e2.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)
    for kw, ew in zip(k2.weights, e2.weights):
        assert kw.name == ew.name and keras.ops.convert_to_numpy(kw).dtype == ew.numpy().dtype


def _classifier(K):
    return K.Sequential([K.Input((8,)), K.layers.Dense(16, activation="relu"), K.layers.Dense(3, activation="softmax")])


def test_whole_flow_train_quantize_save_load(keras, tmp_path):
    """Train in ember, quantize to int8, save, load in Keras: the same predictions; and the reverse."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5)
    em = _classifier(ek)
    em.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    em.fit(x, y, epochs=2, batch_size=16, verbose=0)
    em.quantize("int8")
    em.save(tmp_path / "e.keras")
    loaded = keras.saving.load_model(tmp_path / "e.keras")
    assert loaded.layers[0].quantization_mode == "int8"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), em.predict(x, verbose=0), rtol=1e-5, atol=1e-6)

    km = _classifier(keras)
    km.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    km.fit(x, y, epochs=2, batch_size=16, verbose=0)
    km.quantize("int8")
    km.save(tmp_path / "k.keras")
    back = ek.saving.load_model(tmp_path / "k.keras")
    assert back.layers[1].dtype_policy.name == "int8_from_float32"
    np.testing.assert_allclose(back.predict(x, verbose=0), km.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


POLICIES = ["int8_from_float32", "float8_from_float32", "int4_from_float32", "int4/128_from_float32",
            "int4/-1_from_float64", "int8_from_bfloat16"]


@pytest.mark.parametrize("name", POLICIES)
def test_quantized_policies_match_keras(keras, name):
    kp, ep = keras.dtype_policies.get(name), ek.dtype_policies.get(name)
    assert repr(ep) == repr(kp)
    assert (ep.name, ep.compute_dtype, ep.variable_dtype, ep.quantization_mode) == \
        (kp.name, kp.compute_dtype, kp.variable_dtype, kp.quantization_mode)
    assert ek.dtype_policies.serialize(ep) == keras.dtype_policies.serialize(kp)
    assert ek.dtype_policies.deserialize(keras.dtype_policies.serialize(kp)) == ep


def _raised(fn):
    try:
        fn()
    except Exception as e:  # the oracle's exception type and message are what is compared
        return type(e).__name__, str(e)
    return None


def test_policy_map_and_errors_match_keras(keras):
    def calls(K):
        m = K.dtype_policies.DTypePolicyMap(default_policy="float32")
        m["enc/.*"] = "int8_from_float32"
        m["dec"] = "bfloat16"
        dense = K.layers.Dense(2)
        quantized = K.layers.Dense(2)
        quantized.build((None, 3))
        quantized.quantize("int8")
        built = K.layers.Dense(2)
        built.build((None, 3))
        return [(m["enc/x"].name, m["dec"].name, m["dec/x"].name),
                _raised(lambda: K.dtype_policies.QuantizedDTypePolicy("int8", "float16")),
                _raised(lambda: K.dtype_policies.QuantizedDTypePolicy("int9", "float32")),
                _raised(lambda: K.dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", amax_history_length=1.5)),
                _raised(lambda: K.dtype_policies.get("int4/0_from_float32")),
                _raised(lambda: dense.quantize("int8")),
                _raised(lambda: quantized.quantize("int8")),
                _raised(lambda: built.quantize("int16")),
                _raised(lambda: built.quantize("int8", config=K.quantizers.Int4QuantizationConfig())),
                _raised(lambda: K.quantizers.Int4QuantizationConfig(block_size=0))]
    got, want = calls(ek), calls(keras)
    assert got[0] == want[0]
    for g, w in zip(got[1:], want[1:]):
        # layer names are numbered per process: the messages are compared with the numbers taken out
        assert g is not None and g[0] == w[0]
        assert re.sub(r"'dense(_\d+)?'", "'dense'", g[1]) == re.sub(r"'dense(_\d+)?'", "'dense'", w[1])


def test_dtype_policy_setter_and_quantized_build(keras):
    for K in (keras, ek):
        layer = K.layers.Dense(2)
        layer.build((None, 3))
        layer.dtype_policy = "int8_from_float32"
        assert layer.quantization_mode == "int8" and [w.name for w in layer.weights] == ["bias", "kernel",
                                                                                          "kernel_scale"]
    k, e = keras.layers.Dense(2, dtype="float8_from_float32"), ek.layers.Dense(2, dtype="float8_from_float32")
    k.build((None, 3))
    e.build((None, 3))
    assert [(w.name, tuple(w.shape)) for w in e.weights] == [(w.name, tuple(w.shape)) for w in k.weights]


def test_model_quantize_filters_match_keras(keras):
    def names(K):
        m = K.Sequential([K.Input((4,)), K.layers.Dense(3, name="keep"), K.layers.Dense(2, name="q_out")])
        m.quantize("int8", filters="q_")
        return [(lay.name, lay.dtype_policy.name) for lay in m.layers]
    assert names(ek) == names(keras)
    with warnings.catch_warnings(record=True):
        m = ek.Sequential([ek.Input((4,)), ek.layers.Dense(3), ek.layers.BatchNormalization()])
        m.quantize("int8", filters=lambda layer: isinstance(layer, ek.layers.Dense))
    assert [lay.quantization_mode for lay in m.layers] == ["int8", None]
    assert os.environ.get("KERAS_BACKEND", "torch") == "torch"


def _lora_model(K, tokens):
    if tokens:
        return K.Sequential([K.Input((3,), dtype="int32"), K.layers.Embedding(9, 4),
                             K.layers.EinsumDense("abc,cd->abd", (3, 5), bias_axes="d", activation="relu"),
                             K.layers.Flatten(), K.layers.Dense(2)])
    return K.Sequential([K.Input((6,)), K.layers.Dense(5, activation="tanh"),
                         K.layers.EinsumDense("ab,bc->ac", 4, bias_axes="c"), K.layers.Dense(3)])


@pytest.mark.parametrize("mode", [None, "int8", "int4"])
@pytest.mark.parametrize("tokens", [False, True], ids=["dense", "embedding"])
def test_lora_on_quantized_layers_matches_keras(keras, mode, tokens, tmp_path):
    """``enable_lora`` (float, int8 and int4 layers): the same variables, three SGD steps (only A, B and the
    biases learn), and saved files with the delta merged (and re-quantized) that load alike in both."""
    rng = np.random.default_rng(4)
    x = rng.integers(0, 9, (4, 3)).astype("int32") if tokens else rng.standard_normal((4, 6)).astype("float32")
    y = rng.standard_normal((4, 2 if tokens else 3)).astype("float32")
    km, em = _lora_model(keras, tokens), _lora_model(ek, tokens)
    em.set_weights(km.get_weights())
    if mode:
        km.quantize(mode)
        em.quantize(mode)
    for kl, el in zip(km.layers, em.layers):
        if hasattr(kl, "enable_lora"):
            kl.enable_lora(2, lora_alpha=3)
            el.enable_lora(2, lora_alpha=3)
    assert [(w.name, w.trainable) for w in em.weights] == [(w.name, w.trainable) for w in km.weights]
    em.set_weights(km.get_weights())   # the same random A
    km.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    em.compile(optimizer=ek.optimizers.SGD(0.1), loss="mse")
    for _ in range(3):
        np.testing.assert_allclose(em.train_on_batch(x, y), km.train_on_batch(x, y), rtol=1e-5)
    for kw, ew in zip(km.weights, em.weights):
        np.testing.assert_allclose(ew.numpy(), keras.ops.convert_to_numpy(kw), rtol=1e-5, atol=1e-6, err_msg=kw.path)
    em.save(tmp_path / "e.keras")
    km.save(tmp_path / "k.keras")
    from_ember, from_keras = keras.saving.load_model(tmp_path / "e.keras"), ek.saving.load_model(tmp_path / "k.keras")
    assert [(w.name, w.shape) for w in from_keras.weights] == [(w.name, tuple(w.shape)) for w in from_ember.weights]
    np.testing.assert_allclose(from_keras.predict(x, verbose=0), from_ember.predict(x, verbose=0), rtol=1e-5,
                               atol=1e-6)
    assert from_keras.layers[0].get_config()["lora_rank"] == 2


def test_lora_errors_match_keras(keras):
    def calls(K):
        unbuilt, built = K.layers.Dense(2), K.layers.Dense(2, kernel_constraint="non_neg")
        built.build((None, 3))
        twice = K.layers.Embedding(4, 2)
        twice.build()
        twice.enable_lora(1)
        return [_raised(lambda: unbuilt.enable_lora(2)), _raised(lambda: built.enable_lora(2)),
                _raised(lambda: twice.enable_lora(1))]
    assert calls(ek) == calls(keras)


@pytest.mark.parametrize("setup", ["lora_float", "lora_int8", "float8"])
def test_trainable_weights_and_optimizer_state_match_keras(keras, setup, tmp_path):
    """LoRA's frozen kernel leaves ``trainable_weights``; float8's overwritten scales get no Adam slots; so the
    optimizer variables, and the optimizer state in each side's ``.keras`` file, are Keras's."""
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((4, 6)).astype("float32"), rng.standard_normal((4, 3)).astype("float32")
    seen = []
    start = None
    for K in (keras, ek):
        m = K.Sequential([K.Input((6,)), K.layers.Dense(5), K.layers.Dense(3)])
        start = m.get_weights() if start is None else (m.set_weights(start), start)[1]
        if setup != "lora_float":
            m.quantize("int8" if setup == "lora_int8" else "float8")
        if setup.startswith("lora"):
            for layer in m.layers:
                layer.enable_lora(2)
        m.compile(optimizer=K.optimizers.Adam(0.01), loss="mse")
        m.train_on_batch(x, y)
        m.save(tmp_path / f"{setup}_{len(seen)}.keras")
        seen.append(([w.name for w in m.trainable_weights], [tuple(v.shape) for v in m.optimizer.variables]))
    assert seen[1] == seen[0]
    from_keras = ek.saving.load_model(tmp_path / f"{setup}_0.keras")
    from_ember = keras.saving.load_model(tmp_path / f"{setup}_1.keras")
    assert [tuple(v.shape) for v in from_keras.optimizer.variables] == seen[0][1]
    assert [tuple(v.shape) for v in from_ember.optimizer.variables] == seen[0][1]


def test_dtype_policy_map_as_layer_dtype_matches_keras(keras):
    """A ``DTypePolicyMap`` given as ``dtype``: its serialized form (a default given or not), its repr, and a
    functional model whose layer it quantizes by path (the layer's name). (Keras 3.15 cannot save such a
    model: ``model.save`` raises "Invalid dtype: object".)"""
    x = np.random.default_rng(6).standard_normal((3, 4)).astype("float32")
    seen, weights = [], None
    for K in (keras, ek):
        for default in (None, "bfloat16"):
            m = K.dtype_policies.DTypePolicyMap(default_policy=default)
            m["q"] = "int8_from_float32"
            m["enc/.*"] = "float16"
            shown = re.sub("0x[0-9a-f]+", "", repr(m))   # before serializing: Keras's get_config renames in place
            seen.append((shown, m.name, K.dtype_policies.serialize(m)))
        m = K.dtype_policies.DTypePolicyMap(default_policy="float32")
        m["q"] = "int8_from_float32"
        i = K.Input((4,))
        model = K.Model(i, K.layers.Dense(2, name="f")(K.layers.Dense(3, name="q", dtype=m)(i)))
        if weights is None:   # the quantized layer starts from placeholders: give both the same random values
            rng = np.random.default_rng(7)
            weights = [rng.integers(-127, 128, w.shape).astype(w.dtype) if w.dtype == np.int8
                       else rng.uniform(0.5, 2, w.shape).astype(w.dtype) for w in model.get_weights()]
        model.set_weights(weights)
        seen.append(([(lay.name, lay.dtype_policy.name, lay.quantization_mode) for lay in model.layers[1:]],
                     [w.name for w in model.weights], model.predict(x, verbose=0).round(5).tolist()))
    assert seen[3:] == seen[:3]
    assert seen[2][0][0] == ("q", "map_float32", "int8")
