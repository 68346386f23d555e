"""The ``.keras`` file, as Keras 3 writes it: a zip archive holding

* ``config.json``: the model's serialized architecture (``serialize_keras_object``) plus its
  ``compile_config`` (optimizer, loss and metrics by name or config);
* ``metadata.json``: format and versions;
* ``model.weights.h5``: the weights in Keras's HDF5 layout, each under its structural path
  (``layers/dense_1/vars/0``, see :mod:`~ember.keras.saving.keras_h5`). Without h5py, ember
  writes ``model.weights.safetensors`` with the same paths as tensor names instead (ember
  reads it; Keras does not) and says so.

Files written by Keras 3 load: their layer configs are adapted
(:mod:`~ember.keras.saving.keras_config`) and their weights matched by path, never by position.
``save_weights("x.weights.h5")`` writes Keras's weights file; other names get safetensors.
Keras's legacy HDF5 files load too (``load_model("model.h5")``, ``load_weights("w.h5")``, see
:mod:`~ember.keras.saving.legacy_h5`).

Loading parses JSON and copies bytes: classes are looked up in a registry
(:mod:`~ember.keras.saving.serialization_lib`), never imported by name, nothing is unpickled,
and the archive's member sizes are checked against :data:`MAX_CONFIG_BYTES` and
:data:`MAX_WEIGHTS_BYTES` before anything is read. A malformed file raises ``ValueError``
naming the file.
"""
import datetime
import io
import json
import os
import warnings
import zipfile
import zlib

import numpy as np

from ...io import safetensors
from ...io.atomic import atomic_write
from . import keras_config, keras_h5, serialization_lib

_CONFIG, _METADATA, _WEIGHTS = "config.json", "metadata.json", "model.weights.safetensors"
_WEIGHTS_H5 = "model.weights.h5"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
MAX_CONFIG_BYTES = 64 << 20
MAX_WEIGHTS_BYTES = 1 << 34


def _path_weights(model):
    """``(Keras path, layer, weight name, tensor)`` for every weight, the path as in Keras's weights file
    (``layers/dense/vars/0``)."""
    out = []
    for path, layer, pairs in keras_h5.weight_paths(model):
        group = f"{path}/vars" if path else "vars"
        out += [(f"{group}/{i}", layer, name, w) for i, (name, w) in enumerate(pairs)]
    return out


def _weights_blob(model):
    tensors = {key: np.ascontiguousarray(w._data) for key, _, _, w in _path_weights(model)}
    return safetensors.save(tensors, metadata={"format": "keras-ember", "layout": "keras-paths"})


def _has_h5py():
    try:
        keras_h5.h5py_module()
    except ImportError:
        return False
    return True


def _h5_blob(model, include_optimizer=False):
    buffer = io.BytesIO()
    keras_h5.write(model, buffer, include_optimizer)
    return buffer.getvalue()


def save_model(model, filepath, overwrite=True, **kwargs):
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError("Invalid filepath extension for saving. Please add the `.keras` extension at the end of the "
                         f"filepath (e.g. `model.keras`). Received: filepath={filepath}")
    if os.path.exists(filepath) and not overwrite:
        raise FileExistsError(f"{filepath} already exists and overwrite=False")
    config = keras_config.export(serialization_lib.serialize_keras_object(model))
    compile_config = model.get_compile_config() if getattr(model, "compiled", False) else None
    if compile_config is not None:
        config["compile_config"] = compile_config
    metadata = {"keras_version": "3", "format": "ember.keras", "date_saved": datetime.datetime.now().strftime(
        "%Y-%m-%d@%H:%M:%S")}
    if _has_h5py():
        weights_name, blob = _WEIGHTS_H5, _h5_blob(model, include_optimizer=True)
    else:
        warnings.warn(f"{filepath}: h5py is not installed, so the weights are stored as safetensors, which ember "
                      "reads but Keras does not; pip install ember[h5] for Keras's format", stacklevel=3)
        weights_name, blob = _WEIGHTS, _weights_blob(model)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(_METADATA, json.dumps(metadata))
        z.writestr(_CONFIG, json.dumps(config))
        z.writestr(weights_name, blob)
        _write_assets(model, z)
    with atomic_write(filepath) as f:
        f.write(buffer.getvalue())


def _asset_layers(model):
    """``(Keras path, layer)`` for each layer (once) of ``model``, the root's path ``""``."""
    seen = set()
    for path, layer, _ in keras_h5.weight_paths(model):
        if id(layer) not in seen:
            seen.add(id(layer))
            yield path, layer


