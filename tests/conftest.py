import os
import sys

# The programs, launchers and ranks that tests start are fresh interpreters: with bytecode caching off
# (PYTHONDONTWRITEBYTECODE, set on some machines) each would compile ember anew (0.76 s against 0.28 s for
# ember.torch_compat + nn + optim + keras). Cache it, as an installed package has it.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# Keras 3, the oracle of ember.keras, runs on the PyTorch backend (no TensorFlow here).
os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest

# Oracle tests never skip: a missing PyTorch is an error in CI, not a skip.
import torch  # noqa: F401

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    import ember
    ember.manual_seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    yield
