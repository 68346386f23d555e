"""``RegistryLogger``: log a ``fit`` to ember's tracking registry (ember.registry), as MLflow's
``mlflow.keras.MlflowCallback`` logs to MLflow.

At train begin it logs the optimizer's config as params ``optimizer_<key>`` (as MLflow's callback
does) and ``epochs``/``steps`` from ``fit``, plus the model summary as the artifact
``model_summary.txt``; every epoch it logs the epoch's logs (``loss``, metrics, ``val_*``) at
step = epoch (or, with ``log_every_n_steps=N``, the batch logs every N optimizer steps); at train
end it saves the model as the artifact ``model/model.keras`` and, with ``register_as``,
registers it as the next version of that model.

It logs to the active run (``ember.registry.start_run``) when there is one; otherwise it starts
its own run at train begin and ends it FINISHED at train end. (A ``fit`` that raises leaves its
own run RUNNING: Keras calls no callback on an exception.)

>>> import os, tempfile, numpy as np
>>> from ember import keras, registry
>>> registry.set_tracking_uri(os.path.join(tempfile.mkdtemp(), "runs.db"))
>>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
>>> model.compile(optimizer="sgd", loss="mse")
>>> logger = RegistryLogger(run_name="demo")
>>> _ = model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[logger])
>>> run = registry.get_run(logger.run_id)
>>> run.info.status, sorted(run.data.metrics), run.data.params["epochs"]
('FINISHED', ['loss'], '2')
>>> registry.set_tracking_uri(None)
"""
import os
import tempfile

from .callback import Callback


class RegistryLogger(Callback):
    """Args:
        log_every_epoch (bool): log the epoch logs after every epoch (default True).
        log_every_n_steps (int): instead, log the batch logs every N optimizer steps (then
            ``log_every_epoch`` must be False), as MLflow's callback.
        log_model (bool): save the trained model into the run as ``model/model.keras`` (default True).
        register_as (str): also register that file as the next version of this model name.
        run_name, experiment_name, tracking_uri: for the run this callback starts when none is active.
    """

    def __init__(self, log_every_epoch=True, log_every_n_steps=None, log_model=True, register_as=None,
                 run_name=None, experiment_name=None, tracking_uri=None):
        super().__init__()
        if log_every_epoch and log_every_n_steps is not None:
            raise ValueError("RegistryLogger: `log_every_n_steps` must be None if `log_every_epoch=True`, received "
                             f"log_every_epoch={log_every_epoch} and log_every_n_steps={log_every_n_steps}")
        if not log_every_epoch and log_every_n_steps is None:
            raise ValueError("RegistryLogger: give `log_every_n_steps` when `log_every_epoch=False`")
        if log_every_n_steps is not None and (not isinstance(log_every_n_steps, int) or log_every_n_steps < 1):
            raise ValueError(f"RegistryLogger: log_every_n_steps must be a positive int, got {log_every_n_steps!r}")
        if register_as is not None:
            from ...registry.client import check_model_name
            check_model_name(register_as)
            if not log_model:
                raise ValueError("RegistryLogger: register_as needs log_model=True (the model file is what is "
                                 "registered)")
        self.log_every_epoch, self.log_every_n_steps = log_every_epoch, log_every_n_steps
        self.log_model, self.register_as = log_model, register_as
        self.run_name, self.experiment_name, self.tracking_uri = run_name, experiment_name, tracking_uri
        self.client = self.run_id = None
        self.model_version = None
        self._own_run = False

    def on_train_begin(self, logs=None):
        from ... import registry
        active = registry.fluent.active_client()
        if active is not None:
            self.client, self.run_id = active
            self._own_run = False
        else:
            self.client = registry.Client(self.tracking_uri)
            experiment = "0"
            if self.experiment_name:
                found = self.client.get_experiment_by_name(self.experiment_name)
                experiment = found.experiment_id if found else self.client.create_experiment(self.experiment_name)
            run = self.client.create_run(experiment, run_name=self.run_name,
                                         tags={"ember.source": "ember.keras fit"})
            self.run_id, self._own_run = run.info.run_id, True
        params = {k: self.params[k] for k in ("epochs", "steps") if self.params.get(k) is not None}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            params.update({f"optimizer_{k}": v for k, v in optimizer.get_config().items()})
        self.client.log_batch(self.run_id, params=params)
        lines = []
        self.model.summary(print_fn=lambda line, *a, **k: lines.append(line))
        self.client.log_text(self.run_id, "\n".join(lines) + "\n", "model_summary.txt")

    def _log(self, logs, step):
        numbers = {k: float(v) for k, v in (logs or {}).items() if _is_number(v)}
        if numbers:
            self.client.log_batch(self.run_id, metrics=numbers, step=step)

    def on_epoch_end(self, epoch, logs=None):
        if self.log_every_epoch:
            self._log(logs, epoch)

    def on_train_batch_end(self, batch, logs=None):
        if self.log_every_n_steps is None:
            return
        iterations = self.model.optimizer.iterations        # a Variable in Keras, a plain count here
        step = int(iterations.numpy() if hasattr(iterations, "numpy") else iterations)
        if step % self.log_every_n_steps == 0:
            self._log(logs, step)

    def on_train_end(self, logs=None):
        if self.log_model:
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.keras")
                self.model.save(path)
                info = self.client.log_artifact(self.run_id, path, artifact_path="model")
            if self.register_as:
                from ...registry import register_model
                self.model_version = register_model(f"runs:/{self.run_id}/{info.path}", self.register_as,
                                                    tracking_uri=self.client.tracking_uri)
        if self._own_run:
            self.client.set_terminated(self.run_id, "FINISHED")


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return getattr(value, "ndim", 0) == 0
