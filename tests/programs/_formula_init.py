"""Initial weights that come from neither framework's random stream: each state_dict entry drawn
from NumPy, seeded by a hash of its name, so a torchvision run recorded elsewhere and the ember run
here start from the same network. Weights (2-D and up) are He-normal (std sqrt(2 / fan_in)), halved
so that a deep residual stack stays well scaled; norm weights 1, biases 0, running means 0,
running variances 1, counters 0."""
import zlib

import numpy as np


def formula_state(keys_shapes):
    state = {}
    for key, shape in keys_shapes:
        shape = tuple(shape)
        leaf = key.rsplit(".", 1)[-1]
        if leaf == "num_batches_tracked":
            state[key] = np.zeros(shape, np.int64)
        elif leaf in ("running_var",) or (leaf == "weight" and len(shape) == 1):
            state[key] = np.ones(shape, np.float32)
        elif leaf in ("running_mean", "bias"):
            state[key] = np.zeros(shape, np.float32)
        else:
            rng = np.random.RandomState(zlib.crc32(key.encode()))
            std = 0.5 * np.sqrt(2.0 / max(1, int(np.prod(shape[1:]))))
            state[key] = (rng.standard_normal(shape) * std).astype(np.float32)
    return state


def write_formula_init(path, keys_shapes):
    np.savez(path, **formula_state(keys_shapes))
    return path
