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


@pytest.mark.parametrize("shape", [(64, 32, 26, 26), (7, 5)])
@pytest.mark.parametrize("fn", ["relu", "F.relu"])
def test_relu_on_threads_and_at_nan_and_signed_zeros_is_torchs(fn, shape):
    """relu on 1 and 2 threads gives torch's values; its gradient is torch's threshold_backward: zero where
    the result is <= 0, the incoming gradient elsewhere, NaN included (``g * (y > 0)`` dropped it)."""
    import numpy as np
    import torch
    rng = np.random.default_rng(2)
    x = rng.normal(size=shape).astype(np.float32)
    x.reshape(-1)[:3] = [0.0, -0.0, np.nan]
    g = rng.normal(size=shape).astype(np.float32)

    def run(lib, n):
        lib.set_num_threads(n)
        t = lib.tensor(x, requires_grad=True)
        y = (lib.relu if fn == "relu" else lib.nn.functional.relu)(t)
        y.backward(lib.tensor(g))
        return y.detach().numpy().copy(), t.grad.numpy().copy()

    before = ember.get_num_threads()
    try:
        one, two = run(ember, 1), run(ember, 2)
    finally:
        ember.set_num_threads(before)
    theirs = run(torch, 1)
    for a, b, c in zip(one, two, theirs):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(b, c)


@pytest.mark.parametrize("layout", ["permuted input", "permuted gradient", "both"])
def test_relu_of_large_permuted_views_gives_torchs_values_and_gradients(layout):
    """A channels-last view of a convolution's output (Keras's Conv2D) into relu with a contiguous gradient
    from the next layer: the result keeps the view's memory order (a blocked kernel once wrote the gradient
    into a flattened copy of it, and Keras's CNN trained to 10%); values and gradients are torch's."""
    import numpy as np
    import torch
    rng = np.random.default_rng(5)
    base = rng.normal(size=(32, 32, 26, 26)).astype(np.float32)
    g = rng.normal(size=(32, 26, 26, 32)).astype(np.float32)

    def run(lib, n):
        lib.set_num_threads(n)
        t = lib.tensor(base, requires_grad=True)
        x = t.permute(0, 2, 3, 1) if layout != "permuted gradient" else t.permute(0, 2, 3, 1).contiguous()
        y = lib.nn.functional.relu(x)
        gg = lib.tensor(np.ascontiguousarray(g.transpose(0, 3, 1, 2))).permute(0, 2, 3, 1) \
            if layout != "permuted input" else lib.tensor(g)
        y.backward(gg)
        return y.detach().numpy().copy(), t.grad.numpy().copy()

    before = ember.get_num_threads()
    try:
        one, two = run(ember, 1), run(ember, 2)
    finally:
        ember.set_num_threads(before)
    theirs = run(torch, 1)
    for a, b, c in zip(one, two, theirs):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, c)


_SLEEPING_PROBE = r"""
import os, time
import numpy as np
import ember
ember.set_num_threads(2)
a = np.ones((512, 512), np.float32)
main = os.getpid()
def states():
    out = []
    for tid in os.listdir("/proc/self/task"):
        if int(tid) != main:
            with open(f"/proc/self/task/{tid}/stat") as f:
                out.append(f.read().rsplit(")", 1)[1].split()[0])
    return out
seen = []
for _ in range(5):
    a @ a                       # a product on OpenBLAS's threads
    time.sleep(0.03)
    seen.append(states())
print(seen)
"""


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self/task"), reason="reads thread states from Linux's /proc")
@pytest.mark.parametrize("quiet", ["1", "0"])
def test_idle_openblas_threads_sleep_soon_after_a_product(quiet):
    """After a threaded product OpenBLAS's worker spins before it sleeps: 2**28 cycles (~0.1 s) by default,
    during which it holds a core ember's kernel threads need. ember shortens that at import (to under 1 ms):
    30 ms after a product the worker is asleep ('S'); with the setting off it is still spinning ('R')."""
    import ast
    import os
    import subprocess
    import sys
    env = dict(os.environ, EMBER_QUIET_BLAS_THREADS=quiet)
    env.pop("OPENBLAS_THREAD_TIMEOUT", None)
    out = subprocess.run([sys.executable, "-c", _SLEEPING_PROBE], capture_output=True, text=True, check=True,
                         env=env).stdout
    seen = ast.literal_eval(out.strip())
    assert all(seen), f"no OpenBLAS worker thread found: {seen}"
    asleep = [all(s == "S" for s in states) for states in seen]
    if quiet == "1":
        assert any(asleep), f"OpenBLAS's workers still spin 30 ms after a product: {seen}"
    else:
        assert not any(asleep), f"OpenBLAS's default spin (0.1 s) was expected: {seen}"
