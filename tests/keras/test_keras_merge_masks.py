"""Masks through Keras's merge layers, against real Keras 3 (torch backend): ``Add``, ``Subtract``, ``Average``,
``Maximum``, ``Minimum``, ``Multiply`` OR their inputs' masks (None when one input has none); ``Maximum``,
``Minimum`` and ``Multiply`` also skip masked steps in their values; ``Concatenate`` treats an unmasked input as
all-kept and joins the masks along its axis; ``Dot`` drops the mask. The merged mask then reaches a following
LSTM (which carries its state over masked steps) and the loss of ``fit`` (masked steps weigh nothing)."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

IDS1 = np.array([[1, 2, 0, 0, 5], [3, 0, 0, 0, 0], [0, 0, 4, 1, 2]])
IDS2 = np.array([[1, 0, 3, 0, 0], [3, 4, 5, 0, 0], [0, 0, 0, 0, 0]])
TABLE = np.random.default_rng(0).standard_normal((6, 3)).astype("float32")


def _np(K, x):
    return None if x is None else np.asarray(K.ops.convert_to_numpy(x))


def _embedded(K, ids):
    layer = K.layers.Embedding(6, 3, mask_zero=True)
    layer.build((None, ids.shape[1]))
    layer.embeddings.assign(TABLE)
    return layer(ids)


def _merge(K, name, masked_second):
    a = _embedded(K, IDS1)
    b = _embedded(K, IDS2) if masked_second else K.ops.convert_to_tensor(np.full((3, 5, 3), 0.5, "float32"))
    layer = getattr(K.layers, name)(**({"axis": 1} if name == "Concatenate1" else {}))
    out = layer([a, b])
    mask = layer.compute_mask([a, b], [getattr(a, "_keras_mask", None), getattr(b, "_keras_mask", None)])
    return _np(K, out), _np(K, getattr(out, "_keras_mask", None)), _np(K, mask)




@pytest.mark.parametrize("masked_second", [True, False], ids=["both_masked", "one_masked"])
@pytest.mark.parametrize("name", ["Add", "Subtract", "Average", "Maximum", "Minimum", "Multiply", "Concatenate"])
def test_merge_layer_values_and_masks_equal_keras(name, masked_second):
    got, expected = _merge(ek, name, masked_second), _merge(keras, name, masked_second)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-6, atol=1e-6)
    for g, e in zip(got[1:], expected[1:]):
        assert (g is None) == (e is None), (name, g, e)
        if e is not None:
            np.testing.assert_array_equal(g.astype(bool), e.astype(bool))


def _concat_time(K, masked_second):
    a = _embedded(K, IDS1)
    b = _embedded(K, IDS2) if masked_second else K.ops.convert_to_tensor(np.ones((3, 5, 3), "float32"))
    out = K.layers.Concatenate(axis=1)([a, b])
    return _np(K, out), _np(K, getattr(out, "_keras_mask", None))


@pytest.mark.parametrize("masked_second", [True, False])
def test_concatenate_along_time_joins_the_masks_as_keras(masked_second):
    (gv, gm), (kv, km) = _concat_time(ek, masked_second), _concat_time(keras, masked_second)
    np.testing.assert_allclose(gv, kv, rtol=1e-6)
    np.testing.assert_array_equal(gm.astype(bool), km.astype(bool))


def test_merge_compute_mask_rules_equal_keras():
    for K in (keras, ek):
        x = K.ops.ones((2, 3))
        m = np.array([[True, False, True], [False, False, True]])
        assert K.layers.Add().compute_mask([x, x], None) is None
        assert K.layers.Add().compute_mask([x, x], [None, None]) is None
        assert K.layers.Concatenate().compute_mask([x, x], [None, None]) is None
        with pytest.raises(ValueError, match="should be a list"):
            K.layers.Add().compute_mask([x, x], m)
        with pytest.raises(ValueError, match="same length"):
            K.layers.Maximum().compute_mask([x, x], [m])
        assert K.layers.Dot(axes=1).compute_mask([x, x], [m, m]) is None


@pytest.mark.parametrize("axes,shapes", [(1, [(2, 3), (2, 3)]), (-1, [(2, 4, 3), (2, 5, 3)]),
                                         ((1, 2), [(2, 3), (2, 5, 3)]), ((2, 1), [(2, 4, 3), (2, 3, 5)]),
                                         ((1, 1), [(2, 4, 3), (2, 4, 5)])])
@pytest.mark.parametrize("normalize", [False, True])
def test_dot_batch_dot_shapes_and_values_equal_keras(axes, shapes, normalize):
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal(s).astype("float32") for s in shapes]
    outs = []
    for K in (keras, ek):
        layer = K.layers.Dot(axes=axes, normalize=normalize)
        out = _np(K, layer([K.ops.convert_to_tensor(x) for x in xs]))
        assert tuple(out.shape) == tuple(layer.compute_output_shape(shapes))
        outs.append(out)
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)


def _masked_sequence_model(K, merge):
    """Two token streams, each embedded with mask_zero, merged, an LSTM over the merged steps, a per-step
    softmax; trained with sparse categorical crossentropy on per-step targets (masked steps weigh nothing)."""
    a_in, b_in = K.Input((5,), dtype="int32"), K.Input((5,), dtype="int32")
    embed = K.layers.Embedding(6, 3, mask_zero=True)
    merged = getattr(K.layers, merge)()([embed(a_in), embed(b_in)])
    seq = K.layers.LSTM(4, return_sequences=True)(merged)
    model = K.Model([a_in, b_in], K.layers.Dense(3, activation="softmax")(seq))
    rng = np.random.default_rng(3)
    for w in model.weights:
        w.assign((rng.standard_normal(tuple(w.shape)) * 0.4).astype("float32"))
    model.compile(optimizer=K.optimizers.SGD(0.3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=False)
    targets = np.random.default_rng(4).integers(0, 3, (3, 5))
    history = model.fit([IDS1, IDS2], targets, epochs=3, batch_size=3, shuffle=False, verbose=0)
    pred = model([IDS1, IDS2])
    return {"history": history.history, "pred": _np(K, pred), "mask": _np(K, getattr(pred, "_keras_mask", None)),
            "eval": model.evaluate([IDS1, IDS2], targets, verbose=0)}


@pytest.mark.parametrize("merge", ["Add", "Concatenate", "Maximum", "Multiply"])
def test_merged_mask_reaches_lstm_and_loss_as_keras(merge):
    got, expected = _masked_sequence_model(ek, merge), _masked_sequence_model(keras, merge)
    for key in expected["history"]:
        np.testing.assert_allclose(got["history"][key], expected["history"][key], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got["pred"], expected["pred"], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got["mask"].astype(bool), expected["mask"].astype(bool))
    np.testing.assert_allclose(got["eval"], expected["eval"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make", [lambda K: K.layers.Dense(2, kernel_initializer="ones"),
                                  lambda K: K.layers.BatchNormalization(),
                                  lambda K: K.layers.LayerNormalization(), lambda K: K.layers.Rescaling(2.0),
                                  lambda K: K.layers.Normalization(mean=0.5, variance=4.0),
                                  lambda K: K.layers.RMSNormalization(), lambda K: K.layers.LSTM(2),
                                  lambda K: K.layers.LSTM(2, return_sequences=True),
                                  lambda K: K.layers.GlobalAveragePooling1D(), lambda K: K.layers.Dropout(0.0)],
                         ids=["Dense", "BatchNormalization", "LayerNormalization", "Rescaling", "Normalization",
                              "RMSNormalization", "LSTM", "LSTM_sequences", "GlobalAveragePooling1D", "Dropout"])
def test_layers_after_a_masked_embedding_keep_or_drop_the_mask_as_keras(make):
    results = []
    for K in (keras, ek):
        layer = make(K)
        out = layer(_embedded(K, IDS1))
        results.append((bool(layer.supports_masking), _np(K, out), _np(K, getattr(out, "_keras_mask", None))))
    (k_supports, k_out, k_mask), (e_supports, e_out, e_mask) = results
    assert e_supports == k_supports
    assert (e_mask is None) == (k_mask is None)
    if k_mask is not None:
        np.testing.assert_array_equal(e_mask.astype(bool), k_mask.astype(bool))
    if "LSTM" not in type(make(ek)).__name__:
        np.testing.assert_allclose(e_out, k_out, rtol=1e-5, atol=1e-6)


def _attention_pooled(K):
    """The keras.io Transformer classifier's tail on padded tokens, as a functional model: self-attention keeps
    the query's mask, the feed-forward Dense keeps it, and GlobalAveragePooling1D averages the kept steps only.
    (Called eagerly a second time, Keras's MultiHeadAttention output loses the mask; in a model it keeps it.)"""
    tokens = K.Input((5,), dtype="int32")
    x = K.layers.Embedding(6, 3, mask_zero=True)(tokens)
    attended = K.layers.MultiHeadAttention(num_heads=1, key_dim=2)(x, x)
    dense = K.layers.Dense(3)(attended)
    model = K.Model(tokens, [attended, K.layers.GlobalAveragePooling1D()(dense)])
    rng = np.random.default_rng(7)
    for w in model.weights:
        w.assign((rng.standard_normal(tuple(w.shape)) * 0.5).astype("float32"))
    attended, pooled = model(IDS1)
    return _np(K, getattr(attended, "_keras_mask", None)), _np(K, pooled)


def test_attention_dense_and_average_pooling_use_the_mask_as_keras():
    (e_mask, e_pooled), (k_mask, k_pooled) = _attention_pooled(ek), _attention_pooled(keras)
    np.testing.assert_array_equal(e_mask.astype(bool), k_mask.astype(bool))
    np.testing.assert_allclose(e_pooled, k_pooled, rtol=1e-5, atol=1e-6)
