"""Keras 3 vision and generative programs in the style of keras.io examples, run unchanged under real Keras
(torch backend) and under ``ember.keras`` (each program is a function of the Keras module ``K``, and for the
autograd idioms of the torch backend also of the ``torch`` module: PyTorch for Keras, ``ember`` for ember).

As in ``test_keras_programs``: weights get values from a fixed NumPy generator (batch-norm variances kept
positive), data is fixed and unshuffled, and histories, evaluations and predictions are compared at float32
tolerance. Keras's random streams (``keras.random``, augmentation layers, dropout) are not the same numbers as
ember's. Where a program draws from ``keras.random`` (the GAN's latent vectors, MixUp's gamma draws), ember
runs first and records every draw, and Keras then replays ember's draws in the same order (each one checked
for the same function, shape and arguments), so everything downstream of the draws is compared exactly.
Augmentation layers are checked by what does not depend on the draw (identity in inference, shapes, value
range, a horizontal flip being one of the two images) and dropout rates are 0 in trained models.

All programs but the MNIST convnet compile with ``jit_compile=False``, which is what ``"auto"`` means on Keras's
torch backend: ember's ``"auto"`` traces the training step through ``ember.compile``, which costs seconds for
these graphs (MobileNetV2's step about 8 s, the small ViT's 4 s, under load) and pays off only over many
steps. The MNIST convnet keeps the default; the GAN's own train_step runs eagerly either way.
"""
import contextlib
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402
from ember import keras as ek  # noqa: E402

from .test_keras_programs import _compare  # noqa: E402


def _init(model, seed=0, scale=0.3):
    """Same weights in both frameworks, by weight path: batch-norm variances/scales near 1, the rest normal."""
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        shape, name = tuple(w.shape), w.path.split("/")[-1]
        if name == "moving_variance":
            values.append((0.5 + rng.random(shape)).astype(np.float32))
        elif name == "gamma":
            values.append((1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32))
        else:
            values.append((rng.standard_normal(shape) * scale).astype(np.float32))
    for w, v in zip(model.weights, values):
        w.assign(v)


def _np(K, x):
    return np.asarray(K.ops.convert_to_numpy(x))


def _images(n, h, w, c, seed=0):
    return np.random.default_rng(seed).random((n, h, w, c)).astype("float32")


# ---------------------------------------------------------------------------------------------------- programs

def image_classification_from_scratch(K, tmp):
    """keras.io "Image classification from scratch", small: PNG files in class folders read with load_img /
    img_to_array, a data_augmentation Sequential (RandomFlip, RandomRotation), Rescaling, an Xception-like
    network (SeparableConv2D, BatchNormalization, residual layers.add with strided 1x1 Conv2D projections,
    MaxPooling2D 'same'), GlobalAveragePooling2D, Dropout and a logit; ModelCheckpoint("save_at_{epoch}.keras")
    and the epoch-1 file reloaded. (Keras's image_dataset_from_directory returns a tf.data or grain dataset,
    which needs TensorFlow or grain; ember's is checked against these arrays in its own test below.)"""
    paths, labels = _png_folders(tmp)
    images = np.stack([K.utils.img_to_array(K.utils.load_img(p, target_size=(10, 10))) for p in paths])
    labels = np.array(labels, "float32")
    data_augmentation = K.Sequential([K.layers.RandomFlip("horizontal"), K.layers.RandomRotation(0.1)])
    augmented = _np(K, data_augmentation(images, training=True))
    flipped = _np(K, K.layers.RandomFlip("horizontal")(images, training=True))
    flip_ok = all(np.allclose(f, x) or np.allclose(f, x[:, ::-1]) for f, x in zip(flipped, images))

    def make_model(input_shape):
        inputs = K.Input(shape=input_shape)
        x = K.layers.Rescaling(1.0 / 255)(inputs)
        x = K.layers.Conv2D(8, 3, strides=2, padding="same")(x)
        x = K.layers.BatchNormalization()(x)
        x = K.layers.Activation("relu")(x)
        previous_block_activation = x
        for size in [8, 12]:
            x = K.layers.Activation("relu")(x)
            x = K.layers.SeparableConv2D(size, 3, padding="same")(x)
            x = K.layers.BatchNormalization()(x)
            x = K.layers.Activation("relu")(x)
            x = K.layers.SeparableConv2D(size, 3, padding="same")(x)
            x = K.layers.BatchNormalization()(x)
            x = K.layers.MaxPooling2D(3, strides=2, padding="same")(x)
            residual = K.layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
            x = K.layers.add([x, residual])
            previous_block_activation = x
        x = K.layers.SeparableConv2D(16, 3, padding="same")(x)
        x = K.layers.BatchNormalization()(x)
        x = K.layers.Activation("relu")(x)
        x = K.layers.GlobalAveragePooling2D()(x)
        x = K.layers.Dropout(0.0)(x)
        return K.Model(inputs, K.layers.Dense(1, activation=None)(x))

    model = make_model((10, 10, 3))
    _init(model)
    callbacks = [K.callbacks.ModelCheckpoint(os.path.join(tmp, "save_at_{epoch}.keras"))]
    model.compile(optimizer=K.optimizers.Adam(3e-3), loss=K.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[K.metrics.BinaryAccuracy(name="acc")], jit_compile=False)
    history = model.fit(images, labels, epochs=2, batch_size=4, shuffle=False, callbacks=callbacks, verbose=0)
    reloaded = K.saving.load_model(os.path.join(tmp, "save_at_1.keras"))
    score = K.ops.sigmoid(reloaded.predict(images[:3], verbose=0))
    return {"history": history.history, "files": sorted(f for f in os.listdir(tmp) if f.endswith(".keras")),
            "score": _np(K, score), "final": model.predict(images[:3], verbose=0),
            "augmented": [list(augmented.shape), bool(np.isfinite(augmented).all()), flip_ok],
            "inference_identity": bool(np.allclose(_np(K, data_augmentation(images, training=False)), images)),
            "params": model.count_params()}


