"""``TorchModuleWrapper``: any PyTorch-style ``ember.nn.Module`` as a Keras layer.

Keras 3 offers ``keras.layers.TorchModuleWrapper`` for its torch backend; here it
wraps ember modules, so a network written with ``ember.nn`` can be trained with
``compile``/``fit``/``evaluate`` (``Sequential([TorchModuleWrapper(net)])``, or
``keras.Model.from_module(net)``). The module keeps its own layout (e.g. NCHW images
for ``nn.Conv2d``). Its weights are its parameters (trainable) followed by its
buffers (non-trainable).

>>> import ember
>>> from ember import keras, nn
>>> layer = keras.layers.TorchModuleWrapper(nn.Linear(4, 2))
>>> layer(ember.ones(3, 4)).shape
ember.Size([3, 2])
"""
from ... import nn
from .layer import Layer


class TorchModuleWrapper(Layer):
    """Wraps ``module`` (an ``ember.nn.Module``); ``call(*args)`` is ``module(*args)``.

    Not serializable into a model config (a module's constructor is arbitrary code); save its
    weights with ``save_weights`` or ``ember.save(module.state_dict(), ...)``.
    """

    _autocast = False

    def __init__(self, module, name=None, **kwargs):
        if not isinstance(module, nn.Module):
            raise TypeError(f"TorchModuleWrapper expects an ember.nn.Module, got {type(module).__name__}")
        super().__init__(name=name, **kwargs)
        self.module = module
        self.built = True

    def call(self, *args, **kwargs):
        kwargs.pop("training", None)
        return self.module(*args, **kwargs)

    def train(self, mode=True):
        super().train(mode)
        return self

    @property
    def weights(self):
        return list(self.module.parameters()) + list(self.module.buffers())

    @property
    def trainable_weights(self):
        return [p for p in self.module.parameters() if p.requires_grad] if self.trainable else []

    def forward(self, *args, **kwargs):
        from .. import backend
        training = backend.resolve_training(kwargs.pop("training", None), self)
        if self.module.training != training:
            self.module.train(training)
        return self.module(*args, **kwargs)

    def get_config(self):
        raise NotImplementedError("TorchModuleWrapper cannot be saved as a model config: its module is arbitrary "
                                  "code. Save the weights instead (model.save_weights).")
