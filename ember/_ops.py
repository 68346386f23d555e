"""``torch.ops``: the namespace through which custom operators are called (``torch.ops.mylib.foo(x)``).

Operators get here from :mod:`ember.library` (``custom_op``, ``Library.define`` + ``impl``).
``ops.<ns>.<name>`` is an :class:`OpOverloadPacket` (callable; ``.default`` and each named overload
are :class:`OpOverload`). A name that was never defined raises ``AttributeError`` as in PyTorch.
``ops.aten.<name>`` is ember's function of that name (``ops.aten.mm`` runs ``ember.mm``), for the
names ember has at its top level; it equals the string ``"aten.<name>"``, so the op keys of
:class:`ember.utils.flop_counter.FlopCounterMode` can be looked up with it, as in PyTorch.

>>> import ember.library as library
>>> @library.custom_op("demo_ops::twice", mutates_args=())
... def twice(x: "Tensor") -> "Tensor":
...     return x * 2
>>> import ember
>>> ops.demo_ops.twice(ember.ones(2))
tensor([2., 2.])
"""
__all__ = ["ops", "OpOverload", "OpOverloadPacket"]

# (namespace, name) -> {overload name ("default" for none): OpOverload}
_REGISTRY = {}


class OpOverload:
    """One schema of an operator: ``ns::name.overload``; calling it runs the registered implementation."""

    def __init__(self, namespace, name, overload, schema, call):
        self.namespace, self._opname, self._overloadname = namespace, name, overload
        self._schema, self._call = schema, call
        self.__name__ = f"{name}.{overload}"
        self.__qualname__ = self.__name__

    @property
    def name(self):
        return f"{self.namespace}::{self._opname}" + ("" if self._overloadname == "default" else
                                                        f".{self._overloadname}")

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    def __repr__(self):
        return f"<OpOverload(op='{self.namespace}.{self._opname}', overload='{self._overloadname}')>"

    def __str__(self):
        return f"{self.namespace}.{self._opname}.{self._overloadname}"


class OpOverloadPacket:
    """All overloads of ``ns::name``; calling it runs the default overload."""

    def __init__(self, namespace, name):
        self.namespace, self._opname = namespace, name
        self.__name__ = name

    def _overloads_map(self):
        return _REGISTRY.get((self.namespace, self._opname), {})

    def overloads(self):
        return list(self._overloads_map())

    def __getattr__(self, overload):
        if overload.startswith("__"):
            raise AttributeError(overload)
        op = self._overloads_map().get(overload)
        if op is None:
            raise AttributeError(f"The underlying op of '{self.namespace}.{self._opname}' has no overload name "
                                 f"'{overload}'")
        return op

    def __call__(self, *args, **kwargs):
        overloads = self._overloads_map()
        if "default" in overloads:
            return overloads["default"](*args, **kwargs)
        for op in overloads.values():  # torch picks the overload whose schema matches; ember tries in order
            try:
                return op(*args, **kwargs)
            except TypeError:
                continue
        raise RuntimeError(f"{self.namespace}::{self._opname}: no overload accepts these arguments")

    def __repr__(self):
        return f"<OpOverloadPacket(op='{self.namespace}.{self._opname}')>"

    def __str__(self):
        return f"{self.namespace}.{self._opname}"


class _AtenPacket:
    """``ops.aten.<name>``: ember's top-level function ``<name>``, equal (and hashing equal) to ``"aten.<name>"``."""

    def __init__(self, name, fn):
        self._opname, self._fn, self.namespace = name, fn, "aten"
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        if self._fn is None:
            raise NotImplementedError(f"ops.aten.{self._opname}: ember has no function of that name to run")
        return self._fn(*args, **kwargs)

    @property
    def default(self):
        return _AtenOverload(self, "default")

    def __getattr__(self, overload):
        if overload in _ATEN_OVERLOADS:
            return _AtenOverload(self, overload)
        raise AttributeError(f"The underlying op of 'aten.{self._opname}' has no overload name '{overload}'")

    def __str__(self):
        return f"aten.{self._opname}"

    def __repr__(self):
        return f"<OpOverloadPacket(op='aten.{self._opname}')>"

    def __hash__(self):
        return hash(str(self))

    def __eq__(self, other):
        return str(self) == (other if isinstance(other, str) else str(other)) \
            if isinstance(other, (str, _AtenPacket)) else NotImplemented


