"""Vocabulary layers: ``StringLookup``, ``IntegerLookup`` and ``TextVectorization``.

Keras 3 runs these on TensorFlow; ember implements them in NumPy with the same indices: the vocabulary
is ``[mask_token] (output_mode='int' only) + num_oov_indices OOV slots + tokens``, ``adapt`` orders
tokens by decreasing count (ties: the larger token first, as Keras's ``lexsort``), out-of-vocabulary
values go to OOV slot ``hash % num_oov_indices`` (FarmHash for strings, ``value % n`` for integers),
``tf_idf`` weights are ``log(1 + documents / (1 + documents containing the token))`` with the OOV
weight the mean of the others.

>>> from ember import keras
>>> layer = keras.layers.StringLookup(vocabulary=["a", "b", "c", "d"])
>>> layer([["a", "c", "d"], ["d", "z", "b"]]).tolist()
[[1, 3, 4], [4, 0, 2]]
"""
import re
import string

import numpy as np

from ...autograd.tensor import Tensor, make
from ._farmhash import fingerprint64
from .preprocessing_categorical import _NumpyLayer, _np, encode_categorical

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IndexLookup(_NumpyLayer):
    """The shared machinery of ``StringLookup`` and ``IntegerLookup``."""
    _is_string = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 vocabulary_dtype=None, **kwargs):
        super().__init__(**kwargs)
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"`num_oov_indices` must be greater than or equal to 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in _MODES:
            raise ValueError(f"Unknown value for `output_mode`. Allowed values are {_MODES}. Received: "
                             f"output_mode={output_mode}")
        if invert and output_mode != "int":
            raise ValueError(f"`output_mode` must be `'int'` when `invert` is true. Received: "
                             f"output_mode={output_mode}")
        if sparse:
            raise ValueError("`sparse=True` cannot be used with ember (no sparse tensors)")
        if output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError("`idf_weights` should only be set if `output_mode` is `'tf_idf'`.")
        self.max_tokens, self.num_oov_indices = max_tokens, num_oov_indices
        self.mask_token, self.oov_token = mask_token, oov_token
        self.invert, self.output_mode = invert, output_mode
        self.pad_to_max_tokens, self.sparse = pad_to_max_tokens, sparse
        self.vocabulary_dtype = vocabulary_dtype or ("string" if self._is_string else "int64")
        self._tokens = []
        self._index = {}
        self.idf_weights = None
        self.input_vocabulary, self.input_idf_weights = vocabulary, idf_weights
        self._has_input_vocabulary = vocabulary is not None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- vocabulary ------------------------------------------------------------------------------
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _key(self, v):
        if isinstance(v, bytes):
            v = v.decode("utf-8")
        return str(v) if self._is_string else int(v)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Use ``vocabulary`` (a list, array or a text file path with one token a line) in this order."""
        if isinstance(vocabulary, str) and self._is_string and "\n" not in vocabulary:
            with open(vocabulary, encoding="utf-8") as f:
                vocabulary = [line.rstrip("\n") for line in f]
        if isinstance(vocabulary, Tensor):
            vocabulary = vocabulary._data
        tokens = [self._key(v) for v in np.asarray(vocabulary).reshape(-1).tolist()]
        if self.mask_token is not None and tokens and tokens[0] == self._key(self.mask_token):
            tokens = tokens[1:]
        oov = [self._key(self.oov_token)] * self.num_oov_indices if self.oov_token is not None else []
        if oov and tokens[:len(oov)] == oov:
            tokens = tokens[len(oov):]
        seen = set()
        repeated = sorted({t for t in tokens if t in seen or seen.add(t)}, key=str)
        if repeated:
            raise ValueError(f"The passed vocabulary has at least one repeated term. Please uniquify your dataset. "
                             f"The repeated terms are: {repeated}")
        specials = {self._key(x) for x in (self.mask_token, self.oov_token) if x is not None}
        bad = [t for t in tokens if t in specials]
        if bad:
            raise ValueError(f"Found reserved tokens in `vocabulary`: {bad}. The mask and OOV tokens may only "
                             "open the vocabulary.")
        if self.max_tokens is not None and len(tokens) + self._token_start_index() > self.max_tokens:
            raise ValueError(f"Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary "
                             f"size is {len(tokens) + self._token_start_index()}; `max_tokens` is {self.max_tokens}.")
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf' and a vocabulary is given.")
            w = np.asarray(_np(idf_weights), "float32").reshape(-1)
            if len(w) == len(tokens):
                w = np.concatenate([np.full(self._token_start_index(), w.mean(), "float32"), w])
            self.idf_weights = w
        self._has_input_vocabulary = True

    def _set_tokens(self, tokens):
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {t: i + start for i, t in enumerate(self._tokens)}

    def vocabulary_size(self):
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The tokens by index: mask (int mode), OOV slots, then the learned or given tokens."""
        vocab = []
        if self._oov_start_index():
            vocab.append(self.mask_token)
        vocab += [self.oov_token] * self.num_oov_indices + list(self._tokens)
        return vocab if include_special_tokens else vocab[self._token_start_index():]

    def adapt(self, data, steps=None):
        """Learn the vocabulary (tokens by decreasing frequency, at most ``max_tokens``) from ``data``."""
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                             "`vocabulary` argument or `set_vocabulary()` method.")
        counts, docs, n_docs = {}, {}, 0
        batches = data if hasattr(data, "__iter__") and not isinstance(data, (np.ndarray, Tensor, list, tuple)) \
            else [data]
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            rows = self._adapt_rows(batch)
            for row in rows:
                for t in row:
                    counts[t] = counts.get(t, 0) + 1
                for t in set(row):
                    docs[t] = docs.get(t, 0) + 1
            n_docs += len(rows)
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(self._key(special), None)
        tokens = list(counts)
        keys = np.array(tokens, dtype=object if self._is_string else np.int64)
        c = np.array([counts[t] for t in tokens], np.int64)
        order = np.lexsort((keys, c))[::-1] if tokens else np.array([], np.int64)
        if self.max_tokens:
            order = order[:self.max_tokens - self._token_start_index()]
        self._set_tokens([tokens[i] for i in order])
        if self.output_mode == "tf_idf":
            d = np.array([docs[tokens[i]] for i in order], np.float64)
            idf = np.log(1 + n_docs / (1 + d)).astype("float32")
            w = np.concatenate([np.full(self._token_start_index(), idf.mean() if idf.size else 0, "float32"), idf])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                w = np.pad(w, (0, self.max_tokens - w.size))
            self.idf_weights = w

    def _adapt_rows(self, batch):
        x = self._prepare(batch)
        if x.ndim == 0:
            x = x[None]
        if x.ndim == 1:
            x = x[None]
        return [[self._key(v) for v in row.reshape(-1).tolist()] for row in x]

    def _prepare(self, x):
        a = np.asarray(_np(x) if not isinstance(x, (list, tuple)) else np.asarray(x, object))
        if self._is_string:
            return a.astype(object)
        return a.astype(np.int64)

    # -- lookup ----------------------------------------------------------------------------------
    def _oov_index(self, key):
        n = self.num_oov_indices
        if n == 0:
            raise ValueError(f"When `num_oov_indices=0` all inputs should be in vocabulary, found OOV values "
                             f"[{key!r}], consider setting `num_oov_indices=1`.")
        if n == 1:
            return self._oov_start_index()
        h = fingerprint64(key.encode("utf-8")) if self._is_string else key
        return self._oov_start_index() + h % n

    def _lookup(self, x):
        flat = x.reshape(-1).tolist()
        mask = self._key(self.mask_token) if self.mask_token is not None else None
        out = np.empty(len(flat), np.int64)
        for i, v in enumerate(flat):
            k = self._key(v)
            if mask is not None and k == mask:
                out[i] = 0
            else:
                j = self._index.get(k)
                out[i] = j if j is not None else self._oov_index(k)
        return out.reshape(x.shape)

    def _invert(self, x):
        vocab = self.get_vocabulary()
        idx = x.astype(np.int64)
        flat = [vocab[i] if 0 <= i < len(vocab) else self.oov_token for i in idx.reshape(-1).tolist()]
        if self.mask_token is not None:
            flat = [self.mask_token if i == 0 else v for i, v in zip(idx.reshape(-1).tolist(), flat)]
        if self._is_string:
            return np.array(flat, dtype=object).reshape(idx.shape)
        return make(np.array(flat, np.int64).reshape(idx.shape))

    def call(self, inputs):
        x = self._prepare(inputs)
        if self.invert:
            return self._invert(x)
        idx = self._lookup(x)
        if self.output_mode == "int":
            return make(idx)
        depth = self.max_tokens if self.pad_to_max_tokens and self.max_tokens else self.vocabulary_size()
        if not self._tokens and not self.pad_to_max_tokens:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, you "
                               "must set the layer's vocabulary before calling it. Either pass a `vocabulary` "
                               "argument to the layer, or call `adapt` with some sample data.")
        if self.output_mode == "tf_idf":
            counts = encode_categorical(idx, "count", depth, self.dtype)._data
            w = self.idf_weights[:depth] if self.idf_weights is not None else np.ones(depth, "float32")
            return make((counts * np.pad(w, (0, depth - w.size))).astype(self.dtype))
        return encode_categorical(idx, self.output_mode, depth, self.dtype)

    def get_config(self):
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                "mask_token": self.mask_token, "output_mode": self.output_mode, "sparse": self.sparse,
                "pad_to_max_tokens": self.pad_to_max_tokens, "vocabulary_dtype": self.vocabulary_dtype,
                "idf_weights": None if self.input_idf_weights is None else np.asarray(self.input_idf_weights).tolist(),
                "vocabulary": None if self.input_vocabulary is None else
                np.asarray(self.input_vocabulary).tolist()}


