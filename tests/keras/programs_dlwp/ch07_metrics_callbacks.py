"""Chapter 7, "Using built-in training and evaluation loops": a custom metric (``RootMeanSquaredError`` as a
``keras.metrics.Metric`` subclass with ``add_weight`` state, ``update_state``/``result``/``reset_state``) beside
accuracy on an MNIST-like model from ``get_mnist_model``; EarlyStopping on ``val_accuracy`` and
ModelCheckpoint(save_best_only) on ``val_loss``, the checkpoint reloaded; a custom ``LossHistory`` callback
recording per-batch losses; and the low-level metric API, first stateful (``update_state``/``result``/
``reset_state``) and then stateless (``stateless_update_state``/``stateless_result`` on ``metric.variables``)."""
import os

import numpy as np

from ._common import same_weights, to_numpy


def main(keras, workdir):
    layers, ops = keras.layers, keras.ops
    rng = np.random.default_rng(0)
    images = rng.random((60, 16)).astype("float32")
    labels = (images[:, :4].sum(axis=1) * 2).astype("int64") % 4
    train_images, val_images = images[20:], images[:20]
    train_labels, val_labels = labels[20:], labels[:20]

    def get_mnist_model():
        inputs = keras.Input(shape=(16,))
        features = layers.Dense(12, activation="relu")(inputs)
        features = layers.Dropout(0.0)(features)
        outputs = layers.Dense(4, activation="softmax")(features)
        model = keras.Model(inputs, outputs)
        same_weights(model)
        return model

    class RootMeanSquaredError(keras.metrics.Metric):
        def __init__(self, name="rmse", **kwargs):
            super().__init__(name=name, **kwargs)
            self.mse_sum = self.add_weight(name="mse_sum", initializer="zeros")
            self.total_samples = self.add_weight(name="total_samples", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_true = ops.one_hot(y_true, num_classes=ops.shape(y_pred)[1])
            mse = ops.sum(ops.square(y_true - y_pred))
            self.mse_sum.assign_add(mse)
            num_samples = ops.shape(y_pred)[0]
            self.total_samples.assign_add(num_samples)

        def result(self):
            return ops.sqrt(self.mse_sum / self.total_samples)

        def reset_state(self):
            self.mse_sum.assign(0.0)
            self.total_samples.assign(0.0)

    model = get_mnist_model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", RootMeanSquaredError()])
    history = model.fit(train_images, train_labels, epochs=2, batch_size=8, shuffle=False, verbose=0,
                        validation_data=(val_images, val_labels))
    test_metrics = model.evaluate(val_images, val_labels, verbose=0)

    class LossHistory(keras.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

        def on_epoch_end(self, epoch, logs):
            self.epochs_seen = epoch + 1

    checkpoint_path = os.path.join(workdir, "checkpoint_path.keras")
    callbacks_list = [
        keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=1),
        keras.callbacks.ModelCheckpoint(filepath=checkpoint_path, monitor="val_loss", save_best_only=True),
        LossHistory(),
    ]
    model = get_mnist_model()
    model.compile(optimizer=keras.optimizers.RMSprop(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    stopped = model.fit(train_images, train_labels, epochs=8, batch_size=8, shuffle=False, verbose=0,
                        callbacks=callbacks_list, validation_data=(val_images, val_labels))
    reloaded = keras.models.load_model(checkpoint_path)
    best = int(np.argmin(stopped.history["val_loss"]))

    metric = keras.metrics.SparseCategoricalAccuracy()
    targets = ops.array([0, 1, 2])
    predictions = ops.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype="float32")
    metric.update_state(targets, predictions)
    current_result = float(to_numpy(keras, metric.result()))
    values = ops.array([0, 1, 2, 3, 4], dtype="float32")
    mean_tracker = keras.metrics.Mean()
    for value in values:
        mean_tracker.update_state(value)
    mean_result = float(to_numpy(keras, mean_tracker.result()))
    metric.reset_state()
    after_reset = float(to_numpy(keras, metric.result()))

    metric = keras.metrics.SparseCategoricalAccuracy()
    metric_variables = metric.variables
    metric_variables = metric.stateless_update_state(metric_variables, targets, predictions)
    stateless = float(to_numpy(keras, metric.stateless_result(metric_variables)))
    metric_variables = metric.stateless_reset_state()
    return {"history": history.history, "test_metrics": test_metrics, "epochs": len(stopped.history["loss"]),
            "stopped": stopped.history, "per_batch_losses": callbacks_list[2].per_batch_losses,
            "epochs_seen": callbacks_list[2].epochs_seen, "best_epoch": best,
            "reloaded": reloaded.evaluate(val_images, val_labels, verbose=0),
            "current_result": current_result, "mean": mean_result, "after_reset": after_reset,
            "stateless": stateless, "metric_still": float(to_numpy(keras, metric.result())),
            "reset_variables": [to_numpy(keras, v) for v in metric_variables]}
