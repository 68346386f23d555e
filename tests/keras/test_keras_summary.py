"""``summary()``: parameter counts of reference models (from arithmetic, as Keras documents them) and the table."""
import io
import re

import numpy as np
import pytest

from ember import keras
from ember.keras import layers


def _summary(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "\n".join(lines)


def _total(text, kind="Total"):
    return int(re.search(rf" {kind} params: ([\d,]+) ", text).group(1).replace(",", ""))


def classic_cnn():
    return keras.Sequential([
        layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


# (model factory, expected total, expected non-trainable), each number written from the layer formulas.
REFERENCE = [
    # The classic CNN: 3*3*1*32+32 = 320; 3*3*32*64+64 = 18,496; 3*3*64*64+64 = 36,928;
    # Dense 576*64+64 = 36,928; Dense 64*10+10 = 650.
    (classic_cnn, 320 + 18_496 + 36_928 + 36_928 + 650, 0),
    # MLP 784-512-10: 784*512+512 + 512*10+10.
    (lambda: keras.Sequential([keras.Input((784,)), layers.Dense(512, activation="relu"), layers.Dropout(0.2),
                               layers.Dense(10)]), 401_920 + 5_130, 0),
    # Embedding 10000x16 + GlobalAveragePooling1D + Dense 16*16+16 + Dense 16+1 (the text classification tutorial).
    (lambda: keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(10_000, 16),
                               layers.GlobalAveragePooling1D(), layers.Dense(16, activation="relu"),
                               layers.Dense(1)]), 160_000 + 272 + 17, 0),
    # LSTM(64) on 32 features: 4 * (64 * (32 + 64) + 64).
    (lambda: keras.Sequential([keras.Input((10, 32)), layers.LSTM(64)]), 4 * (64 * 96 + 64), 0),
    # GRU(64), reset_after: 3 * 64 * (32 + 64) + 2 * 3 * 64.
    (lambda: keras.Sequential([keras.Input((10, 32)), layers.GRU(64)]), 3 * 64 * 96 + 6 * 64, 0),
    # GRU(64, reset_after=False): 3 * (64 * (32 + 64) + 64).
    (lambda: keras.Sequential([keras.Input((10, 32)), layers.GRU(64, reset_after=False)]), 3 * (64 * 96 + 64), 0),
    # SimpleRNN(32) on 8 features: 32*8 + 32*32 + 32.
    (lambda: keras.Sequential([keras.Input((5, 8)), layers.SimpleRNN(32)]), 1_312, 0),
    # Bidirectional(LSTM(16)) on 8 features: 2 * 4 * (16 * 24 + 16).
    (lambda: keras.Sequential([keras.Input((5, 8)), layers.Bidirectional(layers.LSTM(16))]), 3_200, 0),
    # BatchNormalization on 32 channels: gamma, beta, moving mean and variance; the last two not trainable.
    (lambda: keras.Sequential([keras.Input((4, 4, 32)), layers.BatchNormalization()]), 128, 64),
    # Conv2DTranspose(16, 3) on 8 channels: 3*3*16*8 + 16.
    (lambda: keras.Sequential([keras.Input((5, 5, 8)), layers.Conv2DTranspose(16, 3)]), 1_168, 0),
    # SeparableConv2D(16, 3) on 8 channels: depthwise 3*3*8 + pointwise 8*16 + bias 16.
    (lambda: keras.Sequential([keras.Input((5, 5, 8)), layers.SeparableConv2D(16, 3)]), 216, 0),
    # DepthwiseConv2D(3) on 8 channels: 3*3*8 + 8.
    (lambda: keras.Sequential([keras.Input((5, 5, 8)), layers.DepthwiseConv2D(3)]), 80, 0),
    # MultiHeadAttention(2 heads, key_dim 4) on 8 features: 3 * (8*2*4 + 2*4) + (2*4*8 + 8).
    (lambda: _mha_model(), 3 * 72 + 72, 0),
    # Normalization on 3 features: mean, variance (3 each) and count, none trainable.
    (lambda: keras.Sequential([keras.Input((3,)), layers.Normalization()]), 7, 7),
]


def _mha_model():
    x = keras.Input((6, 8))
    return keras.Model(x, layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x))


@pytest.mark.parametrize("factory,total,non_trainable", REFERENCE)
def test_parameter_counts_match_keras(factory, total, non_trainable):
    model = factory()
    text = _summary(model)
    assert model.count_params() == total
    assert _total(text) == total
    assert _total(text, "Non-trainable") == non_trainable
    assert _total(text, "Trainable") == total - non_trainable


