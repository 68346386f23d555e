"""Mixed precision against Keras 3 (PyTorch backend) on the same weights and inputs: the policies, layers that
keep float32 variables and compute (and output) float16 / bfloat16, LossScaleOptimizer's dynamic scale,
``compile`` wrapping the optimizer under 'mixed_float16', a short MNIST fit, configs and ``.keras`` files."""
import warnings

import numpy as np
import pytest
import torch

import keras

import ember
from ember import keras as ek
from ember.vision import datasets



@pytest.fixture(autouse=True)
def _float32_after():
    yield
    keras.mixed_precision.set_global_policy("float32")
    ek.dtype_policies._GLOBAL[0] = None


def _under(K, policy, build):
    """``build()`` with ``policy`` as the global policy of Keras or ember.keras ``K`` (float32 again after)."""
    K.mixed_precision.set_global_policy(policy)
    try:
        return build()
    finally:
        K.mixed_precision.set_global_policy("float32")


def _np(t):
    if isinstance(t, (torch.Tensor, ember.Tensor)):
        return t.detach().float().numpy()
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t, np.float32)   # a keras.Variable, an array


def _dtype(t):
    return str(t.dtype).replace("torch.", "").replace("ember.", "")


# -- policies -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["mixed_float16", "mixed_bfloat16", "float16", "bfloat16", "float32"])
def test_global_policy_and_layer_dtypes_match_keras(name):
    seen = []
    for K in (keras, ek):
        K.mixed_precision.set_global_policy(name)
        policy = K.mixed_precision.global_policy()
        dense = K.layers.Dense(2)
        dense.build((None, 3))
        seen.append((repr(policy), policy.compute_dtype, policy.variable_dtype, K.config.dtype_policy().name,
                     dense.dtype_policy.name, dense.compute_dtype, dense.variable_dtype, dense.dtype,
                     _dtype(dense.kernel)))
        K.mixed_precision.set_global_policy("float32")
    assert seen[0] == seen[1]


def test_per_layer_policies_and_set_dtype_policy_match_keras():
    seen = []
    for K in (keras, ek):
        layers = [K.layers.Dense(2, dtype="mixed_float16"), K.layers.Dense(2, dtype=K.DTypePolicy("mixed_bfloat16")),
                  K.layers.Dense(2, dtype=K.mixed_precision.DTypePolicy("float16"))]
        K.config.set_dtype_policy("mixed_float16")
        layers.append(K.layers.Dense(2))
        layers.append(K.layers.Activation("softmax", dtype="float32"))
        K.config.set_dtype_policy("float32")
        seen.append([(lay.dtype_policy.name, lay.compute_dtype, lay.variable_dtype) for lay in layers]
                    + [K.mixed_precision.global_policy().name])
        assert K.mixed_precision.LossScaleOptimizer is K.optimizers.LossScaleOptimizer
    assert seen[0] == seen[1]


