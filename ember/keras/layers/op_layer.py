"""The graph node of a ``keras.ops`` function called on symbolic tensors (see ``ember/keras/ops/symbolic.py``).

Keras records ``ops.expand_dims(x, -1)`` on a ``KerasTensor`` as an operation of the functional graph: it runs
in the model but is not one of ``Model.layers``, has no weights and takes no automatic layer name.
:class:`OpLayer` is that node: it calls the op with the call's arguments (the real tensors in place of the
symbolic ones), and its output shape comes from running the op on placeholders.

>>> from ember import keras
>>> x = keras.Input((3,))
>>> model = keras.Model(x, keras.ops.expand_dims(keras.layers.Dense(2)(x), -1))
>>> [type(layer).__name__ for layer in model.layers], model.output.shape
(['InputLayer', 'Dense'], (None, 2, 1))
"""
from .layer import Layer


class OpLayer(Layer):
    """Runs ``op(*args, **kwargs)``; made by the ops themselves when given symbolic tensors."""

    _is_operation = True
    _autocast = False   # an op keeps its inputs' dtypes (ops.cast(x, 'float64') would be undone)

    def __init__(self, op, **kwargs):
        # Not numbered: operations do not take automatic layer names in Keras.
        kwargs.setdefault("name", f"{op.__name__}_op_{id(self):x}")
        super().__init__(**kwargs)
        self.__dict__["op"] = op

    def _build_for_call(self, args, kwargs):
        self.built = True   # no weights; the first argument may be a number (ops.power(2.0, x), 2.0 ** x)

    def call(self, *args, **kwargs):
        return self.op(*args, **kwargs)

    def get_config(self):
        raise NotImplementedError(f"ember.keras cannot serialize the operation keras.ops.{self.op.__name__} applied "
                                  "to symbolic tensors in a functional model; wrap it in a keras.layers.Lambda "
                                  "or a Layer subclass to save the model")
