"""``torch.utils._pytree``'s common functions over nested tuples, lists, dicts and namedtuples.

>>> leaves, spec = tree_flatten({"a": (1, 2), "b": [3]})
>>> leaves, tree_unflatten([x * 10 for x in leaves], spec)
([1, 2, 3], {'a': (10, 20), 'b': [30]})
"""
from ember.func._tree import flatten, unflatten

__all__ = ["tree_flatten", "tree_unflatten", "tree_leaves", "tree_structure", "tree_map", "tree_all", "tree_any"]


def tree_flatten(tree, is_leaf=None):
    """``(leaves, spec)``: the leaves in order and the structure around them."""
    return flatten(tree)


def tree_unflatten(leaves, treespec):
    """The structure ``treespec`` holding ``leaves``."""
    return unflatten(treespec, list(leaves))


def tree_leaves(tree, is_leaf=None):
    return flatten(tree)[0]


def tree_structure(tree, is_leaf=None):
    return flatten(tree)[1]


def tree_map(func, tree, *rests, is_leaf=None):
    """``func`` applied leaf by leaf (to the matching leaves of ``rests`` too), in ``tree``'s structure."""
    leaves, spec = flatten(tree)
    others = [flatten(r) for r in rests]
    for other_leaves, other_spec in others:
        if other_spec != spec:
            raise ValueError("tree_map: the trees in rests must have the structure of tree")
    return unflatten(spec, [func(*xs) for xs in zip(leaves, *(o[0] for o in others))])


def tree_all(pred, tree, is_leaf=None):
    return all(pred(x) for x in flatten(tree)[0])


def tree_any(pred, tree, is_leaf=None):
    return any(pred(x) for x in flatten(tree)[0])
