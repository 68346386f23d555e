"""Data adapters: turn what ``fit``/``evaluate``/``predict`` accept into one batch iterator.

Accepted inputs, as Keras: NumPy arrays or ember tensors (one, a list, or a dict of
them) with targets ``y``; an ember ``Dataset`` (batched here through a ``DataLoader``)
or ``DataLoader``; a ``keras.utils.PyDataset``; a Python generator or iterator
yielding ``(x, y)`` or ``(x, y, sample_weight)`` batches. Every adapter yields
``(x, y, sample_weight)`` batches of NumPy arrays (``y``/``sample_weight`` may be None).

Array shuffling is deterministic: the order of epoch ``e`` is a permutation drawn from
``(seed, e)``, ``seed`` drawn once from ember's generator when ``fit`` starts, so a run
resumed at epoch ``e`` (``BackupAndRestore``) sees the same batches as an uninterrupted one.
"""
import itertools
import math
import random
import types
import warnings

import numpy as np

from ...autograd.tensor import Tensor
from ..graph import flatten, map_structure


def _to_numpy(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return x._data
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def to_numpy_structure(x):
    return map_structure(_to_numpy, x)


def _num_samples(x):
    leaves = [leaf for leaf in flatten(x) if leaf is not None]
    sizes = {len(leaf) for leaf in leaves}
    if len(sizes) > 1:
        raise ValueError(f"Data cardinality is ambiguous: the arrays have different numbers of samples "
                         f"{sorted(sizes)}. Make sure all arrays contain the same number of samples.")
    return sizes.pop() if sizes else 0


def _take(x, idx):
    return map_structure(lambda a: a[idx] if a is not None else None, x)


def unpack_batch(batch):
    """``(x, y, sample_weight)`` from a batch that is ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sw)``."""
    if isinstance(batch, tuple):
        if len(batch) == 1:
            return batch[0], None, None
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch
        raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
                         f"found a tuple of {len(batch)} elements")
    if isinstance(batch, list) and len(batch) in (2, 3) and not isinstance(batch[0], (int, float)):
        return tuple(batch) + (None,) * (3 - len(batch))
    return batch, None, None


def class_weights_to_sample_weights(y, class_weight):
    y = np.asarray(y)
    labels = np.argmax(y, -1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = np.round(labels).astype(np.int64)
    return np.array([class_weight.get(int(c), 1.0) for c in labels], np.float32)


class DataAdapter:
    num_batches = None

    def batches(self, epoch):
        raise NotImplementedError

    def peek(self):
        """The first batch, for building the model (does not consume a generator)."""
        raise NotImplementedError

    def reset(self):
        """Start the next pass from the beginning (Keras's evaluate resets its epoch iterator)."""
        walk = getattr(self, "_walk", None)
        if walk is not None:
            walk._order = None


class ArrayDataAdapter(DataAdapter):
    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False, class_weight=None,
                 seed=0):
        self.x, self.y = to_numpy_structure(x), to_numpy_structure(y)
        self.sample_weight = _to_numpy(sample_weight)
        if class_weight is not None:
            if self.y is None:
                raise ValueError("`class_weight` needs targets `y`")
            cw = class_weights_to_sample_weights(flatten(self.y)[0], class_weight)
            self.sample_weight = cw if self.sample_weight is None else self.sample_weight * cw
        self.n = _num_samples((self.x, self.y, self.sample_weight))
        self.batch_size = int(batch_size or 32)
        self.shuffle, self.seed = shuffle, seed
        full = math.ceil(self.n / self.batch_size)
        self.num_batches = min(full, steps) if steps else full
        self._walk = _Walk(full, steps)

    def batches(self, epoch):
        for chunk in self._walk.take(lambda: self._chunks(epoch)):
            if not self.shuffle:
                chunk = slice(int(chunk[0]), int(chunk[-1]) + 1)
            yield (_take(self.x, chunk), _take(self.y, chunk),
                   self.sample_weight[chunk] if self.sample_weight is not None else None)

    def _chunks(self, epoch):
        idx = np.arange(self.n)
        if self.shuffle == "batch":
            order = np.random.default_rng([self.seed, epoch]).permutation(math.ceil(self.n / self.batch_size))
            chunks = [idx[b * self.batch_size:(b + 1) * self.batch_size] for b in order]
        else:
            if self.shuffle:
                idx = np.random.default_rng([self.seed, epoch]).permutation(self.n)
            chunks = [idx[i:i + self.batch_size] for i in range(0, self.n, self.batch_size)]
        return chunks

    def peek(self):
        k = slice(0, min(self.n, self.batch_size))
        return _take(self.x, k), _take(self.y, k), None


