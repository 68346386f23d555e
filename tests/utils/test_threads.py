"""ember.set_num_threads sets the threads of the OpenBLAS NumPy uses (as torch.set_num_threads sets
PyTorch's), read back through OpenBLAS's own getter."""
import pytest

import ember
from ember.backend import threads


def test_set_num_threads_reaches_openblas():
    setter, getter = threads.openblas()
    assert setter is not None and getter is not None, "NumPy's wheels ship OpenBLAS on this platform"
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1 and getter() == 1
        ember.set_num_threads(2)
        assert ember.get_num_threads() == 2 and getter() == 2
    finally:
        ember.set_num_threads(before)


def test_set_num_threads_refuses_what_torch_refuses():
    with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
        ember.set_num_threads(0)
