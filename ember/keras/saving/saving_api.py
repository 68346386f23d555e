"""The ``.keras`` file: a zip archive holding

* ``config.json``: the model's serialized architecture (``serialize_keras_object``) plus its
  ``compile_config`` (optimizer, loss and metrics by name or config);
* ``metadata.json``: format and versions;
* ``model.weights.safetensors``: the weights, named by their path in the model
  (``conv2d.kernel``), in Keras's layouts.

Loading parses JSON and copies bytes: classes are looked up in a registry
(:mod:`~ember.keras.saving.serialization_lib`), never imported by name, and nothing is unpickled.
"""
import datetime
import io
import json
import os
import zipfile

import numpy as np

from ...io import safetensors
from ...io.atomic import atomic_write
from . import serialization_lib

_CONFIG, _METADATA, _WEIGHTS = "config.json", "metadata.json", "model.weights.safetensors"


def _weight_names(model):
    """``(name, tensor)`` for each of ``model.weights``, named by the tensor's path in the model."""
    names = {}
    for name, p in model.named_parameters(remove_duplicate=True):
        names.setdefault(id(p), name)
    for name, b in model.named_buffers(remove_duplicate=True):
        names.setdefault(id(b), name)
    out = []
    for i, w in enumerate(model.weights):
        out.append((names.get(id(w), f"weight_{i}"), w))
    return out


def _weights_blob(model):
    pairs = _weight_names(model)
    tensors = {name: np.ascontiguousarray(w._data) for name, w in pairs}
    return safetensors.save(tensors, metadata={"format": "keras-ember",
                                               "order": json.dumps([name for name, _ in pairs])})


def _read_blob(blob):
    """The saved arrays, in the model's weight order when the file records it."""
    arrays = safetensors.load(blob)
    meta = safetensors.load_metadata(blob) or {}
    try:
        order = json.loads(meta.get("order", "null"))
    except json.JSONDecodeError:
        order = None
    if isinstance(order, list) and set(order) == set(arrays):
        arrays = {k: arrays[k] for k in order}
    return arrays


def save_model(model, filepath, overwrite=True, **kwargs):
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError("Invalid filepath extension for saving. Please add the `.keras` extension at the end of the "
                         f"filepath (e.g. `model.keras`). Received: filepath={filepath}")
    if os.path.exists(filepath) and not overwrite:
        raise FileExistsError(f"{filepath} already exists and overwrite=False")
    config = serialization_lib.serialize_keras_object(model)
    compile_config = model.get_compile_config() if getattr(model, "compiled", False) else None
    if compile_config is not None:
        config["compile_config"] = compile_config
    metadata = {"keras_version": "3", "format": "ember.keras", "date_saved": datetime.datetime.now().strftime(
        "%Y-%m-%d@%H:%M:%S")}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(_METADATA, json.dumps(metadata))
        z.writestr(_CONFIG, json.dumps(config))
        z.writestr(_WEIGHTS, _weights_blob(model))
    with atomic_write(filepath) as f:
        f.write(buffer.getvalue())


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"File format not supported: filepath={filepath}. ember.keras loads `.keras` files "
                         "(model.save('model.keras')).")
    if not zipfile.is_zipfile(filepath):
        raise ValueError(f"{filepath} is not a .keras archive (a zip file)")
    with zipfile.ZipFile(filepath) as z:
        names = set(z.namelist())
        for needed in (_CONFIG, _WEIGHTS):
            if needed not in names:
                raise ValueError(f"{filepath} is not a valid .keras file: it has no {needed}")
        try:
            config = json.loads(z.read(_CONFIG).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{filepath}: config.json is not valid JSON ({e})") from None
        blob = z.read(_WEIGHTS)
    compile_config = config.pop("compile_config", None) if isinstance(config, dict) else None
    model = serialization_lib.deserialize_keras_object(config, custom_objects, safe_mode=safe_mode)
    _assign(model, _read_blob(blob), filepath)
    if compile and compile_config:
        model.compile_from_config(compile_config)
    return model


def _assign(model, arrays, source, skip_mismatch=False):
    pairs = _weight_names(model)
    if not model.built and pairs == []:
        raise ValueError(f"{source}: the model is not built, so its weights cannot be loaded; call it on data or "
                         "build it first")
    if len(arrays) == len(pairs) and all(tuple(np.shape(a)) == tuple(w.shape) for a, (_, w) in
                                         zip(arrays.values(), pairs)):
        # Keras matches weights by the model's structure (layer order), not by the automatic names.
        arrays = {name: a for (name, _), a in zip(pairs, arrays.values())}
    missing = [name for name, _ in pairs if name not in arrays]
    if missing and not skip_mismatch:
        raise ValueError(f"{source}: no saved values for the weights {missing[:5]}{'...' if len(missing) > 5 else ''}"
                         f" (the file holds {sorted(arrays)[:5]}...)")
    for name, w in pairs:
        if name not in arrays:
            continue
        value = np.asarray(arrays[name])
        if tuple(value.shape) != tuple(w.shape):
            if skip_mismatch:
                continue
            raise ValueError(f"{source}: weight {name} has shape {tuple(value.shape)} in the file but "
                             f"{tuple(w.shape)} in the model")
        w._data[...] = value
        w._bump()


def save_weights(model, filepath, overwrite=True):
    filepath = os.fspath(filepath)
    if os.path.exists(filepath) and not overwrite:
        raise FileExistsError(f"{filepath} already exists and overwrite=False")
    with atomic_write(filepath) as f:
        f.write(_weights_blob(model))


def load_weights(model, filepath, skip_mismatch=False):
    filepath = os.fspath(filepath)
    if filepath.endswith(".keras"):
        with zipfile.ZipFile(filepath) as z:
            blob = z.read(_WEIGHTS)
    else:
        with open(filepath, "rb") as f:
            blob = f.read()
    arrays = _read_blob(blob)
    _assign(model, arrays, filepath, skip_mismatch)
