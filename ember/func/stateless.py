"""``functional_call`` and ``stack_module_state``: run a module with parameters passed in, not stored.

``functional_call(module, params, args)`` swaps the given tensors in for the module's own
parameters and buffers (by their ``state_dict`` names), runs ``module(*args, **kwargs)`` and
restores the originals afterwards, even if the call raises. The swapped-in tensors are used as
they are, so gradients flow to them: ``grad(lambda p: loss(functional_call(model, p, x)))(params)``.

>>> import ember
>>> from ember import nn
>>> from ember.func import functional_call
>>> lin = nn.Linear(2, 1)
>>> w = {"weight": ember.ones(1, 2), "bias": ember.zeros(1)}
>>> functional_call(lin, w, (ember.tensor([[1.0, 2.0]]),))
tensor([[3.]])
"""


def _merge(parameter_and_buffer_dicts):
    if isinstance(parameter_and_buffer_dicts, dict):
        return dict(parameter_and_buffer_dicts)
    if not isinstance(parameter_and_buffer_dicts, (tuple, list)):
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    merged, seen = {}, set()
    for d in parameter_and_buffer_dicts:
        repeated = seen & set(d)
        if repeated:
            raise ValueError(f"{sorted(repeated)} appeared in multiple dictionaries; behavior of functional call "
                             "is ambiguous")
        seen |= set(d)
        merged.update(d)
    return merged


def _slots(module):
    """name -> (owning module, attribute, "_parameters" or "_buffers", the current tensor), tied names included."""
    slots = {}
    for prefix, mod in module.named_modules(remove_duplicate=False):
        for table in ("_parameters", "_buffers"):
            for attr, value in getattr(mod, table).items():
                if value is not None:
                    slots[f"{prefix}.{attr}" if prefix else attr] = (mod, attr, table, value)
    return slots


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True,
                    strict=False):
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced for this call only.

    Args:
        module (nn.Module): the module to call.
        parameter_and_buffer_dicts (dict or tuple of dicts): name -> tensor, names as in ``state_dict``.
        args (tuple or a single value, optional): positional arguments of the call.
        kwargs (dict, optional): keyword arguments of the call.
        tie_weights (bool): a parameter tied under several names takes the given value under all of them
            when only one name is given. Default: True.
        strict (bool): every parameter and buffer must be given, and no other name. Default: False.
    """
    values = _merge(parameter_and_buffer_dicts)
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    kwargs = {} if kwargs is None else kwargs
    slots = _slots(module)
    unexpected = [k for k in values if k not in slots]
    if strict:
        missing = [k for k in slots if k not in values]
        if missing or unexpected:
            parts = []
            if unexpected:
                parts.append("Unexpected key(s): " + ", ".join(repr(k) for k in unexpected) + ".")
            if missing:
                parts.append("Missing key(s): " + ", ".join(repr(k) for k in missing) + ".")
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(parts))
    if tie_weights:
        by_tensor = {}
        for name, (_, _, _, current) in slots.items():
            by_tensor.setdefault(id(current), []).append(name)
        for names in by_tensor.values():
            given = [n for n in names if n in values]
            if len(given) > 1 and any(values[n] is not values[given[0]] for n in given):
                raise ValueError(f"functional_call got multiple values for keys {given}, which are tied. Consider "
                                 "using tie_weights=False")
            if given:
                for n in names:
                    values.setdefault(n, values[given[0]])
    swapped = []
    try:
        for name, value in values.items():
            if name in slots:
                mod, attr, table, current = slots[name]
                getattr(mod, table)[attr] = value
                swapped.append((mod, table, attr, current))
            else:
                owner, _, attr = name.rpartition(".")
                mod = module.get_submodule(owner) if owner else module
                swapped.append((mod, None, attr, mod.__dict__.get(attr, _MISSING)))
                object.__setattr__(mod, attr, value)
        return module(*args, **kwargs)
    finally:
        for mod, table, attr, old in reversed(swapped):
            if table is not None:
                getattr(mod, table)[attr] = old
            elif old is _MISSING:
                object.__delattr__(mod, attr)
            else:
                object.__setattr__(mod, attr, old)


_MISSING = object()


def stack_module_state(models):
    """``(params, buffers)``: each parameter and buffer of ``models`` (modules of one class) stacked along a
    new leading dimension, for ``vmap(functional_call)`` over an ensemble. Stacked parameters are new leaves
    that require grad (when the models' do); buffers do not.

    >>> import ember
    >>> params, buffers = stack_module_state([ember.nn.Linear(3, 2) for _ in range(4)])
    >>> tuple(params["weight"].shape), params["weight"].requires_grad
    ((4, 2, 3), True)
    """
    import ember
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    if any(type(m) is not type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked(named, is_param):
        tables = [dict(named(m)) for m in models]
        out = {}
        for name in tables[0]:
            tensors = [t[name] for t in tables]
            grads = {bool(x.requires_grad) for x in tensors}
            if len(grads) > 1:
                raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
            s = ember.stack([x.detach() for x in tensors])
            out[name] = s.requires_grad_() if is_param and grads.pop() else s
        return out
    return (stacked(lambda m: m.named_parameters(), True), stacked(lambda m: m.named_buffers(), False))
