"""``Proxy``: the stand-in value a symbolic trace passes through a program, as ``torch.fx.Proxy``.

Every operation on a proxy records a node in the tracer's graph and returns a new proxy for its
result instead of computing anything: ``x + 1`` records ``call_function[operator.add]``,
``x.view(2, -1)`` records ``call_method[view]`` (through an :class:`Attribute` proxy),
``torch.relu(x)`` records ``call_function[torch.relu]`` (the tracer patches ember's functions to
do so). Python control flow on a proxy cannot be recorded, so ``bool(proxy)`` raises
:class:`TraceError`, as in PyTorch.

>>> import ember.fx as fx
>>> g = fx.Graph(); tracer = fx.proxy.GraphAppendingTracer(g)
>>> x = fx.Proxy(g.placeholder("x"), tracer)
>>> y = (x * 2).sum()
>>> [n.op for n in g.nodes], y.node.target
(['placeholder', 'call_function', 'call_method'], 'sum')
"""
import bisect
import dis
import inspect
import operator

from .graph import Graph
from .node import Node, map_aggregate

__all__ = ["Proxy", "Attribute", "TraceError", "GraphAppendingTracer", "TracerBase"]


class TraceError(ValueError):
    """A traced program did something a graph cannot record (control flow on a traced value ...)."""


class TracerBase:
    """What a :class:`Proxy` needs of its tracer: ``graph``, ``create_proxy`` and ``create_arg``."""

    graph: Graph

    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None):
        return self.graph.create_node(kind, target, args, kwargs, name, type_expr)

    def proxy(self, node):
        return Proxy(node, self)

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, proxy_factory_fn=None):
        """Record a node for this call (its proxies turned into nodes) and return a proxy of its result."""
        args_ = self.create_arg(args)
        kwargs_ = self.create_arg(kwargs)
        node = self.create_node(kind, target, args_, kwargs_, name, type_expr)
        return self.proxy(node) if proxy_factory_fn is None else proxy_factory_fn(node)

    def create_arg(self, a):
        """An argument value as the graph stores it: proxies become their nodes."""
        def leaf(x):
            if isinstance(x, Proxy):
                return x.node
            if isinstance(x, Node) or x is None or isinstance(x, (bool, int, float, complex, str, bytes, range)) \
                    or x is Ellipsis:
                return x
            return self._create_other_arg(x)
        return map_aggregate(a, leaf)

    def _create_other_arg(self, x):
        from ember.backend.dtypes import dtype
        import ember
        if isinstance(x, (dtype, ember.device)) or callable(x):
            return x
        raise NotImplementedError(f"argument of type: {type(x)}")

    def to_bool(self, obj):
        raise TraceError("symbolically traced variables cannot be used as inputs to control flow")

    def to_python(self, obj, kind):
        """``int(proxy)`` / ``float(proxy)`` / ``proxy.__index__()``: not a value a symbolic trace has."""
        if kind is operator.index:
            raise TypeError("'Proxy' object cannot be interpreted as an integer")
        raise TypeError(f"{kind.__name__}() argument must be a string, a bytes-like object or a real number, "
                        "not 'Proxy'")

    def iter(self, obj):
        raise TraceError("Proxy object cannot be iterated. This can be attempted when the Proxy is used in a loop "
                         "or as a *args or **kwargs function argument. See the torch.fx docs on pytorch.org for a "
                         "more detailed explanation of what types of control flow can be traced, and check out the "
                         "Proxy docstring for help troubleshooting Proxy iteration errors")


class GraphAppendingTracer(TracerBase):
    """The minimal tracer: proxies record into ``graph``, nothing is patched."""

    def __init__(self, graph):
        self.graph = graph


class Proxy:
    """A traced value; operations on it record nodes (see the module doc)."""

    def __init__(self, node, tracer=None):
        if tracer is None:
            tracer = GraphAppendingTracer(node.graph)
        self.tracer = tracer
        self.node = node

    def __repr__(self):
        return f"Proxy({self.node.name})"

    def __getattr__(self, k):
        # Called only for names the Proxy class lacks: a tensor attribute or method of the traced value.
        if k.startswith("__") and k.endswith("__"):
            raise AttributeError(k)
        return Attribute(self, k)

    def __call__(self, *args, **kwargs):
        return self.tracer.create_proxy("call_method", "__call__", (self,) + args, kwargs)

    def __iter__(self):
        # ``a, b = proxy`` unpacks into getitem proxies: the caller's next instruction says how many.
        frame = inspect.currentframe().f_back
        instructions = list(dis.get_instructions(frame.f_code))
        i = bisect.bisect_left([inst.offset for inst in instructions], frame.f_lasti)
        if i < len(instructions) and instructions[i].opname == "UNPACK_SEQUENCE":
            return (self[j] for j in range(instructions[i].argval))
        return self.tracer.iter(self)

    def __bool__(self):
        return self.tracer.to_bool(self)

    def __int__(self):
        return self.tracer.to_python(self, int)

    def __float__(self):
        return self.tracer.to_python(self, float)

    def __index__(self):
        return self.tracer.to_python(self, operator.index)

    def __len__(self):
        raise RuntimeError("'len' is not supported in symbolic tracing by default. If you want this call to be "
                           "recorded, please call torch.fx.wrap('len') at module scope")

    def __setitem__(self, key, value):
        self.tracer.create_proxy("call_function", operator.setitem, (self, key, value), {})

    def keys(self):
        raise TraceError("Proxy object cannot be unpacked with ** : its keys are not known while tracing")


class Attribute(Proxy):
    """``proxy.name``: becomes ``call_method[name]`` when called, ``getattr(proxy, "name")`` otherwise."""

    def __init__(self, root, attr):
        self.root = root
        self.attr = attr
        self.tracer = root.tracer
        self._node = None

    @property
    def node(self):
        # Recorded only when used as a value, so ``x.view(...)`` makes one node, not two.
        if self._node is None:
            self._node = self.tracer.create_proxy("call_function", getattr, (self.root, self.attr), {}).node
        return self._node

    def __call__(self, *args, **kwargs):
        return self.tracer.create_proxy("call_method", self.attr, (self.root,) + args, kwargs)


def _binary(fn, reflected=False):
    if reflected:
        def method(self, other):
            return self.tracer.create_proxy("call_function", fn, (other, self), {})
    else:
        def method(self, other):
            return self.tracer.create_proxy("call_function", fn, (self, other), {})
    return method


def _unary(fn):
    def method(self):
        return self.tracer.create_proxy("call_function", fn, (self,), {})
    return method


_REFLECTABLE = ("add", "sub", "mul", "floordiv", "truediv", "mod", "pow", "lshift", "rshift", "and_", "or_", "xor",
                "matmul")
for _name in _REFLECTABLE:
    _dunder = _name.rstrip("_")
    setattr(Proxy, f"__{_dunder}__", _binary(getattr(operator, _name)))
    setattr(Proxy, f"__r{_dunder}__", _binary(getattr(operator, _name), reflected=True))
for _name in ("eq", "ne", "lt", "gt", "le", "ge", "getitem"):
    setattr(Proxy, f"__{_name}__", _binary(getattr(operator, _name)))
for _name in ("neg", "pos", "invert", "abs"):
    setattr(Proxy, f"__{_name}__", _unary(getattr(operator, _name)))
Proxy.__hash__ = object.__hash__   # __eq__ records a node, yet proxies stay usable as dict keys
