"""``Graph``: the ordered list of :class:`~ember.fx.Node` an FX program is made of, as ``torch.fx.Graph``.

A graph is a doubly linked list of nodes (``graph.nodes`` iterates it in program order) plus a
namespace that gives every node a unique Python identifier as its name. Nodes are created by
``placeholder`` / ``get_attr`` / ``call_function`` / ``call_method`` / ``call_module`` / ``output``
(all through :meth:`Graph.create_node`) at the insert point, which is the end of the graph unless
an ``inserting_before`` / ``inserting_after`` block moves it. ``python_code`` turns the graph into
the source of a ``forward`` function (see :mod:`ember.fx.codegen`).

>>> import operator
>>> from ember.fx import Graph
>>> g = Graph()
>>> x = g.placeholder("x")
>>> y = g.call_function(operator.add, (x, 1))
>>> _ = g.output(y)
>>> print(g)
graph():
    %x : [num_users=1] = placeholder[target=x]
    %add : [num_users=1] = call_function[target=operator.add](args = (%x, 1), kwargs = {})
    return add
"""
import builtins
import contextlib
import copy
import inspect
import keyword
import re
import warnings

from .node import Node, map_arg

__all__ = ["Graph"]

_ILLEGAL_CHARS = re.compile(r"[^0-9a-zA-Z_]+")
_NAME_SUFFIX = re.compile(r"(.*)_(\d+)$")
_SNAKE = re.compile(r"(?<=[a-z])([A-Z])")
# Names the generated code binds itself (``torch`` is ember, ``inf`` is float("inf")).
_CUSTOM_BUILTINS = {"inf", "nan", "NoneType", "torch", "device", "fx_pytree", "pytree", "ember", "operator",
                    "math", "builtins"}

_TORCH_NAMES = {}
_SCANNED = [False]
# ember namespaces and the torch spelling of their public functions in printed graphs and code.
_NAMESPACES = (("ember", "torch"), ("ember.nn.functional", "torch.nn.functional"), ("ember.linalg", "torch.linalg"),
               ("ember.special", "torch.special"), ("ember.fft", "torch.fft"))


def namespace_functions():
    """``[(module, torch_prefix, name, function)]`` for the public functions of ember's torch namespaces.

    A function patched by a trace in progress is reported as its original."""
    import importlib
    import types
    out = []
    for mod_name, prefix in _NAMESPACES:
        mod = importlib.import_module(mod_name)
        for name, v in list(vars(mod).items()):
            v = getattr(v, "_fx_original", v)
            if name.startswith("__") or not isinstance(v, (types.FunctionType, types.BuiltinFunctionType)):
                continue
            out.append((mod, prefix, name, v))
    return out


def _torch_name(target):
    """``"torch.relu"`` for ember's ``relu``; None for a function outside ember's torch namespaces."""
    if not _SCANNED[0]:
        _SCANNED[0] = True
        for _, prefix, name, fn in namespace_functions():
            _TORCH_NAMES.setdefault(id(fn), (fn, f"{prefix}.{name}"))
    hit = _TORCH_NAMES.get(id(target))
    return hit[1] if hit is not None and hit[0] is target else None


def _snake_case(s):
    return _SNAKE.sub(r"_\1", s).lower()


def _target_to_str(target):
    if isinstance(target, str):
        if target.startswith("__") and target.endswith("__"):
            target = target[2:-2]
    else:
        target = getattr(target, "__name__", type(target).__name__)
    return _snake_case(target)


class _Namespace:
    """Unique, legal Python names: ``add``, ``add_1`` ...; never a keyword or a shadowed builtin."""

    def __init__(self):
        self._used = set()
        self._base_count = {}

    def create_name(self, candidate):
        candidate = _ILLEGAL_CHARS.sub("_", candidate) or "_unnamed"
        if candidate[0].isdigit():
            candidate = "_" + candidate
        m = _NAME_SUFFIX.match(candidate)
        if m is None:
            base, num = candidate, None
        else:
            base, num = m.group(1), int(m.group(2))
            candidate = f"{base}_{num}"
        if not num:
            num = self._base_count.get(base, 0)
        while candidate in self._used or self._illegal(candidate):
            num += 1
            candidate = f"{base}_{num}"
        self._used.add(candidate)
        self._base_count[base] = num
        return candidate

    @staticmethod
    def _illegal(name):
        return keyword.iskeyword(name) or name in builtins.__dict__ or name in _CUSTOM_BUILTINS


