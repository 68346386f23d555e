"""``ArithmeticOp``: the node ember recorded for ``x + y``, ``x * 0.5``, ``2 - x`` on symbolic tensors before these
became Keras's operations (``Add``, ``Multiply``, ``Subtract``, ``TrueDivide``, ``Negative``: see ``op_layer.py``).
It stays so that the ``.keras`` files ember wrote then still load.

>>> from ember import keras
>>> from ember.keras.layers._arithmetic import ArithmeticOp
>>> x = keras.Input(shape=(2,))
>>> model = keras.Model(x, ArithmeticOp("add", 3.0)(x))
>>> [type(layer).__name__ for layer in model.layers]
['InputLayer']
"""
from .layer import Layer
from .merging import _broadcast

_OPS = ("add", "subtract", "multiply", "divide")


def _apply(op, a, b):
    if op == "add":
        return a + b
    if op == "subtract":
        return a - b
    if op == "multiply":
        return a * b
    return a / b


class ArithmeticOp(Layer):
    """``a <op> b`` for ``op`` in add, subtract, multiply, divide: called on ``[a, b]`` (two tensors), or on
    one tensor ``x`` with a number ``value`` (``x <op> value``, or ``value <op> x`` when ``reverse``)."""

    _is_operation = True

    def __init__(self, op, value=None, reverse=False, **kwargs):
        if op not in _OPS:
            raise ValueError(f"ArithmeticOp: op must be one of {list(_OPS)}, got {op!r}")
        kwargs.setdefault("name", f"{op}_op_{id(self):x}")
        super().__init__(**kwargs)
        self.op, self.reverse = op, bool(reverse)
        self.value = None if value is None else float(value)

    def call(self, inputs):
        if self.value is None:
            return _apply(self.op, inputs[0], inputs[1])
        a, b = (self.value, inputs) if self.reverse else (inputs, self.value)
        return _apply(self.op, a, b)

    def compute_output_shape(self, input_shape):
        return input_shape if self.value is not None else _broadcast(list(input_shape))

    def get_config(self):
        config = super().get_config()
        config.update({"op": self.op, "value": self.value, "reverse": self.reverse})
        return config
