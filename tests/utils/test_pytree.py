"""torch.utils._pytree against torch 2.13: flatten/unflatten over tuples, lists, dicts (insertion order),
namedtuples, OrderedDict, defaultdict, deque and torch.return_types; is_leaf; TreeSpec's repr, equality and
counts; tree_map with several trees (and torch's arity error), tree_map_only, the *_only predicates;
register_pytree_node for a user class."""
import collections

import pytest
import torch
import torch.utils._pytree as tpt

import ember
import ember.utils._pytree as ept

Pair = collections.namedtuple("Pair", "x y")
TREES = [
    {"a": (1, 2), "b": [3, {"c": 4}], "d": None},
    {"b": 1, "a": 2},
    [Pair(1, 2), (3,)],
    collections.OrderedDict(z=1, a=[2, 3]),
    collections.defaultdict(int, a=1, b=(2,)),
    collections.deque([1, (2, 3)], maxlen=4),
    [], {}, (), 5, None,
]


@pytest.mark.parametrize("tree", TREES, ids=range(len(TREES)))
def test_flatten_unflatten_and_spec_match_torch(tree):
    leaves, spec = ept.tree_flatten(tree)
    t_leaves, t_spec = tpt.tree_flatten(tree)
    assert leaves == t_leaves
    assert repr(spec) == repr(t_spec) and str(spec) == str(t_spec)
    assert (spec.num_leaves, spec.num_nodes, spec.num_children) == (t_spec.num_leaves, t_spec.num_nodes,
                                                                     t_spec.num_children)
    new = [i * 10 if isinstance(i, int) else i for i in leaves]
    rebuilt = ept.tree_unflatten(new, spec)
    assert rebuilt == tpt.tree_unflatten(new, t_spec) and type(rebuilt) is type(tree)
    assert spec == ept.tree_structure(tree) and ept.tree_leaves(tree) == tpt.tree_leaves(tree)


def test_spec_repr_layout():
    spec = ept.tree_structure({"a": (1, 2), "b": [3, {"c": 4}], "d": None})
    assert repr(spec) == ("TreeSpec(dict, ['a', 'b', 'd'], [TreeSpec(tuple, None, [*,\n    *]),\n"
                          "  TreeSpec(list, None, [*,\n    TreeSpec(dict, ['c'], [*])]),\n  *])")
    assert repr(ept.tree_structure(Pair(1, 2))) == repr(tpt.tree_structure(Pair(1, 2)))
    assert repr(ept.tree_structure(5)) == "*" and ept.tree_structure(5).is_leaf()


def test_return_types_are_nodes():
    ours = ept.tree_flatten(ember.max(ember.ones(2, 2), 1))
    theirs = tpt.tree_flatten(torch.max(torch.ones(2, 2), 1))
    assert repr(ours[1]) == repr(theirs[1]) == "TreeSpec(max, None, [*,\n  *])"
    assert type(ept.tree_unflatten(ours[0], ours[1])).__name__ == "max"


def test_tree_map_variants_match_torch():
    tree = {"a": (1, 2), "b": [3, {"c": 4.5}], "s": "text"}
    for pt in (ept, tpt):
        assert pt.tree_map(lambda x: x * 2, tree) == tpt.tree_map(lambda x: x * 2, tree)
    same = lambda f: f(ept) == f(tpt)   # noqa: E731
    assert same(lambda pt: pt.tree_map(lambda a, b: a + b, [1, (2, 3)], [10, (20, 30)]))
    assert same(lambda pt: pt.tree_map(lambda a, b: (a, b), [1, 2], [(9, 9), {"k": 1}]))   # rests: subtrees
    assert same(lambda pt: pt.tree_map_only(int, lambda x: x + 1, tree))
    assert same(lambda pt: pt.tree_map_only((int, float), lambda x: -x, tree))
    assert same(lambda pt: pt.tree_map_only(lambda x: x == 3, lambda x: 0, tree))
    assert same(lambda pt: pt.tree_leaves(tree, is_leaf=lambda x: isinstance(x, tuple)))
    assert same(lambda pt: pt.tree_map(lambda x: type(x).__name__, tree, is_leaf=lambda x: isinstance(x, tuple)))
    assert same(lambda pt: (pt.tree_all(lambda x: x != 0, tree), pt.tree_any(lambda x: x == "text", tree)))
    assert same(lambda pt: (pt.tree_all_only(int, lambda x: x > 0, tree), pt.tree_any_only(float, lambda x: x > 4,
                                                                                            tree)))
    seen = []
    assert ept.tree_map_(seen.append, tree) is tree and seen == ept.tree_leaves(tree)
    t = {"t": ember.ones(2), "n": 3}
    assert ept.tree_map_only(ember.Tensor, lambda x: x * 2, t)["t"].tolist() == [2.0, 2.0]


def test_errors_match_torch():
    spec = ept.tree_structure({"a": (1, 2), "b": [3]})
    for pt, sp in ((ept, spec), (tpt, tpt.tree_structure({"a": (1, 2), "b": [3]}))):
        with pytest.raises(ValueError, match="has length 2 but the spec refers to a pytree that holds 3 items"):
            pt.tree_unflatten([1, 2], sp)
        with pytest.raises(ValueError, match="Node arity mismatch; expected 2, but got 1."):
            pt.tree_map(lambda a, b: a, [1, 2], [1])
        with pytest.raises(ValueError, match="Node type mismatch; expected <class 'list'>, but got <class 'tuple'>."):
            pt.tree_map(lambda a, b: a, [1, 2], (1, 2))


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


def test_register_pytree_node_for_a_user_class():
    for pt in (ept, tpt):
        if Point not in pt.SUPPORTED_NODES:
            pt.register_pytree_node(Point, lambda p: ([p.x, p.y], "ctx"), lambda ch, ctx: Point(*ch))
        with pytest.raises(ValueError, match="is already registered as pytree node"):
            pt.register_pytree_node(Point, lambda p: ([], None), lambda ch, ctx: Point(0, 0))
    tree = [Point(1, (2, 3)), 4]
    leaves, spec = ept.tree_flatten(tree)
    t_leaves, t_spec = tpt.tree_flatten(tree)
    assert leaves == t_leaves == [1, 2, 3, 4] and repr(spec) == repr(t_spec)
    assert ept.tree_unflatten([5, 6, 7, 8], spec) == tpt.tree_unflatten([5, 6, 7, 8], t_spec) == \
        [Point(5, (6, 7)), 8]
    assert ept.tree_map(lambda v: v * 2, Point(1, 2)) == tpt.tree_map(lambda v: v * 2, Point(1, 2))
