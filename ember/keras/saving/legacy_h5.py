"""Keras's legacy HDF5 model file (``model.save("model.h5")``, Keras 2 and Keras 3's legacy writer), loaded.

The file's root attribute ``model_config`` is the model's JSON config; the group ``model_weights``
lists its layers in the attribute ``layer_names`` and holds one group per layer, named by the
layer, whose attribute ``weight_names`` lists that layer's weights (trainable ones first, as
Keras's ``layer.weights``) as dataset paths inside the group. A legacy weights file
(``save_weights("w.h5")`` in Keras 2) has the same layer groups at its root.

Weights are matched to the rebuilt model's layers by layer name, the count and each shape
checked before anything is read; any difference raises ``ValueError`` naming the layer and
both shapes. Saving in this format is not offered (Keras 3 calls it legacy; use ``.keras``).

Limitation: the config is an HDF5 variable-length string, read by the HDF5 C library; a file
whose global heap is corrupted can make that read hang (found by the fuzz test: one input in
about 500), and ember cannot bound it from Python. Load legacy files only from sources you
trust, or convert them once to ``.keras``.
"""
import json

import numpy as np

from . import keras_config, keras_h5, serialization_lib

MAX_CONFIG_BYTES = 64 << 20


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.size == 0:
        return []  # Keras writes an empty float64 array for a layer without weights
    if isinstance(value, np.ndarray) and value.dtype.kind in "OSU":
        return [_text(v) for v in value.tolist()]
    return value


def is_legacy_weights(h5file):
    """Whether the open HDF5 file is in the legacy layout (layer groups listed in ``layer_names``)."""
    root = h5file["model_weights"] if "model_weights" in h5file else h5file
    return "layer_names" in root.attrs


def _layer_weights(layer):
    """A layer's weights in Keras's legacy order: trainable ones, then the others."""
    weights = list(layer.weights)
    trainable = [getattr(w, "trainable", getattr(w, "requires_grad", True)) for w in weights]
    return [w for w, t in zip(weights, trainable) if t] + [w for w, t in zip(weights, trainable) if not t]


def _layers(model):
    from ..models import Model
    out = {}
    for layer in model.layers:
        out.setdefault(layer.name, layer)
    return out if isinstance(model, Model) else {model.name: model}


def assign(model, h5file, source, skip_mismatch=False):
    """Give ``model``'s layers the weights of the legacy layout in the open ``h5file``, by layer name."""
    h5py = keras_h5.h5py_module()
    root = h5file["model_weights"] if "model_weights" in h5file else h5file
    names = _text(root.attrs.get("layer_names"))
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{source}: the legacy weights have no valid 'layer_names' attribute")
    layers = _layers(model)
    plan = []
    for name in names:
        group = root.get(name)
        if not isinstance(group, h5py.Group):
            raise ValueError(f"{source}: layer_names lists '{name}' but there is no such group")
        weight_names = _text(group.attrs.get("weight_names", []))
        if not isinstance(weight_names, list) or not all(isinstance(n, str) for n in weight_names):
            raise ValueError(f"{source}: layer '{name}' has no valid 'weight_names' attribute")
        layer = layers.get(name)
        if layer is None:
            if weight_names and not skip_mismatch:
                raise ValueError(f"{source}: the file holds weights for a layer '{name}' that the model does not "
                                 f"have (its layers: {sorted(layers)[:10]})")
            continue
        targets = _layer_weights(layer)
        if len(targets) != len(weight_names):
            if skip_mismatch:
                continue
            raise ValueError(f"{source}: layer '{name}' ({type(layer).__name__}) has {len(targets)} weights but the "
                             f"file holds {len(weight_names)} ({weight_names})")
        for w, wname in zip(targets, weight_names):
            ds = group.get(wname)
            if ds is None:
                raise ValueError(f"{source}: layer '{name}' lists the weight '{wname}' but the file has no such "
                                 "dataset")
            if keras_h5.checked(h5py, ds, w, f"layer '{name}' ({type(layer).__name__}) weight '{wname}'",
                                f"{name}/{wname}", source, skip_mismatch):
                plan.append((w, ds))
    missing = [n for n, layer in layers.items() if n not in names and layer.weights]
    if missing and not skip_mismatch:
        raise ValueError(f"{source}: no weights in the file for the layers {missing[:5]}")
    values = [(w, np.asarray(ds[()])) for w, ds in plan]
    for w, value in values:
        w._data[...] = value
        w._bump()


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """The model saved in the legacy HDF5 file ``filepath``, with its weights."""
    h5py = keras_h5.h5py_module()
    try:
        f = h5py.File(filepath, "r")
    except (OSError, ValueError, OverflowError, RuntimeError) as e:
        raise ValueError(f"{filepath}: not an HDF5 model file ({e})") from None
    try:
        with f:
            raw = _text(f.attrs.get("model_config"))
            if not isinstance(raw, str):
                raise ValueError(f"{filepath}: no model config in this HDF5 file (a weights-only file? use "
                                 "model.load_weights)")
            if len(raw) > MAX_CONFIG_BYTES:
                raise ValueError(f"{filepath}: the model config is {len(raw)} bytes, above {MAX_CONFIG_BYTES}")
            try:
                config = json.loads(raw)
            except (json.JSONDecodeError, RecursionError) as e:
                raise ValueError(f"{filepath}: the model config is not valid JSON ({e})") from None
            if not isinstance(config, dict):
                raise ValueError(f"{filepath}: the model config should be an object")
            try:
                keras_config.adapt(config, custom_objects)
                model = serialization_lib.deserialize_keras_object(config, custom_objects, safe_mode=safe_mode)
            except (KeyError, TypeError, AttributeError, IndexError) as e:
                raise ValueError(f"{filepath}: invalid model config ({type(e).__name__}: {e})") from e
            assign(model, f, filepath)
    except ValueError as e:
        if str(e).startswith(filepath):
            raise
        raise ValueError(f"{filepath}: {e}") from e
    except (OSError, RuntimeError, KeyError, TypeError, OverflowError) as e:
        raise ValueError(f"{filepath}: the HDF5 file is damaged ({type(e).__name__}: {e})") from None
    return model
