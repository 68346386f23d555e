"""The module-level tracking API, as MLflow's: a current tracking URI and a stack of active runs.

``start_run`` opens a run (RUNNING) and makes it active; as a context manager it ends the run
FINISHED on a clean exit, FAILED on an exception and KILLED on Ctrl-C. The ``log_*`` functions
write to the active run, starting one if there is none (as MLflow does; such a run ends when the
process exits). Active runs belong to the thread that started them.

The tracking URI is, in order: ``set_tracking_uri(uri)``, the environment variable
``EMBER_TRACKING_URI``, or ``sqlite:///ember-runs.db`` (a file in the working directory).

>>> import os, tempfile
>>> set_tracking_uri(os.path.join(tempfile.mkdtemp(), "runs.db"))
>>> with start_run(run_name="demo") as run:
...     _ = log_param("lr", 0.01)
...     log_metric("loss", 0.25, step=1)
>>> get_run(run.info.run_id).info.status
'FINISHED'
>>> set_tracking_uri(None)
"""
import atexit
import os
import threading

from ._db import DEFAULT_TRACKING_URI
from .client import Client
from .entities import Run
from .errors import RegistryError

_tracking_uri = None
_experiment_id = None
_local = threading.local()


def set_tracking_uri(uri):
    """Make ``uri`` (``sqlite:///path.db`` or a path; None: back to the default) the tracking URI."""
    global _tracking_uri
    _tracking_uri = None if uri is None else os.fspath(uri)


def get_tracking_uri():
    return _tracking_uri or os.environ.get("EMBER_TRACKING_URI") or DEFAULT_TRACKING_URI


def set_experiment(experiment_name=None, experiment_id=None):
    """Make an experiment current for new runs, creating ``experiment_name`` if it does not exist."""
    global _experiment_id
    client = Client()
    if experiment_id is not None:
        experiment = client.get_experiment(experiment_id)
    elif experiment_name is not None:
        experiment = client.get_experiment_by_name(experiment_name)
        if experiment is None:
            experiment = client.get_experiment(client.create_experiment(experiment_name))
    else:
        raise RegistryError("ember.registry.set_experiment: give experiment_name or experiment_id")
    _experiment_id = experiment.experiment_id
    return experiment


def _stack():
    if not hasattr(_local, "runs"):
        _local.runs = []
    return _local.runs


class ActiveRun(Run):
    """The run ``start_run`` returns: a Run that ends itself when its ``with`` block exits."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        status = ("FINISHED" if exc_type is None else
                  "KILLED" if issubclass(exc_type, KeyboardInterrupt) else "FAILED")
        end_run(status, _run_id=self.info.run_id)
        return False


def start_run(run_id=None, experiment_id=None, run_name=None, nested=False, tags=None, description=None,
              experiment_name=None, tracking_uri=None):
    """Start a new run (or resume ``run_id``) and make it the active run.

    Args:
        experiment_id / experiment_name: where the run goes (default: the ``set_experiment`` one,
            else the environment's ``EMBER_EXPERIMENT_NAME`` or ``EMBER_EXPERIMENT_ID``, else
            'Default'); an unknown ``experiment_name`` is created.
        run_name (str): a display name (default ``run-<first 8 hex digits of the id>``).
        nested (bool): allow starting it while another run is active (it records its parent in
            the tag ``ember.parentRunId``).
        tags (dict): tags to set at once.
        tracking_uri: the database for this run (default: the current tracking URI).
    """
    stack = _stack()
    if stack and not nested:
        raise RegistryError(f"ember.registry.start_run: run {stack[-1][1].info.run_id} is already active; "
                            f"end it with end_run() or pass nested=True")
    client = Client(tracking_uri)
    if run_id is not None:
        client.update_run(run_id, status="RUNNING")
        if tags:
            client.log_batch(run_id, tags=tags)
    else:
        if experiment_name is None and experiment_id is None and _experiment_id is None:
            # As MLFLOW_EXPERIMENT_NAME / MLFLOW_EXPERIMENT_ID do for MLflow.
            experiment_name = os.environ.get("EMBER_EXPERIMENT_NAME") or None
        if experiment_name is not None:
            experiment = client.get_experiment_by_name(experiment_name)
            experiment_id = experiment.experiment_id if experiment else client.create_experiment(experiment_name)
        elif experiment_id is None:
            experiment_id = _experiment_id or os.environ.get("EMBER_EXPERIMENT_ID") or "0"
        tags = dict(tags or {})
        if stack:
            tags["ember.parentRunId"] = stack[-1][1].info.run_id
        run_id = client.create_run(experiment_id, run_name=run_name, tags=tags, description=description).info.run_id
    run = client.get_run(run_id)
    active = ActiveRun(run.info, run.data)
    stack.append((client, active))
    return active


def active_run():
    """The active run (as it was when started), or None."""
    stack = _stack()
    return stack[-1][1] if stack else None


def end_run(status="FINISHED", _run_id=None):
    """End the active run (the innermost one) with ``status``; nothing happens if none is active."""
    stack = _stack()
    if not stack:
        return
    index = len(stack) - 1
    if _run_id is not None:
        ids = [r.info.run_id for _, r in stack]
        if _run_id not in ids:
            return                              # already ended by an explicit end_run()
        index = ids.index(_run_id)
    for client, run in reversed(stack[index:]):  # ending a parent ends the children it still has open
        client.set_terminated(run.info.run_id, status)
    del stack[index:]


def active_client():
    """(Client, run_id) of the active run, or None: for integrations that log to it (the Keras callback)."""
    stack = _stack()
    return (stack[-1][0], stack[-1][1].info.run_id) if stack else None


def _current():
    stack = _stack()
    if not stack:
        start_run()
    client, run = stack[-1]
    return client, run.info.run_id


def log_param(key, value):
    """Record the param ``key`` of the active run (text; dicts/lists/bools as JSON). Returns ``value``."""
    client, run_id = _current()
    return client.log_param(run_id, key, value)


def log_params(params):
    client, run_id = _current()
    client.log_batch(run_id, params=params)


def log_metric(key, value, step=None, timestamp=None):
    """Append a value of the metric ``key`` at ``step`` (default 0) to the active run."""
    client, run_id = _current()
    client.log_metric(run_id, key, value, timestamp=timestamp, step=step)


def log_metrics(metrics, step=None):
    """Log a dict of metrics at one ``step``, in one transaction."""
    client, run_id = _current()
    client.log_batch(run_id, metrics=dict(metrics), step=step)


def set_tag(key, value):
    client, run_id = _current()
    client.set_tag(run_id, key, value)


def set_tags(tags):
    client, run_id = _current()
    client.log_batch(run_id, tags=tags)


def log_artifact(local_path, artifact_path=None):
    """Copy the file ``local_path`` into the active run's artifacts; returns its FileInfo (with sha256)."""
    client, run_id = _current()
    return client.log_artifact(run_id, local_path, artifact_path)


