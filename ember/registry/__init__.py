"""``ember.registry``: experiment tracking and a model registry in one SQLite file, MLflow's API.

Runs record params, per-step metrics, tags, a status and artifact files (with sha256); registered
models have numbered versions and movable aliases, addressed as ``models:/NAME/VERSION``,
``models:/NAME/latest`` or ``models:/NAME@ALIAS``. The database (``sqlite:///ember-runs.db`` in
the working directory unless ``set_tracking_uri`` or ``EMBER_TRACKING_URI`` say otherwise) is in
WAL mode and every write is one transaction, so several processes can log at once; its schema is
versioned and upgraded in place (``ember.registry.migrations``). See docs/registry.md.

>>> import os, tempfile
>>> import ember.registry as registry
>>> folder = tempfile.mkdtemp()
>>> registry.set_tracking_uri("sqlite:///" + os.path.join(folder, "runs.db"))
>>> weights = os.path.join(folder, "w.bin")
>>> _ = open(weights, "wb").write(b"weights")
>>> with registry.start_run(run_name="demo") as run:
...     registry.log_params({"lr": 0.01, "epochs": 2})
...     for step, loss in enumerate([0.9, 0.4]):
...         registry.log_metric("loss", loss, step=step)
...     _ = registry.log_artifact(weights)
>>> registry.register_model(f"runs:/{run.info.run_id}/w.bin", "demo-model").version
'1'
>>> registry.set_registered_model_alias("demo-model", "production", 1)
>>> open(registry.resolve_model_uri("models:/demo-model@production"), "rb").read()
b'weights'
>>> registry.set_tracking_uri(None)
"""
from .errors import NotFoundError, RegistryError
from .entities import Experiment, FileInfo, Metric, ModelVersion, RegisteredModel, Run, RunData, RunInfo
from .client import Client
from .migrations import SCHEMA_VERSION
from .fluent import (ActiveRun, active_run, end_run, get_run, get_tracking_uri, log_artifact, log_dict, log_metric,
                     log_metrics, log_param, log_params, log_text, register_model, resolve_model_uri, search_runs,
                     set_experiment, set_tag, set_tags, set_tracking_uri, start_run)


def _client_call(name):
    def call(*args, **kwargs):
        return getattr(Client(), name)(*args, **kwargs)
    call.__name__ = name
    call.__qualname__ = name
    call.__doc__ = getattr(Client, name).__doc__
    return call


# The registry's calls on the current tracking URI, as MLflow's module offers them.
set_registered_model_alias = _client_call("set_registered_model_alias")
delete_registered_model_alias = _client_call("delete_registered_model_alias")
get_model_version_by_alias = _client_call("get_model_version_by_alias")
get_model_version = _client_call("get_model_version")
get_metric_history = _client_call("get_metric_history")
search_registered_models = _client_call("search_registered_models")
search_model_versions = _client_call("search_model_versions")

__all__ = ["NotFoundError", "RegistryError", "Experiment", "FileInfo", "Metric", "ModelVersion", "RegisteredModel",
           "Run", "RunData", "RunInfo", "Client", "SCHEMA_VERSION", "ActiveRun", "active_run", "end_run", "get_run",
           "get_tracking_uri", "log_artifact", "log_dict", "log_text", "log_metric", "log_metrics", "log_param",
           "log_params",
           "register_model", "resolve_model_uri", "search_runs", "set_experiment", "set_tag", "set_tags",
           "set_tracking_uri", "start_run", "set_registered_model_alias", "delete_registered_model_alias",
           "get_model_version_by_alias", "get_model_version", "get_metric_history", "search_registered_models",
           "search_model_versions"]
