"""``keras.dtype_policies``: the dtype a layer computes in and the dtype of its variables.

A policy is named after a float dtype (``'float32'``, ``'float64'``, ``'float16'``, ``'bfloat16'``:
both dtypes the same) or ``'mixed_float16'`` / ``'mixed_bfloat16'`` (float16 / bfloat16 compute,
float32 variables). A layer made with ``dtype=`` a name, a policy or a policy config uses it; without
one it uses the global policy (``keras.config.set_dtype_policy``, default ``floatx()``).

ember.keras runs a layer in one dtype: a mixed policy can be made, compared and saved, but a layer
given one raises ``NotImplementedError`` (ember has no mixed-precision kernels).

>>> from ember.keras import dtype_policies
>>> p = dtype_policies.get("mixed_float16")
>>> p.compute_dtype, p.variable_dtype
('float16', 'float32')
"""
import numpy as np

from . import backend

_GLOBAL = [None]


def _standardize(name):
    if name == "bfloat16":
        return name
    try:
        return np.dtype(name).name
    except TypeError:
        raise ValueError(f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid policies include "
                         "'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as "
                         "'float32'.") from None


class DTypePolicy:
    """``DTypePolicy(name=None)``: ``compute_dtype`` and ``variable_dtype`` from ``name`` (default: the
    global policy's name)."""

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, such as 'mixed_float16'. Received: name={name} "
                            f"(of type {type(name)})")
        self._name = name
        if name == "mixed_float16":
            self._compute_dtype, self._variable_dtype = "float16", "float32"
        elif name == "mixed_bfloat16":
            self._compute_dtype, self._variable_dtype = "bfloat16", "float32"
        else:
            self._compute_dtype = self._variable_dtype = _standardize(name)

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        return None

    def convert_input(self, x, autocast, dtype):
        """``x`` as a tensor; floats of another dtype cast to ``dtype`` when ``autocast`` (integers untouched)."""
        x = backend.convert_to_tensor(x) if not hasattr(x, "_data") else x
        if autocast and x._data.dtype.kind == "f" and x._data.dtype.name != dtype:
            return backend.cast_input(x, dtype)
        return x

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and type(other) in (DTypePolicy, FloatDTypePolicy) \
            and self._name == other._name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


class FloatDTypePolicy(DTypePolicy):
    """The same as :class:`DTypePolicy` (Keras keeps the name for older code)."""


class DTypePolicyMap(dict):
    """A dict from layer paths to policies, with ``default_policy`` for paths it does not hold."""

    def __init__(self, default_policy=None, policy_map=None):
        super().__init__()
        self.default_policy = get(default_policy) if default_policy is not None else dtype_policy()
        for key, value in (policy_map or {}).items():
            self[key] = value

    def __setitem__(self, key, policy):
        if key in self:
            raise ValueError(f"{key} already exists in the DTypePolicyMap with value {self[key]}. Please make "
                             "sure to not use duplicated keys.")
        super().__setitem__(key, get(policy))

    def __missing__(self, key):
        return self.default_policy

    @property
    def name(self):
        return "map_" + self.default_policy.name

    def get_config(self):
        return {"default_policy": serialize(self.default_policy),
                "policy_map": {k: serialize(v) for k, v in self.items()}}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["default_policy"] = deserialize(config["default_policy"])
        config["policy_map"] = {k: deserialize(v) for k, v in (config.get("policy_map") or {}).items()}
        return cls(**config)


_ALL = {c.__name__: c for c in (DTypePolicy, FloatDTypePolicy, DTypePolicyMap)}


def set_dtype_policy(policy):
    """Set the global policy (a name such as ``'float64'`` or a :class:`DTypePolicy`)."""
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError("Invalid `policy` argument. Expected the string name of a policy (such as "
                         f"'mixed_float16') or a `DTypePolicy` instance. Received: policy={policy} "
                         f"(of type {type(policy)})")
    _GLOBAL[0] = policy


def dtype_policy():
    """The global policy (``DTypePolicy(floatx())`` until one is set)."""
    return _GLOBAL[0] if _GLOBAL[0] is not None else DTypePolicy(backend.floatx())


def serialize(policy):
    return {"module": "keras", "class_name": type(policy).__name__, "config": policy.get_config(),
            "registered_name": None}


def deserialize(config, custom_objects=None):
    cls = (custom_objects or {}).get(config.get("class_name")) or _ALL.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown dtype policy class {config.get('class_name')!r}")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """A policy from a name, a config dict or a policy."""
    if identifier is None:
        return None
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    dtype = getattr(identifier, "name", None) or str(np.dtype(identifier))
    return DTypePolicy(str(dtype))


def layer_dtype(dtype):
    """The one dtype a layer made with ``dtype=`` computes and keeps its weights in."""
    if dtype is None:
        policy = dtype_policy()
    elif isinstance(dtype, (DTypePolicy, dict, str)):
        policy = get(dtype)
    else:
        return str(np.dtype(getattr(dtype, "numpy", dtype)))
    if policy.compute_dtype != policy.variable_dtype:
        raise NotImplementedError(f"dtype policy {policy.name!r}: ember.keras has no mixed precision (compute "
                                  f"{policy.compute_dtype}, variables {policy.variable_dtype}); use one dtype "
                                  "such as 'float32' or 'float16'")
    return policy.compute_dtype
