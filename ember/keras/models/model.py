"""``keras.Model``: a layer with ``compile``/``fit``/``evaluate``/``predict``, ``summary``, saving.

Three ways to make one, as in Keras:

* functional: ``keras.Model(inputs, outputs)`` from ``keras.Input`` and layer calls
  (a :class:`~ember.keras.models.functional.Functional`);
* ``keras.Sequential([...])``;
* subclassing: assign layers in ``__init__`` and write ``call``.

A Model is an ``ember.nn.Module``: ``model.parameters()`` go to any ember optimizer, and
``state_dict()`` works. Any PyTorch-style ``nn.Module`` trains through the same machinery
with ``keras.Model.from_module(module)``.

>>> import numpy as np
>>> from ember import keras
>>> inputs = keras.Input(shape=(4,))
>>> outputs = keras.layers.Dense(2, activation="softmax")(inputs)
>>> model = keras.Model(inputs, outputs)
>>> model.predict(np.ones((3, 4), "float32"), verbose=0).shape
(3, 2)
"""
import json

from ... import nn
from ..layers.layer import Layer
from ..scopes import current_path
from ..trainers.trainer import Trainer


class Model(Trainer, Layer):
    """A trainable group of layers.

    ``keras.Model(inputs, outputs, name=None)`` builds a functional model; ``keras.Model()`` in a
    subclass's ``__init__`` starts a subclassed model whose ``call(inputs, training=None)`` you write.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from .functional import Functional
            return object.__new__(Functional)
        # A subclass's own arguments mean what its __init__ says (Distiller(teacher, student), MyModel(64, 10)):
        # it becomes functional only if it passes (inputs, outputs) on to Model.__init__, as in Keras.
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs:
            from .functional import Functional
            if isinstance(self, Functional) or not _functional_arguments(args, kwargs):
                raise TypeError("keras.Model(inputs, outputs) builds a functional model; in a subclass call "
                                "super().__init__() without inputs")
            # A subclass whose __init__ builds a graph and calls super().__init__(inputs, outputs).
            self.__class__ = _functional_subclass(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        kwargs.pop("inputs", None)
        kwargs.pop("outputs", None)
        Layer.__init__(self, **kwargs)

    @classmethod
    def from_module(cls, module, name=None):
        """A Keras model that runs the ``ember.nn.Module`` ``module`` (in its own layout, e.g. NCHW), so it can
        be trained with ``compile``/``fit``/``evaluate``; its weights are the module's."""
        from .sequential import Sequential
        from ..layers.module_wrapper import TorchModuleWrapper
        return Sequential([TorchModuleWrapper(module)], name=name)

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Model {type(self).__name__} has no call() method: subclasses of keras.Model "
                                  "define call(inputs, training=None)")

    def build(self, input_shape=None):
        """A subclassed model creates its weights by running ``call`` once on zeros of ``input_shape`` (unknown
        dimensions taken as 1), as Keras builds one (e.g. from a saved ``build_config`` when loading)."""
        from .functional import Functional
        if input_shape is None or isinstance(self, Functional) or getattr(self, "_building", False) \
                or _overrides_build(self):
            # a subclass's own build calling super().build(shape) only marks the model built, as in Keras
            self.built = True
            return
        import numpy as np
        from ...autograd import grad_mode

        def zeros(shape):
            if shape and isinstance(shape[0], (list, tuple)):
                return [zeros(s) for s in shape]
            return np.zeros(tuple(1 if d is None else int(d) for d in shape), np.float32)
        self._building = True
        try:
            with grad_mode.no_grad():
                self(zeros(tuple(input_shape)), training=False)
        finally:
            self._building = False
        self._build_input_shape = input_shape
        self.built = True

    def _build_for_call(self, args, kwargs):
        # A subclassed model builds its layers on the first call, after its own build(input_shape) if it has
        # one (Keras calls it with the first argument's shape: Hands-On ML's ReconstructingRegressor creates
        # a layer there).
        self._build_input_shape = args[0].shape if args and hasattr(args[0], "shape") else None
        self.__dict__["_path"] = current_path()   # called inside its own name scope: Keras's path
        if args and not self.built and _overrides_build(self):
            from ..layers.layer import shape_of
            self.build(shape_of(args[0]))
        self.built = True

    @property
    def layers(self):
        return [m for m in self._modules.values() if isinstance(m, nn.Module)]

    def get_layer(self, name=None, index=None):
        """The layer called ``name`` (or at position ``index``)."""
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if getattr(layer, "name", None) == name:
                return layer
        names = [getattr(layer, "name", "?") for layer in self.layers]
        raise ValueError(f"No such layer: {name}. Existing layers are: {names}.")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Print the table of layers, output shapes and parameter counts, as Keras does."""
        from ..utils.summary_utils import print_summary
        print_summary(self, line_length, positions, print_fn, expand_nested, show_trainable, layer_range)

    # -- saving --------------------------------------------------------------------------------
    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Quantize every ``Dense`` / ``EinsumDense`` / ``Embedding`` (that ``filters`` admits) to ``mode``
        (``'int8'``, ``'int4'``, ``'float8'``) or by ``config``; see ``ember.keras.layers.quantized``."""
        from ..layers.quantized import quantize_model
        quantize_model(self, mode, config=config, filters=filters, **kwargs)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save architecture (JSON config), weights (Keras's ``model.weights.h5``) and compile settings to a
        ``.keras`` file that Keras 3 loads too (see :mod:`ember.keras.saving.saving_api`)."""
        from ..saving import saving_api
        saving_api.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights to ``filepath``: Keras's HDF5 layout for a ``.h5`` name (``x.weights.h5``, needs
        h5py), else safetensors, both keyed by Keras's structural paths (``layers/dense/vars/0``)."""
        from ..saving import saving_api
        saving_api.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        from ..saving import saving_api
        saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (``keras.models.model_from_json`` rebuilds it)."""
        from ..saving import serialization_lib
        config = serialization_lib.serialize_keras_object(self)
        config["keras_version"] = "3"
        config["backend"] = "ember"
        return json.dumps(config, **kwargs)

    def get_config(self):
        # as Keras's Layer.get_config: the policy too, so that a subclassed mixed-precision model reloads as one
        from .. import dtype_policies
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policies.serialize(self.dtype_policy)}
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # As Keras: a functional config (name, layers, input_layers, output_layers) revives a functional model,
        # for Model itself or a subclass whose __init__ takes (inputs, outputs, name) or (*args, **kwargs).
        if all(k in config for k in ("name", "layers", "input_layers", "output_layers")):
            import inspect
            from .functional import Functional
            spec = inspect.getfullargspec(cls.__init__)
            if cls is Model or issubclass(cls, Functional) and cls.from_config.__func__ is Functional.from_config.__func__ \
                    or spec.args[1:] == ["inputs", "outputs", "name"] or (spec.varargs and spec.varkw):
                return Functional.from_config.__func__(cls, config, custom_objects=custom_objects)
        return cls(**config)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Export for inference, as Keras 3: ``format="onnx"`` writes an ONNX file (see
        :func:`ember.onnx._export_keras.export_keras_model`); TensorFlow's formats are not available."""
        from ...onnx._export_keras import export_keras_model
        return export_keras_model(self, filepath, format, verbose, input_signature, **kwargs)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"



_FUNCTIONAL_SUBCLASSES = {}


def _functional_arguments(args, kwargs):
    """Whether a model is being made as ``Model(inputs, outputs)`` (Keras's test)."""
    return len(args) == 2 or (len(args) == 1 and "outputs" in kwargs) or ("inputs" in kwargs
                                                                            and "outputs" in kwargs)


def _functional_subclass(cls):
    """``cls`` with ``Functional`` after it in the method order (made once per class)."""
    sub = _FUNCTIONAL_SUBCLASSES.get(cls)
    if sub is None:
        from .functional import Functional
        sub = type(cls.__name__, (cls, Functional), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
        _FUNCTIONAL_SUBCLASSES[cls] = sub
    return sub


def _overrides_build(model):
    """Whether ``model``'s class (one of the user's, not ember's Model/Sequential/Functional) defines build."""
    for klass in type(model).__mro__:
        if "build" in klass.__dict__:
            return not klass.__module__.startswith("ember.")
    return False
