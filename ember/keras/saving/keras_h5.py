"""Keras 3's weights file (``model.weights.h5``, also inside a ``.keras`` archive), read and written by path.

Keras stores each layer's variables under a path built from the model's structure, not from the
layers' names (which are generated and differ between two builds of one model):

* a model's layers are the container ``layers``; each is named by its snake-cased class,
  numbered within the container in layer order (``layers/dense``, ``layers/dense_1``,
  ``layers/conv2d``); a nested model continues with its own ``layers``;
* a sub-layer is named by its attribute (``layers/lstm/cell``,
  ``layers/bidirectional/forward_layer/cell``, ``layers/multi_head_attention/query_dense``);
* the variables of one layer are the datasets ``<path>/vars/0``, ``1``... in Keras's order
  (trainable weights then non-trainable ones, each in creation order), and ``<path>/vars``
  carries the layer's name as the attribute ``name``.

Loading matches every weight of the model to its path and checks the count and the shapes
against the file's headers before reading any data; any difference (and any weight in the file
the model has no place for, the optimizer's aside) raises ``ValueError`` naming the layer, the
path and both shapes. Nothing is matched by position across layers. h5py is an
optional dependency (``pip install ember[h5]``).
"""
import numpy as np

from ..backend import to_snake_case

MAX_WEIGHT_BYTES = 1 << 34


def h5py_module():
    try:
        import h5py
    except ImportError:
        raise ImportError("Reading or writing Keras .weights.h5 / .keras weights needs h5py: "
                          "pip install ember[h5]") from None
    return h5py


# Attribute names Keras gives the sub-layers that ember folds into one layer (prefix of ember's weight name).
_FOLDED = {"MultiHeadAttention": (("query_", "query_dense"), ("key_", "key_dense"), ("value_", "value_dense"),
                                  ("output_", "output_dense"))}


def _own_weights(layer):
    """The weights a layer holds itself, in Keras's order: ``[(weight name, tensor)]``."""
    from ..layers import Layer
    pairs = []
    if isinstance(layer, Layer) and (getattr(layer, "quantization_mode", None) is not None
                                     or getattr(layer, "lora_enabled", False)):
        # Keras's order for a quantized layer (kernel, bias, kernel_scale...); LoRA's A and B are not saved
        return layer._serialized_weights()
    if isinstance(layer, Layer):
        names = {id(getattr(layer, a)): a for a, _, _ in layer._own_weights}
        pairs = [(names[id(w)], w) for w in layer._own(True) + layer._own(False)]
        keep = getattr(type(layer), "_keras_saved_weights", None)
        if keep is not None:   # Keras's Dense, Conv and Embedding save these alone (not a subclass's extra variables)
            pairs = [(n, w) for n, w in pairs if n in keep]
        for attr, child in layer._modules.items():
            if child is not None and not isinstance(child, Layer):
                pairs += [(f"{attr}.{n}", p) for n, p in child.named_parameters()]
    return pairs


def saved_array(layer, name, w):
    """The array the file holds for weight ``w`` of ``layer``: a LoRA layer saves its kernel with the low-rank
    delta merged in (Keras's save_own_variables)."""
    return layer._saved_array(name, w) if hasattr(layer, "_saved_array") else w._data


def overrides(layer, hook):
    """Whether ``layer``'s class defines Keras's saving ``hook`` (``save_own_variables``, ``load_own_variables``)
    itself rather than inheriting Layer's."""
    from ..layers import Layer
    return isinstance(layer, Layer) and getattr(type(layer), hook) is not getattr(Layer, hook)


def path_of_layer(layer, path, pairs):
    """Whether ``(path, layer, pairs)`` is the layer's own entry (a folded layer has sub-entries as well)."""
    return not _FOLDED.get(type(layer).__name__) or not any(path.endswith("/" + a) for _, a in
                                                             _FOLDED[type(layer).__name__])


def _unique(name, used):
    n = used.get(name, 0)
    used[name] = n + 1
    return name if n == 0 else f"{name}_{n}"


