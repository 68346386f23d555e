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
import traceback

import numpy as np


class _State:
    enabled = False


state = _State()


class detect_anomaly:
    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self.check_nan
        return self

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly(detect_anomaly):
    def __init__(self, mode, check_nan=True):
        self._prev = state.enabled
        state.enabled = bool(mode) and check_nan
        self.check_nan = bool(mode) and check_nan


def is_anomaly_enabled():
    return state.enabled


def remember_stack(node):
    node.metadata = "".join(traceback.format_stack()[:-3])


def check(node, grads):
    for i, g in enumerate(grads):
        if g is not None and g._data.dtype.kind == "f" and not np.isfinite(g._data).all():
            where = node.metadata or "(the forward call was made before anomaly detection was enabled)\n"
            raise RuntimeError(f"Function '{node.name}' returned nan or inf values in its {i}th output.\n"
                               f"The forward call that made it:\n{where}")
