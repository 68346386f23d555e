"""``keras.models``: ``Model``, ``Sequential``, ``load_model``, ``save_model``, ``model_from_json``,
``clone_model``."""
from .model import Model
from .functional import Functional
from .sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save('model.keras')`` (JSON config + safetensors weights).

    Only classes that ember.keras knows (its layers and models, ``custom_objects`` and classes
    registered with ``@keras.saving.register_keras_serializable()``) can appear in the config;
    anything else is refused with a ValueError. No code from the file is executed.
    """
    from ..saving.saving_api import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, **kwargs):
    from ..saving.saving_api import save_model as _save
    return _save(model, filepath, overwrite=overwrite, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model's architecture (fresh weights) from ``model.to_json()``."""
    import json

    from ..saving import serialization_lib
    config = json.loads(json_string)
    return serialization_lib.deserialize_keras_object(config, custom_objects)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and newly initialized weights; a compiled model's clone is
    compiled the same way (its compile config: optimizer, loss, metrics), as in Keras 3."""
    from ..saving import serialization_lib
    clone = serialization_lib.deserialize_keras_object(serialization_lib.serialize_keras_object(model))
    if getattr(model, "compiled", False):
        clone.compile_from_config(model.get_compile_config())
    return clone


__all__ = ["Model", "Functional", "Sequential", "load_model", "save_model", "model_from_json", "clone_model"]