# -- layers compute in float16 ------------------------------------------------------------------------------
LAYERS = [
    ("Dense", (6,), lambda L: L.Dense(3, activation="relu")),
    ("Conv2D", (6, 6, 2), lambda L: L.Conv2D(3, 3, padding="same")),
    ("DepthwiseConv2D", (6, 6, 2), lambda L: L.DepthwiseConv2D(3)),
    ("SeparableConv2D", (6, 6, 2), lambda L: L.SeparableConv2D(3, 3)),
    ("Conv2DTranspose", (5, 5, 2), lambda L: L.Conv2DTranspose(3, 3, strides=2)),
    ("Conv3D", (4, 4, 4, 2), lambda L: L.Conv3D(2, 3)),
    ("EinsumDense", (5, 4), lambda L: L.EinsumDense("abc,cd->abd", output_shape=(5, 3))),
    ("LeakyReLU", (6,), lambda L: L.LeakyReLU(0.2)),
    ("MaxPooling2D", (6, 6, 2), lambda L: L.MaxPooling2D()),
    ("GlobalAveragePooling2D", (6, 6, 2), lambda L: L.GlobalAveragePooling2D()),
    ("Flatten", (4, 3), lambda L: L.Flatten()),
    ("Dropout", (6,), lambda L: L.Dropout(0.5)),
    ("Softmax", (6,), lambda L: L.Activation("softmax")),
    ("BatchNormalization", (6,), lambda L: L.BatchNormalization()),
    ("LayerNormalization", (6,), lambda L: L.LayerNormalization()),
    ("GroupNormalization", (6, 4), lambda L: L.GroupNormalization(2)),
    ("LSTM", (5, 4), lambda L: L.LSTM(3)),
    ("GRU", (5, 4), lambda L: L.GRU(3, return_sequences=True)),
    ("Rescaling", (6,), lambda L: L.Rescaling(1 / 255.0)),
]


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_layer_outputs_and_variables_dtypes_match_keras(policy):
    """Symbolic and eager output dtypes, variable dtypes and values of single layers, one model per layer."""
    rng = np.random.default_rng(7)
    tol = 2e-3 if policy == "mixed_float16" else 2e-2
    for name, shape, make in LAYERS:
        x = rng.standard_normal((2,) + shape).astype("float32")
        found = []
        for K in (keras, ek):
            def build(K=K):
                inp = K.Input(shape)
                layer = make(K.layers)
                return K.Model(inp, layer(inp)), layer
            model, layer = _under(K, policy, build)
            found.append((model, layer))
        (km, kl), (em, el) = found
        em.set_weights(km.get_weights())
        ky, ey = km(x), em(x)
        assert (str(em.outputs[0].dtype), _dtype(ey), el.dtype_policy.name) == \
            (str(km.outputs[0].dtype), _dtype(ky), kl.dtype_policy.name), name
        assert [_dtype(w) for w in el.weights] == [_dtype(w) for w in kl.weights] and \
            all(_dtype(w) == "float32" for w in el.weights), name
        np.testing.assert_allclose(_np(ey), _np(ky), rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_merge_and_attention_cast_every_float_input_like_keras(policy):
    """Keras casts all float tensor arguments to the compute dtype: a float16 and a float32 input to Add, and
    MultiHeadAttention's value."""
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((2, 3, 4)).astype("float32"), rng.standard_normal((2, 3, 4)).astype("float32")
    out = []
    for K in (keras, ek):
        def build(K=K):
            i1, i2 = K.Input((3, 4)), K.Input((3, 4))
            f32 = K.layers.Activation("linear", dtype="float32")(i2)
            added = K.layers.Add()([K.layers.Dense(4)(i1), f32])
            att = K.layers.MultiHeadAttention(2, 4)(added, f32)
            return K.Model([i1, i2], [added, att])
        model = _under(K, policy, build)
        out.append(model)
    km, em = out
    em.set_weights(km.get_weights())
    ky, ey = km([a, b]), em([a, b])
    compute = policy[len("mixed_"):]
    assert [_dtype(t) for t in ey] == [_dtype(t) for t in ky] == [compute, compute]
    tol = 3e-3 if compute == "float16" else 3e-2
    for k, e in zip(ky, ey):
        np.testing.assert_allclose(_np(e), _np(k), rtol=tol, atol=tol)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_cnn_outputs_gradients_and_moving_stats_match_keras(policy):
    rng = np.random.default_rng(7)
    def build(K):
        L = K.layers
        inp = K.Input((10, 10, 3))
        x = L.Conv2D(6, 3, activation="relu")(inp)
        x = L.BatchNormalization()(x)
        x = L.MaxPooling2D()(x)
        x = L.Flatten()(x)
        x = L.Dense(12, activation="relu")(x)
        x = L.LayerNormalization()(x)
        x = L.Dense(5)(x)
        return K.Model(inp, L.Activation("softmax", dtype="float32")(x))
    km, em = _under(keras, policy, lambda: build(keras)), _under(ek, policy, lambda: build(ek))
    em.set_weights(km.get_weights())
    x = rng.standard_normal((4, 10, 10, 3)).astype("float32")
    tol = 1e-3 if policy == "mixed_float16" else 1e-2
    assert [str(lay.output.dtype) for lay in em.layers] == [str(lay.output.dtype) for lay in km.layers]
    np.testing.assert_allclose(_np(em(x)), _np(km(x)), rtol=tol, atol=tol)
    # one training-mode pass: float32 gradients of the float32 variables through the float16 compute
    ky, ey = km(x, training=True), em(x, training=True)
    assert _dtype(ky) == _dtype(ey) == "float32"
    weights = rng.standard_normal(5).astype("float32")
    (ky * torch.tensor(weights)).sum().backward()
    (ey * ember.tensor(weights)).sum().backward()
    for kw, ew in zip(km.trainable_weights, em.trainable_weights):
        assert _dtype(ew.grad) == "float32"
        kg = kw.value.grad.numpy()
        np.testing.assert_allclose(ew.grad.numpy(), kg, rtol=5 * tol, atol=5 * tol * np.abs(kg).max(), err_msg=ew.path)
    for kw, ew in zip(km.non_trainable_weights, em.non_trainable_weights):
        np.testing.assert_allclose(ew.numpy(), kw.numpy(), rtol=tol, atol=tol, err_msg=ew.path)


def _custom_layers(K):
    class Accumulate(K.layers.Layer):
        """Reads an autocast kernel, an autocast=False one, and adds the batch sum to a float state."""

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2), initializer="ones")
            self.raw = self.add_weight(shape=(2,), initializer="ones", autocast=False)
            self.total = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False)

        def call(self, inputs):
            # as Keras reads a variable in ops (variable.value): autocast inside a mixed-precision call
            self.seen = tuple(_dtype(K.ops.convert_to_tensor(v)) for v in (self.w, self.raw, inputs))
            self.total.assign_add(K.ops.sum(inputs, axis=0))
            return K.ops.matmul(inputs, self.w) + K.ops.cast(self.raw, inputs.dtype)

    class TiedHead(K.layers.Layer):
        """Reads its Embedding sublayer's table in its own call (tied input/output embeddings)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.emb = K.layers.Embedding(7, 3)

        def call(self, tokens):
            h = self.emb(tokens)
            self.seen = (_dtype(h), _dtype(K.ops.convert_to_tensor(self.emb.embeddings)))
            return K.ops.matmul(h, K.ops.transpose(self.emb.embeddings))
    return Accumulate, TiedHead


def test_autocast_reads_and_state_updates_in_custom_layers_match_keras():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4)).astype("float32")
    tokens = np.array([[1, 2, 3], [4, 5, 6]], "int32")
    found = []
    for K in (keras, ek):
        Accumulate, TiedHead = _custom_layers(K)
        acc, head = _under(K, "mixed_float16", lambda: (Accumulate(), TiedHead()))
        y1, y2 = acc(x), acc(x)
        z = head(tokens)
        found.append((acc.seen, _dtype(acc.total), _np(acc.total), _dtype(y2), _np(y2), head.seen, _dtype(z),
                      [_dtype(w) for w in acc.weights]))
    (k_seen, k_tdt, k_total, k_ydt, k_y, k_head, k_zdt, k_wdt), \
        (e_seen, e_tdt, e_total, e_ydt, e_y, e_head, e_zdt, e_wdt) = found
    assert e_seen == k_seen == ("float16", "float32", "float16")
    assert (e_tdt, e_ydt, e_head, e_zdt, e_wdt) == (k_tdt, k_ydt, k_head, k_zdt, k_wdt)
    np.testing.assert_allclose(e_y, k_y, rtol=1e-3, atol=1e-3)
    # The state adds up the batch sums. (Keras's torch backend loses assign_add inside a mixed-precision call:
    # its Variable._direct_assign copies into variable.value, which the autocast scope made a float16 copy; the
    # JAX and TensorFlow backends keep it. The float32 run is Keras's intended result.)
    assert not k_total.any()
    Accumulate, _ = _custom_layers(keras)
    acc = Accumulate()
    acc(x), acc(x)
    np.testing.assert_allclose(e_total, _np(acc.total), rtol=3e-3, atol=3e-3)   # float16 inputs


# -- LossScaleOptimizer ---------------------------------------------------------------------------------------
def test_loss_scale_optimizer_trajectory_and_variables_match_keras():
    """Growth after dynamic_growth_steps finite steps, an inf and a NaN step skipped with the scale halved."""
    rng = np.random.default_rng(7)
    w0 = [rng.standard_normal((3, 2)).astype("float32"), rng.standard_normal(2).astype("float32")]
    grads = [[rng.standard_normal(w.shape).astype("float32") for w in w0] for _ in range(9)]
    grads[4][0][1, 1] = np.inf
    grads[6][1][0] = np.nan
    kopt = keras.mixed_precision.LossScaleOptimizer(keras.optimizers.Adam(0.05, name="inner"), dynamic_growth_steps=3,
                                                    name="lso")
    eopt = ek.mixed_precision.LossScaleOptimizer(ek.optimizers.Adam(0.05, name="inner"), dynamic_growth_steps=3,
                                                 name="lso")
    assert float(eopt.scale_loss(ember.tensor(1.5))) == float(kopt.scale_loss(torch.tensor(1.5))) == 1.5 * 2 ** 15
    kvs = [keras.Variable(w.copy(), name=f"w{i}") for i, w in enumerate(w0)]
    evs = [ek.Variable(w.copy(), name=f"w{i}") for i, w in enumerate(w0)]
    trajectory = []
    for g in grads:
        scale = float(eopt.scale_loss(ember.tensor(1.0)))
        assert scale == float(kopt.scale_loss(torch.tensor(1.0)))
        kopt.apply([torch.tensor(a * scale) for a in g], kvs)
        eopt.apply([ember.tensor(a * scale) for a in g], evs)
        step = (float(eopt.dynamic_scale), int(eopt.step_counter.numpy()), int(eopt.iterations))
        assert step == (float(kopt.dynamic_scale.numpy()), int(kopt.step_counter.numpy()), int(kopt.iterations.numpy()))
        trajectory.append(step[0])
        for kv, ev in zip(kvs, evs):
            np.testing.assert_allclose(ev.numpy(), kv.numpy(), rtol=1e-4, atol=1e-5)
    assert trajectory == [2 ** 15, 2 ** 15, 2 ** 16, 2 ** 16, 2 ** 15, 2 ** 15, 2 ** 14, 2 ** 14, 2 ** 14]
    assert [(v.path, _dtype(v), v.shape) for v in eopt.variables] == \
        [(v.path, _dtype(v), tuple(v.shape)) for v in kopt.variables]
    for kv, ev in zip(kopt.variables, eopt.variables):
        np.testing.assert_allclose(ev.numpy(), kv.numpy(), rtol=1e-4, atol=1e-6, err_msg=ev.path)
    kcfg, ecfg = kopt.get_config(), eopt.get_config()
    assert {k: v for k, v in ecfg.items() if k != "inner_optimizer"} == \
        {k: v for k, v in kcfg.items() if k != "inner_optimizer"}
    assert ecfg["inner_optimizer"]["class_name"] == kcfg["inner_optimizer"]["class_name"] == "Adam"
    assert set(ecfg["inner_optimizer"]["config"]) == set(kcfg["inner_optimizer"]["config"])
    back = ek.optimizers.deserialize(ek.optimizers.serialize(eopt))
    assert type(back) is ek.optimizers.LossScaleOptimizer and back.dynamic_growth_steps == 3


def _regression(K, **compile_kwargs):
    def build():
        L = K.layers
        return K.Sequential([K.Input((4,)), L.Dense(8, activation="relu"), L.Dense(1)])
    return _under(K, "mixed_float16", build)


def test_fit_wraps_the_optimizer_and_skips_overflowing_steps_like_keras():
    """Large targets overflow float16 gradients at the initial 2**15 scale: the first steps are skipped with
    the scale halved until they fit, batch by batch as in Keras."""
    rng = np.random.default_rng(7)
    x = rng.random((192, 4)).astype("float32")
    y = 12 * (x @ np.array([1.0, -2.0, 0.5, 3.0], "float32"))
    km, em = _regression(keras), _regression(ek)
    em.set_weights(km.get_weights())
    runs = []
    for K, model in ((keras, km), (ek, em)):
        model.compile(K.optimizers.SGD(0.01), "mse")
        assert type(model.optimizer).__name__ == "LossScaleOptimizer" and model.optimizer.name == "loss_scale_optimizer"
        assert model.get_compile_config()["optimizer"]["class_name"] == "SGD"
        steps = []

        class Record(K.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                opt = self.model.optimizer
                steps.append((float(opt.dynamic_scale.numpy()), int(opt.step_counter.numpy()),
                              round(float(logs["loss"]), 2)))
        history = model.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False, callbacks=[Record()])
        runs.append((steps, history.history["loss"], int(np.asarray(model.optimizer.iterations))))
    (ksteps, kloss, kit), (esteps, eloss, eit) = runs
    assert esteps == ksteps and eit == kit
    assert ksteps[0][0] < 2 ** 15 and ksteps[-1][1] > 0   # some steps were skipped, later ones were not
    np.testing.assert_allclose(eloss, kloss, rtol=1e-4)
    for kw, ew in zip(km.get_weights(), em.get_weights()):
        np.testing.assert_allclose(ew, kw, rtol=1e-3, atol=1e-4)
    # no wrapping when asked not to, nor under other policies (Keras wraps for 'mixed_float16' only)
    for K in (keras, ek):
        model = _regression(K)
        model.compile(K.optimizers.SGD(0.01), "mse", auto_scale_loss=False)
        assert type(model.optimizer).__name__ == "SGD"
        model = _under(K, "mixed_bfloat16", lambda K=K: K.Sequential([K.Input((4,)), K.layers.Dense(1)]))
        model.compile(K.optimizers.SGD(0.01), "mse")
        assert type(model.optimizer).__name__ == "SGD"


def test_losses_of_float16_outputs_are_computed_in_float32_like_keras():
    rng = np.random.default_rng(7)
    y_true = rng.standard_normal((6, 3)).astype("float32")
    y_pred = rng.standard_normal((6, 3)).astype("float16")
    labels = rng.integers(0, 3, 6)
    probs = (np.abs(y_pred) / np.abs(y_pred).sum(1, keepdims=True)).astype("float16")
    for name, yt, yp in [("MeanSquaredError", y_true, y_pred), ("Huber", y_true, y_pred),
                         ("SparseCategoricalCrossentropy", labels, probs)]:
        k = getattr(keras.losses, name)()(yt, torch.tensor(yp))
        e = getattr(ek.losses, name)()(yt, ek.ops.convert_to_tensor(yp))
        assert _dtype(e) == _dtype(k) == "float32"
        np.testing.assert_allclose(float(e), float(k), rtol=1e-6)


def test_mnist_fit_under_mixed_float16_reaches_keras_accuracy():
    train, test = datasets.MNIST(root=None, train=True), datasets.MNIST(root=None, train=False)
    x, y = train.data.numpy()[:3000], train.targets.numpy()[:3000]
    xt, yt = test.data.numpy(), test.targets.numpy()

    def build(K):
        L = K.layers
        return K.Sequential([K.Input((28, 28)), L.Rescaling(1 / 255.0), L.Flatten(), L.Dense(64, activation="relu"),
                             L.Dense(10), L.Activation("softmax", dtype="float32")])
    km, em = _under(keras, "mixed_float16", lambda: build(keras)), _under(ek, "mixed_float16", lambda: build(ek))
    em.set_weights(km.get_weights())
    results = []
    for K, model in ((keras, km), (ek, em)):
        model.compile(K.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=2, batch_size=64, verbose=0, shuffle=False)
        results.append(model.evaluate(xt, yt, verbose=0, return_dict=True))
        assert str(model.layers[2].output.dtype) == "float16"
    assert results[1]["accuracy"] > 0.8
    assert abs(results[1]["accuracy"] - results[0]["accuracy"]) < 0.01
    assert abs(results[1]["loss"] - results[0]["loss"]) < 0.02


# -- configs and files ----------------------------------------------------------------------------------------
def test_configs_carry_the_policies_like_keras():
    def build(K):
        L = K.layers
        return K.Sequential([K.Input((4,)), L.Dense(3), L.Dense(2, dtype="float32")])
    km, em = _under(keras, "mixed_float16", lambda: build(keras)), _under(ek, "mixed_float16", lambda: build(ek))
    kcfg, ecfg = km.get_config(), em.get_config()
    assert ecfg["dtype"] == kcfg["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                                              "config": {"name": "mixed_float16"}, "registered_name": None}
    assert [lay["config"]["dtype"] for lay in ecfg["layers"][1:]] == \
        [lay["config"]["dtype"] for lay in kcfg["layers"][1:]]
    for cfg in (kcfg, ecfg):
        for K in (keras, ek):
            model = K.Sequential.from_config(cfg)
            assert [(lay.dtype_policy.name, lay.compute_dtype) for lay in model.layers] == \
                [("mixed_float16", "float16"), ("float32", "float32")]
    dense = ek.layers.Dense.from_config(keras.layers.Dense(2, dtype="mixed_bfloat16").get_config())
    assert (dense.dtype_policy.name, dense.compute_dtype, dense.variable_dtype) == \
        ("mixed_bfloat16", "bfloat16", "float32")


def test_keras_files_round_trip_weights_policies_and_loss_scale_state(tmp_path):
    rng = np.random.default_rng(7)
    x = rng.random((32, 4)).astype("float32")
    y = rng.integers(0, 3, 32)

    def build(K):
        L = K.layers
        model = K.Sequential([K.Input((4,)), L.Dense(8, activation="relu"), L.Dense(3),
                              L.Activation("softmax", dtype="float32")])
        model.compile(K.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
        return model
    saved = {}
    for tag, K in (("keras", keras), ("ember", ek)):
        model = _under(K, "mixed_float16", lambda K=K: build(K))
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        path = str(tmp_path / f"{tag}.keras")
        model.save(path)
        saved[tag] = (path, [w.copy() for w in model.get_weights()], _np(model.predict(x, verbose=0)))
    for tag, (path, weights, pred) in saved.items():
        for K in (keras, ek):
            model = _under(K, "mixed_float16", lambda K=K: K.models.load_model(path))
            opt = model.optimizer
            assert [lay.dtype_policy.name for lay in model.layers] == ["mixed_float16", "mixed_float16", "float32"]
            assert type(opt).__name__ == "LossScaleOptimizer", (tag, K.__name__)
            assert (float(opt.dynamic_scale.numpy()), int(opt.step_counter.numpy()),
                    int(np.asarray(opt.iterations))) == (2.0 ** 15, 4, 4), (tag, K.__name__)
            for w, v in zip(weights, model.get_weights()):
                np.testing.assert_array_equal(v, w)
            np.testing.assert_allclose(_np(model.predict(x, verbose=0)), pred, rtol=1e-3, atol=1e-3)
            # loaded under float32, the model compiles a plain Adam: both skip the saved loss-scale state
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                plain = K.models.load_model(path)
            assert type(plain.optimizer).__name__ == "Adam"
            assert any("optimizer" in str(w.message).lower() and "skipping" in str(w.message).lower()
                       for w in caught), (tag, K.__name__)


def test_summary_matches_keras():
    def build(K):
        L = K.layers
        model = K.Sequential([K.Input((8,)), L.Dense(4, activation="relu", name="hidden"),
                              L.BatchNormalization(name="norm"), L.Dense(3, name="logits"),
                              L.Activation("softmax", dtype="float32", name="probs")], name="mixed")
        model.compile(K.optimizers.Adam(), "mse")
        model.fit(np.ones((8, 8), "float32"), np.ones((8, 3), "float32"), verbose=0)
        lines = []
        model.summary(print_fn=lines.append)
        return "\n".join(lines)
    assert _under(ek, "mixed_float16", lambda: build(ek)) == _under(keras, "mixed_float16", lambda: build(keras))


def test_subclassed_model_config_and_file_keep_the_policy_like_keras(tmp_path):
    """A subclassed model's config carries its policy (Keras's Layer.get_config), so it reloads as a
    mixed-precision model with its loss-scale state even under a float32 global policy (the sublayers its
    __init__ makes take that global policy, in Keras too)."""
    found = []
    for K in (keras, ek):
        @K.saving.register_keras_serializable(package="mixed_precision_test")
        class Classifier(K.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.hidden = K.layers.Dense(3)
                self.probs = K.layers.Activation("softmax", dtype="float32")

            def call(self, x):
                return self.probs(self.hidden(x))
        model = _under(K, "mixed_float16", Classifier)
        model.compile(K.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
        model.fit(np.ones((8, 4), "float32"), np.zeros(8), batch_size=4, verbose=0)
        path = str(tmp_path / f"{K.__name__}.keras")
        model.save(path)
        back = K.models.load_model(path)
        found.append((model.get_config()["dtype"], back.dtype_policy.name, back.hidden.compute_dtype,
                      type(back.optimizer).__name__, int(back.optimizer.step_counter.numpy())))
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"},
              "registered_name": None}
    assert found[0] == found[1] == (policy, "mixed_float16", "float32", "LossScaleOptimizer", 2)


def test_quantize_and_policy_setter_keep_the_mixed_policy_like_keras():
    """int8 quantization of a mixed_bfloat16 model names its source policy ('int8_from_mixed_bfloat16') and
    computes in bfloat16; setting a float policy with the same variable dtype changes the compute dtype."""
    x = np.random.default_rng(7).random((4, 8)).astype("float32")
    found = []
    for K in (keras, ek):
        model = _under(K, "mixed_bfloat16", lambda K=K: K.Sequential([K.Input((8,)), K.layers.Dense(4),
                                                                      K.layers.Dense(2)]))
        if found:
            model.set_weights(found[0][2])
        weights = model.get_weights()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.quantize("int8")
        y = model(x)
        dense = K.layers.Dense(2)
        dense.build((None, 3))
        dense.dtype_policy = "mixed_float16"
        found.append(([lay.dtype_policy.name for lay in model.layers], _dtype(y), weights, _np(y),
                      (dense.compute_dtype, dense.variable_dtype, _dtype(dense.kernel))))
    (knames, kdt, _, ky, kdense), (enames, edt, _, ey, edense) = found
    assert (enames, edt, edense) == (knames, kdt, kdense) == \
        (["int8_from_mixed_bfloat16"] * 2, "bfloat16", ("float16", "float32", "float32"))
    np.testing.assert_allclose(ey, ky, rtol=2e-2, atol=2e-2)


def test_variables_held_in_a_list_are_autocast_like_keras():
    x = np.random.default_rng(7).standard_normal((2, 3)).astype("float32")
    found = []
    for K in (keras, ek):
        class Chain(K.layers.Layer):
            def build(self, input_shape):
                self.kernels = [self.add_weight(shape=(3, 3), initializer="glorot_uniform") for _ in range(2)]

            def call(self, x):
                for kernel in self.kernels:
                    x = K.ops.matmul(x, kernel)
                return x + self.kernels[0][0]
        layer = Chain(dtype="mixed_float16")
        layer.build((None, 3))
        if found:
            layer.set_weights(found[0][2])
        y = layer(x)
        found.append((_dtype(y), [_dtype(w) for w in layer.kernels], layer.get_weights(), _np(y)))
    assert found[0][:2] == found[1][:2] == ("float16", ["float32", "float32"])
    np.testing.assert_allclose(found[1][3], found[0][3], rtol=2e-3, atol=2e-3)
