"""``keras.config``: global settings (float type, epsilon, image layout, dtype policy, logging, limits).

``backend()`` is ``'torch'``: ember.keras follows the PyTorch backend's idioms (``loss.backward()``,
``variable.value.grad``), so programs that branch on the backend take that branch.
``max_epochs`` / ``max_steps_per_epoch`` cap what ``fit`` runs (for quick test runs of real programs).

>>> from ember.keras import config
>>> config.floatx(), config.image_data_format()
('float32', 'channels_last')
"""
from . import backend as _backend
from .backend import epsilon, floatx, image_data_format, set_epsilon, set_floatx, set_image_data_format
from .dtype_policies import dtype_policy, set_dtype_policy
from .utils import disable_interactive_logging, enable_interactive_logging, is_interactive_logging_enabled

_settings = {"flash_attention": None, "traceback_filtering": True, "max_epochs": None, "max_steps_per_epoch": None,
             "unsafe_deserialization": False}


def backend():
    """The backend whose idioms ember.keras follows: ``'torch'``."""
    return "torch"


def set_backend(name):
    """ember.keras has one backend; ``'torch'`` (its idioms) is accepted, other names raise."""
    if name not in ("torch", "ember"):
        raise ValueError(f"keras.config.set_backend({name!r}): ember.keras runs on ember only (it follows the "
                         "'torch' backend's idioms); import keras itself for another backend")
    _backend.clear_session()


def enable_flash_attention():
    _settings["flash_attention"] = True


def disable_flash_attention():
    _settings["flash_attention"] = False


def is_flash_attention_enabled():
    """None (the default: attention layers choose), True or False."""
    return _settings["flash_attention"]


def enable_traceback_filtering():
    """Kept as a setting for Keras programs; ember's tracebacks are never filtered."""
    _settings["traceback_filtering"] = True


def disable_traceback_filtering():
    _settings["traceback_filtering"] = False


def is_traceback_filtering_enabled():
    return _settings["traceback_filtering"]


def enable_unsafe_deserialization():
    """Allow configs that carry code (a ``Lambda`` layer's bytecode) when loading."""
    from .saving import serialization_lib
    _settings["unsafe_deserialization"] = True
    serialization_lib._safe_mode[0] = False


def is_nnx_enabled():
    """Flax NNX is a JAX feature: always False."""
    return False


def max_epochs():
    return _settings["max_epochs"]


def set_max_epochs(max_epochs):
    """Cap every ``fit`` at ``max_epochs`` epochs (None: no cap)."""
    _settings["max_epochs"] = max_epochs


def max_steps_per_epoch():
    return _settings["max_steps_per_epoch"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap every epoch of ``fit`` at ``max_steps_per_epoch`` steps (None: no cap)."""
    _settings["max_steps_per_epoch"] = max_steps_per_epoch


__all__ = ["backend", "set_backend", "floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format",
           "set_image_data_format", "dtype_policy", "set_dtype_policy", "enable_interactive_logging",
           "disable_interactive_logging", "is_interactive_logging_enabled", "enable_flash_attention",
           "disable_flash_attention", "is_flash_attention_enabled", "enable_traceback_filtering",
           "disable_traceback_filtering", "is_traceback_filtering_enabled", "enable_unsafe_deserialization",
           "is_nnx_enabled", "max_epochs", "set_max_epochs", "max_steps_per_epoch", "set_max_steps_per_epoch"]