def _entries(layer, path, seen, out):
    """Append ``(h5 path, layer, [(weight name, tensor)])`` for ``layer`` and its sub-layers."""
    from ..layers import Layer
    from ..models import Functional, Sequential
    if id(layer) in seen:
        return
    seen.add(id(layer))
    own = _own_weights(layer)
    folded = _FOLDED.get(type(layer).__name__)
    if folded:
        for prefix, attr in folded:
            part = [(n, w) for n, w in own if n.startswith(prefix)]
            out.append((f"{path}/{attr}", layer, part))
            own = [(n, w) for n, w in own if not n.startswith(prefix)]
    out.append((path, layer, own))
    if isinstance(layer, (Functional, Sequential)):
        used = {}
        for child in layer.layers:
            _entries(child, f"{path}/layers/{_unique(to_snake_case(type(child).__name__), used)}".lstrip("/"),
                     seen, out)
        return
    # A subclassed model or layer: its sub-layers by attribute name, private ones last (Keras's _walk_saveable).
    children = sorted(layer._modules.items(), key=lambda kv: "~" + kv[0] if kv[0].startswith("_") else kv[0]) \
        if isinstance(layer, Layer) else ()
    used = {}
    for attr, child in children:
        if not isinstance(child, Layer):
            continue
        if "." in attr:   # held in a list or dict attribute: Keras names it by class ("experts/sequential_1")
            group = attr.split(".", 1)[0]
            name = _unique(to_snake_case(type(child).__name__), used.setdefault(group, {}))
            _entries(child, f"{path}/{group}/{name}".lstrip("/"), seen, out)
        else:
            _entries(child, f"{path}/{attr}".lstrip("/"), seen, out)   # a root layer's children: "attr"


def weight_paths(model):
    """``[(h5 group path, layer, [(weight name, tensor)])]`` for every layer of ``model`` (the model's own
    weights under ``""``), in Keras's order."""
    out = []
    _entries(model, "", set(), out)
    return out


def _built_optimizer(model):
    optimizer = getattr(model, "optimizer", None)
    return optimizer if getattr(optimizer, "built", False) and hasattr(optimizer, "variables") else None


def write(model, fileobj, include_optimizer=False):
    """Write ``model``'s weights to ``fileobj`` (a path or binary file) in Keras's layout; with
    ``include_optimizer`` (a whole-model ``.keras`` save) also a built optimizer's variables under
    ``optimizer/vars`` (``iterations``, the learning rate unless scheduled, then each variable's slots)."""
    h5py = h5py_module()
    with h5py.File(fileobj, "w") as f:
        for path, layer, pairs in weight_paths(model):
            custom = None
            if overrides(layer, "save_own_variables") and path_of_layer(layer, path, pairs):
                custom = {}
                layer.save_own_variables(custom)
            if not (pairs or custom):
                continue
            group = f.require_group(f"{path}/vars" if path else "vars")
            group.attrs["name"] = layer.name
            if custom:
                for key, value in custom.items():
                    value = value._data if hasattr(value, "_data") else value
                    group.create_dataset(str(key), data=np.array(value, order="C"))
                continue
            for i, (name, w) in enumerate(pairs):
                group.create_dataset(str(i), data=np.array(saved_array(layer, name, w), order="C"))   # 0-d stays 0-d
        optimizer = _built_optimizer(model) if include_optimizer else None
        path = "optimizer"
        while optimizer is not None:
            group = f.require_group(f"{path}/vars")
            group.attrs["name"] = optimizer.name
            for i, v in enumerate(optimizer.variables):
                # np.array, not ascontiguousarray: that makes 0-d iterations/learning rate 1-d.
                group.create_dataset(str(i), data=np.array(v._data, order="C"))
            # Keras also writes a LossScaleOptimizer's inner optimizer on its own (its variables are in both)
            optimizer = getattr(optimizer, "inner_optimizer", None)
            path += "/inner_optimizer"


