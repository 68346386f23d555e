"""keras.io TEXT / STRUCTURED DATA / TIMESERIES / RECOMMENDER examples, small, run unchanged under real Keras 3
(torch backend) and under ``ember.keras``: each program is a function of the Keras module ``K``.

As in ``test_keras_programs``: every weight gets a value from a fixed NumPy generator, the data is fixed and
made here (the examples' downloads are replaced by data of the same shape and kind), fit does not shuffle,
and the NumPy results (histories, predictions, samples) are compared at float32 tolerance. Where Keras's
layer needs TensorFlow (StringLookup, TextVectorization), the program does that step in NumPy in both runs
and the ember layer is checked against the same NumPy step in the test.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

from .test_keras_programs import _compare, _same_weights  # noqa: E402


def _np(K, x):
    return np.asarray(K.ops.convert_to_numpy(x))


def structured_data_classification(K):
    """keras.io "Structured data classification from scratch" (heart disease), with hand-written
    preprocessing: numeric columns through adapted Normalization layers, integer categories one-hot through
    CategoryEncoding, string categories through a Python vocabulary (Keras's StringLookup needs TensorFlow)
    then CategoryEncoding; a dict of named Inputs, concatenate, Dense/Dropout, sigmoid."""
    rng = np.random.default_rng(0)
    n = 24
    age = rng.uniform(30, 70, (n, 1)).astype("float32")
    chol = rng.uniform(150, 300, (n, 1)).astype("float32")
    sex = rng.integers(0, 2, (n, 1))
    cp = rng.integers(0, 4, (n, 1))
    thal = rng.choice(["fixed", "normal", "reversible"], (n, 1))
    target = ((age[:, 0] > 50) ^ (cp[:, 0] == 2)).astype("float32")[:, None]
    thal_vocab = sorted(set(thal[:, 0]))
    thal_ids = np.array([[thal_vocab.index(v)] for v in thal[:, 0]], "int64")
    data = {"age": age, "chol": chol, "sex": sex, "cp": cp, "thal": thal_ids}

    inputs = {"age": K.Input((1,), name="age"), "chol": K.Input((1,), name="chol"),
              "sex": K.Input((1,), name="sex", dtype="int64"), "cp": K.Input((1,), name="cp", dtype="int64"),
              "thal": K.Input((1,), name="thal", dtype="int64")}
    encoded = []
    for name in ("age", "chol"):
        norm = K.layers.Normalization()
        norm.adapt(data[name])
        encoded.append(norm(inputs[name]))
    for name, tokens in (("sex", 2), ("cp", 4), ("thal", len(thal_vocab))):
        encoded.append(K.layers.CategoryEncoding(num_tokens=tokens, output_mode="one_hot")(inputs[name]))
    x = K.layers.concatenate(encoded)
    x = K.layers.Dense(8, activation="relu")(x)
    x = K.layers.Dropout(0.0)(x)
    output = K.layers.Dense(1, activation="sigmoid")(x)
    model = K.Model(inputs, output)
    rng_w = np.random.default_rng(1)
    for layer in model.layers:   # the adapted Normalization statistics stay; the Dense weights are drawn
        if type(layer).__name__ == "Dense":
            layer.set_weights([(rng_w.standard_normal(w.shape) * 0.3).astype("float32")
                               for w in layer.get_weights()])
    model.compile(optimizer=K.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(data, target, batch_size=8, epochs=3, shuffle=False, verbose=0,
                        validation_data=(data, target))
    sample = {"age": np.array([[60.0]], "float32"), "chol": np.array([[200.0]], "float32"),
              "sex": np.array([[1]]), "cp": np.array([[2]]), "thal": np.array([[thal_vocab.index("normal")]])}
    return {"history": history.history, "predicted": model.predict(sample, verbose=0),
            "normalized_age": _np(K, model.layers[[type(l).__name__ for l in model.layers].index(
                "Normalization")](age[:3]))}


def seq2seq_transformer(K):
    """keras.io "English-to-Spanish translation with a sequence-to-sequence Transformer", small: a
    PositionalEmbedding whose compute_mask is the padding mask (mask_zero), a TransformerEncoder and a
    TransformerDecoder (causal self-attention with use_causal_mask=True, cross-attention on the encoder's
    padding mask), token ids in, next-token softmax out; then greedy decoding."""
    vocab, length, dim, heads = 14, 6, 8, 2

    class PositionalEmbedding(K.layers.Layer):
        def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_embeddings = K.layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.position_embeddings = K.layers.Embedding(input_dim=sequence_length, output_dim=embed_dim)
            self.sequence_length = sequence_length

        def call(self, inputs):
            positions = K.ops.arange(0, K.ops.shape(inputs)[-1], 1)
            return self.token_embeddings(inputs) + self.position_embeddings(positions)

        def compute_mask(self, inputs, mask=None):
            return K.ops.not_equal(inputs, 0)

    class TransformerEncoder(K.layers.Layer):
        def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.attention = K.layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = K.Sequential([K.layers.Dense(dense_dim, activation="relu"),
                                            K.layers.Dense(embed_dim)])
            self.layernorm_1 = K.layers.LayerNormalization()
            self.layernorm_2 = K.layers.LayerNormalization()
            self.supports_masking = True

        def call(self, inputs, mask=None):
            padding_mask = None
            if mask is not None:
                padding_mask = K.ops.cast(mask[:, None, :], dtype="int32")
            attention_output = self.attention(query=inputs, value=inputs, key=inputs,
                                              attention_mask=padding_mask)
            proj_input = self.layernorm_1(inputs + attention_output)
            return self.layernorm_2(proj_input + self.dense_proj(proj_input))

    class TransformerDecoder(K.layers.Layer):
        def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.attention_1 = K.layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.attention_2 = K.layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = K.Sequential([K.layers.Dense(latent_dim, activation="relu"),
                                            K.layers.Dense(embed_dim)])
            self.layernorm_1 = K.layers.LayerNormalization()
            self.layernorm_2 = K.layers.LayerNormalization()
            self.layernorm_3 = K.layers.LayerNormalization()
            self.supports_masking = True

        def call(self, inputs, mask=None):
            inputs, encoder_outputs = inputs
            attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs, use_causal_mask=True)
            out_1 = self.layernorm_1(inputs + attention_output_1)
            attention_output_2 = self.attention_2(query=out_1, value=encoder_outputs, key=encoder_outputs)
            out_2 = self.layernorm_2(out_1 + attention_output_2)
            return self.layernorm_3(out_2 + self.dense_proj(out_2))

    encoder_inputs = K.Input(shape=(None,), dtype="int64", name="encoder_inputs")
    x = PositionalEmbedding(length, vocab, dim)(encoder_inputs)
    encoder_outputs = TransformerEncoder(dim, 16, heads)(x)
    encoder = K.Model(encoder_inputs, encoder_outputs)
    decoder_inputs = K.Input(shape=(None,), dtype="int64", name="decoder_inputs")
    encoded_seq_inputs = K.Input(shape=(None, dim), name="decoder_state_inputs")
    x = PositionalEmbedding(length, vocab, dim)(decoder_inputs)
    x = TransformerDecoder(dim, 16, heads)([x, encoded_seq_inputs])
    x = K.layers.Dropout(0.0)(x)
    decoder_outputs = K.layers.Dense(vocab, activation="softmax")(x)
    decoder = K.Model([decoder_inputs, encoded_seq_inputs], decoder_outputs)
    decoder_outputs = decoder([decoder_inputs, encoder_outputs])
    transformer = K.Model([encoder_inputs, decoder_inputs], decoder_outputs, name="transformer")
    _same_weights(transformer)

    rng = np.random.default_rng(2)
    source = rng.integers(3, vocab, (8, length))
    for i in range(8):
        source[i, length - i % 3:] = 0
    target = np.concatenate([np.full((8, 1), 1), (source[:, :length - 1] + 1) % vocab], axis=1)
    target[target == 0] = 2
    decoder_in, decoder_out = target[:, :-1], target[:, 1:]
    transformer.compile(K.optimizers.RMSprop(0.01), loss="sparse_categorical_crossentropy",
                        metrics=["accuracy"])
    history = transformer.fit({"encoder_inputs": source, "decoder_inputs": decoder_in}, decoder_out,
                              batch_size=4, epochs=2, shuffle=False, verbose=0)

    decoded = np.ones((2, 1), "int64")   # greedy decoding from the start token
    for _ in range(3):
        probs = transformer.predict({"encoder_inputs": source[:2], "decoder_inputs": decoded}, verbose=0)
        decoded = np.concatenate([decoded, probs[:, -1:].argmax(-1)], axis=1)
    return {"history": history.history, "decoded": decoded,
            "probs": transformer.predict({"encoder_inputs": source[:2], "decoder_inputs": decoder_in[:2]},
                                         verbose=0)}


def char_lstm_generation(K):
    """keras.io "Character-level text generation with LSTM": one-hot windows of characters, an LSTM and a
    softmax over the characters, then sampling with temperature (log, divide, exp, normalize, one
    multinomial draw from a fixed NumPy generator)."""
    text = "the cat sat on the mat and the rat ate the hat " * 2
    chars = sorted(set(text))
    char_indices = {c: i for i, c in enumerate(chars)}
    maxlen, step = 6, 3
    sentences = [text[i:i + maxlen] for i in range(0, len(text) - maxlen, step)]
    next_chars = [text[i + maxlen] for i in range(0, len(text) - maxlen, step)]
    x = np.zeros((len(sentences), maxlen, len(chars)), dtype="bool")
    y = np.zeros((len(sentences), len(chars)), dtype="bool")
    for i, sentence in enumerate(sentences):
        for t, char in enumerate(sentence):
            x[i, t, char_indices[char]] = 1
        y[i, char_indices[next_chars[i]]] = 1
    model = K.Sequential([K.Input(shape=(maxlen, len(chars))), K.layers.LSTM(16),
                          K.layers.Dense(len(chars), activation="softmax")])
    _same_weights(model, 3)
    model.compile(loss="categorical_crossentropy", optimizer=K.optimizers.RMSprop(learning_rate=0.01))
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)

    def sample(preds, rng, temperature=1.0):
        preds = np.asarray(preds).astype("float64")
        preds = np.log(preds) / temperature
        exp_preds = np.exp(preds)
        preds = exp_preds / np.sum(exp_preds)
        return np.argmax(rng.multinomial(1, preds, 1))

    generated = {}
    for temperature in (0.2, 1.0):
        rng = np.random.default_rng(4)
        sentence, out = text[:maxlen], ""
        for _ in range(8):
            x_pred = np.zeros((1, maxlen, len(chars)))
            for t, char in enumerate(sentence):
                x_pred[0, t, char_indices[char]] = 1.0
            preds = model.predict(x_pred, verbose=0)[0]
            next_char = chars[sample(preds, rng, temperature)]
            sentence = sentence[1:] + next_char
            out += next_char
        generated[str(temperature)] = out
    return {"history": history.history, "generated": generated,
            "last_probs": model.predict(x[:2], verbose=0)}


def bidirectional_lstm_imdb(K):
    """keras.io "Bidirectional LSTM on IMDB": lists of word ids as keras.datasets.imdb.load_data gives them
    (1 = start, 2 = out of vocabulary, index_from=3), pad_sequences to maxlen, Embedding, two stacked
    Bidirectional LSTMs, sigmoid."""
    rng = np.random.default_rng(5)
    max_features, maxlen = 20, 8
    x_train = [[1] + [int(w) for w in rng.integers(3, max_features, rng.integers(3, 12))] for _ in range(12)]
    y_train = rng.integers(0, 2, 12)
    x_train = K.utils.pad_sequences(x_train, maxlen=maxlen)
    inputs = K.Input(shape=(None,), dtype="int32")
    x = K.layers.Embedding(max_features, 6)(inputs)
    x = K.layers.Bidirectional(K.layers.LSTM(4, return_sequences=True))(x)
    x = K.layers.Bidirectional(K.layers.LSTM(4))(x)
    outputs = K.layers.Dense(1, activation="sigmoid")(x)
    model = K.Model(inputs, outputs)
    _same_weights(model, 6)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=4, epochs=2, shuffle=False, verbose=0,
                        validation_data=(x_train[:4], y_train[:4]))
    return {"padded": x_train, "history": history.history, "pred": model.predict(x_train[:3], verbose=0)}


def timeseries_classification(K):
    """keras.io "Timeseries classification from scratch" (FordA), small: univariate series of two classes
    (noisy sines of two frequencies), three Conv1D + BatchNormalization + ReLU blocks, global average
    pooling, softmax; ReduceLROnPlateau and EarlyStopping on val_loss, sparse categorical accuracy."""
    rng = np.random.default_rng(7)
    t = np.linspace(0, 1, 24, dtype="float32")
    y = rng.integers(0, 2, 16)
    x = np.sin(2 * np.pi * np.where(y[:, None] == 1, 3.0, 1.0) * t) + 0.3 * rng.standard_normal((16, 24))
    x = x.astype("float32")[..., None]
    input_layer = K.layers.Input((24, 1))
    h = input_layer
    for _ in range(3):
        h = K.layers.Conv1D(filters=4, kernel_size=3, padding="same")(h)
        h = K.layers.BatchNormalization()(h)
        h = K.layers.ReLU()(h)
    gap = K.layers.GlobalAveragePooling1D()(h)
    output_layer = K.layers.Dense(2, activation="softmax")(gap)
    model = K.Model(inputs=input_layer, outputs=output_layer)
    _same_weights(model, 8)
    for layer in model.layers:   # BatchNormalization's moving variance must stay positive
        if type(layer).__name__ == "BatchNormalization":
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([gamma, beta, mean, np.abs(var) + 0.5])
    callbacks = [K.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=0.0001),
                 K.callbacks.EarlyStopping(monitor="val_loss", patience=5, verbose=0)]
    model.compile(optimizer=K.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    history = model.fit(x, y, batch_size=8, epochs=3, callbacks=callbacks, validation_split=0.25,
                        shuffle=False, verbose=0)
    return {"history": history.history, "evaluated": model.evaluate(x, y, verbose=0),
            "pred": model.predict(x[:3], verbose=0)}


def timeseries_anomaly_autoencoder(K):
    """keras.io "Timeseries anomaly detection using an Autoencoder": windows of a normalized series, a
    Conv1D (strides 2) / Conv1DTranspose autoencoder trained on mse, the threshold is the largest training
    reconstruction error, and windows of a series with a spike are flagged."""
    rng = np.random.default_rng(9)
    series = np.sin(np.arange(60, dtype="float32") / 3) + 0.05 * rng.standard_normal(60).astype("float32")
    mean, std = series.mean(), series.std()
    normalized = (series - mean) / std
    time_steps = 8

    def create_sequences(values):
        return np.stack([values[i:i + time_steps] for i in range(len(values) - time_steps + 1)])[..., None]
    x_train = create_sequences(normalized).astype("float32")
    model = K.Sequential([
        K.layers.Input(shape=(x_train.shape[1], x_train.shape[2])),
        K.layers.Conv1D(filters=4, kernel_size=3, padding="same", strides=2, activation="relu"),
        K.layers.Dropout(rate=0.0),
        K.layers.Conv1D(filters=2, kernel_size=3, padding="same", strides=2, activation="relu"),
        K.layers.Conv1DTranspose(filters=2, kernel_size=3, padding="same", strides=2, activation="relu"),
        K.layers.Dropout(rate=0.0),
        K.layers.Conv1DTranspose(filters=4, kernel_size=3, padding="same", strides=2, activation="relu"),
        K.layers.Conv1DTranspose(filters=1, kernel_size=3, padding="same"),
    ])
    _same_weights(model, 10)
    model.compile(optimizer=K.optimizers.Adam(learning_rate=0.01), loss="mse")
    history = model.fit(x_train, x_train, epochs=3, batch_size=16, validation_split=0.1, shuffle=False,
                        verbose=0)
    train_mae = np.mean(np.abs(model.predict(x_train, verbose=0) - x_train), axis=1)
    threshold = np.max(train_mae)
    test = normalized.copy()
    test[30:33] += 4.0
    x_test = create_sequences(test).astype("float32")
    test_mae = np.mean(np.abs(model.predict(x_test, verbose=0) - x_test), axis=1)
    anomalies = (test_mae > threshold)[:, 0]
    return {"history": history.history, "threshold": float(threshold), "test_mae": test_mae,
            "anomalies": anomalies.astype("float32")}


def collaborative_filtering(K):
    """keras.io "Collaborative Filtering for Movie Recommendations": a subclassed RecommenderNet with user
    and movie embeddings and biases, the score ops.tensordot(user, movie, 2) + biases through a sigmoid,
    binary cross-entropy on ratings scaled to [0, 1]; then the top movies for one user."""
    num_users, num_movies, embedding_size = 6, 9, 4

    class RecommenderNet(K.Model):
        def __init__(self, num_users, num_movies, embedding_size, **kwargs):
            super().__init__(**kwargs)
            self.user_embedding = K.layers.Embedding(num_users, embedding_size, embeddings_initializer="he_normal",
                                                     embeddings_regularizer=K.regularizers.l2(1e-6))
            self.user_bias = K.layers.Embedding(num_users, 1)
            self.movie_embedding = K.layers.Embedding(num_movies, embedding_size,
                                                      embeddings_initializer="he_normal",
                                                      embeddings_regularizer=K.regularizers.l2(1e-6))
            self.movie_bias = K.layers.Embedding(num_movies, 1)

        def call(self, inputs):
            user_vector = self.user_embedding(inputs[:, 0])
            user_bias = self.user_bias(inputs[:, 0])
            movie_vector = self.movie_embedding(inputs[:, 1])
            movie_bias = self.movie_bias(inputs[:, 1])
            dot_user_movie = K.ops.tensordot(user_vector, movie_vector, 2)
            x = dot_user_movie + user_bias + movie_bias
            return K.ops.nn.sigmoid(x)

    rng = np.random.default_rng(11)
    pairs = np.stack([rng.integers(0, num_users, 40), rng.integers(0, num_movies, 40)], axis=1)
    ratings = rng.integers(1, 6, 40).astype("float32")
    y = (ratings - ratings.min()) / (ratings.max() - ratings.min())
    model = RecommenderNet(num_users, num_movies, embedding_size)
    model(pairs[:2])
    _same_weights(model, 12)
    model.compile(loss=K.losses.BinaryCrossentropy(), optimizer=K.optimizers.Adam(learning_rate=0.01))
    history = model.fit(x=pairs[:32], y=y[:32], batch_size=8, epochs=3, verbose=0, shuffle=False,
                        validation_data=(pairs[32:], y[32:]))
    user = 2
    candidates = np.stack([np.full(num_movies, user), np.arange(num_movies)], axis=1)
    scores = model.predict(candidates, verbose=0).flatten()
    return {"history": history.history, "scores": scores, "top": scores.argsort()[-3:][::-1].astype("float64"),
            "losses": len(model.losses)}


def text_vectorization_classifier(K, features):
    """keras.io "Text classification with TextVectorization"-style bag-of-words classifier: the texts are
    vectorized (tf_idf bigrams here) and a Dense/Dropout/sigmoid model is trained on them. Keras's
    TextVectorization needs TensorFlow, so both runs take ember's TextVectorization output (``features``);
    the test checks that output against NumPy."""
    labels = np.array([1, 0, 1, 0, 1, 0, 1, 0], "float32")
    inputs = K.Input(shape=(features.shape[1],))
    x = K.layers.Dense(8, activation="relu")(inputs)
    x = K.layers.Dropout(0.0)(x)
    outputs = K.layers.Dense(1, activation="sigmoid")(x)
    model = K.Model(inputs, outputs)
    _same_weights(model, 13)
    model.compile(optimizer=K.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(features, labels, batch_size=4, epochs=3, shuffle=False, verbose=0)
    return {"history": history.history, "pred": model.predict(features[:3], verbose=0)}


TEXTS = ["The movie was GREAT, great fun!", "awful plot; bad acting", "great acting and a fun story",
         "bad movie", "what a great film", "boring and awful", "fun fun fun", "the worst film ever"]


def ner_transformer(K):
    """keras.io "Named Entity Recognition using Transformers": TokenAndPositionEmbedding, a TransformerBlock,
    a per-token softmax, and a custom loss class (keras.losses.Loss subclass) that takes the per-token
    sparse cross-entropy with reduction=None, masks padding (tag 0) and averages over real tokens."""
    vocab_size, maxlen, num_tags, embed_dim, num_heads, ff_dim = 16, 6, 4, 8, 2, 8

    class TransformerBlock(K.layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.0):
            super().__init__()
            self.att = K.layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = K.Sequential([K.layers.Dense(ff_dim, activation="relu"), K.layers.Dense(embed_dim)])
            self.layernorm1 = K.layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = K.layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = K.layers.Dropout(rate)
            self.dropout2 = K.layers.Dropout(rate)

        def call(self, inputs, training=False):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output, training=training)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.dropout2(self.ffn(out1), training=training)
            return self.layernorm2(out1 + ffn_output)

    class TokenAndPositionEmbedding(K.layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim):
            super().__init__()
            self.token_emb = K.layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = K.layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, inputs):
            maxlen = K.ops.shape(inputs)[-1]
            positions = K.ops.arange(start=0, stop=maxlen, step=1)
            return self.token_emb(inputs) + self.pos_emb(positions)

    class NERModel(K.Model):
        def __init__(self, num_tags, vocab_size, maxlen=128, embed_dim=32, num_heads=2, ff_dim=32):
            super().__init__()
            self.embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
            self.transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
            self.dropout1 = K.layers.Dropout(0.0)
            self.ff = K.layers.Dense(ff_dim, activation="relu")
            self.dropout2 = K.layers.Dropout(0.0)
            self.ff_final = K.layers.Dense(num_tags, activation="softmax")

        def call(self, inputs, training=False):
            x = self.embedding_layer(inputs)
            x = self.transformer_block(x)
            x = self.dropout1(x, training=training)
            x = self.ff(x)
            x = self.dropout2(x, training=training)
            return self.ff_final(x)

    class CustomNonPaddingTokenLoss(K.losses.Loss):
        def __init__(self, name="custom_ner_loss"):
            super().__init__(name=name)

        def call(self, y_true, y_pred):
            loss_fn = K.losses.SparseCategoricalCrossentropy(from_logits=False, reduction=None)
            loss = loss_fn(y_true, y_pred)
            mask = K.ops.cast((y_true > 0), dtype="float32")
            loss = loss * mask
            return K.ops.sum(loss) / K.ops.sum(mask)

    rng = np.random.default_rng(14)
    tokens = rng.integers(1, vocab_size, (8, maxlen))
    tags = rng.integers(1, num_tags, (8, maxlen))
    for i in range(8):
        tokens[i, maxlen - i % 3:] = 0
        tags[i, maxlen - i % 3:] = 0
    model = NERModel(num_tags, vocab_size, maxlen=maxlen, embed_dim=embed_dim, num_heads=num_heads,
                     ff_dim=ff_dim)
    model(tokens[:1])
    _same_weights(model, 15)
    loss = CustomNonPaddingTokenLoss()
    model.compile(optimizer=K.optimizers.Adam(0.01), loss=loss)
    history = model.fit(tokens, tags, epochs=2, batch_size=4, shuffle=False, verbose=0)
    probs = model.predict(tokens[:2], verbose=0)
    direct = float(_np(K, loss(K.ops.convert_to_tensor(tags[:2]), K.ops.convert_to_tensor(probs))))
    return {"history": history.history, "tags": probs.argmax(-1).astype("float64"), "direct_loss": direct}


PROGRAMS = [structured_data_classification, seq2seq_transformer, char_lstm_generation, bidirectional_lstm_imdb,
            timeseries_classification, timeseries_anomaly_autoencoder, collaborative_filtering, ner_transformer]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("program", PROGRAMS, ids=[p.__name__ for p in PROGRAMS])
def test_keras_io_text_program_runs_the_same_under_ember(program):
    keras.utils.set_random_seed(0)
    expected = program(keras)
    keras.utils.set_random_seed(0)
    got = program(ek)
    _compare(got, expected, program.__name__)


def _reference_vectorize(train, texts, max_tokens, output_mode, sequence_length=None):
    """TextVectorization in NumPy from Keras's documented rules: lower-case, strip ASCII punctuation, split on
    whitespace, unigrams then bigrams; the vocabulary is the most frequent tokens (ties: the larger token
    first), after '' (int mode) and '[UNK]'; tf_idf weighs counts by log(1 + docs / (1 + doc_freq)), the
    OOV slot by the mean idf."""
    import re
    import string

    def tokens(text):
        words = re.sub("[%s]" % re.escape(string.punctuation), "", text.lower()).split()
        return words + [" ".join(p) for p in zip(words, words[1:])]
    counts, docs = {}, {}
    for text in train:
        toks = tokens(text)
        for t in toks:
            counts[t] = counts.get(t, 0) + 1
        for t in set(toks):
            docs[t] = docs.get(t, 0) + 1
    special = ["", "[UNK]"] if output_mode == "int" else ["[UNK]"]
    learned = sorted(counts, key=lambda t: (counts[t], t), reverse=True)[:max_tokens - len(special)]
    index = {t: i + len(special) for i, t in enumerate(learned)}
    oov = special.index("[UNK]")
    if output_mode == "int":
        rows = [[index.get(t, oov) for t in tokens(text)][:sequence_length] for text in texts]
        return np.array([r + [0] * (sequence_length - len(r)) for r in rows], "int64")
    out = np.zeros((len(texts), len(special) + len(learned)), "float32")
    for i, text in enumerate(texts):
        for t in tokens(text):
            out[i, index.get(t, oov)] += 1
    if output_mode == "multi_hot":
        return (out > 0).astype("float32")
    idf = np.array([np.log(1 + len(train) / (1 + docs[t])) for t in learned], "float32")
    return out * np.concatenate([[idf.mean()], idf]).astype("float32")


@pytest.mark.parametrize("output_mode", ["int", "multi_hot", "tf_idf"])
def test_ember_text_vectorization_matches_the_reference(output_mode):
    kwargs = {"output_sequence_length": 7} if output_mode == "int" else {}
    layer = ek.layers.TextVectorization(max_tokens=20, ngrams=2, output_mode=output_mode, **kwargs)
    layer.adapt(np.array(TEXTS))
    new = TEXTS[:3] + ["unseen words, GREAT"]
    np.testing.assert_allclose(np.asarray(layer(np.array(new))),
                               _reference_vectorize(TEXTS, new, 20, output_mode, 7), rtol=1e-6, atol=1e-6)


def test_text_vectorization_classifier_trains_the_same_under_ember():
    layer = ek.layers.TextVectorization(max_tokens=20, ngrams=2, output_mode="tf_idf")
    layer.adapt(np.array(TEXTS))
    features = np.asarray(layer(np.array(TEXTS)))
    keras.utils.set_random_seed(0)
    expected = text_vectorization_classifier(keras, features)
    _compare(text_vectorization_classifier(ek, features), expected, "text_vectorization_classifier")
