"""``torch.ops``: the namespace through which custom operators are called (``torch.ops.mylib.foo(x)``).

Operators get here from :mod:`ember.library` (``custom_op``, ``Library.define`` + ``impl``).
``ops.<ns>.<name>`` is an :class:`OpOverloadPacket` (callable; ``.default`` and each named overload
are :class:`OpOverload`). A name that was never defined raises ``AttributeError`` as in PyTorch.
Ember's own ops are its functions (``ember.mm``), not ``ops.aten.*``.

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


class _OpNamespace:
    def __init__(self, name):
        self.name = name

    def __getattr__(self, op):
        if op.startswith("__"):
            raise AttributeError(op)
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
