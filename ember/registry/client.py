"""``Client``: every registry operation on one tracking database (MLflow's ``MlflowClient``).

The module-level functions of ``ember.registry`` (``start_run``, ``log_metric``...) call a
``Client`` of the current tracking URI; use one directly to work on a given run or database.

>>> import os, tempfile
>>> client = Client(os.path.join(tempfile.mkdtemp(), "runs.db"))
>>> run = client.create_run("0", run_name="demo")
>>> client.log_metric(run.info.run_id, "loss", 0.5, step=1)
>>> client.set_terminated(run.info.run_id)
>>> client.get_run(run.info.run_id).data.metrics
{'loss': 0.5}
"""
import json
import math
import os
import re
import time
import uuid

from . import _db
from .artifacts import artifact_root, check_relative, copy_in, sha256_file, verified
from .entities import (RUN_STATUSES, Experiment, FileInfo, Metric, ModelVersion, RegisteredModel, Run, RunData,
                       RunInfo)
from .errors import NotFoundError, RegistryError
from .search import compile_filter, compile_order_by

_KEY = re.compile(r"^[\w\-. /]+$")
_MODEL_NAME = re.compile(r"^[\w\-.]+( [\w\-.]+)*$")
_ALIAS = re.compile(r"^[\w\-]+$")
_MAX_KEY = 250


def _now():
    return int(time.time() * 1000)


def _check_key(key, what):
    if not isinstance(key, str) or not key or len(key) > _MAX_KEY or not _KEY.match(key) or ".." in key.split("/"):
        raise RegistryError(f"ember.registry: a {what} key is 1-{_MAX_KEY} letters, digits, '_', '-', '.', ' ' "
                            f"or '/', got {key!r}")
    return key


def _param_text(value):
    # Params are text, as in MLflow; structured values (dict, list, tuple, None, bool) as JSON so
    # they read back unambiguously.
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple, bool)) or value is None:
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _metric_value(key, value):
    if isinstance(value, (str, bytes)) or value is None:
        raise RegistryError(f"ember.registry: metric {key!r} must be a number, got {value!r}")
    try:
        value = float(value.item() if hasattr(value, "item") else value)
    except (TypeError, ValueError):
        raise RegistryError(f"ember.registry: metric {key!r} must be a number, got {value!r}") from None
    # SQLite stores NaN as NULL; NULL reads back as NaN.
    return None if math.isnan(value) else value


def check_model_name(name):
    if not isinstance(name, str) or not _MODEL_NAME.match(name) or name in (".", ".."):
        raise RegistryError(f"ember.registry: a registered model name is letters, digits, '_', '-', '.' and "
                            f"single inner spaces (it appears in models:/NAME URIs), got {name!r}")
    return name


def check_alias(alias):
    # MLflow's rule: 'latest' and v<digits> would read as versions in models:/NAME@ALIAS.
    if (not isinstance(alias, str) or not _ALIAS.match(alias) or len(alias) > 255 or alias.lower() == "latest"
            or re.match(r"^v\d+$", alias, re.IGNORECASE)):
        raise RegistryError(f"ember.registry: an alias is 1-255 letters, digits, '_' or '-', not 'latest' and "
                            f"not v<number>, got {alias!r}")
    return alias


def _version_number(version):
    try:
        number = int(str(version))
    except ValueError:
        number = 0
    if number < 1:
        raise RegistryError(f"ember.registry: a model version is a positive integer, got {version!r}")
    return number


