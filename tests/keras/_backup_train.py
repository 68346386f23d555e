"""A training program for the BackupAndRestore test:
``python _backup_train.py BACKUP_DIR OUT.npz [KILL_EPOCH|-] [SAVE_FREQ]``.

With KILL_EPOCH it SIGKILLs itself in the middle of that epoch (after a few batches), as a crash would;
SAVE_FREQ (default ``epoch``) is BackupAndRestore's: an integer saves every that many batches."""
import os
import signal
import sys

import numpy as np

import ember
from ember import keras
from ember.keras import layers


def main():
    backup_dir, out = sys.argv[1], sys.argv[2]
    kill_epoch = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != "-" else None
    save_freq = int(sys.argv[4]) if len(sys.argv) > 4 else "epoch"
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 6)).astype(np.float32)
    y = (x[:, :3].sum(1) > 0).astype(np.int64)
    model = keras.Sequential([keras.Input((6,)), layers.Dense(16, activation="relu"), layers.Dropout(0.3),
                              layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    class Killer(keras.callbacks.Callback):
        epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == kill_epoch and batch == 2:
                os.kill(os.getpid(), signal.SIGKILL)

    seen = []
    record = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(epoch))
    model.fit(x, y, epochs=6, batch_size=16, verbose=0,
              callbacks=[keras.callbacks.BackupAndRestore(backup_dir, save_freq=save_freq), Killer(), record])
    np.savez(out, *model.get_weights(), epochs=np.array(seen), rng=ember.rand(3).numpy())


if __name__ == "__main__":
    main()