# The overload names of aten ops that ember answers to (``ops.aten.add.Tensor``); ember has one function per op,
# so every overload of an op runs it.
_ATEN_OVERLOADS = {"Tensor", "Scalar", "out", "int", "dim", "dim_IntList", "self", "input", "Tensor_Scalar",
                   "Tensor_Tensor", "Scalar_Tensor", "using_ints", "correction", "float", "memory_format"}


class _AtenOverload:
    """``ops.aten.<name>.<overload>`` (``ops.aten.mm.default``): ember's function ``<name>``.

    Ember has one function per op, not one kernel per schema, so an overload equals (and hashes as) every
    other overload of the same op: ``ops.aten.mul.Tensor == ops.aten.mul.Scalar``. That is what lets a
    selective-checkpointing policy written as ``op == torch.ops.aten.mul.Tensor`` match the op ember
    reports (:mod:`ember.utils.checkpoint`)."""

    def __init__(self, packet, overload):
        self._overloadpacket, self._overloadname = packet, overload
        self._opname, self.namespace = packet._opname, "aten"
        self.__name__ = f"{packet._opname}.{overload}"

    @property
    def overloadpacket(self):
        return self._overloadpacket

    def name(self):
        return f"aten::{self._opname}" + ("" if self._overloadname == "default" else f".{self._overloadname}")

    def __call__(self, *args, **kwargs):
        return self._overloadpacket(*args, **kwargs)

    def __str__(self):
        return f"aten.{self._opname}.{self._overloadname}"

    def __repr__(self):
        return f"<OpOverload(op='aten.{self._opname}', overload='{self._overloadname}')>"

    def __hash__(self):
        return hash(("aten-overload", self._opname))

    def __eq__(self, other):
        if isinstance(other, _AtenOverload):
            return other._opname == self._opname
        if isinstance(other, str):
            return other == str(self)
        return NotImplemented


# aten ops the FLOP counter or selective checkpointing report that have no ember function of the same name
_ATEN_KEYS_ONLY = {"convolution_backward", "_softmax", "_log_softmax", "_to_copy",
                   "_scaled_dot_product_flash_attention", "_scaled_dot_product_efficient_attention",
                   "_scaled_dot_product_flash_attention_for_cpu",
                   "native_dropout", "max_pool2d_with_indices", "native_batch_norm", "_native_batch_norm_legit",
                   "_unsafe_view", "expand", "unsqueeze", "squeeze", "select", "slice", "embedding"}


class _OpNamespace:
    def __init__(self, name):
        self.name = name

    def __getattr__(self, op):
        if op.startswith("__"):
            raise AttributeError(op)
        if self.name == "aten" and ("aten", op) not in _REGISTRY:
            import ember
            fn = getattr(ember, op, None)
            if callable(fn) or op in _ATEN_KEYS_ONLY:
                return _AtenPacket(op, fn if callable(fn) else None)
        if (self.name, op) not in _REGISTRY:
            raise AttributeError(f"'_OpNamespace' '{self.name}' object has no attribute '{op}'")
        return OpOverloadPacket(self.name, op)


class _Ops:
    def __getattr__(self, namespace):
        if namespace.startswith("__"):
            raise AttributeError(namespace)
        return _OpNamespace(namespace)


ops = _Ops()


def register(namespace, name, overload, schema, call):
    """Add ``ns::name.overload`` (used by :mod:`ember.library`); returns its :class:`OpOverload`."""
    op = OpOverload(namespace, name, overload, schema, call)
    _REGISTRY.setdefault((namespace, name), {})[overload] = op
    return op


def lookup(namespace, name, overload="default"):
    return _REGISTRY.get((namespace, name), {}).get(overload)
