"""Runs: lifecycle and status, params (text, immutable), per-step metrics, tags, artifacts with sha256,
search with MLflow's filter syntax; checked against the rows sqlite3 itself reads and against the
values computed here."""
import doctest
import hashlib
import importlib
import json
import math
import os
import sqlite3
import subprocess
import sys

import pytest

import ember.registry as registry
from ember.registry import Client, RegistryError


def _rows(uri, sql, args=()):
    con = sqlite3.connect(uri[len("sqlite:///"):])
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def test_a_run_records_params_metrics_tags_and_ends_finished(tracking):
    with registry.start_run(run_name="mnist", tags={"task": "mnist"}) as run:
        assert registry.active_run().info.run_id == run.info.run_id and run.info.status == "RUNNING"
        registry.log_params({"lr": 0.002, "epochs": 3, "layers": [32, 64], "augment": True, "note": "x"})
        for step, loss in enumerate([1.0, 0.5, 0.25]):
            registry.log_metrics({"loss": loss, "accuracy": 1 - loss / 2}, step=step)
        registry.log_metric("nan_metric", float("nan"))
        registry.set_tag("stage", "dev")
    assert registry.active_run() is None
    got = registry.get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.info.end_time >= got.info.start_time
    assert got.info.run_name == "mnist" and got.info.experiment_id == "0"
    # Params are text; structured values are JSON.
    assert got.data.params == {"lr": "0.002", "epochs": "3", "layers": "[32, 64]", "augment": "true", "note": "x"}
    assert got.data.tags == {"task": "mnist", "stage": "dev"}
    assert got.data.metrics["loss"] == 0.25 and got.data.metrics["accuracy"] == 0.875
    assert math.isnan(got.data.metrics["nan_metric"])
    history = registry.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 0.5), (2, 0.25)]
    assert _rows(tracking, "SELECT key, value, step FROM metrics WHERE key = 'loss' ORDER BY step") == [
        ("loss", 1.0, 0), ("loss", 0.5, 1), ("loss", 0.25, 2)]
    assert _rows(tracking, "SELECT COUNT(*) FROM metrics")[0][0] == 7


@pytest.mark.parametrize("error, status", [(ValueError, "FAILED"), (KeyboardInterrupt, "KILLED")])
def test_an_exception_ends_the_run_failed_and_ctrl_c_killed(tracking, error, status):
    with pytest.raises(error):
        with registry.start_run() as run:
            raise error()
    assert registry.get_run(run.info.run_id).info.status == status and registry.active_run() is None


def test_params_cannot_change_but_may_be_logged_again(tracking):
    with registry.start_run():
        registry.log_param("lr", 0.1)
        registry.log_param("lr", 0.1)
        with pytest.raises(RegistryError, match=r"param 'lr' .* is already '0.1'; changing it to '0.2'"):
            registry.log_param("lr", 0.2)


def test_bad_keys_and_values_are_refused(tracking):
    with registry.start_run():
        with pytest.raises(RegistryError, match="metric 'loss' must be a number, got '0.5'"):
            registry.log_metric("loss", "0.5")
        with pytest.raises(RegistryError, match="a metric key is"):
            registry.log_metric("bad*key", 1.0)
        with pytest.raises(RegistryError, match="a param key is"):
            registry.log_param("", 1)


def test_nested_runs_and_the_one_active_run_rule(tracking):
    with registry.start_run() as parent:
        with pytest.raises(RegistryError, match="is already active"):
            registry.start_run()
        with registry.start_run(nested=True) as child:
            registry.log_metric("x", 1.0)
    assert registry.get_run(child.info.run_id).data.tags["ember.parentRunId"] == parent.info.run_id
    assert registry.get_run(child.info.run_id).data.metrics == {"x": 1.0}
    assert registry.get_run(parent.info.run_id).data.metrics == {}


def test_logging_without_a_run_starts_one_that_ends_at_exit(tmp_path):
    db = tmp_path / "runs.db"
    code = "import ember.registry as r; r.log_metric('loss', 0.5); print(r.active_run().info.run_id)"
    env = dict(os.environ, EMBER_TRACKING_URI=f"sqlite:///{db}")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert _rows(f"sqlite:///{db}", "SELECT run_id, status FROM runs") == [(out.stdout.strip(), "FINISHED")]


def test_artifacts_are_copied_with_their_sha256(tracking, tmp_path):
    src = tmp_path / "weights.bin"
    src.write_bytes(os.urandom(3000))
    with registry.start_run() as run:
        info = registry.log_artifact(str(src))
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    assert (info.path, info.file_size, info.sha256) == ("weights.bin", 3000, digest)
    copy = tmp_path / "ember-artifacts" / run.info.run_id / "weights.bin"
    assert copy.read_bytes() == src.read_bytes() and run.info.artifact_uri == str(copy.parent)
    client = Client()
    assert client.list_artifacts(run.info.run_id) == [info]
    assert client.download_artifacts(run.info.run_id, "weights.bin") == str(copy)
    with pytest.raises(RegistryError, match="must be a relative path inside the store"):
        client.log_artifact(run.info.run_id, str(src), artifact_path="../outside")
    text = client.log_text(run.info.run_id, "héllo\n", "notes/readme.txt")
    assert text.sha256 == hashlib.sha256("héllo\n".encode()).hexdigest()
    client.log_dict(run.info.run_id, {"b": [1, 2], "a": None}, "config.json")
    assert json.load(open(client.download_artifacts(run.info.run_id, "config.json"))) == {"a": None, "b": [1, 2]}
    assert [a.path for a in client.list_artifacts(run.info.run_id)] == ["config.json", "notes/readme.txt",
                                                                        "weights.bin"]


