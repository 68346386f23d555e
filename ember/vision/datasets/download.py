"""Downloading dataset files: mirrors tried in order, md5 verified, written atomically.

Only ``urllib`` from the standard library is used. A file is streamed to a temporary file
beside its destination while its md5 is computed; it is renamed into place only when the
checksum matches, so an interrupted or corrupt download never leaves a file that looks
complete.

>>> import hashlib
>>> md5_of_bytes(b"") == hashlib.md5(b"").hexdigest()
True
"""
import hashlib
import http.client
import os
import socket
import sys
import urllib.error
import urllib.request

from ember.io.atomic import atomic_write

__all__ = ["DownloadError", "download_file", "check_integrity", "md5_of_file", "decompress_file", "extract_tar"]

_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A dataset file could not be downloaded (no network, no mirror had it, or a bad
    checksum); the message says which file, from where, and what to do instead."""


def md5_of_bytes(data):
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def md5_of_file(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_integrity(path, md5=None):
    """True if ``path`` exists and (when ``md5`` is given) has that md5."""
    if not os.path.isfile(path):
        return False
    return md5 is None or md5_of_file(path) == md5


class _ChecksumMismatch(Exception):
    pass


def _fetch(url, path, md5, timeout, sha256=None):
    request = urllib.request.Request(url, headers={"User-Agent": "ember"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        digest = hashlib.md5(usedforsecurity=False)
        digest256 = hashlib.sha256()
        with atomic_write(path) as f:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                digest.update(chunk)
                if sha256 is not None:
                    digest256.update(chunk)
                f.write(chunk)
            if md5 is not None and digest.hexdigest() != md5:
                raise _ChecksumMismatch(f"md5 {digest.hexdigest()}, expected {md5}")
            if sha256 is not None and digest256.hexdigest() != sha256:
                raise _ChecksumMismatch(f"sha256 {digest256.hexdigest()}, expected {sha256}")


def _is_connection_failure(exc):
    if isinstance(exc, urllib.error.HTTPError):
        return False
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, (ConnectionError, socket.gaierror, socket.timeout, TimeoutError,
                               OSError))


def download_file(urls, path, md5=None, *, timeout=30.0, hint="", sha256=None):
    """Download the first of ``urls`` that works to ``path``, checking ``md5``.

    Args:
        urls (sequence of str): the same file on different mirrors, tried in order.
        path (str): destination; its directory must exist.
        md5 (str, optional): expected hex digest; a mismatch tries the next mirror.
        timeout (float): seconds to wait on each connection.
        hint (str): what the user can do instead, appended to the error.
        sha256 (str, optional): expected hex SHA-256 (torchaudio's datasets publish these).

    Raises:
        DownloadError: when every mirror failed, saying whether the network is unreachable
            or which checksum was expected and which was found.
    """
    name = os.path.basename(path)
    failures, mismatches, offline = [], [], True
    for url in urls:
        print(f"Downloading {url} to {path}", file=sys.stderr)
        try:
            _fetch(url, path, md5, timeout, sha256)
            return path
        except _ChecksumMismatch as exc:
            offline = False
            mismatches.append(f"{url}: {exc.args[0]}")
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            offline = offline and _is_connection_failure(exc)
            failures.append(f"{url}: {getattr(exc, 'reason', exc)}")
    hint = f" {hint}" if hint else ""
    if mismatches:
        raise DownloadError(f"downloaded {name} but its checksum is wrong (corrupt download or a "
                            f"different file on the mirror): " + "; ".join(mismatches)
                            + ("; other mirrors failed: " + "; ".join(failures) if failures else "")
                            + "." + hint)
    if offline:
        raise DownloadError(f"could not download {name}: no network connection to any mirror "
                            f"(tried " + "; ".join(failures) + ")." + hint)
    raise DownloadError(f"could not download {name} from any mirror (tried "
                        + "; ".join(failures) + ")." + hint)


def decompress_file(src, dst):
    """Write the decompressed contents of ``src`` (gzip ``.gz`` or xz ``.xz``) to ``dst``,
    streamed and atomically: what torchvision's ``download_and_extract_archive`` leaves beside
    a downloaded ``.gz``/``.xz`` file, so either tool finds the other's folder complete."""
    import gzip
    import lzma
    opener = lzma.open if src.endswith(".xz") else gzip.open
    with opener(src, "rb") as fin, atomic_write(dst) as fout:
        for chunk in iter(lambda: fin.read(_CHUNK), b""):
            fout.write(chunk)
    return dst


def _move_into(src, dst):
    """Move the tree ``src`` to ``dst``, merging into directories that already exist."""
    if os.path.isdir(src) and os.path.isdir(dst):
        for name in os.listdir(src):
            _move_into(os.path.join(src, name), os.path.join(dst, name))
    else:
        os.replace(src, dst)


def extract_tar(archive, dest, select=None):
    """Unpack the regular files of the tar archive ``archive`` (any compression) under ``dest``.

    Links, devices and any member whose path is absolute or climbs out of ``dest`` (``..``) are
    skipped, so a hostile archive cannot write elsewhere. Files are unpacked into a hidden
    folder inside ``dest`` and moved into place only when the whole archive has been read, so an
    interrupted extraction never leaves a folder that looks complete (one rename per top-level
    entry instead of an fsync per file: Speech Commands has 100,000 files). ``select(name)``,
    when given, keeps only the members it returns True for. Returns the number of files."""
    import shutil
    import tarfile
    import tempfile
    os.makedirs(dest, exist_ok=True)
    staging = tempfile.mkdtemp(dir=dest, prefix=".extract-")
    written = 0
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                name = os.path.normpath(member.name.lstrip("/"))
                if (not member.isfile() or name == "." or name.startswith("..") or os.path.isabs(name)
                        or (select is not None and not select(name))):
                    continue
                target = os.path.join(staging, name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                source = tar.extractfile(member)
                with open(target, "wb") as f:
                    shutil.copyfileobj(source, f, _CHUNK)
                written += 1
        for name in os.listdir(staging):
            _move_into(os.path.join(staging, name), os.path.join(dest, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written
