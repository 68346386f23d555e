"""``keras.utils.get_file``: download a file once into a cache folder, check its hash, optionally extract it.

The download goes to a temporary ``<name>.part`` next to the target and is renamed into place only
after its hash (when given) matched, so an interrupted or corrupted download is never taken for a
cached file and leaves no ``.part`` behind.
"""
import hashlib
import os
import shutil
import tarfile
import urllib.parse
import urllib.request
import zipfile


def _hash_file(path, algorithm="sha256", chunk_size=65535):
    h = hashlib.sha256() if algorithm in ("sha256", "auto") else hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def _resolve_hasher(algorithm, file_hash=None):
    if algorithm == "sha256":
        return "sha256"
    if algorithm == "auto" and file_hash is not None and len(file_hash) == 64:
        return "sha256"
    return "md5"


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file's sha256 (64 hex digits) or md5 digest equals ``file_hash``."""
    hasher = _resolve_hasher(algorithm, file_hash)
    return str(_hash_file(fpath, hasher, chunk_size)) == str(file_hash)


def _safe_members(archive, dest):
    # Refuse members that would land outside the destination (absolute paths, '..', links out).
    dest = os.path.realpath(dest)
    for name in archive:
        target = os.path.realpath(os.path.join(dest, name))
        if os.path.commonpath([dest, target]) != dest:
            raise ValueError(f"get_file: the archive member {name!r} would be extracted outside {dest}")


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extract a tar (``.tar``, ``.tar.gz``, ``.tgz``, ``.tar.bz2``) or zip archive into ``path``; returns
    True if it was an archive of an accepted format."""
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else \
        [archive_format] if isinstance(archive_format, str) else list(archive_format)
    for fmt in formats:
        if fmt == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as t:
                _safe_members([m.name for m in t.getmembers()], path)
                for m in t.getmembers():
                    if m.issym() or m.islnk():
                        _safe_members([os.path.join(os.path.dirname(m.name), m.linkname)], path)
                t.extractall(path)
            return True
        if fmt == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as z:
                _safe_members(z.namelist(), path)
                z.extractall(path)
            return True
    return False


def keras_home():
    """Keras's cache folder: ``$KERAS_HOME`` when set, else ``~/.keras``."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """Download ``origin`` to ``cache_dir/cache_subdir/fname`` (default ``$KERAS_HOME/datasets``, else
    ``~/.keras/datasets``) unless a file
    with the right hash is already there; returns its path (with ``extract``, the extracted folder
    ``<fname>_extracted``).

    ``file_hash`` (sha256, or md5 with ``hash_algorithm='md5'``) is checked after the download; a
    mismatch raises ``ValueError`` and keeps nothing. A cached file with a wrong hash is downloaded again.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if cache_dir is None:
        cache_dir = keras_home()
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = os.path.join(os.path.expanduser(cache_dir), cache_subdir)
    try:
        os.makedirs(datadir, exist_ok=True)
    except OSError:
        datadir = os.path.join("/tmp", ".keras", cache_subdir)
        os.makedirs(datadir, exist_ok=True)
    provided = bool(fname)
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. Please specify "
                             "the `fname` argument.")
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError("Paths are no longer accepted as the `fname` argument. To specify the file's parent "
                         f"directory, use the `cache_dir` argument. Received: fname={fname}")
    # Keras's names: 'data.tar.gz' is kept as downloaded and extracted into 'data_extracted'; a name
    # without a dot is the extraction folder and the download is '<name>_archive'.
    extraction_dir = None
    if extract or untar:
        if provided and "." in fname:
            target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, fname[:fname.find(".")] + "_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            target = os.path.join(datadir, fname + "_archive")
    else:
        target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
        download = True  # a cached file with the wrong content is fetched again
    if download:
        part = target + ".part"
        try:
            with urllib.request.urlopen(origin) as response, open(part, "wb") as out:
                shutil.copyfileobj(response, out)
                expected = response.headers.get("Content-Length")
            received = os.path.getsize(part)
            if expected is not None and expected.isdigit() and int(expected) != received:
                # the connection closed early: the server announced more bytes than arrived
                raise OSError(f"incomplete download: received {received} of {expected} bytes")
            if file_hash is not None and not validate_file(part, file_hash, hash_algorithm):
                hasher = _resolve_hasher(hash_algorithm, file_hash)
                raise ValueError(f"Incomplete or corrupted file detected. The {hasher} file hash does not match "
                                 f"the provided value of {file_hash}.")
            os.replace(part, target)
        except (Exception, KeyboardInterrupt) as e:
            if os.path.exists(part):
                os.remove(part)
            if isinstance(e, ValueError):
                raise
            raise Exception(f"URL fetch failure on {origin}: {e}") from e
    if extraction_dir is not None:
        if download or not os.path.exists(extraction_dir):
            if os.path.isdir(extraction_dir):
                shutil.rmtree(extraction_dir)
            os.makedirs(extraction_dir, exist_ok=True)
            if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
                import warnings
                warnings.warn("Could not extract archive.", stacklevel=2)
        return extraction_dir
    return target