def read_optimizer(model, fileobj, source):
    """Restore the optimizer variables stored under ``optimizer/vars`` (a ``.keras`` file from Keras or ember)
    into ``model.optimizer``, building it on the model's trainable weights first; Keras's order is
    ``iterations``, the learning rate (unless scheduled), then each variable's slots. Returns whether it did;
    a file without optimizer variables, or a compiled optimizer of another layout, is left alone with a
    warning for the latter (as Keras skips it)."""
    h5py = h5py_module()
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "variables"):
        return False
    with h5py.File(fileobj, "r") as f:
        group = f.get("optimizer/vars")
        if not isinstance(group, h5py.Group) or not len(group):
            return False
        stored = [np.asarray(group[k][()]) for k in sorted(group.keys(), key=lambda k: (len(k), k))]
    if not optimizer.built:
        weights = list(model.trainable_weights)
        if not weights:
            return False
        optimizer.build(weights)
    current = optimizer.variables
    if len(current) != len(stored) or any(tuple(c.shape) != a.shape for c, a in zip(current[2:], stored[2:])):
        import warnings
        warnings.warn(f"{source}: skipping the optimizer's saved state: the file holds {len(stored)} variables, "
                      f"{type(optimizer).__name__} here has {len(current)} (a different optimizer or model?)",
                      stacklevel=3)
        return False
    _assign_optimizer_values(optimizer, stored, current)
    return True


def _assign_optimizer_values(optimizer, stored, current):
    from ..optimizers import LossScaleOptimizer, schedules
    if isinstance(optimizer, LossScaleOptimizer):
        # its own iteration and (unused) learning rate, step_counter, dynamic_scale, then the inner optimizer's
        optimizer._own_iterations._data[...] = stored[0]
        optimizer.step_counter.assign(stored[2])
        optimizer.dynamic_scale.assign(stored[3])
        return _assign_optimizer_values(optimizer.inner_optimizer, stored[4:], current[4:])
    optimizer.iterations = int(stored[0])
    rest = stored[1:]
    if not isinstance(optimizer._learning_rate, schedules.LearningRateSchedule):
        # Stored as float32: keep the compiled value when it rounds to the same (0.01 stays 0.01).
        if np.float32(optimizer._current_lr()) != np.float32(rest[0]):
            optimizer.learning_rate = float(rest[0])
        rest = rest[1:]
    for v, value in zip(current[len(current) - len(rest):], rest):
        v._data[...] = value
        v._bump()


def _describe(layer, path):
    return f"layer '{layer.name}' ({type(layer).__name__}, path {path or '/'})"


def read(model, fileobj, source, skip_mismatch=False):
    """Assign the weights stored in the Keras weights file ``fileobj`` to ``model``, by path."""
    h5py = h5py_module()
    try:
        f = h5py.File(fileobj, "r")
    except (OSError, ValueError, OverflowError, RuntimeError) as e:  # h5py's errors for a damaged file
        raise ValueError(f"{source}: not a Keras weights file (HDF5): {e}") from None
    try:
        with f:
            values = _read_checked(h5py, f, model, source, skip_mismatch)
    except ValueError as e:
        if str(e).startswith(source):
            raise
        raise ValueError(f"{source}: the weights file is damaged ({e})") from None
    except (OSError, RuntimeError, KeyError, TypeError, AttributeError, OverflowError, IndexError) as e:
        # a damaged HDF5 structure surfaces from h5py as any of these
        raise ValueError(f"{source}: the weights file is damaged ({type(e).__name__}: {e})") from None
    for item in values:
        if callable(item[0]):
            item[0](item[1])     # a layer's own load_own_variables(store)
            continue
        w, value = item
        w._data[...] = value
        w._bump()
    for _, layer, _ in weight_paths(model):
        if hasattr(layer, "_after_weights_loaded"):
            layer._after_weights_loaded()


