"""The artifact store: files copied beside the database, each recorded with its sha256 and size.

The database ``DIR/NAME.db`` keeps its files in ``DIR/ember-artifacts/``: a run's under
``<run_id>/``, a registered model version's (when it was registered from a plain file) under
``models/<name>/<version>/``. Paths in the database are relative to that root, so the database
and its artifacts can be moved together. A file is copied atomically (a reader never sees half
of it) and its digest is checked again whenever the registry hands out its path.

>>> import os, tempfile
>>> src = os.path.join(tempfile.mkdtemp(), "w.bin")
>>> open(src, "wb").write(b"abc")
3
>>> sha256_file(src)
'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
"""
import hashlib
import os

from ..io.atomic import atomic_write
from .errors import RegistryError

ARTIFACT_DIR = "ember-artifacts"
_CHUNK = 1 << 20


def artifact_root(db_path):
    """The folder that holds the artifacts of the database at ``db_path``."""
    return os.path.join(os.path.dirname(db_path), ARTIFACT_DIR)


def sha256_file(path):
    """The sha256 (hex) of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_relative(path, what):
    """``path`` as a clean relative POSIX path, refusing absolute paths and ``..`` (which would
    write outside the store)."""
    clean = os.path.normpath(path).replace(os.sep, "/")
    if os.path.isabs(path) or clean == "." or clean.startswith("../") or clean == "..":
        raise RegistryError(f"ember.registry: {what} must be a relative path inside the store, got {path!r}")
    return clean


def copy_in(src, root, relative):
    """Copy the file ``src`` to ``root/relative`` atomically; returns (sha256, size) of what was copied."""
    if not os.path.isfile(src):
        raise RegistryError(f"ember.registry: {src!r} is not a file")
    dest = os.path.join(root, relative)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with open(src, "rb") as f, atomic_write(dest) as out:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def verified(root, relative, sha256, what):
    """The absolute path of ``root/relative`` after checking that its sha256 is still ``sha256``."""
    path = os.path.join(root, relative)
    if not os.path.isfile(path):
        raise RegistryError(f"ember.registry: the file of {what} is missing: {path!r}")
    actual = sha256_file(path)
    if actual != sha256:
        raise RegistryError(f"ember.registry: the file of {what} is corrupt: {path!r} has sha256 {actual}, "
                            f"the registry recorded {sha256}")
    return path
