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
  ``{"@": "dict", "items": [[key, value]...]}`` dict (``"ordered": true`` for OrderedDict);
                                                keys are nodes too, so int keys stay int
  ``{"@": "float", "v": "inf"}``                ``inf``, ``-inf`` or ``nan``
  ``{"@": "dtype", "name": "float32"}``         ``ember.float32``
  ============================================  ==================================

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

import numpy as np

from ember.io import safetensors

__all__ = ["save", "load"]

_VERSION = "1"
_KINDS = ("tensors, NumPy arrays and scalars, int, float, bool, str, None, ember dtypes, and "
          "dicts, lists and tuples of them")


def _tensor_type():
    import ember
    return ember.Tensor


def _describe(path):
    return "obj" + "".join(f"[{p!r}]" for p in path) if path else "obj"


class _Encoder:
    def __init__(self):
        self.tensors = {}
        self.names_by_id = {}
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
            return node
        if isinstance(obj, np.ndarray):
            return self.leaf("ndarray", obj, obj, path)
        if isinstance(obj, np.generic):
            return self.leaf("npscalar", obj, np.asarray(obj), path)
        if _is_dtype(obj):
            return {"@": "dtype", "name": obj.name}
        if isinstance(obj, dict):
            items = [[self.encode_key(k, path), self.encode(v, path + (k,))]
                     for k, v in obj.items()]
            node = {"@": "dict", "items": items}
            if isinstance(obj, collections.OrderedDict):
                node["ordered"] = True
            return node
        if isinstance(obj, list):
            return [self.encode(v, path + (i,)) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"@": "tuple", "items": [self.encode(v, path + (i,)) for i, v in enumerate(obj)]}
        raise TypeError(f"ember.save cannot store {type(obj).__name__} at {_describe(path)}; "
                        f"it stores {_KINDS}")

    def encode_key(self, key, path):
        if key is None or isinstance(key, (bool, str, int, float)):
            return self.encode(key, path)
        if isinstance(key, tuple):
            return {"@": "tuple", "items": [self.encode_key(k, path) for k in key]}
        raise TypeError(f"ember.save cannot store a dict key of type {type(key).__name__} "
                        f"({key!r}) in {_describe(path)}; keys may be str, int, float, bool, "
                        f"None or tuples of them")


def _is_dtype(obj):
    try:
        import ember
        return isinstance(obj, ember.dtype)
    except (ImportError, AttributeError):
        return False


def save(obj, f):
    """Save ``obj`` (a state dict, an optimizer state dict, or any nesting of dicts, lists
    and tuples of tensors, arrays and Python scalars) to ``f``, a path or a writable binary file.

    Paths are written atomically: a crash mid-save leaves the previous file intact.

    Args:
        obj: what to save; see the module docstring for what may be inside.
        f (str, os.PathLike or file): destination.

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
    def __init__(self, arrays, source):
        import ember
        self.ember = ember
        self.arrays = arrays
        self.source = source
        self.built = {}

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
            out = collections.OrderedDict() if node.get("ordered") else {}
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
        self.fail(node, f"unknown tag {tag!r}")

    def leaf(self, tag, node, arr):
        if tag == "ndarray":
            return arr
        if tag == "npscalar":
            return arr[()]
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


def load(f, map_location=None, *, weights_only=True, mmap=None):
    """Load an object saved by :func:`save`, or any safetensors file, from ``f`` (a path or a
    readable binary file).

    Files without ember's structure metadata (written by other safetensors writers) load as
    a ``{name: ember.Tensor}`` dict. ``map_location``, ``weights_only`` and ``mmap`` are
    accepted for PyTorch compatibility and ignored: ember is CPU-only and never unpickles.

    Raises:
        ValueError: (``SafetensorsError``) naming the file and the problem, for corrupt files.
    """
    del map_location, weights_only, mmap
    arrays, metadata = safetensors.load_file_with_metadata(f)
    source = f if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file>")
    structure = (metadata or {}).get("ember.structure")
    decoder = _Decoder(arrays, source)
    if structure is None:
        return {name: decoder.leaf("tensor", {}, arr) for name, arr in arrays.items()}
    try:
        tree = json.loads(structure)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: ember.structure metadata is not valid JSON ({exc})") from None
    return decoder.decode(tree)
