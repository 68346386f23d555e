"""Keras 3 programs in the style of keras.io examples and the Keras guides, in areas the other program files
leave out, run unchanged under real Keras 3 (torch backend) and under ``ember.keras`` (each program is a function
of the Keras module ``K``): the "Working with RNNs" guide (StackedRNNCells in RNN, Bidirectional with a
go_backwards backward_layer, return_state/initial_state, TimeDistributed), the "Training & evaluation with
built-in methods" guide (a Metric subclass, a Loss subclass, add_loss, class_weight, validation_split,
sample_weight in validation_data, LearningRateScheduler), the "Customizing Saving" guide (save_own_variables /
load_own_variables, save_assets / load_assets, get_build_config / build_from_config, get_compile_config), the
Sequential model guide (add/pop, feature extractors from layer outputs, summary, freezing), FNet (ops.fft2),
a Mixture Density Network (ops.logsumexp loss, EarlyStopping restoring the best weights), a Video Vision
Transformer (Conv3D tubelets), Compact Convolutional Transformers (StochasticDepth with a SeedGenerator,
sequence pooling, AdamW, label smoothing), involution layers (ops.image.extract_patches, a two-output layer,
summary), a PyDataset of dict inputs and targets for a two-input two-output model, the Functional API guide
(shared layers, Model.from_config, model_from_json, clone_model with a clone_function, a subclassed model
around a functional one), the masking guide (pad_sequences, Masking, a compute_mask layer, a TemporalSoftmax
needing its mask), Attention / AdditiveAttention with scores, GRU(reset_after=False), GroupNormalization and
UnitNormalization, and the "Writing your own callbacks" guide (every hook's logs, early stopping at the minimum
loss, a learning-rate table, CSVLogger, initial_epoch, validation_freq), multi-label and regression metrics
(AUC, Precision/Recall at thresholds and top_k, F1Score, R2Score, MAPE ...), optimizer options (clipnorm,
global_clipnorm, clipvalue, EMA, gradient accumulation, AdamW with exclude_from_weight_decay, a
LearningRateSchedule subclass), the on-batch APIs with a Python generator and activation layers, and the
preprocessing layers guide without TensorFlow (Normalization adapted and inverted, Discretization,
CategoryEncoding, Resizing, CenterCrop, Rescaling, slicing a KerasTensor), and printed output: summaries of
nested, frozen and subclassed models (expand_nested, show_trainable, layer_range, line_length) and what fit,
evaluate and predict print with verbose=2; temporal and volumetric convolutions (a causal dilated TCN block,
separable/depthwise/transposed 1-D convolutions, Conv3D, TimeDistributed Conv2D into a GRU, grouped Conv2D),
keras.ops in custom layers (top-k gating, segment pooling, fori_loop, scan, cond, sort/argsort with
take_along_axis), and a convolutional autoencoder (Conv2DTranspose with output_padding, bilinear
UpSampling2D, cropping, an encoder cut out with get_layer), and a siamese network with a triplet loss in
compute_loss, a Dot(normalize=True) similarity and a Lambda saved and reloaded with safe_mode=False;
pre-trained embeddings frozen then fine-tuned, a PyDataset read by two worker threads, and a Keras-style
Optimizer subclass (add_variable_from_reference in build, update_step writing through assign).

As in ``test_keras_programs_io2``: weights get values from a fixed NumPy generator in ``model.weights`` order,
data is fixed and unshuffled, dropout rates are 0 and training-time noise is off (Keras's random streams are not
ember's), and histories, evaluations, predictions and printed summaries are compared at float32 tolerance."""
import contextlib
import io
import json
import os
import re

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

from .test_keras_programs import _compare  # noqa: E402
from .test_keras_programs_io2 import _init as init  # noqa: E402


def npy(K, x):
    return np.asarray(K.ops.convert_to_numpy(x))


# ---------------------------------------------------------------------------------------------------- programs


def rnn_guide(K):
    """The "Working with RNNs" guide: RNN over StackedRNNCells (LSTMCell, GRUCell), Bidirectional with a
    go_backwards SimpleRNN backward_layer and merge_mode="sum", an encoder LSTM's return_state feeding a decoder's
    initial_state, TimeDistributed(Dense) on top. (The guide's NestedCell with nested inputs does not build in
    Keras 3, so it is left out.)"""
    layers, ops = K.layers, K.ops

    rng = np.random.default_rng(0)
    # stacked cells + bidirectional with backward layer + encoder/decoder states
    x = rng.standard_normal((6, 5, 3)).astype("float32")
    y = rng.integers(0, 3, (6, 5))
    inp = K.Input((5, 3))
    cells = [layers.LSTMCell(4), layers.GRUCell(3)]
    seq = layers.RNN(layers.StackedRNNCells(cells), return_sequences=True)(inp)
    fwd = layers.LSTM(3, return_sequences=True)
    bwd = layers.SimpleRNN(3, activation="relu", return_sequences=True, go_backwards=True)
    bi = layers.Bidirectional(fwd, backward_layer=bwd, merge_mode="sum")(seq)
    enc_out, h, c = layers.LSTM(4, return_state=True, return_sequences=True)(bi)
    dec = layers.LSTM(4, return_sequences=True)(enc_out, initial_state=[h, c])
    out = layers.TimeDistributed(layers.Dense(3, activation="softmax"))(dec)
    model = K.Model(inp, out)
    init(model, 1, 0.3)
    model.compile(optimizer=K.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    h = model.fit(x, y, batch_size=3, epochs=2, verbose=0, shuffle=False).history
    ev = model.evaluate(x, y, verbose=0, return_dict=True)
    return {"names": [w.path for w in model.weights], "hist": h, "eval": ev,
            "pred": model.predict(x, verbose=0)}


def training_guide(K):
    """The "Training & evaluation with the built-in methods" guide: a CategoricalTruePositives Metric subclass,
    a CustomMSE Loss subclass, an ActivityRegularizationLayer calling add_loss, class_weight with
    validation_split, sample_weight with (x, y, sample_weight) validation_data, evaluate as a dict and a list,
    LearningRateScheduler. (The metric's result is its variable, read by Keras's torch trainer after validation
    has reset and refilled it: its training value in the history is the validation count.)"""
    layers, ops = K.layers, K.ops

    class CategoricalTruePositives(K.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives

        def reset_state(self):
            self.true_positives.assign(0.0)

    class CustomMSE(K.losses.Loss):
        def __init__(self, regularization_factor=0.1, name="custom_mse"):
            super().__init__(name=name)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
            reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
            return mse + reg * self.regularization_factor

    class ActivityRegularizationLayer(layers.Layer):
        def call(self, inputs):
            self.add_loss(ops.sum(inputs) * 0.01)
            return inputs

    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 8)).astype("float32")
    y = rng.integers(0, 4, (40,)).astype("int64")
    inputs = K.Input(shape=(8,), name="digits")
    h = layers.Dense(6, activation="relu", name="dense_1")(inputs)
    h = ActivityRegularizationLayer()(h)
    h = layers.Dense(6, activation="relu", name="dense_2")(h)
    outputs = layers.Dense(4, activation="softmax", name="predictions")(h)
    model = K.Model(inputs=inputs, outputs=outputs)
    init(model)
    model.compile(optimizer=K.optimizers.RMSprop(learning_rate=1e-3),
                  loss=K.losses.SparseCategoricalCrossentropy(),
                  metrics=[K.metrics.SparseCategoricalAccuracy(), CategoricalTruePositives()])
    class_weight = {0: 1.0, 1: 2.0, 2: 0.5, 3: 1.0}
    hist = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.25, class_weight=class_weight, verbose=0,
                     shuffle=False).history
    sw = np.where(y == 2, 3.0, 1.0).astype("float32")
    hist2 = model.fit(x, y, sample_weight=sw, batch_size=8, epochs=1, verbose=0, shuffle=False,
                      validation_data=(x[:8], y[:8], sw[:8])).history
    ev = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    ev_list = model.evaluate(x, y, batch_size=16, verbose=0)

    # CustomMSE with one-hot
    m2 = K.Sequential([K.Input((8,)), layers.Dense(4, activation="sigmoid")])
    init(m2, 2)
    m2.compile(optimizer="adam", loss=CustomMSE())
    h3 = m2.fit(x, K.utils.to_categorical(y, 4), batch_size=10, epochs=2, verbose=0, shuffle=False).history
    lr_cb = K.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr)
    h4 = m2.fit(x, K.utils.to_categorical(y, 4), batch_size=10, epochs=3, verbose=0, shuffle=False, callbacks=[lr_cb]).history
    return {"hist": hist, "hist2": hist2, "ev": ev, "ev_list": ev_list, "metrics_names": list(model.metrics_names),
            "h3": h3, "h4": h4}


