"""``keras.dtype_policies``: the dtype a layer computes in and the dtype of its variables.

A policy is named after a float dtype (``'float32'``, ``'float64'``, ``'float16'``, ``'bfloat16'``:
both dtypes the same) or ``'mixed_float16'`` / ``'mixed_bfloat16'`` (float16 / bfloat16 compute,
float32 variables). A layer made with ``dtype=`` a name, a policy or a policy config uses it; without
one it uses the global policy (``keras.config.set_dtype_policy``, default ``floatx()``).

A layer with a mixed policy keeps its variables in ``variable_dtype``, casts its float inputs to
``compute_dtype`` and reads its variables cast to it (see ``ember.keras.autocast``), so it computes in
and outputs ``compute_dtype``, as in Keras.

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
        if type(self) in (DTypePolicy, FloatDTypePolicy):
            if type(other) not in (DTypePolicy, FloatDTypePolicy):
                return False
        elif type(other) is not type(self):
            return False
        return self._name == other._name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        name = "DTypePolicy" if type(self) is FloatDTypePolicy else type(self).__name__
        return f'<{name} "{self._name}">'


class FloatDTypePolicy(DTypePolicy):
    """The same as :class:`DTypePolicy` (Keras keeps the name for older code)."""


QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")


class QuantizedDTypePolicy(DTypePolicy):
    """``QuantizedDTypePolicy(mode, source_name=None)``: the policy of a layer quantized with ``mode``
    (``'int8'``, ``'int4'``...) from the float policy ``source_name`` (default: the global one); its name is
    ``'<mode>_from_<source_name>'`` and its dtypes are ``source_name``'s."""

    def __init__(self, mode, source_name=None):
        if source_name is None:
            source_name = dtype_policy().name
        source = DTypePolicy(source_name)
        self._compute_dtype, self._variable_dtype = source.compute_dtype, source.variable_dtype
        if mode not in QUANTIZATION_MODES:
            raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: "
                             f"mode={mode}")
        if self._compute_dtype == "float16" and mode == "int8":
            raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'.")
        self._name = f"{mode}_from_{source_name}"
        self._source_name = source_name
        self._quantization_mode = mode

    @property
    def quantization_mode(self):
        return self._quantization_mode

    def __eq__(self, other):
        return super().__eq__(other) and self._quantization_mode == other._quantization_mode \
            and self._source_name == other._source_name

    def __hash__(self):
        return hash(self._name)

    def get_config(self):
        return {"mode": self._quantization_mode, "source_name": self._source_name}


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """The ``'float8'`` policy; ``amax_history_length`` (default 1024) is the length of the windows of
    recent abs-max values the delayed float8 scales are computed from."""

    default_amax_history_length = 1024

    def __init__(self, mode, source_name=None, amax_history_length=1024):
        super().__init__(mode=mode, source_name=source_name)
        if not isinstance(amax_history_length, int):
            raise TypeError(f"`amax_history_length` must be an integer. Received: "
                            f"amax_history_length={amax_history_length}")
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self):
        return self._amax_history_length

    def __eq__(self, other):
        return super().__eq__(other) and self._amax_history_length == other._amax_history_length

    __hash__ = QuantizedDTypePolicy.__hash__

    def get_config(self):
        return {**super().get_config(), "amax_history_length": self._amax_history_length}


class Int4DTypePolicy(QuantizedDTypePolicy):
    """``Int4DTypePolicy('int4/<block_size>', source_name)``: int4 with ``block_size`` input rows per scale
    (-1: one scale per output channel)."""

    def __init__(self, mode, source_name=None):
        parts = mode.split("/")
        if len(parts) != 2 or parts[0] != "int4":
            raise ValueError(f"Invalid mode for Int4DTypePolicy. Expected format 'int4/<block_size>', but got "
                             f"'{mode}'.")
        try:
            block_size = int(parts[1])
        except ValueError:
            raise ValueError("Invalid mode for Int4DTypePolicy. <block_size> must be an integer. Expected format "
                             f"'int4/<block_size>', but got '{mode}'.") from None
        if block_size < -1 or block_size == 0:
            raise ValueError("Invalid block_size in mode. Supported values are -1 (per-channel) or a positive "
                             f"integer (sub-channel), but got {block_size} from '{mode}'.")
        super().__init__(mode="int4", source_name=source_name)
        self._name = f"{mode}_from_{source_name}"
        self.mode = "int4"
        self.block_size = block_size

    def __eq__(self, other):
        return super().__eq__(other) and self.block_size == other.block_size

    __hash__ = QuantizedDTypePolicy.__hash__

    def get_config(self):
        return {**super().get_config(), "mode": f"int4/{self.block_size}"}


def _quantized_policy_by_name(name):
    """``'int8_from_float32'`` -> ``QuantizedDTypePolicy('int8', 'float32')`` (float8 and int4 likewise)."""
    parts = name.split("_from_")
    if len(parts) != 2:
        raise ValueError("Cannot convert `policy` into a valid pair (`mode`, `source_name`) to instantiate "
                         f"`QuantizedDTypePolicy`. Received: policy={name}")
    mode, source = parts
    if mode.startswith("float8"):
        return QuantizedFloat8DTypePolicy(mode, source)
    if mode.startswith("int4") and "/" in mode:
        return Int4DTypePolicy(mode, source)
    if mode.startswith(("gptq", "awq")):
        raise NotImplementedError(f"dtype policy {name!r}: ember.keras has no GPTQ/AWQ layers")
    return QuantizedDTypePolicy(mode, source)


