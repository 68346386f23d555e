"""Chapter 9, "Convnet architecture patterns": residual blocks written as a function (``residual_block`` with a
strided 1x1 projection or, with ``pooling``, a max-pooled path), batch normalization placed before the
activation with bias-free convolutions, and the "mini Xception" of depthwise-separable convolutions; the
model's layers inspected, the activations of every Conv2D/MaxPooling2D/SeparableConv2D layer pulled out with
a second ``keras.Model(inputs=model.input, outputs=layer_outputs)`` (chapter 10's "visualizing intermediate
activations"), and training for two epochs."""
import numpy as np

from ._common import same_weights


def main(keras):
    layers = keras.layers

    def residual_block(x, filters, pooling=False):
        residual = x
        x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
        x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
        if pooling:
            x = layers.MaxPooling2D(2, padding="same")(x)
            residual = layers.Conv2D(filters, 1, strides=2)(residual)
        elif filters != residual.shape[-1]:
            residual = layers.Conv2D(filters, 1)(residual)
        x = layers.add([x, residual])
        return x

    inputs = keras.Input(shape=(8, 8, 3))
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = residual_block(x, filters=4, pooling=True)
    x = residual_block(x, filters=8, pooling=True)
    x = residual_block(x, filters=8, pooling=False)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    residual_model = keras.Model(inputs=inputs, outputs=outputs)

    inputs = keras.Input(shape=(12, 12, 3))
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(filters=4, kernel_size=3, use_bias=False)(x)
    for size in [4, 8]:
        residual = x
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same", use_bias=False)(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same", use_bias=False)(residual)
        x = layers.add([x, residual])
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.0)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    same_weights(model, scale=0.3)
    same_weights(residual_model, seed=1, scale=0.3)

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (8, 12, 12, 3)).astype("float32")
    labels = (images[:, :6].mean(axis=(1, 2, 3)) > images[:, 6:].mean(axis=(1, 2, 3))).astype("float32")

    layer_outputs, layer_names = [], []
    for layer in model.layers:
        if isinstance(layer, (layers.Conv2D, layers.MaxPooling2D, layers.SeparableConv2D)):
            layer_outputs.append(layer.output)
            layer_names.append(layer.name)
    activation_model = keras.Model(inputs=model.input, outputs=layer_outputs)
    activations = activation_model.predict(images[:2], verbose=0)
    first_layer_activation = activations[0]

    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(1e-2), metrics=["accuracy"])
    history = model.fit(images, labels, epochs=2, batch_size=4, shuffle=False, verbose=0)
    residual_model.compile(loss="binary_crossentropy", optimizer="rmsprop")
    residual_history = residual_model.fit(images[:, :8, :8], labels, epochs=1, batch_size=8, shuffle=False,
                                          verbose=0)
    return {"layer_types": [type(layer).__name__ for layer in model.layers], "params": model.count_params(),
            "non_trainable": int(sum(np.prod(w.shape) for w in model.non_trainable_weights)),
            "residual_params": residual_model.count_params(),
            "residual_shapes": [list(layer.output.shape) for layer in residual_model.layers[1:]],
            "activation_shapes": [list(a.shape) for a in activations],
            "first_layer_activation": first_layer_activation[0, :3, :3, :4],
            "last_activation": activations[-1][:, :2, :2],
            "history": history.history, "predict": model.predict(images[:4], verbose=0),
            "moving_mean": [np.asarray(w) for w in model.non_trainable_weights][:2],
            "residual_history": residual_history.history}