def sequential_guide(K):
    """The Sequential model guide: add/pop, feature extraction with all layer outputs, model.layers naming, summary."""
    layers = K.layers
    model = K.Sequential(name="my_sequential")
    model.add(K.Input(shape=(10, 10, 3)))
    model.add(layers.Conv2D(4, 3, strides=2, activation="relu"))
    model.add(layers.Conv2D(4, 3, activation="relu", name="my_intermediate_layer"))
    model.add(layers.MaxPooling2D(2))
    model.add(layers.Dense(2))
    names = [l.name for l in model.layers]
    model.pop()
    n_after_pop = len(model.layers)
    model.add(layers.GlobalMaxPooling2D())
    model.add(layers.Dense(3))
    init(model)
    buf = io.StringIO()
    model.summary(print_fn=lambda s, line_break=None: buf.write(s))
    extractor = K.Model(inputs=model.inputs, outputs=[l.output for l in model.layers])
    x = np.random.default_rng(0).standard_normal((2, 10, 10, 3)).astype("float32")
    feats = extractor(x)
    mid = K.Model(inputs=model.inputs, outputs=model.get_layer(name="my_intermediate_layer").output)
    # freezing all but last
    for l in model.layers[:-1]:
        l.trainable = False
    model.compile(optimizer="adam", loss="mse")
    y = np.ones((2, 3), "float32")
    h = model.fit(x, y, epochs=2, verbose=0).history
    return {"names": " ".join(names), "n_after_pop": n_after_pop, "summary": buf.getvalue(),
            "feats": [npy(K, f) for f in feats], "mid": npy(K, mid(x)), "h": h,
            "trainable": len(model.trainable_weights), "nontrainable": len(model.non_trainable_weights),
            "inputs": str(extractor.input_shape), "outputs": str(extractor.output_shape)}


def fnet(K):
    """keras.io "Text Generation using FNet", small: FNetEncoder with ops.fft2 (real and imaginary parts)."""
    layers, ops = K.layers, K.ops

    class FNetEncoder(layers.Layer):
        def __init__(self, embed_dim, dense_dim, **kwargs):
            super().__init__(**kwargs)
            self.embed_dim = embed_dim
            self.dense_proj = K.Sequential([layers.Dense(dense_dim, activation="relu"), layers.Dense(embed_dim)])
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()

        def call(self, inputs):
            inp_complex = ops.cast(inputs, "float32")
            real, imag = ops.fft2((inp_complex, ops.zeros_like(inp_complex)))
            proj_input = self.layernorm_1(inputs + real)
            proj_output = self.dense_proj(proj_input)
            return self.layernorm_2(proj_input + proj_output)

    class PositionalEmbedding(layers.Layer):
        def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_embeddings = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.position_embeddings = layers.Embedding(input_dim=sequence_length, output_dim=embed_dim)
            self.sequence_length = sequence_length

        def call(self, inputs):
            length = ops.shape(inputs)[-1]
            positions = ops.arange(0, length, 1)
            return self.token_embeddings(inputs) + self.position_embeddings(positions)

        def compute_mask(self, inputs, mask=None):
            return ops.not_equal(inputs, 0)

    inp = K.Input((6,), dtype="int32")
    h = PositionalEmbedding(6, 12, 8)(inp)
    h = FNetEncoder(8, 10)(h)
    h = layers.GlobalAveragePooling1D()(h)
    out = layers.Dense(3, activation="softmax")(h)
    model = K.Model(inp, out)
    init(model)
    rng = np.random.default_rng(1)
    x = rng.integers(0, 12, (10, 6)).astype("int32")
    y = rng.integers(0, 3, (10,))
    model.compile(K.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, batch_size=5, epochs=2, verbose=0, shuffle=False).history
    return {"h": h, "pred": model.predict(x, verbose=0)}


def mixture_density(K):
    """keras.io "Approximating non-Function Mappings with Mixture Density Networks": an MDN layer (mus, sigmas
    through elu+1+eps, pi logits concatenated) and a loss from ops.logsumexp over the mixture."""
    layers, ops = K.layers, K.ops

    def elu_plus_one_plus_epsilon(x):
        return K.activations.elu(x) + 1 + K.backend.epsilon()

    class MixtureDensityOutput(layers.Layer):
        def __init__(self, output_dimension, num_mixtures, **kwargs):
            super().__init__(**kwargs)
            self.output_dim = output_dimension
            self.num_mix = num_mixtures
            self.mdn_mus = layers.Dense(num_mixtures * output_dimension, name="mdn_mus")
            self.mdn_sigmas = layers.Dense(num_mixtures * output_dimension, activation=elu_plus_one_plus_epsilon,
                                           name="mdn_sigmas")
            self.mdn_pi = layers.Dense(num_mixtures, name="mdn_pi")

        def build(self, input_shape):
            self.mdn_mus.build(input_shape)
            self.mdn_sigmas.build(input_shape)
            self.mdn_pi.build(input_shape)
            super().build(input_shape)

        @property
        def trainable_weights(self):
            return self.mdn_mus.trainable_weights + self.mdn_sigmas.trainable_weights + self.mdn_pi.trainable_weights

        def call(self, x, mask=None):
            return layers.concatenate([self.mdn_mus(x), self.mdn_sigmas(x), self.mdn_pi(x)], name="mdn_outputs")

    def get_mixture_loss_func(output_dim, num_mixes):
        def mdn_loss_func(y_true, y_pred):
            y_pred = ops.reshape(y_pred, [-1, (2 * num_mixes * output_dim) + num_mixes])
            y_true = ops.reshape(y_true, [-1, output_dim])
            out_mu, out_sigma, out_pi = ops.split(y_pred, [num_mixes * output_dim, 2 * num_mixes * output_dim], axis=-1)
            mus = ops.reshape(out_mu, (-1, num_mixes, output_dim))
            sigs = ops.reshape(out_sigma, (-1, num_mixes, output_dim))
            log_pi = ops.log_softmax(out_pi, axis=-1)
            y = ops.expand_dims(y_true, 1)
            log_prob = -0.5 * ops.sum(ops.square((y - mus) / sigs) + 2 * ops.log(sigs) + ops.log(2 * np.pi), axis=-1)
            loss = -ops.logsumexp(log_pi + log_prob, axis=-1)
            return ops.mean(loss)
        return mdn_loss_func

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (32, 1)).astype("float32")
    y = (np.sin(3 * x) + 0.1 * rng.standard_normal((32, 1))).astype("float32")
    model = K.Sequential([layers.Dense(8, activation="relu"), MixtureDensityOutput(1, 3, name="mdn_outputs")])
    model.compile(loss=get_mixture_loss_func(1, 3), optimizer=K.optimizers.Adam())
    model.build((None, 1))
    init(model)
    h = model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False,
                  callbacks=[K.callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)]).history
    return {"h": h, "pred": model.predict(x, verbose=0), "n": len(model.trainable_weights),
            "out": str(model.output_shape)}


def vivit(K):
    """keras.io "Video Vision Transformer", small: TubeletEmbedding (Conv3D, Reshape), PositionalEncoder
    (Embedding over ops.arange), transformer blocks, GlobalAveragePooling1D."""
    layers, ops = K.layers, K.ops

    class TubeletEmbedding(layers.Layer):
        def __init__(self, embed_dim, patch_size, **kwargs):
            super().__init__(**kwargs)
            self.projection = layers.Conv3D(filters=embed_dim, kernel_size=patch_size, strides=patch_size,
                                            padding="VALID")
            self.flatten = layers.Reshape(target_shape=(-1, embed_dim))

        def call(self, videos):
            return self.flatten(self.projection(videos))

    class PositionalEncoder(layers.Layer):
        def __init__(self, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.embed_dim = embed_dim

        def build(self, input_shape):
            _, num_tokens, _ = input_shape
            self.position_embedding = layers.Embedding(input_dim=num_tokens, output_dim=self.embed_dim)
            self.positions = ops.arange(0, num_tokens, 1)

        def call(self, encoded_tokens):
            return encoded_tokens + self.position_embedding(self.positions)

    inputs = layers.Input(shape=(4, 8, 8, 1))
    patches = TubeletEmbedding(8, (2, 4, 4))(inputs)
    encoded = PositionalEncoder(8)(patches)
    for _ in range(2):
        x1 = layers.LayerNormalization(epsilon=1e-6)(encoded)
        att = layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.0)(x1, x1)
        x2 = layers.Add()([att, encoded])
        x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
        x3 = K.Sequential([layers.Dense(16, activation=ops.gelu), layers.Dense(8, activation=ops.gelu)])(x3)
        encoded = layers.Add()([x3, x2])
    rep = layers.LayerNormalization(epsilon=1e-6)(encoded)
    rep = layers.GlobalAvgPool1D()(rep)
    outputs = layers.Dense(3, activation="softmax")(rep)
    model = K.Model(inputs=inputs, outputs=outputs)
    init(model, 0, 0.2)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 3, (6,))
    model.compile(optimizer=K.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=[K.metrics.SparseCategoricalAccuracy(name="accuracy"),
                           K.metrics.SparseTopKCategoricalAccuracy(2, name="top-2-accuracy")])
    h = model.fit(x, y, batch_size=3, epochs=2, verbose=0, shuffle=False,
                  validation_data=(x[:3], y[:3])).history
    _, acc, top = model.evaluate(x, y, verbose=0)
    return {"h": h, "acc": acc, "top": top, "pred": model.predict(x, verbose=0),
            "shapes": [list(w.shape) for w in model.weights]}


