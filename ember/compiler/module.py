"""``CompiledModule``: what ``ember.compile(model)`` returns, a module whose calls replay.

As ``torch.compile`` does, it wraps the model as ``_orig_mod`` (so its ``state_dict``
keys carry that prefix), shares its parameters, and forwards attribute lookups to it;
``train()`` / ``eval()`` reach the model, and the replay traces again when the mode
changes.
"""
from ..nn.module import Module
from .compiled import CompiledFunction


class CompiledModule(Module):
    """A module whose ``__call__`` is ``ember.compile(model.__call__)``; see :func:`ember.compile`."""

    def __init__(self, model, fullgraph=False):
        super().__init__()
        self._orig_mod = model
        self.__dict__["_compiled_call"] = CompiledFunction(model.__call__, fullgraph=fullgraph)

    def forward(self, *args, **kwargs):
        return self.__dict__["_compiled_call"](*args, **kwargs)

    def __call__(self, *args, **kwargs):
        return self.__dict__["_compiled_call"](*args, **kwargs)

    @property
    def fallback_reason(self):
        return self.__dict__["_compiled_call"].fallback_reason

    @property
    def replays(self):
        return self.__dict__["_compiled_call"].replays

    def explain(self):
        return self.__dict__["_compiled_call"].explain()

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.__dict__["_modules"]["_orig_mod"], name)
