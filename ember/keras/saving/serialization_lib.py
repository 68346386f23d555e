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
    """Class decorator: let ``load_model`` rebuild this class from its config (registered as ``package>name``)."""
    def decorator(cls):
        registered = f"{package}>{name or cls.__name__}"
        if not hasattr(cls, "get_config"):
            raise ValueError(f"Cannot register {cls.__name__}: it has no get_config() method")
        _GLOBAL_CUSTOM_OBJECTS[registered] = cls
        _GLOBAL_CUSTOM_NAMES[cls] = registered
        return cls
    return decorator


def get_registered_name(obj):
    cls = obj if isinstance(obj, type) else type(obj)
    return _GLOBAL_CUSTOM_NAMES.get(cls, cls.__name__)


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
    registered = _GLOBAL_CUSTOM_NAMES.get(type(obj))
    module = "keras.layers" if not registered else None
    from .. import models
    if isinstance(obj, (models.Model,)) and not registered:
        # the modules Keras 3 itself writes (and finds the classes in when it loads the file)
        module = {"Sequential": "keras", "Functional": "keras.src.models.functional",
                  "Model": "keras.src.models.functional"}.get(type(obj).__name__)
    out = {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
           "registered_name": registered or type(obj).__name__}
    build = obj.get_build_config()
    if build is not None:
        out["build_config"] = build
    return out


def resolve_class(config, custom_objects=None):
    """The class a serialized config names; ValueError for an unknown or non-layer class."""
    from ..layers import Layer
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Invalid layer config: expected a dict with 'class_name' and 'config', got {config!r}")
    class_name = config["class_name"]
    registered = config.get("registered_name") or class_name
    cls = get_registered_object(registered, custom_objects) or get_registered_object(class_name, custom_objects)
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
