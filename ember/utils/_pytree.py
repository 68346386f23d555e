"""``torch.utils._pytree``: functions over nested containers ("pytrees") of leaves.

A pytree is a leaf or a node: a container whose type is registered here (tuple, list, dict, namedtuple,
``OrderedDict``, ``defaultdict``, ``deque``, ``torch.return_types`` and any class given to
``register_pytree_node``). ``tree_flatten`` gives the leaves in order and a ``TreeSpec`` of the structure
around them (dict children in insertion order, as PyTorch's); ``tree_unflatten`` puts new leaves into that
structure. ``None`` is a leaf, as in PyTorch.

>>> leaves, spec = tree_flatten({"a": (1, 2), "b": [3]})
>>> leaves, tree_unflatten([x * 10 for x in leaves], spec)
([1, 2, 3], {'a': (10, 20), 'b': [30]})
>>> spec
TreeSpec(dict, ['a', 'b'], [TreeSpec(tuple, None, [*,
    *]),
  TreeSpec(list, None, [*])])
"""
import collections
import types
from typing import Any, Callable, NamedTuple

__all__ = ["TreeSpec", "LeafSpec", "tree_flatten", "tree_unflatten", "tree_leaves", "tree_structure", "tree_map",
           "tree_map_", "tree_map_only", "tree_map_only_", "tree_all", "tree_any", "tree_all_only", "tree_any_only",
           "tree_iter", "tree_is_leaf", "register_pytree_node", "register_dataclass", "treespec_pprint",
           "SUPPORTED_NODES",
           "is_namedtuple", "is_namedtuple_class", "is_namedtuple_instance"]


class NodeDef(NamedTuple):
    type: type
    flatten_fn: Callable
    unflatten_fn: Callable


SUPPORTED_NODES = {}
PyTree = Context = Any   # PyTorch's names for type hints


def register_pytree_node(cls, flatten_fn, unflatten_fn, *, serialized_type_name=None, to_dumpable_context=None,
                         from_dumpable_context=None, flatten_with_keys_fn=None):
    """Make ``cls`` a node: ``flatten_fn(obj) -> (children, context)``, ``unflatten_fn(children, context) -> obj``.

    The serialization arguments are accepted for PyTorch's signature (ember does not serialize specs).
    """
    if cls in SUPPORTED_NODES:
        raise ValueError(f"{cls} is already registered as pytree node.")
    SUPPORTED_NODES[cls] = NodeDef(cls, flatten_fn, unflatten_fn)


def register_dataclass(cls, *, field_names=None, drop_field_names=None, serialized_type_name=None):
    """Make ``cls`` (a dataclass, or a class built from keyword ``field_names``) a node whose children are its
    fields that are not None (None-valued fields ride in the spec), as PyTorch's.

    >>> import dataclasses, ember
    >>> @dataclasses.dataclass
    ... class Point:
    ...     x: object
    ...     y: object = None
    >>> register_dataclass(Point)
    >>> tree_map(lambda v: v + 1, Point(1))
    Point(x=2, y=None)
    """
    import dataclasses
    drop_field_names = drop_field_names or []
    if not dataclasses.is_dataclass(cls):
        if field_names is None:
            raise ValueError(f"field_names must be specified with a list of all fields used to initialize {cls}, as "
                             f"it is not a dataclass.")
    elif field_names is None:
        field_names = [f.name for f in dataclasses.fields(cls) if f.init]
    else:
        init_fields = {f.name for f in dataclasses.fields(cls) if f.init} - set(drop_field_names)
        if init_fields != set(field_names):
            msg = "field_names does not include all dataclass fields.\n"
            missing, unexpected = init_fields - set(field_names), set(field_names) - init_fields
            if missing:
                msg += (f"Missing fields in `field_names`: {missing}. If you want to include these fields in the "
                        f"pytree, please add them to `field_names`, otherwise please add them to "
                        f"`drop_field_names`.\n")
            if unexpected:
                msg += (f"Unexpected fields in `field_names`: {unexpected}. Please remove these fields, or add them "
                        f"to `drop_field_names`.\n")
            raise ValueError(msg)
    names = list(field_names)

    def flatten(obj):
        present = [n for n in names if getattr(obj, n) is not None]
        return [getattr(obj, n) for n in present], [present, [n for n in names if n not in present]]

    def unflatten(values, context):
        present, absent = context
        return cls(**dict(zip(present, values)), **dict.fromkeys(absent))

    register_pytree_node(cls, flatten, unflatten, serialized_type_name=serialized_type_name)


class namedtuple:  # noqa: N801  (the name a namedtuple node's spec shows, as in PyTorch)
    """Stands for every namedtuple class in a ``TreeSpec`` (the class itself is the spec's context)."""


def is_namedtuple_class(cls):
    return isinstance(cls, type) and issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple) \
        and not _is_return_type(cls)


def is_namedtuple_instance(obj):
    return is_namedtuple_class(type(obj))


