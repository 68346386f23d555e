"""``keras.datasets.imdb``: 25,000 + 25,000 movie reviews as word-index sequences, labelled 0/1.

``load_data`` reads Keras's ``imdb.npz`` (downloaded once into ``$KERAS_HOME/datasets``, sha256
checked). Its sequences are ragged, stored as object arrays; they are read by ember's
restricted reader (plain lists of ints only, see :mod:`ember.io.restricted_pickle`), never
unpickled. The train and test reviews are shuffled with ``RandomState(seed)``, every word
index is raised by ``index_from`` and prefixed with ``start_char``; reviews of ``maxlen`` or
more words are dropped; words outside ``[skip_top, num_words)`` become ``oov_char``. As in
Keras, ``x`` is an object array of lists and ``y`` an int64 array.
"""
import numpy as np

from . import _common

ORIGIN = _common.ORIGIN
HASHES = {"imdb.npz": "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
          "imdb_word_index.json": "bfafd718b763782e994055a2d397834f"}


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """``(x_train, y_train), (x_test, y_test)`` (see the module docstring)."""
    if kwargs:
        raise TypeError(f"imdb.load_data: unrecognized keyword arguments {sorted(kwargs)}")
    fpath = _common.fetch(path, ORIGIN + "imdb.npz", HASHES["imdb.npz"])
    x_train, labels_train, x_test, labels_test = _common.load_arrays(fpath, ("x_train", "y_train", "x_test",
                                                                             "y_test"))
    rng = np.random.RandomState(seed)
    x_train, labels_train = _common.shuffled(rng, x_train, labels_train)
    x_test, labels_test = _common.shuffled(rng, x_test, labels_test)
    x_train = _common.offset_words(x_train, start_char, index_from)
    x_test = _common.offset_words(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = _common.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = _common.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"imdb.load_data: after filtering for sequences shorter than maxlen={maxlen}, no "
                             "sequence was kept. Increase maxlen.")
    xs = _common.limit_words(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    cut = len(x_train)
    return (np.array(xs[:cut], dtype="object"), labels[:cut]), (np.array(xs[cut:], dtype="object"), labels[cut:])


def get_word_index(path="imdb_word_index.json"):
    """``{word: index}`` of the IMDB data (add ``index_from`` to match ``load_data``'s sequences)."""
    return _common.word_index(path, ORIGIN + "imdb_word_index.json", HASHES["imdb_word_index.json"])
