"""``TensorBoard``: write per-epoch (and optionally per-batch) scalars to event files that the
``tensorboard`` viewer reads, without TensorFlow.

Training logs go to ``log_dir/train``, validation logs (``val_*`` keys, written without the
prefix) to ``log_dir/validation``, as tags ``epoch_loss``, ``epoch_accuracy`` ... (and
``epoch_learning_rate``), like Keras. With ``histogram_freq > 0`` each weight's histogram is
written too. The file format is in :mod:`ember.io.event_file`.
"""
import os

import numpy as np

from ...io.event_file import EventFileWriter
from .callback import Callback


class TensorBoard(Callback):
    """Args:
        log_dir (str): where to write (``log_dir/train`` and ``log_dir/validation``).
        histogram_freq (int): every this many epochs, write weight histograms (0: never).
        update_freq: ``'epoch'`` (default) or an integer: also write ``batch_*`` scalars every that many batches.
        write_graph, write_images, write_steps_per_second, profile_batch, embeddings_*: accepted.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq, self.update_freq = histogram_freq, update_freq
        self._writers = {}
        self._global_step = 0

    def _writer(self, name):
        if name not in self._writers:
            self._writers[name] = EventFileWriter(os.path.join(self.log_dir, name))
        return self._writers[name]

    def on_train_begin(self, logs=None):
        self._global_step = 0

    def on_train_batch_end(self, batch, logs=None):
        self._global_step += 1
        if isinstance(self.update_freq, int) and self._global_step % self.update_freq == 0:
            w = self._writer("train")
            for k, v in (logs or {}).items():
                if np.ndim(v) == 0:
                    w.add_scalar("batch_" + k, float(v), self._global_step)
            w.flush()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        opt = getattr(self.model, "optimizer", None)
        if opt is not None and hasattr(opt, "learning_rate") and "learning_rate" not in logs:
            try:
                logs["learning_rate"] = float(opt.learning_rate)
            except (TypeError, ValueError):
                pass
        train, val = self._writer("train"), None
        for k, v in logs.items():
            if np.ndim(v):
                continue
            if k.startswith("val_"):
                val = val or self._writer("validation")
                val.add_scalar("epoch_" + k[4:], float(v), epoch)
            else:
                train.add_scalar("epoch_" + k, float(v), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for layer in getattr(self.model, "layers", []):
                for i, w in enumerate(layer.weights):
                    train.add_histogram(f"{layer.name}/weight_{i}", np.asarray(w._data), epoch)
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs=None):
        for w in self._writers.values():
            w.close()
        self._writers = {}
