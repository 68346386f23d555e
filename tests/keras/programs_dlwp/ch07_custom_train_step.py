"""Chapter 7, "Writing your own training and evaluation loops" with the PyTorch backend (``torch`` is PyTorch for
Keras, ``ember`` for ember.keras): a training step written by hand (``zero_grad``, ``loss.backward()``, the
gradients from ``v.value.grad``, ``optimizer.apply`` under ``torch.no_grad()``) with metrics updated and reset
by hand and an evaluation step; then ``fit`` with a ``train_step`` override using ``self.compute_loss`` and the
compiled metrics (``self.metrics``: the loss tracker, then ``compile_metrics``), one more that returns
``self.compute_metrics(...)``; and ``stateless_call`` (trainable and non-trainable values in, outputs and new
non-trainable values out) checked against the stateful call on a model with batch normalization."""
import numpy as np

from ._common import same_weights, to_numpy


def main(keras, torch):
    layers, ops = keras.layers, keras.ops
    rng = np.random.default_rng(0)
    images = rng.random((32, 10)).astype("float32")
    labels = (images[:, :3].sum(axis=1) * 1.3).astype("int64") % 3
    train_images, val_images, train_labels, val_labels = images[8:], images[:8], labels[8:], labels[:8]

    def get_model():
        inputs = keras.Input(shape=(10,))
        features = layers.Dense(8, activation="relu")(inputs)
        outputs = layers.Dense(3, activation="softmax")(features)
        model = keras.Model(inputs, outputs)
        same_weights(model)
        return model

    model = get_model()
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    optimizer = keras.optimizers.Adam(learning_rate=1e-2)
    metrics = [keras.metrics.SparseCategoricalAccuracy()]
    loss_tracking_metric = keras.metrics.Mean()

    def train_step(inputs, targets):
        predictions = model(inputs, training=True)
        loss = loss_fn(targets, predictions)
        model.zero_grad()
        loss.backward()
        trainable_weights = [v for v in model.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            optimizer.apply(gradients, trainable_weights)
        logs = {}
        for metric in metrics:
            metric.update_state(targets, predictions)
            logs[metric.name] = float(to_numpy(keras, metric.result()))
        loss_tracking_metric.update_state(loss)
        logs["loss"] = float(to_numpy(keras, loss_tracking_metric.result()))
        return logs

    def reset_metrics():
        for metric in metrics:
            metric.reset_state()
        loss_tracking_metric.reset_state()

    loop_logs = []
    for epoch in range(2):
        reset_metrics()
        for i in range(0, len(train_images), 8):
            logs = train_step(ops.convert_to_tensor(train_images[i:i + 8]),
                              ops.convert_to_tensor(train_labels[i:i + 8]))
        loop_logs.append(logs)

    def test_step(inputs, targets):
        predictions = model(inputs, training=False)
        loss = loss_fn(targets, predictions)
        logs = {}
        for metric in metrics:
            metric.update_state(targets, predictions)
            logs["val_" + metric.name] = float(to_numpy(keras, metric.result()))
        loss_tracking_metric.update_state(loss)
        logs["val_loss"] = float(to_numpy(keras, loss_tracking_metric.result()))
        return logs

    reset_metrics()
    val_logs = test_step(ops.convert_to_tensor(val_images), ops.convert_to_tensor(val_labels))

    class CustomModel(keras.Model):
        def train_step(self, data):
            inputs, targets = data
            predictions = self(inputs, training=True)
            loss = self.compute_loss(y=targets, y_pred=predictions)
            self.zero_grad()
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(targets, predictions)
            return {m.name: m.result() for m in self.metrics}

    def build(cls):
        inputs = keras.Input(shape=(10,))
        features = layers.Dense(8, activation="relu")(inputs)
        outputs = layers.Dense(3, activation="softmax")(features)
        model = cls(inputs, outputs)
        same_weights(model)
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=keras.losses.SparseCategoricalCrossentropy(),
                      metrics=[keras.metrics.SparseCategoricalAccuracy()])
        return model

    custom = build(CustomModel)
    metric_names = [m.name for m in custom.metrics]
    custom_history = custom.fit(train_images, train_labels, epochs=2, batch_size=8, shuffle=False, verbose=0,
                                validation_data=(val_images, val_labels))

    class ComputeMetricsModel(keras.Model):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
            self.zero_grad()
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            return self.compute_metrics(x, y, y_pred, sample_weight=None)

    computed = build(ComputeMetricsModel)
    computed_history = computed.fit(train_images, train_labels, epochs=2, batch_size=8, shuffle=False, verbose=0)

    inputs = keras.Input(shape=(10,))
    x = layers.Dense(6)(inputs)
    x = layers.BatchNormalization()(x)
    bn_model = keras.Model(inputs, layers.Dense(3)(x))
    same_weights(bn_model, seed=5)
    trainable_variables = [to_numpy(keras, v) for v in bn_model.trainable_variables]
    non_trainable_variables = [to_numpy(keras, v) for v in bn_model.non_trainable_variables]
    trainable_variables[0] = trainable_variables[0] * 2.0
    outputs, new_non_trainable = bn_model.stateless_call(trainable_variables, non_trainable_variables,
                                                         ops.convert_to_tensor(images[:8]), training=True)
    untouched = [to_numpy(keras, v) for v in bn_model.non_trainable_variables]
    inference, _ = bn_model.stateless_call(trainable_variables, non_trainable_variables,
                                           ops.convert_to_tensor(images[:4]))
    return {"loop_logs": loop_logs, "val_logs": val_logs, "metric_names": metric_names,
            "custom": custom_history.history, "computed": computed_history.history,
            "custom_predict": custom.predict(val_images, verbose=0),
            "stateless_outputs": to_numpy(keras, outputs),
            "new_non_trainable": [to_numpy(keras, v) for v in new_non_trainable], "untouched": untouched,
            "inference": to_numpy(keras, inference), "stateful": bn_model.predict(images[:4], verbose=0)}