_RAN_OUT = ("Your input ran out of data; interrupting training. Make sure that your dataset or generator can "
            "generate at least `steps_per_epoch * epochs` batches. You may need to use the `.repeat()` function "
            "when building your dataset.")


class _Walk:
    """Keras's epoch iterator over ``n`` batches with ``steps`` per epoch: with fewer steps than batches, an
    epoch goes on where the last one stopped, an epoch that reaches the end stops there (with Keras's warning)
    and the next starts a new pass (a new order when shuffling); otherwise every epoch is a new pass over the
    first ``steps`` (or all) batches."""

    def __init__(self, n, steps):
        self.n, self.steps = n, steps
        self._order, self._pos = None, 0

    def take(self, new_order):
        if not self.steps or self.steps >= self.n:
            yield from new_order()[:self.steps or self.n]
            return
        if self._order is None:
            self._order, self._pos = new_order(), 0
        for _ in range(self.steps):
            if self._pos >= self.n:
                warnings.warn(_RAN_OUT, stacklevel=4)
                break
            self._pos += 1
            yield self._order[self._pos - 1]
        if self._pos >= self.n:
            self._order = None


class LoaderDataAdapter(DataAdapter):
    """An ember ``DataLoader`` (or any re-iterable of batches with ``__len__``)."""

    def __init__(self, loader, steps=None, class_weight=None):
        self.loader, self.class_weight = loader, class_weight
        try:
            n = len(loader)
        except TypeError:
            n = None
        self.num_batches = min(n, steps) if (n is not None and steps) else (n if n is not None else steps)
        self.steps = steps

    def batches(self, epoch):
        for i, batch in enumerate(self.loader):
            if self.steps is not None and i >= self.steps:
                break
            x, y, sw = unpack_batch(batch)
            yield _finish(x, y, sw, self.class_weight)

    def peek(self):
        x, y, sw = unpack_batch(next(iter(self.loader)))
        return to_numpy_structure(x), to_numpy_structure(y), None


class PyDatasetAdapter(DataAdapter):
    """A ``keras.utils.PyDataset``, one ``__getitem__`` per batch, with Keras's order of events.

    Every epoch calls ``on_epoch_begin``, fetches the batches and calls ``on_epoch_end``. With ``shuffle``
    the batch order is ``random.shuffle`` of ``range(len(dataset))`` from Python's global generator (which
    ``keras.utils.set_random_seed`` seeds), drawn at the epoch's first batch, as Keras does. Before the
    first epoch ``fit``/``evaluate`` reset Keras's epoch iterator (one more ``on_epoch_end``); when the model
    or its compiled loss/metrics are not built yet, Keras first takes one batch to build them symbolically,
    which is one more ``on_epoch_begin`` and, when shuffling, one more draw. ``peek`` does the reset and,
    with ``symbolic_build=True``, that build batch, so the epochs that follow see Keras's batch orders.
    """

    def __init__(self, dataset, steps=None, shuffle=False, class_weight=None, seed=0):
        self.dataset, self.shuffle, self.class_weight = dataset, bool(shuffle), class_weight
        n = len(dataset)
        self.num_batches = min(n, steps) if steps else n
        self._walk = _Walk(n, steps)

    def _order(self):
        order = list(range(len(self.dataset)))
        if self.shuffle:
            random.shuffle(order)
        return order

    def _event(self, name):
        hook = getattr(self.dataset, name, None)
        if callable(hook):
            hook()

    def batches(self, epoch):
        self._event("on_epoch_begin")
        for i in self._walk.take(self._order):
            x, y, sw = unpack_batch(self.dataset[int(i)])
            yield _finish(x, y, sw, self.class_weight)
        self._event("on_epoch_end")

    def peek(self, symbolic_build=True):
        """The build batch (``symbolic_build``) or, for a built model, nothing: ``(None, None, None)``."""
        x = y = None
        if symbolic_build:
            self._event("on_epoch_begin")
            x, y, _ = unpack_batch(self.dataset[self._order()[0]])
        self._event("on_epoch_end")
        return to_numpy_structure(x), to_numpy_structure(y), None


