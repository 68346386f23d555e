"""Turning layers into plain data and back, with a registry instead of imports.

``serialize_keras_object(layer)`` gives ``{"module", "class_name", "config",
"registered_name", "build_config"}`` (Keras's format). ``deserialize_keras_object``
looks ``class_name`` up in, in order: the ``custom_objects`` passed in, the classes
registered with ``@register_keras_serializable()``, and ember.keras's own layers and
models. Nothing else is ever imported or executed: the ``module`` field is not used
to import code, a name that is not found is refused, and so is a registered name
that is not a layer (or a model).

>>> from ember import keras
>>> from ember.keras.saving import serialization_lib as sl
>>> cfg = sl.serialize_keras_object(keras.layers.Dense(3, name="d"))
>>> cfg["class_name"], sl.deserialize_keras_object(cfg).units
('Dense', 3)
"""
import contextlib

_GLOBAL_CUSTOM_OBJECTS = {}
_GLOBAL_CUSTOM_NAMES = {}
_scope = []
_safe_mode = [True]


def in_safe_mode():
    """Whether the deserialization running now refuses configs that carry code (a ``Lambda``'s bytecode).

    ``keras.config.enable_unsafe_deserialization()`` turns safe mode off for the whole process, over the
    ``safe_mode=True`` default of ``load_model``, as in Keras.
    """
    return _safe_mode[-1] and _safe_mode[0]


@contextlib.contextmanager
def SafeModeScope(safe_mode=True):
    """Within this block, ``in_safe_mode()`` is ``safe_mode`` (``load_model(safe_mode=False)`` uses it)."""
    _safe_mode.append(True if safe_mode is None else bool(safe_mode))
    try:
        yield
    finally:
        _safe_mode.pop()