def checked(h5py, ds, w, who, where, source, skip_mismatch):
    """Whether dataset ``ds`` (at ``where``) can be read into tensor ``w``: False for a shape mismatch that
    ``skip_mismatch`` lets pass; ValueError naming ``who`` and both shapes otherwise. Only headers are read."""
    if not isinstance(ds, h5py.Dataset):
        raise ValueError(f"{source}: {who}: {where} should be a dataset")
    shape = tuple(int(d) for d in ds.shape) if ds.shape is not None else None
    if shape != tuple(w.shape):
        if skip_mismatch:
            return False
        raise ValueError(f"{source}: {who} has shape {tuple(w.shape)} in the model but {shape} in the file "
                         f"({where})")
    if ds.dtype.kind not in "fiub" or ds.size * ds.dtype.itemsize > MAX_WEIGHT_BYTES:
        raise ValueError(f"{source}: {where} has dtype {ds.dtype} and {ds.size} elements; expected a numeric "
                         f"array of at most {MAX_WEIGHT_BYTES} bytes")
    return True


def _read_checked(h5py, f, model, source, skip_mismatch):
    """``[(tensor, array)]`` for the whole model, every count and shape checked before any data is read."""
    plan, custom = [], []
    for path, layer, pairs in weight_paths(model):
        key = f"{path}/vars" if path else "vars"
        try:
            group = f[key] if key in f else None
        except (KeyError, ValueError, OSError) as e:
            raise ValueError(f"{source}: cannot read {key} ({e})") from None
        if group is not None and not isinstance(group, h5py.Group):
            raise ValueError(f"{source}: {key} should be a group of datasets, found a {type(group).__name__}")
        stored = sorted(group.keys(), key=lambda k: (len(k), k)) if group is not None else []
        if overrides(layer, "load_own_variables") and path_of_layer(layer, path, pairs):
            # The layer reads its own state (Keras's hook): it gets every dataset of its group, by key.
            for k in stored:
                if not isinstance(group[k], h5py.Dataset):
                    raise ValueError(f"{source}: {key}/{k} should be a dataset")
            custom.append((layer.load_own_variables, key, stored))
            continue
        if len(stored) != len(pairs):
            if skip_mismatch:
                continue
            raise ValueError(f"{source}: {_describe(layer, path)} has {len(pairs)} weights "
                             f"({[n for n, _ in pairs]}) but the file holds {len(stored)} at {key}")
        if stored != [str(i) for i in range(len(pairs))]:
            raise ValueError(f"{source}: {key} should hold the datasets 0..{len(pairs) - 1}, found {stored}")
        for i, (name, w) in enumerate(pairs):
            ds = group[str(i)]
            if checked(h5py, ds, w, f"{_describe(layer, path)} weight '{name}'", f"{key}/{i}", source,
                       skip_mismatch):
                plan.append((w, ds, f"{key}/{i}"))
    used = {where for _, _, where in plan} | {f"{key}/{k}" for _, key, stored in custom for k in stored}
    extra = []
    f.visititems(lambda name, obj: extra.append(name) if isinstance(obj, h5py.Dataset) and name not in used
                 and not name.startswith("optimizer/") and len(extra) < 5 else None)
    if extra and not skip_mismatch:
        raise ValueError(f"{source}: the file holds weights the model has no place for: {extra} (a different "
                         "architecture?)")
    values = []
    for w, ds, where in plan:
        try:
            values.append((w, np.asarray(ds[()])))
        except (OSError, ValueError, TypeError) as e:
            raise ValueError(f"{source}: cannot read {where} ({e})") from None
    for load, key, stored in custom:
        store = {}
        for k in stored:
            ds = f[f"{key}/{k}"]
            if ds.dtype.kind not in "fiub" or ds.size * ds.dtype.itemsize > MAX_WEIGHT_BYTES:
                raise ValueError(f"{source}: {key}/{k} has dtype {ds.dtype} and {ds.size} elements; expected a "
                                 f"numeric array of at most {MAX_WEIGHT_BYTES} bytes")
            store[k] = np.asarray(ds[()])
        values.append((load, store))
    return values
