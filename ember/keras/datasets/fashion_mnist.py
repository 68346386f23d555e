"""``keras.datasets.fashion_mnist``: Zalando's 28x28 clothing images in 10 classes (60,000 + 10,000).

``load_data`` fetches Keras's four gzipped IDX files into ``$KERAS_HOME/datasets/fashion-mnist``
and returns uint8 images ``(N, 28, 28)`` and uint8 labels ``(N,)``. Keras checks no hash for
these files; ember checks the md5 digests Fashion-MNIST publishes for them.
"""
import os

from ...vision.datasets.idx import read_idx
from . import _common

ORIGIN = _common.ORIGIN
HASHES = {"train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
          "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
          "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
          "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79"}


def _split(prefix):
    paths = {kind: _common.fetch(name, ORIGIN + name, HASHES[name], cache_subdir=os.path.join("datasets",
                                                                                             "fashion-mnist"))
             for kind, name in (("labels", f"{prefix}-labels-idx1-ubyte.gz"),
                                ("images", f"{prefix}-images-idx3-ubyte.gz"))}
    labels = read_idx(paths["labels"], ndim=1, dtype="ubyte")
    images = read_idx(paths["images"], ndim=3, dtype="ubyte")
    if len(images) != len(labels):
        raise ValueError(f"fashion_mnist.load_data: {paths['images']} holds {len(images)} images but "
                         f"{paths['labels']} holds {len(labels)} labels")
    return images, labels


def load_data():
    """``(x_train, y_train), (x_test, y_test)`` (see the module docstring)."""
    return _split("train"), _split("t10k")
