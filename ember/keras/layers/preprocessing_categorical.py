"""Categorical preprocessing layers: ``CategoryEncoding``, ``Discretization`` and ``Hashing``.

They work on NumPy values (they are not differentiated) and return ember tensors.

>>> from ember import keras
>>> keras.layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")([[0, 1], [3, 3]]).tolist()
[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
"""
import numpy as np

from ...autograd.tensor import Tensor, make
from .. import backend
from ._farmhash import fingerprint64
from .layer import Layer


def _np(x):
    if isinstance(x, Tensor):
        return x._data
    return np.asarray(backend.convert_to_numpy(x) if not isinstance(x, (list, tuple, np.ndarray)) else x)


class _NumpyLayer(Layer):
    """A layer whose ``call`` works on NumPy arrays (strings included): inputs are not converted to tensors."""

    def __call__(self, inputs, *args, **kwargs):
        from ..graph import any_symbolic
        if any_symbolic((inputs, args, kwargs)):
            return super().__call__(inputs, *args, **kwargs)
        self.built = True
        kwargs.pop("training", None)
        return self.call(inputs, *args, **kwargs)


def encode_categorical(indices, output_mode, depth, dtype="float32", count_weights=None):
    """Keras's ``encode_categorical_inputs``: integer ``indices`` as is (``'int'``), one-hot over a new last
    axis (a last axis of size 1 replaced), or multi-hot/counts over the last axis."""
    x = np.asarray(indices)
    if output_mode == "int":
        return make(x.astype(dtype if np.dtype(dtype).kind in "iu" else "int64"))
    if x.ndim == 0:
        x = x[None]
    x = x.astype(np.int64)
    if output_mode == "one_hot":
        if x.ndim > 1 and x.shape[-1] == 1:
            x = x[..., 0]
        out = np.zeros(x.shape + (depth,), dtype)
        valid = (x >= 0) & (x < depth)
        np.put_along_axis(out, np.where(valid, x, 0)[..., None], valid[..., None].astype(dtype), -1)
        return make(out)
    flat = x.reshape(-1, x.shape[-1]) if x.ndim > 1 else x[None]
    out = np.zeros((flat.shape[0], depth), dtype)
    rows = np.repeat(np.arange(flat.shape[0]), flat.shape[1])
    cols = flat.reshape(-1)
    keep = (cols >= 0) & (cols < depth)
    if output_mode == "multi_hot":
        out[rows[keep], cols[keep]] = 1
    elif output_mode == "count":
        w = np.ones(cols.shape, dtype) if count_weights is None else \
            np.asarray(count_weights, dtype).reshape(-1)
        np.add.at(out, (rows[keep], cols[keep]), w[keep])
    else:
        raise ValueError(f"Unknown output_mode {output_mode!r}; expected 'int', 'one_hot', 'multi_hot' or 'count'")
    return make(out.reshape(x.shape[:-1] + (depth,)) if x.ndim > 1 else out[0])


class CategoryEncoding(_NumpyLayer):
    """Integer ids in ``[0, num_tokens)`` as ``'one_hot'``, ``'multi_hot'`` (default) or ``'count'``
    vectors of length ``num_tokens`` (``count_weights`` weigh each id in ``'count'`` mode)."""

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of tokens is not known "
                             "beforehand, use the IntegerLookup layer instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("`sparse=True` cannot be used with ember (no sparse tensors)")
        self.num_tokens, self.output_mode, self.sparse = num_tokens, output_mode, sparse

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError("`count_weights` is not used when `output_mode` is not `'count'`. Received "
                             f"`count_weights={count_weights}`.")
        x = _np(inputs)
        if x.size and (x.min() < 0 or x.max() >= self.num_tokens):
            raise ValueError(f"CategoryEncoding: input values must be in the range 0 <= values < num_tokens with "
                             f"num_tokens={self.num_tokens}; got values in [{x.min()}, {x.max()}]")
        return encode_categorical(x, self.output_mode, self.num_tokens, self.dtype,
                                  None if count_weights is None else _np(count_weights))

    def compute_output_shape(self, input_shape):
        if len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (input_shape[-1] != 1 or len(input_shape) == 1):
            return tuple(input_shape) + (self.num_tokens,)
        return tuple(input_shape[:-1]) + (self.num_tokens,)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}


def _summarize(values, epsilon):
    # A weighted quantile sketch: every step-th sorted value, each standing for step values.
    values = np.sort(np.reshape(values, -1))
    step = max(values.size * epsilon, 1)
    picked = values[int(step - 1)::int(step)]
    return np.stack([picked, np.ones_like(picked) * step])


