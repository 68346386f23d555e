"""Chapter 4, the three first examples on made-up data of the datasets' kind: IMDB-style reviews (lists of
word indices) as multi-hot vectors for a binary classifier with a held-out validation set and a retrain +
evaluate; Reuters-style newswires, 6 topics, with one-hot labels (``to_categorical``) and then sparse integer
labels, plus the information-bottleneck model; Boston-housing-style regression with feature-wise
normalization and K-fold validation (``build_model`` called once per fold) tracking ``val_mae``."""
import numpy as np

from ._common import same_weights


def _sequences(rng, n, num_words, max_len):
    return [list(rng.integers(1, num_words, rng.integers(3, max_len))) for _ in range(n)]


def vectorize_sequences(sequences, dimension):
    results = np.zeros((len(sequences), dimension))
    for i, sequence in enumerate(sequences):
        for j in sequence:
            results[i, j] = 1.0
    return results


def imdb(keras):
    layers = keras.layers
    rng = np.random.default_rng(0)
    num_words = 64
    train_data, test_data = _sequences(rng, 48, num_words, 20), _sequences(rng, 16, num_words, 20)
    # reviews mentioning the low word ids often are "positive"
    train_labels = np.array([float(np.mean(np.array(s) < 20) > 0.3) for s in train_data])
    test_labels = np.array([float(np.mean(np.array(s) < 20) > 0.3) for s in test_data])
    x_train = vectorize_sequences(train_data, num_words)
    x_test = vectorize_sequences(test_data, num_words)
    y_train = np.asarray(train_labels).astype("float32")
    y_test = np.asarray(test_labels).astype("float32")

    def build():
        model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(16, activation="relu"),
                                  layers.Dense(1, activation="sigmoid")])
        model.build((None, num_words))
        same_weights(model)
        model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    model = build()
    x_val, partial_x_train = x_train[:16], x_train[16:]
    y_val, partial_y_train = y_train[:16], y_train[16:]
    history = model.fit(partial_x_train, partial_y_train, epochs=4, batch_size=8, shuffle=False,
                        validation_data=(x_val, y_val), verbose=0)
    history_dict = history.history

    model = build()
    model.fit(x_train, y_train, epochs=2, batch_size=16, shuffle=False, verbose=0)
    results = model.evaluate(x_test, y_test, verbose=0)
    split = build().fit(x_train, y_train, epochs=2, batch_size=16, shuffle=False, validation_split=0.25,
                        verbose=0)
    return {"keys": sorted(history_dict), "history": history_dict, "results": results,
            "predict": model.predict(x_test, verbose=0), "validation_split": split.history}


def reuters(keras):
    layers = keras.layers
    to_categorical = keras.utils.to_categorical
    rng = np.random.default_rng(1)
    num_words, topics = 80, 6
    train_data, test_data = _sequences(rng, 60, num_words, 16), _sequences(rng, 12, num_words, 16)
    train_labels = np.array([int(np.median(s)) * topics // num_words for s in train_data])
    test_labels = np.array([int(np.median(s)) * topics // num_words for s in test_data])
    x_train = vectorize_sequences(train_data, num_words)
    x_test = vectorize_sequences(test_data, num_words)
    y_train, y_test = to_categorical(train_labels), to_categorical(test_labels, num_classes=topics)

    def build(hidden=16, loss="categorical_crossentropy"):
        model = keras.Sequential([layers.Dense(hidden, activation="relu"), layers.Dense(hidden, activation="relu"),
                                  layers.Dense(topics, activation="softmax")])
        model.build((None, num_words))
        same_weights(model, seed=hidden)
        model.compile(optimizer="rmsprop", loss=loss, metrics=["accuracy"])
        return model

    model = build()
    x_val, partial_x_train = x_train[:12], x_train[12:]
    y_val, partial_y_train = y_train[:12], y_train[12:]
    history = model.fit(partial_x_train, partial_y_train, epochs=3, batch_size=12, shuffle=False,
                        validation_data=(x_val, y_val), verbose=0)
    results = model.evaluate(x_test, y_test, verbose=0)
    predictions = model.predict(x_test, verbose=0)

    sparse = build(loss="sparse_categorical_crossentropy")
    sparse_history = sparse.fit(x_train, np.array(train_labels), epochs=2, batch_size=12, shuffle=False,
                                verbose=0)
    bottleneck = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(4, activation="relu"),
                                   layers.Dense(topics, activation="softmax")])
    bottleneck.build((None, num_words))
    same_weights(bottleneck, seed=4)
    bottleneck.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    bottleneck.fit(partial_x_train, partial_y_train, epochs=2, batch_size=12, shuffle=False,
                   validation_data=(x_val, y_val), verbose=0)
    test_labels_copy = np.random.default_rng(2).permutation(test_labels)
    return {"y_train_shape": list(y_train.shape), "history": history.history, "results": results,
            "predictions": predictions, "sum": np.sum(predictions, axis=1), "argmax": np.argmax(predictions, 1),
            "sparse": sparse_history.history, "bottleneck": bottleneck.evaluate(x_test, y_test, verbose=0),
            "random_baseline": float(np.mean(test_labels == test_labels_copy))}


def boston_housing(keras):
    layers = keras.layers
    rng = np.random.default_rng(3)
    train_data = rng.standard_normal((40, 5)) * [1.0, 10.0, 0.1, 3.0, 50.0] + [0, 20, 1, 5, 300]
    test_data = rng.standard_normal((10, 5)) * [1.0, 10.0, 0.1, 3.0, 50.0] + [0, 20, 1, 5, 300]
    coef = np.array([2.0, 0.3, -10.0, 1.0, 0.02])
    train_targets = train_data @ coef + rng.standard_normal(40)
    test_targets = test_data @ coef
    mean = train_data.mean(axis=0)
    train_data = train_data - mean
    std = train_data.std(axis=0)
    train_data /= std
    test_data = (test_data - mean) / std

    def build_model():
        model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(16, activation="relu"),
                                  layers.Dense(1)])
        model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
        return model

    k = 4
    num_val_samples = len(train_data) // k
    num_epochs = 3
    all_mae_histories, all_scores = [], []
    for i in range(k):
        val_data = train_data[i * num_val_samples: (i + 1) * num_val_samples]
        val_targets = train_targets[i * num_val_samples: (i + 1) * num_val_samples]
        partial_train_data = np.concatenate([train_data[:i * num_val_samples],
                                             train_data[(i + 1) * num_val_samples:]], axis=0)
        partial_train_targets = np.concatenate([train_targets[:i * num_val_samples],
                                                train_targets[(i + 1) * num_val_samples:]], axis=0)
        model = build_model()
        model.build((None, 5))
        same_weights(model, seed=i)
        history = model.fit(partial_train_data, partial_train_targets, validation_data=(val_data, val_targets),
                            epochs=num_epochs, batch_size=4, shuffle=False, verbose=0)
        all_mae_histories.append(history.history["val_mae"])
        val_mse, val_mae = model.evaluate(val_data, val_targets, verbose=0)
        all_scores.append(val_mae)
    average_mae_history = [np.mean([x[i] for x in all_mae_histories]) for i in range(num_epochs)]

    model = build_model()
    model.build((None, 5))
    same_weights(model, seed=9)
    model.fit(train_data, train_targets, epochs=3, batch_size=8, shuffle=False, verbose=0)
    test_mse_score, test_mae_score = model.evaluate(test_data, test_targets, verbose=0)
    predictions = model.predict(test_data, verbose=0)
    return {"scores": all_scores, "average_mae_history": average_mae_history,
            "test": [test_mse_score, test_mae_score], "predictions": predictions}
