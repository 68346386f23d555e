"""What the registry returns: plain, read-only records with MLflow's field names.

A ``Run`` has ``.info`` (``RunInfo``: run_id, experiment_id, run_name, status, start_time,
end_time, artifact_uri) and ``.data`` (``RunData``: params, metrics, the latest value of each,
and tags). Times are milliseconds since the Unix epoch, as in MLflow.

>>> info = RunInfo("0" * 32, "0", "demo", "FINISHED", 0, 1, "/tmp/ember-artifacts/" + "0" * 32)
>>> Run(info, RunData({"lr": "0.1"}, {"loss": 0.5}, {})).data.params["lr"]
'0.1'
"""
from dataclasses import dataclass, field

# A run's life, as in MLflow: RUNNING until it ends FINISHED (clean exit), FAILED (an exception)
# or KILLED (Ctrl-C).
RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    status: str
    start_time: int
    end_time: int
    artifact_uri: str


@dataclass(frozen=True)
class RunData:
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    info: RunInfo
    data: RunData


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    creation_time: int


@dataclass(frozen=True)
class FileInfo:
    """One artifact of a run: its path inside the run, size in bytes and sha256 (hex)."""
    path: str
    file_size: int
    sha256: str


@dataclass(frozen=True)
class ModelVersion:
    """A registered model's version: ``source`` is what was registered (a path or ``runs:/`` URI),
    ``aliases`` the aliases that point at it."""
    name: str
    version: str
    source: str
    run_id: str
    creation_timestamp: int
    sha256: str
    size: int
    aliases: tuple = ()
    description: str = None


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str = None
    latest_version: str = None
    aliases: dict = field(default_factory=dict)