def _compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    frac = cum / cum[-1]
    bins = np.interp(percents, frac, summary[0])
    cum = np.interp(percents, frac, cum)
    return np.stack((bins, cum - np.concatenate(([0], cum[:-1])))).astype("float32")


class Discretization(_NumpyLayer):
    """Bucket index of each value: ``i`` for ``bin_boundaries[i-1] <= x < bin_boundaries[i]`` (``'int'``), or
    its one-hot/multi-hot/count encoding. ``adapt(data)`` with ``num_bins`` finds quantile boundaries from an
    approximate quantile summary of relative error ``epsilon``, as Keras does."""

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None):
        super().__init__(name=name, dtype=dtype)
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(f"Unknown value for `output_mode`. Allowed values are ('int', 'one_hot', 'multi_hot', "
                             f"'count'). Received: output_mode={output_mode}")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Both `num_bins` and `bin_boundaries` should not be set. Received: "
                             f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`")
        self.bin_boundaries = list(bin_boundaries) if bin_boundaries is not None else None
        self.num_bins, self.epsilon, self.output_mode, self.sparse = num_bins, epsilon, output_mode, sparse
        self.summary = np.array([[], []], "float32")

    @property
    def output_dtype(self):
        return "int64" if self.output_mode == "int" else self.dtype

    def adapt(self, data, steps=None):
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with "
                             "`bin_boundaries`, use `num_bins` instead.")
        self.summary = np.array([[], []], "float32")
        batches = data if hasattr(data, "__iter__") and not isinstance(data, (np.ndarray, Tensor, list)) \
            else [data]
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            s = _summarize(_np(batch).astype("float32"), self.epsilon)
            merged = np.concatenate((s, self.summary), axis=1)
            merged = np.take(merged, np.argsort(merged[0]), axis=1)
            self.summary = _compress(merged, self.epsilon)
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at construction time or call "
                             "`adapt(dataset)` before you can start using the `Discretization` layer.")
        idx = np.digitize(_np(inputs), self.bin_boundaries)
        return encode_categorical(idx, self.output_mode, len(self.bin_boundaries) + 1, self.output_dtype)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            b = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = b
            return layer
        return cls(**config)


def _as_bytes(v):
    if isinstance(v, bytes):
        return v
    if isinstance(v, (int, np.integer)):
        return str(int(v)).encode()
    return str(v).encode("utf-8")


class Hashing(_NumpyLayer):
    """``fingerprint64(str(x)) % num_bins`` for each string or integer (integers hashed as their decimal
    strings), the hash TensorFlow's ``to_hash_bucket_fast`` (and so Keras) uses; with ``mask_value``,
    that value maps to 0 and the others to ``1 + hash % (num_bins - 1)``. Keras's keyed hash for ``salt``
    (SipHash, ``to_hash_bucket_strong``) is not implemented: ``salt`` raises."""

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"The `num_bins` for `Hashing` cannot be `None` or non-positive values. Received: "
                             f"num_bins={num_bins}.")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(f"Invalid value for argument `output_mode`: {output_mode!r}")
        if salt is not None:
            raise NotImplementedError("Hashing(salt=...): Keras's salted hash is SipHash (TensorFlow's "
                                      "to_hash_bucket_strong), which ember does not implement; use salt=None")
        self.num_bins, self.mask_value, self.salt = num_bins, mask_value, salt
        self.output_mode, self.sparse = output_mode, sparse
        self._cache = {}

    def _hash(self, v):
        h = self._cache.get(v)
        if h is None:
            h = self._cache[v] = fingerprint64(_as_bytes(v))
        return h

    def call(self, inputs):
        x = _np(inputs)
        if x.dtype.kind == "f":
            raise ValueError(f"Hashing: inputs must be strings or integers; got dtype {x.dtype}")
        uniq, inv = np.unique(x.reshape(-1), return_inverse=True)
        if self.mask_value is not None:
            n = self.num_bins - 1
            buckets = np.array([0 if u == self.mask_value else 1 + self._hash(u.item() if hasattr(u, "item")
                                                                             else u) % n for u in uniq], np.int64)
        else:
            buckets = np.array([self._hash(u.item() if hasattr(u, "item") else u) % self.num_bins for u in uniq],
                               np.int64)
        out = buckets[inv].reshape(x.shape)
        return encode_categorical(out, self.output_mode, self.num_bins, "int64" if self.output_mode == "int"
                                  else self.dtype)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode, "sparse": self.sparse}