def test_search_runs_with_mlflow_filters(tracking):
    made, made_ids = [], []
    for i, (lr, acc, status) in enumerate([(0.1, 0.91, "FINISHED"), (0.01, 0.95, "FINISHED"),
                                           (0.001, 0.5, "FAILED"), (0.01, None, "FINISHED")]):
        with registry.start_run(run_name=f"run{i}", experiment_name="sweep" if i < 3 else "other") as run:
            registry.log_param("lr", lr)
            if acc is not None:
                registry.log_metric("accuracy", acc - 0.3, step=0)
                registry.log_metric("accuracy", acc, step=1)
            registry.set_tag("kind", "Sweep")
        if status == "FAILED":
            Client().set_terminated(run.info.run_id, "FAILED")
        made.append((run.info.run_name, lr, acc, status))
        made_ids.append(run.info.run_id)

    def names(**kw):
        return sorted(r.info.run_name for r in registry.search_runs(**kw))
    expect = lambda keep: sorted(n for n, lr, acc, st in made if keep(lr, acc, st))  # noqa: E731
    assert names(filter_string="metrics.accuracy > 0.9") == expect(lambda lr, acc, st: acc is not None and acc > 0.9)
    assert names(filter_string="params.lr = '0.01'") == expect(lambda lr, acc, st: lr == 0.01)
    assert names(filter_string="attributes.status = 'FINISHED' AND params.lr != '0.1'") == expect(
        lambda lr, acc, st: st == "FINISHED" and lr != 0.1)
    assert names(filter_string="tags.kind LIKE 'sweep'") == []                 # LIKE is case-sensitive
    assert len(names(filter_string="tags.kind ILIKE 'sweep'")) == 4
    assert names(experiment_names=["sweep"]) == ["run0", "run1", "run2"]
    best = registry.search_runs(order_by=["metrics.accuracy DESC"])
    assert [r.info.run_name for r in best] == ["run1", "run0", "run2", "run3"]      # no metric: last
    assert [r.info.run_name for r in registry.search_runs(max_results=2)] == ["run3", "run2"]   # newest first
    # AND inside quotes is part of the value; NOT LIKE; backticked keys.
    Client().set_tag(made_ids[0], "note", "fast and small")
    assert names(filter_string="tags.note = 'fast and small' and tags.kind NOT LIKE 'x%'") == ["run0"]
    assert names(filter_string="tags.`note` LIKE '%and%'") == ["run0"]
    with pytest.raises(RegistryError, match="cannot parse"):
        registry.search_runs(filter_string="accuracy > 0.9")
    with pytest.raises(RegistryError, match="with a number"):
        registry.search_runs(filter_string="metrics.accuracy > '0.9'")


def test_runs_started_in_the_same_millisecond_list_newest_created_first(tracking):
    client = Client()
    ids = [client.create_run(start_time=1000).info.run_id for _ in range(10)]
    assert [r.info.run_id for r in client.search_runs()] == ids[::-1]


@pytest.mark.parametrize("uri, expected", [("sqlite:///rel/runs.db", "rel/runs.db"),
                                           ("sqlite:////abs/runs.db", "/abs/runs.db"), ("plain.db", "plain.db")])
def test_tracking_uris(tmp_path, monkeypatch, uri, expected):
    from ember.registry._db import database_path
    monkeypatch.chdir(tmp_path)
    assert database_path(uri) == os.path.join(str(tmp_path), expected)      # join keeps an absolute expected
    with pytest.raises(RegistryError, match="only sqlite tracking URIs"):
        database_path("postgresql://host/db")


def test_experiment_from_set_experiment_or_the_environment(tracking, monkeypatch):
    monkeypatch.setenv("EMBER_EXPERIMENT_NAME", "from-env")
    with registry.start_run() as run:
        pass
    assert Client().get_experiment(run.info.experiment_id).name == "from-env"
    monkeypatch.setattr(registry.fluent, "_experiment_id", None)
    experiment = registry.set_experiment("chosen")
    with registry.start_run() as run:
        pass
    assert run.info.experiment_id == experiment.experiment_id != "0"
    with pytest.raises(RegistryError, match="an experiment named 'chosen' exists"):
        Client().create_experiment("chosen")


def test_the_default_database_is_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EMBER_TRACKING_URI", raising=False)
    registry.set_tracking_uri(None)
    assert registry.get_tracking_uri() == "sqlite:///ember-runs.db"
    assert Client().db_path == str(tmp_path / "ember-runs.db")
    monkeypatch.setenv("EMBER_TRACKING_URI", str(tmp_path / "env.db"))
    assert Client().db_path == str(tmp_path / "env.db")


@pytest.mark.parametrize("module", ["ember.registry", "ember.registry.client", "ember.registry.fluent",
                                    "ember.registry._db", "ember.registry.artifacts", "ember.registry.search",
                                    "ember.registry.migrations", "ember.registry.entities",
                                    "ember.keras.callbacks.registry_logger"])
def test_docstring_examples_run(module, monkeypatch):
    monkeypatch.delenv("EMBER_TRACKING_URI", raising=False)
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
