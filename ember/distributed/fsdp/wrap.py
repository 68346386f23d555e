"""Which submodules ``FullyShardedDataParallel`` wraps as units of their own (``torch.distributed.fsdp.wrap``).

A policy is called as ``policy(module=m, recurse=..., nonwrapped_numel=n)``: with ``recurse=True`` it says
whether to look inside ``m``, with ``recurse=False`` whether to wrap ``m`` (``n`` counts the parameters of
``m`` not already in a wrapped child). The tree is walked depth first, children before parents, as PyTorch's
``_recursive_wrap`` walks it; the root is always wrapped.

>>> from functools import partial
>>> policy = partial(size_based_auto_wrap_policy, min_num_params=100)
>>> policy(module=None, recurse=False, nonwrapped_numel=120)
True
"""
import contextlib

__all__ = ["always_wrap_policy", "size_based_auto_wrap_policy", "transformer_auto_wrap_policy",
           "lambda_auto_wrap_policy", "ModuleWrapPolicy", "CustomPolicy", "enable_wrap", "wrap"]


def always_wrap_policy(*args, **kwargs):
    return True


def _module_wrap_policy(module, recurse, nonwrapped_numel, module_classes):
    return True if recurse else isinstance(module, tuple(module_classes))


def transformer_auto_wrap_policy(module, recurse, nonwrapped_numel, transformer_layer_cls):
    """Wrap every module of the classes ``transformer_layer_cls`` (a set of classes)."""
    return _module_wrap_policy(module, recurse, nonwrapped_numel, transformer_layer_cls)


def lambda_auto_wrap_policy(module, recurse, nonwrapped_numel, lambda_fn):
    """Wrap the modules for which ``lambda_fn(module)`` is true."""
    return True if recurse else lambda_fn(module)


def size_based_auto_wrap_policy(module, recurse, nonwrapped_numel, min_num_params=int(1e8), force_leaf_modules=None,
                                exclude_wrap_modules=None):
    """Wrap a module once it holds at least ``min_num_params`` parameters not yet wrapped; never look inside
    ``force_leaf_modules`` (MultiheadAttention) nor wrap ``exclude_wrap_modules`` (ModuleList, ModuleDict)."""
    from ember.nn.modules.container import ModuleList, ModuleDict
    from ember.nn import MultiheadAttention
    force = {MultiheadAttention} if force_leaf_modules is None else force_leaf_modules
    exclude = {ModuleList, ModuleDict} if exclude_wrap_modules is None else exclude_wrap_modules
    is_large = nonwrapped_numel >= min_num_params
    if recurse:
        return is_large and not isinstance(module, tuple(force))
    return is_large and not isinstance(module, tuple(exclude))


class ModuleWrapPolicy:
    """Wrap every module whose class is in ``module_classes``."""

    def __init__(self, module_classes):
        self._module_classes = set(module_classes)

    def __call__(self, module, recurse, *args, **kwargs):
        return _module_wrap_policy(module, recurse, 0, self._module_classes)


class CustomPolicy:
    """Wrap where ``lambda_fn(module)`` is true (or returns a dict of keyword arguments for that unit)."""

    def __init__(self, lambda_fn):
        self._lambda_fn = lambda_fn

    def __call__(self, module, recurse, *args, **kwargs):
        return True if recurse else bool(self._lambda_fn(module))


_config = {}


@contextlib.contextmanager
def enable_wrap(*, wrapper_cls, **wrapper_kwargs):
    """Inside the block, :func:`wrap` wraps with ``wrapper_cls(module, **wrapper_kwargs)``."""
    if _config:
        raise NotImplementedError("You are already within an autowrap context and we currently do not supported "
                                  "nested autowrap.")
    _config.update(wrapper_cls=wrapper_cls, kwargs=wrapper_kwargs)
    try:
        yield
    finally:
        _config.clear()


def wrap(module, **wrap_overrides):
    """``module`` wrapped by the enclosing :func:`enable_wrap`'s class (as it is, outside one)."""
    if not _config:
        return module
    return _config["wrapper_cls"](module, **{**_config["kwargs"], **wrap_overrides})


def _recursive_wrap(module, policy, wrap_fn, ignored_params, only_wrap_children=False):
    """PyTorch's depth-first wrapping; returns ``(module, number of parameters now wrapped)``."""
    nonwrapped = sum(p.numel() for p in module.parameters() if id(p) not in ignored_params
                     and not getattr(p, "_fsdp_flattened", False))
    if policy(module=module, recurse=True, nonwrapped_numel=nonwrapped):
        wrapped = 0
        for name, child in list(module.named_children()):
            new, n = _recursive_wrap(child, policy, wrap_fn, ignored_params)
            if new is not child:
                module._modules[name] = new
            wrapped += n
        remainder = nonwrapped - wrapped
        if not only_wrap_children and policy(module=module, recurse=False, nonwrapped_numel=remainder):
            return wrap_fn(module), nonwrapped
        return module, wrapped
    return module, 0
