"""A small pytree: tuples, lists, dicts and namedtuples are containers, anything else is a leaf.

``flatten(tree)`` gives the leaves in order and a spec; ``unflatten(spec, leaves)`` rebuilds the
same structure around new leaves, so a transform can work on flat lists of tensors.
"""


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def flatten(tree):
    """``(leaves, spec)`` for ``tree``."""
    leaves = []

    def walk(node):
        if _is_namedtuple(node):
            return (type(node), [walk(v) for v in node])
        if isinstance(node, (tuple, list)):
            return (type(node), [walk(v) for v in node])
        if isinstance(node, dict):
            return (dict, [(k, walk(v)) for k, v in node.items()])
        leaves.append(node)
        return None
    return leaves, walk(tree)


def unflatten(spec, leaves):
    """The tree of ``spec``'s structure holding ``leaves`` (in the order ``flatten`` gave)."""
    it = iter(leaves)

    def build(s):
        if s is None:
            return next(it)
        kind, children = s
        if kind is dict:
            return {k: build(c) for k, c in children}
        values = [build(c) for c in children]
        if kind is list:
            return values
        return kind(*values) if issubclass(kind, tuple) and kind is not tuple else tuple(values)
    return build(spec)


def tree_map(fn, tree):
    leaves, spec = flatten(tree)
    return unflatten(spec, [fn(v) for v in leaves])


def same_structure(a, b):
    return flatten(a)[1] == flatten(b)[1]