def log_text(text, artifact_file):
    """Store ``text`` as the active run's artifact ``artifact_file``; returns its FileInfo."""
    client, run_id = _current()
    return client.log_text(run_id, text, artifact_file)


def log_dict(dictionary, artifact_file):
    """Store ``dictionary`` as JSON in the active run's artifact ``artifact_file``; returns its FileInfo."""
    client, run_id = _current()
    return client.log_dict(run_id, dictionary, artifact_file)


def get_run(run_id):
    return Client().get_run(run_id)


def search_runs(experiment_ids=None, filter_string="", max_results=1000, order_by=None, experiment_names=None):
    """Runs matching ``filter_string`` (MLflow's syntax, see ``ember.registry.search``), newest first,
    as a list of Run (MLflow's ``output_format="list"``)."""
    client = Client()
    if experiment_names is not None:
        found = [client.get_experiment_by_name(n) for n in experiment_names]
        experiment_ids = list(experiment_ids or []) + [e.experiment_id for e in found if e is not None]
    return client.search_runs(experiment_ids, filter_string, max_results, order_by)


def register_model(model_uri, name, tracking_uri=None):
    """Register the file or URI ``model_uri`` (a path, ``runs:/RUN_ID/PATH``, ``models:/...``) as the
    next version of ``name``, creating the registered model if needed. Returns the ModelVersion."""
    client = Client(tracking_uri)
    from .client import check_model_name
    from .errors import NotFoundError
    check_model_name(name)
    try:
        client.get_registered_model(name)
    except NotFoundError:
        try:
            client.create_registered_model(name)
        except RegistryError:
            pass                                # another process created it meanwhile
    return client.create_model_version(name, model_uri)


def resolve_model_uri(uri, tracking_uri=None):
    """The local path of the model file that ``uri`` names, its sha256 verified.

    ``models:/NAME@ALIAS``, ``models:/NAME/VERSION``, ``models:/NAME/latest``, ``runs:/RUN_ID/PATH``
    or a plain file path (returned as an absolute path). Unknown models, versions, aliases and
    runs raise ``NotFoundError`` (a ``LookupError``) naming what exists; a file whose digest no
    longer matches raises ``RegistryError``.
    """
    return Client(tracking_uri).resolve_model_uri(uri)


def _end_at_exit():
    stack = _stack()
    while stack:
        end_run("FINISHED")


atexit.register(_end_at_exit)
