"""The SQLite connection behind the registry: where the file is, WAL, and writes that never get lost.

A tracking URI names the database file: ``sqlite:///relative/path.db`` (relative to the working
directory), ``sqlite:////absolute/path.db`` (SQLAlchemy's and MLflow's spelling), or a plain path.
The default, ``sqlite:///ember-runs.db``, is a file in the working directory.

Every write runs in its own ``BEGIN IMMEDIATE`` transaction: the writer takes SQLite's write lock
before it reads anything, so two processes never interleave a read-modify-write (e.g. picking the
next model version). The database is in WAL mode, so readers never block the writer nor it them;
a writer that finds the lock taken waits (``busy_timeout``) and, past that, retries with backoff,
so several processes logging at once lose no rows and see no "database is locked".

>>> import os, tempfile
>>> path = database_path("sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db"))
>>> transaction(connection(path), lambda con: con.execute("SELECT 1").fetchone()[0])
1
"""
import os
import random
import sqlite3
import threading
import time

from .errors import RegistryError

DEFAULT_TRACKING_URI = "sqlite:///ember-runs.db"
BUSY_TIMEOUT_MS = 5000
RETRY_SECONDS = 60.0        # give up on a lock only after this long: a stuck writer, not contention

_local = threading.local()
_migrated = set()
_migrate_lock = threading.Lock()


def database_path(uri):
    """The absolute path of the database file that the tracking URI ``uri`` names."""
    uri = os.fspath(uri)
    if uri.startswith("sqlite:"):
        rest = uri[len("sqlite:"):]
        if not rest.startswith("///"):
            raise RegistryError(f"ember.registry: a sqlite tracking URI is sqlite:///relative.db or "
                                f"sqlite:////absolute.db, got {uri!r}")
        path = rest[3:]
        if not path:
            raise RegistryError(f"ember.registry: the tracking URI {uri!r} names no file")
    elif "://" in uri:
        raise RegistryError(f"ember.registry: only sqlite tracking URIs or file paths are supported, got {uri!r}")
    else:
        path = uri
    return os.path.abspath(os.path.expanduser(path))


def _is_busy(error):
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _connect(path):
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise RegistryError(f"ember.registry: the folder {folder!r} of the tracking database does not exist")
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=True)
    con.row_factory = sqlite3.Row
    con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _retry(lambda: con.execute("PRAGMA journal_mode = WAL"))
    # NORMAL is durable against process crashes in WAL mode (only power loss can drop the last commits).
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA case_sensitive_like = ON")      # LIKE in run searches is case-sensitive, as in MLflow
    return con


def _retry(action):
    deadline = time.monotonic() + RETRY_SECONDS
    delay = 0.005
    while True:
        try:
            return action()
        except sqlite3.OperationalError as e:
            if not _is_busy(e) or time.monotonic() > deadline:
                raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.5)


def connection(path):
    """This thread's open connection to ``path`` (one per thread and process), schema up to date."""
    cache = getattr(_local, "connections", None)
    if cache is None or getattr(_local, "pid", None) != os.getpid():
        cache = _local.connections = {}      # a forked child must not reuse its parent's connections
        _local.pid = os.getpid()
    con = cache.get(path)
    if con is None:
        con = cache[path] = _connect(path)
    key = (os.getpid(), path)
    if key not in _migrated:
        from .migrations import migrate
        with _migrate_lock:
            if key not in _migrated:
                migrate(con)
                _migrated.add(key)
    return con


def transaction(con, action):
    """Run ``action(con)`` in one BEGIN IMMEDIATE transaction, retrying the whole of it while the
    database is busy; returns what ``action`` returns."""
    def attempt():
        con.execute("BEGIN IMMEDIATE")
        try:
            result = action(con)
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        return result
    return _retry(attempt)


def close_all():
    """Close this thread's connections (tests; a process's connections close when it exits)."""
    for con in getattr(_local, "connections", {}).values():
        con.close()
    _local.connections = {}
    _migrated.clear()
