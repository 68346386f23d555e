"""Chapter 3: a linear classifier on two Gaussian point clouds, first trained by a loop written in
``keras.ops`` (the gradient of the mean squared error worked out by hand, so the loop needs no backend's
autograd) with ``assign_sub`` and then with an optimizer's ``apply``; then the ``SimpleDense`` layer from
scratch (``build`` + ``add_weight``) in a Sequential model compiled with RMSprop and BinaryAccuracy and fit
on a shuffled split."""
import numpy as np

from ._common import same_weights, to_numpy


def main(keras):
    ops = keras.ops

    num_samples_per_class = 100
    rng = np.random.default_rng(0)
    negative_samples = rng.multivariate_normal(mean=[0, 3], cov=[[1, 0.5], [0.5, 1]], size=num_samples_per_class)
    positive_samples = rng.multivariate_normal(mean=[3, 0], cov=[[1, 0.5], [0.5, 1]], size=num_samples_per_class)
    inputs = np.vstack((negative_samples, positive_samples)).astype(np.float32)
    targets = np.vstack((np.zeros((num_samples_per_class, 1), dtype="float32"),
                         np.ones((num_samples_per_class, 1), dtype="float32")))

    input_dim, output_dim = 2, 1
    W = keras.Variable(initializer=rng.uniform(size=(input_dim, output_dim)).astype("float32"), name="W")
    b = keras.Variable(initializer=np.zeros(shape=(output_dim,), dtype="float32"), name="b")

    def model(inputs):
        return ops.matmul(inputs, W) + b

    def mean_squared_error(targets, predictions):
        per_sample_losses = ops.square(targets - predictions)
        return ops.mean(per_sample_losses)

    def gradients(inputs, targets):
        # d(mean((x W + b - y)^2)) / dW = x^T 2 (x W + b - y) / n, and the column sums for b
        residual = 2.0 * (model(inputs) - targets) / ops.cast(ops.shape(inputs)[0], "float32")
        return ops.matmul(ops.transpose(inputs), residual), ops.sum(residual, axis=0)

    learning_rate = 0.1

    def training_step(inputs, targets):
        loss = mean_squared_error(targets, model(inputs))
        grad_loss_wrt_W, grad_loss_wrt_b = gradients(inputs, targets)
        W.assign_sub(grad_loss_wrt_W * learning_rate)
        b.assign_sub(grad_loss_wrt_b * learning_rate)
        return loss

    x, y = ops.convert_to_tensor(inputs), ops.convert_to_tensor(targets)
    losses = [float(to_numpy(keras, training_step(x, y))) for _ in range(20)]

    optimizer = keras.optimizers.Adam(learning_rate=0.05)
    adam_losses = []
    for step in range(10):
        adam_losses.append(float(to_numpy(keras, mean_squared_error(y, model(x)))))
        optimizer.apply(list(gradients(x, y)), [W, b])
    predictions = to_numpy(keras, model(x))

    class SimpleDense(keras.layers.Layer):
        def __init__(self, units, activation=None):
            super().__init__()
            self.units = units
            self.activation = activation

        def build(self, input_shape):
            batch_dim, input_dim = input_shape
            self.W = self.add_weight(shape=(input_dim, self.units), initializer="random_normal")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, inputs):
            y = ops.matmul(inputs, self.W) + self.b
            if self.activation is not None:
                y = self.activation(y)
            return y

    my_dense = SimpleDense(units=32, activation=keras.activations.relu)
    output_tensor = my_dense(ops.ones(shape=(2, 784)))

    dense_model = keras.Sequential([SimpleDense(4, activation=keras.activations.relu), SimpleDense(1)])
    dense_model.build((None, 2))
    same_weights(dense_model)
    dense_model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-2),
                        loss=keras.losses.MeanSquaredError(), metrics=[keras.metrics.BinaryAccuracy()])
    indices_permutation = np.random.default_rng(1).permutation(len(inputs))
    shuffled_inputs, shuffled_targets = inputs[indices_permutation], targets[indices_permutation]
    num_validation_samples = int(0.3 * len(inputs))
    val_inputs, val_targets = shuffled_inputs[:num_validation_samples], shuffled_targets[:num_validation_samples]
    training_inputs = shuffled_inputs[num_validation_samples:]
    training_targets = shuffled_targets[num_validation_samples:]
    history = dense_model.fit(training_inputs, training_targets, epochs=3, batch_size=32, shuffle=False,
                              validation_data=(val_inputs, val_targets), verbose=0)
    loss_and_metrics = dense_model.evaluate(val_inputs, val_targets, batch_size=32, verbose=0)
    return {"losses": np.array(losses), "adam_losses": np.array(adam_losses), "W": to_numpy(keras, W),
            "b": to_numpy(keras, b), "predictions": predictions[::17], "iterations": int(optimizer.iterations),
            "simple_dense_shape": list(output_tensor.shape), "simple_dense_weights": len(my_dense.weights),
            "history": history.history, "evaluate": loss_and_metrics,
            "predict": dense_model.predict(val_inputs[:5], batch_size=32, verbose=0)}