def test_classic_cnn_summary_table_is_keras_table():
    keras.backend.clear_session()
    text = _summary(classic_cnn(), line_length=76)
    expected = """Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d (MaxPooling2D)    │ (None, 13, 13, 32)     │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_1 (Conv2D)               │ (None, 11, 11, 64)     │        18,496 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d_1 (MaxPooling2D)  │ (None, 5, 5, 64)       │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_2 (Conv2D)               │ (None, 3, 3, 64)       │        36,928 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ flatten (Flatten)               │ (None, 576)            │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 64)             │        36,928 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │           650 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 93,322 (364.54 KB)
 Trainable params: 93,322 (364.54 KB)
 Non-trainable params: 0 (0.00 B)"""
    assert text == expected + "\n"   # Keras hands print_fn rich's whole capture, newline-terminated


def test_optimizer_params_after_fit():
    # Adam keeps two slots per weight plus `iterations` and the learning rate: 2 * 93,322 + 2.
    model = classic_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.train_on_batch(np.zeros((2, 28, 28, 1), np.float32), np.zeros(2, np.int64))
    text = _summary(model, line_length=76)
    assert " Optimizer params: 186,646 (729.09 KB)" in text
    assert " Total params: 279,968 (1.07 MB)" in text


def test_functional_model_with_branches_has_connected_to_column(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")   # rich, and so Keras, cuts a table wider than the console
    keras.backend.clear_session()
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    x = layers.Dense(5, name="da")(a)
    y = layers.Concatenate(name="cat")([x, b])
    model = keras.Model([a, b], layers.Dense(1, name="out")(y), name="two_inputs")
    text = _summary(model, line_length=108)
    assert "Connected to" in text
    assert re.search(r"│ cat \(Concatenate\) +│ \(None, 8\) +│ +0 │ da\[0\]\[0\], b\[0\]\[0\]", text)
    assert re.search(r"│ a \(InputLayer\) +│ \(None, 4\) +│ +0 │ - ", text)
    assert _total(text) == 4 * 5 + 5 + 8 + 1


def test_frozen_layers_count_as_non_trainable():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(2)])
    model.layers[0].trainable = False
    text = _summary(model)
    assert _total(text, "Trainable") == 8 and _total(text, "Non-trainable") == 15
    assert not model.layers[0].kernel.requires_grad


def test_unbuilt_model_summary_says_unbuilt():
    model = keras.Sequential([layers.Dense(3)])
    out = io.StringIO()
    model.summary(print_fn=lambda line: out.write(line + "\n"))
    assert "0 (unbuilt)" in out.getvalue()


def _nested_models(K):
    inner = K.Sequential([K.Input((6,)), K.layers.Dense(5, name="inner_dense"),
                          K.layers.BatchNormalization(name="inner_bn")], name="block")
    inp = K.Input((4,), name="features")
    model = K.Model(inp, K.layers.Dense(2, name="head")(inner(K.layers.Dense(6, name="proj")(inp))), name="outer")
    inner.trainable = False

    class Thing(K.layers.Layer):       # no compute_output_shape: Keras shows '?'
        def call(self, x):
            return x * 2

    class Sub(K.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.a, self.t, self.b = K.layers.Dense(3), Thing(), K.layers.Dense(1)

        def call(self, x):
            return self.b(self.t(self.a(x)))
    sub = Sub()
    sub(np.ones((2, 4), "float32"))
    sub(np.ones((5, 4), "float32"))
    return model, sub


@pytest.mark.parametrize("case", ["trainable", "wide", "subclassed"])
def test_summary_trainable_column_wide_tables_and_subclassed_shapes_like_keras(case, monkeypatch):
    """The Trainable column centres Y / N / - as rich does (ember left-aligned them); a table wider than the
    console (line_length=100 on an 80-column console) is cut at the console's width as rich cuts it; a subclassed
    model's layers show compute_output_shape of their first call's shape, batch included, and '?' for a layer
    without compute_output_shape (ember showed (None, 3) for every layer)."""
    import os
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras as real
    monkeypatch.setenv("COLUMNS", "80")
    texts = []
    for K in (real, keras):
        K.backend.clear_session()
        model, sub = _nested_models(K)
        kwargs = {"trainable": {"show_trainable": True, "expand_nested": True},
                  "wide": {"line_length": 100, "expand_nested": True}, "subclassed": {}}[case]
        buf = io.StringIO()
        (sub if case == "subclassed" else model).summary(print_fn=lambda s, line_break=None: buf.write(s), **kwargs)
        texts.append(buf.getvalue())
    assert texts[1] == texts[0]
