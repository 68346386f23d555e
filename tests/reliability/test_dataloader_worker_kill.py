"""A DataLoader never hangs on a dead worker, and workers never outlive their parent.

Each probe runs in its own interpreter under a timeout, so a hang fails the test instead of
stalling the suite.
"""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

KILL_MID_TRANSFER = """
    import os, random, signal, sys, threading, time
    import numpy as np
    import ember
    from ember.utils.data import DataLoader, Dataset

    class Big(Dataset):          # 8 MB per sample: a kill lands inside a transfer
        def __len__(self):
            return 1000
        def __getitem__(self, i):
            return np.full((1024, 1024), i, dtype=np.float64)

    delay = float(sys.argv[1])
    loader = DataLoader(Big(), batch_size=2, num_workers=2)
    it = iter(loader)
    next(it)
    victim = it._workers[random.Random(delay).randrange(2)].pid
    threading.Timer(delay, os.kill, (victim, signal.SIGKILL)).start()
    t0 = time.monotonic()
    try:
        for _ in it:
            pass
    except RuntimeError as e:
        assert "exited unexpectedly" in str(e) and "SIGKILL" in str(e), e
        print(f"raised after {time.monotonic() - t0:.2f}s")
        sys.exit(0)
    sys.exit("the loader ended without noticing the dead worker")
"""


@pytest.mark.parametrize("delay", [0.0, 0.003, 0.01, 0.02, 0.05, 0.1])
def test_worker_killed_mid_transfer_raises_within_seconds(delay):
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(KILL_MID_TRANSFER), str(delay)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "raised after" in r.stdout


PARENT = """
    import sys, time
    import ember
    from ember.utils.data import DataLoader, Dataset

    class Slow(Dataset):
        def __len__(self):
            return 10 ** 6
        def __getitem__(self, i):
            time.sleep(0.01)
            return ember.zeros(256, 256)

    it = iter(DataLoader(Slow(), batch_size=4, num_workers=2))
    next(it)
    print(" ".join(str(w.pid) for w in it._workers), flush=True)
    time.sleep(60)
"""


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:        # a zombie waiting for init to reap it is gone
        return f.read().split(")")[-1].split()[0] != "Z"


def test_workers_exit_when_the_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(PARENT)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in pids), "workers outlived their parent"
    finally:
        parent.kill()
