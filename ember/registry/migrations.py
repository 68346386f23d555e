"""The registry's schema, as ordered migrations: version N's step turns a version N-1 database into N.

``schema_version`` holds one row, the database's version. Opening a database runs, each in the
same write transaction as its version bump, every step above that version, so an old file is
upgraded in place and keeps its rows, and two processes that open a new file at once apply each
step exactly once. A database newer than this ember is refused rather than guessed at.

Version 1: experiments, runs, params, tags, metrics (one row per logged value), artifacts.
Version 2: the model registry: registered models, their versions and aliases.
Version 3: run descriptions, and an index for "the latest value of each metric".

>>> import sqlite3
>>> con = sqlite3.connect(":memory:", isolation_level=None)
>>> migrate(con)
3
"""
from .errors import RegistryError

_V1 = """
CREATE TABLE experiments (
    experiment_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    creation_time INTEGER NOT NULL
);
INSERT INTO experiments (experiment_id, name, creation_time)
    VALUES (0, 'Default', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
    run_name TEXT,
    status TEXT NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER
);
CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time);
CREATE TABLE params (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE TABLE tags (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE TABLE metrics (
    metric_id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value REAL,
    step INTEGER NOT NULL,
    timestamp INTEGER NOT NULL
);
CREATE TABLE artifacts (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (run_id, path)
);
"""

_V2 = """
CREATE TABLE registered_models (
    name TEXT PRIMARY KEY,
    creation_time INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL,
    description TEXT
);
CREATE TABLE model_versions (
    name TEXT NOT NULL REFERENCES registered_models(name) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    source TEXT NOT NULL,
    run_id TEXT,
    storage_path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    creation_time INTEGER NOT NULL,
    description TEXT,
    PRIMARY KEY (name, version)
);
CREATE TABLE model_aliases (
    name TEXT NOT NULL REFERENCES registered_models(name) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (name, alias),
    FOREIGN KEY (name, version) REFERENCES model_versions(name, version) ON DELETE CASCADE
);
"""

_V3 = """
ALTER TABLE runs ADD COLUMN description TEXT;
CREATE INDEX metrics_by_run_key_step ON metrics (run_id, key, step, timestamp);
"""

# MIGRATIONS[i] takes a database from version i to version i + 1.
MIGRATIONS = [_V1, _V2, _V3]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(con):
    """The schema version of the open database ``con`` (0 for an empty file)."""
    has = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if not has:
        return 0
    row = con.execute("SELECT version FROM schema_version").fetchone()
    return row[0] if row else 0


def _statements(script):
    return [s.strip() for s in script.split(";\n") if s.strip()]


def migrate(con, target=SCHEMA_VERSION):
    """Bring the database ``con`` (an autocommit sqlite3 connection) up to version ``target``; returns
    the version it ends at."""
    from ._db import transaction

    def step(con):
        version = current_version(con)          # read again under the write lock
        if version > SCHEMA_VERSION:
            raise RegistryError(f"ember.registry: the database has schema version {version}, newer than this "
                                f"ember's {SCHEMA_VERSION}; upgrade ember to use it")
        if version >= target:
            return version, False
        if version == 0:
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        # executescript would COMMIT the open transaction; run the statements one by one instead.
        for statement in _statements(MIGRATIONS[version]):
            con.execute(statement)
        con.execute("DELETE FROM schema_version")
        con.execute("INSERT INTO schema_version (version) VALUES (?)", (version + 1,))
        return version + 1, True

    while True:
        version, changed = transaction(con, step)
        if not changed:
            return version
