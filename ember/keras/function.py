"""``keras.Operation`` and ``keras.Function``.

``Operation`` is the base of a custom op: subclass it, write ``call(*args)`` (ember tensors in, tensors
out) and calling it on ``keras.Input`` tensors records it in the graph
like a layer, so it can sit inside a functional model or a ``Function``.

``Function(inputs, outputs)`` is the graph between symbolic inputs and outputs as a callable (a
functional model without the training API): ``fn(x)`` runs it on tensors or arrays with the same nesting
as ``inputs``.

>>> import numpy as np
>>> from ember import keras
>>> x = keras.Input((3,))
>>> fn = keras.Function(x, keras.layers.Dense(2, kernel_initializer="ones")(x) * 2.0)
>>> fn(np.ones((1, 3), "float32")).tolist()
[[6.0, 6.0]]
"""
from .graph import KerasTensor, flatten
from .layers.layer import Layer


class Operation(Layer):
    """A stateless op usable on tensors and on symbolic ``KerasTensor`` s (the output shapes are found by
    running ``call`` on placeholders); subclasses define ``call``."""


class Function:
    """``Function(inputs, outputs, name=None)``: the graph from ``inputs`` to ``outputs`` as a callable."""

    def __init__(self, inputs, outputs, name=None):
        from .models.functional import Functional
        for t in flatten(inputs) + flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise ValueError(f"Function inputs and outputs must be KerasTensors (from keras.Input and op "
                                 f"calls), got {t!r}")
        self.name = name or "function"
        self._graph = Functional(inputs, outputs, name=self.name)
        self._inputs_struct, self._outputs_struct = inputs, outputs

    @property
    def inputs(self):
        return self._graph.inputs

    @property
    def outputs(self):
        return self._graph.outputs

    @property
    def operations(self):
        return [layer for layer in self._graph.layers if type(layer).__name__ != "InputLayer"]

    def __call__(self, inputs, training=None):
        return self._graph.call(inputs, training=training)

    def compute_output_spec(self, inputs):
        return self._outputs_struct

    def __repr__(self):
        return f"<Function name={self.name}, inputs={len(self.inputs)}, outputs={len(self.outputs)}>"
