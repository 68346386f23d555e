"""Oracle tests (Keras 3, torch backend) for two things the text programs found.

Masks through wrappers: ``Bidirectional(return_sequences=True)`` keeps the input's time-step mask and forces
``zero_output_for_mask`` on both directions (a padded step is 0, not the carried-over output);
``TimeDistributed`` keeps the mask and hands each step's slice to a wrapped layer that takes one. So a masked
sequence tagger's loss averages over the unmasked steps only, as in Keras; a ``Conv1D`` (no masking) drops it.

PyDataset order of events: batches shuffled with Python's ``random.shuffle`` (seeded by ``set_random_seed``),
``on_epoch_begin``/``on_epoch_end`` around every epoch, and Keras's extra symbolic-build batch and reset before
the first epoch, so a shuffled PyDataset trains on the same batches in ember as in Keras.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

from .test_keras_programs import _compare, _same_weights  # noqa: E402


def _padded_tokens(rng, n=8, length=7, vocab=12):
    x = rng.integers(1, vocab, (n, length)).astype("int32")
    for i in range(n):
        x[i, length - (i % 3) - (i // 4):] = 0   # batches of 4 differ in their padding
    return x


def _mask_of(K, t):
    m = getattr(t, "_keras_mask", None)
    return None if m is None else np.asarray(K.ops.convert_to_numpy(m), bool)


@pytest.mark.parametrize("merge_mode", ["concat", "sum"])
def test_bidirectional_sequences_are_zero_at_masked_steps_and_keep_the_mask(merge_mode):
    x = _padded_tokens(np.random.default_rng(1))
    got = {}
    for K in (keras, ek):
        inputs = K.Input(shape=(7,), dtype="int32")
        h = K.layers.Embedding(12, 4, mask_zero=True)(inputs)
        out = K.layers.Bidirectional(K.layers.GRU(3, return_sequences=True), merge_mode=merge_mode)(h)
        model = K.Model(inputs, out)
        _same_weights(model)
        y = model(K.ops.convert_to_tensor(x))
        got[K.__name__] = (np.asarray(K.ops.convert_to_numpy(y)), _mask_of(K, y))
    (ey, em), (ky, km) = got["ember.keras"], got["keras"]
    np.testing.assert_allclose(ey, ky, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(em, km)
    assert np.all(ey[x == 0] == 0)


def test_time_distributed_keeps_the_mask_and_passes_each_step_slice():
    x = _padded_tokens(np.random.default_rng(2))
    seen = {}
    for K in (keras, ek):
        class StepMaskRecorder(K.layers.Layer):
            def call(self, inputs, mask=None):
                seen.setdefault(K.__name__, []).append(
                    None if mask is None else np.asarray(K.ops.convert_to_numpy(mask), bool))
                return inputs * 2.0

            def compute_output_shape(self, input_shape):
                return input_shape

        inputs = K.Input(shape=(7,), dtype="int32")
        h = K.layers.Embedding(12, 3, mask_zero=True)(inputs)
        out = K.layers.TimeDistributed(StepMaskRecorder())(h)
        model = K.Model(inputs, out)
        seen.pop(K.__name__, None)
        y = model(K.ops.convert_to_tensor(x))
        np.testing.assert_array_equal(_mask_of(K, y), x != 0)
    # Keras loops over steps (a (batch,) mask each), ember folds steps into the batch (one (batch*steps,)).
    keras_steps = np.stack(seen["keras"], 1)
    np.testing.assert_array_equal(keras_steps, x != 0)
    np.testing.assert_array_equal(np.concatenate(seen["ember.keras"]).reshape(x.shape), x != 0)


def masked_tagger(K, conv, weighted):
    """A token tagger: Embedding(mask_zero) -> Bidirectional LSTM sequences -> [Conv1D] -> TimeDistributed
    softmax, 2-D sample weights and weighted_metrics."""
    inputs = K.Input(shape=(7,), dtype="int32")
    h = K.layers.Embedding(12, 4, mask_zero=True)(inputs)
    h = K.layers.Bidirectional(K.layers.LSTM(3, return_sequences=True))(h)
    if conv:
        h = K.layers.Conv1D(4, 3, padding="same", activation="relu")(h)
    out = K.layers.TimeDistributed(K.layers.Dense(3, activation="softmax"))(h)
    model = K.Model(inputs, out)
    _same_weights(model)
    model.compile(optimizer=K.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  weighted_metrics=["accuracy"])
    rng = np.random.default_rng(1)
    x = _padded_tokens(rng)
    y = rng.integers(0, 3, (8, 7))
    w = (x > 0).astype("float32") * rng.uniform(0.5, 2, (8, 7)).astype("float32") if weighted else None
    before = model.predict(x, verbose=0)
    history = model.fit(x, y, sample_weight=w, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return {"before": before, "history": history.history,
            "evaluated": model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)}


@pytest.mark.filterwarnings("ignore:Layer 'conv1d")
@pytest.mark.parametrize("conv,weighted", [(True, True), (False, False)])
def test_masked_sequence_tagger_trains_like_keras(conv, weighted):
    # (A mask reaching the loss together with sample weights is left out: Keras's training-time weighted
    # metrics then see the weights its loss scaled in place, see the next test.)
    _compare(masked_tagger(ek, conv, weighted), masked_tagger(keras, conv, weighted), "tagger")


def test_masked_loss_leaves_the_callers_sample_weight_unchanged():
    """Why the weighted training metric of a masked tagger differs: Keras 3's loss merges the mask into the
    caller's float32 sample_weight tensor in place (``sample_weight *= mask * total / valid``), so the
    metrics that run after the loss in ``train_step`` see those scaled weights. ember's loss gives the same
    value and leaves the weights as given."""
    import torch
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, (2, 4))
    probs = rng.dirichlet(np.ones(3), (2, 4)).astype("float32")
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)
    weights = rng.uniform(0.5, 2, (2, 4)).astype("float32")
    scale = mask.size / mask.sum()
    keras_pred = torch.tensor(probs)
    keras_pred._keras_mask = torch.tensor(mask)
    keras_weights = torch.tensor(weights)
    keras_loss = keras.losses.SparseCategoricalCrossentropy()(torch.tensor(y), keras_pred, keras_weights)
    np.testing.assert_allclose(keras_weights.numpy(), weights * mask * scale, rtol=1e-6)
    ember_pred = ek.ops.convert_to_tensor(probs)
    ember_pred._keras_mask = mask
    ember_weights = ek.ops.convert_to_tensor(weights)
    ember_loss = ek.losses.SparseCategoricalCrossentropy()(y, ember_pred, ember_weights)
    np.testing.assert_array_equal(ek.ops.convert_to_numpy(ember_weights), weights)
    expected = -(np.log(np.take_along_axis(probs, y[..., None], -1)[..., 0]) * weights * mask).sum() / mask.sum()
    np.testing.assert_allclose(float(ek.ops.convert_to_numpy(ember_loss)), expected, rtol=1e-5)
    np.testing.assert_allclose(float(keras_loss), expected, rtol=1e-5)


def _events_program(K, shuffle):
    seen = []

    class Batches(K.utils.PyDataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            seen.append(i)
            return np.full((2, 3), i, "float32"), np.zeros((2, 1), "float32")

        def on_epoch_begin(self):
            seen.append("begin")

        def on_epoch_end(self):
            seen.append("end")

    K.utils.set_random_seed(0)
    model = K.Sequential([K.Input((3,)), K.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(Batches(), epochs=2, shuffle=shuffle, verbose=0)
    seen.append("second fit")
    model.fit(Batches(), epochs=1, shuffle=shuffle, verbose=0)
    seen.append("evaluate")
    model.evaluate(Batches(), verbose=0)
    return seen


@pytest.mark.parametrize("shuffle", [True, False])
def test_pydataset_batch_order_and_epoch_hooks_follow_keras(shuffle):
    expected = _events_program(keras, shuffle)
    assert _events_program(ek, shuffle) == expected


def stateful_metric_on_shuffled_pydataset(K, live_result):
    """A custom Metric (add_variable, update_state, result, reset_state) counting true positives, fed by a
    shuffled PyDataset whose on_epoch_end is counted."""
    class TruePositives(K.metrics.Metric):
        def __init__(self, name="tp", **kwargs):
            super().__init__(name=name, **kwargs)
            self.tp = self.add_variable(shape=(), initializer="zeros", name="tp")
            self.positives = self.add_variable(shape=(), initializer="zeros", name="positives")

        def update_state(self, y_true, y_pred, sample_weight=None):
            hit = K.ops.cast(y_pred > 0.5, "float32")
            self.tp.assign_add(K.ops.sum(hit * K.ops.cast(y_true, "float32")))
            self.positives.assign_add(K.ops.sum(K.ops.cast(y_true, "float32")))

        def result(self):
            return self.tp if live_result else K.ops.divide_no_nan(self.tp, self.positives)

        def reset_state(self):
            self.tp.assign(0.0)
            self.positives.assign(0.0)

    class Batches(K.utils.PyDataset):
        def __init__(self, x, y, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.ends = x, y, 0

        def __len__(self):
            return len(self.x) // 4

        def __getitem__(self, i):
            return self.x[4 * i:4 * i + 4], self.y[4 * i:4 * i + 4]

        def on_epoch_end(self):
            self.ends += 1

    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    K.utils.set_random_seed(0)
    model = K.Sequential([K.Input((3,)), K.layers.Dense(1, activation="sigmoid")])
    _same_weights(model)
    model.compile(optimizer=K.optimizers.SGD(0.5), loss="binary_crossentropy", metrics=[TruePositives()])
    data = Batches(x, y)
    history = model.fit(data, epochs=3, verbose=0)
    return {"history": history.history, "ends": data.ends, "weights": model.get_weights()}


@pytest.mark.parametrize("live_result", [False, True])
def test_custom_metric_on_shuffled_pydataset_matches_keras(live_result):
    _compare(stateful_metric_on_shuffled_pydataset(ek, live_result),
             stateful_metric_on_shuffled_pydataset(keras, live_result), "tp")


def _guide_masking_model(K):
    """The "Understanding masking & padding" guide's layers: a CustomEmbedding with its own compute_mask, a
    supports_masking activation, and a TemporalSoftmax whose call needs its mask."""
    ops = K.ops

    class CustomEmbedding(K.layers.Layer):
        def build(self, input_shape):
            self.embeddings = self.add_weight(shape=(10, 3), initializer="random_normal")

        def call(self, inputs):
            return ops.take(self.embeddings, inputs, axis=0)

        def compute_mask(self, inputs, mask=None):
            return ops.not_equal(inputs, 0)

    class MyActivation(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs):
            return ops.relu(inputs)

    class TemporalSoftmax(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            assert mask is not None
            m = ops.expand_dims(ops.cast(mask, "float32"), -1)
            e = ops.exp(inputs) * m
            return e / ops.sum(e * m, axis=-1, keepdims=True)

    i = K.Input((None,), dtype="int32")
    x = TemporalSoftmax()(MyActivation()(K.layers.Dense(3)(CustomEmbedding()(i))))
    return K.Model(i, K.layers.LSTM(2)(x))


def test_a_layer_needing_its_mask_gets_one_when_the_functional_model_is_built_like_keras():
    """Symbolic tensors carry Keras's mask: a layer whose call asserts a mask (the masking guide's
    TemporalSoftmax) after a layer defining compute_mask is built into a functional model (ember ran it without
    a mask to find its output shape, so the guide's program failed); Embedding.compute_mask gives Keras's mask."""
    tokens = np.array([[1, 2, 0, 0], [3, 4, 5, 0]], "int32")
    got = []
    for K in (keras, ek):
        model = _guide_masking_model(K)
        _same_weights(model)
        embedding = K.layers.Embedding(6, 2, mask_zero=True)
        got.append((np.asarray(model.predict(tokens, verbose=0)),
                    np.asarray(K.ops.convert_to_numpy(embedding.compute_mask(tokens))),
                    K.layers.Embedding(6, 2).compute_mask(tokens)))
    np.testing.assert_allclose(got[1][0], got[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got[1][1], got[0][1])
    assert got[1][2] is None and got[0][2] is None


def _metric_after_validation(K):
    class TruePositives(K.metrics.Metric):   # the training guide's CategoricalTruePositives: result is the variable
        def __init__(self, name="tp", **kwargs):
            super().__init__(name=name, **kwargs)
            self.tp = self.add_variable(shape=(), initializer="zeros", name="tp")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.tp.assign_add(K.ops.sum(K.ops.cast(y_true, "float32")))

        def result(self):
            return self.tp

    x = np.ones((16, 2), "float32")
    y = np.array([1.0] * 12 + [2.0] * 4, "float32")
    model = K.Sequential([K.Input((2,)), K.layers.Dense(1)])
    _same_weights(model)
    model.compile("sgd", "mse", metrics=[TruePositives(), "mae"])
    seen = []
    cb = K.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(
        {m.name: np.asarray(K.ops.convert_to_numpy(m.result())).tolist() for m in model.metrics
         if m.name != "compile_metrics"}))
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, validation_data=(x[12:], y[12:]),
                        callbacks=[cb]).history
    return {"history": history, "after": model.get_metrics_result(), "seen": str(seen)}


def test_metrics_keep_the_validation_state_after_fit_validates_like_keras():
    """Keras's evaluate inside fit resets the metrics and leaves them holding the validation data's state (ember
    restored the training state), and fit reads its epoch logs after validation: a metric whose result() is its
    own variable logs the validation count as its training value too, as the training guide's
    CategoricalTruePositives does under Keras's torch backend."""
    _compare(_metric_after_validation(ek), _metric_after_validation(keras), "metric_after_validation")


@pytest.mark.parametrize("layer", ["Attention", "AdditiveAttention"])
def test_attention_scores_in_a_functional_model_and_the_mask_of_the_first_output_like_keras(layer):
    """Attention(...)([q, v], return_attention_scores=True) on KerasTensors gives (output, scores) (ember gave one
    tensor, so the unpacking failed), and a layer with several outputs passes its mask to the first, as Keras
    (ember masked no output of a tuple): the output's query padding is left out by GlobalAveragePooling1D."""
    rng = np.random.default_rng(3)
    q_ids = rng.integers(1, 9, (4, 5)).astype("int32")
    q_ids[:, -2:] = 0
    v_ids = rng.integers(1, 9, (4, 6)).astype("int32")
    got = []
    for K in (keras, ek):
        q_in, v_in = K.Input((5,), dtype="int32"), K.Input((6,), dtype="int32")
        embed = K.layers.Embedding(9, 4, mask_zero=True)
        out, scores = getattr(K.layers, layer)()([embed(q_in), embed(v_in)], return_attention_scores=True)
        model = K.Model([q_in, v_in], [K.layers.GlobalAveragePooling1D()(out), scores])
        _same_weights(model)
        got.append([np.asarray(a) for a in model.predict([q_ids, v_ids], verbose=0)])
    for e, k in zip(got[1], got[0]):
        np.testing.assert_allclose(e, k, rtol=1e-5, atol=1e-6)