def cct(K):
    """keras.io "Compact Convolutional Transformers", small: a CCTTokenizer (Conv2D, ZeroPadding2D, MaxPooling2D,
    reshape), StochasticDepth with keras.random.uniform and a SeedGenerator (identity at inference, rate 0 in
    training), sequence pooling (Dense attention weights, softmax, matmul)."""
    layers, ops = K.layers, K.ops

    class CCTTokenizer(layers.Layer):
        def __init__(self, kernel_size=3, stride=1, padding=1, pooling_kernel_size=3, pooling_stride=2,
                     num_conv_layers=2, num_output_channels=(4, 8), **kwargs):
            super().__init__(**kwargs)
            self.conv_model = K.Sequential()
            for i in range(num_conv_layers):
                self.conv_model.add(layers.Conv2D(num_output_channels[i], kernel_size, stride, padding="valid",
                                                  use_bias=False, activation="relu", kernel_initializer="he_normal"))
                self.conv_model.add(layers.ZeroPadding2D(padding))
                self.conv_model.add(layers.MaxPooling2D(pooling_kernel_size, pooling_stride, "same"))

        def call(self, images):
            outputs = self.conv_model(images)
            return ops.reshape(outputs, (-1, ops.shape(outputs)[1] * ops.shape(outputs)[2],
                                         ops.shape(outputs)[-1]))

    class StochasticDepth(layers.Layer):
        def __init__(self, drop_prop, **kwargs):
            super().__init__(**kwargs)
            self.drop_prob = drop_prop
            self.seed_generator = K.random.SeedGenerator(1337)

        def call(self, x, training=None):
            if training:
                keep_prob = 1 - self.drop_prob
                shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
                random_tensor = keep_prob + K.random.uniform(shape, 0, 1, seed=self.seed_generator)
                random_tensor = ops.floor(random_tensor)
                return (x / keep_prob) * random_tensor
            return x

    class SequencePooling(layers.Layer):
        def __init__(self):
            super().__init__()
            self.attention = layers.Dense(1)

        def call(self, x):
            attention_weights = ops.softmax(self.attention(x), axis=1)
            attention_weights = ops.transpose(attention_weights, axes=(0, 2, 1))
            weighted_representation = ops.matmul(attention_weights, x)
            return ops.squeeze(weighted_representation, -2)

    inputs = layers.Input((16, 16, 3))
    encoded = CCTTokenizer()(inputs)
    for i in range(2):
        x1 = layers.LayerNormalization(epsilon=1e-5)(encoded)
        att = layers.MultiHeadAttention(num_heads=2, key_dim=8, dropout=0.0)(x1, x1)
        att = StochasticDepth(0.0)(att)
        x2 = layers.Add()([att, encoded])
        x3 = layers.LayerNormalization(epsilon=1e-5)(x2)
        x3 = layers.Dense(8, activation=K.activations.gelu)(x3)
        x3 = StochasticDepth(0.0)(x3)
        encoded = layers.Add()([x3, x2])
    rep = layers.LayerNormalization(epsilon=1e-5)(encoded)
    weighted = SequencePooling()(rep)
    logits = layers.Dense(4)(weighted)
    model = K.Model(inputs=inputs, outputs=logits)
    init(model, 0, 0.2)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 16, 16, 3)).astype("float32")
    y = K.utils.to_categorical(rng.integers(0, 4, (6,)), 4)
    model.compile(optimizer=K.optimizers.AdamW(learning_rate=1e-3, weight_decay=1e-4),
                  loss=K.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
                  metrics=[K.metrics.CategoricalAccuracy(name="accuracy"),
                           K.metrics.TopKCategoricalAccuracy(2, name="top-2-accuracy")])
    h = model.fit(x, y, batch_size=3, epochs=2, verbose=0, shuffle=False).history
    return {"h": h, "pred": model.predict(x, verbose=0), "n": model.count_params()}


