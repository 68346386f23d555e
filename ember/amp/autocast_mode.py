"""``ember.autocast`` / ``ember.amp.autocast``: PyTorch's autocast regions.

Inside an enabled CPU region, as in PyTorch, the ops of its ``lower_precision_fp`` list (linear, matmul /
mm / bmm, addmm, baddbmm, the convolutions and transposed convolutions, scaled_dot_product_attention)
cast their float32 (and float16) tensor arguments to the region's dtype (bfloat16 by default, which needs
ml_dtypes, the ``bfloat16`` extra) and return that dtype; the losses of its ``fp32`` list (cross_entropy,
nll_loss, mse/l1/smooth_l1/huber, kl_div, binary cross entropy) cast bfloat16 and float16 arguments to
float32; every other op runs in its inputs' dtype, bfloat16 included. float64 tensors are never cast. The
casts are differentiable, so the gradients of float32 leaves are float32. The region's state
(``is_autocast_enabled``, ``get_autocast_dtype``, nesting, the cache flag) is PyTorch's; ember caches no
casts. Ops read one flag (:data:`active`) to learn whether a region is on. CUDA regions are disabled with
PyTorch's warning (there is no CUDA); ``GradScaler`` scales as PyTorch's CPU scaler does.

>>> import ember
>>> with ember.autocast("cpu"):
...     ember.is_autocast_enabled("cpu")
True
>>> ember.is_autocast_enabled("cpu")
False
"""
import functools
import warnings

from ..autograd.autocast_state import active, _cast_args
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


def _refresh():
    on = _state.enabled.get("cpu", False)
    try:
        active.dtype = get_autocast_dtype("cpu") if on else None
    except ImportError:  # bfloat16 without ml_dtypes: the region is recorded, and ops keep their dtypes
        on, active.dtype = False, None
    active.cpu = on


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
    _refresh()


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
    _refresh()


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

    Inside an enabled CPU region PyTorch's eligible ops run in ``dtype``: see the module docstring.

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
        _refresh()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        _state.enabled[self.device], _state.dtype[self.device], _state.cache_enabled = self._prev
        _refresh()
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
    """Decorator for a custom autograd ``forward``: with ``cast_inputs`` and an enabled region of
    ``device_type``, the floating tensor arguments are cast to ``cast_inputs`` and ``fwd`` runs with
    autocast disabled, as PyTorch's; otherwise ``fwd`` runs as is."""
    _check_device(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    if cast_inputs is None:
        return fwd
    to = _dt.to_dtype(cast_inputs)

    @functools.wraps(fwd)
    def run(*args, **kwargs):
        if not is_autocast_enabled(device_type):
            return fwd(*args, **kwargs)
        args, kwargs = _cast_args(args, kwargs, ("float16", "bfloat16", "float32"), to)
        with autocast(device_type, enabled=False):
            return fwd(*args, **kwargs)
    return run


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom autograd ``backward``; see :func:`custom_fwd`."""
    _check_device(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd
