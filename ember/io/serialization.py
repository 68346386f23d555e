"""``ember.save`` and ``ember.load``: checkpoints as safetensors files, never pickle.

The file is one safetensors file (see :mod:`ember.io.safetensors`). Its tensors are the
tensor and array leaves of the saved object; its ``__metadata__`` holds

* ``"format": "ember"`` and ``"ember.version": "1"``;
* ``"ember.structure"``: a JSON description of the object, where
  ``null``, ``true``/``false``, integers, finite floats and strings stand for themselves,
  a JSON array is a Python list, and a JSON object is a tagged node:

  ============================================  ==================================
  node                                          Python value
  ============================================  ==================================
  ``{"@": "tensor", "key": k}``                 ``ember.Tensor`` stored as tensor ``k``
                                                (``"requires_grad": true`` if set)
  ``{"@": "ndarray", "key": k}``                ``numpy.ndarray`` stored as tensor ``k``
  ``{"@": "npscalar", "key": k}``               NumPy scalar stored as 0-d tensor ``k``
  ``{"@": "tuple", "items": [...]}``            tuple
  ``{"@": "dict", "items": [[key, value]...]}`` dict (``"ordered": true`` for OrderedDict,
                                                ``"counter": true`` for Counter);
                                                keys are nodes too, so int keys stay int
  ``{"@": "float", "v": "inf"}``                ``inf``, ``-inf`` or ``nan``
  ``{"@": "dtype", "name": "float32"}``         ``ember.float32``
  ``{"@": "set", "items": [...]}``              set (``"frozen": true`` for frozenset)
  ``{"@": "complex", "re": x, "im": y}``        complex
  ``{"@": "bytes", "hex": h}``                  bytes (``"mutable": true`` for bytearray)
  ``{"@": "size", "items": [...]}``             ``ember.Size``
  ``{"@": "device", "name": "cpu"}``            ``ember.device``
  ``{"@": "object", "id": n, "class": ref,      an ``nn.Module`` or a plain-data object (a
  "state": dict}``                              dataclass, ``argparse.Namespace``...): ``ref``
                                                is ``{"module": m, "name": qualname}``,
                                                ``state`` its ``__dict__``
  ``{"@": "namedtuple", "class": ref,           a namedtuple
  "items": [...]}``
  ``{"@": "ref", "id": n}``                     the object numbered ``n`` again
  ``{"@": "global", "module": m, "name": q}``   a module-level class or function
  ============================================  ==================================

Objects and globals are rebuilt only under the policy of :mod:`ember.io.objects`: allow-listed
names, and (with ``weights_only=False``) ember's own classes; anything else is refused.

Tensor names are the dotted path of dict keys and list positions (``"state.0.exp_avg"``), so
a flat ``{str: Tensor}`` state dict is stored under its own keys: a plain safetensors file
that ``safetensors.numpy.load_file`` reads, and any safetensors file (say, one the
``safetensors`` package wrote) loads back as a ``{name: Tensor}`` dict. A tensor that occurs
twice (tied weights) is stored once and loads back as one tensor. BF16 tensors load as
float32. Loading only parses JSON and copies bytes: it never runs code from the file.

>>> import os, tempfile, ember
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
>>> save({"step": 3, "weight": ember.ones(2)}, path)
>>> load(path)["step"]
3
"""
import collections
import json
import math
import os
import types

import numpy as np

from ember.io import objects, safetensors

__all__ = ["save", "load"]

_VERSION = "1"
_KINDS = ("tensors, NumPy arrays and scalars, int, float, complex, bool, str, bytes, None, ember dtypes, devices "
          "and sizes, nn.Modules, objects of module-level classes whose state is a dict (dataclasses, "
          "argparse.Namespace), namedtuples, module-level classes and functions, and dicts, lists, tuples and sets "
          "of them")
# A module's containers of parameters, buffers and children add no level to tensor names, so a
# saved model's tensors are named as its state_dict keys ("fc1.weight").
_FLAT_STATE = ("_parameters", "_buffers", "_modules")


def _tensor_type():
    import ember
    return ember.Tensor


def _describe(path):
    return "obj" + "".join(f"[{p!r}]" for p in path) if path else "obj"


class _Encoder:
    def __init__(self):
        self.tensors = {}
        self.names_by_id = {}
        self.objects = {}
        self.Tensor = _tensor_type()

    def name_for(self, path):
        name = ".".join(str(p) for p in path) or "_"
        base, n = name, 0
        while name in self.tensors or name == "__metadata__":
            n += 1
            name = f"{base}.{n}"
        return name

    def leaf(self, tag, obj, array, path):
        known = self.names_by_id.get(id(obj))
        if known is not None:
            return known
        name = self.name_for(path)
        self.tensors[name] = array
        node = {"@": tag, "key": name}
        self.names_by_id[id(obj)] = node
        return node

    def encode(self, obj, path=()):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            if math.isfinite(obj):
                return float(obj)
            return {"@": "float", "v": repr(float(obj))}
        if isinstance(obj, self.Tensor):
            node = self.leaf("tensor", obj, np.asarray(obj._data), path)
            if obj.requires_grad and "requires_grad" not in node:
                node["requires_grad"] = True
            if type(obj).__name__ == "Parameter":
                node["parameter"] = True
            if getattr(obj, "is_quantized", False):  # the integers above, plus how to read them
                node["quantized"] = obj._qparams_state()
            return node
        if isinstance(obj, np.ndarray):
            return self.leaf("ndarray", obj, obj, path)
        if isinstance(obj, np.generic):
            return self.leaf("npscalar", obj, np.asarray(obj), path)
        if _is_dtype(obj):
            return {"@": "dtype", "name": obj.name}
        if isinstance(obj, complex):
            return {"@": "complex", "re": self.encode(obj.real, path), "im": self.encode(obj.imag, path)}
        if isinstance(obj, (bytes, bytearray)):
            node = {"@": "bytes", "hex": bytes(obj).hex()}
            if isinstance(obj, bytearray):
                node["mutable"] = True
            return node
        if isinstance(obj, dict):
            items = [[self.encode_key(k, path), self.encode(v, path + (k,))]
                     for k, v in obj.items()]
            node = {"@": "dict", "items": items}
            if isinstance(obj, collections.OrderedDict):
                node["ordered"] = True
            elif isinstance(obj, collections.Counter):
                node["counter"] = True
            return node
        if isinstance(obj, list):
            return [self.encode(v, path + (i,)) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            items = [self.encode(v, path + (i,)) for i, v in enumerate(obj)]
            if _is_size(obj):
                return {"@": "size", "items": items}
            if type(obj) is not tuple and isinstance(getattr(type(obj), "_fields", None), tuple):
                ref = objects.reference(type(obj))
                if ref is None:
                    raise TypeError(f"ember.save cannot store the {type(obj).__qualname__} at {_describe(path)}: "
                                    f"its class has no importable name (is it defined inside a function?)")
                return {"@": "namedtuple", "class": ref, "items": items}
            return {"@": "tuple", "items": items}
        if _is_device(obj):
            return {"@": "device", "name": str(obj)}
        if isinstance(obj, (set, frozenset)):
            node = {"@": "set", "items": [self.encode(v, path) for v in obj]}
            if isinstance(obj, frozenset):
                node["frozen"] = True
            return node
        if objects.is_module(obj):
            return self.encode_object(obj, path)
        if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            ref = objects.reference(obj)
            if ref is not None:
                return {"@": "global", **ref}
        elif objects.is_plain_data(type(obj)):
            return self.encode_object(obj, path)
        raise TypeError(f"ember.save cannot store {type(obj).__name__} at {_describe(path)}; "
                        f"it stores {_KINDS}")

    def encode_object(self, obj, path):
        known = self.objects.get(id(obj))
        if known is not None:
            return {"@": "ref", "id": known}
        ref = objects.reference(type(obj))
        if ref is None:
            raise TypeError(f"ember.save cannot store the {type(obj).__qualname__} at {_describe(path)}: its class "
                            f"has no importable name (is it defined inside a function?)")
        number = self.objects[id(obj)] = len(self.objects)
        state = obj.__getstate__()
        if state is None:   # an object without attributes (Python 3.11's object.__getstate__)
            state = {}
        if not isinstance(state, dict):
            raise TypeError(f"ember.save cannot store the {type(obj).__qualname__} at {_describe(path)}: its "
                            f"__getstate__() returned {type(state).__name__}, not a dict")
        items = [[self.encode_key(k, path), self.encode(v, path if k in _FLAT_STATE else path + (k,))]
                 for k, v in state.items()]
        return {"@": "object", "id": number, "class": ref, "state": {"@": "dict", "items": items}}

    def encode_key(self, key, path):
        if key is None or isinstance(key, (bool, str, int, float)):
            return self.encode(key, path)
        if isinstance(key, tuple):
            return {"@": "tuple", "items": [self.encode_key(k, path) for k in key]}
        raise TypeError(f"ember.save cannot store a dict key of type {type(key).__name__} "
                        f"({key!r}) in {_describe(path)}; keys may be str, int, float, bool, "
                        f"None or tuples of them")


def _is_size(obj):
    from ember.autograd.tensor import Size
    return isinstance(obj, Size)


def _is_device(obj):
    from ember.autograd.tensor import device
    return isinstance(obj, device)


def _is_dtype(obj):
    try:
        import ember
        return isinstance(obj, ember.dtype)
    except (ImportError, AttributeError):
        return False


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save ``obj`` (a state dict, an optimizer state dict, a whole ``nn.Module``, or any nesting
    of dicts, lists and tuples of tensors, arrays and Python scalars) to ``f``, a path or a
    writable binary file. A module is stored as data (see :mod:`ember.io.objects`), never pickled.

    Paths are written atomically: a crash mid-save leaves the previous file intact.

    Args:
        obj: what to save; see the module docstring for what may be inside.
        f (str, os.PathLike or file): destination.
        pickle_module, pickle_protocol, ...: PyTorch's arguments, accepted and unused (no pickle).

    Raises:
        TypeError: naming where in ``obj`` an unsupported value sits.

    >>> import io, ember
    >>> buffer = io.BytesIO()
    >>> save({"state": {0: {"step": 1}}, "param_groups": [{"lr": 0.1, "params": [0]}]}, buffer)
    >>> _ = buffer.seek(0)
    >>> load(buffer)["state"]
    {0: {'step': 1}}
    """
    encoder = _Encoder()
    structure = encoder.encode(obj)
    metadata = {
        "format": "ember",
        "ember.version": _VERSION,
        "ember.structure": json.dumps(structure, separators=(",", ":"), allow_nan=False),
    }
    safetensors.save_file(encoder.tensors, f, metadata=metadata)


class _Decoder:
    def __init__(self, arrays, source, weights_only=True):
        import ember
        self.ember = ember
        self.arrays = arrays
        self.source = source
        self.weights_only = weights_only
        self.built = {}
        self.objects = {}

    def fail(self, node, why):
        raise ValueError(f"{self.source}: corrupt ember structure at {node!r}: {why}")

    def array(self, node):
        key = node.get("key")
        if key not in self.arrays:
            self.fail(node, f"no tensor named {key!r} in the file")
        return key, self.arrays[key]

    def decode(self, node):
        if node is None or isinstance(node, (bool, str, int, float)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or "@" not in node:
            self.fail(node, "expected a value or a tagged object")
        tag = node["@"]
        if tag in ("tensor", "ndarray", "npscalar"):
            key, arr = self.array(node)
            memo = (tag, key)
            if memo not in self.built:
                self.built[memo] = self.leaf(tag, node, arr)
            return self.built[memo]
        if tag == "tuple":
            return tuple(self.decode(v) for v in node.get("items", []))
        if tag == "dict":
            out = collections.OrderedDict() if node.get("ordered") else \
                collections.Counter() if node.get("counter") else {}
            for pair in node.get("items", []):
                if not (isinstance(pair, list) and len(pair) == 2):
                    self.fail(node, "dict items must be [key, value] pairs")
                out[self.decode(pair[0])] = self.decode(pair[1])
            return out
        if tag == "float":
            if node.get("v") not in ("inf", "-inf", "nan"):
                self.fail(node, "expected v to be 'inf', '-inf' or 'nan'")
            return float(node["v"])
        if tag == "dtype":
            value = getattr(self.ember, str(node.get("name")), None)
            if not isinstance(value, self.ember.dtype):
                self.fail(node, "unknown dtype")
            return value
        if tag == "set":
            return (frozenset if node.get("frozen") else set)(self.decode(v) for v in node.get("items", []))
        if tag == "complex":
            return complex(self.decode(node.get("re")), self.decode(node.get("im")))
        if tag == "bytes":
            try:
                data = bytes.fromhex(node.get("hex"))
            except (TypeError, ValueError):
                self.fail(node, "expected hex digits")
            return bytearray(data) if node.get("mutable") else data
        if tag == "size":
            from ember.autograd.tensor import Size
            return Size(self.decode(v) for v in node.get("items", []))
        if tag == "device":
            return self.ember.device(str(node.get("name")))
        if tag == "namedtuple":
            cls = objects.resolve(node.get("class"), self.weights_only, self.source, "class")
            if not (isinstance(cls, type) and issubclass(cls, tuple)):
                self.fail(node, f"{cls!r} is not a namedtuple class")
            return cls(*(self.decode(v) for v in node.get("items", [])))
        if tag == "global":
            return objects.resolve(node, self.weights_only, self.source, "global")
        if tag == "object":
            return self.decode_object(node)
        if tag == "ref":
            if node.get("id") not in self.objects:
                self.fail(node, "reference to an object not defined before it")
            return self.objects[node["id"]]
        self.fail(node, f"unknown tag {tag!r}")

    def decode_object(self, node):
        cls = objects.resolve(node.get("class"), self.weights_only, self.source, "class")
        if not isinstance(cls, type):
            self.fail(node, f"{cls!r} is not a class")
        obj = cls.__new__(cls)
        # Registered before its state is decoded, so references to it from inside resolve.
        self.objects[node.get("id")] = obj
        objects.set_state(obj, self.decode(node.get("state")), self.source)
        return obj

    def leaf(self, tag, node, arr):
        if tag == "ndarray":
            return arr
        if tag == "npscalar":
            return arr[()]
        if node.get("quantized"):
            from ember.autograd import quantized
            return quantized.from_state(arr, node["quantized"])
        t = self.ember.from_numpy(arr)
        if node.get("parameter"):
            # nn registers its Parameter class with the core when imported; io stays below nn.
            from ember.autograd import tensor as _tensor
            Parameter = _tensor.registry.get("Parameter")
            if Parameter is not None:
                return Parameter(t, requires_grad=bool(node.get("requires_grad", False)))
        if node.get("requires_grad"):
            t.requires_grad_(True)
        return t


def _from_torch(value, decoder):
    """Ember values for what :mod:`ember.io.torch_pickle` read from a PyTorch file."""
    from ember.io import torch_pickle
    if isinstance(value, torch_pickle.TorchTensor):
        # A private, writable copy: the file's views of one storage are read-only windows.
        node = {"parameter": value.parameter, "requires_grad": value.requires_grad}
        return decoder.leaf("tensor", node, np.array(value.array))
    if isinstance(value, torch_pickle.TorchDtype):
        return getattr(decoder.ember, value.name)
    if isinstance(value, torch_pickle.TorchDevice):
        return decoder.ember.device(str(value))
    if isinstance(value, collections.OrderedDict):
        return collections.OrderedDict((k, _from_torch(v, decoder)) for k, v in value.items())
    if isinstance(value, dict):
        return {k: _from_torch(v, decoder) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_from_torch(v, decoder) for v in value)
    return value


def _check_map_location(map_location):
    if map_location is None or callable(map_location):
        return
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        if str(target).split(":")[0] != "cpu":
            raise RuntimeError(f"ember.load: map_location={map_location!r} asks for device '{target}', but ember "
                               f"runs on the CPU only; use map_location='cpu' or leave it out")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load an object saved by :func:`save`, any safetensors file, or a file PyTorch's
    ``torch.save`` wrote (state dicts, optimizer states, checkpoint dicts of tensors and plain
    data; read by :mod:`ember.io.torch_pickle` without unpickling), from ``f`` (a path or a
    readable binary file).

    Files without ember's structure metadata (written by other safetensors writers) load as
    a ``{name: ember.Tensor}`` dict. Loading never unpickles and never runs code from the file.

    Args:
        weights_only (bool): True (the default, as in PyTorch) loads tensors, state dicts and
            plain data, and rebuilds only allow-listed classes
            (:func:`ember.serialization.add_safe_globals`); False also rebuilds ember's own
            module classes. Other classes are refused either way.
        map_location: ``None``, ``"cpu"``, a CPU device, a dict mapping to ``"cpu"`` or a
            callable; ember runs on the CPU, so any other device is an error.
        mmap, pickle_module, **pickle_load_args: PyTorch's arguments, accepted and unused.

    Raises:
        ValueError: (``SafetensorsError``) naming the file and the problem, for corrupt files.
        pickle.UnpicklingError: (``RefusedGlobal``) naming a class the file asks for and the call
            that allows it.
    """
    del mmap, pickle_module, pickle_load_args
    _check_map_location(map_location)
    source = f if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file>")
    from ember.io import torch_pickle
    if torch_pickle.is_torch_file(f):
        return _from_torch(torch_pickle.load_torch_file(f), _Decoder({}, source))
    arrays, metadata = safetensors.load_file_with_metadata(f)
    structure = (metadata or {}).get("ember.structure")
    decoder = _Decoder(arrays, source, weights_only=weights_only is not False)
    if structure is None:
        return {name: decoder.leaf("tensor", {}, arr) for name, arr in arrays.items()}
    try:
        tree = json.loads(structure)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: ember.structure metadata is not valid JSON ({exc})") from None
    return decoder.decode(tree)