def involution(K):
    """keras.io "Involutional neural networks": an Involution layer generating per-pixel kernels (AveragePooling2D,
    Conv2D+BN+ReLU reduce/span, reshape/expand_dims) and applying them to extract_patches of the input."""
    layers, ops = K.layers, K.ops

    class Involution(layers.Layer):
        def __init__(self, channel, group_number, kernel_size, stride, reduction_ratio, name):
            super().__init__(name=name)
            self.channel = channel
            self.group_number = group_number
            self.kernel_size = kernel_size
            self.stride = stride
            self.reduction_ratio = reduction_ratio

        def build(self, input_shape):
            (_, height, width, num_channels) = input_shape
            height = height // self.stride
            width = width // self.stride
            self.stride_layer = (layers.AveragePooling2D(pool_size=self.stride, strides=self.stride, padding="same")
                                 if self.stride > 1 else (lambda x: x))
            self.kernel_gen = K.Sequential([
                layers.Conv2D(filters=self.channel // self.reduction_ratio, kernel_size=1),
                layers.BatchNormalization(),
                layers.ReLU(),
                layers.Conv2D(filters=self.kernel_size * self.kernel_size * self.group_number, kernel_size=1)])
            self.kernel_reshape = layers.Reshape(target_shape=(height, width, self.kernel_size * self.kernel_size,
                                                               1, self.group_number))
            self.input_patches_reshape = layers.Reshape(target_shape=(
                height, width, self.kernel_size * self.kernel_size, num_channels // self.group_number,
                self.group_number))
            self.output_reshape = layers.Reshape(target_shape=(height, width, num_channels))

        def call(self, x):
            kernel_input = self.stride_layer(x)
            kernel = self.kernel_gen(kernel_input)
            kernel = self.kernel_reshape(kernel)
            input_patches = ops.image.extract_patches(x, size=self.kernel_size, strides=self.stride,
                                                      dilation_rate=1, padding="same")
            input_patches = self.input_patches_reshape(input_patches)
            output = ops.multiply(kernel, input_patches)
            output = ops.sum(output, axis=3)
            output = self.output_reshape(output)
            return output, kernel

    inputs = K.Input(shape=(8, 8, 3))
    x, _ = Involution(channel=3, group_number=1, kernel_size=3, stride=1, reduction_ratio=2, name="inv_1")(inputs)
    x = layers.ReLU()(x)
    x = layers.MaxPooling2D((2, 2))(x)
    x, _ = Involution(channel=3, group_number=1, kernel_size=3, stride=2, reduction_ratio=2, name="inv_2")(x)
    x = layers.ReLU()(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(4)(x)
    model = K.Model(inputs=[inputs], outputs=[outputs], name="inv_model")
    init(model, 0, 0.3)
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((8, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 4, (8,))
    model.compile(optimizer=K.optimizers.SGD(0.05), loss=K.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    h = model.fit(xs, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    buf = io.StringIO()
    model.summary(print_fn=lambda s, line_break=None: buf.write(s))
    return {"h": h, "pred": model.predict(xs, verbose=0), "summary": buf.getvalue()}


def pydataset_multi(K):
    """A keras.utils.PyDataset subclass yielding dict inputs and dict targets for a two-input two-output
    functional model; per-output losses, loss_weights and metrics; on_epoch_end reorders; evaluate/predict
    on the dataset; steps_per_epoch."""
    layers = K.layers

    class Batches(K.utils.PyDataset):
        def __init__(self, n, batch_size, **kwargs):
            super().__init__(**kwargs)
            rng = np.random.default_rng(5)
            self.img = rng.standard_normal((n, 6, 6, 1)).astype("float32")
            self.meta = rng.standard_normal((n, 3)).astype("float32")
            self.cls = rng.integers(0, 3, (n,))
            self.reg = rng.standard_normal((n, 1)).astype("float32")
            self.batch_size = batch_size
            self.order = np.arange(n)

        def __len__(self):
            return int(np.ceil(len(self.order) / self.batch_size))

        def __getitem__(self, idx):
            i = self.order[idx * self.batch_size:(idx + 1) * self.batch_size]
            return ({"image": self.img[i], "meta": self.meta[i]}, {"cls": self.cls[i], "reg": self.reg[i]})

        def on_epoch_end(self):
            self.order = self.order[::-1].copy()

    img = K.Input((6, 6, 1), name="image")
    meta = K.Input((3,), name="meta")
    h = layers.Conv2D(4, 3, activation="relu")(img)
    h = layers.GlobalAveragePooling2D()(h)
    h = layers.concatenate([h, layers.Dense(4, activation="relu")(meta)])
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    model = K.Model({"image": img, "meta": meta}, {"cls": cls, "reg": reg})
    init(model)
    model.compile(optimizer=K.optimizers.Adam(0.01),
                  loss={"cls": "sparse_categorical_crossentropy", "reg": K.losses.Huber()},
                  loss_weights={"cls": 1.0, "reg": 0.5},
                  metrics={"cls": ["accuracy"], "reg": [K.metrics.RootMeanSquaredError(name="rmse")]})
    ds = Batches(14, 4)
    h = model.fit(ds, epochs=3, verbose=0, shuffle=False, validation_data=Batches(6, 3)).history
    ev = model.evaluate(Batches(6, 4), verbose=0, return_dict=True)
    pred = model.predict(Batches(6, 4), verbose=0)
    return {"h": h, "ev": ev, "pred": {k: npy(K, v) for k, v in pred.items()}, "outnames": " ".join(model.output_names),
            "h2": model.fit(ds, epochs=1, steps_per_epoch=2, verbose=0, shuffle=False).history}


def functional_guide(K):
    """The Functional API guide: shared Embedding and LSTM layers between two inputs, a model whose inputs are
    named by Input(name=...), get_config / from_config with a custom layer (custom_objects), to_json /
    model_from_json, clone_model with a clone_function, and a subclassed model calling a functional model."""
    layers, ops = K.layers, K.ops

    class CustomDense(layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                     trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    shared_embedding = layers.Embedding(12, 4)
    shared_lstm = layers.LSTM(3)
    text_a = K.Input(shape=(None,), dtype="int32", name="text_a")
    text_b = K.Input(shape=(None,), dtype="int32", name="text_b")
    ea, eb = shared_lstm(shared_embedding(text_a)), shared_lstm(shared_embedding(text_b))
    merged = layers.concatenate([ea, eb], name="merged")
    out = CustomDense(2, name="head")(merged)
    model = K.Model(inputs=[text_a, text_b], outputs=out, name="shared")
    init(model)
    rng = np.random.default_rng(0)
    a = rng.integers(1, 12, (6, 5)).astype("int32")
    b = rng.integers(1, 12, (6, 5)).astype("int32")
    y = rng.standard_normal((6, 2)).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    h = model.fit({"text_a": a, "text_b": b}, y, batch_size=3, epochs=2, verbose=0, shuffle=False).history
    config = model.get_config()
    summary = {"config_layers": " ".join(l["class_name"] for l in config["layers"]),
               "inbound": json.dumps(config["layers"][-1]["inbound_nodes"]),
               "input_layers": json.dumps(config["input_layers"]), "output_layers": json.dumps(config["output_layers"])}
    rebuilt = K.Model.from_config(config, custom_objects={"CustomDense": CustomDense})
    rebuilt.set_weights(model.get_weights())
    json_model = K.models.model_from_json(model.to_json(), custom_objects={"CustomDense": CustomDense})
    json_model.set_weights(model.get_weights())

    def clone_fn(layer):
        if isinstance(layer, layers.LSTM):
            return layers.GRU(3, name="gru_instead")
        return layer.__class__.from_config(layer.get_config())
    clone = K.models.clone_model(model, clone_function=clone_fn)
    node_layers = [l.name for l in model.layers]

    class Wrapper(K.Model):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.scale = layers.Dense(1)

        def call(self, inputs):
            return self.scale(self.inner(inputs))
    wrapped = Wrapper(model)
    wrapped.compile(optimizer="sgd", loss="mse")
    wrapped([a, b])
    init(wrapped.scale, 5)
    h2 = wrapped.fit([a, b], y[:, :1], batch_size=3, epochs=1, verbose=0, shuffle=False).history
    return {"h": h, "same_rebuilt": rebuilt.predict([a, b], verbose=0), "json": json_model.predict([a, b], verbose=0),
            "layers": " ".join(node_layers), "clone_layers": " ".join(type(l).__name__ for l in clone.layers),
            "clone_names": " ".join(l.name for l in clone.layers),
            "n_clone": len(clone.weights), "h2": h2, "nw": len(wrapped.weights), **summary}


def masking_guide(K):
    """The "Understanding masking & padding" guide: pad_sequences (post padding), Embedding(mask_zero=True),
    Masking, a custom layer with compute_mask (CustomEmbedding), a TemporalSoftmax using the mask argument,
    mask propagation through a supports_masking layer, the _keras_mask / compute_mask results, LSTM over it."""
    layers, ops = K.layers, K.ops
    raw_inputs = [[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927]]
    padded = K.utils.pad_sequences(raw_inputs, padding="post")
    padded_pre = K.utils.pad_sequences(raw_inputs, maxlen=4, truncating="post")
    padded = np.minimum(padded, 49)
    embedding = layers.Embedding(input_dim=50, output_dim=4, mask_zero=True)
    masked_output = embedding(padded)
    emb_mask = npy(K, embedding.compute_mask(padded))
    masking_layer = layers.Masking()
    unmasked = np.tile(np.expand_dims(padded, axis=-1), [1, 1, 3]).astype("float32")
    masked_embedding = masking_layer(unmasked)
    masking_mask = npy(K, masked_embedding._keras_mask)

    class CustomEmbedding(layers.Layer):
        def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
            super().__init__(**kwargs)
            self.input_dim, self.output_dim, self.mask_zero = input_dim, output_dim, mask_zero

        def build(self, input_shape):
            self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), initializer="random_normal")

        def call(self, inputs):
            return ops.take(self.embeddings, inputs, axis=0)

        def compute_mask(self, inputs, mask=None):
            if not self.mask_zero:
                return None
            return ops.not_equal(inputs, 0)

    class MyActivation(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs):
            return ops.relu(inputs)

    class TemporalSoftmax(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            assert mask is not None
            broadcast_float_mask = ops.expand_dims(ops.cast(mask, "float32"), -1)
            inputs_exp = ops.exp(inputs) * broadcast_float_mask
            inputs_sum = ops.sum(inputs_exp * broadcast_float_mask, axis=-1, keepdims=True)
            return inputs_exp / inputs_sum

    inputs = K.Input(shape=(None,), dtype="int32")
    x = CustomEmbedding(50, 4, mask_zero=True)(inputs)
    x = layers.Dense(4)(x)
    x = MyActivation()(x)
    x = TemporalSoftmax()(x)
    seq_out = x
    lstm_out = layers.LSTM(3)(x)
    model = K.Model(inputs, [seq_out, lstm_out])
    init(model)
    outs = model(padded)
    ce = CustomEmbedding(10, 2, mask_zero=True)
    ce_out = ce(np.array([[1, 0, 2]]))
    return {"padded": padded, "padded_pre": padded_pre, "emb_mask": emb_mask.astype("float32"),
            "masking_mask": masking_mask.astype("float32"), "outs": [npy(K, o) for o in outs],
            "ce_mask": npy(K, ce_out._keras_mask).astype("float32"),
            "out_mask": npy(K, outs[0]._keras_mask).astype("float32") if getattr(outs[0], "_keras_mask", None) is not None else "none",
            "lstm_mask": "none" if getattr(outs[1], "_keras_mask", None) is None else "some"}


def attention_layers(K):
    """Dot-product and additive attention layers in a small question-answer model (keras.layers.Attention and
    AdditiveAttention with use_scale, return_attention_scores, masks from Embedding(mask_zero)), GRU with
    reset_after=False, GroupNormalization and UnitNormalization."""
    layers, ops = K.layers, K.ops
    q_in = K.Input((5,), dtype="int32")
    v_in = K.Input((7,), dtype="int32")
    emb = layers.Embedding(20, 6, mask_zero=True)
    q, v = emb(q_in), emb(v_in)
    q_enc = layers.GRU(6, return_sequences=True, reset_after=False)(q)
    v_enc = layers.Conv1D(6, 3, padding="same")(v)
    att, scores = layers.Attention(use_scale=True, score_mode="dot")([q_enc, v_enc], return_attention_scores=True)
    add_att = layers.AdditiveAttention(use_scale=True)([q_enc, v_enc])
    h = layers.concatenate([layers.GlobalAveragePooling1D()(att), layers.GlobalMaxPooling1D()(add_att)])
    h = layers.Reshape((3, 4))(h)
    h = layers.GroupNormalization(groups=2, axis=-1)(h)
    h = layers.Flatten()(h)
    h = layers.UnitNormalization()(h)
    out = layers.Dense(3, activation="softmax")(h)
    model = K.Model([q_in, v_in], [out, scores])
    init(model, 0, 0.4)
    rng = np.random.default_rng(4)
    qa = rng.integers(0, 20, (8, 5)).astype("int32")
    qa[:, -1] = 0
    va = rng.integers(0, 20, (8, 7)).astype("int32")
    va[:, -2:] = 0
    y = rng.integers(0, 3, (8,))
    train = K.Model([q_in, v_in], out)
    train.compile(optimizer=K.optimizers.Nadam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = train.fit([qa, va], y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    p, s = model.predict([qa, va], verbose=0)
    return {"h": hist, "p": p, "s": s, "names": " ".join(w.path for w in model.weights)}


def multilabel_metrics(K):
    """Multi-label classification with sigmoid outputs and binary_crossentropy, metrics AUC (ROC and PR,
    multi_label), Precision/Recall at thresholds and top_k, F1Score(average="micro"/"macro"), BinaryAccuracy with a
    threshold; a regression head with R2Score, MeanAbsolutePercentageError, CosineSimilarity, LogCoshError."""
    layers = K.layers
    rng = np.random.default_rng(7)
    x = rng.standard_normal((24, 5)).astype("float32")
    yl = (rng.random((24, 3)) > 0.5).astype("float32")
    yr = rng.standard_normal((24, 2)).astype("float32") + 3.0
    inp = K.Input((5,))
    h = layers.Dense(6, activation="relu")(inp)
    labels = layers.Dense(3, activation="sigmoid", name="labels")(h)
    reg = layers.Dense(2, name="reg")(h)
    model = K.Model(inp, [labels, reg])
    init(model)
    model.compile(optimizer=K.optimizers.Adam(0.01),
                  loss=["binary_crossentropy", "mse"],
                  metrics=[[K.metrics.AUC(name="auc"), K.metrics.AUC(curve="PR", multi_label=True, name="pr"),
                            K.metrics.Precision(thresholds=0.4, name="p"), K.metrics.Recall(top_k=1, name="r"),
                            K.metrics.F1Score(average="micro", threshold=0.5, name="f1"),
                            K.metrics.F1Score(average="macro", threshold=0.5, name="f1m"),
                            K.metrics.BinaryAccuracy(threshold=0.6, name="bacc")],
                           [K.metrics.R2Score(name="r2"), K.metrics.MeanAbsolutePercentageError(name="mape"),
                            K.metrics.CosineSimilarity(name="cos"), K.metrics.LogCoshError(name="logcosh")]])
    h = model.fit(x, [yl, yr], batch_size=8, epochs=2, verbose=0, shuffle=False).history
    ev = model.evaluate(x, [yl, yr], verbose=0, return_dict=True)
    return {"h": h, "ev": ev, "names": " ".join(model.metrics_names)}


def optimizer_options(K):
    """Optimizer options in fit: clipnorm, global_clipnorm, clipvalue, use_ema with ema_overwrite_frequency,
    gradient_accumulation_steps, AdamW weight decay with exclude_from_weight_decay, a LearningRateSchedule
    subclass (warmup then cosine, get_config) saved with the model and loaded with custom_objects."""
    layers, ops = K.layers, K.ops

    class WarmupCosine(K.optimizers.schedules.LearningRateSchedule):
        def __init__(self, base, warmup, total):
            self.base, self.warmup, self.total = base, warmup, total

        def __call__(self, step):
            step = ops.cast(step, "float32")
            warm = self.base * step / self.warmup
            progress = (step - self.warmup) / (self.total - self.warmup)
            cos = 0.5 * self.base * (1 + ops.cos(np.pi * progress))
            return ops.where(step < self.warmup, warm, cos)

        def get_config(self):
            return {"base": self.base, "warmup": self.warmup, "total": self.total}

    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 4)).astype("float32")
    y = (x @ rng.standard_normal((4, 2))).astype("float32")
    out = {}
    configs = {
        "clipnorm": lambda: K.optimizers.SGD(0.1, clipnorm=0.5),
        "global_clipnorm": lambda: K.optimizers.RMSprop(0.01, global_clipnorm=0.3),
        "clipvalue": lambda: K.optimizers.Adam(0.05, clipvalue=0.01),
        "ema": lambda: K.optimizers.Adam(0.05, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=3),
        "accum": lambda: K.optimizers.SGD(0.1, gradient_accumulation_steps=2),
        "schedule": lambda: K.optimizers.Adam(WarmupCosine(0.05, 3, 8)),
    }
    for name, make in configs.items():
        model = K.Sequential([K.Input((4,)), layers.Dense(3, activation="tanh"), layers.Dense(2)])
        init(model, 1)
        model.compile(optimizer=make(), loss="mse")
        h = model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
        out[name] = {"h": h, "w": model.get_weights(), "it": int(npy(K, model.optimizer.iterations))}
    model = K.Sequential([K.Input((4,)), layers.Dense(3, name="d1"), layers.LayerNormalization(name="ln"),
                          layers.Dense(2, name="d2")])
    init(model, 2)
    opt = K.optimizers.AdamW(0.05, weight_decay=0.1)
    opt.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    model.compile(optimizer=opt, loss="mse")
    out["adamw"] = {"h": model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history,
                    "w": model.get_weights()}
    sched = WarmupCosine(0.05, 3, 8)
    out["lr"] = [float(npy(K, sched(s))) for s in range(8)]
    return out


def batch_apis(K):
    """train_on_batch / test_on_batch / predict_on_batch with return_dict, fit on a Python generator with
    steps_per_epoch, evaluate with steps, Lambda with output_shape, activation layers (PReLU, LeakyReLU
    negative_slope, ELU, Softmax axis, Activation('swish')), Identity, regularizer losses in model.losses."""
    layers, ops = K.layers, K.ops
    inp = K.Input((6,))
    h = layers.Dense(5, kernel_regularizer=K.regularizers.L1L2(l1=0.01, l2=0.02),
                     activity_regularizer=K.regularizers.L2(0.01))(inp)
    h = layers.PReLU()(h)
    h = layers.LeakyReLU(negative_slope=0.2)(h)
    h = layers.Lambda(lambda t: ops.concatenate([t, ops.square(t)], axis=-1), output_shape=(10,))(h)
    h = layers.ELU(alpha=0.5)(h)
    h = layers.Identity()(h)
    h = layers.Activation("swish")(h)
    out = layers.Dense(3)(h)
    out = layers.Softmax(axis=-1)(out)
    model = K.Model(inp, out)
    init(model)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["categorical_accuracy"])
    rng = np.random.default_rng(1)
    x = rng.standard_normal((20, 6)).astype("float32")
    y = K.utils.to_categorical(rng.integers(0, 3, (20,)), 3)
    r1 = model.train_on_batch(x[:5], y[:5], return_dict=True)
    r2 = model.train_on_batch(x[5:10], y[5:10])
    r3 = model.test_on_batch(x[:5], y[:5], return_dict=True)
    p = model.predict_on_batch(x[:5])

    def gen():
        i = 0
        while True:
            yield x[i % 20:i % 20 + 4], y[i % 20:i % 20 + 4]
            i += 4
    h = model.fit(gen(), steps_per_epoch=5, epochs=2, verbose=0).history
    ev = model.evaluate(gen(), steps=3, verbose=0, return_dict=True)
    losses = [float(npy(K, l)) for l in model.losses]
    return {"r1": r1, "r2": r2, "r3": r3, "p": npy(K, p), "h": h, "ev": ev, "n_losses": len(losses),
            "losses": losses, "out_shape": str(model.output_shape)}


def preprocessing_in_model(K):
    """The "Working with preprocessing layers" guide, the parts that need no TensorFlow: Normalization adapted on
    the features inside the model, a second Normalization(invert=True) adapted on the targets turning predictions
    back into target units, Discretization with bin_boundaries one-hot encoded by CategoryEncoding, a
    CategoryEncoding count of integer codes, and an image branch with Resizing, CenterCrop and Rescaling."""
    layers = K.layers
    rng = np.random.default_rng(0)
    num = (rng.standard_normal((30, 3)) * [1.0, 5.0, 0.1] + [0.0, 10.0, -1.0]).astype("float32")
    codes = rng.integers(0, 6, (30, 2)).astype("int64")
    img = rng.random((30, 10, 10, 3)).astype("float32") * 255
    target = (num[:, :1] * 3 + 50).astype("float32")
    norm = layers.Normalization()
    norm.adapt(num)
    denorm = layers.Normalization(invert=True)
    denorm.adapt(target)
    n_in, c_in, i_in = K.Input((3,)), K.Input((2,), dtype="int64"), K.Input((10, 10, 3))
    bins = layers.CategoryEncoding(num_tokens=3, output_mode="one_hot")(
        layers.Discretization(bin_boundaries=[-0.5, 0.5])(n_in[:, :1]))
    counts = layers.CategoryEncoding(num_tokens=6, output_mode="count")(c_in)
    pix = layers.Rescaling(1.0 / 127.5, offset=-1)(layers.CenterCrop(6, 6)(layers.Resizing(8, 8)(i_in)))
    pix = layers.GlobalAveragePooling2D()(layers.Conv2D(2, 3)(pix))
    feats = layers.concatenate([norm(n_in), bins, counts, pix])
    out = denorm(layers.Dense(1)(layers.Dense(4, activation="relu")(feats)))
    model = K.Model([n_in, c_in, i_in], out)
    init(model)
    norm.adapt(num)      # after init, which set every weight (the adapted statistics too)
    denorm.adapt(target)
    model.compile(K.optimizers.Adam(0.01), "mse", metrics=["mae"])
    h = model.fit([num, codes, img], target, batch_size=10, epochs=2, verbose=0, shuffle=False).history
    return {"h": h, "mean": npy(K, norm.mean), "var": npy(K, norm.variance), "tmean": npy(K, denorm.mean),
            "feat": npy(K, K.Model([n_in, c_in, i_in], feats)([num[:4], codes[:4], img[:4]])),
            "pred": model.predict([num, codes, img], verbose=0)}


def printed_summaries(K):
    """model.summary() variants: a functional model holding a nested Sequential, with expand_nested=True and
    show_trainable=True after freezing the inner block, layer_range, a subclassed model after building, a
    Sequential without an Input (unbuilt) and after build()."""
    layers = K.layers
    inner = K.Sequential([K.Input((6,)), layers.Dense(5, activation="relu", name="inner_dense"),
                          layers.BatchNormalization(name="inner_bn")], name="block")
    inp = K.Input((4,), name="features")
    h = layers.Dense(6, name="proj")(inp)
    h = inner(h)
    out = layers.Dense(2, name="head")(layers.Dropout(0.1)(h))
    model = K.Model(inp, out, name="outer")
    inner.trainable = False
    texts = {}

    def grab(m, **kw):
        buf = io.StringIO()
        m.summary(print_fn=lambda s, line_break=None: buf.write(s), **kw)
        return buf.getvalue()
    texts["plain"] = grab(model)
    texts["expand"] = grab(model, expand_nested=True)
    texts["trainable"] = grab(model, show_trainable=True)
    texts["both"] = grab(model, expand_nested=True, show_trainable=True, line_length=90)
    texts["range"] = grab(model, layer_range=["proj", "head"])

    class Sub(K.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.a = layers.Dense(3)
            self.b = layers.Dense(1)

        def call(self, x):
            return self.b(self.a(x))
    sub = Sub()
    sub(np.ones((1, 4), "float32"))
    texts["sub"] = grab(sub)
    seq = K.Sequential([layers.Dense(3), layers.Dense(2)], name="later")
    texts["unbuilt"] = grab(seq)
    seq.build((None, 5))
    texts["built"] = grab(seq)
    return texts


def fit_printing(K):
    """What fit/evaluate print with verbose=2 (one line per epoch with the metrics), and the progress bar's final
    state with verbose=1 for evaluate, to stdout."""
    layers = K.layers
    model = K.Sequential([K.Input((3,)), layers.Dense(2, activation="softmax")])
    init(model)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 3)).astype("float32")
    y = rng.integers(0, 2, (10,))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        model.fit(x, y, batch_size=5, epochs=2, verbose=2, shuffle=False, validation_data=(x, y))
        model.evaluate(x, y, batch_size=5, verbose=2)
        model.predict(x, batch_size=5, verbose=2)
    text = re.sub(r"\d+(ms|s|us)/step", "T/step", buf.getvalue())
    text = re.sub(r" - \d+(ms|s|us)(?= |\n|$)", " - T", text)
    text = re.sub(r"\d+\.\d{4}", lambda m: m.group(0)[:-1], text)   # last digit may round differently
    return {"text": text}


def conv_zoo_1d_3d(K):
    """Temporal and volumetric convolutions: a causal dilated Conv1D stack (a TCN block with a residual
    Conv1D(1)), SeparableConv1D, DepthwiseConv1D, Conv1DTranspose(strides=2), Cropping1D/ZeroPadding1D,
    AveragePooling1D(padding="same"); a video branch of Conv3D, MaxPooling3D, UpSampling3D, GlobalAveragePooling3D;
    TimeDistributed(Conv2D + MaxPooling2D + Flatten) feeding a GRU; grouped Conv2D."""
    layers = K.layers
    seq = K.Input((16, 3))
    h = layers.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="relu")(seq)
    h = layers.add([h, layers.Conv1D(4, 1)(seq)])
    h = layers.SeparableConv1D(6, 3, padding="same", depth_multiplier=2)(h)
    h = layers.DepthwiseConv1D(3, padding="valid")(h)
    h = layers.Conv1DTranspose(4, 3, strides=2, padding="same")(h)
    h = layers.Cropping1D((1, 2))(h)
    h = layers.ZeroPadding1D(1)(h)
    h = layers.AveragePooling1D(3, strides=2, padding="same")(h)
    a = layers.GlobalMaxPooling1D()(h)
    vid = K.Input((4, 6, 6, 2))
    v = layers.Conv3D(3, 3, padding="same", activation="relu")(vid)
    v = layers.MaxPooling3D((1, 2, 2))(v)
    v = layers.UpSampling3D((2, 1, 1))(v)
    b = layers.GlobalAveragePooling3D()(v)
    frames = layers.TimeDistributed(layers.Conv2D(4, 3, groups=2, activation="relu"))(vid)
    frames = layers.TimeDistributed(layers.MaxPooling2D())(frames)
    frames = layers.TimeDistributed(layers.Flatten())(frames)
    c = layers.GRU(3)(frames)
    out = layers.Dense(2, activation="softmax")(layers.concatenate([a, b, c]))
    model = K.Model([seq, vid], out)
    init(model, 0, 0.3)
    rng = np.random.default_rng(2)
    xs = rng.standard_normal((6, 16, 3)).astype("float32")
    xv = rng.standard_normal((6, 4, 6, 6, 2)).astype("float32")
    y = rng.integers(0, 2, (6,))
    model.compile(K.optimizers.RMSprop(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit([xs, xv], y, batch_size=3, epochs=2, verbose=0, shuffle=False).history
    return {"h": h, "pred": model.predict([xs, xv], verbose=0), "shapes": [list(w.shape) for w in model.weights],
            "outs": str([l.output.shape for l in model.layers[1:]])}


def ops_in_layers(K):
    """keras.ops in custom layers: a top-k gating layer (ops.top_k, ops.one_hot, ops.where, ops.einsum), a
    segment pooling layer (ops.segment_sum / segment_max over given ids), ops.cumsum, ops.sort/argsort,
    ops.logsumexp, ops.fori_loop and ops.scan in call, ops.cond on a static flag, ops.stop_gradient,
    ops.clip, ops.moveaxis, ops.tile, ops.take_along_axis, ops.nn.log_softmax."""
    layers, ops = K.layers, K.ops

    class TopKGate(layers.Layer):
        def __init__(self, k, experts, **kwargs):
            super().__init__(**kwargs)
            self.k, self.experts = k, experts
            self.router = layers.Dense(experts)
            self.proj = layers.EinsumDense("bd,edf->bef", (experts, 4), bias_axes="ef")

        def call(self, x):
            logits = self.router(x)
            vals, idx = ops.top_k(logits, self.k)
            mask = ops.sum(ops.one_hot(idx, self.experts), axis=1)
            gates = ops.where(mask > 0, ops.softmax(logits), ops.zeros_like(logits))
            gates = gates / ops.sum(gates, axis=-1, keepdims=True)
            return ops.einsum("be,bef->bf", gates, self.proj(x))

    class SegmentPool(layers.Layer):
        def call(self, x, ids):
            ids = ops.cast(ids[0], "int32")
            s = ops.segment_sum(ops.moveaxis(x, 1, 0), ids, num_segments=3)
            m = ops.segment_max(ops.moveaxis(x, 1, 0), ids, num_segments=3)
            return ops.moveaxis(ops.concatenate([s, m], axis=-1), 0, 1)

    class Loops(layers.Layer):
        def call(self, x):
            def body(i, acc):
                return acc + ops.sin(x * ops.cast(i + 1, "float32")) / ops.cast(i + 1, "float32")
            y = ops.fori_loop(0, 3, body, ops.zeros_like(x))

            def step(carry, xt):
                carry = 0.5 * carry + xt
                return carry, carry
            _, ys = ops.scan(step, ops.zeros_like(x[:, 0]), ops.moveaxis(x, 1, 0))
            ys = ops.moveaxis(ys, 0, 1)
            z = ops.cond(True, lambda: ys * 2.0, lambda: ys)
            srt = ops.sort(x, axis=-1)
            order = ops.argsort(x, axis=-1)
            picked = ops.take_along_axis(x, order, axis=-1)
            lse = ops.logsumexp(x, axis=-1, keepdims=True)
            c = ops.cumsum(ops.stop_gradient(x) * 0.0 + x, axis=1)
            return ops.concatenate([y, z, srt - picked, ops.tile(lse, [1, 1, 1]) + ops.zeros_like(x),
                                    ops.clip(c, -1.0, 1.0), ops.nn.log_softmax(x, axis=-1)], axis=-1)

    x_in = K.Input((5, 4))
    ids_in = K.Input((5,), dtype="int32")
    h = Loops()(x_in)
    h = SegmentPool()(h, ids_in)
    h = layers.Flatten()(h)
    out = TopKGate(2, 4)(h)
    out = layers.Dense(2)(out)
    model = K.Model([x_in, ids_in], out)
    init(model, 0, 0.2)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 5, 4)).astype("float32")
    ids = np.tile(np.array([[0, 0, 1, 2, 2]], "int32"), (6, 1))
    y = rng.standard_normal((6, 2)).astype("float32")
    model.compile(K.optimizers.Adam(0.01), "mse")
    h = model.fit([x, ids], y, batch_size=3, epochs=2, verbose=0, shuffle=False).history
    return {"h": h, "pred": model.predict([x, ids], verbose=0)}


def autoencoder_upsampling(K):
    """A convolutional autoencoder: Conv2D(strides=2) down, Conv2DTranspose(strides=2, output_padding=1) and
    UpSampling2D(interpolation="bilinear") up, ZeroPadding2D and Cropping2D to the input size, a sigmoid output trained with
    binary_crossentropy, and the encoder cut out with keras.Model(inputs, model.get_layer(...).output)."""
    layers = K.layers
    inp = K.Input((9, 9, 1))
    h = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(inp)
    code = layers.Conv2D(2, 3, strides=2, padding="same", activation="relu", name="code")(h)
    h = layers.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1, activation="relu")(code)
    h = layers.UpSampling2D(2, interpolation="bilinear")(h)
    h = layers.ZeroPadding2D(((1, 0), (0, 1)))(h)
    h = layers.Cropping2D(((3, 1), (1, 3)))(h)
    out = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(h)
    model = K.Model(inp, out)
    init(model, 0, 0.3)
    rng = np.random.default_rng(1)
    x = rng.random((6, 9, 9, 1)).astype("float32")
    model.compile("adam", "binary_crossentropy")
    h = model.fit(x, x, batch_size=3, epochs=2, verbose=0, shuffle=False).history
    encoder = K.Model(model.inputs, model.get_layer("code").output)
    return {"h": h, "shape": str(model.output_shape), "pred": model.predict(x, verbose=0),
            "code": encoder.predict(x, verbose=0), "layers": " ".join(l.name for l in encoder.layers)}


def pretrained_embeddings(K):
    """keras.io "Using pre-trained word embeddings", small: an embedding matrix built in NumPy loaded with
    Embedding(embeddings_initializer=keras.initializers.Constant(matrix), trainable=False), a Conv1D /
    MaxPooling1D / GlobalMaxPooling1D text classifier on one-hot labels with class_weight, fit with
    validation_split on a PyDataset-free array pipeline; then the embedding unfrozen and fine-tuned with a lower
    learning rate (recompiled)."""
    layers = K.layers
    rng = np.random.default_rng(0)
    vocab, dim = 30, 5
    matrix = rng.standard_normal((vocab, dim)).astype("float32")
    matrix[0] = 0.0
    emb = layers.Embedding(vocab, dim, embeddings_initializer=K.initializers.Constant(matrix), trainable=False)
    inp = K.Input((12,), dtype="int64")
    x = emb(inp)
    x = layers.Conv1D(6, 3, activation="relu")(x)
    x = layers.MaxPooling1D(2)(x)
    x = layers.Conv1D(6, 3, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    out = layers.Dense(3, activation="softmax")(x)
    model = K.Model(inp, out)
    weights_before = [w.copy() for w in model.get_weights()]
    init(model, 1)
    model.layers[1].set_weights([matrix])
    tokens = rng.integers(0, vocab, (20, 12)).astype("int64")
    labels = K.utils.to_categorical(rng.integers(0, 3, (20,)), 3)
    model.compile(K.optimizers.Adam(0.01), "categorical_crossentropy", metrics=["acc"])
    h1 = model.fit(tokens, labels, batch_size=5, epochs=2, verbose=0, shuffle=False, validation_split=0.2,
                   class_weight={0: 1.0, 1: 3.0, 2: 0.5}).history
    frozen = np.allclose(model.layers[1].get_weights()[0], matrix)
    emb.trainable = True
    model.compile(K.optimizers.Adam(1e-3), "categorical_crossentropy", metrics=["acc"])
    h2 = model.fit(tokens, labels, batch_size=5, epochs=1, verbose=0, shuffle=False).history
    return {"h1": h1, "h2": h2, "frozen": float(frozen), "init_matrix": weights_before[0],
            "moved": float(np.abs(model.layers[1].get_weights()[0] - matrix).max() > 0),
            "trainable": len(model.trainable_weights), "pred": model.predict(tokens, verbose=0)}


def pydataset_workers(K):
    """A PyDataset read by two worker threads (workers=2, max_queue_size=4), unshuffled: the batches arrive in
    order and training is the same as with one worker; evaluate and predict read it too."""
    layers = K.layers

    class Batches(K.utils.PyDataset):
        def __init__(self, n, **kwargs):
            super().__init__(**kwargs)
            rng = np.random.default_rng(2)
            self.x = rng.standard_normal((n, 4)).astype("float32")
            self.y = (self.x.sum(1, keepdims=True) > 0).astype("float32")

        def __len__(self):
            return len(self.x) // 4

        def __getitem__(self, i):
            return self.x[4 * i:4 * i + 4], self.y[4 * i:4 * i + 4]

    out = {}
    for workers in (1, 2):
        model = K.Sequential([K.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(1, activation="sigmoid")])
        init(model)
        model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
        data = Batches(24, workers=workers, max_queue_size=4)
        out[f"h{workers}"] = model.fit(data, epochs=2, verbose=0, shuffle=False).history
        out[f"e{workers}"] = model.evaluate(data, verbose=0)
        out[f"p{workers}"] = model.predict(data, verbose=0)
    return out


def custom_optimizer(K):
    """A Keras-style optimizer subclass: build() calling super().build and add_variable_from_reference for
    momentum buffers, update_step(gradient, variable, learning_rate) with self.assign / assign_add and
    _get_variable_index, get_config; trained in fit, its variables' paths and values compared."""
    ops = K.ops

    class MomentumSGD(K.optimizers.Optimizer):
        def __init__(self, learning_rate=0.01, momentum=0.9, name="momentum_sgd", **kwargs):
            super().__init__(learning_rate=learning_rate, name=name, **kwargs)
            self.momentum = momentum

        def build(self, var_list):
            if self.built:
                return
            super().build(var_list)
            self.momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]

        def update_step(self, gradient, variable, learning_rate):
            lr = ops.cast(learning_rate, variable.dtype)
            m = self.momentums[self._get_variable_index(variable)]
            self.assign(m, self.momentum * m - lr * gradient)
            self.assign_add(variable, m)

        def get_config(self):
            return {**super().get_config(), "momentum": self.momentum}

    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3)).astype("float32")
    y = (x @ rng.standard_normal((3, 1))).astype("float32")
    model = K.Sequential([K.Input((3,)), K.layers.Dense(4, activation="tanh"), K.layers.Dense(1)])
    init(model)
    opt = MomentumSGD(0.05, momentum=0.8)
    model.compile(optimizer=opt, loss="mse")
    h = model.fit(x, y, batch_size=4, epochs=3, verbose=0, shuffle=False).history
    return {"h": h, "w": model.get_weights(), "paths": " ".join(v.path for v in opt.variables),
            "values": [npy(K, v) for v in opt.variables[2:]], "it": int(npy(K, opt.iterations)),
            "momentum": opt.get_config()["momentum"]}


