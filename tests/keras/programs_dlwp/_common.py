"""What every program needs beside the book's code: the same starting weights in both frameworks."""
import numpy as np


def same_weights(model, seed=0, scale=0.3):
    """Weights from a fixed NumPy generator by position: batch-norm variances in [0.5, 1.5), scales near 1."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        shape, name = tuple(w.shape), w.path.split("/")[-1]
        if name == "moving_variance":
            w.assign((0.5 + rng.random(shape)).astype(np.float32))
        elif name == "gamma":
            w.assign((1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32))
        else:
            w.assign((rng.standard_normal(shape) * scale).astype(np.float32))


def to_numpy(keras, x):
    return np.asarray(keras.ops.convert_to_numpy(x))