class Client:
    """The registry of one tracking database.

    Args:
        tracking_uri (str): ``sqlite:///path.db``, ``sqlite:////abs/path.db`` or a path; default
            the current tracking URI (``ember.registry.get_tracking_uri()``).
    """

    def __init__(self, tracking_uri=None):
        if tracking_uri is None:
            from .fluent import get_tracking_uri
            tracking_uri = get_tracking_uri()
        self.tracking_uri = os.fspath(tracking_uri)
        self.db_path = _db.database_path(self.tracking_uri)
        self.artifact_root = artifact_root(self.db_path)

    def __repr__(self):
        return f"Client({self.tracking_uri!r})"

    def _con(self):
        return _db.connection(self.db_path)

    def exists(self):
        """Whether the database file exists yet (any write creates it)."""
        return os.path.exists(self.db_path)

    def _require_database(self, uri):
        # Resolving must not create an empty database, and "no such model" would hide the real
        # mistake: running from another directory, or without EMBER_TRACKING_URI.
        if not self.exists():
            raise NotFoundError(f"ember.registry: cannot resolve {uri!r}: there is no tracking database at "
                                f"{self.db_path!r} (tracking URI {self.tracking_uri!r}); set EMBER_TRACKING_URI "
                                f"or pass the tracking URI")

    def _write(self, action):
        return _db.transaction(self._con(), action)

    def _read(self, sql, args=()):
        return self._con().execute(sql, args).fetchall()

    # ---- experiments
    def _experiment(self, row):
        return Experiment(str(row["experiment_id"]), row["name"], row["creation_time"])

    def create_experiment(self, name):
        """Create the experiment ``name``; returns its id (a string, as in MLflow)."""
        if not isinstance(name, str) or not name.strip():
            raise RegistryError(f"ember.registry.create_experiment: the name must be a non-empty string, got {name!r}")

        def action(con):
            if con.execute("SELECT 1 FROM experiments WHERE name = ?", (name,)).fetchone():
                raise RegistryError(f"ember.registry.create_experiment: an experiment named {name!r} exists")
            return con.execute("INSERT INTO experiments (name, creation_time) VALUES (?, ?)",
                               (name, _now())).lastrowid
        return str(self._write(action))

    def get_experiment_by_name(self, name):
        """The experiment called ``name``, or None."""
        rows = self._read("SELECT * FROM experiments WHERE name = ?", (name,))
        return self._experiment(rows[0]) if rows else None

    def get_experiment(self, experiment_id):
        number = self._experiment_number(experiment_id)
        rows = self._read("SELECT * FROM experiments WHERE experiment_id = ?", (number,))
        if not rows:
            raise NotFoundError(f"ember.registry: no experiment with id {experiment_id!r}")
        return self._experiment(rows[0])

    def search_experiments(self):
        return [self._experiment(r) for r in self._read("SELECT * FROM experiments ORDER BY experiment_id")]

    def _experiment_number(self, experiment_id):
        try:
            return int(str(experiment_id))
        except ValueError:
            raise NotFoundError(f"ember.registry: no experiment with id {experiment_id!r}") from None

    # ---- runs
    def create_run(self, experiment_id="0", run_name=None, tags=None, start_time=None, description=None):
        """A new RUNNING run in ``experiment_id`` (default: experiment '0', 'Default')."""
        run_id = uuid.uuid4().hex
        run_name = run_name or f"run-{run_id[:8]}"
        tags = {_check_key(k, "tag"): str(v) for k, v in (tags or {}).items()}
        number = self._experiment_number(experiment_id)

        def action(con):
            if not con.execute("SELECT 1 FROM experiments WHERE experiment_id = ?", (number,)).fetchone():
                raise NotFoundError(f"ember.registry.create_run: no experiment with id {experiment_id!r}")
            con.execute("INSERT INTO runs (run_id, experiment_id, run_name, status, start_time, description) "
                        "VALUES (?, ?, ?, 'RUNNING', ?, ?)",
                        (run_id, number, run_name, start_time or _now(), description))
            con.executemany("INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?)",
                            [(run_id, k, v) for k, v in tags.items()])
        self._write(action)
        return self.get_run(run_id)

    def _run_row(self, con, run_id):
        row = con.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"ember.registry: no run with id {run_id!r} in {self.tracking_uri!r}")
        return row

    def _latest_metrics(self, run_id):
        rows = self._read(
            "SELECT key, value FROM metrics m WHERE run_id = ? AND metric_id = (SELECT metric_id FROM metrics m2 "
            "WHERE m2.run_id = m.run_id AND m2.key = m.key ORDER BY step DESC, timestamp DESC, metric_id DESC "
            "LIMIT 1) ORDER BY key", (run_id,))
        return {r["key"]: (math.nan if r["value"] is None else r["value"]) for r in rows}

    def _run(self, row):
        run_id = row["run_id"]
        info = RunInfo(run_id, str(row["experiment_id"]), row["run_name"], row["status"], row["start_time"],
                       row["end_time"], os.path.join(self.artifact_root, run_id))
        params = {r["key"]: r["value"] for r in self._read("SELECT key, value FROM params WHERE run_id = ? "
                                                           "ORDER BY key", (run_id,))}
        tags = {r["key"]: r["value"] for r in self._read("SELECT key, value FROM tags WHERE run_id = ? ORDER BY key",
                                                         (run_id,))}
        return Run(info, RunData(params, self._latest_metrics(run_id), tags))

    def get_run(self, run_id):
        """The run ``run_id`` with its params, latest metrics and tags."""
        return self._run(self._run_row(self._con(), run_id))

    def update_run(self, run_id, status=None, name=None):
        if status is not None and status not in RUN_STATUSES:
            raise RegistryError(f"ember.registry: a run status is one of {RUN_STATUSES}, got {status!r}")

        def action(con):
            self._run_row(con, run_id)
            if status is not None:
                end = _now() if status in ("FINISHED", "FAILED", "KILLED") else None
                con.execute("UPDATE runs SET status = ?, end_time = ? WHERE run_id = ?", (status, end, run_id))
            if name is not None:
                con.execute("UPDATE runs SET run_name = ? WHERE run_id = ?", (name, run_id))
        self._write(action)

    def set_terminated(self, run_id, status="FINISHED"):
        """End the run: FINISHED, FAILED or KILLED, with the end time now."""
        if status not in ("FINISHED", "FAILED", "KILLED"):
            raise RegistryError(f"ember.registry.set_terminated: status must be FINISHED, FAILED or KILLED, "
                                f"got {status!r}")
        self.update_run(run_id, status=status)

    def log_batch(self, run_id, metrics=(), params=(), tags=(), step=None):
        """Log many values in one transaction. ``metrics``: Metric objects, or a dict (logged at
        ``step``, default 0); ``params`` and ``tags``: dicts (or (key, value) pairs)."""
        now = _now()
        if isinstance(metrics, dict):
            metrics = [Metric(k, v, now, step or 0) for k, v in metrics.items()]
        metric_rows = [(run_id, _check_key(m.key, "metric"), _metric_value(m.key, m.value),
                        int(m.step or 0), int(m.timestamp or now)) for m in metrics]
        param_rows = [(_check_key(k, "param"), _param_text(v)) for k, v in dict(params).items()]
        tag_rows = [(run_id, _check_key(k, "tag"), str(v)) for k, v in dict(tags).items()]

        def action(con):
            self._run_row(con, run_id)
            for key, value in param_rows:
                old = con.execute("SELECT value FROM params WHERE run_id = ? AND key = ?", (run_id, key)).fetchone()
                if old is None:
                    con.execute("INSERT INTO params (run_id, key, value) VALUES (?, ?, ?)", (run_id, key, value))
                elif old["value"] != value:
                    # As in MLflow: a param records how the run was set up, which cannot change midway.
                    raise RegistryError(f"ember.registry.log_param: param {key!r} of run {run_id} is already "
                                        f"{old['value']!r}; changing it to {value!r} is not allowed")
            con.executemany("INSERT INTO metrics (run_id, key, value, step, timestamp) VALUES (?, ?, ?, ?, ?)",
                            metric_rows)
            con.executemany("INSERT OR REPLACE INTO tags (run_id, key, value) VALUES (?, ?, ?)", tag_rows)
        self._write(action)

    def log_param(self, run_id, key, value):
        """Record the param ``key`` (as text; dicts, lists and bools as JSON). Returns the value."""
        self.log_batch(run_id, params={key: value})
        return value

    def log_metric(self, run_id, key, value, timestamp=None, step=None):
        """Append one value of the metric ``key`` at ``step`` (default 0); every value is kept."""
        self.log_batch(run_id, metrics=[Metric(key, value, timestamp or _now(), step or 0)])

    def set_tag(self, run_id, key, value):
        self.log_batch(run_id, tags={key: value})

    def delete_tag(self, run_id, key):
        def action(con):
            if con.execute("DELETE FROM tags WHERE run_id = ? AND key = ?", (run_id, key)).rowcount == 0:
                raise NotFoundError(f"ember.registry.delete_tag: run {run_id} has no tag {key!r}")
        self._write(action)

    def get_metric_history(self, run_id, key):
        """Every logged value of the metric ``key``, in step order."""
        self._run_row(self._con(), run_id)
        rows = self._read("SELECT * FROM metrics WHERE run_id = ? AND key = ? ORDER BY step, timestamp, metric_id",
                          (run_id, key))
        return [Metric(r["key"], math.nan if r["value"] is None else r["value"], r["timestamp"], r["step"])
                for r in rows]

    def search_runs(self, experiment_ids=None, filter_string="", max_results=1000, order_by=None):
        """Runs of the experiments ``experiment_ids`` (default: all) that match ``filter_string``,
        newest first. The filter is MLflow's: clauses joined by AND, each
        ``attributes.status = 'FINISHED'``, ``params.lr = '0.1'``, ``tags.x != 'y'``,
        ``metrics.accuracy > 0.9`` or ``attributes.run_name LIKE 'mnist%'``.
        ``order_by``: e.g. ``["metrics.accuracy DESC", "attributes.start_time"]``."""
        where, args = compile_filter(filter_string or "")
        if experiment_ids is not None:
            if isinstance(experiment_ids, (str, int)):
                experiment_ids = [experiment_ids]
            numbers = [self._experiment_number(e) for e in experiment_ids]
            where.append(f"runs.experiment_id IN ({', '.join('?' * len(numbers))})")
            args.extend(numbers)
        order, order_args = compile_order_by(order_by)
        sql = (f"SELECT runs.* FROM runs {'WHERE ' + ' AND '.join(where) if where else ''} "
               f"ORDER BY {order} LIMIT ?")
        rows = self._read(sql, args + order_args + [int(max_results)])
        return [self._run(r) for r in rows]

    # ---- artifacts
    def log_artifact(self, run_id, local_path, artifact_path=None):
        """Copy the file ``local_path`` into the run's artifacts (under the folder ``artifact_path``),
        recording its sha256 and size. Returns the FileInfo."""
        self._run_row(self._con(), run_id)
        name = os.path.basename(os.fspath(local_path))
        relative = check_relative(os.path.join(artifact_path, name) if artifact_path else name, "artifact_path")
        digest, size = copy_in(local_path, os.path.join(self.artifact_root, run_id), relative)
        self._write(lambda con: con.execute("INSERT OR REPLACE INTO artifacts (run_id, path, sha256, size) "
                                            "VALUES (?, ?, ?, ?)", (run_id, relative, digest, size)))
        return FileInfo(relative, size, digest)

    def log_text(self, run_id, text, artifact_file):
        """Store the string ``text`` as the run's artifact ``artifact_file`` (e.g. ``'notes/summary.txt'``)."""
        return self._log_bytes(run_id, text.encode("utf-8"), artifact_file)

    def log_dict(self, run_id, dictionary, artifact_file):
        """Store ``dictionary`` as JSON in the run's artifact ``artifact_file``."""
        return self._log_bytes(run_id, json.dumps(dictionary, indent=2, sort_keys=True, default=str).encode(),
                               artifact_file)

    def _log_bytes(self, run_id, data, artifact_file):
        import tempfile
        relative = check_relative(artifact_file, "artifact_file")
        folder, name = os.path.split(relative)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(data)
            return self.log_artifact(run_id, path, artifact_path=folder or None)

    def list_artifacts(self, run_id):
        self._run_row(self._con(), run_id)
        return [FileInfo(r["path"], r["size"], r["sha256"])
                for r in self._read("SELECT * FROM artifacts WHERE run_id = ? ORDER BY path", (run_id,))]

    def _artifact(self, run_id, path):
        self._run_row(self._con(), run_id)
        relative = check_relative(path, "artifact path")
        rows = self._read("SELECT * FROM artifacts WHERE run_id = ? AND path = ?", (run_id, relative))
        if not rows:
            have = [a.path for a in self.list_artifacts(run_id)]
            raise NotFoundError(f"ember.registry: run {run_id} has no artifact {path!r} (it has {have})")
        return relative, rows[0]

    def download_artifacts(self, run_id, path):
        """The local path of the run's artifact ``path``, after checking its sha256."""
        relative, row = self._artifact(run_id, path)
        return verified(os.path.join(self.artifact_root, run_id), relative, row["sha256"],
                        f"runs:/{run_id}/{relative}")

    # ---- registered models
    def _registered(self, row):
        name = row["name"]
        latest = self._read("SELECT MAX(version) AS v FROM model_versions WHERE name = ?", (name,))[0]["v"]
        aliases = {r["alias"]: str(r["version"]) for r in
                   self._read("SELECT alias, version FROM model_aliases WHERE name = ? ORDER BY alias", (name,))}
        return RegisteredModel(name, row["creation_time"], row["last_updated_time"], row["description"],
                               None if latest is None else str(latest), aliases)

    def create_registered_model(self, name, description=None):
        check_model_name(name)

        def action(con):
            if con.execute("SELECT 1 FROM registered_models WHERE name = ?", (name,)).fetchone():
                raise RegistryError(f"ember.registry.create_registered_model: a model named {name!r} exists")
            now = _now()
            con.execute("INSERT INTO registered_models (name, creation_time, last_updated_time, description) "
                        "VALUES (?, ?, ?, ?)", (name, now, now, description))
        self._write(action)
        return self.get_registered_model(name)

    def _model_row(self, con, name):
        row = con.execute("SELECT * FROM registered_models WHERE name = ?", (name,)).fetchone()
        if row is None:
            names = [r["name"] for r in con.execute("SELECT name FROM registered_models ORDER BY name")]
            raise NotFoundError(f"ember.registry: no registered model named {name!r} in {self.tracking_uri!r} "
                                f"(registered: {', '.join(names) or 'none'})")
        return row

    def get_registered_model(self, name):
        return self._registered(self._model_row(self._con(), name))

    def search_registered_models(self):
        return [self._registered(r) for r in self._read("SELECT * FROM registered_models ORDER BY name")]

    def delete_registered_model(self, name):
        """Forget the model, its versions and aliases (files copied in for it stay on disk)."""
        def action(con):
            self._model_row(con, name)
            con.execute("DELETE FROM registered_models WHERE name = ?", (name,))
        self._write(action)

    def _version(self, row):
        aliases = tuple(r["alias"] for r in self._read(
            "SELECT alias FROM model_aliases WHERE name = ? AND version = ? ORDER BY alias",
            (row["name"], row["version"])))
        return ModelVersion(row["name"], str(row["version"]), row["source"], row["run_id"], row["creation_time"],
                            row["sha256"], row["size"], aliases, row["description"])

    def _source(self, source):
        """(storage_path relative to the artifact root, sha256, size, run_id) of an existing stored
        source, or None for a plain file that must be copied in."""
        source = os.fspath(source)
        if source.startswith("runs:/"):
            run_id, path = _split_runs_uri(source)
            relative, row = self._artifact(run_id, path)
            verified(os.path.join(self.artifact_root, run_id), relative, row["sha256"], source)
            return f"{run_id}/{relative}", row["sha256"], row["size"], run_id
        if source.startswith("models:/"):
            mv = self._resolve_version(source)
            row = self._read("SELECT * FROM model_versions WHERE name = ? AND version = ?",
                             (mv.name, int(mv.version)))[0]
            verified(self.artifact_root, row["storage_path"], row["sha256"], source)
            return row["storage_path"], row["sha256"], row["size"], row["run_id"]
        if "://" in source or source.startswith(("s3:", "gs:", "http:", "https:")):
            raise RegistryError(f"ember.registry: a model source is a file path, runs:/RUN_ID/PATH or models:/..., "
                                f"got {source!r}")
        if not os.path.isfile(source):
            raise RegistryError(f"ember.registry: the model source {source!r} is not a file")
        return None

    def create_model_version(self, name, source, run_id=None, description=None):
        """Register ``source`` (a file, ``runs:/RUN_ID/PATH`` or ``models:/...``) as the next version
        of ``name`` (1, 2, ...). A plain file is copied into the store; a run's artifact is
        referred to where it is. The model ``name`` must exist (``register_model`` creates it)."""
        check_model_name(name)
        stored = self._source(source)
        source_text = os.fspath(source) if stored else os.path.abspath(os.fspath(source))

        def action(con):
            self._model_row(con, name)
            version = con.execute("SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE name = ?",
                                  (name,)).fetchone()["v"]
            if stored:
                storage, digest, size, source_run = stored
            else:
                # Copied while holding the write lock, so the version number and the folder agree.
                storage = check_relative(f"models/{name}/{version}/{os.path.basename(source_text)}", "model file")
                digest, size = copy_in(source_text, self.artifact_root, storage)
                source_run = None
            now = _now()
            con.execute("INSERT INTO model_versions (name, version, source, run_id, storage_path, sha256, size, "
                        "creation_time, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (name, version, source_text, run_id or source_run, storage, digest, size, now, description))
            con.execute("UPDATE registered_models SET last_updated_time = ? WHERE name = ?", (now, name))
            return version
        version = self._write(action)
        return self.get_model_version(name, version)

    def get_model_version(self, name, version):
        number = _version_number(version)
        con = self._con()
        self._model_row(con, name)
        row = con.execute("SELECT * FROM model_versions WHERE name = ? AND version = ?", (name, number)).fetchone()
        if row is None:
            have = [str(r["version"]) for r in con.execute(
                "SELECT version FROM model_versions WHERE name = ? ORDER BY version", (name,))]
            raise NotFoundError(f"ember.registry: registered model {name!r} has no version {version} "
                                f"(versions: {', '.join(have) or 'none'})")
        return self._version(row)

    def search_model_versions(self, name=None):
        """The versions of the model ``name`` (default: of every model), oldest first."""
        if name is None:
            rows = self._read("SELECT * FROM model_versions ORDER BY name, version")
        else:
            self._model_row(self._con(), name)
            rows = self._read("SELECT * FROM model_versions WHERE name = ? ORDER BY version", (name,))
        return [self._version(r) for r in rows]

    def get_latest_version(self, name):
        con = self._con()
        self._model_row(con, name)
        row = con.execute("SELECT * FROM model_versions WHERE name = ? ORDER BY version DESC LIMIT 1",
                          (name,)).fetchone()
        if row is None:
            raise NotFoundError(f"ember.registry: registered model {name!r} has no versions yet")
        return self._version(row)

    def delete_model_version(self, name, version):
        number = _version_number(version)

        def action(con):
            self._model_row(con, name)
            if con.execute("DELETE FROM model_versions WHERE name = ? AND version = ?", (name, number)).rowcount == 0:
                raise NotFoundError(f"ember.registry: registered model {name!r} has no version {version}")
        self._write(action)

    def set_registered_model_alias(self, name, alias, version):
        """Point ``alias`` of the model ``name`` at ``version`` (moving it if it pointed elsewhere)."""
        check_alias(alias)
        number = _version_number(version)

        def action(con):
            self._model_row(con, name)
            if not con.execute("SELECT 1 FROM model_versions WHERE name = ? AND version = ?",
                               (name, number)).fetchone():
                raise NotFoundError(f"ember.registry.set_registered_model_alias: registered model {name!r} has "
                                    f"no version {version}")
            con.execute("INSERT OR REPLACE INTO model_aliases (name, alias, version) VALUES (?, ?, ?)",
                        (name, alias, number))
            con.execute("UPDATE registered_models SET last_updated_time = ? WHERE name = ?", (_now(), name))
        self._write(action)

    def delete_registered_model_alias(self, name, alias):
        def action(con):
            self._model_row(con, name)
            if con.execute("DELETE FROM model_aliases WHERE name = ? AND alias = ?", (name, alias)).rowcount == 0:
                raise NotFoundError(f"ember.registry: registered model {name!r} has no alias {alias!r}")
        self._write(action)

    def get_model_version_by_alias(self, name, alias):
        con = self._con()
        self._model_row(con, name)
        row = con.execute("SELECT v.* FROM model_aliases a JOIN model_versions v ON a.name = v.name AND "
                          "a.version = v.version WHERE a.name = ? AND a.alias = ?", (name, alias)).fetchone()
        if row is None:
            have = [f"{r['alias']} -> {r['version']}" for r in con.execute(
                "SELECT alias, version FROM model_aliases WHERE name = ? ORDER BY alias", (name,))]
            raise NotFoundError(f"ember.registry: registered model {name!r} has no alias {alias!r} "
                                f"(aliases: {', '.join(have) or 'none'})")
        return self._version(row)

    # ---- URIs
    def _resolve_version(self, uri):
        name, selector = _split_models_uri(uri)
        if selector.startswith("@"):
            return self.get_model_version_by_alias(name, selector[1:])
        if selector == "latest":
            return self.get_latest_version(name)
        if not selector.isdigit():
            raise RegistryError(f"ember.registry: {uri!r}: stages are not supported; use models:/NAME/VERSION, "
                                f"models:/NAME/latest or models:/NAME@ALIAS")
        return self.get_model_version(name, selector)

    def get_model_version_by_uri(self, uri):
        """The ModelVersion that ``models:/NAME/VERSION``, ``models:/NAME/latest`` or ``models:/NAME@ALIAS`` names."""
        return self._resolve_version(uri)

    def resolve_model_uri(self, uri):
        """The local path of the file that ``uri`` names, its sha256 checked: ``models:/NAME@ALIAS``,
        ``models:/NAME/VERSION``, ``models:/NAME/latest``, ``runs:/RUN_ID/PATH``, or a file path."""
        uri = os.fspath(uri)
        if uri.startswith(("models:", "runs:")):
            self._require_database(uri)
        if uri.startswith("models:"):
            mv = self._resolve_version(uri)
            row = self._read("SELECT storage_path FROM model_versions WHERE name = ? AND version = ?",
                             (mv.name, int(mv.version)))[0]
            return verified(self.artifact_root, row["storage_path"], mv.sha256, f"{uri} (version {mv.version})")
        if uri.startswith("runs:"):
            return self.download_artifacts(*_split_runs_uri(uri))
        if "://" in uri:
            raise RegistryError(f"ember.registry.resolve_model_uri: expected models:/NAME@ALIAS, "
                                f"models:/NAME/VERSION, runs:/RUN_ID/PATH or a file path, got {uri!r}")
        if not os.path.isfile(uri):
            raise RegistryError(f"ember.registry.resolve_model_uri: {uri!r} is not a file (nor a models:/ or "
                                f"runs:/ URI)")
        return os.path.abspath(uri)


def _split_models_uri(uri):
    body = uri[len("models:"):]
    body = body[1:] if body.startswith("/") else None
    if body:
        if "@" in body and "/" not in body:
            name, alias = body.split("@", 1)
            if name and alias:
                return name, "@" + alias
        parts = body.split("/")
        if len(parts) == 2 and all(parts) and "@" not in parts[0]:
            return parts[0], parts[1]
    raise RegistryError(f"ember.registry: a model URI is models:/NAME/VERSION, models:/NAME/latest or "
                        f"models:/NAME@ALIAS, got {uri!r}")


def _split_runs_uri(uri):
    body = uri[len("runs:"):]
    parts = body[1:].split("/", 1) if body.startswith("/") else []
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise RegistryError(f"ember.registry: a run artifact URI is runs:/RUN_ID/PATH, got {uri!r}")
    return parts[0], parts[1]
