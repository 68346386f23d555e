"""``StackedRNNCells``: several recurrent cells run as one, each step's output feeding the next cell.

``RNN([cell_a, cell_b])`` (a list of cells) stacks them. The states are the cells' states one
after the other (``state_size`` is the concatenation of theirs), the output is the last cell's.

>>> import ember
>>> from ember import keras
>>> cells = [keras.layers.LSTMCell(4), keras.layers.GRUCell(3)]
>>> keras.layers.RNN(cells)(ember.ones(2, 5, 6)).shape
ember.Size([2, 3])
"""
from ..saving import serialization_lib
from .layer import Layer


def _sizes(cell):
    size = cell.state_size
    return [int(v) for v in size] if isinstance(size, (list, tuple)) else [int(size)]


def _out_size(cell):
    size = getattr(cell, "output_size", None)
    return int(size) if size is not None else _sizes(cell)[0]


class StackedRNNCells(Layer):
    """Wraps a list of cells (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell`` or Keras-style custom cells with
    ``state_size`` and ``call(inputs, states)``) into one cell."""

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells)
        for cell in cells:
            if not hasattr(cell, "state_size") or not callable(cell):
                raise ValueError(f"All cells must have a `state_size` attribute and be callable. Received: "
                                 f"cells={cells}")
        for i, cell in enumerate(cells):
            setattr(self, f"cell_{i}", cell)
        self.__dict__["cells"] = cells

    @property
    def state_size(self):
        return [s for cell in self.cells for s in _sizes(cell)]

    @property
    def output_size(self):
        return _out_size(self.cells[-1])

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            cell._maybe_build(shape)
            shape = shape[:-1] + (_out_size(cell),)

    def call(self, inputs, states, training=None):
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        new_states, i = [], 0
        for cell in self.cells:
            n = len(_sizes(cell))
            inputs, s = cell(inputs, states[i:i + n], training=training)
            new_states += list(s) if isinstance(s, (list, tuple)) else [s]
            i += n
        return inputs, new_states

    def get_config(self):
        config = super().get_config()
        config["cells"] = [serialization_lib.serialize_keras_object(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["cells"] = [serialization_lib.deserialize_keras_object(c, custom_objects) for c in config["cells"]]
        return cls(**config)