def customizing_saving(K, tmp):
    """Customizing Saving and Serialization guide: save_own_variables/load_own_variables, save_assets/load_assets,
    get_build_config/build_from_config, get_compile_config/compile_from_config."""
    layers, ops = K.layers, K.ops
    pkg = "probe2_" + K.__name__.replace(".", "_")

    @K.saving.register_keras_serializable(package=pkg)
    class LayerWithCustomVariable(layers.Dense):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)
            self.my_variable = K.Variable(np.full((3, 3), 2.0, "float32"), dtype="float32", name="my_var")

        def save_own_variables(self, store):
            super().save_own_variables(store)
            store["variables"] = self.my_variable.numpy()

        def load_own_variables(self, store):
            self.my_variable.assign(store["variables"])
            super().load_own_variables(store)

        def call(self, inputs):
            return super().call(inputs) + ops.sum(self.my_variable)

    @K.saving.register_keras_serializable(package=pkg)
    class LayerWithCustomBuild(layers.Layer):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return dict(units=self.units, **super().get_config())

        def build(self, input_shape):
            self.build_with(input_shape, "random_normal")

        def build_with(self, input_shape, layer_init):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=layer_init, trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer=layer_init, trainable=True)
            self.layer_init = layer_init
            self.built_shape = tuple(input_shape)

        def get_build_config(self):
            return {"layer_init": self.layer_init, "input_shape": self.built_shape}

        def build_from_config(self, config):
            self.build_with(config["input_shape"], config["layer_init"])

    @K.saving.register_keras_serializable(package=pkg)
    class LayerWithAssets(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.vocab = None

        def save_assets(self, inner_path):
            with open(os.path.join(inner_path, "vocabulary.txt"), "w") as f:
                f.write("\n".join(self.vocab))

        def load_assets(self, inner_path):
            with open(os.path.join(inner_path, "vocabulary.txt")) as f:
                self.vocab = f.read().split("\n")

        def call(self, x):
            return x * 2.0

    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5)).astype("float32")
    y = rng.standard_normal((6, 4)).astype("float32")
    model = K.Sequential([K.Input((5,)), LayerWithCustomVariable(4), LayerWithCustomBuild(units=4), LayerWithAssets()])
    model.layers[-1].vocab = ["a", "b", "c"]
    init(model)
    model.layers[0].my_variable.assign(np.full((3, 3), 0.1, "float32"))
    model.compile(optimizer=K.optimizers.SGD(0.01, momentum=0.9), loss="mse", metrics=["mae"])
    h = model.fit(x, y, epochs=2, batch_size=3, verbose=0, shuffle=False).history
    path = os.path.join(tmp, "model.keras")
    model.save(path)
    restored = K.models.load_model(path)
    out = {"h": h, "pred": restored.predict(x, verbose=0), "vocab": " ".join(restored.layers[-1].vocab),
           "myvar": npy(K, restored.layers[0].my_variable), "compile": str(sorted(restored.get_compile_config())),
           "build": str(restored.layers[1].get_build_config()),
           "optim": type(restored.optimizer).__name__, "momentum": float(restored.optimizer.momentum)}
    h2 = restored.fit(x, y, epochs=1, batch_size=3, verbose=0, shuffle=False).history
    out["h2"] = h2
    # weights-only
    wpath = os.path.join(tmp, "w.weights.h5")
    model.save_weights(wpath)
    clone = K.Sequential([K.Input((5,)), LayerWithCustomVariable(4), LayerWithCustomBuild(units=4), LayerWithAssets()])
    clone.load_weights(wpath)
    out["clone"] = clone.predict(x, verbose=0)
    out["clone_myvar"] = npy(K, clone.layers[0].my_variable)
    return out


