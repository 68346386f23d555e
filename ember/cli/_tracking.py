"""Tracking for ``ember train``: ``--track``, ``--tracking-uri``, ``--experiment``, ``--run-name``,
``--register-as`` and ``--alias``.

Tracking is opt-in, as in MLflow (a script logs only when it asks to): a plain ``ember train``
writes no database. With any of the options it logs one run to the registry: the recipe as
params, each epoch's ``loss``, ``accuracy``, ``val_loss`` and ``val_accuracy`` at step = epoch
(0-based, as Keras and MLflow's Keras callback count), ``test_accuracy`` at the end, the saved
model as the artifact ``model/<file>`` and the last checkpoint as ``checkpoint/<file>``;
``--register-as NAME`` then registers that artifact as the next version of NAME (and ``--alias``
points an alias at it). The run ends FINISHED, KILLED on
Ctrl-C, FAILED on an error. ``--resume`` continues the run that the checkpoint belongs to.
"""
import os

_OPTIONS = ("track", "tracking_uri", "register_as")


def add_tracking_arguments(p):
    g = p.add_argument_group("tracking (ember.registry; off unless one of these is given)")
    g.add_argument("--track", action="store_true",
                   help="log params, per-epoch metrics and the model to the tracking database "
                        "($EMBER_TRACKING_URI, else ./ember-runs.db)")
    g.add_argument("--tracking-uri", default=None, metavar="URI",
                   help="log to this database instead (sqlite:///PATH or a path); implies --track")
    g.add_argument("--experiment", default=None, metavar="NAME",
                   help="the experiment of the run (created if new; default: Default)")
    g.add_argument("--run-name", default=None, metavar="NAME", help="the run's display name")
    g.add_argument("--register-as", default=None, metavar="NAME",
                   help="register the trained model as the next version of NAME (implies --track)")
    g.add_argument("--alias", action="append", default=[], metavar="ALIAS",
                   help="with --register-as: point ALIAS (e.g. production) at the new version (repeatable)")


class TrainTracker:
    """One training run in the registry, or nothing when tracking was not asked for.

    Use ``with TrainTracker(args) as tracker:`` around the training; an exception ends the run
    FAILED. ``start`` opens (or, on --resume, reopens) the run, ``log_epoch`` logs the latest
    epoch of a history dict, ``finish`` logs the model and registers it, ``end`` sets a status."""

    def __init__(self, args, fail):
        self.args, self._fail = args, fail
        self.enabled = any(getattr(args, k, None) for k in _OPTIONS)
        self.client = self.run_id = None
        if getattr(args, "alias", None) and not getattr(args, "register_as", None):
            fail("--alias needs --register-as NAME")
        if getattr(args, "register_as", None) and getattr(args, "out", None) == "":
            fail("--register-as needs the model saved: give --out PATH")
        if not self.enabled:
            return
        from ..registry import Client, RegistryError
        from ..registry.client import check_alias, check_model_name
        try:
            if args.register_as:
                check_model_name(args.register_as)
            for alias in args.alias:
                check_alias(alias)
            self.client = Client(args.tracking_uri)
            self.client.search_experiments()          # opens (or creates) the database now, not after training
        except RegistryError as e:
            fail(str(e))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.end("KILLED" if issubclass(exc_type, KeyboardInterrupt) else "FAILED")
        return False

    def start(self, params, checkpoint):
        if not self.enabled:
            return
        checkpoint = os.path.abspath(checkpoint)
        if self.args.resume and "'" not in checkpoint:
            previous = self.client.search_runs(
                filter_string=f"tags.`ember.checkpoint` = '{checkpoint}' and attributes.status != 'FINISHED'",
                max_results=1)
            if previous:
                self.run_id = previous[0].info.run_id
                self.client.update_run(self.run_id, status="RUNNING")
                print(f"tracking: continuing run {self.run_id} in {self.client.tracking_uri}")
                return
        from .. import __version__
        experiment = "0"
        if self.args.experiment:
            found = self.client.get_experiment_by_name(self.args.experiment)
            experiment = found.experiment_id if found else self.client.create_experiment(self.args.experiment)
        run = self.client.create_run(experiment, run_name=self.args.run_name,
                                     tags={"ember.source": "ember train", "ember.version": __version__,
                                           "ember.checkpoint": checkpoint})
        self.run_id = run.info.run_id
        self.client.log_batch(self.run_id, params=params)
        print(f"tracking: run {self.run_id} ({run.info.run_name}) in {self.client.tracking_uri}")

    def log_epoch(self, epoch, history):
        if self.run_id:
            self.client.log_batch(self.run_id, metrics={k: v[-1] for k, v in history.items() if v}, step=epoch)

    def finish(self, model_path, metrics, step, checkpoint=None):
        if not self.run_id:
            return
        self.client.log_batch(self.run_id, metrics=metrics, step=step)
        if checkpoint and os.path.isfile(checkpoint):
            self.client.log_artifact(self.run_id, checkpoint, artifact_path="checkpoint")
        if model_path:
            info = self.client.log_artifact(self.run_id, model_path, artifact_path="model")
            if self.args.register_as:
                from ..registry import register_model
                version = register_model(f"runs:/{self.run_id}/{info.path}", self.args.register_as,
                                         tracking_uri=self.client.tracking_uri)
                for alias in self.args.alias:
                    self.client.set_registered_model_alias(version.name, alias, version.version)
                names = [f"models:/{version.name}/{version.version}"] + [f"models:/{version.name}@{a}"
                                                                          for a in self.args.alias]
                print(f"registered the model as {', '.join(names)}")
        self.end("FINISHED")

    def end(self, status):
        if self.run_id:
            self.client.set_terminated(self.run_id, status)
            self.run_id = None
