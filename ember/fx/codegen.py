"""Python source for a :class:`~ember.fx.Graph`: the ``forward`` a ``GraphModule`` runs, as ``torch.fx`` writes it.

Each node becomes one assignment, in graph order, followed by ``;  a = b = None`` for the values
it was the last reader of (so memory is freed as eagerly as in the original program)::

    def forward(self, x):
        linear = self.linear(x);  x = None
        relu = torch.relu(linear);  linear = None
        return relu

Only the graph is turned into source: the code is built from node names (legal identifiers by
construction), operators and ``repr`` of plain constants; any other object an argument holds is
bound as a global of the generated function, never printed. ``torch`` in the code is ember.

>>> import operator
>>> from ember.fx import Graph
>>> g = Graph(); x = g.placeholder("x"); _ = g.output(g.call_function(operator.mul, (x, 2)))
>>> print(g.python_code("self").src.strip())
def forward(self, x):
    mul = x * 2;  x = None
    return mul
"""
import builtins
import itertools
import linecache
import math
import operator

from .graph import _ILLEGAL_CHARS, _torch_name
from .node import Node, map_arg

__all__ = ["PythonCode", "python_code", "compile_forward"]

_BINARY = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.floordiv: "//", operator.truediv: "/",
           operator.mod: "%", operator.pow: "**", operator.lshift: "<<", operator.rshift: ">>", operator.and_: "&",
           operator.or_: "|", operator.xor: "^", operator.matmul: "@", operator.eq: "==", operator.ne: "!=",
           operator.lt: "<", operator.gt: ">", operator.le: "<=", operator.ge: ">="}
_UNARY = {operator.neg: "-", operator.pos: "+", operator.invert: "~"}
_counter = itertools.count()


class PythonCode:
    """``src``: the source of ``forward``; ``globals``: the names it needs bound."""

    def __init__(self, src, globals_):
        self.src = src
        self.globals = globals_


class _Globals:
    """The generated function's globals: ember as ``torch`` plus any object an argument holds."""

    def __init__(self, reserved=()):
        import ember
        self._reserved = set(reserved)
        self.values = {"torch": ember, "ember": ember, "operator": operator, "math": math, "builtins": builtins,
                       "inf": math.inf, "nan": math.nan, "device": ember.device, "getattr": getattr}
        self._ids = {}

    def add(self, obj, hint):
        """A global name bound to ``obj`` (the same name for the same object)."""
        if id(obj) in self._ids:
            return self._ids[id(obj)]
        base = _ILLEGAL_CHARS.sub("_", hint) or "_obj"
        if base[0].isdigit():
            base = "_" + base
        name, i = base, 0
        while name in self.values or name in self._reserved:
            i += 1
            name = f"{base}_{i}"
        self.values[name] = obj
        self._ids[id(obj)] = name
        return name


def _format(a, g):
    """Source text for an argument value."""
    from ember.backend.dtypes import dtype
    if isinstance(a, Node):
        return a.name
    if isinstance(a, bool) or a is None or isinstance(a, (int, str, bytes)):
        return repr(a)
    if isinstance(a, float):
        if math.isinf(a):
            return "inf" if a > 0 else "-inf"
        return "nan" if math.isnan(a) else repr(a)
    if isinstance(a, complex):
        return repr(a)
    if a is Ellipsis:
        return "..."
    if isinstance(a, dtype):
        return "torch." + repr(a).rsplit(".", 1)[-1]
    if isinstance(a, slice):
        return f"slice({_format(a.start, g)}, {_format(a.stop, g)}, {_format(a.step, g)})"
    if isinstance(a, list):
        return "[" + ", ".join(_format(e, g) for e in a) + "]"
    if isinstance(a, tuple) and not hasattr(a, "_fields"):
        inner = ", ".join(_format(e, g) for e in a)
        return "(" + inner + ("," if len(a) == 1 else "") + ")"
    if isinstance(a, dict):
        return "{" + ", ".join(f"{_format(k, g)}: {_format(v, g)}" for k, v in a.items()) + "}"
    if isinstance(a, range):
        return f"range({a.start}, {a.stop}, {a.step})"
    return g.add(a, getattr(a, "__name__", type(a).__name__))


