"""``import ember`` leaves NumPy's error state alone (issue: it used to silence it for the user's code)."""
import subprocess
import sys
import textwrap


def _run(code):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_import_keeps_numpy_error_state_and_user_warnings():
    r = _run("""
        import warnings, numpy as np
        np.seterr(over="raise")
        before = np.geterr()
        import ember, ember.nn, ember.keras
        assert np.geterr() == before, (before, np.geterr())
        with warnings.catch_warnings(record=True) as w:
            np.log(np.zeros(1))          # the user's own NumPy call still warns
        assert len(w) == 1 and issubclass(w[0].category, RuntimeWarning), w
        print("ok")
    """)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_ember_ops_stay_silent_like_torch():
    r = _run("""
        import warnings, numpy as np, ember
        with warnings.catch_warnings(record=True) as w:
            a = ember.log(ember.tensor([0.0, -1.0]))
            b = ember.tensor([1.0, 0.0]) / 0
            c = ember.exp(ember.tensor([1000.0]))
        assert not w, [str(x.message) for x in w]
        assert np.isneginf(a.numpy()[0]) and np.isnan(a.numpy()[1])
        assert np.isposinf(b.numpy()[0]) and np.isnan(b.numpy()[1]) and np.isposinf(c.numpy()[0])
        print("ok")
    """)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
