"""``keras.datasets.reuters``: 11,228 Reuters newswires as word-index sequences in 46 topics.

``load_data`` reads Keras's ``reuters.npz`` (``$KERAS_HOME/datasets``, sha256 checked) with
ember's restricted reader (never unpickling), shuffles with ``RandomState(seed)``, rewrites the
words as :mod:`~ember.keras.datasets.imdb` does (``start_char``, ``index_from``, ``maxlen``,
``num_words``, ``skip_top``, ``oov_char``), then keeps the last ``test_split`` of the wires
for testing.
"""
import numpy as np

from . import _common

ORIGIN = _common.ORIGIN
HASHES = {"reuters.npz": "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
          "reuters_word_index.json": "4d44cc38712099c9e383dc6e5f11a921"}

_LABELS = ("cocoa grain veg-oil earn acq wheat copper housing money-supply coffee sugar trade reserves ship "
           "cotton carcass crude nat-gas cpi money-fx interest gnp meal-feed alum oilseed gold tin "
           "strategic-metal livestock retail ipi iron-steel rubber heat jobs lei bop zinc orange pet-chem dlr "
           "gas silver wpi hog lead").split()


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """``(x_train, y_train), (x_test, y_test)`` (see the module docstring)."""
    fpath = _common.fetch(path, ORIGIN + "reuters.npz", HASHES["reuters.npz"])
    xs, labels = _common.load_arrays(fpath, ("x", "y"))
    xs, labels = _common.shuffled(np.random.RandomState(seed), xs, labels)
    if start_char is not None or index_from:
        xs = _common.offset_words(xs, start_char, index_from)
    if maxlen:
        xs, labels = _common.drop_long(maxlen, xs, labels)
    xs = _common.limit_words(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return ((np.array(xs[:cut], dtype="object"), np.array(labels[:cut])),
            (np.array(xs[cut:], dtype="object"), np.array(labels[cut:])))


def get_word_index(path="reuters_word_index.json"):
    """``{word: index}`` of the Reuters data (indices in the sequences are these plus ``index_from``)."""
    return _common.word_index(path, ORIGIN + "reuters_word_index.json", HASHES["reuters_word_index.json"])


def get_label_names():
    """The 46 topic names, in label order."""
    return tuple(_LABELS)
