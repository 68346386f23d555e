"""``keras.saving.KerasFileEditor``: inspect and edit the weights of a ``.keras`` or ``.weights.h5`` file, then
write them as a ``.weights.h5`` file, as Keras 3's editor does.

The file's weights become ``weights_dict``: nested dicts that follow the HDF5 groups, a layer's ``vars``
group folded into the layer's own entry (``{"layers": {"dense": {"0": kernel, "1": bias}}}``), values NumPy
arrays. ``rename_object`` / ``delete_object`` / ``add_object`` / ``add_weights`` / ``delete_weight`` edit
that tree, taking a full path (``"layers/dense"``) or a name that occurs once (``"dense"``); ``save(path)``
writes every entry that holds arrays as ``<path>/vars/<name>`` (what ``model.load_weights`` reads in ember
and in Keras); ``compare(model)`` lists the objects and weights the file and the model do not share and the
shapes that differ. The file is read without executing anything from it; links, external or virtual
datasets, ranks above 64 and datasets above 4 GiB are refused, as in Keras. Needs h5py.

>>> import numpy as np, os, tempfile
>>> from ember import keras
>>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
>>> path = os.path.join(tempfile.mkdtemp(), "m.weights.h5")
>>> model.save_weights(path)
>>> editor = keras.saving.KerasFileEditor(path)  # doctest: +ELLIPSIS
Keras model file '...m.weights.h5'
>>> sorted(editor.weights_dict["layers"]["dense"])
['0', '1']
"""
import collections
import json
import math
import os
import zipfile

import numpy as np

from .keras_h5 import h5py_module, weight_paths

MAX_BYTES = 1 << 32


class KerasFileEditor:
    """Open ``filepath`` (``.keras`` or ``.weights.h5``) for inspection and editing."""

    def __init__(self, filepath):
        h5py = h5py_module()
        self.filepath = filepath
        self.metadata = None
        self.config = None
        self.model = None
        filepath = str(filepath)
        if filepath.endswith(".keras"):
            with zipfile.ZipFile(filepath, "r") as zf:
                self.config = json.loads(zf.read("config.json"))
                self.metadata = json.loads(zf.read("metadata.json"))
                with zf.open("model.weights.h5", "r") as raw, h5py.File(raw, "r") as f:
                    self.weights_dict, self.object_metadata = _extract(h5py, f)
        elif filepath.endswith(".weights.h5"):
            with h5py.File(filepath, "r") as f:
                self.weights_dict, self.object_metadata = _extract(h5py, f)
        else:
            raise ValueError("Invalid filename: expected a `.keras` `.weights.h5` extension. Received: "
                             f"filepath={filepath}")
        print(f"Keras model file '{self.filepath}'")
        if self.metadata is not None:
            print(f"Saved with Keras {self.metadata.get('keras_version')} - date: {self.metadata.get('date_saved')}")

    # -- looking -------------------------------------------------------------------------------
    def summary(self):
        """Print the tree of objects and weights (``name: shape=..., dtype=...``)."""
        print("Weights structure")
        self._print_tree(self.weights_dict, prefix="  ", inner_path="", first=True)

    def _print_tree(self, tree, prefix, inner_path, first):
        for i, (key, value) in enumerate(tree.items()):
            path = os.path.join(inner_path, key)
            last = i == len(tree) - 1
            connector = "> " if first else ("└─ " if last else "├─ ")
            first = False
            if isinstance(value, dict):
                name = self.object_metadata.get(path, {}).get("name")
                print(f"{prefix}{connector}{key}" + (f" ('{name}')" if name is not None else ""))
                self._print_tree(value, prefix + ("    " if last else "│   "), path, first)
            else:
                print(f"{prefix}{connector}{key}: shape={value.shape}, dtype={value.dtype}")

    def compare(self, reference_model):
        """Compare the file with ``reference_model``'s weights; print every object or weight present on only
        one side and every shape that differs. Returns ``{'status': 'success' | 'error', 'error_count',
        'match_count'}``."""
        print("Running comparison")
        ref = model_weight_spec(reference_model)
        checked = set()
        errors, matches = _compare(self.weights_dict, ref, "", "saved file", "reference model", checked)
        back, _ = _compare(ref, self.weights_dict, "", "reference model", "saved file", checked)
        errors += back
        print("─────────────────────")
        if errors == 0:
            print("Comparison successful: saved file is compatible with the reference model")
            print(f"    Found {matches} matching weight{'' if matches == 1 else 's'}")
        else:
            print(f"Found {errors} error{'' if errors == 1 else 's'}: saved file is not compatible with the "
                  "reference model")
        return {"status": "success" if errors == 0 else "error", "error_count": errors, "match_count": matches}

    # -- editing -------------------------------------------------------------------------------
    def _edit_object(self, edit, source_name, target_name=None):
        if target_name is not None and "/" in target_name:
            raise ValueError("Argument `target_name` should be a leaf name, not a full path name. Received: "
                             f"target_name='{target_name}'")
        if "/" in source_name:
            parts = source_name.split("/")
            tree = self.weights_dict
            for part in parts[:-1]:
                if part not in tree:
                    raise ValueError(f"Path '{source_name}' not found in model.")
                tree = tree[part]
            if parts[-1] not in tree:
                raise ValueError(f"Path '{source_name}' not found in model.")
            edit(tree, parts[-1], target_name)
            return
        occurrences = _count(self.weights_dict, source_name)
        if occurrences > 1:
            raise ValueError(f"Name '{source_name}' occurs more than once in the model; try passing a complete path")
        if occurrences == 0:
            raise ValueError(f"Source name '{source_name}' does not appear in the model. Use "
                             "`editor.weights_summary()` to list all objects.")

        def walk(tree):
            for key in list(tree):
                if isinstance(tree.get(key), dict):
                    walk(tree[key])
            if source_name in tree:
                edit(tree, source_name, target_name)
        walk(self.weights_dict)

    def rename_object(self, object_name, new_name):
        """Rename the object ``object_name`` (a name or a path such as ``'layers/dense_2'``) to ``new_name``."""
        def rename(tree, source, target):
            tree[target] = tree.pop(source)
        self._edit_object(rename, object_name, new_name)

    def delete_object(self, object_name):
        """Remove the object ``object_name`` (a name or a path) and all its weights."""
        self._edit_object(lambda tree, source, target: tree.pop(source), object_name)

    def add_object(self, object_path, weights):
        """Add the object ``object_path`` (its parent must exist) with ``weights`` (``{'0': array, ...}``)."""
        _check_weights(weights)
        if "/" in object_path:
            parts = object_path.split("/")
            tree = self.weights_dict
            for part in parts[:-1]:
                if part not in tree:
                    raise ValueError(f"Path '{'/'.join(parts[:-1])}' not found in model.")
                tree = tree[part]
            tree[parts[-1]] = weights
        else:
            self.weights_dict[object_path] = weights

    def delete_weight(self, object_name, weight_name):
        """Remove the weight ``weight_name`` (``'0'``...) of the object ``object_name``."""
        def delete(tree, source, target):
            if weight_name not in tree[source]:
                raise ValueError(f"Weight {weight_name} not found in object {object_name}. Weights found: "
                                 f"{list(tree[source].keys())}")
            tree[source].pop(weight_name)
        self._edit_object(delete, object_name)

    def add_weights(self, object_name, weights):
        """Add (or replace) the weights ``{'name': array}`` of the existing object ``object_name``."""
        _check_weights(weights)
        self._edit_object(lambda tree, source, target: tree[source].update(weights), object_name)

    # -- writing -------------------------------------------------------------------------------
    def save(self, filepath):
        """Write the edited weights to ``filepath`` (a ``.weights.h5`` file)."""
        filepath = str(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError(f"Invalid `filepath` argument: expected a `.weights.h5` extension. Received: "
                             f"filepath={filepath}")
        h5py = h5py_module()
        with h5py.File(filepath, "w") as f:
            _write(f, self.weights_dict, "")

    def resave_weights(self, filepath):
        self.save(filepath)


def _check_weights(weights):
    if not isinstance(weights, dict):
        raise ValueError("Argument `weights` should be a dict where keys are weight names (usually '0', '1', etc.) "
                         f"and values are NumPy arrays. Received: type(weights)={type(weights)}")


def _count(tree, name, count=0):
    # Keras's count, kept as it is (it passes the running count into the recursion) so that the same
    # names are refused as ambiguous.
    for key in tree:
        if isinstance(tree[key], dict):
            count += _count(tree[key], name, count)
    if name in tree:
        count += 1
    return count


def _write(f, tree, inner_path):
    arrays = {}
    for name, value in tree.items():
        if isinstance(value, dict):
            if value:
                _write(f, value, os.path.join(inner_path, name))
        else:
            arrays[name] = value
    if arrays:
        group = f.create_group(f"{inner_path}/vars" if inner_path else "vars")
        for name, value in arrays.items():
            group[name] = np.asarray(value._data if hasattr(value, "_data") else value)


def _extract(h5py, group, metadata=None, inner_path=""):
    """``(tree, {path: attrs})`` of an HDF5 group, a ``vars`` sub-group read in its parent's place."""
    metadata = metadata if metadata is not None else {}
    attrs = dict(group.attrs.items())
    if attrs:
        metadata[inner_path] = attrs
    tree = collections.OrderedDict()
    for key in group.keys():
        path = f"{inner_path}/{key}"
        link = group.get(key, default=None, getclass=True, getlink=True)
        if link in (h5py.ExternalLink, h5py.SoftLink):
            raise ValueError(f"Not allowed: H5 file with {link.__name__}")
        value = group[key]
        if isinstance(value, h5py.Group):
            if len(value) == 0:
                continue
            if "vars" in value.keys():
                inner = value["vars"]
                if not isinstance(inner, h5py.Group) or len(inner) == 0:
                    continue
                tree[key], metadata = _extract(h5py, inner, metadata, path)
            else:
                tree[key], metadata = _extract(h5py, value, metadata, path)
            continue
        if not isinstance(value, h5py.Dataset):
            continue
        if value.external:
            raise ValueError(f"Not allowed: H5 file Dataset with external links: {value.external}")
        if value.is_virtual:
            raise ValueError(f"Not allowed: H5 file with virtual Dataset at {path}")
        shape = value.shape or ()
        if any(d < 0 for d in shape):
            raise ValueError("Malformed HDF5 dataset shape encountered in .keras file; negative dimension detected.")
        if len(shape) > 64:
            raise ValueError("Malformed HDF5 dataset shape encountered in .keras file; tensor rank exceeds safety "
                             "limit.")
        size = math.prod(shape) * value.dtype.itemsize
        if size > MAX_BYTES:
            raise ValueError(f"HDF5 dataset too large to load safely ({size} bytes; limit is {MAX_BYTES}).")
        tree[key] = value[()]
    return tree, metadata


def model_weight_spec(model):
    """The model's weights as the file would hold them: ``{'layers': {'dense': {'0': (shape, dtype)}}}``
    (leaves are ``np.empty`` of size 0 with ``shape`` and ``dtype`` attributes)."""
    spec = collections.OrderedDict()
    for path, _, pairs in weight_paths(model):
        if not pairs:
            continue
        node = spec
        for part in [p for p in path.split("/") if p]:
            node = node.setdefault(part, collections.OrderedDict())
        for i, (_, w) in enumerate(pairs):
            node[str(i)] = _Spec(tuple(w.shape), np.dtype(w._data.dtype))
    optimizer = getattr(model, "optimizer", None)
    if getattr(optimizer, "built", False) and hasattr(optimizer, "variables"):
        spec["optimizer"] = collections.OrderedDict(
            (str(i), _Spec(tuple(v.shape), np.dtype(v._data.dtype))) for i, v in enumerate(optimizer.variables))
    return spec


class _Spec:
    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype


def _compare(target, ref, inner_path, target_name, ref_name, checked, errors=0, matches=0):
    """Keras's comparison of two weight trees: ``(errors, matches)`` walking ``ref``. As in Keras, the counts
    so far go into the recursion and its result is added to them (a sub-object's counts include the ones
    before it), so that the totals are the numbers Keras reports."""
    for key, value in ref.items():
        path = f"{inner_path}/{key}"
        if path in checked:
            continue
        if key not in target:
            errors += 1
            checked.add(path)
            if isinstance(value, dict):
                print(f"...Object {path} present in {ref_name}, missing from {target_name}")
                print(f"    In {ref_name}, {path} contains the following keys: {list(value.keys())}")
            else:
                print(f"...Weight {path} present in {ref_name}, missing from {target_name}")
        elif isinstance(value, dict):
            e, m = _compare(target[key], value, path, target_name, ref_name, checked, errors, matches)
            errors, matches = errors + e, matches + m
        elif tuple(target[key].shape) != tuple(value.shape):
            errors += 1
            checked.add(path)
            print(f"...Weight shape mismatch for {path}\n    In {ref_name}: shape={tuple(value.shape)}\n"
                  f"    In {target_name}: shape={tuple(target[key].shape)}")
        else:
            matches += 1
    return errors, matches
