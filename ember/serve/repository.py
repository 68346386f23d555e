"""A model repository: what ``ember serve PATH`` serves, found from a file, a directory or a registry URI.

* a model file (``.onnx``, ``.keras``, ``.h5``, ``.safetensors``): one model named after the file's
  stem (``mnist.onnx`` -> ``mnist``), version ``1``;
* a directory: each model file in it is a model as above, and each sub-directory ``NAME`` is a
  model laid out as in Triton, ``NAME/VERSION/model.onnx`` (any of the suffixes; ``VERSION`` a
  positive integer), or with the files directly in ``NAME/`` as version ``1``. Requests that give
  no version get the highest one;
* ``models:/NAME@ALIAS``, ``models:/NAME/VERSION`` or ``models:/NAME/latest``: the file the ember
  model registry (:func:`ember.registry.resolve_model_uri`, on the current tracking URI) resolves it
  to, its sha256 checked, served as ``NAME`` with the registry's version number.

The result maps each name to ``{version: ServedModel}``.

>>> import os, tempfile, ember
>>> from ember.vision.models import MnistMLP
>>> root = tempfile.mkdtemp()
>>> os.makedirs(os.path.join(root, "digits", "2"))
>>> ember.save(MnistMLP().state_dict(), os.path.join(root, "digits", "2", "model.safetensors"))
>>> {name: sorted(versions) for name, versions in load_repository(root).items()}
{'digits': ['2']}
"""
import os

from .loaders import SUFFIXES, load_model, model_name_of

__all__ = ["load_repository", "default_version"]


def default_version(versions):
    """The version served when a request names none: the highest number (or the last name)."""
    return max(versions, key=lambda v: (v.isdigit(), int(v) if v.isdigit() else 0, v))


def _model_files(directory):
    return sorted(f for f in os.listdir(directory) if f.endswith(SUFFIXES) and
                  os.path.isfile(os.path.join(directory, f)))


def _one_file(directory, where):
    files = _model_files(directory)
    if len(files) != 1:
        raise ValueError(f"ember serve: {where} should hold one model file ({', '.join(SUFFIXES)}), found "
                         f"{files or 'none'}")
    return os.path.join(directory, files[0])


def _from_registry(uri, model_name, tracking_uri, options):
    try:
        from ..registry import Client, RegistryError
    except ImportError as e:
        raise ImportError(f"ember serve {uri}: models:/ URIs need ember.registry ({e})") from None
    try:
        client = Client(tracking_uri)
        # Resolved first: it refuses a missing database instead of creating an empty one.
        path = client.resolve_model_uri(uri)
        found = client.get_model_version_by_uri(uri)
    except RegistryError as e:
        # The CLI reports ValueErrors as usage errors, with the registry's own message.
        raise ValueError(f"{uri}: {e}") from None
    name, version = model_name or found.name, str(found.version)
    return {name: {version: load_model(path, name, version, **options)}}


def load_repository(path, model_name=None, tracking_uri=None, **options):
    """Load every model under ``path`` (see the module docstring); ``options`` go to
    :func:`ember.serve.loaders.load_model` (``arch``, ``input_shape``, ``input_datatype``, ``onnx_backend``).

    Args:
        model_name (str, optional): the name to serve a single model file (or URI) under.
        tracking_uri (str, optional): the registry database of ``models:/`` URIs (default: the
            registry's current tracking URI, ``$EMBER_TRACKING_URI`` or ``sqlite:///ember-runs.db``).
    """
    path = os.fspath(path)
    if path.startswith("models:/"):
        return _from_registry(path, model_name, tracking_uri, options)
    if os.path.isfile(path):
        name = model_name or model_name_of(path)
        return {name: {"1": load_model(path, name, "1", **options)}}
    if not os.path.isdir(path):
        raise FileNotFoundError(f"ember serve: {path!r} is neither a model file, a directory nor a models:/ URI")
    if model_name:
        raise ValueError("ember serve: --model-name names a single model; a directory's models are named after "
                         "their files and folders")
    repo = {}
    for entry in sorted(os.listdir(path)):
        full = os.path.join(path, entry)
        if os.path.isfile(full) and entry.endswith(SUFFIXES):
            repo.setdefault(model_name_of(entry), {})["1"] = load_model(full, model_name_of(entry), "1", **options)
        elif os.path.isdir(full) and not entry.startswith("."):
            versions = sorted(v for v in os.listdir(full) if v.isdigit() and os.path.isdir(os.path.join(full, v)))
            if versions:
                repo[entry] = {str(int(v)): load_model(_one_file(os.path.join(full, v), f"{entry}/{v}/"), entry,
                                                       str(int(v)), **options) for v in versions}
            elif _model_files(full):
                repo[entry] = {"1": load_model(_one_file(full, f"{entry}/"), entry, "1", **options)}
    if not repo:
        raise ValueError(f"ember serve: {path!r} holds no models: expected files ending in {', '.join(SUFFIXES)} "
                         f"or folders NAME/VERSION/model.onnx")
    return repo
