"""``BackupAndRestore``: resume a ``fit`` that was interrupted (a killed process, a pre-empted machine).

At the end of every epoch (or every ``save_freq`` batches) the callback writes, atomically,
one ember checkpoint (safetensors) to ``backup_dir``: the model's weights, the optimizer's
state (moments and iteration count), ember's random-generator state and the epoch reached.
When ``fit`` starts again with the same callback directory, it loads that checkpoint and
continues from the next epoch; with an integer ``save_freq`` it continues inside the epoch,
after the last batch it saved. The batches (data order, dropout masks) are the same as in an
uninterrupted run, so the final weights are too, bit for bit. (The epoch's running metrics
restart with the resumed batches.) The backup is deleted when ``fit``
finishes (``delete_checkpoint=True``).
"""
import os
import shutil

import numpy as np

from .callback import Callback


class BackupAndRestore(Callback):
    """Args:
        backup_dir (str): where the checkpoint lives (created if needed).
        save_freq: ``'epoch'`` (default), an integer number of batches, or False (never save).
        delete_checkpoint (bool): remove the backup when training ends normally.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and save_freq is not False and not isinstance(save_freq, int):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. "
                             "Expected either 'epoch' or an integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq, self.delete_checkpoint = save_freq, delete_checkpoint
        self._file = os.path.join(self.backup_dir, "latest.safetensors")
        self._current_epoch = 0
        self._batches_seen = 0

    def on_train_begin(self, logs=None):
        import ember
        if not os.path.exists(self._file):
            return
        state = ember.load(self._file)
        self.model.set_weights(list(state["weights"]))
        optimizer = self.model.optimizer
        if state.get("optimizer") is not None and hasattr(optimizer, "load_state_dict"):
            if hasattr(optimizer, "built") and not optimizer.built:
                optimizer.build(self.model.trainable_weights)
            optimizer.load_state_dict(state["optimizer"])
        ember.set_rng_state(state["rng"])
        self._batches_seen = int(state.get("batches_seen", 0))
        if state.get("epoch_done", True):
            self.model._initial_epoch = int(state["epoch"]) + 1
        else:
            self.model._initial_epoch = int(state["epoch"])
            self.model._initial_step = int(state["step"]) + 1

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if isinstance(self.save_freq, int) and not isinstance(self.save_freq, bool):
            self._batches_seen += 1
            if self._batches_seen % self.save_freq == 0:
                self._save(self._current_epoch, epoch_done=False, step=batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, epoch_done=True)

    def _save(self, epoch, epoch_done, step=-1):
        import ember
        os.makedirs(self.backup_dir, exist_ok=True)
        optimizer = self.model.optimizer
        state = {
            "epoch": int(epoch),
            "epoch_done": bool(epoch_done),
            "step": int(step),
            "batches_seen": int(self._batches_seen),
            "weights": [np.array(w) for w in self.model.get_weights()],
            "optimizer": optimizer.state_dict() if hasattr(optimizer, "state_dict") else None,
            "rng": ember.get_rng_state(),
        }
        ember.save(state, self._file)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir, ignore_errors=True)