def _png_folders(tmp):
    from PIL import Image
    rng = np.random.default_rng(5)
    paths, labels = [], []
    for label, name in enumerate(["cat", "dog"]):
        os.makedirs(os.path.join(tmp, "images", name), exist_ok=True)
        for i in range(4):
            pixels = rng.integers(0, 256, (12, 12, 3)).astype("uint8")
            pixels[..., label] = 200 - 150 * label
            path = os.path.join(tmp, "images", name, f"{i}.png")
            Image.fromarray(pixels).save(path)
            paths.append(path)
            labels.append(label)
    return paths, labels


def mnist_convnet(K):
    """keras.io "Simple MNIST convnet", small: to_categorical labels, Conv2D/MaxPooling2D, Flatten, Dropout,
    softmax; fit with validation_split; evaluate returning [loss, accuracy]."""
    rng = np.random.default_rng(1)
    x_train = rng.random((24, 8, 8, 1)).astype("float32")
    y_train = K.utils.to_categorical(rng.integers(0, 4, 24), 4)
    model = K.Sequential([K.Input(shape=(8, 8, 1)), K.layers.Conv2D(4, kernel_size=(3, 3), activation="relu"),
                          K.layers.MaxPooling2D(pool_size=(2, 2)), K.layers.Conv2D(6, kernel_size=(2, 2),
                                                                                   activation="relu"),
                          K.layers.MaxPooling2D(pool_size=(2, 2)), K.layers.Flatten(), K.layers.Dropout(0.0),
                          K.layers.Dense(4, activation="softmax")])
    _init(model)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=6, epochs=3, validation_split=0.25, shuffle=False, verbose=0)
    score = model.evaluate(x_train, y_train, verbose=0)
    return {"history": history.history, "score": score, "score_is_list": isinstance(score, list),
            "shape": list(model.output_shape)}


def unet_segmentation(K):
    """keras.io "Image segmentation with a U-Net-like architecture", small: strided entry Conv2D, downsampling
    blocks of SeparableConv2D + MaxPooling2D with projected residuals, upsampling blocks of Conv2DTranspose +
    UpSampling2D with upsampled residuals, a per-pixel softmax and sparse_categorical_crossentropy over
    (N, H, W, 1) integer masks, rmsprop. (Keras 3.15 with PyTorch 2.13 cannot take the gradient of
    sparse_categorical_crossentropy over (N, H, W) targets: torch's nll_loss_nd backward raises "grad_input
    must be contiguous"; so the loss flattens the pixels first, as Keras's torch backend itself does for 2-D
    targets. ember's own per-pixel form is checked against Keras's value below.)"""
    num_classes = 3
    inputs = K.Input(shape=(8, 8, 3))
    x = K.layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    x = K.layers.BatchNormalization()(x)
    x = K.layers.Activation("relu")(x)
    previous_block_activation = x
    for filters in [8]:
        x = K.layers.Activation("relu")(x)
        x = K.layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = K.layers.BatchNormalization()(x)
        x = K.layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = K.layers.Conv2D(filters, 1, strides=2, padding="same")(previous_block_activation)
        x = K.layers.add([x, residual])
        previous_block_activation = x
    for filters in [8, 4]:
        x = K.layers.Activation("relu")(x)
        x = K.layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = K.layers.BatchNormalization()(x)
        x = K.layers.UpSampling2D(2)(x)
        residual = K.layers.UpSampling2D(2)(previous_block_activation)
        residual = K.layers.Conv2D(filters, 1, padding="same")(residual)
        x = K.layers.add([x, residual])
        previous_block_activation = x
    outputs = K.layers.Conv2D(num_classes, 3, activation="softmax", padding="same")(x)
    model = K.Model(inputs, outputs)
    _init(model, scale=0.2)
    rng = np.random.default_rng(2)
    images = rng.random((8, 8, 8, 3)).astype("float32")
    masks = rng.integers(0, num_classes, (8, 8, 8, 1))
    def per_pixel_loss(y_true, y_pred):
        return K.losses.sparse_categorical_crossentropy(K.ops.reshape(y_true, (-1,)),
                                                        K.ops.reshape(y_pred, (-1, num_classes)))
    model.compile(optimizer=K.optimizers.RMSprop(1e-3), loss=per_pixel_loss,
                  metrics=[K.metrics.SparseCategoricalAccuracy(name="acc")], jit_compile=False)
    history = model.fit(images, masks, batch_size=4, epochs=2, shuffle=False, verbose=0,
                        validation_data=(images[:4], masks[:4]))
    predicted = model.predict(images[:2], verbose=0)
    return {"history": history.history, "mask": np.argmax(predicted, axis=-1), "probs": predicted[:, :2, :2]}


