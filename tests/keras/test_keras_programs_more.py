"""More Keras 3 programs in the style of keras.io examples, run unchanged under real Keras (torch backend) and
under ``ember.keras`` (the program is a function of the Keras module ``K``; nothing else differs).

As in ``test_keras_programs``: every weight gets a value from a fixed NumPy generator, data is fixed and
unshuffled, and the NumPy results (histories, predictions, reloaded-model outputs) are compared. Where
a program draws from Keras's own random stream (the VAE's sampling), only what precedes the first draw is
compared exactly (the first batch's KL term) and the rest by its shape and trend.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

from .test_keras_programs import _compare, _same_weights  # noqa: E402


def vae_custom_train_step(K):
    """keras.io "Variational AutoEncoder": a Sampling layer drawing from a SeedGenerator, encoder and decoder
    models, a subclassed VAE whose train_step (torch-style: backward and optimizer.apply) tracks total,
    reconstruction and KL losses with Mean metrics listed in ``metrics``."""
    class Sampling(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = K.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            batch, dim = K.ops.shape(z_mean)[0], K.ops.shape(z_mean)[1]
            epsilon = K.random.normal(shape=(batch, dim), seed=self.seed_generator)
            return z_mean + K.ops.exp(0.5 * z_log_var) * epsilon

    latent_dim = 2
    encoder_inputs = K.Input(shape=(6, 6, 1))
    x = K.layers.Conv2D(4, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = K.layers.Flatten()(x)
    x = K.layers.Dense(8, activation="relu")(x)
    z_mean = K.layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = K.layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    encoder = K.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")
    latent_inputs = K.Input(shape=(latent_dim,))
    x = K.layers.Dense(3 * 3 * 4, activation="relu")(latent_inputs)
    x = K.layers.Reshape((3, 3, 4))(x)
    x = K.layers.Conv2DTranspose(4, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = K.layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    decoder = K.Model(latent_inputs, decoder_outputs, name="decoder")
    _same_weights(encoder, 1)
    _same_weights(decoder, 2)

    class VAE(K.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder, self.decoder = encoder, decoder
            self.total_loss_tracker = K.metrics.Mean(name="total_loss")
            self.reconstruction_loss_tracker = K.metrics.Mean(name="reconstruction_loss")
            self.kl_loss_tracker = K.metrics.Mean(name="kl_loss")
            self.first_kl = None

        @property
        def metrics(self):
            return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

        def call(self, inputs):
            return self.decoder(self.encoder(inputs)[2])

        def train_step(self, data):
            self.zero_grad()
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = K.ops.mean(K.ops.sum(K.losses.binary_crossentropy(data, reconstruction),
                                                       axis=(1, 2)))
            kl_loss = -0.5 * (1 + z_log_var - K.ops.square(z_mean) - K.ops.exp(z_log_var))
            kl_loss = K.ops.mean(K.ops.sum(kl_loss, axis=1))
            if self.first_kl is None:
                self.first_kl = float(K.ops.convert_to_numpy(kl_loss))
            total_loss = reconstruction_loss + kl_loss
            total_loss.backward()
            grads = [v.value.grad for v in self.trainable_weights]
            self.optimizer.apply(grads, self.trainable_weights)
            self.total_loss_tracker.update_state(total_loss)
            self.reconstruction_loss_tracker.update_state(reconstruction_loss)
            self.kl_loss_tracker.update_state(kl_loss)
            return {m.name: m.result() for m in self.metrics}

    images = np.random.default_rng(3).random((16, 6, 6, 1)).astype("float32")
    images = (images > 0.5).astype("float32")
    vae = VAE(encoder, decoder)
    vae.compile(optimizer=K.optimizers.Adam(0.01))
    history = vae.fit(images, epochs=3, batch_size=8, shuffle=False, verbose=0)
    z_mean_out, _, _ = encoder.predict(images[:4], verbose=0)
    return {"first_kl": vae.first_kl, "keys": sorted(history.history),
            "total": history.history["total_loss"], "z_mean_shape": list(z_mean_out.shape),
            "decoded_shape": list(decoder.predict(z_mean_out, verbose=0).shape)}


def text_classifier(K):
    """keras.io "Text classification from scratch", small: token ids (Keras's TextVectorization needs
    TensorFlow, so the vocabulary is built in Python: most frequent first, 0 padding, 1 out-of-vocabulary),
    an Embedding with mask_zero, GlobalAveragePooling1D (masked), Dropout and a sigmoid Dense, with
    accuracy and AUC metrics and class weights."""
    texts = ["the movie was great fun", "awful plot and bad acting", "great acting and a fun story", "bad movie",
             "what a great film", "boring and awful", "fun fun fun", "the worst film ever",
             "a great story great cast", "bad bad bad plot"]
    labels = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 0], "float32")
    counts = {}
    for text in texts:
        for word in text.split():
            counts[word] = counts.get(word, 0) + 1
    vocabulary = ["", "[UNK]"] + sorted(counts, key=lambda w: (-counts[w], w))[:20]
    index = {w: i for i, w in enumerate(vocabulary)}

    def vectorize(batch, length=6):
        ids = [[index.get(w, 1) for w in t.split()][:length] for t in batch]
        return np.array([row + [0] * (length - len(row)) for row in ids], "int64")
    sequences = vectorize(texts)
    inputs = K.Input(shape=(6,), dtype="int64")
    x = K.layers.Embedding(len(vocabulary), 8, mask_zero=True)(inputs)
    x = K.layers.GlobalAveragePooling1D()(x)
    x = K.layers.Dropout(0.0)(x)
    outputs = K.layers.Dense(1, activation="sigmoid")(x)
    model = K.Model(inputs, outputs)
    _same_weights(model)
    model.compile(loss="binary_crossentropy", optimizer=K.optimizers.Adam(0.05),
                  metrics=["accuracy", K.metrics.AUC(name="auc")])
    history = model.fit(sequences, labels, batch_size=4, epochs=3, shuffle=False, verbose=0,
                        validation_data=(sequences[:4], labels[:4]), class_weight={0: 1.0, 1: 2.0})
    new = vectorize(["a great fun movie", "awful and boring", "unknown words here"])
    return {"history": history.history, "predicted": model.predict(new, verbose=0),
            "evaluated": model.evaluate(sequences, labels, verbose=0)}


def _windows(series, targets, length):
    """The windows timeseries_dataset_from_array makes (sequence_stride 1, sampling_rate 1)."""
    n = len(series) - length + 1
    return np.stack([series[i:i + length] for i in range(n)]), targets[:n]


def timeseries_forecasting(K):
    """keras.io "Timeseries forecasting for weather prediction", small: normalized features, windows of the
    past predicting a later value, an LSTM regressor, EarlyStopping on val_loss with restore_best_weights.
    (Keras's timeseries_dataset_from_array needs TensorFlow; the windows come from NumPy here and ember's
    own timeseries_dataset_from_array is checked against them in the test.)"""
    rng = np.random.default_rng(4)
    t = np.arange(80, dtype="float32")
    features = np.stack([np.sin(t / 5), np.cos(t / 7), 0.1 * rng.standard_normal(80)], axis=1).astype("float32")
    features = (features - features.mean(0)) / features.std(0)
    past, future = 8, 2
    x, y = _windows(features[:-future], features[past + future - 1:, 0], past)
    x_train, y_train, x_val, y_val = x[:48], y[:48], x[48:], y[48:]
    inputs = K.Input(shape=(past, 3))
    lstm_out = K.layers.LSTM(6)(inputs)
    outputs = K.layers.Dense(1)(lstm_out)
    model = K.Model(inputs, outputs)
    _same_weights(model)
    model.compile(optimizer=K.optimizers.Adam(learning_rate=0.01), loss="mse")
    stop = K.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=1, restore_best_weights=True)
    history = model.fit(x_train, y_train, epochs=4, batch_size=16, validation_data=(x_val, y_val),
                        callbacks=[stop], shuffle=False, verbose=0)
    return {"history": history.history, "stopped_epoch": stop.stopped_epoch, "best": stop.best,
            "forecast": model.predict(x_val[:5], verbose=0)}


def siamese_contrastive(K):
    """keras.io "Image similarity estimation using a Siamese Network with a contrastive loss", small: one
    shared tower applied to both inputs, a custom Euclidean-distance layer, BatchNormalization and a
    sigmoid, trained with a margin contrastive loss written with keras.ops."""
    class EuclideanDistance(K.layers.Layer):
        def call(self, vects):
            x, y = vects
            sum_square = K.ops.sum(K.ops.square(x - y), axis=1, keepdims=True)
            return K.ops.sqrt(K.ops.maximum(sum_square, K.backend.epsilon()))

    def loss(margin=1):
        def contrastive_loss(y_true, y_pred):
            square_pred = K.ops.square(y_pred)
            margin_square = K.ops.square(K.ops.maximum(margin - y_pred, 0))
            return K.ops.mean((1 - y_true) * square_pred + y_true * margin_square)
        return contrastive_loss

    tower_input = K.Input((5, 5, 1))
    x = K.layers.BatchNormalization()(tower_input)
    x = K.layers.Conv2D(3, (3, 3), activation="tanh")(x)
    x = K.layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = K.layers.Flatten()(x)
    x = K.layers.BatchNormalization()(x)
    x = K.layers.Dense(4, activation="tanh")(x)
    tower = K.Model(tower_input, x)
    input_1, input_2 = K.Input((5, 5, 1)), K.Input((5, 5, 1))
    merge = EuclideanDistance()([tower(input_1), tower(input_2)])
    normal = K.layers.BatchNormalization()(merge)
    output = K.layers.Dense(1, activation="sigmoid")(normal)
    siamese = K.Model(inputs=[input_1, input_2], outputs=output)
    _same_weights(siamese)
    siamese.compile(loss=loss(margin=1), optimizer=K.optimizers.RMSprop(0.01), metrics=["accuracy"])
    rng = np.random.default_rng(5)
    a, b = rng.random((12, 5, 5, 1)).astype("float32"), rng.random((12, 5, 5, 1)).astype("float32")
    same = rng.integers(0, 2, 12).astype("float32")
    history = siamese.fit([a, b], same, batch_size=4, epochs=2, shuffle=False, verbose=0,
                          validation_data=([a[:4], b[:4]], same[:4]))
    return {"history": history.history, "predicted": siamese.predict([a[:3], b[:3]], verbose=0),
            "tower": tower.predict(a[:2], verbose=0), "n_weights": len(siamese.weights)}


def gan_custom_loop(K):
    """A GAN trained by hand (the torch-backend guide "Writing a training loop from scratch"): two models,
    two optimizers, losses from keras.ops and a loss object, gradients by backward and
    ``optimizer.apply``; the noise comes from a NumPy generator."""
    latent = 3
    generator = K.Sequential([K.Input((latent,)), K.layers.Dense(8), K.layers.LeakyReLU(negative_slope=0.2),
                              K.layers.Dense(4, activation="tanh")], name="generator")
    discriminator = K.Sequential([K.Input((4,)), K.layers.Dense(8), K.layers.LeakyReLU(negative_slope=0.2),
                                  K.layers.Dense(1)], name="discriminator")
    _same_weights(generator, 1)
    _same_weights(discriminator, 2)
    d_optimizer = K.optimizers.Adam(learning_rate=0.003)
    g_optimizer = K.optimizers.Adam(learning_rate=0.004)
    loss_fn = K.losses.BinaryCrossentropy(from_logits=True)
    rng = np.random.default_rng(6)
    real_data = np.tanh(rng.standard_normal((32, 4))).astype("float32")
    d_losses, g_losses = [], []
    for step in range(4):
        real = real_data[step * 8:(step + 1) * 8]
        noise = rng.standard_normal((8, latent)).astype("float32")
        fake = generator(noise)
        combined = K.ops.concatenate([K.ops.convert_to_tensor(real), K.ops.stop_gradient(fake)], axis=0)
        labels = K.ops.concatenate([K.ops.ones((8, 1)), K.ops.zeros((8, 1))], axis=0)
        discriminator.zero_grad()
        d_loss = loss_fn(labels, discriminator(combined))
        d_loss.backward()
        d_optimizer.apply([v.value.grad for v in discriminator.trainable_weights], discriminator.trainable_weights)
        noise = rng.standard_normal((8, latent)).astype("float32")
        generator.zero_grad()
        discriminator.zero_grad()
        g_loss = loss_fn(K.ops.ones((8, 1)), discriminator(generator(noise)))
        g_loss.backward()
        g_optimizer.apply([v.value.grad for v in generator.trainable_weights], generator.trainable_weights)
        d_losses.append(float(K.ops.convert_to_numpy(d_loss)))
        g_losses.append(float(K.ops.convert_to_numpy(g_loss)))
    return {"d": d_losses, "g": g_losses, "iterations": int(K.ops.convert_to_numpy(g_optimizer.iterations)),
            "samples": K.ops.convert_to_numpy(generator(rng.standard_normal((2, latent)).astype("float32")))}


def multi_io_callbacks(K, tmp):
    """keras.io "The Functional API" ticket ranker: three named inputs (title and body token ids, tag
    flags), two named outputs, losses and loss_weights keyed by name, dict data; ReduceLROnPlateau,
    ModelCheckpoint (best only, .keras) and a CSVLogger; the best checkpoint reloaded and evaluated."""
    title_input = K.Input(shape=(5,), name="title")
    body_input = K.Input(shape=(7,), name="body")
    tags_input = K.Input(shape=(4,), name="tags")
    title_features = K.layers.LSTM(4)(K.layers.Embedding(20, 3)(title_input))
    body_features = K.layers.GRU(3)(K.layers.Embedding(20, 3)(body_input))
    x = K.layers.concatenate([title_features, body_features, tags_input])
    priority_pred = K.layers.Dense(1, name="priority")(x)
    department_pred = K.layers.Dense(3, name="department")(x)
    model = K.Model(inputs=[title_input, body_input, tags_input], outputs={"priority": priority_pred,
                                                                           "department": department_pred})
    _same_weights(model)
    model.compile(optimizer=K.optimizers.RMSprop(1e-2),
                  loss={"priority": K.losses.BinaryCrossentropy(from_logits=True),
                        "department": K.losses.CategoricalCrossentropy(from_logits=True)},
                  loss_weights={"priority": 1.0, "department": 0.2})
    rng = np.random.default_rng(7)
    data = {"title": rng.integers(0, 20, (16, 5)), "body": rng.integers(0, 20, (16, 7)),
            "tags": rng.integers(0, 2, (16, 4)).astype("float32")}
    targets = {"priority": rng.random((16, 1)).astype("float32"),
               "department": np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]}
    path = os.path.join(tmp, f"best-{K.__name__}.keras")
    log = os.path.join(tmp, f"log-{K.__name__}.csv")
    callbacks = [K.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10.0),
                 K.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True),
                 K.callbacks.CSVLogger(log)]
    history = model.fit(data, targets, epochs=3, batch_size=8, shuffle=False, verbose=0, callbacks=callbacks,
                        validation_data=(data, targets))
    best = K.saving.load_model(path)
    with open(log) as f:
        header = f.readline().strip().split(",")
    predicted = best.predict(data, verbose=0)
    return {"history": history.history, "lr": float(K.ops.convert_to_numpy(model.optimizer.learning_rate)),
            "best_eval": best.evaluate(data, targets, verbose=0, return_dict=True),
            "best_priority": predicted["priority"][:4], "csv_header": sorted(header)}


def subclassed_saved_and_reloaded(K, tmp):
    """keras.io "Save, serialize, and export models": a registered subclassed layer and model with
    get_config/from_config, trained, saved as .keras, reloaded (config, weights, optimizer step) and
    trained on with the same results as the original."""
    package = f"Programs{K.__name__.replace('.', '')}"

    @K.saving.register_keras_serializable(package=package)
    class ScaledDense(K.layers.Layer):
        def __init__(self, units, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.units, self.scale = units, scale

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="w")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

        def call(self, inputs):
            return self.scale * (K.ops.matmul(inputs, self.w) + self.b)

        def get_config(self):
            return {**super().get_config(), "units": self.units, "scale": self.scale}

    @K.saving.register_keras_serializable(package=package)
    class Regressor(K.Model):
        def __init__(self, hidden=5, **kwargs):
            super().__init__(**kwargs)
            self.hidden = hidden
            self.block = ScaledDense(hidden, scale=0.5)
            self.head = K.layers.Dense(1)

        def call(self, inputs):
            return self.head(K.ops.relu(self.block(inputs)))

        def get_config(self):
            return {**super().get_config(), "hidden": self.hidden}

    rng = np.random.default_rng(8)
    x = rng.standard_normal((12, 3)).astype("float32")
    y = rng.standard_normal((12, 1)).astype("float32")
    model = Regressor(hidden=4)
    model(x[:1])
    _same_weights(model)
    model.compile(optimizer=K.optimizers.Adam(0.05), loss="mse", metrics=["mae"])
    first = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    path = os.path.join(tmp, f"regressor-{K.__name__}.keras")
    model.save(path)
    reloaded = K.saving.load_model(path)
    same_predictions = np.allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))
    again = reloaded.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    return {"first": first.history, "again": again.history, "same_predictions": float(same_predictions),
            "type": type(reloaded).__name__, "hidden": reloaded.hidden, "block_scale": reloaded.block.scale,
            "iterations": int(K.ops.convert_to_numpy(reloaded.optimizer.iterations))}


def transformer_classifier(K):
    """keras.io "Text classification with Transformer", small: custom TransformerBlock (MultiHeadAttention,
    a Sequential feed-forward, LayerNormalization, Dropout) and TokenAndPositionEmbedding layers."""
    class TransformerBlock(K.layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.0):
            super().__init__()
            self.att = K.layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = K.Sequential([K.layers.Dense(ff_dim, activation="relu"), K.layers.Dense(embed_dim)])
            self.layernorm1 = K.layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = K.layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = K.layers.Dropout(rate)
            self.dropout2 = K.layers.Dropout(rate)
        def call(self, inputs):
            attn_output = self.att(inputs, inputs)
            out1 = self.layernorm1(inputs + self.dropout1(attn_output))
            ffn_output = self.ffn(out1)
            return self.layernorm2(out1 + self.dropout2(ffn_output))
    class TokenAndPositionEmbedding(K.layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim):
            super().__init__()
            self.token_emb = K.layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = K.layers.Embedding(input_dim=maxlen, output_dim=embed_dim)
        def call(self, x):
            maxlen = K.ops.shape(x)[-1]
            positions = K.ops.arange(start=0, stop=maxlen, step=1)
            return self.token_emb(x) + self.pos_emb(positions)
    maxlen, vocab, dim = 6, 20, 8
    inputs = K.layers.Input(shape=(maxlen,))
    x = TokenAndPositionEmbedding(maxlen, vocab, dim)(inputs)
    x = TransformerBlock(dim, 2, 16)(x)
    x = K.layers.GlobalAveragePooling1D()(x)
    outputs = K.layers.Dense(2, activation="softmax")(x)
    model = K.Model(inputs=inputs, outputs=outputs)
    _same_weights(model)
    model.compile(optimizer=K.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, vocab, (16, maxlen)); y = rng.integers(0, 2, 16)
    h = model.fit(x_train, y, batch_size=8, epochs=2, shuffle=False, verbose=0, validation_data=(x_train[:8], y[:8]))
    return {"h": h.history, "p": model.predict(x_train[:3], verbose=0), "n": [list(w.shape) for w in model.get_weights()]}

def add_loss_layers(K):
    """keras.io "Making new layers and models via subclassing": an ActivityRegularizationLayer calling
    add_loss, and an endpoint layer computing the loss from a targets Input (named "inputs"/"targets"),
    the model compiled without a loss."""
    class ActivityRegularizationLayer(K.layers.Layer):
        def __init__(self, rate=1e-2):
            super().__init__(); self.rate = rate
        def call(self, inputs):
            self.add_loss(self.rate * K.ops.mean(inputs))
            return inputs
    class LogisticEndpoint(K.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = K.losses.BinaryCrossentropy(from_logits=True)
        def call(self, targets, logits, sample_weights=None):
            loss = self.loss_fn(targets, logits, sample_weights)
            self.add_loss(loss)
            return K.ops.softmax(logits)
    inputs = K.Input(shape=(3,), name="inputs")
    targets = K.Input(shape=(2,), name="targets")
    h = ActivityRegularizationLayer()(K.layers.Dense(4, activation="relu")(inputs))
    logits = K.layers.Dense(2)(h)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    model = K.Model(inputs=[inputs, targets], outputs=predictions)
    _same_weights(model)
    model.compile(optimizer=K.optimizers.SGD(0.1))
    rng = np.random.default_rng(1)
    data = {"inputs": rng.random((12, 3)).astype("float32"), "targets": rng.random((12, 2)).astype("float32")}
    h = model.fit(data, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return {"h": h.history, "p": model.predict(data, verbose=0)[:3], "losses": len(model.losses)}

EXACT = [transformer_classifier, add_loss_layers, text_classifier, timeseries_forecasting, siamese_contrastive, gan_custom_loop]
WITH_FILES = [multi_io_callbacks, subclassed_saved_and_reloaded]


@pytest.mark.parametrize("program", EXACT, ids=[p.__name__ for p in EXACT])
def test_keras_io_style_program_runs_the_same_under_ember(program):
    keras.utils.set_random_seed(0)
    expected = program(keras)
    got = program(ek)
    _compare(got, expected, program.__name__)


@pytest.mark.parametrize("program", WITH_FILES, ids=[p.__name__ for p in WITH_FILES])
def test_keras_io_style_program_with_files_runs_the_same_under_ember(program, tmp_path):
    expected = program(keras, str(tmp_path))
    got = program(ek, str(tmp_path))
    _compare(got, expected, program.__name__)


def test_vae_program_runs_under_ember_like_keras():
    expected, got = vae_custom_train_step(keras), vae_custom_train_step(ek)
    # Everything before the first random draw is the same; after it each framework has its own noise.
    np.testing.assert_allclose(got["first_kl"], expected["first_kl"], rtol=1e-5)
    for key in ("keys", "z_mean_shape", "decoded_shape"):
        assert got[key] == expected[key], key
    assert got["total"][-1] < got["total"][0] and expected["total"][-1] < expected["total"][0]
    np.testing.assert_allclose(got["total"][0], expected["total"][0], rtol=0.1)


def test_ember_timeseries_dataset_gives_the_programs_windows():
    series = np.arange(30, dtype="float32")[:, None] * np.ones((1, 2), "float32")
    targets = np.arange(30, dtype="float32") * 10
    x, y = _windows(series, targets, 6)
    batches = list(ek.utils.timeseries_dataset_from_array(series, targets, sequence_length=6, batch_size=7))
    np.testing.assert_array_equal(np.concatenate([np.asarray(b[0]) for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([np.asarray(b[1]) for b in batches]), y)
