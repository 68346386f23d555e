"""``keras.Input`` and ``InputLayer``: the entry points of a functional model.

>>> from ember import keras
>>> x = keras.Input(shape=(28, 28, 1), name="image")
>>> x.shape, x.name
((None, 28, 28, 1), 'image')
"""
from .. import backend
from ..graph import KerasTensor, Node
from .layer import Layer, _jsonable_shape


class InputLayer(Layer):
    """The layer behind ``keras.Input``: no weights; its single node's output is the model input.

    Args:
        shape (tuple): the shape of one sample (no batch dimension).
        batch_size (int): a fixed batch size, or None.
        dtype: the input's dtype (default ``'float32'``).
        name (str): the input's name (default ``input_layer``, numbered).
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, input_tensor=None,
                 name=None, ragged=None, optional=False, **kwargs):
        kwargs.pop("trainable", None)
        if ragged:
            raise ValueError("`ragged=True` is not supported with the torch backend")   # Keras's words
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name or backend.unique_name("input_layer"), dtype=None, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("You must pass a `shape` argument to keras.Input / InputLayer")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.input_dtype = str(dtype) if dtype is not None else backend.floatx()
        self.sparse = bool(sparse)
        self.optional = bool(optional)   # the model may be called with None for this input
        self.built = True
        self._build_input_shape = self.batch_shape
        tensor = KerasTensor(self.batch_shape, self.input_dtype, name=self.name)
        Node(self, (), {}, [tensor])
        self.output_tensor = tensor

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return self.batch_shape

    def get_config(self):
        return {"batch_shape": _jsonable_shape(self.batch_shape), "dtype": self.input_dtype,
                "sparse": self.sparse, "ragged": False, "name": self.name, "optional": self.optional}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None,
          ragged=None, optional=False):
    """A symbolic input of a functional model: ``keras.Input(shape=(784,))`` (batch dimension left out);
    ``optional=True``: the model may be given None for it (its layers then see None)."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
                       name=name, ragged=ragged, optional=optional)
    return layer.output_tensor
