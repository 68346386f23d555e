"""``ember.serialization``: PyTorch's ``torch.serialization`` names over :mod:`ember.io`.

``save``/``load`` write and read safetensors files (never pickle); the allow-list says which
classes ``load`` may rebuild when a file holds whole modules (see :mod:`ember.io.objects`).

>>> import ember
>>> from ember import nn
>>> with ember.serialization.safe_globals([nn.Linear]):
...     nn.Linear in ember.serialization.get_safe_globals()
True
"""
import json

from ember.io import safetensors as _safetensors
from ember.io.objects import (RefusedGlobal, add_safe_globals, clear_safe_globals, get_safe_globals,  # noqa: F401
                              names_in as _names_in, safe_globals)
from ember.io.serialization import load, save  # noqa: F401

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "get_unsafe_globals_in_checkpoint", "RefusedGlobal"]


def get_unsafe_globals_in_checkpoint(f):
    """The classes and functions (``"module.name"``) that the file at ``f`` names and the
    allow-list does not hold: what ``load(f, weights_only=True)`` would refuse."""
    _, metadata = _safetensors.load_file_with_metadata(f)
    structure = (metadata or {}).get("ember.structure")
    names = _names_in(json.loads(structure)) if structure else []
    allowed = {e[1] if isinstance(e, tuple) else f"{e.__module__}.{e.__qualname__}" for e in get_safe_globals()}
    return [n for n in names if n not in allowed]
