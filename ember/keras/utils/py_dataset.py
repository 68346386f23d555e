"""``keras.utils.PyDataset`` (and its old name ``Sequence``): a dataset of whole batches.

Subclass it with ``__len__`` (number of batches) and ``__getitem__(index)`` returning a
batch ``(x, y)`` or ``(x, y, sample_weight)``; ``on_epoch_begin`` runs before and ``on_epoch_end`` after
each epoch (``fit(shuffle=True)``, the default, fetches the batches in a new random order every epoch).
"""


class PyDataset:
    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers, self.use_multiprocessing, self.max_queue_size = workers, use_multiprocessing, max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


Sequence = PyDataset
