"""``detect_anomaly``: find the forward op whose backward produced NaN or inf.

While enabled, every recorded node keeps the stack of the forward call that made
it, and the engine checks each gradient a node returns; the first non-finite one
raises an error naming the node and showing where its forward op ran.

>>> import ember
>>> x = ember.tensor([0.0], requires_grad=True)
>>> with ember.autograd.detect_anomaly():
...     try:
...         ember.sqrt(x).sum().backward()
...     except RuntimeError as e:
...         print(str(e).splitlines()[0])
Function 'SqrtBackward0' returned nan or inf values in its 0th output.
"""

import numpy as np


class _State:
    enabled = False    # nodes remember the stack of their forward call
    check_nan = True   # and the engine checks each gradient for NaN / inf


state = _State()


def set_anomaly_enabled(enabled, check_nan=True):
    """Turn anomaly mode on or off (``torch.set_anomaly_enabled``); ``check_nan=False`` keeps the
    forward stacks without checking gradients."""
    state.enabled = bool(enabled)
    state.check_nan = bool(check_nan)


def is_anomaly_enabled():
    return state.enabled


def is_anomaly_check_nan_enabled():
    return state.check_nan


class detect_anomaly:
    """Context manager and decorator: anomaly mode on inside, the previous setting restored after."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = (state.enabled, state.check_nan)
        set_anomaly_enabled(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        set_anomaly_enabled(*self._prev)
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly(detect_anomaly):
    """Set anomaly mode now (a function call) or for a ``with`` block (restored at its end)."""

    def __init__(self, mode, check_nan=True):
        self._prev = (state.enabled, state.check_nan)
        self.mode = bool(mode)
        self.check_nan = check_nan
        set_anomaly_enabled(self.mode, check_nan)

    def __enter__(self):
        return self


def remember_stack(node):
    import traceback   # on use: it is not needed by most programs
    node.metadata["traceback_"] = traceback.format_stack()[:-3]


def check(node, grads):
    if not state.check_nan:
        return
    for i, g in enumerate(grads):
        data = None if g is None else g._v._data if g._sparse else g._data
        if data is not None and data.dtype.kind == "f" and not np.isfinite(data).all():
            where = "".join(node.metadata.get("traceback_", ())) or \
                "(the forward call was made before anomaly detection was enabled)\n"
            raise RuntimeError(f"Function '{node.name}' returned nan or inf values in its {i}th output.\n"
                               f"The forward call that made it:\n{where}")