def _write_assets(model, z):
    """Keras's ``save_assets(dir)`` hook: each layer that has one writes files into a directory of its own,
    stored in the archive under ``assets/<layer path>/``."""
    import tempfile
    for path, layer in _asset_layers(model):
        if not callable(getattr(layer, "save_assets", None)):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            layer.save_assets(tmp)
            for root, _, files in sorted(os.walk(tmp)):
                for name in sorted(files):
                    full = os.path.join(root, name)
                    rel = os.path.relpath(full, tmp).replace(os.sep, "/")
                    z.write(full, "/".join(p for p in ("assets", path, rel) if p))


def _read_assets(model, z, source):
    """Keras's ``load_assets(dir)`` hook: the archive's ``assets/`` tree is unpacked (sizes and paths checked)
    and each layer that has the hook gets its own directory (``None`` when it saved nothing)."""
    import tempfile
    members = [i for i in z.infolist() if i.filename.startswith("assets/") and not i.is_dir()]
    layers = [(p, l) for p, l in _asset_layers(model) if callable(getattr(l, "load_assets", None))]
    if not members or not layers:
        return
    if sum(i.file_size for i in members) > MAX_WEIGHTS_BYTES:
        raise ValueError(f"{source}: the assets are above the limit of {MAX_WEIGHTS_BYTES} bytes uncompressed")
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.realpath(tmp)
        for info in members:
            target = os.path.realpath(os.path.join(root, info.filename))
            if not target.startswith(root + os.sep):
                raise ValueError(f"{source}: the asset {info.filename!r} escapes the assets directory")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(_read_member(z, info.filename, MAX_WEIGHTS_BYTES, source))
        for path, layer in layers:
            where = os.path.join(root, "assets", *path.split("/")) if path else os.path.join(root, "assets")
            layer.load_assets(where if os.path.isdir(where) else None)


def _read_member(z, name, limit, source):
    info = z.getinfo(name)
    if info.file_size > limit:
        raise ValueError(f"{source}: {name} is {info.file_size} bytes uncompressed, above the limit of {limit}")
    try:
        return z.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error) as e:
        raise ValueError(f"{source}: {name} is corrupted ({e})") from None


def _open_archive(filepath):
    try:
        return zipfile.ZipFile(filepath)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ValueError(f"{filepath} is not a .keras archive (a zip file): {e}") from None


def _read_weights_member(z, filepath):
    names = set(z.namelist())
    for name in (_WEIGHTS_H5, _WEIGHTS):
        if name in names:
            return name, _read_member(z, name, MAX_WEIGHTS_BYTES, filepath)
    raise ValueError(f"{filepath} is not a valid .keras file: it has no {_WEIGHTS_H5} (nor {_WEIGHTS})")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise ValueError(f"File not found: filepath={filepath}. Please ensure the file is an accessible `.keras` "
                         "zip file.")
    if filepath.endswith((".h5", ".hdf5")):
        from . import legacy_h5
        return legacy_h5.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    if not filepath.endswith(".keras"):
        raise ValueError(f"File format not supported: filepath={filepath}. ember.keras loads `.keras` files "
                         "(model.save('model.keras')) and legacy `.h5` model files.")
    if not zipfile.is_zipfile(filepath):
        raise ValueError(f"{filepath} is not a .keras archive (a zip file)")
    with _open_archive(filepath) as z:
        if _CONFIG not in z.namelist():
            raise ValueError(f"{filepath} is not a valid .keras file: it has no {_CONFIG}")
        raw = _read_member(z, _CONFIG, MAX_CONFIG_BYTES, filepath)
        try:
            config = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            raise ValueError(f"{filepath}: config.json is not valid JSON ({e})") from None
        weights_name, blob = _read_weights_member(z, filepath)
    if not isinstance(config, dict):
        raise ValueError(f"{filepath}: config.json should hold an object (the model's config), got "
                         f"{type(config).__name__}")
    compile_config = config.pop("compile_config", None)
    model = _deserialize(config, custom_objects, safe_mode, filepath)
    _assign_blob(model, weights_name, blob, filepath)
    with _open_archive(filepath) as z:
        _read_assets(model, z, filepath)
    if compile and compile_config:
        try:
            with serialization_lib.custom_object_scope(custom_objects):   # custom losses and metrics
                model.compile_from_config(compile_config)
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            warnings.warn(f"{filepath}: the model loaded but its compile settings could not be restored ({e}); "
                          "call model.compile() before training", stacklevel=3)
        else:
            # Keras's .keras files keep the optimizer's variables: training resumes where it stopped.
            if weights_name == _WEIGHTS_H5 or blob[:8] == _HDF5_MAGIC:
                keras_h5.read_optimizer(model, io.BytesIO(blob), filepath)
    return model


