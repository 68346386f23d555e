"""Errors that name the layer: ``ModuleInputError`` and the rewriting of errors escaping submodules.

A layer that rejects its input raises :func:`input_error`, whose message starts with the
layer (``Linear(in_features=784, ...): expected ...``). Any error escaping a module's
``forward`` is tagged with that module; each enclosing ``Module.__call__`` then
rewrites the message to start with the module's path in the model
(``Net.fc1 (Linear(in_features=784, ...)): ...``), so the outermost call names the full path.
"""


def _locate_error(module, e):
    """Rewrite an error escaping a submodule's forward so it names the submodule's path in ``module``."""
    origin = getattr(e, "_ember_module", None)
    if origin is None:
        try:
            e._ember_module = module
            e._ember_detail = str(e.args[0]) if len(e.args) == 1 else str(e)
            e._ember_plain = not isinstance(e, ModuleInputError)
        except (AttributeError, TypeError):
            pass
        return
    if origin is module:
        return
    for name, m in module.named_modules():
        if m is origin:
            where = f"{module._get_name()}.{name} ({origin._short_repr()})"
            detail = e._ember_detail
            if not e._ember_plain and detail.startswith(origin._short_repr()):
                detail = detail[len(origin._short_repr()):].lstrip(": ")
            e.args = (f"{where}: {detail}",)
            return


class ModuleInputError(RuntimeError):
    """An input a layer cannot take (wrong shape or dtype); the message names the layer."""


_KINDS = {}


def input_error(module, detail, kind=None):
    """A :class:`ModuleInputError` reading ``Linear(in_features=784, ...): <detail>``; with ``kind`` (say
    ``IndexError``, where torch raises one) it is also an instance of ``kind``, so ``except IndexError`` works."""
    cls = ModuleInputError
    if kind is not None and not issubclass(ModuleInputError, kind):
        cls = _KINDS.get(kind)
        if cls is None:
            cls = _KINDS[kind] = type(f"ModuleInput{kind.__name__}", (ModuleInputError, kind), {})
    e = cls(f"{module._short_repr()}: {detail}")
    e._ember_module = module
    e._ember_detail = str(e.args[0])
    e._ember_plain = False
    return e
