"""What the Keras dataset loaders share: Keras's download folder, the hash-checked fetch, the
seeded shuffle and train/test split, and the word-index rewriting of the IMDB and Reuters
sequences (each loader reads its file with ``ember.io.npz``, which never unpickles)."""
import numpy as np

from ..utils.file_utils import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def fetch(fname, origin, file_hash, **kwargs):
    """``get_file`` with the hash checked; ``origin`` is the full URL."""
    return get_file(fname=fname, origin=origin, file_hash=file_hash, **kwargs)


def check_test_split(test_split, name):
    if not 0 <= test_split < 1:
        raise ValueError(f"{name}.load_data: invalid `test_split` argument: {test_split}. It must be between 0 "
                         "and 1 (exclusive of 1).")


def shuffled(rng, *arrays):
    """``arrays`` in one order drawn from ``rng`` (``RandomState.shuffle`` of the indices, as Keras)."""
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [a[indices] for a in arrays]


def split(x, y, test_split):
    """``(x_train, y_train), (x_test, y_test)``: the first ``1 - test_split`` of the rows for training."""
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def offset_words(sequences, start_char, index_from):
    """Each sequence as a list with ``index_from`` added to every word, after ``start_char`` if given."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in sequences]
    return [[w + index_from for w in x] for x in sequences]


def drop_long(maxlen, sequences, labels):
    """The sequences shorter than ``maxlen`` and their labels (as lists)."""
    kept = [(x, y) for x, y in zip(sequences, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_words(sequences, num_words, skip_top, oov_char):
    """Words outside ``[skip_top, num_words)`` replaced by ``oov_char`` (or dropped when it is None);
    ``num_words=None`` keeps every word up to the largest index."""
    if not num_words:
        num_words = max(max(x) for x in sequences)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in sequences]
    return [[w for w in x if skip_top <= w < num_words] for x in sequences]


def word_index(fname, origin, file_hash):
    import json
    path = fetch(fname, origin, file_hash)
    with open(path, encoding="utf-8") as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is not a valid word index (JSON): {e}") from None


def load_arrays(path, names):
    """The arrays ``names`` from the ``.npz`` at ``path``; a clear error when one is missing."""
    from ...io.npz import load_npz
    arrays = load_npz(path)
    missing = [n for n in names if n not in arrays]
    if missing:
        raise ValueError(f"{path}: expected the arrays {list(names)}, missing {missing} (the file holds "
                         f"{sorted(arrays)})")
    return [arrays[n] for n in names]