class GeneratorDataAdapter(DataAdapter):
    """A Python generator or iterator. As Keras's: its first two batches are read when the adapter is made (to
    learn the data's structure), and each new pass over it starts with them again before going on with the
    generator: every ``evaluate`` (so fit's validation on a generator with ``validation_steps`` sees the same
    first batches each epoch), and every epoch without ``steps``; with ``steps``, fit's epochs go on where the
    last one stopped."""

    def __init__(self, generator, steps=None, class_weight=None):
        self.iterator = iter(generator)
        self.num_batches = steps
        self.class_weight = class_weight
        self._first = list(itertools.islice(self.iterator, 2))
        if not self._first:
            raise ValueError("When passing a Python generator to a Keras model, the generator must yield at least "
                             "one batch. Received an empty generator.")
        self._current = None
        self.exhausted = False

    def reset(self):
        """Start the next pass with the first batches again (Keras's evaluate resets its epoch iterator)."""
        self._current = None

    def batches(self, epoch):
        if self._current is None or self.num_batches is None:
            self._current = itertools.chain(self._first, self.iterator)
        i = 0
        while self.num_batches is None or i < self.num_batches:
            try:
                batch = next(self._current)
            except StopIteration:
                self.exhausted = True
                self._current = None
                if self.num_batches is not None and i < self.num_batches:
                    warnings.warn(_RAN_OUT, stacklevel=4)
                return
            x, y, sw = unpack_batch(batch)
            yield _finish(x, y, sw, self.class_weight)
            i += 1

    def peek(self):
        x, y, _ = unpack_batch(self._first[0])
        return to_numpy_structure(x), to_numpy_structure(y), None


def _finish(x, y, sw, class_weight):
    x, y, sw = to_numpy_structure(x), to_numpy_structure(y), _to_numpy(sw)
    if class_weight is not None and y is not None:
        cw = class_weights_to_sample_weights(flatten(y)[0], class_weight)
        sw = cw if sw is None else sw * cw
    return x, y, sw


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False, class_weight=None,
                     seed=0):
    """The adapter for ``x`` (see the module docstring)."""
    from ...data import DataLoader, Dataset, IterableDataset
    from ..utils.py_dataset import PyDataset
    if isinstance(x, DataAdapter):
        return x
    if isinstance(x, PyDataset):
        _no_y(y, sample_weight, "a keras.utils.PyDataset")
        # ember's stand-ins for Keras's tf.data datasets (image_dataset_from_directory & co.) keep their order:
        # fit's ``shuffle`` "is ignored when x is a generator or a tf.data.Dataset" (Keras's fit docstring)
        if getattr(x, "_stands_for_tf_data", False):
            shuffle = False
        return PyDatasetAdapter(x, steps, shuffle, class_weight, seed)
    if isinstance(x, DataLoader):
        _no_y(y, sample_weight, "a DataLoader")
        return LoaderDataAdapter(x, steps, class_weight)
    if isinstance(x, Dataset):
        _no_y(y, sample_weight, "a Dataset")
        iterable = isinstance(x, IterableDataset)
        loader = DataLoader(x, batch_size=batch_size or 32, shuffle=bool(shuffle) and not iterable)
        return LoaderDataAdapter(loader, steps, class_weight)
    if isinstance(x, (types.GeneratorType,)) or (hasattr(x, "__next__") and not hasattr(x, "__len__")):
        _no_y(y, sample_weight, "a generator")
        return GeneratorDataAdapter(x, steps, class_weight)
    if x is None:
        raise ValueError("Unexpected value for `x`: None. Pass input data (NumPy arrays, a Dataset, a DataLoader or "
                         "a generator)")
    return ArrayDataAdapter(x, y, sample_weight, batch_size, steps, shuffle, class_weight, seed)


def _no_y(y, sample_weight, what):
    if y is not None or sample_weight is not None:
        raise ValueError(f"When `x` is {what}, `y` and `sample_weight` must not be given: the batches already "
                         "contain the targets")


def train_validation_split(arrays, validation_split):
    """Keras's split: the last ``validation_split`` of the samples (before any shuffling) become validation data."""
    x, y, sw = arrays
    n = _num_samples((x, y, sw))
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to split it into a "
                         f"validation and training set as specified by `validation_split={validation_split}`.")
    first = (_take(x, slice(0, split_at)), _take(y, slice(0, split_at)),
             sw[:split_at] if sw is not None else None)
    second = (_take(x, slice(split_at, n)), _take(y, slice(split_at, n)),
              sw[split_at:] if sw is not None else None)
    return first, second
