"""Chapter 8, "Training a convnet from scratch on a small dataset": a cats-vs-dogs-like folder tree of PNG files
(train / validation / test, one folder per class) read with ``image_dataset_from_directory``; a batch's shapes;
a small convnet with a Rescaling layer trained on the datasets with ModelCheckpoint(save_best_only) and the best
model reloaded and evaluated on the test set; then the data-augmentation stage (RandomFlip, RandomRotation,
RandomZoom) and the same convnet with augmentation and dropout, compared where the random draws do not matter
(inference, shapes, value ranges, a flip being the image or its mirror image).

The files are written at the target size so that no resizing happens (Keras resizes with TensorFlow's kernel,
ember with Pillow's); the datasets are not shuffled (Keras shuffles batches with tf.data's own stream)."""
import os

import numpy as np

from ._common import same_weights, to_numpy


def make_subset(new_base_dir, subset_name, start_index, end_index, size=16):
    from PIL import Image
    rng = np.random.default_rng(start_index)
    for label, category in enumerate(("cat", "dog")):
        directory = os.path.join(new_base_dir, subset_name, category)
        os.makedirs(directory, exist_ok=True)
        for i in range(start_index, end_index):
            pixels = rng.integers(0, 256, (size, size, 3)).astype("uint8")
            # cats brighter at the top, dogs at the bottom
            half = slice(0, size // 2) if label == 0 else slice(size // 2, size)
            pixels[half] = np.clip(pixels[half].astype(int) + 90, 0, 255).astype("uint8")
            Image.fromarray(pixels).save(os.path.join(directory, f"{category}.{i}.png"))


def main(keras, workdir):
    layers = keras.layers
    image_dataset_from_directory = keras.utils.image_dataset_from_directory
    new_base_dir = os.path.join(workdir, "cats_vs_dogs_small")
    make_subset(new_base_dir, "train", start_index=0, end_index=8)
    make_subset(new_base_dir, "validation", start_index=100, end_index=104)
    make_subset(new_base_dir, "test", start_index=200, end_index=204)
    batch_size = 4
    image_size = (16, 16)
    train_dataset = image_dataset_from_directory(os.path.join(new_base_dir, "train"), image_size=image_size,
                                                 batch_size=batch_size, shuffle=False)
    validation_dataset = image_dataset_from_directory(os.path.join(new_base_dir, "validation"),
                                                      image_size=image_size, batch_size=batch_size, shuffle=False)
    test_dataset = image_dataset_from_directory(os.path.join(new_base_dir, "test"), image_size=image_size,
                                                batch_size=batch_size, shuffle=False)
    for data_batch, labels_batch in train_dataset:
        batch = {"data_shape": list(data_batch.shape), "labels_shape": list(labels_batch.shape),
                 "data_dtype": str(np.asarray(data_batch).dtype), "labels_dtype": str(np.asarray(labels_batch).dtype),
                 "labels": np.asarray(labels_batch), "pixels": np.asarray(data_batch)[:, :2, :2]}
        break

    def convnet(inputs, x, dropout=None):
        x = layers.Rescaling(1.0 / 255)(x)
        x = layers.Conv2D(filters=8, kernel_size=3, activation="relu")(x)
        x = layers.MaxPooling2D(pool_size=2)(x)
        x = layers.Conv2D(filters=16, kernel_size=3, activation="relu")(x)
        x = layers.MaxPooling2D(pool_size=2)(x)
        x = layers.Flatten()(x)
        if dropout is not None:
            x = layers.Dropout(dropout)(x)
        outputs = layers.Dense(1, activation="sigmoid")(x)
        return keras.Model(inputs=inputs, outputs=outputs)

    inputs = keras.Input(shape=(16, 16, 3))
    model = convnet(inputs, inputs)
    same_weights(model, scale=0.2)
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    callbacks = [keras.callbacks.ModelCheckpoint(filepath=os.path.join(workdir, "convnet_from_scratch.keras"),
                                                 save_best_only=True, monitor="val_loss")]
    history = model.fit(train_dataset, epochs=3, validation_data=validation_dataset, callbacks=callbacks, verbose=0)
    test_model = keras.models.load_model(os.path.join(workdir, "convnet_from_scratch.keras"))
    test_loss, test_acc = test_model.evaluate(test_dataset, verbose=0)

    data_augmentation_layers = [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.2)]

    def data_augmentation(images, targets):
        for layer in data_augmentation_layers:
            images = layer(images)
        return images, targets

    augmented_images, _ = data_augmentation(data_batch, labels_batch)
    augmented_images = to_numpy(keras, augmented_images)
    flip = layers.RandomFlip("horizontal")
    flipped = to_numpy(keras, flip(data_batch, training=True))
    images = np.asarray(data_batch)
    flip_ok = all(np.allclose(f, x) or np.allclose(f, x[:, ::-1]) for f, x in zip(flipped, images))

    inputs = keras.Input(shape=(16, 16, 3))
    x = inputs
    augmentation = keras.Sequential(data_augmentation_layers, name="data_augmentation")
    x = augmentation(x)
    augmented = convnet(inputs, x, dropout=0.5)
    same_weights(augmented, scale=0.2)
    augmented.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    before = augmented.predict(test_dataset, verbose=0)
    augmented_history = augmented.fit(train_dataset, epochs=2, validation_data=validation_dataset, verbose=0)
    return {"batch": batch, "history": history.history, "test": [test_loss, test_acc],
            "best_epoch": int(np.argmin(history.history["val_loss"])),
            "predict": test_model.predict(test_dataset, verbose=0),
            "augmented_shape": list(augmented_images.shape),
            # interpolated pixels stay in the images' range (up to float32 round-off)
            "augmented_range": bool(augmented_images.min() >= -0.01 and augmented_images.max() <= 255.01),
            "flip_ok": flip_ok, "augmented_params": augmented.count_params(), "before": before,
            "augmented_keys": sorted(augmented_history.history),
            "augmented_finite": bool(np.isfinite(augmented_history.history["loss"]).all()),
            "inference_identity": bool(np.allclose(to_numpy(keras, augmentation(images, training=False)), images))}
