"""Process-wide switches that PyTorch programs set: default device, float32 matmul precision,
determinism, warn-always. ember runs deterministically on the CPU, so most are recorded and reported
back rather than changing computation.

>>> import ember
>>> ember.set_float32_matmul_precision("high")
>>> ember.get_float32_matmul_precision()
'high'
>>> ember.set_float32_matmul_precision("highest")
"""
from .tensor import device as _device, _factory

_state = {"matmul_precision": "highest", "deterministic": False, "warn_only": False, "warn_always": False,
          "interop_threads": 1}


def get_default_device():
    """The device factory calls without ``device=`` make tensors on: the CPU, or meta (``set_default_device``,
    ``with ember.device("meta")``)."""
    return _device("meta") if _factory.device is not None else _device("cpu")


def set_default_device(device):
    """The CPU, the meta device or ``None`` (the CPU) is accepted."""
    kind = None if device is None else _device(device).type
    if kind not in (None, "cpu", "meta"):
        raise RuntimeError(f"set_default_device: ember runs on the CPU only, got device {device!r}")
    _factory.device = _device("meta") if kind == "meta" else None


def set_float32_matmul_precision(precision):
    """Recorded only: NumPy's float32 matmul has one precision ('highest')."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}: expected one of 'highest', 'high', 'medium'")
    _state["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _state["matmul_precision"]


def use_deterministic_algorithms(mode, *, warn_only=False):
    """ember's ops are deterministic already; the setting is recorded so it can be read back."""
    _state["deterministic"], _state["warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _state["warn_only"]


def set_deterministic_debug_mode(debug_mode):
    """``"default"``/0, ``"warn"``/1 or ``"error"``/2, as PyTorch."""
    modes = {"default": 0, "warn": 1, "error": 2}
    if isinstance(debug_mode, str):
        if debug_mode not in modes:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but "
                               f"got {debug_mode}")
        debug_mode = modes[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


def set_warn_always(b):
    _state["warn_always"] = bool(b)


def is_warn_always_enabled():
    return _state["warn_always"]


def set_flush_denormal(mode):
    """NumPy cannot flush denormals: returns False (unsupported), as PyTorch does on such CPUs."""
    return False


def set_num_interop_threads(n):
    _state["interop_threads"] = int(n)


def get_num_interop_threads():
    return _state["interop_threads"]