def is_namedtuple(obj):
    return is_namedtuple_class(obj if isinstance(obj, type) else type(obj))


def _is_return_type(cls):
    # torch.return_types are PyTorch's structseqs: their spec shows their own class, with no context.
    return cls.__module__ == "ember.return_types"


def _node_type(tree):
    cls = type(tree)
    if cls in SUPPORTED_NODES:
        return cls
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return cls if _is_return_type(cls) else namedtuple
    return cls


def _flatten_node(tree, kind):
    """``(children, context)`` of a node."""
    if kind is namedtuple:
        return list(tree), type(tree)
    if kind in SUPPORTED_NODES:
        return SUPPORTED_NODES[kind].flatten_fn(tree)
    return list(tree), None   # a torch.return_types type


def _unflatten_node(kind, children, context):
    if kind is namedtuple:
        return context(*children)
    if kind in SUPPORTED_NODES:
        return SUPPORTED_NODES[kind].unflatten_fn(children, context)
    return kind(*children)


def _is_node(tree, is_leaf=None):
    if is_leaf is not None and is_leaf(tree):
        return False
    kind = _node_type(tree)
    return kind in SUPPORTED_NODES or kind is namedtuple or _is_return_type(kind)


def tree_is_leaf(tree, is_leaf=None):
    """True when ``tree`` is a leaf (``is_leaf`` may declare more leaves)."""
    return not _is_node(tree, is_leaf)


class TreeSpec:
    """The structure of a pytree: its root's ``type``, the ``context`` needed to rebuild it, and one spec per
    child. ``num_leaves``, ``num_nodes`` (leaves included) and ``num_children`` count it."""

    def __init__(self, type, context, children_specs):
        self.type, self.context, self._children = type, context, list(children_specs)
        self.num_children = len(self._children)
        self.num_leaves = sum(c.num_leaves for c in self._children)
        self.num_nodes = 1 + sum(c.num_nodes for c in self._children)

    def is_leaf(self):
        return self.num_nodes == 1 and self.num_leaves == 1

    def children(self):
        return list(self._children)

    def child(self, index):
        return self._children[index]

    @property
    def children_specs(self):
        return self._children

    def __eq__(self, other):
        if not isinstance(other, TreeSpec):
            return NotImplemented
        return (self.type is other.type or self.type == other.type) and self.context == other.context \
            and self._children == other._children

    def __hash__(self):
        return hash((self.type, repr(self.context), tuple(self._children)))

    def __repr__(self, indent=0):
        # PyTorch's layout: the first child on the opening line, each further one on its own line.
        head = f"TreeSpec({self.type.__name__}, {self.context}, ["
        body = ""
        if self._children:
            indent += 2
            body = self._children[0].__repr__(indent)
            if len(self._children) > 1:
                body += "," + ",".join("\n" + " " * indent + c.__repr__(indent) for c in self._children[1:])
        return head + body + "])"

    def flatten_up_to(self, tree):
        """The subtrees of ``tree`` at this spec's leaves (``tree`` must have this structure down to them)."""
        out = []

        def walk(spec, node):
            if spec.is_leaf():
                out.append(node)
                return
            kind = _node_type(node)
            if kind is not spec.type:
                raise ValueError(f"Node type mismatch; expected {spec.type!r}, but got {kind!r}.")
            children, context = _flatten_node(node, kind)
            if len(children) != spec.num_children:
                raise ValueError(f"Node arity mismatch; expected {spec.num_children}, but got {len(children)}.")
            if kind in (dict, collections.OrderedDict, collections.defaultdict) and context != spec.context:
                keys = context[1] if kind is collections.defaultdict else context
                expected = spec.context[1] if kind is collections.defaultdict else spec.context
                if set(keys) != set(expected):
                    missing, extra = set(expected) - set(keys), set(keys) - set(expected)
                    message = (f"; missing key(s): {missing}" if missing else "") + \
                        (f"; extra key(s): {extra}" if extra else "")
                    raise ValueError(f"Node keys mismatch{message}.")
                children = [node[k] for k in expected]   # same keys in another order: take spec's order
            elif kind is namedtuple and context is not spec.context:
                raise ValueError(f"Node context mismatch for node type {spec.type!r}; expected {spec.context!r}, "
                                 f"but got {context!r}.")
            for s, c in zip(spec._children, children):
                walk(s, c)
        walk(self, tree)
        return out

    def unflatten(self, leaves):
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec refers to "
                             f"a pytree that holds {self.num_leaves} items ({self}).")
        it = iter(leaves)

        def build(spec):
            if spec.is_leaf():
                return next(it)
            return _unflatten_node(spec.type, [build(c) for c in spec._children], spec.context)
        return build(self)


class LeafSpec(TreeSpec):
    """The spec of a leaf, printed ``*``."""

    def __init__(self):
        super().__init__(None, None, [])
        self.num_leaves = 1

    def __repr__(self, indent=0):
        return "*"


_LEAF = LeafSpec()


