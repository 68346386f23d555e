"""Saving and loading models: ``save_model``/``load_model`` (``.keras`` archives of JSON config and
safetensors weights), the class registry (``register_keras_serializable``) and serialization helpers."""
from .serialization_lib import (register_keras_serializable, get_registered_name, get_registered_object,
                                custom_object_scope, CustomObjectScope, serialize_keras_object,
                                deserialize_keras_object)
from .file_editor import KerasFileEditor


def save_model(model, filepath, overwrite=True, **kwargs):
    from .saving_api import save_model as _save
    return _save(model, filepath, overwrite=overwrite, **kwargs)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    from .saving_api import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_weights(model, filepath, overwrite=True, **kwargs):
    """``model.save_weights(filepath)`` as a function (``keras.saving.save_weights``)."""
    return model.save_weights(filepath, overwrite=overwrite, **kwargs)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """``model.load_weights(filepath)`` as a function (``keras.saving.load_weights``)."""
    return model.load_weights(filepath, skip_mismatch=skip_mismatch, **kwargs)


def get_custom_objects():
    """The global registry of custom objects (name -> class) that ``register_keras_serializable`` fills."""
    from .serialization_lib import _GLOBAL_CUSTOM_OBJECTS
    return _GLOBAL_CUSTOM_OBJECTS


__all__ = ["KerasFileEditor", "save_weights", "load_weights", "get_custom_objects", "save_model", "load_model", "register_keras_serializable", "get_registered_name",
           "get_registered_object", "custom_object_scope", "CustomObjectScope", "serialize_keras_object",
           "deserialize_keras_object"]
