"""``import ember`` stays quick: it loads NumPy's core, not the modules a program may never use.

Measured (``python -m benchmarks.overhead``, bytecode cached): 27 ms -> 13 ms after numpy when the
default generator's stream (numpy.random, 8 ms) and glibc's lookup (ctypes.util, subprocess, 6 ms)
became lazy. Timing belongs to the benchmarks; this test checks what gets imported.
"""
import subprocess
import sys

import ember

# Each of these cost milliseconds at import and is needed only by some programs, on first use.
LAZY = ("numpy.random", "subprocess", "ctypes.util", "json", "traceback", "concurrent.futures", "logging",
        "ml_dtypes", "scipy", "torch", "keras")


def test_import_ember_leaves_heavy_modules_unloaded():
    code = ("import sys, numpy; before = set(sys.modules); import ember; "
            f"print(sorted(m for m in {LAZY!r} if m in sys.modules and m not in before))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"import ember loaded {out.strip()}"


def test_lazy_default_generator_draws_torchs_numbers_from_the_default_seed():
    torch = __import__("torch")
    code = "import ember; print(ember.rand(3).tolist(), ember.initial_seed())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    g = torch.Generator()   # a fresh torch generator has the default seed, as a fresh ember process has
    assert out.strip() == f"{torch.rand(3, generator=g).tolist()} {g.initial_seed()}"


def test_generator_seeded_before_first_use_and_state_round_trip():
    torch = __import__("torch")
    g = ember.Generator().manual_seed(7)
    st = g.get_state()
    t = torch.Generator().manual_seed(7)
    assert bytes(st.numpy()) == bytes(t.get_state().numpy())
    assert ember.randn(20, generator=g).tolist() == torch.randn(20, generator=t).tolist()
    g.set_state(st)
    t.set_state(torch.from_numpy(st.numpy()))
    assert ember.rand(5, generator=g).tolist() == torch.rand(5, generator=t).tolist()