class _NodeList:
    """``graph.nodes``: iterable (forwards and ``reversed``), sized, safe against erasing while iterating."""

    def __init__(self, graph, reverse=False):
        self._graph = graph
        self._reverse = reverse

    def __len__(self):
        return self._graph._len

    def __iter__(self):
        root = self._graph._root
        step = (lambda n: n._prev) if self._reverse else (lambda n: n._next)
        cur = step(root)
        while cur is not root:
            nxt = step(cur)
            if not cur._erased:
                yield cur
            cur = nxt

    def __reversed__(self):
        return _NodeList(self._graph, not self._reverse)

    def __repr__(self):
        return repr(list(self))


class Graph:
    """A program as an ordered list of nodes (see the module doc)."""

    def __init__(self, owning_module=None, tracer_cls=None, tracer_extras=None):
        self._root = Node(self, "", "root", "", (), {})
        self._len = 0
        self._namespace = _Namespace()
        self._insert = self._root.prepend
        self.owning_module = owning_module
        self._tracer_cls = tracer_cls
        self._tracer_extras = tracer_extras

    @property
    def nodes(self):
        return _NodeList(self)

    def find_nodes(self, *, op, target=None):
        """The nodes with this ``op`` (and ``target``, if given), in order."""
        return [n for n in self.nodes if n.op == op and (target is None or n.target == target)]

    # -- making nodes --------------------------------------------------------------------------------
    def create_node(self, op, target, args=None, kwargs=None, name=None, type_expr=None):
        """A new node at the insert point; ``name`` defaults to one derived from the target."""
        args = () if args is None else tuple(args)
        kwargs = {} if kwargs is None else dict(kwargs)
        name = self._namespace.create_name(name if name is not None else _target_to_str(target))
        n = Node(self, name, op, target, args, kwargs, type_expr)
        self._insert(n)
        self._len += 1
        return n

    def placeholder(self, name, type_expr=None, default_value=inspect.Parameter.empty):
        args = () if default_value is inspect.Parameter.empty else (default_value,)
        return self.create_node("placeholder", name, args, type_expr=type_expr)

    def get_attr(self, qualified_name, type_expr=None):
        return self.create_node("get_attr", qualified_name, type_expr=type_expr)

    def call_module(self, module_name, args=None, kwargs=None, type_expr=None):
        return self.create_node("call_module", module_name, args, kwargs, type_expr=type_expr)

    def call_method(self, method_name, args=None, kwargs=None, type_expr=None):
        return self.create_node("call_method", method_name, args, kwargs, type_expr=type_expr)

    def call_function(self, the_function, args=None, kwargs=None, type_expr=None):
        return self.create_node("call_function", the_function, args, kwargs, type_expr=type_expr)

    def output(self, result, type_expr=None):
        return self.create_node("output", "output", (result,), type_expr=type_expr)

    def node_copy(self, node, arg_transform=lambda n: n):
        """A copy of ``node`` (from any graph) here, its input nodes mapped by ``arg_transform``."""
        args = map_arg(node.args, arg_transform)
        kwargs = map_arg(node.kwargs, arg_transform)
        name = node.name if node.op != "output" else None
        new = self.create_node(node.op, node.target, args, kwargs, name, node.type)
        new.meta = copy.copy(node.meta)
        return new

    def graph_copy(self, g, val_map, return_output_node=False):
        """Copy every node of ``g`` but its output into this graph; ``val_map`` maps old to new nodes.

        Returns the copied output value (the output node itself with ``return_output_node``)."""
        for node in g.nodes:
            if node in val_map:
                continue
            if node.op == "output":
                out = map_arg(node.args[0], lambda n: val_map[n])
                return (out, node) if return_output_node else out
            val_map[node] = self.node_copy(node, lambda n: val_map[n])
        return None

    def __deepcopy__(self, memo):
        g = Graph(tracer_cls=self._tracer_cls)
        memo[id(self)] = g
        out = g.graph_copy(self, {}, return_output_node=True)
        if out is not None:
            value, old = out
            g.output(value, type_expr=old.type)
        return g

    # -- where new nodes go ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def inserting_before(self, n=None):
        """Within the block, new nodes go just before ``n`` (the start of the graph if None)."""
        old = self._insert
        self._insert = (n if n is not None else self._root._next).prepend
        try:
            yield
        finally:
            self._insert = old

    @contextlib.contextmanager
    def inserting_after(self, n=None):
        """Within the block, new nodes go just after ``n`` (each after the previous one)."""
        old = self._insert
        anchor = [n if n is not None else self._root]

        def insert(x):
            anchor[0].append(x)
            anchor[0] = x
        self._insert = insert
        try:
            yield
        finally:
            self._insert = old

    # -- removing nodes --------------------------------------------------------------------------------
    def erase_node(self, to_erase):
        """Remove a node that nothing reads any more."""
        if len(to_erase.users) > 0:
            raise RuntimeError(f"Tried to erase Node {to_erase} but it still had {len(to_erase.users)} users in "
                               f"the graph: {to_erase.users}!")
        if to_erase.graph is not self:
            raise RuntimeError(f"Attempting to remove {to_erase} from wrong graph!")
        if to_erase._erased:
            warnings.warn(f"erase_node({to_erase}) on an already erased node")
            return
        to_erase._remove_from_list()
        to_erase._erased = True
        self._len -= 1
        # Its name stays taken (as in torch.fx); its inputs lose it as a user.
        to_erase._update_args_kwargs(map_arg(to_erase.args, lambda n: None), map_arg(to_erase.kwargs, lambda n: None))

    def eliminate_dead_code(self):
        """Erase, last to first, every node without users that has no side effect; True if any was."""
        changed = False
        for node in reversed(self.nodes):
            if not node.is_impure() and len(node.users) == 0:
                self.erase_node(node)
                changed = True
        return changed

    def lint(self):
        """Check the graph is well formed: every input is defined earlier, names unique, targets valid."""
        seen, names = set(), set()
        for node in self.nodes:
            if node.graph is not self:
                raise RuntimeError(f"Node {node} does not belong to this Graph!")
            for inp in node.all_input_nodes:
                if inp not in seen:
                    raise RuntimeError(f"Argument '{inp}' of Node '{node}' was used before it has been defined! "
                                       "Please check that Nodes in the graph are topologically ordered\n" + str(self))
                if node not in inp.users:
                    raise RuntimeError(f"Node {inp} is missing {node} in its users")
            if node.name in names:
                raise RuntimeError(f"Node redefined name {node.name}!")
            names.add(node.name)
            seen.add(node)
            if self.owning_module is not None and node.op in ("get_attr", "call_module"):
                obj = self.owning_module
                for i, atom in enumerate(node.target.split(".")):
                    if not hasattr(obj, atom):
                        where = ".".join(node.target.split(".")[:i])
                        raise RuntimeError(f"Node {node} target {node.target} references nonexistent attribute "
                                           f"{atom} of {where or 'root'}")
                    obj = getattr(obj, atom)
        outputs = [n for n in self.nodes if n.op == "output"]
        if len(outputs) > 1:
            raise RuntimeError(f"Graph has {len(outputs)} output nodes; at most one is allowed")

    # -- printing and code ------------------------------------------------------------------------------
    def __str__(self):
        lines = ["graph():"] + ["    " + n.format_node() for n in self.nodes]
        return "\n".join(lines)

    def python_code(self, root_module="self"):
        """The ``forward`` source for this graph and the globals it needs (:class:`~ember.fx.codegen.PythonCode`)."""
        from .codegen import python_code
        return python_code(self, root_module)

    def print_tabular(self):
        """Print the nodes as a table (opcode, name, target, args, kwargs); needs the ``tabulate`` package."""
        try:
            from tabulate import tabulate
        except ImportError:
            print("`print_tabular` relies on the library `tabulate`, which could not be found on this machine. "
                  "Run `pip install tabulate` to install the library.")
            raise
        rows = [[n.op, n.name, n._pretty_target(), n.args, n.kwargs] for n in self.nodes]
        print(tabulate(rows, headers=["opcode", "name", "target", "args", "kwargs"]))
