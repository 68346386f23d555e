"""``Node``: one operation of an FX :class:`~ember.fx.Graph`, as ``torch.fx.Node``.

A node has an ``op`` (what kind of operation), a ``target`` (what it calls) and ``args`` /
``kwargs`` that may hold other nodes. The six ops and what their target is:

=================  ==========================================================
``placeholder``    a function input; target is the parameter name
``get_attr``       a parameter, buffer or constant of the module; target is its qualified name
``call_function``  a free function (``torch.relu``, ``operator.add``); target is the function
``call_module``    a submodule's ``forward``; target is its qualified name (``"layers.0"``)
``call_method``    a method of the first argument (``x.view(...)``); target is the method name
``output``         the return value, in ``args[0]``
=================  ==========================================================

``users`` maps each node that reads this one to ``None`` (an ordered set); it is kept up to date
whenever ``args`` or ``kwargs`` are assigned.

>>> from ember.fx import Graph
>>> g = Graph(); x = g.placeholder("x"); y = g.call_method("relu", (x,)); _ = g.output(y)
>>> list(x.users), y.args
([relu], (x,))
"""
import builtins
import operator

__all__ = ["Node", "map_arg", "map_aggregate", "Argument"]

Argument = object  # any of: Node, tuple, list, dict, slice, range, int, float, bool, str, None, dtype ...

_OPS = ("placeholder", "get_attr", "call_function", "call_module", "call_method", "output", "root")


def map_aggregate(a, fn):
    """Apply ``fn`` to every leaf of a nested tuple / list / dict / slice structure, keeping its shape."""
    if isinstance(a, tuple):
        t = tuple(map_aggregate(e, fn) for e in a)
        # A namedtuple is rebuilt as its own type.
        return t if not hasattr(a, "_fields") else type(a)(*t)
    if isinstance(a, list):
        return [map_aggregate(e, fn) for e in a]
    if isinstance(a, dict):
        return {k: map_aggregate(v, fn) for k, v in a.items()}
    if isinstance(a, slice):
        return slice(map_aggregate(a.start, fn), map_aggregate(a.stop, fn), map_aggregate(a.step, fn))
    return fn(a)


def map_arg(a, fn):
    """Apply ``fn`` to every :class:`Node` inside ``a`` (a nested structure of arguments)."""
    return map_aggregate(a, lambda x: fn(x) if isinstance(x, Node) else x)


def _qualified_name(target):
    """The dotted name a graph prints for a callable target: ``operator.add``, ``torch.relu``."""
    from .graph import _torch_name
    name = _torch_name(target)
    if name is not None:
        return name
    if getattr(builtins, getattr(target, "__name__", ""), None) is target:
        return "builtins." + target.__name__
    if getattr(operator, getattr(target, "__name__", ""), None) is target:
        return "operator." + target.__name__
    module = getattr(target, "__module__", None) or "?"
    return f"{module}.{getattr(target, '__qualname__', getattr(target, '__name__', repr(target)))}"


def type_repr(t):
    """A type annotation as torch.fx prints it: ``int``, ``torch.Tensor``, ``typing.Optional[torch.Tensor]``."""
    from ember.autograd.tensor import Tensor
    if t is Tensor:
        return "torch.Tensor"
    if isinstance(t, type):
        return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    return str(t).replace("ember.autograd.tensor.Tensor", "torch.Tensor")


def _format_arg(a):
    """An argument as ``Graph.__str__`` prints it: nodes as ``%name``."""
    if isinstance(a, Node):
        return "%" + a.name
    if isinstance(a, list):
        return "[" + ", ".join(_format_arg(e) for e in a) + "]"
    if isinstance(a, tuple):
        inner = ", ".join(_format_arg(e) for e in a)
        return "(" + inner + ("," if len(a) == 1 else "") + ")"
    if isinstance(a, dict):
        return "{" + ", ".join(f"{k}: {_format_arg(v)}" for k, v in a.items()) + "}"
    return str(a)


