"""``torch.utils.hooks``: the handle every ``register_*_hook`` returns, and hook markers.

>>> from ember import nn
>>> layer = nn.Linear(2, 2)
>>> handle = layer.register_forward_hook(lambda m, i, o: None)
>>> isinstance(handle, RemovableHandle)
True
>>> handle.remove()
"""
import warnings

from ember.nn.hooks import RemovableHandle

__all__ = ["RemovableHandle", "unserializable_hook", "warn_if_has_hooks"]


def unserializable_hook(f):
    """Mark ``f`` as a hook that is not saved with its tensor (silences :func:`warn_if_has_hooks`)."""
    f.__torch_unserializable__ = True
    return f


def warn_if_has_hooks(tensor):
    """Warn for each backward hook of ``tensor`` that saving it would drop."""
    for hook in (getattr(tensor, "_backward_hooks", None) or {}).values():
        if not hasattr(hook, "__torch_unserializable__"):
            warnings.warn(f"backward hook {hook!r} on tensor will not be serialized.  If this is expected, you can "
                          "decorate the function with @torch.utils.hooks.unserializable_hook to suppress this "
                          "warning", stacklevel=2)