def tree_flatten(tree, is_leaf=None):
    """``(leaves, spec)``: the leaves in order and the structure around them."""
    leaves = []

    def walk(node):
        if not _is_node(node, is_leaf):
            leaves.append(node)
            return _LEAF
        kind = _node_type(node)
        children, context = _flatten_node(node, kind)
        return TreeSpec(kind, context, [walk(c) for c in children])
    return leaves, walk(tree)


def tree_unflatten(leaves, treespec):
    """The structure ``treespec`` holding ``leaves``."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"tree_unflatten(leaves, treespec): Expected `treespec` to be instance of TreeSpec but got "
                        f"item of type {type(treespec)}.")
    return treespec.unflatten(leaves)


def tree_iter(tree, is_leaf=None):
    """The leaves of ``tree``, one by one."""
    yield from tree_flatten(tree, is_leaf)[0]


def tree_leaves(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func, tree, *rests, is_leaf=None):
    """``func`` applied leaf by leaf (with the matching subtrees of ``rests``), in ``tree``'s structure."""
    leaves, spec = tree_flatten(tree, is_leaf)
    others = [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten(func(*xs) for xs in zip(leaves, *others))


def tree_map_(func, tree, *rests, is_leaf=None):
    """``func`` called on each leaf for its effect; returns ``tree``."""
    leaves, spec = tree_flatten(tree, is_leaf)
    others = [spec.flatten_up_to(r) for r in rests]
    for xs in zip(leaves, *others):
        func(*xs)
    return tree


def _filter(type_or_types_or_pred):
    if isinstance(type_or_types_or_pred, (type, tuple, types.UnionType)):
        return lambda x: isinstance(x, type_or_types_or_pred)
    if callable(type_or_types_or_pred):
        return type_or_types_or_pred
    raise TypeError("Argument must be a type, a tuple of types, or a callable.")


def map_only(type_or_types_or_pred):
    """A decorator: the function runs on the leaves that pass the filter; others pass through unchanged."""
    pred = _filter(type_or_types_or_pred)

    def wrap(func):
        def wrapped(x):
            return func(x) if pred(x) else x
        return wrapped
    return wrap


def tree_map_only(type_or_types_or_pred, /, func, tree, is_leaf=None):
    """``tree_map`` over the leaves of the given type(s) (or passing the predicate); others stay."""
    return tree_map(map_only(type_or_types_or_pred)(func), tree, is_leaf=is_leaf)


def tree_map_only_(type_or_types_or_pred, /, func, tree, is_leaf=None):
    return tree_map_(map_only(type_or_types_or_pred)(func), tree, is_leaf=is_leaf)


def tree_all(pred, tree, is_leaf=None):
    return all(pred(x) for x in tree_iter(tree, is_leaf))


def tree_any(pred, tree, is_leaf=None):
    return any(pred(x) for x in tree_iter(tree, is_leaf))


def tree_all_only(type_or_types, /, pred, tree, is_leaf=None):
    keep = _filter(type_or_types)
    return all(pred(x) for x in tree_iter(tree, is_leaf) if keep(x))


def tree_any_only(type_or_types, /, pred, tree, is_leaf=None):
    keep = _filter(type_or_types)
    return any(pred(x) for x in tree_iter(tree, is_leaf) if keep(x))


def treespec_pprint(treespec):
    """A one-line picture of the structure, leaves as ``*``: ``treespec_pprint(tree_structure([1, (2, 3)]))``."""
    def show(spec):
        if spec.is_leaf():
            return "*"
        children = [show(c) for c in spec._children]
        if spec.type in (dict, collections.OrderedDict):
            return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(spec.context, children)) + "}"
        if spec.type is list:
            return "[" + ", ".join(children) + "]"
        if spec.type is tuple:
            return "(" + ", ".join(children) + ("," if len(children) == 1 else "") + ")"
        return f"{spec.type.__name__}(" + ", ".join(children) + ")"
    return show(treespec)


def _dict_flatten(d):
    return list(d.values()), list(d.keys())


def _ordered_unflatten(values, context):
    return collections.OrderedDict(zip(context, values))


def _defaultdict_flatten(d):
    return list(d.values()), [d.default_factory, list(d.keys())]


def _defaultdict_unflatten(values, context):
    factory, keys = context
    return collections.defaultdict(factory, zip(keys, values))


register_pytree_node(tuple, lambda t: (list(t), None), lambda values, context: tuple(values))
register_pytree_node(list, lambda t: (list(t), None), lambda values, context: list(values))
register_pytree_node(dict, _dict_flatten, lambda values, context: dict(zip(context, values)))
register_pytree_node(collections.OrderedDict, _dict_flatten, _ordered_unflatten)
register_pytree_node(collections.defaultdict, _defaultdict_flatten, _defaultdict_unflatten)
register_pytree_node(collections.deque, lambda d: (list(d), d.maxlen),
                     lambda values, context: collections.deque(values, maxlen=context))