class Node:
    """One operation of a :class:`~ember.fx.Graph` (see the module doc)."""

    def __init__(self, graph, name, op, target, args, kwargs, return_type=None):
        if op not in _OPS:
            raise ValueError(f"Node: op must be one of {_OPS[:-1]}, got {op!r}")
        if op in ("call_module", "get_attr", "call_method") and not isinstance(target, str):
            raise ValueError(f"Node {name}: target of {op} must be a str, got {type(target).__name__}")
        if op == "call_function" and not callable(target):
            raise ValueError(f"Node {name}: target of call_function must be callable, got {target!r}")
        self.graph = graph
        self.name = name
        self.op = op
        self.target = target
        self._input_nodes = {}
        self._args = ()
        self._kwargs = {}
        self.users = {}
        self.type = return_type
        self.meta = {}
        self._prev = self._next = self
        self._erased = False
        self._update_args_kwargs(args, kwargs)

    # -- arguments and the users they imply ---------------------------------------------------------
    def _update_args_kwargs(self, new_args, new_kwargs):
        for old in self._input_nodes:
            old.users.pop(self, None)
        self._input_nodes = {}
        self._args = tuple(new_args)
        self._kwargs = dict(new_kwargs)
        map_arg(self._args, self._add_input)
        map_arg(self._kwargs, self._add_input)

    def _add_input(self, n):
        if n.graph is not self.graph:
            raise RuntimeError(f"Node {self.name} takes {n.name}, a node of another graph")
        self._input_nodes.setdefault(n)
        n.users.setdefault(self)

    @property
    def args(self):
        return self._args

    @args.setter
    def args(self, a):
        self._update_args_kwargs(a, self._kwargs)

    @property
    def kwargs(self):
        return self._kwargs

    @kwargs.setter
    def kwargs(self, k):
        self._update_args_kwargs(self._args, k)

    @property
    def stack_trace(self):
        """Where in the traced source the node came from; ember does not record it (None)."""
        return self.meta.get("stack_trace")

    @property
    def all_input_nodes(self):
        """The nodes this one reads, in order of first appearance in ``args`` then ``kwargs``."""
        return list(self._input_nodes)

    def update_arg(self, idx, arg):
        args = list(self._args)
        args[idx] = arg
        self.args = tuple(args)

    def update_kwarg(self, key, arg):
        self.kwargs = {**self._kwargs, key: arg}

    def replace_input_with(self, old_input, new_input):
        """Make this node read ``new_input`` wherever it read ``old_input``."""
        swap = lambda n: new_input if n is old_input else n  # noqa: E731
        self._update_args_kwargs(map_arg(self._args, swap), map_arg(self._kwargs, swap))

    def replace_all_uses_with(self, replace_with, delete_user_cb=lambda user: True, *, propagate_meta=False):
        """Make every user of this node read ``replace_with`` instead; returns the users changed."""
        if propagate_meta:
            for k, v in self.meta.items():
                replace_with.meta.setdefault(k, v)
        changed = []
        for user in list(self.users):
            if user is replace_with or not delete_user_cb(user):
                continue
            user.replace_input_with(self, replace_with)
            changed.append(user)
        return changed

    # -- position in the graph's linked list ------------------------------------------------------------
    @property
    def next(self):
        return self._next

    @property
    def prev(self):
        return self._prev

    def prepend(self, x):
        """Move node ``x`` to just before this one."""
        if x is self:
            return
        x._remove_from_list()
        p = self._prev
        p._next, x._prev, x._next, self._prev = x, p, self, x

    def append(self, x):
        """Move node ``x`` to just after this one."""
        self._next.prepend(x)

    def _remove_from_list(self):
        # The node keeps its own links, so an iteration standing on it (just erased) can go on.
        p, n = self._prev, self._next
        p._next, n._prev = n, p

    # -- printing ---------------------------------------------------------------------------------------
    def __repr__(self):
        return self.name

    def _pretty_target(self):
        return self.target if isinstance(self.target, str) else _qualified_name(self.target)

    def format_node(self):
        """The node as one line of ``print(graph)``."""
        if self.op == "output":
            return f"return {self.args[0]!r}"
        annotation = f"{type_repr(self.type)} " if self.type is not None else ""
        head = f"%{self.name} : {annotation}[num_users={len(self.users)}] = {self.op}[target={self._pretty_target()}]"
        if self.op == "placeholder":
            return head + (f"(default={self.args[0]!r})" if self.args else "")
        if self.op == "get_attr":
            return head
        return head + f"(args = {_format_arg(self.args)}, kwargs = {_format_arg(self.kwargs)})"

    def is_impure(self):
        """Whether dead-code elimination must keep this node even without users."""
        if self.op in ("placeholder", "output"):
            return True
        if self.op == "call_function":
            return self.target in _IMPURE_FUNCTIONS or getattr(self.target, "_fx_impure", False)
        if self.op == "call_method":
            # In-place tensor methods (``add_``) write their argument.
            return self.target.endswith("_") and not self.target.endswith("__")
        return False


_IMPURE_FUNCTIONS = {operator.setitem, operator.iadd, operator.isub, operator.imul, operator.itruediv, print}