class StringLookup(IndexLookup):
    """Strings -> integer indices (or, with ``invert``, indices -> strings). Defaults: one OOV slot
    ``'[UNK]'`` at index 0, no mask token."""

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", name=None, **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         vocabulary_dtype="string", **kwargs)

    def get_config(self):
        config = super().get_config()
        config["encoding"] = self.encoding
        return config


class IntegerLookup(IndexLookup):
    """Integer values -> contiguous indices (or back, with ``invert``). Defaults: one OOV slot (``oov_token``
    -1) at index 0, no mask token (``mask_token=0`` reserves index 0 for the value 0)."""
    _is_string = False

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, name=None, **kwargs):
        if oov_token is None:
            raise ValueError("`oov_token` for `IntegerLookup` cannot be None.")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         vocabulary_dtype=vocabulary_dtype, **kwargs)


_PUNCT = re.compile("[%s]" % re.escape(string.punctuation))


class TextVectorization(_NumpyLayer):
    """Strings -> token indices or bag-of-words vectors: ``standardize`` (default
    ``'lower_and_strip_punctuation'``; ``'lower'``, ``'strip_punctuation'``, None or a callable on a
    string), ``split`` (``'whitespace'``, ``'character'``, None or a callable), ``ngrams`` (n, or a tuple
    of sizes), then a vocabulary lookup (index 0 the mask ``''``, 1 ``'[UNK]'`` in ``'int'`` mode).
    ``output_sequence_length`` pads (at the end) or cuts each ``'int'`` row."""

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if standardize not in (None, "lower_and_strip_punctuation", "lower", "strip_punctuation") and \
                not callable(standardize):
            raise ValueError(f"Invalid value for argument `standardize`: {standardize!r}")
        if split not in (None, "whitespace", "character") and not callable(split):
            raise ValueError(f"Invalid value for argument `split`: {split!r}")
        if isinstance(ngrams, int) and ngrams < 1 or (not isinstance(ngrams, (int, tuple, list, type(None)))):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in _MODES[:1] + _MODES[2:]:
            raise ValueError(f"Invalid value for argument `output_mode`: {output_mode!r}")
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError(f"`output_sequence_length` must not be set if `output_mode` is not 'int'. Received "
                             f"output_sequence_length={output_sequence_length}.")
        if ragged:
            raise ValueError("`ragged=True` is not supported by ember (no ragged tensors)")
        self.max_tokens, self.standardize, self.split, self.ngrams = max_tokens, standardize, split, ngrams
        self.output_mode, self.output_sequence_length = output_mode, output_sequence_length
        self.pad_to_max_tokens, self.sparse, self.ragged, self.encoding = pad_to_max_tokens, sparse, ragged, encoding
        self._lookup_layer = StringLookup(max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
                                          mask_token="" if output_mode == "int" else None,
                                          output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens)

    def _standardize(self, s):
        if callable(self.standardize):
            return self.standardize(s)
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            s = s.lower()
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            s = _PUNCT.sub("", s)
        return s

    def _tokens(self, s):
        s = self._standardize(s.decode(self.encoding) if isinstance(s, bytes) else str(s))
        if self.split is None:
            toks = [s]
        elif self.split == "whitespace":
            toks = s.split()
        elif self.split == "character":
            toks = list(s)
        else:
            toks = list(self.split(s))
        if self.ngrams is None:
            return toks
        sizes = range(1, self.ngrams + 1) if isinstance(self.ngrams, int) else self.ngrams
        out = []
        for n in sizes:
            out += [" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1)]
        return out

    def _rows(self, inputs):
        a = np.asarray(_np(inputs) if not isinstance(inputs, (list, tuple)) else np.asarray(inputs, object), object)
        if a.ndim == 2 and a.shape[-1] == 1:
            a = a[:, 0]
        if a.ndim == 0:
            a = a[None]
        if a.ndim != 1:
            raise ValueError(f"TextVectorization expects a batch of strings of shape (batch,) or (batch, 1); got "
                             f"shape {a.shape}")
        return [self._tokens(s) for s in a.tolist()]

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and idf weights) from strings ``data`` (an array, a list or batches)."""
        batches = data if hasattr(data, "__iter__") and not isinstance(data, (np.ndarray, list, tuple, str)) \
            else [data]
        rows = []
        for i, b in enumerate(batches):
            if steps is not None and i >= steps:
                break
            rows += self._rows(b)
        width = max((len(r) for r in rows), default=0)
        padded = np.array([r + [""] * (width - len(r)) for r in rows], dtype=object).reshape(len(rows), width)
        lk = self._lookup_layer
        if self.output_mode == "int":
            lk.adapt(padded)
        else:
            # The padding '' is no token in bag-of-words modes: count each row's real tokens only.
            lk._has_input_vocabulary = False
            lk.adapt(_Rows(rows))

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)

    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def call(self, inputs):
        rows = self._rows(inputs)
        lk = self._lookup_layer
        if self.output_mode == "int":
            width = self.output_sequence_length or max((len(r) for r in rows), default=0)
            out = np.zeros((len(rows), width), np.int64)
            for i, r in enumerate(rows):
                r = r[:width]
                if r:
                    out[i, :len(r)] = lk._lookup(np.array(r, object))
            return make(out)
        depth = lk.max_tokens if lk.pad_to_max_tokens and lk.max_tokens else lk.vocabulary_size()
        out = np.zeros((len(rows), depth), self.dtype)
        for i, r in enumerate(rows):
            if r:
                idx = lk._lookup(np.array(r, object))
                np.add.at(out[i], idx[idx < depth], 1)
        if self.output_mode == "multi_hot":
            out = (out > 0).astype(self.dtype)
        elif self.output_mode == "tf_idf":
            w = lk.idf_weights[:depth]
            out = out * np.pad(w, (0, depth - w.size))
        return make(out.astype(self.dtype))

    def get_config(self):
        return {**super().get_config(), "max_tokens": self.max_tokens, "standardize": self.standardize
                if not callable(self.standardize) else None, "split": self.split if not callable(self.split)
                else None, "ngrams": self.ngrams, "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length, "pad_to_max_tokens": self.pad_to_max_tokens,
                "sparse": self.sparse, "ragged": self.ragged, "encoding": self.encoding,
                "vocabulary": self._lookup_layer.input_vocabulary, "idf_weights": None}


class _Rows:
    """Rows of different lengths given to ``IndexLookup.adapt`` one document at a time."""

    def __init__(self, rows):
        self.rows = rows

    def __iter__(self):
        for r in self.rows:
            yield np.array([r], dtype=object) if r else np.zeros((1, 0), object)
