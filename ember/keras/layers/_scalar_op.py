"""``x + 3.0``, ``x * (1 / 6)``, ``2 - x``, ``x / 4``, ``-x`` on a symbolic tensor: one graph node per
arithmetic operator with a Python number.

Keras records these as operations, not layers, so they run in the model but are left out of
``Model.layers`` (and of the automatic layer names); :class:`ScalarOp` marks itself the same way.

>>> from ember import keras
>>> x = keras.Input(shape=(2,))
>>> model = keras.Model(x, (x + 3.0) * 0.5)
>>> [layer.name for layer in model.layers]
['input_layer']
"""
from .layer import Layer

_SYMBOLS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/"}


class ScalarOp(Layer):
    """``x <op> value`` (or ``value <op> x`` when ``reverse``) for ``op`` in add, subtract, multiply, divide."""

    _is_operation = True

    def __init__(self, op, value, reverse=False, **kwargs):
        if op not in _SYMBOLS:
            raise ValueError(f"ScalarOp: op must be one of {sorted(_SYMBOLS)}, got {op!r}")
        kwargs.setdefault("name", f"{op}_scalar_{id(self):x}")
        super().__init__(**kwargs)
        self.op, self.value, self.reverse = op, float(value), bool(reverse)

    def call(self, x):
        a, b = (self.value, x) if self.reverse else (x, self.value)
        if self.op == "add":
            return a + b
        if self.op == "subtract":
            return a - b
        if self.op == "multiply":
            return a * b
        return a / b

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"op": self.op, "value": self.value, "reverse": self.reverse})
        return config
