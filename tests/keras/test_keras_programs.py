"""Small Keras 3 programs, in the style of Keras's guides, run unchanged under real Keras (torch backend) and
under ``ember.keras``; their results must agree.

Each program is a function of the Keras module ``K``. It builds its model, gives every weight a value
drawn from a fixed NumPy generator (so both frameworks start from the same weights), trains on fixed data
without shuffling and returns NumPy results (losses, logs, predictions) that are compared.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

TOL = 2e-5


def _same_weights(model, seed=0):
    rng = np.random.default_rng(seed)
    model.set_weights([(rng.standard_normal(tuple(w.shape)) * 0.3).astype(np.float32) for w in model.get_weights()])


def _np(K, x):
    return np.asarray(K.ops.convert_to_numpy(x))


def functional_multi_output(K):
    """Two named outputs, losses/metrics/loss_weights keyed by output layer names, dict targets."""
    inputs = K.Input(shape=(5,), name="features")
    x = K.layers.Dense(8, activation="relu")(inputs)
    price = K.layers.Dense(1, name="price")(x)
    kind = K.layers.Dense(3, activation="softmax", name="kind")(x)
    model = K.Model(inputs=inputs, outputs=[price, kind])
    _same_weights(model)
    model.compile(optimizer=K.optimizers.Adam(0.01),
                  loss={"price": "mse", "kind": "sparse_categorical_crossentropy"},
                  loss_weights={"price": 0.5, "kind": 1.0}, metrics={"kind": ["accuracy"]})
    rng = np.random.default_rng(1)
    x_train = rng.standard_normal((24, 5)).astype("float32")
    y = {"price": rng.standard_normal((24, 1)).astype("float32"), "kind": rng.integers(0, 3, 24)}
    history = model.fit(x_train, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    evaluated = model.evaluate(x_train, y, verbose=0, return_dict=True)
    price_pred, kind_pred = model.predict(x_train[:4], verbose=0)
    return {"history": history.history, "evaluated": evaluated, "price": price_pred, "kind": kind_pred}


def custom_train_step(K):
    """The torch-backend guide: ``train_step`` calls ``loss.backward()`` and ``optimizer.apply``; a subclass
    built as a functional model; custom metrics tracked as attributes."""
    class CustomModel(K.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = K.metrics.Mean(name="loss")
            self.mae_metric = K.metrics.MeanAbsoluteError(name="mae")

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            self.optimizer.apply(gradients, trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    inputs = K.Input(shape=(4,))
    outputs = K.layers.Dense(1)(K.layers.Dense(6, activation="tanh")(inputs))
    model = CustomModel(inputs, outputs)
    _same_weights(model)
    model.compile(optimizer=K.optimizers.SGD(0.05, momentum=0.9), loss="mse")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 4)).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    return {"history": history.history, "pred": model.predict(x[:3], verbose=0)}


def custom_training_loop(K):
    """A loop over batches: forward, ``loss.backward()``, gradients from ``trainable_weights``,
    ``apply_gradients``; the loss from a ``keras.losses`` object and a metric updated by hand."""
    model = K.Sequential([K.Input((3,)), K.layers.Dense(5, activation="relu"), K.layers.Dense(2)])
    _same_weights(model)
    optimizer = K.optimizers.RMSprop(learning_rate=0.01)
    loss_fn = K.losses.SparseCategoricalCrossentropy(from_logits=True)
    acc = K.metrics.SparseCategoricalAccuracy()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((12, 3)).astype("float32")
    y = rng.integers(0, 2, 12)
    losses = []
    for epoch in range(2):
        for i in range(0, 12, 4):
            xb, yb = K.ops.convert_to_tensor(x[i:i + 4]), K.ops.convert_to_tensor(y[i:i + 4])
            model.zero_grad()
            logits = model(xb, training=True)
            loss = loss_fn(yb, logits)
            loss.backward()
            grads = [v.value.grad for v in model.trainable_weights]
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
            acc.update_state(yb, logits)
            losses.append(float(_np(K, loss)))
    return {"losses": np.array(losses), "acc": float(_np(K, acc.result())),
            "weights": model.get_weights(), "iterations": int(_np(K, optimizer.iterations))}


def callbacks_receive_logs(K):
    """A custom callback sees a logs dict (of floats) at every hook, with the same keys and values."""
    seen = []

    class Recorder(K.callbacks.Callback):
        def _record(self, hook, logs):
            assert isinstance(logs, dict), (hook, logs)
            seen.append((hook, {k: v for k, v in sorted(logs.items()) if isinstance(v, float)}))

        def on_train_begin(self, logs=None):
            self._record("train_begin", logs)

        def on_epoch_begin(self, epoch, logs=None):
            self._record("epoch_begin", logs)

        def on_train_batch_end(self, batch, logs=None):
            self._record("batch_end", logs)

        def on_epoch_end(self, epoch, logs=None):
            self._record("epoch_end", logs)

        def on_test_end(self, logs=None):
            self._record("test_end", logs)

        def on_train_end(self, logs=None):
            self._record("train_end", logs)

    model = K.Sequential([K.Input((4,)), K.layers.Dense(3, activation="softmax")])
    _same_weights(model)
    model.compile(optimizer=K.optimizers.SGD(0.1), loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(4)
    x = rng.standard_normal((10, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 10)]
    lr = K.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    model.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0, validation_data=(x[:4], y[:4]),
              callbacks=[Recorder(), lr])
    return {"seen": seen}


def rnn_text_model(K):
    """Embedding (mask_zero) + LSTM classifier trained on padded integer sequences, and a stateful GRU
    carrying its state across calls until ``reset_states``."""
    model = K.Sequential([K.Input((6,), dtype="int32"), K.layers.Embedding(20, 4, mask_zero=True),
                          K.layers.LSTM(5), K.layers.Dense(1, activation="sigmoid")])
    _same_weights(model)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(5)
    seqs = rng.integers(1, 20, (12, 6)).astype("int32")
    seqs[::3, :2] = 0
    labels = rng.integers(0, 2, (12, 1)).astype("float32")
    history = model.fit(seqs, labels, batch_size=4, epochs=2, shuffle=False, verbose=0)
    stateful = K.layers.GRU(3, stateful=True, return_sequences=True)
    chunk = rng.standard_normal((2, 3, 2)).astype("float32")
    first = stateful(chunk)
    stateful.set_weights([(rng.standard_normal(tuple(w.shape)) * 0.4).astype("float32")
                          for w in stateful.get_weights()])
    stateful.reset_states()
    a = _np(K, stateful(chunk))
    b = _np(K, stateful(chunk))
    stateful.reset_state()
    c = _np(K, stateful(chunk))
    del first
    return {"history": history.history, "pred": model.predict(seqs[:3], verbose=0), "a": a, "b": b, "c": c}


def image_pipeline(K):
    """uint8 images through a preprocessing stack (Rescaling, deterministic at inference: RandomFlip,
    RandomRotation) into a small convnet trained with ``fit``."""
    augment = K.Sequential([K.layers.RandomFlip("horizontal"), K.layers.RandomRotation(0.1)])
    inputs = K.Input((8, 8, 1))
    x = augment(inputs)
    x = K.layers.Rescaling(1.0 / 255)(x)
    x = K.layers.Conv2D(2, 3, activation="relu")(x)
    x = K.layers.GlobalAveragePooling2D()(x)
    outputs = K.layers.Dense(2, activation="softmax")(x)
    model = K.Model(inputs, outputs)
    _same_weights(model)
    model.compile(optimizer=K.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(6)
    images = rng.integers(0, 256, (8, 8, 8, 1)).astype("uint8")
    labels = rng.integers(0, 2, 8)
    # Evaluated and predicted (inference: augmentation off), then trained on the augmentation's
    # inference output so both frameworks see the same pixels.
    before = model.evaluate(images, labels, verbose=0)
    trained = K.Sequential([K.Input((8, 8, 1)), K.layers.Rescaling(1.0 / 255),
                            K.layers.Conv2D(2, 3, activation="relu"), K.layers.GlobalAveragePooling2D(),
                            K.layers.Dense(2, activation="softmax")])
    _same_weights(trained)
    trained.compile(optimizer=K.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    history = trained.fit(images, labels, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return {"before": before, "history": history.history, "pred": model.predict(images[:2], verbose=0)}


PROGRAMS = [functional_multi_output, custom_train_step, custom_training_loop, callbacks_receive_logs,
            rnn_text_model, image_pipeline]


def _compare(e, k, where):
    if isinstance(k, dict):
        assert isinstance(e, dict) and sorted(e) == sorted(k), (where, e, k)
        for key in k:
            _compare(e[key], k[key], f"{where}.{key}")
    elif isinstance(k, (list, tuple)) and not (k and isinstance(k[0], (int, float))):
        assert len(e) == len(k), (where, len(e), len(k))
        for i, (a, b) in enumerate(zip(e, k)):
            _compare(a, b, f"{where}[{i}]")
    elif isinstance(k, str):
        assert e == k, where
    else:
        np.testing.assert_allclose(np.asarray(e, np.float64), np.asarray(k, np.float64), rtol=TOL, atol=TOL,
                                   err_msg=where)


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.__name__ for p in PROGRAMS])
def test_keras_program_runs_the_same_under_ember(program):
    keras.utils.set_random_seed(0)
    expected = program(keras)
    got = program(ek)
    _compare(got, expected, program.__name__)
