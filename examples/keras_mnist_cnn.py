"""The classic Keras CNN tutorial on ember: only the imports differ from the tensorflow.keras program.

    python examples/keras_mnist_cnn.py [--epochs 5] [--plots DIR]

Uses the full MNIST when it is available (``~/.keras/datasets/mnist.npz`` or downloadable), else the
5,000-image sample bundled with ember (a note on stderr says so). With ``--plots DIR`` it also writes
the learning curves, the confusion matrix, the misclassified test images and the first layer's filters
as PNG files (needs ``pip install "ember[plot]"``).
"""
import argparse
import os

from ember import keras
from ember.keras import layers, models


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--plots", metavar="DIR", help="write PNG pictures of the training here")
    args = parser.parse_args()

    (train_images, train_labels), (test_images, test_labels) = keras.datasets.mnist.load_data()
    train_images = train_images.reshape((-1, 28, 28, 1)).astype("float32") / 255
    test_images = test_images.reshape((-1, 28, 28, 1)).astype("float32") / 255

    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(10, activation="softmax"))
    model.summary()

    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train_images, train_labels, epochs=args.epochs,
                        validation_data=(test_images, test_labels))

    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
    print(f"test accuracy: {test_acc:.4f}")

    if args.plots:
        from ember import plot
        os.makedirs(args.plots, exist_ok=True)
        predictions = model.predict(test_images, verbose=0)
        plot.plot_history(history, os.path.join(args.plots, "history.png"))
        plot.plot_confusion_matrix(test_labels, predictions, os.path.join(args.plots, "confusion_matrix.png"))
        plot.plot_misclassified(test_images, test_labels, predictions, os.path.join(args.plots, "misclassified.png"))
        kernel = model.layers[0].get_weights()[0]          # Keras layout (kh, kw, in, out)
        plot.plot_filters(kernel.transpose(3, 2, 0, 1), os.path.join(args.plots, "filters.png"))
        print(f"plots written to {args.plots}")


if __name__ == "__main__":
    main()
