"""``keras.tree``: functions over nested structures of lists, tuples, namedtuples and dicts.

The nodes are ``list``, ``tuple``, namedtuples, ``dict`` (children in sorted key order),
``OrderedDict`` and ``defaultdict`` (insertion order for ``OrderedDict``); everything else is a leaf,
``None`` included (Keras's ``none_is_leaf=True``). Rebuilt dicts keep the original key order.

>>> from ember.keras import tree
>>> tree.flatten({"b": [1, 2], "a": (3, None)})
[3, None, 1, 2]
>>> tree.map_structure(lambda x: x * 10, {"b": [1, 2], "a": 3})
{'b': [10, 20], 'a': 30}
"""
import collections


class MAP_TO_NONE:
    """Returned by a ``traverse`` function to replace a subtree with ``None``."""


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(structure):
    """True for a list, tuple, namedtuple or dict (a node), False for a leaf."""
    return isinstance(structure, (list, tuple, dict))


def _keys(d):
    return list(d) if isinstance(d, collections.OrderedDict) else sorted(d)


def _children(node, none_is_leaf=True):
    """``(path entries, children)`` of a node (``None`` as an empty node when ``none_is_leaf`` is False)."""
    if node is None and not none_is_leaf:
        return [], []
    if isinstance(node, dict):
        keys = _keys(node)
        return keys, [node[k] for k in keys]
    return list(range(len(node))), list(node)


def _is_node(x, none_is_leaf=True):
    return is_nested(x) or (x is None and not none_is_leaf)


def _rebuild(node, children):
    """A node of the same type as ``node`` holding ``children`` (in ``_children`` order)."""
    if node is None:
        return None
    if isinstance(node, dict):
        by_key = dict(zip(_keys(node), children))
        if isinstance(node, collections.defaultdict):
            out = collections.defaultdict(node.default_factory)
            for k in node:
                out[k] = by_key[k]
            return out
        return type(node)((k, by_key[k]) for k in node)
    if _is_namedtuple(node):
        return type(node)(*children)
    return type(node)(children)


def _flatten(structure, none_is_leaf=True, is_leaf=None, path=()):
    if (is_leaf is not None and is_leaf(structure)) or not _is_node(structure, none_is_leaf):
        return [(path, structure)]
    out = []
    for key, child in zip(*_children(structure, none_is_leaf)):
        out += _flatten(child, none_is_leaf, is_leaf, path + (key,))
    return out


def flatten(structure):
    """The leaves of ``structure``, depth first (dict children in sorted key order)."""
    return [leaf for _, leaf in _flatten(structure)]


def flatten_with_path(structure):
    """``[(path, leaf), ...]``: each path is the tuple of indices / keys that leads to its leaf."""
    return _flatten(structure)


def _same_node(a, b):
    if isinstance(a, dict) != isinstance(b, dict):
        return False
    if isinstance(a, dict):
        return sorted(a, key=repr) == sorted(b, key=repr)
    same_kind = (type(a) is type(b)) if (_is_namedtuple(a) or _is_namedtuple(b)) else \
        (isinstance(a, list) == isinstance(b, list))
    return same_kind and len(a) == len(b)


def _map(func, structures, none_is_leaf=True, is_leaf=None):
    first = structures[0]
    if (is_leaf is not None and is_leaf(first)) or not _is_node(first, none_is_leaf):
        if len(structures) > 1 and any(_is_node(s, none_is_leaf) for s in structures[1:]):
            raise ValueError("Structures don't have the same nested structure.")
        return func(*structures)
    for other in structures[1:]:
        if not _is_node(other, none_is_leaf) or not _same_node(first, other):
            raise ValueError("Structures don't have the same nested structure.")
    columns = [_children(s, none_is_leaf)[1] for s in structures]
    return _rebuild(first, [_map(func, list(c), none_is_leaf, is_leaf) for c in zip(*columns)])


def map_structure(func, *structures, none_is_leaf=True):
    """``func`` applied to the leaves of the structures (all of the same structure), in that structure."""
    if not structures:
        raise ValueError("Must provide at least one structure")
    return _map(func, list(structures), none_is_leaf)


def map_structure_up_to(shallow_structure, func, *structures):
    """``func`` applied to the sub-structures of ``structures`` found at the leaves of ``shallow_structure``."""
    if not structures:
        raise ValueError("Must provide at least one structure")

    def go(shallow, subs):
        if not _is_node(shallow):
            return func(*subs)
        for s in subs:
            if not _is_node(s) or not _same_node(shallow, s):
                raise ValueError("Structures don't have the same nested structure.")
        columns = [_children(s)[1] for s in subs]
        return _rebuild(shallow, [go(sh, list(c)) for sh, c in zip(_children(shallow)[1], zip(*columns))])
    return go(shallow_structure, list(structures))


def assert_same_structure(a, b):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same nested structure (leaves may differ)."""
    _map(lambda x, y: None, [a, b])


def assert_same_paths(a, b):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same set of leaf paths."""
    pa, pb = {p for p, _ in _flatten(a)}, {p for p, _ in _flatten(b)}
    if pa != pb:
        msg = "`a` and `b` don't have the same paths."
        if pa - pb:
            msg += f"\nPaths in `a` missing in `b`:\n{pa - pb}"
        if pb - pa:
            msg += f"\nPaths in `b` missing in `a`:\n{pb - pa}"
        raise ValueError(msg)


def pack_sequence_as(structure, flat_sequence):
    """The leaves ``flat_sequence`` put back into the structure of ``structure``."""
    flat = list(flat_sequence)
    count = len(_flatten(structure))
    if len(flat) != count:
        raise ValueError(f"The structure has {count} leaves but `flat_sequence` has {len(flat)} elements.")
    it = iter(flat)
    return _map(lambda _: next(it), [structure])


def traverse(func, structure, top_down=True):
    """Call ``func`` on every node and leaf. Top down, a non-None result replaces that subtree (not
    traversed further); bottom up, ``func`` sees the already traversed subtree. ``MAP_TO_NONE`` maps to None."""
    def children():
        if not _is_node(structure):
            return structure
        return _rebuild(structure, [traverse(func, c, top_down) for c in _children(structure)[1]])
    if top_down:
        ret = func(structure)
        if ret is None:
            return children()
    else:
        done = children()
        ret = func(done)
        if ret is None:
            return done
    return None if ret is MAP_TO_NONE else ret


def lists_to_tuples(structure):
    """``structure`` with every list turned into a tuple."""
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure, top_down=False)


def map_shape_structure(func, structure):
    """``map_structure`` that treats shapes (lists / tuples of ints and None) as leaves."""
    def is_shape(x):
        return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)
    return _map(func, [structure], True, is_shape)
