"""Chapter 11, "Deep learning for text": reviews (made from a small vocabulary) through ``TextVectorization``
as a bag of bigrams, multi-hot and then TF-IDF, into a two-layer classifier; as padded integer sequences
(``output_sequence_length``) into an ``Embedding(mask_zero=True)`` + ``Bidirectional(LSTM)`` classifier; and
into a Transformer encoder: the book's ``PositionalEmbedding`` (token plus position embeddings, its own
``compute_mask``) and ``TransformerEncoder`` (MultiHeadAttention with the padding mask as attention mask, a
dense projection, two LayerNormalizations) layer subclasses with ``get_config``, the model saved with
ModelCheckpoint and reloaded with ``custom_objects``."""
import os

import numpy as np

from ._common import same_weights, to_numpy

POSITIVE = ["great", "wonderful", "moving", "brilliant", "fun"]
NEGATIVE = ["boring", "awful", "dull", "bad", "slow"]
NEUTRAL = ["the", "movie", "plot", "was", "and", "acting", "a", "film", "very", "it"]


def _reviews(rng, n):
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        words = list(rng.choice(NEUTRAL, rng.integers(3, 8)))
        words += list(rng.choice(POSITIVE if label else NEGATIVE, rng.integers(1, 3)))
        rng.shuffle(words)
        text = " ".join(words).capitalize() + rng.choice([".", "!", "?"])
        texts.append(text)
        labels.append(label)
    return np.array(texts), np.array(labels, "float32")


def main(keras, workdir):
    layers, ops = keras.layers, keras.ops
    rng = np.random.default_rng(0)
    train_texts, train_labels = _reviews(rng, 32)
    test_texts, test_labels = _reviews(rng, 8)

    def get_model(max_tokens=30, hidden_dim=16):
        inputs = keras.Input(shape=(max_tokens,))
        x = layers.Dense(hidden_dim, activation="relu")(inputs)
        x = layers.Dropout(0.0)(x)
        outputs = layers.Dense(1, activation="sigmoid")(x)
        model = keras.Model(inputs, outputs)
        same_weights(model)
        model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    results = {}
    for output_mode in ("multi_hot", "tf_idf"):
        text_vectorization = layers.TextVectorization(ngrams=2, max_tokens=30, output_mode=output_mode)
        text_vectorization.adapt(train_texts)
        x_train = np.asarray(text_vectorization(train_texts))
        x_test = np.asarray(text_vectorization(test_texts))
        model = get_model()
        history = model.fit(x_train, train_labels, validation_data=(x_test, test_labels), epochs=3, batch_size=8,
                            shuffle=False, verbose=0)
        results[output_mode] = {"vocabulary": text_vectorization.get_vocabulary()[:8], "x": x_test[:2],
                                "history": history.history,
                                "evaluate": model.evaluate(x_test, test_labels, verbose=0)}

    max_length, max_tokens = 10, 24
    text_vectorization = layers.TextVectorization(max_tokens=max_tokens, output_mode="int",
                                                  output_sequence_length=max_length)
    text_vectorization.adapt(train_texts)
    int_train = np.asarray(text_vectorization(train_texts))
    int_test = np.asarray(text_vectorization(test_texts))

    inputs = keras.Input(shape=(None,), dtype="int64")
    embedded = layers.Embedding(input_dim=max_tokens, output_dim=8, mask_zero=True)(inputs)
    x = layers.Bidirectional(layers.LSTM(6))(embedded)
    x = layers.Dropout(0.0)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    lstm_model = keras.Model(inputs, outputs)
    same_weights(lstm_model, seed=1)
    lstm_model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    lstm_history = lstm_model.fit(int_train, train_labels, epochs=2, batch_size=8, shuffle=False, verbose=0)

    class TransformerEncoder(keras.layers.Layer):
        def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.embed_dim = embed_dim
            self.dense_dim = dense_dim
            self.num_heads = num_heads
            self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = keras.Sequential([layers.Dense(dense_dim, activation="relu"),
                                                layers.Dense(embed_dim)])
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()

        def call(self, inputs, mask=None):
            if mask is not None:
                mask = ops.expand_dims(mask, axis=1)
            attention_output = self.attention(inputs, inputs, attention_mask=mask)
            proj_input = self.layernorm_1(inputs + attention_output)
            proj_output = self.dense_proj(proj_input)
            return self.layernorm_2(proj_input + proj_output)

        def get_config(self):
            config = super().get_config()
            config.update({"embed_dim": self.embed_dim, "num_heads": self.num_heads, "dense_dim": self.dense_dim})
            return config

    class PositionalEmbedding(keras.layers.Layer):
        def __init__(self, sequence_length, input_dim, output_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_embeddings = layers.Embedding(input_dim=input_dim, output_dim=output_dim)
            self.position_embeddings = layers.Embedding(input_dim=sequence_length, output_dim=output_dim)
            self.sequence_length = sequence_length
            self.input_dim = input_dim
            self.output_dim = output_dim

        def call(self, inputs):
            length = ops.shape(inputs)[-1]
            positions = ops.arange(0, length, 1)
            embedded_tokens = self.token_embeddings(inputs)
            embedded_positions = self.position_embeddings(positions)
            return embedded_tokens + embedded_positions

        def compute_mask(self, inputs, mask=None):
            return ops.not_equal(inputs, 0)

        def get_config(self):
            config = super().get_config()
            config.update({"output_dim": self.output_dim, "sequence_length": self.sequence_length,
                           "input_dim": self.input_dim})
            return config

    embed_dim, num_heads, dense_dim = 8, 2, 12
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = PositionalEmbedding(max_length, max_tokens, embed_dim)(inputs)
    x = TransformerEncoder(embed_dim, dense_dim, num_heads)(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dropout(0.0)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    transformer = keras.Model(inputs, outputs)
    same_weights(transformer, seed=2)
    transformer.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    path = os.path.join(workdir, "full_transformer_encoder.keras")
    callbacks = [keras.callbacks.ModelCheckpoint(path, save_best_only=True)]
    transformer_history = transformer.fit(int_train, train_labels, validation_data=(int_test, test_labels),
                                          epochs=2, batch_size=8, shuffle=False, callbacks=callbacks, verbose=0)
    reloaded = keras.models.load_model(path, custom_objects={"TransformerEncoder": TransformerEncoder,
                                                             "PositionalEmbedding": PositionalEmbedding})
    encoder = transformer.layers[2]
    config = encoder.get_config()
    clone = TransformerEncoder.from_config(config)
    masked = to_numpy(keras, transformer.layers[1].compute_mask(ops.convert_to_tensor(int_test[:2])))
    return {"bags": results, "int_test": int_test, "int_vocabulary": text_vectorization.get_vocabulary()[:6],
            "lstm_history": lstm_history.history, "lstm_params": lstm_model.count_params(),
            "lstm_predict": lstm_model.predict(int_test, verbose=0),
            "transformer_history": transformer_history.history, "transformer_params": transformer.count_params(),
            "reloaded": reloaded.predict(int_test, verbose=0), "reloaded_types": [type(layer).__name__
                                                                                  for layer in reloaded.layers],
            "config": {k: v for k, v in sorted(config.items()) if k in ("embed_dim", "num_heads", "dense_dim",
                                                                       "name", "trainable")},
            "clone": [clone.embed_dim, clone.dense_dim, clone.num_heads], "mask": masked}
