"""``HashedCrossing``: the cross of two or more categorical features, hashed into ``num_bins`` bins.

Keras delegates to TensorFlow's ``tf.sparse.cross_hashed``; ember computes the same hash in NumPy/Python:
each feature value becomes a 64-bit word (a string its FarmHash ``fingerprint64``, an integer its own
two's-complement bits), the words are folded left to right into the key ``0xDECAFCAFFE`` with
TensorFlow's ``FingerprintCat64``, and the bin is the unsigned result modulo ``num_bins``.

>>> import numpy as np
>>> from ember import keras
>>> layer = keras.layers.HashedCrossing(num_bins=5)
>>> layer((np.array(["A", "B", "A"]), np.array([101, 101, 102]))).tolist()
[1, 4, 3]
"""
import numpy as np

from ._farmhash import fingerprint64
from .preprocessing_categorical import _NumpyLayer, _np, _as_bytes, encode_categorical

_MASK = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995
_HASH_KEY = 0xDECAFCAFFE


def _shift_mix(v):
    return v ^ (v >> 47)


def fingerprint_cat64(fp1, fp2):
    """TensorFlow's ``FingerprintCat64``: two 64-bit fingerprints combined into one, order-dependent."""
    r = fp1 ^ _MUL
    r ^= (_shift_mix((fp2 * _MUL) & _MASK) * _MUL) & _MASK
    r = (r * _MUL) & _MASK
    r = (_shift_mix(r) * _MUL) & _MASK
    return _shift_mix(r)


def _word(v):
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return int(v) & _MASK
    return fingerprint64(_as_bytes(v))


class HashedCrossing(_NumpyLayer):
    """``cross(x_1, ..., x_k) % num_bins`` per example for ``k >= 2`` integer or string features of equal
    shape ``()``, ``(batch,)`` or ``(batch, 1)``, with the hash of ``tf.sparse.cross_hashed``; ``'int'``
    gives the bins (``int64`` unless ``dtype`` says otherwise), ``'one_hot'`` one-hot rows of length
    ``num_bins``."""

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
        if output_mode not in ("int", "one_hot"):
            raise ValueError(f"HashedCrossing: invalid value for argument `output_mode`. Expected one of "
                             f"('int', 'one_hot'). Received: output_mode={output_mode!r}")
        if num_bins is None or int(num_bins) <= 0:
            raise ValueError(f"HashedCrossing: `num_bins` must be a positive integer. Received: num_bins={num_bins}")
        self.num_bins, self.output_mode, self.sparse = int(num_bins), output_mode, sparse

    def _features(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"`HashedCrossing` should be called on a list or tuple of inputs. Received: "
                             f"inputs={inputs}")
        if len(inputs) < 2:
            raise ValueError(f"`HashedCrossing` should be called on at least two inputs. Received: "
                             f"inputs={inputs}")
        feats = [_np(x) for x in inputs]
        shape = feats[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(f"All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                             f"`(batch_size, 1)`. Received shape {shape}")
        if any(f.shape != shape for f in feats[1:]):
            raise ValueError(f"All `HashedCrossing` inputs should have equal shape. Received shapes "
                             f"{[f.shape for f in feats]}")
        if any(f.dtype.kind not in "iuUSO" for f in feats):
            raise ValueError(f"All `HashedCrossing` inputs should have an integer or string dtype. Received "
                             f"dtypes {[str(f.dtype) for f in feats]}")
        return feats, shape

    def call(self, inputs):
        feats, shape = self._features(inputs)
        columns = [f.reshape(-1).tolist() for f in feats]
        bins = []
        for row in zip(*columns):
            h = _HASH_KEY
            for v in row:
                h = fingerprint_cat64(h, _word(v))
            bins.append(h % self.num_bins)
        out = np.asarray(bins, np.int64).reshape(shape)
        if self.output_mode == "int":
            return encode_categorical(out, "int", self.num_bins, self.dtype)
        return encode_categorical(out, "one_hot", self.num_bins, self.dtype)

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] == 1:
            return first[:-1] + (self.num_bins,)
        return first + (self.num_bins,)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse}
