"""Symbolic tensors and nodes: the functional API's record of which layer consumed what.

``keras.Input(shape=(28, 28, 1))`` returns a :class:`KerasTensor` (a shape and dtype,
no data). Calling a layer on KerasTensors builds the layer, computes its output
shape and returns new KerasTensors whose ``_keras_history`` points at a
:class:`Node` (the layer, the call's arguments, its outputs). ``keras.Model(inputs,
outputs)`` walks these nodes back from the outputs and replays them in order.

>>> from ember import keras
>>> x = keras.Input(shape=(4,))
>>> x.shape
(None, 4)
"""
import collections


KerasHistory = collections.namedtuple("KerasHistory", ["operation", "node_index", "tensor_index"])


class KerasTensor:
    """A symbolic tensor: ``shape`` (batch dimension None), ``dtype``, and the layer call that made it."""

    def __init__(self, shape, dtype="float32", sparse=False, name=None, record_history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = str(dtype)
        self.sparse = sparse
        self.name = name
        self._keras_history = record_history

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no value: it cannot be used as a Python bool")

    def __array__(self, *args, **kwargs):
        raise TypeError("A symbolic KerasTensor has no value; build a keras.Model(inputs, outputs) and call it "
                        "on real data")

    def _arith(self, op, other, reverse=False):
        # as Keras's KerasTensor: the keras.ops function (Add, Subtract, Multiply, TrueDivide operations)
        name = "true_divide" if op == "divide" else op
        return self._op(name, other, self) if reverse else self._op(name, self, other)

    def __add__(self, other):
        return self._arith("add", other)

    def __sub__(self, other):
        return self._arith("subtract", other)

    def __mul__(self, other):
        return self._arith("multiply", other)

    def __truediv__(self, other):
        return self._arith("divide", other)

    def __radd__(self, other):
        return self._arith("add", other, reverse=True)

    def __rsub__(self, other):
        return self._arith("subtract", other, reverse=True)

    def __rmul__(self, other):
        return self._arith("multiply", other, reverse=True)

    def __rtruediv__(self, other):
        return self._arith("divide", other, reverse=True)

    def __neg__(self):
        return self._op("negative", self)

    # The other operators Keras's KerasTensor has, each the keras.ops function (a graph operation).
    def _op(self, name, *args):
        from . import ops
        return getattr(ops, name)(*args)

    def __getitem__(self, key):
        from .layers.op_layer import OpLayer
        node, args, kwargs = OpLayer.from_call(get_item, (self, key), {})
        return node(*args, **kwargs)

    def __pow__(self, other):
        return self._op("power", self, other)

    def __rpow__(self, other):
        return self._op("power", other, self)

    def __matmul__(self, other):
        return self._op("matmul", self, other)

    def __rmatmul__(self, other):
        return self._op("matmul", other, self)

    def __floordiv__(self, other):
        return self._op("floor_divide", self, other)

    def __rfloordiv__(self, other):
        return self._op("floor_divide", other, self)

    def __mod__(self, other):
        return self._op("mod", self, other)

    def __rmod__(self, other):
        return self._op("mod", other, self)

    def __abs__(self):
        return self._op("absolute", self)

    def __lt__(self, other):
        return self._op("less", self, other)

    def __le__(self, other):
        return self._op("less_equal", self, other)

    def __gt__(self, other):
        return self._op("greater", self, other)

    def __ge__(self, other):
        return self._op("greater_equal", self, other)

    def __and__(self, other):
        return self._op("logical_and", self, other)

    def __or__(self, other):
        return self._op("logical_or", self, other)

    def __xor__(self, other):
        return self._op("logical_xor", self, other)

    def __invert__(self):
        return self._op("logical_not", self)


def get_item(x, key):
    """``x[key]``: the graph operation of slicing a symbolic tensor (Keras's GetItem)."""
    return x[key]


class Node:
    """One call of ``operation`` (a layer) in a functional graph."""

    def __init__(self, operation, call_args=(), call_kwargs=None, outputs=()):
        self.operation = operation
        self.arguments_args = call_args
        self.arguments_kwargs = call_kwargs or {}
        self.outputs = list(outputs)
        self.input_tensors = [t for t in flatten((call_args, self.arguments_kwargs)) if isinstance(t, KerasTensor)]
        self.node_index = len(operation._inbound_nodes)
        operation._inbound_nodes.append(self)
        for i, t in enumerate(self.outputs):
            t._keras_history = KerasHistory(operation, self.node_index, i)

    @property
    def parent_nodes(self):
        out = []
        for t in self.input_tensors:
            h = t._keras_history
            if h is not None:
                node = h.operation._inbound_nodes[h.node_index]
                if node not in out:
                    out.append(node)
        return out

    @property
    def output_tensors(self):
        return self.outputs


def _dict_keys(d):
    # Keras's tree (optree) visits a dict in sorted-key order: a model with outputs {"priority", "department"}
    # has "department" first (its layer order, weights and losses follow).
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def flatten(structure):
    """The leaves of nested lists, tuples and dicts (in sorted-key order, as Keras), in order."""
    if isinstance(structure, (list, tuple)):
        return [leaf for s in structure for leaf in flatten(s)]
    if isinstance(structure, dict):
        return [leaf for k in _dict_keys(structure) for leaf in flatten(structure[k])]
    return [structure]


def map_structure(fn, structure):
    if isinstance(structure, list):
        return [map_structure(fn, s) for s in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return fn(structure)


def any_symbolic(structure):
    return any(isinstance(t, KerasTensor) for t in flatten(structure))


def _cut_at(inputs):
    """The nodes that made ``inputs``: a model given intermediate tensors as inputs (Keras allows it, e.g.
    ``keras.Model(feature_space.get_encoded_features(), outputs)``) starts from them, not from what made them."""
    return {id(t._keras_history.operation._inbound_nodes[t._keras_history.node_index]) for t in flatten(inputs)
            if t._keras_history is not None and t._keras_history.operation.__class__.__name__ != "InputLayer"}


def topological_nodes(outputs, inputs=()):
    """The nodes that produce ``outputs``, each after the nodes it depends on (iterative DFS), stopping at the
    nodes that made intermediate ``inputs``."""
    order, done = [], set(_cut_at(inputs))
    roots = []
    for t in flatten(outputs):
        h = t._keras_history
        if h is None:
            raise ValueError(f"{t} was not produced by a Keras layer: model outputs must come from keras.Input "
                             "through layer calls")
        roots.append(h.operation._inbound_nodes[h.node_index])
    stack = [(n, False) for n in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
            continue
        stack.append((node, True))
        for parent in reversed(node.parent_nodes):
            if id(parent) not in done:
                stack.append((parent, False))
    return order


def _keras_depths(inputs, outputs):
    """Keras's map_graph: ``(nodes, node_depth, op_depth, ops, op_index)``, every node given a depth (0 at the
    outputs, one more than its deepest consumer; a layer's nodes share the deepest), ``node_depth`` filled in
    the order Keras fills its dict (which orders the nodes of one depth)."""
    op_index, post_order, finished = {}, [], set(_cut_at(inputs))
    stack = [(h.operation._inbound_nodes[h.node_index], False)
             for h in reversed([t._keras_history for t in flatten(outputs)])]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            finished.add(id(node))
            post_order.append(node)
            continue
        if id(node) in finished:
            continue
        op_index.setdefault(id(node.operation), len(op_index))
        stack.append((node, True))
        for parent in reversed(node.parent_nodes):
            if id(parent) not in finished:
                stack.append((parent, False))
    nodes, node_depth, op_depth, ops = {}, {}, {}, {}
    for node in reversed(post_order):
        nodes[id(node)] = node
        depth = max(node_depth.setdefault(id(node), 0), op_depth.get(id(node.operation), 0))
        op_depth[id(node.operation)] = node_depth[id(node)] = depth
        ops[id(node.operation)] = node.operation
        for parent in node.parent_nodes:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    return nodes, node_depth, op_depth, ops, op_index


def keras_node_order(inputs, outputs):
    """The graph's nodes in the order Keras's Functional runs them (``_run_through_graph``): deepest first,
    nodes of one depth in the order Keras's depth map lists them."""
    nodes, node_depth, _, _, _ = _keras_depths(inputs, outputs)
    index = {key: i for i, key in enumerate(node_depth)}
    return sorted((n for key, n in nodes.items()), key=lambda n: (-node_depth[id(n)], index[id(n)]))


def keras_layer_order(inputs, outputs):
    """The layers of the graph from ``inputs`` to ``outputs`` in Keras's order (``Model.layers``).

    Keras gives each node a depth (0 at the outputs, one more than its deepest consumer) and lists the
    layers deepest first; layers of equal depth keep the order in which a depth-first walk from the
    outputs (first input first) first reached them. Matching it keeps ``model.layers``,
    ``model.weights`` and ``get_weights()`` in the order of the same model built by Keras.
    """
    _, _, op_depth, ops, op_index = _keras_depths(inputs, outputs)
    for t in flatten(inputs):
        op = t._keras_history.operation
        if id(op) not in op_depth and op.__class__.__name__ == "InputLayer":
            op_depth[id(op)], op_index[id(op)], ops[id(op)] = 0, -1, op
    return sorted(ops.values(), key=lambda op: (-op_depth[id(op)], op_index[id(op)]))