class DTypePolicyMap(dict):
    """A dict from layer paths to policies, with ``default_policy`` for paths it does not hold."""

    def __init__(self, default_policy=None, policy_map=None):
        super().__init__()
        self._default_policy_arg = default_policy
        self.default_policy = get(default_policy) if default_policy is not None else dtype_policy()
        for key, value in (policy_map or {}).items():
            self[key] = value

    def __setitem__(self, key, policy):
        if key in self:
            raise ValueError(f"{key} already exists in the DTypePolicyMap with value {self[key]}. Please make "
                             "sure to not use duplicated keys.")
        super().__setitem__(key, get(policy))

    def __missing__(self, key):
        # Keras: an exact path first, then every key as a regular expression that must match the whole path.
        import re
        matches = [k for k in self if re.fullmatch(k, key)]
        if len(matches) > 1:
            raise ValueError(f"Path '{key}' matches multiple dtype policy specification keys: {matches}. Please "
                             "make sure each path only matches at most one dtype policy specification key in the "
                             "DTypePolicyMap.")
        return dict.__getitem__(self, matches[0]) if matches else self.default_policy

    @property
    def compute_dtype(self):
        return self.default_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self.default_policy.variable_dtype

    @property
    def quantization_mode(self):
        return self.default_policy.quantization_mode

    @property
    def name(self):
        return "map_" + self.default_policy.name

    def get_config(self):
        """Keras's form: ``default_policy`` as it was given; without one, the entries are saved without their
        source dtype (``name`` / ``source_name`` null), so that they take the loading side's global policy."""
        default = self._default_policy_arg
        entries = {}
        for key, policy in self.items():
            entry = serialize(policy)
            if default is None:
                entry["config"] = dict(entry["config"])
                entry["config"]["source_name" if isinstance(policy, QuantizedDTypePolicy) else "name"] = None
            entries[key] = entry
        return {"default_policy": serialize(default) if isinstance(default, DTypePolicy) else default,
                "policy_map": entries}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        default = config.get("default_policy")
        config["default_policy"] = deserialize(default) if isinstance(default, dict) else default
        config["policy_map"] = {k: deserialize(v) for k, v in (config.get("policy_map") or {}).items()}
        return cls(**config)

    def __repr__(self):
        mapping = [(k, v.name) for k, v in self.items()]
        return f"<DTypePolicyMap at {hex(id(self))} default_policy={self.default_policy.name}, mapping={mapping}>"


_ALL = {c.__name__: c for c in (DTypePolicy, FloatDTypePolicy, DTypePolicyMap, QuantizedDTypePolicy,
                                 QuantizedFloat8DTypePolicy, Int4DTypePolicy)}


def set_dtype_policy(policy):
    """Set the global policy (a name such as ``'float64'`` or a :class:`DTypePolicy`)."""
    if isinstance(policy, str):
        policy = get(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError("Invalid `policy` argument. Expected the string name of a policy (such as "
                         f"'mixed_float16') or a `DTypePolicy` instance. Received: policy={policy} "
                         f"(of type {type(policy)})")
    _GLOBAL[0] = policy


def dtype_policy():
    """The global policy (``DTypePolicy(floatx())`` until one is set)."""
    return _GLOBAL[0] if _GLOBAL[0] is not None else DTypePolicy(backend.floatx())


def serialize(policy):
    module = "keras" if type(policy) in (DTypePolicy, FloatDTypePolicy) else "keras.dtype_policies"
    return {"module": module, "class_name": type(policy).__name__, "config": policy.get_config(),
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
        if identifier.startswith(QUANTIZATION_MODES):
            return _quantized_policy_by_name(identifier)
        return DTypePolicy(identifier)
    dtype = getattr(identifier, "name", None) or str(np.dtype(identifier))
    return DTypePolicy(str(dtype))


def quantized_policy(dtype, path=None):
    """The quantized policy ``dtype`` names (``'int8_from_float32'``, a config, a policy; for a
    ``DTypePolicyMap``, its policy for the layer ``path``), else None."""
    if isinstance(dtype, DTypePolicyMap):
        dtype = dtype[path] if path else dtype.default_policy
    if isinstance(dtype, (str, dict, DTypePolicy)):
        policy = get(dtype)
        return policy if policy.quantization_mode is not None else None
    return None


def layer_policy(dtype, path=None):
    """The float policy of a layer made with ``dtype=`` (a name, a policy or its config, a dtype, None for
    the global policy; for a ``DTypePolicyMap``, its policy for the layer ``path``). A quantized policy
    gives the policy of its source dtype."""
    if isinstance(dtype, DTypePolicyMap):
        dtype = dtype[path] if path else dtype.default_policy
    if dtype is None:
        policy = dtype_policy()
    elif isinstance(dtype, (DTypePolicy, dict, str)):
        policy = get(dtype)
    else:
        return DTypePolicy(str(np.dtype(getattr(dtype, "numpy", dtype))))
    if policy.quantization_mode is not None:
        return DTypePolicy(policy._source_name)
    return DTypePolicy(policy.name) if type(policy) is FloatDTypePolicy else policy