def denoising_autoencoder(K):
    """keras.io "Convolutional autoencoder for image denoising", small: noisy inputs made with NumPy, Conv2D +
    MaxPooling2D encoder, strided Conv2DTranspose decoder, sigmoid Conv2D, binary_crossentropy, trained on
    (noisy, clean) with validation data, and predictions."""
    rng = np.random.default_rng(3)
    clean = (rng.random((16, 8, 8, 1)) > 0.5).astype("float32")
    noisy = np.clip(clean + 0.4 * rng.standard_normal(clean.shape), 0.0, 1.0).astype("float32")
    inputs = K.layers.Input(shape=(8, 8, 1))
    x = K.layers.Conv2D(4, (3, 3), activation="relu", padding="same")(inputs)
    x = K.layers.MaxPooling2D((2, 2), padding="same")(x)
    x = K.layers.Conv2D(4, (3, 3), activation="relu", padding="same")(x)
    x = K.layers.MaxPooling2D((2, 2), padding="same")(x)
    x = K.layers.Conv2DTranspose(4, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = K.layers.Conv2DTranspose(4, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = K.layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    autoencoder = K.Model(inputs, x)
    _init(autoencoder)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy", jit_compile=False)
    history = autoencoder.fit(noisy, clean, epochs=3, batch_size=8, shuffle=False, verbose=0,
                              validation_data=(noisy[:8], clean[:8]))
    return {"history": history.history, "denoised": autoencoder.predict(noisy[:2], verbose=0)}


def conditional_gan(K):
    """keras.io "DCGAN" / "Conditional GAN", small: a subclassed GAN with compile(d_optimizer=, g_optimizer=,
    loss_fn=), a torch-backend train_step (self.zero_grad(), loss.backward(), optimizer.apply(grads, weights))
    that draws latent vectors with keras.random.normal from a SeedGenerator, one-hot labels concatenated
    to the latent vectors, label noise with keras.random.uniform, and Mean
    metric trackers; the data are images with their one-hot labels as extra channels (call() runs the
    discriminator on them, which Keras 3 needs to build the model in fit). Keras replays ember's draws (see
    the module docstring)."""
    latent_dim, num_classes = 3, 2
    rng = np.random.default_rng(4)
    images = rng.random((8, 4, 4, 1)).astype("float32")
    one_hot = K.utils.to_categorical(rng.integers(0, num_classes, 8), num_classes)
    discriminator = K.Sequential([K.layers.InputLayer((4, 4, 1 + num_classes)),
                                  K.layers.Conv2D(4, (3, 3), strides=(2, 2), padding="same"),
                                  K.layers.LeakyReLU(negative_slope=0.2), K.layers.GlobalMaxPooling2D(),
                                  K.layers.Dense(1)], name="discriminator")
    generator = K.Sequential([K.layers.InputLayer((latent_dim + num_classes,)), K.layers.Dense(2 * 2 * 4),
                              K.layers.LeakyReLU(negative_slope=0.2), K.layers.Reshape((2, 2, 4)),
                              K.layers.Conv2DTranspose(4, (3, 3), strides=(2, 2), padding="same"),
                              K.layers.LeakyReLU(negative_slope=0.2),
                              K.layers.Conv2D(1, (2, 2), padding="same", activation="sigmoid")], name="generator")
    _init(discriminator, 1)
    _init(generator, 2)

    class ConditionalGAN(K.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator, self.generator, self.latent_dim = discriminator, generator, latent_dim
            self.seed_generator = K.random.SeedGenerator(1337)
            self.gen_loss_tracker = K.metrics.Mean(name="generator_loss")
            self.disc_loss_tracker = K.metrics.Mean(name="discriminator_loss")

        @property
        def metrics(self):
            return [self.gen_loss_tracker, self.disc_loss_tracker]

        def call(self, image_and_labels):
            return self.discriminator(image_and_labels)

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

        def train_step(self, data):
            real_image_and_labels, one_hot_labels = data
            image_one_hot_labels = real_image_and_labels[..., 1:]
            batch_size = K.ops.shape(real_image_and_labels)[0]
            random_latent_vectors = K.random.normal(shape=(batch_size, self.latent_dim), seed=self.seed_generator)
            random_vector_labels = K.ops.concatenate([random_latent_vectors, one_hot_labels], axis=1)
            generated_images = self.generator(random_vector_labels)
            fake_image_and_labels = K.ops.concatenate([generated_images, image_one_hot_labels], -1)
            combined_images = K.ops.concatenate([fake_image_and_labels, real_image_and_labels], axis=0)
            labels = K.ops.concatenate([K.ops.ones((batch_size, 1)), K.ops.zeros((batch_size, 1))], axis=0)
            labels = labels + 0.05 * K.random.uniform(K.ops.shape(labels), seed=self.seed_generator)

            self.zero_grad()
            predictions = self.discriminator(K.ops.stop_gradient(combined_images))
            d_loss = self.loss_fn(labels, predictions)
            d_loss.backward()
            grads = [v.value.grad for v in self.discriminator.trainable_weights]
            self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

            random_latent_vectors = K.random.normal(shape=(batch_size, self.latent_dim), seed=self.seed_generator)
            random_vector_labels = K.ops.concatenate([random_latent_vectors, one_hot_labels], axis=1)
            misleading_labels = K.ops.zeros((batch_size, 1))
            self.zero_grad()
            fake_images = self.generator(random_vector_labels)
            fake_image_and_labels = K.ops.concatenate([fake_images, image_one_hot_labels], -1)
            g_loss = self.loss_fn(misleading_labels, self.discriminator(fake_image_and_labels))
            g_loss.backward()
            grads = [v.value.grad for v in self.generator.trainable_weights]
            self.g_optimizer.apply(grads, self.generator.trainable_weights)
            self.gen_loss_tracker.update_state(g_loss)
            self.disc_loss_tracker.update_state(d_loss)
            return {"g_loss": self.gen_loss_tracker.result(), "d_loss": self.disc_loss_tracker.result()}

    cond_gan = ConditionalGAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
    cond_gan.compile(d_optimizer=K.optimizers.Adam(learning_rate=0.01),
                     g_optimizer=K.optimizers.Adam(learning_rate=0.01),
                     loss_fn=K.losses.BinaryCrossentropy(from_logits=True))
    image_one_hot_labels = np.broadcast_to(one_hot[:, None, None, :], (8, 4, 4, num_classes))
    image_and_labels = np.concatenate([images, image_one_hot_labels], axis=-1)
    history = cond_gan.fit(image_and_labels, one_hot, batch_size=4, epochs=2, shuffle=False, verbose=0)
    probe = np.concatenate([np.linspace(-1, 1, 6).reshape(2, 3), np.eye(2)], axis=1).astype("float32")
    return {"history": history.history, "generated": generator.predict(probe, verbose=0),
            "weights": [w for w in discriminator.get_weights()]}


def next_frame_convlstm(K):
    """keras.io "Next-frame video prediction with Convolutional LSTMs", small: ConvLSTM2D layers with
    return_sequences=True and BatchNormalization, a Conv3D sigmoid head, frames shifted by one as targets,
    binary_crossentropy, then a next frame predicted from a sequence."""
    rng = np.random.default_rng(6)
    dataset = (rng.random((6, 4, 6, 6, 1)) > 0.6).astype("float32")
    x, y = dataset[:, :-1], dataset[:, 1:]
    inp = K.layers.Input(shape=(None, 6, 6, 1))
    h = K.layers.ConvLSTM2D(filters=4, kernel_size=(3, 3), padding="same", return_sequences=True,
                            activation="relu")(inp)
    h = K.layers.BatchNormalization()(h)
    h = K.layers.ConvLSTM2D(filters=4, kernel_size=(1, 1), padding="same", return_sequences=True,
                            activation="relu")(h)
    h = K.layers.Conv3D(filters=1, kernel_size=(3, 3, 3), activation="sigmoid", padding="same")(h)
    model = K.models.Model(inp, h)
    _init(model, scale=0.2)
    model.compile(loss=K.losses.binary_crossentropy, optimizer=K.optimizers.Adam(), jit_compile=False)
    history = model.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0, validation_data=(x[:3], y[:3]))
    frames = dataset[:1, :2]
    new_prediction = model.predict(frames, verbose=0)
    return {"history": history.history, "next_frame": np.squeeze(new_prediction, axis=0)[-1]}


def transfer_learning(K):
    """keras.io "Transfer learning & fine-tuning": keras.applications.MobileNetV2(weights=None,
    include_top=False) as a frozen base called with training=False (its BatchNormalization in inference: moving
    statistics unchanged), a new head trained, then base_model.trainable = True with its BatchNormalization
    layers set trainable = False again (the guide's advice: in Keras 3 fit's training=True replaces the
    training=False of the call, see test_keras_functional_context), recompiled with a low learning rate and
    fine-tuned; the moving statistics stay unchanged throughout."""
    base_model = K.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=0.35, include_top=False)
    _init(base_model, scale=0.15)
    base_model.trainable = False
    inputs = K.Input(shape=(32, 32, 3))
    x = K.layers.Rescaling(scale=1 / 127.5, offset=-1)(inputs)
    x = base_model(x, training=False)
    x = K.layers.GlobalAveragePooling2D()(x)
    x = K.layers.Dropout(0.0)(x)
    outputs = K.layers.Dense(1)(x)
    model = K.Model(inputs, outputs)
    _init(model.layers[-1], 3)
    rng = np.random.default_rng(7)
    images = rng.uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    labels = np.array([0, 1, 1, 0], "float32")
    counts = [len(model.trainable_weights), len(model.non_trainable_weights)]
    moving = base_model.get_layer("bn_Conv1").moving_mean.numpy().copy()
    model.compile(optimizer=K.optimizers.Adam(0.01), loss=K.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[K.metrics.BinaryAccuracy()], jit_compile=False)
    head = model.fit(images, labels, epochs=2, batch_size=4, shuffle=False, verbose=0)
    base_model.trainable = True
    for layer in base_model.layers:
        if isinstance(layer, K.layers.BatchNormalization):
            layer.trainable = False
    counts += [len(model.trainable_weights), len(model.non_trainable_weights)]
    model.compile(optimizer=K.optimizers.Adam(1e-5), loss=K.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[K.metrics.BinaryAccuracy()], jit_compile=False)
    fine = model.fit(images, labels, epochs=1, batch_size=4, shuffle=False, verbose=0)
    moved = base_model.get_layer("bn_Conv1").moving_mean.numpy()
    return {"head": head.history, "fine": fine.history, "counts": counts,
            "moving_unchanged": bool(np.array_equal(moving, moved)),
            "predicted": model.predict(images, verbose=0)}


def vision_transformer(K):
    """keras.io "Image classification with Vision Transformer", small: a Patches layer over
    keras.ops.image.extract_patches, a PatchEncoder (Dense projection plus an Embedding of positions from
    ops.arange), transformer blocks of LayerNormalization(epsilon=1e-6), MultiHeadAttention, layers.Add and a
    gelu MLP, AdamW with weight_decay, SparseCategoricalCrossentropy(from_logits=True) and top-5 accuracy."""
    image_size, patch_size, num_classes, projection_dim = 8, 4, 6, 8
    num_patches = (image_size // patch_size) ** 2

    class Patches(K.layers.Layer):
        def __init__(self, patch_size):
            super().__init__()
            self.patch_size = patch_size

        def call(self, images):
            input_shape = K.ops.shape(images)
            batch_size, channels = input_shape[0], input_shape[-1]
            num_patches_h, num_patches_w = input_shape[1] // self.patch_size, input_shape[2] // self.patch_size
            patches = K.ops.image.extract_patches(images, size=self.patch_size)
            return K.ops.reshape(patches, (batch_size, num_patches_h * num_patches_w,
                                           self.patch_size * self.patch_size * channels))

    class PatchEncoder(K.layers.Layer):
        def __init__(self, num_patches, projection_dim):
            super().__init__()
            self.num_patches = num_patches
            self.projection = K.layers.Dense(units=projection_dim)
            self.position_embedding = K.layers.Embedding(input_dim=num_patches, output_dim=projection_dim)

        def call(self, patch):
            positions = K.ops.expand_dims(K.ops.arange(start=0, stop=self.num_patches, step=1), axis=0)
            return self.projection(patch) + self.position_embedding(positions)

    def mlp(x, hidden_units, dropout_rate):
        for units in hidden_units:
            x = K.layers.Dense(units, activation=K.activations.gelu)(x)
            x = K.layers.Dropout(dropout_rate)(x)
        return x

    inputs = K.Input(shape=(image_size, image_size, 3))
    patches = Patches(patch_size)(inputs)
    encoded_patches = PatchEncoder(num_patches, projection_dim)(patches)
    for _ in range(1):
        x1 = K.layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
        attention_output = K.layers.MultiHeadAttention(num_heads=2, key_dim=projection_dim, dropout=0.0)(x1, x1)
        x2 = K.layers.Add()([attention_output, encoded_patches])
        x3 = K.layers.LayerNormalization(epsilon=1e-6)(x2)
        x3 = mlp(x3, hidden_units=[projection_dim * 2, projection_dim], dropout_rate=0.0)
        encoded_patches = K.layers.Add()([x3, x2])
    representation = K.layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
    representation = K.layers.Flatten()(representation)
    features = mlp(representation, hidden_units=[16], dropout_rate=0.0)
    model = K.Model(inputs=inputs, outputs=K.layers.Dense(num_classes)(features))
    _init(model, scale=0.2)
    rng = np.random.default_rng(8)
    x_train = rng.random((12, image_size, image_size, 3)).astype("float32")
    y_train = rng.integers(0, num_classes, (12, 1))
    optimizer = K.optimizers.AdamW(learning_rate=0.003, weight_decay=0.01)
    model.compile(optimizer=optimizer, loss=K.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[K.metrics.SparseCategoricalAccuracy(name="accuracy"),
                           K.metrics.SparseTopKCategoricalAccuracy(5, name="top-5-accuracy")], jit_compile=False)
    history = model.fit(x_train, y_train, batch_size=4, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
    _, accuracy, top_5_accuracy = model.evaluate(x_train, y_train, verbose=0)
    patches_out = _np(K, Patches(patch_size)(x_train[:1]))
    return {"history": history.history, "accuracy": accuracy, "top5": top_5_accuracy, "patches": patches_out,
            "logits": model.predict(x_train[:2], verbose=0)}


def mixup_classifier(K):
    """keras.io "MixUp augmentation for image classification": sample_beta_distribution from two
    keras.random.gamma draws, images and one-hot labels mixed with ops.reshape/ops.cast, then a small convnet
    trained on the mixed batch. Keras replays ember's gamma draws (see the module docstring)."""
    rng = np.random.default_rng(9)
    x = rng.random((16, 6, 6, 1)).astype("float32")
    y = K.utils.to_categorical(rng.integers(0, 3, 16), 3)

    def sample_beta_distribution(size, concentration_0=0.2, concentration_1=0.2):
        gamma_1_sample = K.random.gamma(shape=[size], alpha=concentration_1)
        gamma_2_sample = K.random.gamma(shape=[size], alpha=concentration_0)
        return gamma_1_sample / (gamma_1_sample + gamma_2_sample)

    def mix_up(ds_one, ds_two, alpha=0.2):
        images_one, labels_one = map(K.ops.convert_to_tensor, ds_one)
        images_two, labels_two = map(K.ops.convert_to_tensor, ds_two)
        batch_size = K.ops.shape(images_one)[0]
        l = sample_beta_distribution(batch_size, alpha, alpha)  # noqa: E741
        x_l = K.ops.reshape(l, (batch_size, 1, 1, 1))
        y_l = K.ops.reshape(l, (batch_size, 1))
        images = images_one * x_l + images_two * (1 - x_l)
        labels = labels_one * y_l + labels_two * (1 - y_l)
        return images, labels

    mixed_x, mixed_y = [], []
    for start in range(0, 16, 8):
        a = (x[start:start + 8], y[start:start + 8])
        b = (x[start:start + 8][::-1].copy(), y[start:start + 8][::-1].copy())
        mx, my = mix_up(a, b)
        mixed_x.append(_np(K, mx))
        mixed_y.append(_np(K, my))
    mixed_x, mixed_y = np.concatenate(mixed_x), np.concatenate(mixed_y)
    model = K.Sequential([K.layers.Input(shape=(6, 6, 1)), K.layers.Conv2D(4, (3, 3), activation="relu"),
                          K.layers.MaxPooling2D(2), K.layers.Flatten(), K.layers.Dense(3, activation="softmax")])
    _init(model)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"], jit_compile=False)
    history = model.fit(mixed_x, mixed_y, validation_data=(x, y), epochs=2, batch_size=8, shuffle=False, verbose=0)
    return {"history": history.history, "mixed_labels_sum": mixed_y.sum(axis=1), "mixed": mixed_x[:2, :2, :2, 0],
            "label_range": [float(mixed_y.min()), float(mixed_y.max())]}


def supervised_contrastive(K):
    """keras.io "Supervised contrastive learning", small: an encoder, a SupervisedContrastiveLoss (a Loss
    subclass: ops.normalize, a temperature-scaled similarity matrix, soft targets from label equality), a
    projection head trained with it, then a frozen encoder with a classifier head."""
    class SupervisedContrastiveLoss(K.losses.Loss):
        def __init__(self, temperature=1, name=None):
            super().__init__(name=name)
            self.temperature = temperature

        def __call__(self, labels, feature_vectors, sample_weight=None):
            feature_vectors_normalized = K.ops.normalize(feature_vectors, axis=1, order=2)
            logits = K.ops.divide(K.ops.matmul(feature_vectors_normalized,
                                               K.ops.transpose(feature_vectors_normalized)), self.temperature)
            labels = K.ops.reshape(labels, (-1, 1))
            targets = K.ops.cast(K.ops.equal(labels, K.ops.transpose(labels)), "float32")
            targets = targets / K.ops.sum(targets, axis=1, keepdims=True)
            return K.ops.mean(K.losses.categorical_crossentropy(targets, logits, from_logits=True))

    rng = np.random.default_rng(10)
    x = rng.random((12, 6, 6, 3)).astype("float32")
    y = rng.integers(0, 3, (12, 1))
    encoder_inputs = K.Input(shape=(6, 6, 3))
    h = K.layers.Conv2D(4, 3, activation="relu")(encoder_inputs)
    h = K.layers.GlobalAveragePooling2D()(h)
    encoder = K.Model(encoder_inputs, h, name="cifar10-encoder")
    _init(encoder, 1)
    inputs = K.Input(shape=(6, 6, 3))
    features = encoder(inputs)
    outputs = K.layers.Dense(4, activation="relu")(features)
    encoder_with_projection_head = K.Model(inputs=inputs, outputs=outputs, name="encoder_with_projection-head")
    _init(encoder_with_projection_head.layers[-1], 2)
    encoder_with_projection_head.compile(optimizer=K.optimizers.Adam(0.01),
                                         loss=SupervisedContrastiveLoss(temperature=0.05), jit_compile=False)
    pretrain = encoder_with_projection_head.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    for layer in encoder.layers:
        layer.trainable = False
    inputs = K.Input(shape=(6, 6, 3))
    features = encoder(inputs)
    features = K.layers.Dropout(0.0)(features)
    features = K.layers.Dense(8, activation="relu")(features)
    classifier = K.Model(inputs=inputs, outputs=K.layers.Dense(3, activation="softmax")(features))
    for layer in classifier.layers[-2:]:
        _init(layer, 3)
    classifier.compile(optimizer=K.optimizers.Adam(0.01), loss=K.losses.SparseCategoricalCrossentropy(),
                       metrics=[K.metrics.SparseCategoricalAccuracy()], jit_compile=False)
    history = classifier.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    return {"pretrain": pretrain.history, "history": history.history,
            "trainable": len(classifier.trainable_weights), "embedding": encoder.predict(x[:2], verbose=0)}


def grad_cam(K, torch_module):
    """keras.io "Grad-CAM class activation visualization" with the torch backend's autograd: a functional
    sub-model from model.inputs to [model.get_layer(last_conv).output, model.output], the gradient of the top
    class score with respect to the conv layer's output (torch.autograd.grad), channel weights by averaging,
    ReLU and normalization of the heatmap."""
    inputs = K.Input(shape=(8, 8, 3))
    x = K.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = K.layers.Conv2D(6, 3, padding="same", activation="relu", name="last_conv")(x)
    x = K.layers.GlobalAveragePooling2D()(x)
    model = K.Model(inputs, K.layers.Dense(5, name="predictions")(x))
    _init(model)
    img_array = _images(1, 8, 8, 3, seed=11)
    grad_model = K.models.Model(model.inputs, [model.get_layer("last_conv").output, model.output])
    last_conv_layer_output, preds = grad_model(img_array)
    pred_index = int(K.ops.argmax(preds[0]))
    class_channel = preds[:, pred_index]
    grads, = torch_module.autograd.grad(K.ops.sum(class_channel), last_conv_layer_output)
    pooled_grads = K.ops.mean(grads, axis=(0, 1, 2))
    heatmap = last_conv_layer_output[0] @ pooled_grads[..., None]
    heatmap = K.ops.squeeze(heatmap)
    heatmap = K.ops.maximum(heatmap, 0) / K.ops.max(heatmap)
    return {"pred_index": pred_index, "heatmap": _np(K, K.ops.stop_gradient(heatmap)),
            "grads_shape": list(grads.shape), "pooled": _np(K, K.ops.stop_gradient(pooled_grads))}


def affine_augmentation(K):
    """Deterministic geometric augmentation with keras.ops.image: affine_transform with a rotation plus shift
    and a shear plus zoom matrix, in every interpolation and fill mode. (The projective terms c0, c1 stay 0:
    for them Keras's torch, JAX and NumPy backends add c0 * channel to the sampled row instead of dividing by
    k = c0 x + c1 y + 1 as documented and as its TensorFlow backend does; ember divides.)"""
    images = _images(2, 6, 7, 2, seed=12) * 255
    angle = 0.3
    cos, sin = np.cos(angle), np.sin(angle)
    transform = np.array([[cos, -sin, 1.0, sin, cos, -0.5, 0.0, 0.0],
                          [1.1, 0.2, 0.0, 0.1, 0.9, 0.5, 0.0, 0.0]], "float32")
    out = {}
    for interpolation in ["nearest", "bilinear"]:
        for fill_mode in ["constant", "nearest", "wrap", "reflect"]:
            out[f"{interpolation}-{fill_mode}"] = _np(K, K.ops.image.affine_transform(
                images, transform, interpolation=interpolation, fill_mode=fill_mode, fill_value=7.0))
    return out


def cutmix_classifier(K):
    """keras.io "CutMix data augmentation for image classification": lambda from keras.random.beta, a box
    centred at keras.random.uniform draws, the patch pasted with ops.image.crop_images/pad_images and ops
    arithmetic, labels mixed by the patch's area, then a small classifier trained on the mixed batch. Keras
    replays ember's draws (see the module docstring)."""
    rng = np.random.default_rng(14)
    size = 8
    x = rng.random((6, size, size, 3)).astype("float32")
    y = K.utils.to_categorical(rng.integers(0, 3, 6), 3)
    seed = K.random.SeedGenerator(42)

    def get_box(lambda_value):
        cut_rat = K.ops.sqrt(1.0 - lambda_value)
        cut_w = K.ops.cast(size * cut_rat, "int32")
        cut_h = K.ops.cast(size * cut_rat, "int32")
        cut_x = K.ops.cast(K.random.uniform((1,), minval=0, maxval=size, seed=seed)[0], "int32")
        cut_y = K.ops.cast(K.random.uniform((1,), minval=0, maxval=size, seed=seed)[0], "int32")
        boundaryx1 = K.ops.clip(cut_x - cut_w // 2, 0, size)
        boundaryy1 = K.ops.clip(cut_y - cut_h // 2, 0, size)
        bbx2 = K.ops.clip(cut_x + cut_w // 2, 0, size)
        bby2 = K.ops.clip(cut_y + cut_h // 2, 0, size)
        target_h = bby2 - boundaryy1
        target_w = bbx2 - boundaryx1
        target_h = K.ops.where(target_h == 0, 1, target_h)
        target_w = K.ops.where(target_w == 0, 1, target_w)
        return int(boundaryx1), int(boundaryy1), int(target_h), int(target_w)

    def cutmix(train_ds_one, train_ds_two):
        (image1, label1), (image2, label2) = train_ds_one, train_ds_two
        image1, image2 = K.ops.convert_to_tensor(image1), K.ops.convert_to_tensor(image2)
        lambda_value = K.random.beta((1,), 0.25, 0.25, seed=seed)[0]
        boundaryx1, boundaryy1, target_h, target_w = get_box(lambda_value)
        window = dict(top_cropping=boundaryy1, left_cropping=boundaryx1, target_height=target_h,
                      target_width=target_w)
        placed = dict(top_padding=boundaryy1, left_padding=boundaryx1, target_height=size, target_width=size)
        crop2 = K.ops.image.crop_images(image2, **window)
        image2 = K.ops.image.pad_images(crop2, **placed)
        crop1 = K.ops.image.crop_images(image1, **window)
        img1 = K.ops.image.pad_images(crop1, **placed)
        image1 = image1 - img1
        image = image1 + image2
        lambda_value = 1 - (target_w * target_h) / (size * size)
        label = lambda_value * label1 + (1 - lambda_value) * label2
        return image, label

    mixed = [cutmix((x[i], y[i]), (x[-1 - i], y[-1 - i])) for i in range(6)]
    mixed_x = np.stack([_np(K, m[0]) for m in mixed])
    mixed_y = np.stack([_np(K, m[1]) for m in mixed]).astype("float32")
    model = K.Sequential([K.layers.Input(shape=(size, size, 3)), K.layers.Conv2D(4, 3, activation="relu"),
                          K.layers.GlobalAveragePooling2D(), K.layers.Dense(3, activation="softmax")])
    _init(model)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"], jit_compile=False)
    history = model.fit(mixed_x, mixed_y, epochs=2, batch_size=3, shuffle=False, verbose=0)
    return {"history": history.history, "mixed_x": mixed_x, "mixed_y": mixed_y}


# ------------------------------------------------------------------------------------------------------- tests

@contextlib.contextmanager
def _record_draws(module, names, log):
    """Wrap ``module``'s random functions so that each call's (name, shape, arguments, result) is logged."""
    originals = {n: getattr(module.random, n) for n in names}

    def wrap(name):
        def draw(*args, **kwargs):
            result = originals[name](*args, **kwargs)
            log.append((name, _shape_arg(args, kwargs), _args_of(args, kwargs), np.asarray(result.numpy())))
            return result
        return draw
    for n in names:
        setattr(module.random, n, wrap(n))
    try:
        yield
    finally:
        for n, f in originals.items():
            setattr(module.random, n, f)


@contextlib.contextmanager
def _replay_draws(module, names, log):
    """Make ``module``'s random functions return the logged draws in order, checking name, shape and args."""
    originals = {n: getattr(module.random, n) for n in names}
    queue = list(log)

    def wrap(name):
        def draw(*args, **kwargs):
            assert queue, f"Keras drew more than ember ({name})"
            want_name, want_shape, want_args, value = queue.pop(0)
            assert (name, _shape_arg(args, kwargs), _args_of(args, kwargs)) == (want_name, want_shape, want_args)
            originals[name](*args, **kwargs)  # advance Keras's seed generator as it would
            return torch.as_tensor(value)
        return draw
    for n in names:
        setattr(module.random, n, wrap(n))
    try:
        yield queue
    finally:
        for n, f in originals.items():
            setattr(module.random, n, f)


def _shape_arg(args, kwargs):
    shape = kwargs.get("shape", args[0] if args else None)
    return tuple(int(s) for s in shape)


def _args_of(args, kwargs):
    return tuple(sorted((k, v) for k, v in kwargs.items() if k not in ("shape", "seed") and
                        isinstance(v, (int, float, str))))


EXACT = [mnist_convnet, unet_segmentation, denoising_autoencoder, next_frame_convlstm, vision_transformer,
         supervised_contrastive, affine_augmentation]
REPLAYED = [(conditional_gan, ["normal", "uniform"]), (mixup_classifier, ["gamma"]),
            (cutmix_classifier, ["beta", "uniform"])]


@pytest.mark.parametrize("program", EXACT, ids=[p.__name__ for p in EXACT])
def test_vision_program_runs_the_same_under_ember(program):
    expected = program(keras)
    got = program(ek)
    _compare(got, expected, program.__name__)


@pytest.mark.parametrize("program,names", REPLAYED, ids=[p.__name__ for p, _ in REPLAYED])
def test_program_with_random_draws_runs_the_same_when_keras_replays_embers_draws(program, names):
    log = []
    with _record_draws(ek, names, log):
        got = program(ek)
    assert log
    with _replay_draws(keras, names, log) as left:
        expected = program(keras)
    assert not left, "ember drew more than Keras"
    _compare(got, expected, program.__name__)


def test_image_classification_from_scratch_runs_the_same_under_ember(tmp_path):
    expected = image_classification_from_scratch(keras, str(tmp_path / "keras"))
    got = image_classification_from_scratch(ek, str(tmp_path / "ember"))
    # Two epochs of batch-4 BatchNormalization amplify float32 round-off, which depends on the BLAS kernels
    # of the CPU (torch's oneDNN/MKL beside NumPy's OpenBLAS): the predictions after training agree to 1e-4
    # relative on an Intel Xeon, 1e-5 on an AMD EPYC; everything before them to 2e-5.
    final, want = got.pop("final"), expected.pop("final")
    np.testing.assert_allclose(final, want, rtol=5e-4, atol=1e-5)
    _compare(got, expected, "image_classification_from_scratch")


@contextlib.contextmanager
def _quick_keras_truncated_normal():
    # Keras's torch truncated_normal takes most of MobileNetV2's build time; _init replaces the values anyway.
    import keras.src.backend.torch.random as keras_random
    original = keras_random.truncated_normal

    def clipped_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        from keras.src.backend.torch.core import to_torch_dtype
        return (torch.randn(tuple(shape)).clamp_(-2.0, 2.0) * stddev + mean).to(to_torch_dtype(dtype or "float32"))
    keras_random.truncated_normal = clipped_normal
    try:
        yield
    finally:
        keras_random.truncated_normal = original


def test_transfer_learning_runs_the_same_under_ember():
    with _quick_keras_truncated_normal():
        expected = transfer_learning(keras)
    got = transfer_learning(ek)
    # After the fine-tuning step (Adam at 1e-5 moves each of 260 weight tensors by about lr * sign(gradient),
    # also where the gradient is float32 noise) predictions agree to 1e-4, the losses to 2e-5.
    np.testing.assert_allclose(got.pop("predicted"), expected.pop("predicted"), rtol=1e-4)
    _compare(got, expected, "transfer_learning")


def test_grad_cam_runs_the_same_under_ember_autograd():
    expected = grad_cam(keras, torch)
    got = grad_cam(ek, ember)
    _compare(got, expected, "grad_cam")


def test_ember_image_dataset_from_directory_gives_the_programs_arrays(tmp_path):
    paths, labels = _png_folders(str(tmp_path))
    arrays = np.stack([keras.utils.img_to_array(keras.utils.load_img(p)) for p in paths])
    dataset = ek.utils.image_dataset_from_directory(str(tmp_path / "images"), image_size=(12, 12), batch_size=3,
                                                    shuffle=False)
    assert dataset.class_names == ["cat", "dog"]
    batches = list(dataset)
    np.testing.assert_allclose(np.concatenate([np.asarray(b[0]) for b in batches]), arrays, atol=1e-3)
    np.testing.assert_array_equal(np.concatenate([np.asarray(b[1]) for b in batches]), labels)


def detection_preprocessing(K):
    """Object-detection input pipeline in the style of keras.io's RetinaNet example: images resized with
    Resizing and boxes moved with them through relative coordinates (convert_format to and from "rel_xyxy"),
    CenterCrop, box-format conversion, clipping, IoU between ground truth and anchors, box deltas encoded and
    decoded against anchors, and the boxes drawn with keras.visualization.draw_bounding_boxes. (The layers'
    own bounding_box_format= path on {"images", "bounding_boxes"} dicts is not in ember yet.)"""
    rng = np.random.default_rng(13)
    images = rng.uniform(0, 255, (2, 12, 20, 3)).astype("float32")
    boxes = np.array([[[1, 2, 9, 10], [4, 0, 19, 7], [0, 0, 0, 0]],
                      [[2, 3, 6, 11], [10, 5, 18, 9], [3, 3, 8, 8]]], "float32")
    labels = np.array([[1, 2, -1], [0, 1, 2]], "int32")
    bb = K.utils.bounding_boxes
    resized_images = K.layers.Resizing(16, 16)(images)
    relative = bb.convert_format(boxes, "xyxy", "rel_xyxy", height=12, width=20)
    resized_boxes = _np(K, bb.convert_format(relative, "rel_xyxy", "xyxy", height=16, width=16))
    cropped_images = K.layers.CenterCrop(12, 10)(resized_images)
    yxhw = bb.convert_format(resized_boxes, "xyxy", "center_yxhw")
    clipped = bb.clip_to_image_size({"boxes": resized_boxes, "labels": labels}, height=10, width=10,
                                    bounding_box_format="xyxy")
    anchors = np.array([[0, 0, 8, 8], [4, 4, 12, 12], [8, 0, 16, 6], [2, 6, 10, 16]], "float32")
    gt = resized_boxes[0]
    iou = bb.compute_iou(gt, anchors, bounding_box_format="xyxy")
    deltas = bb.encode_box_to_deltas(anchors, gt[[0, 1, 0, 1]], anchor_format="xyxy", box_format="xyxy",
                                     variance=[0.1, 0.1, 0.2, 0.2])
    decoded = bb.decode_deltas_to_boxes(anchors, deltas, anchor_format="xyxy", box_format="xyxy",
                                        variance=[0.1, 0.1, 0.2, 0.2])
    # (np.ascontiguousarray: Keras passes its torch-strided array to OpenCV, which refuses that layout.)
    drawn = K.visualization.draw_bounding_boxes(np.ascontiguousarray(_np(K, resized_images)), {
        "boxes": resized_boxes, "labels": labels}, "xyxy", class_mapping={0: "cat", 1: "dog"}, line_thickness=1,
        font_scale=0.3)
    return {"resized_images": _np(K, resized_images), "resized_boxes": resized_boxes,
            "cropped_images": _np(K, cropped_images), "center_yxhw": _np(K, yxhw),
            "clipped": _np(K, clipped["boxes"]), "clipped_labels": _np(K, clipped["labels"]),
            "iou": _np(K, iou), "deltas": _np(K, deltas), "decoded": _np(K, decoded),
            "drawn": drawn.astype("float32")}


def test_detection_preprocessing_runs_the_same_under_ember():
    expected = detection_preprocessing(keras)
    got = detection_preprocessing(ek)
    _compare(got, expected, "detection_preprocessing")

