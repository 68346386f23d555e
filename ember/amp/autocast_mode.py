"""``ember.autocast`` / ``ember.amp.autocast``: PyTorch's autocast regions, recorded but not cast.

PyTorch's CPU autocast runs matmul, linear and convolution in bfloat16 and keeps losses and
reductions in float32. ember keeps the region's state (``is_autocast_enabled``,
``get_autocast_dtype``, nesting, the cache flag) exactly as PyTorch does, so code that enters,
nests, queries or decorates with autocast runs unchanged; but the ops inside keep computing in
their inputs' dtype (float32), which is within bfloat16's tolerance of PyTorch's results.

Why not cast: we measured ml_dtypes' bfloat16 (``pip install 'ember[bfloat16]'``, which gives
``ember.bfloat16`` as a storage dtype): a 1024x1024 matmul takes 18 ms against 16 ms in float32, so
speed is not the obstacle. The obstacle is that its arrays report NumPy kind ``'V'`` and its
matmul returns float32, so every op that asks "is this a floating-point array" (about two hundred
checks across ember) and every matmul-based kernel would have to learn bfloat16 before an
autocast region could hand bfloat16 tensors from op to op. Until then a region that silently
changed some dtypes and failed in the next op would be worse than one that computes in float32.
So outputs are float32 where PyTorch's are bfloat16 (and ``GradScaler`` still scales exactly as
PyTorch's CPU scaler does).

>>> import ember
>>> with ember.autocast("cpu"):
...     ember.is_autocast_enabled("cpu")
True
>>> ember.is_autocast_enabled("cpu")
False
"""
import functools
import warnings

from ..backend import dtypes as _dt

# Device types PyTorch accepts for autocast; only the CPU computes in ember.
_DEVICES = ("cpu", "cuda", "mps", "xpu", "hpu", "ipu", "xla", "mtia", "maia")


class _State:
    def __init__(self):
        self.enabled = {}  # device type -> bool
        self.dtype = {}  # device type -> ember dtype (unset: the device's default)
        self.cache_enabled = True
        self.nesting = 0


_state = _State()


def _check_device(device_type):
    if device_type not in _DEVICES:
        raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")


def is_autocast_available(device_type):
    """Whether autocast accepts ``device_type`` (``"cpu"``, ``"cuda"``, ...)."""
    return device_type in _DEVICES


def get_autocast_dtype(device_type):
    """The dtype autocast records for ``device_type``: bfloat16 on the CPU, float16 on CUDA by default.

    The CPU's default needs ``ember.bfloat16`` (the ``bfloat16`` extra, ml_dtypes)."""
    _check_device(device_type)
    d = _state.dtype.get(device_type)
    if d is not None:
        return d
    if device_type in ("cuda", "mps", "mtia", "maia"):
        return _dt.float16
    from ..backend.bfloat16 import bfloat16
    return bfloat16()


def set_autocast_dtype(device_type, dtype):
    _check_device(device_type)
    _state.dtype[device_type] = None if dtype is None else _dt.to_dtype(dtype)


def is_autocast_enabled(device_type=None):
    """Whether an autocast region for ``device_type`` (default ``"cuda"``, as in PyTorch) is active."""
    device_type = "cuda" if device_type is None else device_type
    _check_device(device_type)
    return _state.enabled.get(device_type, False)


def set_autocast_enabled(device_type, enabled=None):
    if enabled is None:  # the old one-argument form sets CUDA's flag
        device_type, enabled = "cuda", device_type
    _check_device(device_type)
    _state.enabled[device_type] = bool(enabled)


def is_autocast_cpu_enabled():
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled):
    set_autocast_enabled("cpu", enabled)


def get_autocast_cpu_dtype():
    return get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype):
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype():
    return get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype):
    set_autocast_dtype("cuda", dtype)


def is_autocast_cache_enabled():
    return _state.cache_enabled


def set_autocast_cache_enabled(enabled):
    _state.cache_enabled = bool(enabled)


def clear_autocast_cache():
    """Nothing is cached: ember casts nothing inside autocast."""


def autocast_increment_nesting():
    _state.nesting += 1
    return _state.nesting


def autocast_decrement_nesting():
    _state.nesting -= 1
    return _state.nesting


class autocast:
    """A region (context manager or decorator) in which PyTorch runs eligible ops in ``dtype``.

    Args:
        device_type (str): ``"cpu"`` or ``"cuda"`` (also ``"mps"``, ``"xpu"``, ...). CUDA does not exist
            in ember, so a CUDA region is disabled with PyTorch's warning, as PyTorch does without a GPU.
        dtype (ember.dtype, optional): recorded as the region's dtype; default
            ``get_autocast_dtype(device_type)``. The CPU accepts bfloat16 and float16 (others warn and
            disable the region, as in PyTorch).
        enabled (bool): whether the region is active. Default: True.
        cache_enabled (bool, optional): recorded; default ``is_autocast_cache_enabled()``.

    The ops inside compute in their inputs' dtype: see the module docstring for why.

    >>> import ember
    >>> @ember.autocast("cpu", dtype=ember.float16)
    ... def f():
    ...     return ember.get_autocast_dtype("cpu")
    >>> f()
    ember.float16
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        _check_device(device_type)
        self.device = device_type
        self.fast_dtype = None if dtype is None else _dt.to_dtype(dtype)
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None else bool(cache_enabled)
        if enabled and device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", UserWarning,
                          stacklevel=2)
            enabled = False
        elif enabled and self.fast_dtype is not None and self.fast_dtype.name not in ("bfloat16", "float16"):
            name = device_type.upper()
            warnings.warn(f"In {name} autocast, but the target dtype is not supported. Disabling autocast.\n"
                          f"{name} Autocast only supports dtypes of ember.bfloat16, ember.float16 currently.",
                          UserWarning, stacklevel=2)
            enabled = False
        self._enabled = bool(enabled)

    def __enter__(self):
        self._prev = (_state.enabled.get(self.device, False), _state.dtype.get(self.device),
                      _state.cache_enabled)
        _state.enabled[self.device] = self._enabled
        if self.fast_dtype is not None:
            _state.dtype[self.device] = self.fast_dtype
        autocast_increment_nesting()
        _state.cache_enabled = self._cache_enabled
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        _state.enabled[self.device], _state.dtype[self.device], _state.cache_enabled = self._prev
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(f"autocast()(func) requires a callable, but got {type(func).__name__}. Did you mean "
                            f"to use autocast as a context manager? For example:\n"
                            f"    with ember.autocast(device_type=...):\n        output = model(input)")

        @functools.wraps(func)
        def run(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return run


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom autograd ``forward``; autocast casts nothing in ember, so it returns
    ``fwd`` run as is (``cast_inputs`` is accepted for portability)."""
    _check_device(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom autograd ``backward``; see :func:`custom_fwd`."""
    _check_device(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd
