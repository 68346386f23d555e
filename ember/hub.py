"""``ember.hub``: PyTorch Hub's entry points over ember's checkpoints.

* ``load_state_dict_from_url(url)`` returns the checkpoint cached under
  ``get_dir()/checkpoints`` (named after the URL's file name) and downloads it first when it is
  missing: a safetensors file, or a PyTorch ``.pth``/``.pt`` state dict, read without unpickling
  (:mod:`ember.io.torch_pickle`).
* ``download_url_to_file(url, dst, hash_prefix)`` downloads atomically and checks the SHA-256
  prefix.
* ``load(repo_or_dir, model, source="local")`` imports ``hubconf.py`` from a local directory
  and calls the entry point; ``source="github"`` uses the cached copy under ``get_dir()`` or
  downloads the repository's archive.

Without a network every download fails with an error naming the URL and the cache path where
the file can be put by hand.
"""
import hashlib
import importlib.util
import os
import re
import sys
import urllib.parse
import zipfile

__all__ = ["get_dir", "set_dir", "load", "list", "help", "load_state_dict_from_url", "download_url_to_file",
           "HubError"]

HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
MODULE_HUBCONF = "hubconf.py"
_hub_dir = [None]


class HubError(RuntimeError):
    """A hub file or repository could not be fetched or read; the message names the URL."""


def get_dir():
    """The hub cache: ``set_dir``'s path, else ``$TORCH_HOME/hub``, else ``~/.cache/ember/hub``."""
    if _hub_dir[0] is not None:
        return _hub_dir[0]
    home = os.getenv("TORCH_HOME") or os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "ember")
    return os.path.join(os.path.expanduser(home), "hub")


def set_dir(d):
    _hub_dir[0] = os.path.expanduser(os.fspath(d))


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Download ``url`` to ``dst`` (atomically); with ``hash_prefix``, check that the file's
    SHA-256 hex digest starts with it.

    Raises:
        HubError: naming the URL, when the download fails or the hash does not match.
    """
    from ember.vision.datasets.download import DownloadError, download_file
    dst = os.path.expanduser(os.fspath(dst))
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    try:
        download_file([url], dst, hint=f"Put the file at {dst} by hand to use it offline.")
    except DownloadError as e:
        raise HubError(f"ember.hub: could not download {url}: {e}") from None
    if hash_prefix is not None:
        digest = hashlib.sha256()
        with open(dst, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        if not digest.hexdigest().startswith(hash_prefix):
            os.unlink(dst)
            raise HubError(f"ember.hub: invalid hash value for {url} (expected a SHA-256 starting with "
                           f"{hash_prefix!r}, got {digest.hexdigest()!r})")


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False,
                             file_name=None, weights_only=False):
    """The checkpoint at ``url``, from the cache ``model_dir`` (default ``get_dir()/checkpoints``)
    or downloaded into it first; loaded with :func:`ember.load`.

    Raises:
        HubError: when the file cannot be downloaded (naming the URL and the cache path), or
            when it is neither a safetensors file nor a PyTorch checkpoint of tensors and plain
            data.
    """
    from ember.io.serialization import load as _load
    from ember.io.safetensors import SafetensorsError
    from ember.io.torch_pickle import RestrictedPickleError
    model_dir = os.path.join(get_dir(), "checkpoints") if model_dir is None else os.fspath(model_dir)
    filename = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    cached = os.path.join(model_dir, filename)
    if not os.path.exists(cached):
        match = HASH_REGEX.search(filename) if check_hash else None
        download_url_to_file(url, cached, match.group(1) if match else None, progress=progress)
    try:
        return _load(cached, map_location=map_location, weights_only=weights_only)
    except (SafetensorsError, RestrictedPickleError) as e:
        raise HubError(f"ember.hub: {cached} (from {url}) is neither a safetensors file nor a PyTorch "
                       f"checkpoint of tensors and plain data ({e}). ember never unpickles objects.") from None


def _repo_dir(repo_or_dir, source, force_reload):
    if source == "local":
        return os.fspath(repo_or_dir)
    if source != "github":
        raise ValueError(f'ember.hub: unknown source: "{source}". Allowed values: "github" | "local".')
    owner_name, _, ref = repo_or_dir.partition(":")
    if owner_name.count("/") != 1:
        raise ValueError(f'ember.hub: invalid GitHub repository "{repo_or_dir}": expected "owner/name[:ref]"')
    ref = ref or "main"
    owner, name = owner_name.split("/")
    target = os.path.join(get_dir(), f"{owner}_{name}_{ref.replace('/', '_')}")
    if os.path.isdir(target) and not force_reload:
        return target
    url = f"https://github.com/{owner}/{name}/zipball/{ref}"
    archive = target + ".zip"
    download_url_to_file(url, archive)
    with zipfile.ZipFile(archive) as z:
        top = z.namelist()[0].split("/")[0]
        z.extractall(get_dir())
    os.unlink(archive)
    os.replace(os.path.join(get_dir(), top), target)
    return target


def _hubconf(repo_dir):
    path = os.path.join(repo_dir, MODULE_HUBCONF)
    if not os.path.isfile(path):
        raise HubError(f"ember.hub: {path} does not exist (a hub repository has a {MODULE_HUBCONF})")
    spec = importlib.util.spec_from_file_location("hubconf", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, repo_dir)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(repo_dir)
    return module


def _entry(module, model):
    fn = getattr(module, model, None)
    if not callable(fn):
        raise HubError(f"ember.hub: cannot find callable {model} in hubconf")
    return fn


def list(repo_or_dir, force_reload=False, skip_validation=False, trust_repo=None, verbose=True, source="github"):  # noqa: A001
    """The entry points (public callables) of the repository's ``hubconf.py``."""
    module = _hubconf(_repo_dir(repo_or_dir, source, force_reload))
    return [n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
            and getattr(v, "__module__", None) == "hubconf"]


def help(repo_or_dir, model, force_reload=False, skip_validation=False, trust_repo=None, source="github"):  # noqa: A001
    return _entry(_hubconf(_repo_dir(repo_or_dir, source, force_reload)), model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo=None, force_reload=False, verbose=True,
         skip_validation=False, **kwargs):
    """Call entry point ``model`` of the repository's ``hubconf.py`` with ``*args, **kwargs``."""
    return _entry(_hubconf(_repo_dir(repo_or_dir, source, force_reload)), model)(*args, **kwargs)