def _annotation(t, g):
    """``": float"`` for a class annotation (torch.Tensor for ember's Tensor); other annotations are left out."""
    from ember.autograd.tensor import Tensor
    if t is None or not isinstance(t, type):
        return ""
    if t is Tensor:
        return " : torch.Tensor"
    if t.__module__ == "builtins" and getattr(builtins, t.__name__, None) is t:
        return f" : {t.__name__}"
    return f" : {g.add(t, t.__name__)}"


def _format_target(base, target):
    r = base
    for e in target.split("."):
        r = f"{r}.{e}" if e.isidentifier() else f'getattr({r}, "{e}")'
    return r


def _call_args(args, kwargs, g):
    parts = [_format(a, g) for a in args] + [f"{k} = {_format(v, g)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _function_name(fn, g):
    name = _torch_name(fn)
    if name is not None:
        return name
    fname = getattr(fn, "__name__", None)
    if fname and getattr(builtins, fname, None) is fn:
        return fname
    if fname and getattr(operator, fname, None) is fn:
        return "operator." + fname
    hint = getattr(fn, "_fx_global_name", None)
    return g.add(fn, hint or f"{getattr(fn, '__module__', None) or ''}.{getattr(fn, '__qualname__', fname or 'fn')}")


def _expression(node, g, root):
    op, t, args, kwargs = node.op, node.target, node.args, node.kwargs
    if op == "get_attr":
        return _format_target(root, t)
    if op == "call_module":
        return f"{_format_target(root, t)}({_call_args(args, kwargs, g)})"
    if op == "call_method":
        return f"{_format(args[0], g)}.{t}({_call_args(args[1:], kwargs, g)})"
    # call_function
    if not kwargs and t in _BINARY and len(args) == 2:
        return f"{_format(args[0], g)} {_BINARY[t]} {_format(args[1], g)}"
    if not kwargs and t in _UNARY and len(args) == 1:
        return f"{_UNARY[t]}{_format(args[0], g)}"
    if not kwargs and t is operator.getitem and len(args) == 2:
        return f"{_format(args[0], g)}[{_format(args[1], g)}]"
    if t is builtins.getattr and len(args) == 2 and isinstance(args[1], str) and args[1].isidentifier():
        return f"{_format(args[0], g)}.{args[1]}"
    return f"{_function_name(t, g)}({_call_args(args, kwargs, g)})"


def python_code(graph, root_module="self"):
    """The :class:`PythonCode` of ``forward`` for ``graph``; ``root_module`` names the module argument."""
    nodes = list(graph.nodes)
    g = _Globals(n.name for n in nodes)
    # Each value dies after its last reader: find that reader, scanning backwards.
    last_uses, seen = {}, set()
    for node in reversed(nodes):
        def register(n, user=node):
            if n not in seen:
                seen.add(n)
                last_uses.setdefault(user, []).append(n)
        map_arg(node.args, register)
        map_arg(node.kwargs, register)
    free_vars, body, returns = [root_module], [], ""
    for node in nodes:
        if node.op == "placeholder":
            free_vars.append(node.target + _annotation(node.type, g) +
                             (f" = {_format(node.args[0], g)}" if node.args else ""))
            raw = node.target.lstrip("*")
            if raw != node.name:
                body.append(f"{node.name} = {raw}")
            continue
        if node.op == "output":
            body.append(f"return {_format(node.args[0], g)}")
            returns = _annotation(node.type, g).replace(" : ", " -> ")
            continue
        line = f"{node.name} = {_expression(node, g, root_module)}"
        dead = list(last_uses.get(node, []))
        if not node.users:
            dead.append(node)
        if dead:
            line += ";  " + " = ".join([n.name for n in dead] + ["None"])
        body.append(line)
    if not body:
        body.append("pass")
    src = f"\n\n\ndef forward({', '.join(free_vars)}){returns}:\n" + "".join(f"    {line}\n" for line in body) + "    "
    return PythonCode(src, g.values)


def compile_forward(code):
    """The function ``code.src`` defines, compiled from the graph's own source (named for tracebacks)."""
    filename = f"<eval_with_key>.{next(_counter)}"
    linecache.cache[filename] = (len(code.src), None, code.src.splitlines(True), filename)
    namespace = dict(code.globals)
    exec(compile(code.src, filename, "exec"), namespace)   # source generated from our own graph
    return namespace["forward"]
