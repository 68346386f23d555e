"""Shared logic of callbacks that watch a logged quantity (``monitor``, ``mode``, ``min_delta``)."""
import warnings

import numpy as np


def resolve_mode(monitor, mode, callback_name):
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{callback_name} mode {mode} is unknown, fallback to auto mode.", stacklevel=3)
        mode = "auto"
    if mode == "auto":
        mode = "max" if ("acc" in monitor or monitor.endswith("auc") or "precision" in monitor
                         or "recall" in monitor) and not monitor.endswith("loss") else "min"
    return mode


def is_improvement(mode, current, reference, min_delta):
    if reference is None:
        return True
    if mode == "min":
        return np.less(current - min_delta, reference)
    return np.greater(current - min_delta, reference)