def callbacks_guide(K, tmp):
    """The "Writing your own callbacks" guide: a CustomCallback logging every hook's keys, EarlyStoppingAtMinLoss
    (patience, get_weights/set_weights of the best, model.stop_training, stopped epoch in on_train_end), a
    CustomLearningRateScheduler setting optimizer.learning_rate from a schedule table; with CSVLogger,
    initial_epoch and validation_freq."""
    layers = K.layers
    events = []

    class CustomCallback(K.callbacks.Callback):
        def on_train_begin(self, logs=None):
            events.append(("train_begin", sorted((logs or {}).keys())))

        def on_epoch_begin(self, epoch, logs=None):
            events.append(("epoch_begin", epoch, sorted((logs or {}).keys())))

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", epoch, sorted(logs.keys())))

        def on_test_begin(self, logs=None):
            events.append(("test_begin", sorted((logs or {}).keys())))

        def on_train_batch_end(self, batch, logs=None):
            events.append(("train_batch_end", batch, sorted(logs.keys())))

        def on_test_batch_end(self, batch, logs=None):
            events.append(("test_batch_end", batch, sorted(logs.keys())))

        def on_predict_batch_end(self, batch, logs=None):
            events.append(("predict_batch_end", batch, sorted(logs.keys())))

        def on_train_end(self, logs=None):
            events.append(("train_end", sorted((logs or {}).keys())))

    class EarlyStoppingAtMinLoss(K.callbacks.Callback):
        def __init__(self, patience=0):
            super().__init__()
            self.patience = patience
            self.best_weights = None

        def on_train_begin(self, logs=None):
            self.wait = 0
            self.stopped_epoch = 0
            self.best = np.inf

        def on_epoch_end(self, epoch, logs=None):
            current = logs.get("loss")
            if np.less(current, self.best):
                self.best = current
                self.wait = 0
                self.best_weights = self.model.get_weights()
            else:
                self.wait += 1
                if self.wait >= self.patience:
                    self.stopped_epoch = epoch
                    self.model.stop_training = True
                    self.model.set_weights(self.best_weights)

        def on_train_end(self, logs=None):
            events.append(("stopped", self.stopped_epoch))

    class CustomLearningRateScheduler(K.callbacks.Callback):
        def __init__(self, schedule):
            super().__init__()
            self.schedule = schedule

        def on_epoch_begin(self, epoch, logs=None):
            lr = float(np.array(self.model.optimizer.learning_rate))
            scheduled_lr = self.schedule(epoch, lr)
            self.model.optimizer.learning_rate = scheduled_lr
            events.append(("lr", epoch, round(scheduled_lr, 6)))

    LR_SCHEDULE = [(1, 0.05), (3, 0.01), (4, 0.005)]

    def lr_schedule(epoch, lr):
        if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
            return lr
        for i in range(len(LR_SCHEDULE)):
            if epoch == LR_SCHEDULE[i][0]:
                return LR_SCHEDULE[i][1]
        return lr

    rng = np.random.default_rng(2)
    x = rng.standard_normal((20, 6)).astype("float32")
    y = (x @ rng.standard_normal((6, 1))).astype("float32")
    model = K.Sequential([K.Input((6,)), layers.Dense(4, activation="relu"), layers.Dense(1)])
    init(model)
    model.compile(optimizer=K.optimizers.SGD(learning_rate=0.1), loss="mean_squared_error",
                  metrics=["mean_absolute_error"])
    csv = os.path.join(tmp, "log.csv")
    h = model.fit(x, y, batch_size=10, epochs=6, verbose=0, shuffle=False, validation_data=(x[:10], y[:10]),
                  validation_freq=2, initial_epoch=1,
                  callbacks=[CustomCallback(), EarlyStoppingAtMinLoss(patience=1),
                             CustomLearningRateScheduler(lr_schedule), K.callbacks.CSVLogger(csv)])
    res = model.evaluate(x, y, batch_size=10, verbose=0, callbacks=[CustomCallback()])
    model.predict(x, batch_size=10, verbose=0, callbacks=[CustomCallback()])
    with open(csv) as f:
        rows = f.read().strip().splitlines()
    return {"h": h.history, "epochs": h.epoch, "res": res, "events": str(events), "csv_header": rows[0],
            "csv_rows": [[float(v) if v != "NA" else -1.0 for v in r.split(",")] for r in rows[1:]],
            "lr": float(np.array(model.optimizer.learning_rate))}