def _deserialize(config, custom_objects, safe_mode, source):
    """The model ``config`` describes; any problem with the config (a missing key, a value of the wrong type) is
    a ValueError naming the file, never an error from deep inside a layer's constructor."""
    try:
        keras_config.adapt(config, custom_objects)
        model = serialization_lib.deserialize_keras_object(config, custom_objects, safe_mode=safe_mode)
    except ValueError as e:
        if str(e).startswith(source):
            raise
        raise ValueError(f"{source}: {e}") from e
    except (KeyError, TypeError, AttributeError, IndexError, RecursionError, OverflowError) as e:
        raise ValueError(f"{source}: invalid model config ({type(e).__name__}: {e})") from e
    except MemoryError:
        raise ValueError(f"{source}: the model config asks for more memory than there is") from None
    from ..layers import Layer
    if not isinstance(model, Layer):
        raise ValueError(f"{source}: the config describes a {type(model).__name__}, not a model")
    return model


def _assign_blob(model, name, blob, source, skip_mismatch=False):
    if name == _WEIGHTS_H5 or blob[:8] == _HDF5_MAGIC:
        if name is None and _is_legacy_h5(blob):
            from . import legacy_h5
            h5py = keras_h5.h5py_module()
            with h5py.File(io.BytesIO(blob), "r") as f:
                legacy_h5.assign(model, f, source, skip_mismatch)
            return
        keras_h5.read(model, io.BytesIO(blob), source, skip_mismatch)
        return
    try:
        arrays = safetensors.load(blob)
    except safetensors.SafetensorsError as e:
        raise ValueError(f"{source}: the weights are not a valid safetensors file ({e})") from None
    _assign(model, arrays, source, skip_mismatch)


def _is_legacy_h5(blob):
    from . import legacy_h5
    h5py = keras_h5.h5py_module()
    try:
        with h5py.File(io.BytesIO(blob), "r") as f:
            return legacy_h5.is_legacy_weights(f)
    except (OSError, ValueError, OverflowError, RuntimeError, KeyError):
        return False  # not readable as the legacy layout: the Keras 3 reader reports what is wrong


def _assign(model, arrays, source, skip_mismatch=False):
    """Give each weight the array stored under its Keras path (files from ember before the paths: under its name
    in the model, ``dense.kernel``). Never by position."""
    entries = _path_weights(model)
    if not model.built and entries == []:
        raise ValueError(f"{source}: the model is not built, so its weights cannot be loaded; call it on data or "
                         "build it first")
    by_name = {}
    for name, p in model.named_parameters(remove_duplicate=True):
        by_name.setdefault(id(p), name)
    for name, b in model.named_buffers(remove_duplicate=True):
        by_name.setdefault(id(b), name)
    paths = [key for key, _, _, _ in entries]
    keys = paths if any(k in arrays for k in paths) or not arrays else \
        [by_name.get(id(w), key) for key, _, _, w in entries]
    missing = [k for k in keys if k not in arrays]
    unused = sorted(set(arrays) - set(keys))
    if (missing or unused) and not skip_mismatch:
        raise ValueError(f"{source}: the file's weights do not match the model's: no saved values for "
                         f"{missing[:5]}{'...' if len(missing) > 5 else ''}; saved but not in the model: "
                         f"{unused[:5]}{'...' if len(unused) > 5 else ''}")
    for key, (_, layer, name, w) in zip(keys, entries):
        if key not in arrays:
            continue
        value = np.asarray(arrays[key])
        if tuple(value.shape) != tuple(w.shape):
            if skip_mismatch:
                continue
            raise ValueError(f"{source}: layer '{layer.name}' ({type(layer).__name__}) weight '{name}' ({key}) has "
                             f"shape {tuple(w.shape)} in the model but {tuple(value.shape)} in the file")
        w._data[...] = value
        w._bump()


def save_weights(model, filepath, overwrite=True):
    """``filepath`` ending in ``.h5``: Keras's weights file (needs h5py); anything else: safetensors with the same
    Keras paths as tensor names."""
    filepath = os.fspath(filepath)
    if os.path.exists(filepath) and not overwrite:
        raise FileExistsError(f"{filepath} already exists and overwrite=False")
    blob = _h5_blob(model) if filepath.endswith(".h5") else _weights_blob(model)
    with atomic_write(filepath) as f:
        f.write(blob)


def load_weights(model, filepath, skip_mismatch=False):
    filepath = os.fspath(filepath)
    if filepath.endswith(".keras"):
        with _open_archive(filepath) as z:
            name, blob = _read_weights_member(z, filepath)
    else:
        size = os.path.getsize(filepath)
        if size > MAX_WEIGHTS_BYTES:
            raise ValueError(f"{filepath}: {size} bytes, above the limit of {MAX_WEIGHTS_BYTES}")
        with open(filepath, "rb") as f:
            blob = f.read()
        name = None
    _assign_blob(model, name, blob, filepath, skip_mismatch)
