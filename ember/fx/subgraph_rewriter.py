"""``replace_pattern``: find every copy of a small program in a GraphModule and swap in another, as ``torch.fx``.

``pattern`` and ``replacement`` are functions (or GraphModules) with the same inputs. Both are
traced; every non-overlapping place in ``gm.graph`` where the pattern's nodes occur with the same
ops, targets and constant arguments, wired the same way (the pattern's inputs stand for any node),
is replaced by a copy of the replacement graph reading the same inputs. Matched nodes that were
only used inside the match are erased. Returns one :class:`Match` per replacement.

>>> import ember, ember.fx as fx
>>> def f(x):
...     return ember.neg(ember.neg(x)) + 1
>>> def pattern(x):
...     return ember.neg(ember.neg(x))
>>> def replacement(x):
...     return x
>>> gm = fx.symbolic_trace(f)
>>> len(fx.replace_pattern(gm, pattern, replacement)), [n.op for n in gm.graph.nodes]
(1, ['placeholder', 'call_function', 'output'])
"""
from typing import Dict, NamedTuple

from .graph import Graph
from .graph_module import GraphModule
from .node import Node

__all__ = ["Match", "replace_pattern"]


class Match(NamedTuple):
    anchor: Node                 # the pattern node the match was rooted at (the pattern's output value)
    nodes_map: Dict[Node, Node]  # pattern node -> matched node of the graph


def _graph_of(fn):
    if isinstance(fn, GraphModule):
        return fn.graph
    if isinstance(fn, Graph):
        return fn
    from ._symbolic_trace import symbolic_trace
    return symbolic_trace(fn).graph


def _same_constant(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b)
    return type(a) is type(b) and a == b


class _Matcher:
    def __init__(self, pattern):
        self.placeholders = [n for n in pattern.nodes if n.op == "placeholder"]
        outputs = [n for n in pattern.nodes if n.op == "output"]
        returned = outputs[0].args[0]
        if not isinstance(returned, Node):
            raise NotImplementedError("replace_pattern: ember.fx matches patterns that return one value; this one "
                                      f"returns {returned!r}")
        self.anchor = returned

    def match(self, gn, taken):
        nodes_map = {}
        if not self._match(self.anchor, gn, nodes_map, taken):
            return None
        inner = {g for p, g in nodes_map.items() if p.op != "placeholder"}
        for p, g in nodes_map.items():
            # A node that only the pattern computes may be replaced; one read outside the match may not.
            if p.op != "placeholder" and p is not self.anchor and any(u not in inner for u in g.users):
                return None
        return nodes_map

    def _match(self, pn, gn, nodes_map, taken):
        if pn in nodes_map:
            return nodes_map[pn] is gn
        if pn.op == "placeholder":
            nodes_map[pn] = gn
            return True
        if gn in taken or gn in nodes_map.values() or pn.op != gn.op or len(pn.args) != len(gn.args) \
                or set(pn.kwargs) != set(gn.kwargs):
            return False
        if pn.target is not gn.target and pn.target != gn.target:
            return False
        nodes_map[pn] = gn
        pairs = list(zip(pn.args, gn.args)) + [(pn.kwargs[k], gn.kwargs[k]) for k in pn.kwargs]
        if not self._match_args(pairs, nodes_map, taken):
            del nodes_map[pn]
            return False
        return True

    def _match_args(self, pairs, nodes_map, taken):
        for a, b in pairs:
            if isinstance(a, Node) or isinstance(b, Node):
                if not (isinstance(a, Node) and isinstance(b, Node)) or not self._match(a, b, nodes_map, taken):
                    return False
            elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
                if len(a) != len(b) or not self._match_args(list(zip(a, b)), nodes_map, taken):
                    return False
            elif not _same_constant(a, b):
                return False
        return True


def replace_pattern(gm, pattern, replacement):
    """Replace each match of ``pattern`` in ``gm`` by ``replacement``; returns the :class:`Match` list."""
    pattern_graph, replacement_graph = _graph_of(pattern), _graph_of(replacement)
    matcher = _Matcher(pattern_graph)
    rep_placeholders = [n for n in replacement_graph.nodes if n.op == "placeholder"]
    if len(rep_placeholders) != len(matcher.placeholders):
        raise ValueError(f"replace_pattern: the pattern takes {len(matcher.placeholders)} inputs and the replacement "
                         f"{len(rep_placeholders)}; they must take the same inputs")
    graph = gm.graph
    matches, taken = [], set()
    for gn in list(graph.nodes):
        if gn.op in ("placeholder", "output"):
            continue
        nodes_map = matcher.match(gn, taken)
        if nodes_map is None:
            continue
        taken.update(g for p, g in nodes_map.items() if p.op != "placeholder")
        matches.append(Match(anchor=matcher.anchor, nodes_map=nodes_map))
    for m in matches:
        anchor = m.nodes_map[m.anchor]
        val_map = {r: m.nodes_map[p] for r, p in zip(rep_placeholders, matcher.placeholders)}
        with graph.inserting_before(anchor):
            new_value = graph.graph_copy(replacement_graph, val_map)
        if isinstance(new_value, Node):
            anchor.replace_all_uses_with(new_value)
        else:
            raise NotImplementedError("replace_pattern: the replacement must return one value")
        # Erase the matched nodes, users before what they read.
        matched = {g for p, g in m.nodes_map.items() if p.op != "placeholder"}
        for gn in reversed(list(graph.nodes)):
            if gn in matched and not gn.users:
                graph.erase_node(gn)
    gm.recompile()
    return matches
