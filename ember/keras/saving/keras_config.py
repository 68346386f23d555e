"""Configs written by Keras 3, made into configs ember's classes take.

Keras 3 writes a few things into each layer config that ember's layers have no argument for:

* ``dtype`` as a serialized ``DTypePolicy`` (``{"class_name": "DTypePolicy", "config": {"name":
  "float32"}}``): becomes its name;
* ``shared_object_id`` (Keras's marker for an object serialized twice): dropped;
* arguments of features that are off (``ragged: false``, ``optional: false``,
  ``quantization_config: null``, ``lora_rank: null``...): an argument ember's class refuses
  (tried with ``from_config`` on the layer's own config, which builds nothing) is dropped when its value is ``None``, ``False``, ``0`` or empty, the value that turns the
  feature off. Any other value for such an argument is refused with an error naming the layer,
  the argument and the value, rather than silently building a different model.

Only the layer configs (those whose ``class_name`` resolves to a layer) are rewritten; nested
layer configs (a ``Sequential``'s ``layers``, a ``Bidirectional``'s ``layer``) are reached by
walking the whole tree.
"""
import re

from . import serialization_lib



def _is_off(value):
    """Whether ``value`` is the one that turns a feature off: None, False, 0 or empty."""
    if value is None or value is False:
        return True
    if type(value) in (int, float):
        return value == 0
    return isinstance(value, (str, list, tuple, dict)) and len(value) == 0


_UNKNOWN = (re.compile(r"unrecognized keyword argument\(s\) \[(.*)\]"),
            re.compile(r"unexpected keyword argument '(\w+)'"))


def _rejected(cls, config):
    """The argument names ``cls.from_config(config)`` refuses (empty when it builds)."""
    try:
        cls.from_config(dict(config))
    except TypeError as e:
        for pattern in _UNKNOWN:
            match = pattern.search(str(e))
            if match:
                return [k.strip().strip("'\"") for k in match.group(1).split(",")]
    except Exception:  # any other problem is reported by the real deserialization
        return []
    return []


def _policy_name(value):
    if isinstance(value, dict) and value.get("class_name") in ("QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy",
                                                               "Int4DTypePolicy"):
        return value   # the layer reads the whole policy (see keras/layers/quantized.py)
    if isinstance(value, dict) and value.get("class_name") in ("DTypePolicy", "FloatDTypePolicy",
                                                               "QuantizedDTypePolicy"):
        inner = value.get("config")
        if isinstance(inner, dict) and isinstance(inner.get("name"), str):
            return inner["name"]
        raise ValueError(f"Invalid dtype policy config: {value!r}")
    return value


def _clean_layer_config(cls, config, where):
    config.pop("shared_object_id", None)
    if "dtype" in config:
        config["dtype"] = _policy_name(config["dtype"])
    from ..layers import Layer
    if getattr(cls.from_config, "__func__", None) is not Layer.from_config.__func__:
        return  # a class with its own from_config (models, wrappers) reads its config itself
    for _ in range(len(config) + 1):
        unknown = [k for k in _rejected(cls, config) if k in config]
        if not unknown:
            return
        for key in unknown:
            if _is_off(config[key]):
                del config[key]
                continue
            value = config[key]
            raise ValueError(f"{where}: ember.keras's {cls.__name__} has no argument {key!r} (the file sets it to "
                             f"{repr(value)[:80]}); this model cannot be rebuilt faithfully")


# Limits checked before any layer is built, so that a config cannot make ember allocate without bound.
MAX_DIMENSION = 1 << 24
MAX_LAYER_ELEMENTS = 1 << 31
_SIZE_KEYS = ("units", "filters", "input_dim", "output_dim", "num_heads", "key_dim", "value_dim",
              "depth_multiplier", "num_tokens", "max_tokens")


def _ints(value, out, depth=0):
    if depth > 20:
        return out
    if isinstance(value, bool):
        return out
    if isinstance(value, int):
        out.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _ints(v, out, depth + 1)
    elif isinstance(value, dict):
        for v in value.values():
            _ints(v, out, depth + 1)
    return out


def _last_dims(value, out, depth=0):
    """The last entry of every shape (a list of ints and Nones) inside ``value``."""
    if depth > 20 or not isinstance(value, (list, tuple, dict)):
        return out
    items = list(value.values()) if isinstance(value, dict) else list(value)
    if items and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in items):
        if isinstance(items[-1], int) and items[-1] > 0:
            out.append(items[-1])
        return out
    for v in items:
        _last_dims(v, out, depth + 1)
    return out


def check_sizes(config, build_config, where):
    """Refuse a layer config whose sizes would allocate more than the limits (checked before it is built)."""
    sizes = _ints([config.get(k) for k in _SIZE_KEYS] + [config.get("kernel_size"), config.get("batch_shape"),
                                                         config.get("batch_input_shape"), build_config], [])
    big = [v for v in sizes if v > MAX_DIMENSION or v < -1]
    if big:
        raise ValueError(f"{where}: size {big[0]} is outside the accepted range (-1..{MAX_DIMENSION})")
    product = 1
    for key in _SIZE_KEYS:
        v = config.get(key)
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            product *= v
    # weights grow with the input's channels (its last axis), except where the config gives the input size
    widest = 1 if "input_dim" in config else max(_last_dims(build_config, []) or [1])
    kernel = 1
    for v in _ints(config.get("kernel_size"), []):
        kernel *= max(v, 1)
    if product * widest * kernel > MAX_LAYER_ELEMENTS:
        raise ValueError(f"{where}: the layer's weights would hold about {product * widest * kernel} elements, "
                         f"above the limit of {MAX_LAYER_ELEMENTS}")


def adapt(node, custom_objects=None, where="config"):
    """Rewrite (in place) every layer config inside ``node`` for ember; returns ``node``."""
    stack = [(node, where, 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > 100:
            raise ValueError(f"{path}: config nested deeper than 100 levels")
        if isinstance(item, list):
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(item))
            continue
        if not isinstance(item, dict):
            continue
        item.pop("shared_object_id", None)
        inner = item.get("config")
        if isinstance(item.get("class_name"), str) and isinstance(inner, dict):
            try:
                cls = serialization_lib.resolve_class(item, custom_objects)
            except ValueError:
                cls = None  # not a layer (initializer, regularizer...) or unknown: left for deserialization
            if cls is not None:
                name = inner.get("name", item["class_name"])
                check_sizes(inner, item.get("build_config"), f"{path} (layer {name!r}, {item['class_name']})")
                _clean_layer_config(cls, inner, f"{path} (layer {name!r}, {item['class_name']})")
        stack.extend((v, f"{path}.{k}", depth + 1) for k, v in item.items())
    return node


# Layers whose Keras build() takes several shapes by name: Keras writes their build_config as a shapes_dict.
_SHAPE_ARGS = {"MultiHeadAttention": ("query_shape", "value_shape", "key_shape"),
               "GroupedQueryAttention": ("query_shape", "value_shape", "key_shape")}


# Arguments ember's layers report that Keras 3's same-named layer calls otherwise.
_RENAMED = {cls: {"kernel_constraint": "depthwise_constraint"}
            for cls in ("DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D")}


def export(node):
    """Rewrite (in place) ember's config ``node`` where Keras 3 expects another form; returns ``node``."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        names = _SHAPE_ARGS.get(item.get("class_name"))
        build = item.get("build_config")
        if names and isinstance(build, dict) and isinstance(build.get("input_shape"), list) and \
                build["input_shape"] and all(isinstance(s, list) for s in build["input_shape"]):
            shapes = build["input_shape"]
            item["build_config"] = {"shapes_dict": dict(zip(names, shapes[:len(names)]))}
        inner = item.get("config")
        for old, new in _RENAMED.get(item.get("class_name"), {}).items():
            if isinstance(inner, dict) and old in inner:
                value = inner.pop(old)
                if value is not None:
                    inner.setdefault(new, value)
        stack.extend(item.values())
    return node
