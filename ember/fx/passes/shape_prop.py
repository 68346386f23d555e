"""``ShapeProp``: run a GraphModule once and record each node's tensor shape and dtype, as ``torch.fx``.

After ``ShapeProp(gm).propagate(*example_inputs)`` every node whose value is a tensor has
``node.meta["tensor_meta"]``, a :class:`TensorMetadata` (``shape``, ``dtype``, ``requires_grad``,
``stride``, ``memory_format``, ``is_quantized``, ``qparams``); nested tuples / lists / dicts of
tensors get the same structure of metadata. ``node.meta["type"]`` is the value's type.

>>> import ember, ember.fx as fx
>>> from ember.fx.passes.shape_prop import ShapeProp
>>> gm = fx.symbolic_trace(ember.nn.Sequential(ember.nn.Linear(3, 5)))
>>> _ = ShapeProp(gm).propagate(ember.zeros(2, 3))
>>> [tuple(n.meta["tensor_meta"].shape) for n in gm.graph.nodes if n.op != "output"]
[(2, 3), (2, 5)]
"""
from typing import Any, NamedTuple

from ember.autograd.tensor import Tensor

from ..interpreter import Interpreter
from ..node import map_aggregate

__all__ = ["TensorMetadata", "ShapeProp"]


class TensorMetadata(NamedTuple):
    shape: Any
    dtype: Any
    requires_grad: bool
    stride: tuple
    memory_format: Any
    is_quantized: bool
    qparams: dict


def _extract_tensor_metadata(result):
    import ember
    memory_format = None
    for fmt in (ember.contiguous_format, ember.channels_last, ember.channels_last_3d):
        try:
            if result.is_contiguous(memory_format=fmt):
                memory_format = fmt
                break
        except (TypeError, RuntimeError, ValueError):
            continue
    return TensorMetadata(result.shape, result.dtype, result.requires_grad, result.stride(), memory_format,
                          False, {})


class ShapeProp(Interpreter):
    """Execute the graph and store each node's :class:`TensorMetadata` in ``node.meta`` (see module doc)."""

    def __init__(self, gm, fake_mode=None):
        super().__init__(gm)
        self.fake_mode = fake_mode

    def run_node(self, n):
        result = super().run_node(n)
        found = [False]

        def extract(obj):
            if isinstance(obj, Tensor):
                found[0] = True
                return _extract_tensor_metadata(obj)
            return obj
        meta = map_aggregate(result, extract)
        if found[0]:
            n.meta["tensor_meta"] = meta
        n.meta["type"] = type(result)
        return result

    def propagate(self, *args):
        """Run the graph on ``args``; returns its output."""
        return super().run(*args)
