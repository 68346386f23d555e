"""Chapter 10, "Deep learning for timeseries": a Jena-climate-like table of hourly readings (made with NumPy:
daily and yearly cycles plus noise), the temperature to predict 24 hours ahead from the past 5 days sampled
hourly-ish; train/validation/test splits normalized with the training mean and std; windows from
``timeseries_dataset_from_array`` (sampling_rate, sequence_length, delay, start/end indices); the common-sense
baseline's MAE computed over the datasets; a densely connected model and a 1D convnet, an LSTM; and the GRU with
``recurrent_dropout`` plus Dropout, checkpointed with save_best_only and reloaded (its training draws dropout
masks, so it is compared before training, in inference, and by its structure and the fall of its loss).

The training windows are not shuffled (Keras shuffles them with tf.data's own stream)."""
import os

import numpy as np

from ._common import same_weights


def main(keras, workdir):
    layers = keras.layers
    hours = np.arange(360)
    rng = np.random.default_rng(0)
    temperature = (10 * np.sin(2 * np.pi * hours / 24) + 5 * np.sin(2 * np.pi * hours / 500)
                   + rng.standard_normal(360)).astype("float32")
    pressure = (1000 + 3 * np.cos(2 * np.pi * hours / 100) + rng.standard_normal(360)).astype("float32")
    humidity = (60 - 2 * temperature + rng.standard_normal(360)).astype("float32")
    raw_data = np.stack([pressure, temperature, humidity], axis=1)

    num_train_samples = int(0.5 * len(raw_data))
    num_val_samples = int(0.25 * len(raw_data))
    num_test_samples = len(raw_data) - num_train_samples - num_val_samples
    mean = raw_data[:num_train_samples].mean(axis=0)
    raw_data -= mean
    std = raw_data[:num_train_samples].std(axis=0)
    raw_data /= std

    sampling_rate = 2
    sequence_length = 12
    delay = sampling_rate * (sequence_length + 12 - 1)
    batch_size = 32
    train_dataset = keras.utils.timeseries_dataset_from_array(
        raw_data[:-delay], targets=temperature[delay:], sampling_rate=sampling_rate,
        sequence_length=sequence_length, shuffle=False, batch_size=batch_size, start_index=0,
        end_index=num_train_samples)
    val_dataset = keras.utils.timeseries_dataset_from_array(
        raw_data[:-delay], targets=temperature[delay:], sampling_rate=sampling_rate,
        sequence_length=sequence_length, shuffle=False, batch_size=batch_size, start_index=num_train_samples,
        end_index=num_train_samples + num_val_samples)
    test_dataset = keras.utils.timeseries_dataset_from_array(
        raw_data[:-delay], targets=temperature[delay:], sampling_rate=sampling_rate,
        sequence_length=sequence_length, shuffle=False, batch_size=batch_size,
        start_index=num_train_samples + num_val_samples)
    for samples, targets in train_dataset:
        shapes = {"samples": list(samples.shape), "targets": list(targets.shape)}
        break

    def evaluate_naive_method(dataset):
        total_abs_err = 0.0
        samples_seen = 0
        for samples, targets in dataset:
            preds = np.asarray(samples)[:, -1, 1] * std[1] + mean[1]
            total_abs_err += np.sum(np.abs(preds - np.asarray(targets)))
            samples_seen += samples.shape[0]
        return total_abs_err / samples_seen

    baseline = [evaluate_naive_method(val_dataset), evaluate_naive_method(test_dataset)]

    def train(model, epochs=2, seed=0):
        same_weights(model, seed=seed, scale=0.2)
        model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
        history = model.fit(train_dataset, epochs=epochs, validation_data=val_dataset, verbose=0)
        return history.history, model.evaluate(test_dataset, verbose=0)

    inputs = keras.Input(shape=(sequence_length, raw_data.shape[-1]))
    x = layers.Flatten()(inputs)
    x = layers.Dense(16, activation="relu")(x)
    outputs = layers.Dense(1)(x)
    dense = train(keras.Model(inputs, outputs))

    inputs = keras.Input(shape=(sequence_length, raw_data.shape[-1]))
    x = layers.Conv1D(8, 4, activation="relu")(inputs)
    x = layers.MaxPooling1D(2)(x)
    x = layers.Conv1D(8, 3, activation="relu")(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(1)(x)
    conv = train(keras.Model(inputs, outputs), seed=1)

    inputs = keras.Input(shape=(sequence_length, raw_data.shape[-1]))
    x = layers.LSTM(8)(inputs)
    outputs = layers.Dense(1)(x)
    lstm = train(keras.Model(inputs, outputs), seed=2)

    inputs = keras.Input(shape=(sequence_length, raw_data.shape[-1]))
    x = layers.GRU(8, recurrent_dropout=0.25)(inputs)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1)(x)
    gru = keras.Model(inputs, outputs)
    same_weights(gru, seed=3, scale=0.2)
    before = gru.predict(test_dataset, verbose=0)
    gru.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    path = os.path.join(workdir, "jena_gru_dropout.keras")
    callbacks = [keras.callbacks.ModelCheckpoint(path, save_best_only=True)]
    history = gru.fit(train_dataset, epochs=2, validation_data=val_dataset, callbacks=callbacks, verbose=0)
    reloaded = keras.models.load_model(path)
    reloaded_mae = reloaded.evaluate(test_dataset, verbose=0)[1]
    return {"shapes": shapes, "num_test_samples": num_test_samples, "baseline": baseline,
            "dense": dense, "conv": conv, "lstm": lstm, "gru_before": before, "gru_params": gru.count_params(),
            "gru_keys": sorted(history.history),
            "gru_falls": bool(history.history["loss"][-1] < history.history["loss"][0]),
            "gru_reloaded_finite": bool(np.isfinite(reloaded_mae))}