def register_keras_serializable(package="Custom", name=None):
    """Decorator: let ``load_model`` rebuild this class from its config, or find this function (a custom
    activation, loss, metric, initializer...) by name (registered as ``package>name``)."""
    def decorator(cls):
        registered = f"{package}>{name or cls.__name__}"
        if isinstance(cls, type) and not hasattr(cls, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[registered] = cls
        _GLOBAL_CUSTOM_NAMES[cls] = registered
        return cls
    return decorator


def get_registered_name(obj):
    """``package>name`` for a registered class or function, else its ``__name__`` (an instance: its class's)."""
    if not isinstance(obj, type) and not callable(obj) or not hasattr(obj, "__name__"):
        obj = type(obj)
    return _GLOBAL_CUSTOM_NAMES.get(obj, obj.__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered (or in a custom object scope) as ``name``, else in ``custom_objects``, else in
    ``module_objects``, else None (Keras's order)."""
    for scope in reversed(_scope):
        if name in scope:
            return scope[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


@contextlib.contextmanager
def custom_object_scope(custom_objects):
    """Within this block, ``custom_objects`` (name -> class) are known to ``load_model``."""
    _scope.append(dict(custom_objects or {}))
    try:
        yield
    finally:
        _scope.pop()


CustomObjectScope = custom_object_scope


def _builtins():
    from .. import layers, models
    table = {}
    for name in dir(layers):
        obj = getattr(layers, name)
        if isinstance(obj, type) and issubclass(obj, layers.Layer):
            table[name] = obj
    for name in ("Model", "Sequential", "Functional"):
        table[name] = getattr(models, name)
    from ..layers._arithmetic import ArithmeticOp  # x + y on symbolic tensors: an operation, not a public layer
    table["ArithmeticOp"] = ArithmeticOp
    from ..utils.feature_space import FeatureSpace, TFDIdentity
    table.update(FeatureSpace=FeatureSpace, TFDIdentity=TFDIdentity)
    return table


def serialize_keras_object(obj):
    """Keras's serialized form of a layer or model (plain JSON-able data)."""
    if obj is None:
        return None
    from ..layers import Layer
    if not isinstance(obj, Layer):
        raise TypeError(f"serialize_keras_object expects a Keras layer, got {type(obj).__name__}")
    cls = type(obj)
    registered = _GLOBAL_CUSTOM_NAMES.get(cls)
    if getattr(cls, "_keras_module", None):
        # a keras.ops operation of a functional graph: Keras's module and class (registered under its name)
        module, registered = cls._keras_module, cls.__name__
    elif registered is None and cls.__module__.startswith("ember."):
        # one of Keras's own classes: the module Keras 3 writes (and finds the class in when it loads the file),
        # and no registered name (but for Functional, which Keras does not export)
        module = {"Sequential": "keras", "Functional": "keras.src.models.functional",
                  "Model": "keras.src.models.functional"}.get(cls.__name__, "keras.layers")
        registered = "Functional" if cls.__name__ == "Functional" else None
    else:
        # a custom class, registered or not: Keras writes its module (None for __main__) and its name
        module = None if cls.__module__ == "__main__" else cls.__module__
        registered = registered or cls.__name__
    out = {"module": module, "class_name": cls.__name__, "config": obj.get_config(), "registered_name": registered}
    build = obj.get_build_config()
    if build is not None:
        out["build_config"] = build
    return out


def serialize_custom(obj):
    """Keras's config of a function or object that is not one of Keras's built-ins (a custom activation,
    initializer, regularizer, constraint, loss or metric): a function by its registered name or ``__name__``
    (``{'module': 'builtins', 'class_name': 'function', 'config': 'my_softplus', 'registered_name': 'function'}``),
    an object by its class and ``get_config()``."""
    import types
    if isinstance(obj, types.FunctionType):
        if obj.__name__ == "<lambda>":
            raise ValueError(f"Cannot serialize the lambda {obj!r} in a config: ember saves named functions only "
                             "(give it a name with `def`, and custom_objects when loading)")
        return {"module": "builtins", "class_name": "function", "config": get_registered_name(obj),
                "registered_name": "function"}
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize object {obj} of type {type(obj)}. To be serializable, a class must "
                        "implement the `get_config()` method.")
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"The `get_config()` method of {obj} should return a dict. It returned: {config}")
    module = type(obj).__module__
    return {"module": None if module == "__main__" else module, "class_name": type(obj).__name__,
            "config": config, "registered_name": get_registered_name(type(obj))}


def deserialize_custom(config, builtin=None, custom_objects=None):
    """The function or object a ``serialize_custom`` config names, found (never imported) in the custom object
    scopes, the registry or ``custom_objects``, else by ``builtin(name)`` (the caller's built-ins); Keras's
    TypeError when it is nowhere."""
    import types
    class_name, inner = config.get("class_name"), config.get("config")
    if class_name == "function":
        if not isinstance(inner, str):
            raise TypeError(f"Expected 'config' to be a non-null str for a function classname,\ninstead got "
                            f"{type(inner)}\nFull config: {config}")
        found = get_registered_object(inner, custom_objects)
        if found is None and builtin is not None:
            found = builtin(inner)
        if found is None and ">" not in inner:
            # files of Keras <= 3.6 name a registered function without its package
            for scope in [*reversed(_scope), _GLOBAL_CUSTOM_OBJECTS, custom_objects or {}]:
                found = next((v for k, v in scope.items() if k.endswith(f">{inner}")), None)
                if found is not None:
                    break
        if found is None:
            raise TypeError(_not_found("function", inner, config))
        return found
    registered = config.get("registered_name") or class_name
    cls = get_registered_object(registered, custom_objects)
    if cls is None and builtin is not None:
        cls = builtin(class_name)
    if cls is None:
        raise TypeError(_not_found("class", class_name, config))
    if isinstance(cls, types.FunctionType):
        return cls
    if not hasattr(cls, "from_config"):
        raise TypeError(f"Unable to reconstruct an instance of '{class_name}' because the class is missing a "
                        f"`from_config()` method. Full object config: {config}")
    with custom_object_scope(custom_objects):
        return cls.from_config(dict(inner or {}))


def _not_found(kind, name, config):
    return (f"Could not locate {kind} '{name}'. Make sure custom classes and functions are decorated with "
            "`@keras.saving.register_keras_serializable()`. If they are already decorated, make sure they are all "
            f"imported so that the decorator is run before trying to load them. Full object config: {config}")


def resolve_class(config, custom_objects=None):
    """The class a serialized config names; ValueError for an unknown or non-layer class."""
    from ..layers import Layer
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Invalid layer config: expected a dict with 'class_name' and 'config', got {config!r}")
    class_name = config["class_name"]
    registered = config.get("registered_name") or class_name
    cls = get_registered_object(registered, custom_objects) or get_registered_object(class_name, custom_objects)
    if cls is None and str(config.get("module") or "").startswith("keras.src.ops."):
        from ..layers.op_layer import operation_class   # a keras.ops operation of a functional graph (Add, Mean)
        cls = operation_class(config["module"], class_name)
    if cls is None:
        cls = _builtins().get(class_name)
    if cls is None:
        raise ValueError(f"Could not locate class '{class_name}'. Make sure custom classes are decorated with "
                         "`@keras.saving.register_keras_serializable()` or passed in `custom_objects`. "
                         f"Full object config: {config}")
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ValueError(f"Refusing to load '{class_name}': a model config may only name Keras layer or model "
                         f"classes, and it resolves to {cls!r}")
    return cls


def deserialize_keras_object(config, custom_objects=None, safe_mode=None):
    """Rebuild a layer (or model) from ``serialize_keras_object``'s output (refusing unknown classes, and
    code in the config unless ``safe_mode=False``)."""
    if config is None:
        return None
    if safe_mode is not None:
        with SafeModeScope(safe_mode):
            return deserialize_keras_object(config, custom_objects)
    cls = resolve_class(config, custom_objects)
    inner = config.get("config", {})
    if not isinstance(inner, dict):
        raise ValueError(f"Invalid config for class '{config['class_name']}': expected a dict, got {inner!r}")
    with custom_object_scope(custom_objects):   # as Keras: what the config holds may name custom objects too
        obj = cls.from_config(dict(inner)) if _takes_custom_objects(cls) is False \
            else cls.from_config(dict(inner), custom_objects=custom_objects)
    build = config.get("build_config")
    if build and not obj.built:
        obj.build_from_config(build)
        obj.built = True    # as Keras, also when an overriding build_from_config creates the state itself
    return obj


def _takes_custom_objects(cls):
    import inspect
    try:
        return "custom_objects" in inspect.signature(cls.from_config).parameters
    except (TypeError, ValueError):
        return False