def siamese_triplet(K, tmp):
    """keras.io "Image similarity estimation using a Siamese Network with a triplet loss", small: a shared
    embedding network, a DistanceLayer computing the anchor-positive and anchor-negative squared distances, a
    SiameseModel subclass with a custom train_step-free compute_loss (margin 0.5) and a Mean loss tracker in
    `metrics`; cosine similarity with Dot(normalize=True); a Lambda saved in a .keras file (refused by
    load_model in safe mode) and loaded with safe_mode=False."""
    layers, ops = K.layers, K.ops

    class DistanceLayer(layers.Layer):
        def call(self, anchor, positive, negative):
            ap = ops.sum(ops.square(anchor - positive), -1)
            an = ops.sum(ops.square(anchor - negative), -1)
            return ap, an

    class SiameseModel(K.Model):
        def __init__(self, network, margin=0.5):
            super().__init__()
            self.siamese_network = network
            self.margin = margin
            self.loss_tracker = K.metrics.Mean(name="loss")

        def call(self, inputs):
            return self.siamese_network(inputs)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            ap, an = y_pred
            loss = ops.mean(ops.maximum(ap - an + self.margin, 0.0))
            self.loss_tracker.update_state(loss)
            return loss

        @property
        def metrics(self):
            return [self.loss_tracker]

    emb = K.Sequential([K.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(4),
                        layers.UnitNormalization(name="l2norm"),
                        layers.Lambda(lambda t: t * 2.0 - 0.5, name="affine")], name="embedding")
    a_in, p_in, n_in = K.Input((6,), name="anchor"), K.Input((6,), name="positive"), K.Input((6,), name="negative")
    distances = DistanceLayer()(emb(a_in), emb(p_in), emb(n_in))
    network = K.Model([a_in, p_in, n_in], distances)
    model = SiameseModel(network)
    init(model)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((12, 6)).astype("float32")
    p = a + 0.1 * rng.standard_normal((12, 6)).astype("float32")
    n = rng.standard_normal((12, 6)).astype("float32")
    model.compile(optimizer=K.optimizers.Adam(0.01))
    h = model.fit([a, p, n], batch_size=4, epochs=2, verbose=0, shuffle=False).history
    ev = model.evaluate([a, p, n], batch_size=4, verbose=0)
    cos = layers.Dot(axes=1, normalize=True)([emb(a), emb(p)])
    path = os.path.join(tmp, "emb.keras")
    emb.save(path)
    try:
        K.models.load_model(path)
        refused = "loaded"
    except ValueError as e:
        refused = "refused" if "Lambda" in str(e) or "lambda" in str(e) else str(e)[:60]
    back = K.models.load_model(path, safe_mode=False)
    return {"h": h, "ev": ev, "cos": npy(K, cos), "refused": refused, "back": back.predict(a, verbose=0),
            "emb": emb.predict(a, verbose=0)}


PROGRAMS = [rnn_guide, training_guide, sequential_guide, fnet, mixture_density, vivit, cct, involution, pydataset_multi, functional_guide, masking_guide, attention_layers, multilabel_metrics, optimizer_options, batch_apis, preprocessing_in_model, printed_summaries, fit_printing, conv_zoo_1d_3d, ops_in_layers, autoencoder_upsampling, pretrained_embeddings, pydataset_workers, custom_optimizer]
FILE_PROGRAMS = [customizing_saving, callbacks_guide, siamese_triplet]


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.__name__ for p in PROGRAMS])
def test_keras_style_program_runs_the_same_under_ember(program):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    expected = program(keras)
    ek.backend.clear_session()
    got = program(ek)
    _compare(got, expected, program.__name__)


@pytest.mark.parametrize("program", FILE_PROGRAMS, ids=[p.__name__ for p in FILE_PROGRAMS])
def test_keras_style_program_with_files_runs_the_same_under_ember(program, tmp_path):
    (tmp_path / "k").mkdir()
    (tmp_path / "e").mkdir()
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    expected = program(keras, str(tmp_path / "k"))
    ek.backend.clear_session()
    got = program(ek, str(tmp_path / "e"))
    _compare(got, expected, program.__name__)
