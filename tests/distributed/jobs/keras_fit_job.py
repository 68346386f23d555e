"""Keras ``model.fit`` launched under MPI: data-parallel without any change to the program. Rank 0's
initial weights, every rank's final weights and rank 0's history go to OUT."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _data import B, HIDDEN, IN, LR, MOMENTUM, OUT, data  # noqa: E402

import ember  # noqa: E402
from ember import keras  # noqa: E402

out_dir = sys.argv[1]
rank = int(os.environ["PMI_RANK"])
ember.manual_seed(10 + rank)      # the ranks start apart: fit must copy rank 0's weights
model = keras.Sequential([keras.Input((IN,)), keras.layers.Dense(HIDDEN, activation="tanh"),
                          keras.layers.Dense(OUT)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR, momentum=MOMENTUM), loss="mse")
if rank == 0:
    np.savez(os.path.join(out_dir, "keras_init.npz"), *[w.numpy() for w in model.weights])
x, y = data(6 * 2 * B + 3, seed=3)        # 6 full global batches of 2B rows and a last one of 3 (2 + 1)
callbacks = [keras.callbacks.CSVLogger(os.path.join(out_dir, f"log{rank}.csv")),
             keras.callbacks.ModelCheckpoint(os.path.join(out_dir, f"ckpt{rank}.weights.safetensors"),
                                             save_weights_only=True, monitor="loss")]
history = model.fit(x, y, batch_size=2 * B, epochs=2, shuffle=False, verbose=2, callbacks=callbacks)
np.savez(os.path.join(out_dir, f"keras_final{rank}.npz"), *[w.numpy() for w in model.weights])
evaluated = model.evaluate(x, y, batch_size=16, verbose=1)       # whole on every rank, printed by rank 0
with open(os.path.join(out_dir, f"history{rank}.json"), "w") as f:
    json.dump(history.history | {"evaluate": evaluated}, f)
