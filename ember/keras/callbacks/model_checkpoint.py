"""``ModelCheckpoint``: save the model (or its weights) during training, optionally only the best."""
import os
import warnings

import numpy as np

from ._monitor import is_improvement, resolve_mode
from .callback import Callback


class ModelCheckpoint(Callback):
    """Save after every epoch (or every ``save_freq`` batches) to ``filepath``, which may hold
    ``{epoch:02d}`` and log keys (``'model-{epoch:02d}-{val_loss:.2f}.keras'``).

    Args:
        monitor (str): the quantity that decides "best" (default ``'val_loss'``).
        save_best_only (bool): save only when ``monitor`` improves.
        save_weights_only (bool): save ``model.save_weights`` (``.weights.h5``/safetensors content)
            instead of the whole model (``.keras``).
        mode (str): 'min', 'max' or 'auto'.
        initial_value_threshold (float): a first value the monitor must beat.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only, self.save_freq = save_best_only, save_weights_only, save_freq
        self.mode = resolve_mode(monitor, mode, "ModelCheckpoint")
        self.best = initial_value_threshold
        self._batches_seen = 0
        self._current_epoch = 0
        if save_weights_only:
            if not self.filepath.endswith((".weights.h5", ".weights.safetensors")):
                raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided "
                                 "must end in `.weights.h5` (Keras 3.x format) or `.weights.safetensors`. "
                                 f"Received: filepath={self.filepath}")
        elif not self.filepath.endswith(".keras"):
            raise ValueError("The filepath provided must end in `.keras` (Keras model format). Received: "
                             f"filepath={self.filepath}")

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if isinstance(self.save_freq, int):
            self._batches_seen += 1
            if self._batches_seen % self.save_freq == 0:
                self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _path(self, epoch, batch, logs):
        try:
            if batch is None:
                return self.filepath.format(epoch=epoch + 1, **(logs or {}))
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **(logs or {}))
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}') from None

    def _save(self, epoch, batch, logs):
        logs = logs or {}
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available, skipping.", stacklevel=3)
                return
            if not is_improvement(self.mode, current, self.best, 0) or (isinstance(current, float)
                                                                        and np.isnan(current)):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                previous = "inf" if self.best is None else f"{self.best:.5f}"
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {previous} to {current:.5f}, saving model "
                      f"to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        dirname = os.path.dirname(path)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)
