"""``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` methods of a Keras model.

One training step is one function, ``step(x, y, sample_weight) -> (loss, y_pred, output_losses)``:
forward pass with ``training=True``, the compiled loss plus the layers' regularization
losses, backward pass, optimizer update. ``make_train_function`` builds it once per
compile, and with ``jit_compile`` True or ``'auto'`` (the default) wraps it with
``ember.compile`` (graph capture) when ember has it; without it the eager function runs
(with ``'auto'`` silently, with ``True`` after one warning). Metrics are updated
outside the step, on the step's outputs.

Logs (``history.history``, callbacks, the progress bar) hold the running mean of the
loss over the epoch (weighted by batch size) and the metrics' running results, keys
sorted as Keras sorts them (``accuracy``, ``loss``, ``val_accuracy``, ``val_loss``).
"""
import inspect
import warnings

import numpy as np

from ...autograd import grad_mode, ops
from ...autograd.tensor import Tensor
from .. import backend
from .. import losses as _losses
from .. import metrics as _metrics
from .. import optimizers as _optimizers
from ..graph import flatten, map_structure
from . import data_adapters
from .compile_utils import CompileLoss, CompileMetrics


def _tensors(x):
    return map_structure(lambda a: backend.convert_to_tensor(a) if a is not None else None, x)


def _numpy(x):
    return map_structure(lambda t: t._data if isinstance(t, Tensor) else t, x)


def _metric_inputs(y_pred):
    """Predictions for the compiled metrics: NumPy arrays, except that an output carrying a Keras mask stays
    a (detached) tensor with that mask, which the metrics apply as Keras does (masked steps weigh 0)."""
    def leaf(t):
        if not isinstance(t, Tensor):
            return t
        mask = getattr(t, "_keras_mask", None)
        if mask is None:
            return t._data
        out = t.detach()
        out._keras_mask = mask
        return out
    return map_structure(leaf, y_pred)


def _sublayer_metrics(model):
    """Metrics held as attributes of ``model``'s layers, depth first (a nested model's own trackers are its
    own, as Keras skips Trainers; their layers' metrics still count)."""
    found, seen = [], set()
    stack = list(getattr(model, "_modules", {}).values())[::-1]
    while stack:
        layer = stack.pop()
        if layer is None or id(layer) in seen:
            continue
        seen.add(id(layer))
        if not isinstance(layer, Trainer):
            found += [v for v in layer.__dict__.values() if isinstance(v, _metrics.Metric)]
        stack += list(getattr(layer, "_modules", {}).values())[::-1]
    return found


def _batch_size_of(x):
    leaves = [leaf for leaf in flatten(x) if leaf is not None]
    return len(leaves[0]) if leaves else 0


def _detach(structure):
    """Tensors in a (nested) structure, cut from the graph."""
    if structure is None:
        return None
    def leaf(t):
        if not isinstance(t, Tensor):
            return t
        out = t.detach()
        mask = getattr(t, "_keras_mask", None)
        if mask is not None:   # an output's Keras mask still weighs the compiled metrics
            out._keras_mask = mask
        return out
    return map_structure(leaf, structure)


class Trainer:
    """The training API shared by ``keras.Model``, ``Sequential`` and functional models."""

    compiled = False
    optimizer = None
    stop_training = False
    history = None
    _initial_epoch = None
    _initial_step = None
    _last_output_losses = None   # the per-output losses of the last compute_loss (a subclass's may set none)
    train_function = None
    _data_parallel = None   # set by fit under MPI (see data_parallel.py)

    # -- compile -------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Configure training: ``optimizer`` (a name or object), ``loss`` (name, object or function, or one per
        output), ``metrics`` (names such as ``'accuracy'`` or objects), ``loss_weights`` for multi-output models.

        ``jit_compile``: ``'auto'`` (default) runs the training step through ``ember.compile`` when ember has
        it and eagerly otherwise; ``False`` always eager. ``auto_scale_loss``: under the ``'mixed_float16'``
        policy the optimizer is wrapped in a ``LossScaleOptimizer`` (dynamic loss scaling), as Keras does.
        """
        self.optimizer = _optimizers.get(optimizer)
        if auto_scale_loss and self.optimizer is not None and self.dtype_policy.name == "mixed_float16" \
                and not isinstance(self.optimizer, _optimizers.LossScaleOptimizer):
            self.optimizer = _optimizers.LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")
            self.__dict__["_auto_loss_scale"] = self.optimizer   # the compile config keeps the optimizer given
        self._compile_loss = CompileLoss(loss, loss_weights) if loss is not None else None
        self.__dict__["_compiled_state_built"] = False   # Keras builds a new compile's loss/metrics on data
        names = getattr(self, "output_names", None)
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics, list(names) if names else None)
        self._loss_tracker = _metrics.Mean(name="loss")
        self._output_loss_trackers = None
        self.loss = loss
        self._compile_config = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                                "metrics": metrics, "weighted_metrics": weighted_metrics,
                                "steps_per_execution": steps_per_execution}
        self.run_eagerly = run_eagerly
        self.jit_compile = jit_compile if not run_eagerly else False
        self.compiled = True
        self.train_function = None
        self.stop_training = False

    def _assert_compiled(self):
        if not self.compiled:
            raise ValueError("You must call `compile()` before using the model.")   # Keras's type

    @property
    def metrics(self):
        """Keras's order: the loss tracker, the compiled metrics (one ``compile_metrics`` object whose
        ``result()`` is a dict), the per-output loss trackers, metrics held as attributes of the model, then
        those held by its layers at any depth (keras.io's endpoint layer updates one in ``call``)."""
        out = []
        if self.compiled:
            out.append(self._loss_tracker)
            if self._compile_metrics.spec is not None:
                out.append(self._compile_metrics)
            out += list(self._output_loss_trackers or [])
        out += [v for k, v in self.__dict__.items() if isinstance(v, _metrics.Metric) and k != "_loss_tracker"]
        return out + [m for m in _sublayer_metrics(self) if all(m is not o for o in out)]

    @property
    def metrics_variables(self):
        """The variables of ``metrics``, in order (Keras's ``model.metrics_variables``)."""
        return [v for m in self.metrics for v in m.variables]

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def get_state_tree(self, value_format="backend_tensor"):
        """Keras's nested state: ``{"trainable_variables", "non_trainable_variables", "optimizer_variables",
        "metrics_variables"}``, each a dict nested by the variables' paths (``{"sequential": {"dense": {"kernel":
        ...}}}``) holding their values (live, as Keras's ``v.value``) or (``value_format="numpy_array"``) copies."""
        if value_format not in ("backend_tensor", "numpy_array"):
            raise ValueError("Invalid `value_format` argument. Expected one of {'numpy_array', 'backend_tensor'}. "
                             f"Received: value_format={value_format}")

        def nested(variables):
            flat = {}
            for v in variables:
                if v.path in flat:
                    raise ValueError(f"The following variable path is found twice in the model: '{v.path}'. "
                                     "`get_state_tree()` can only be called when all variable paths are unique. "
                                     "Make sure to give unique names to your layers (and other objects).")
                # as Keras: "backend_tensor" leaves are the variables' live values (v.value), NumPy ones copies
                flat[v.path] = v.value if value_format == "backend_tensor" else np.array(v._data, copy=True)
            out = {}
            for path, value in flat.items():
                node = out
                *parents, leaf = path.split("/")
                for part in parents:
                    node = node.setdefault(part, {})
                node[leaf] = value
            return out
        optimizer = getattr(self, "optimizer", None)
        return {"trainable_variables": nested(self.trainable_variables),
                "non_trainable_variables": nested(self.non_trainable_variables),
                "optimizer_variables": nested(optimizer.variables if optimizer is not None else []),
                "metrics_variables": nested(self.metrics_variables)}

    def set_state_tree(self, state_tree):
        """Assign the values of a ``get_state_tree()``-shaped dict to the variables with those paths."""
        def flatten(tree, prefix=""):
            for key, value in tree.items():
                if isinstance(value, dict):
                    yield from flatten(value, f"{prefix}{key}/")
                else:
                    yield f"{prefix}{key}", value
        optimizer = getattr(self, "optimizer", None)
        groups = {"trainable_variables": lambda: self.trainable_variables,
                  "non_trainable_variables": lambda: self.non_trainable_variables,
                  "optimizer_variables": lambda: optimizer.variables if optimizer is not None else [],
                  "metrics_variables": lambda: self.metrics_variables}
        for key, tree in state_tree.items():
            if key not in groups:
                raise ValueError(f"Unknown variable name: {key}")
            variables = groups[key]()
            for path, value in flatten(tree):
                for v in variables:
                    if v.path == path:
                        v.assign(value)
                        if key == "optimizer_variables" and path.endswith("/learning_rate"):
                            optimizer.learning_rate = float(np.asarray(v._data))   # ember keeps it as a number

    def _metric_objects(self):
        """Every metric whose state ``evaluate`` saves and restores (the compiled ones one by one)."""
        out = []
        for m in self.metrics:
            out += m.metrics if isinstance(m, CompileMetrics) else [m]
        return out

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    # -- the loss --------------------------------------------------------------------------------
    def _output_names(self):
        names = getattr(self, "output_names", None)
        return list(names) if names else ["output"]

    def _compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """``compute_loss``, given ``training`` only if it takes it: Keras's shim for overrides written before
        Keras 3.3 added the argument (keras.io's Distiller overrides ``compute_loss(x, y, y_pred,
        sample_weight, allow_empty=False)``)."""
        if "training" in inspect.signature(self.compute_loss).parameters:
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of ``y_pred`` against ``y`` plus the model's ``losses`` (regularization)."""
        total, self._last_output_losses = self._loss_and_parts(y, y_pred, sample_weight)
        return total

    def _loss_and_parts(self, y, y_pred, sample_weight):
        # Returns the per-output losses instead of storing them, so a captured training step has
        # no Python side effect (ember.compile replays array work only).
        total = parts = None
        if self._compile_loss is not None:
            if self._compile_loss.losses is None:
                if isinstance(y_pred, dict):  # outputs keyed by name: the keys are the output names
                    names = list(y_pred)
                else:
                    n = len(y_pred) if isinstance(y_pred, (list, tuple)) else 1
                    names = self._output_names()
                    named = len(names) == n
                    names = names if named else [f"output_{i}" for i in range(n)]
                self._compile_loss.build(names, named=isinstance(y_pred, dict) or named)
            total, parts = self._compile_loss(y, y_pred, sample_weight)
        extra = self.losses
        for term in extra:
            total = term if total is None else ops.add(total, term)
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total, parts

    # -- one step --------------------------------------------------------------------------------
    def _train_step_function(self):
        """The whole training step as one function of tensors (the unit ``ember.compile`` captures)."""
        model, optimizer = self, self.optimizer
        trainable = None
        masked = self.__dict__["_outputs_masked"] = [False]

        # Keras's torch trainer passes training=True only to a call that takes it: a subclassed model whose
        # call(inputs) has no `training` runs its layers (BatchNormalization, Dropout) in inference mode in fit.
        call_takes_training = "training" in inspect.signature(model.call).parameters

        def train_step(x, y, sample_weight):
            nonlocal trainable
            y_pred = model(x, training=True) if call_takes_training else model(x)
            if type(model).compute_loss is Trainer.compute_loss:
                loss, parts = model._loss_and_parts(y, y_pred, sample_weight)
            else:  # a subclass's own compute_loss
                loss = model._compute_loss(x, y, y_pred, sample_weight, training=True)
                parts = model._last_output_losses
            if trainable is None:
                trainable = [p for p in model.trainable_weights]
            for p in trainable:
                p._grad = None
            # Keras scales the loss for loss_scale_factor / LossScaleOptimizer; the optimizer unscales.
            (optimizer.scale_loss(loss) if hasattr(optimizer, "scale_loss") else loss).backward()
            if model._data_parallel is not None:
                loss = model._data_parallel.reduce_gradients(trainable, loss, _batch_size_of(x))
            optimizer.step()
            # Read by train_step: a Keras mask is computed from the batch outside the traced ops.
            masked[0] = any(getattr(t, "_keras_mask", None) is not None
                            for t in flatten(y_pred) if isinstance(t, Tensor))
            return loss.detach(), _detach(y_pred), _detach(parts)
        return train_step

    def make_train_function(self, force=False):
        if self.train_function is not None and not force:
            return self.train_function
        # A subclass's own compute_loss may update metrics (Python side effects a captured step would not
        # replay, e.g. a Distiller's loss trackers), and so may a layer holding a metric (keras.io's endpoint
        # layer updates one in call) or the model's own call (Hands-On ML's ReconstructingRegressor updates a
        # Mean it holds): those run eagerly unless jit_compile=True asks otherwise.
        own_metrics = [v for k, v in self.__dict__.items() if isinstance(v, _metrics.Metric) and k != "_loss_tracker"]
        if self.jit_compile == "auto" and (type(self).compute_loss is not Trainer.compute_loss
                                           or own_metrics or _sublayer_metrics(self)):
            self.train_function = self._train_step_function()
            return self.train_function
        fn = self._train_step_function()
        if self.jit_compile in ("auto", True) and self._data_parallel is None:
            try:
                from ... import compiler
                fn = compiler.compile(fn)
            except ImportError:
                if self.jit_compile is True:
                    warnings.warn("jit_compile=True: ember.compile is not available in this version of ember; "
                                  "running the training step eagerly", stacklevel=3)
        self.train_function = fn
        return fn

    def _peek_first_batch(self, adapter):
        """The batch that builds the model. A PyDataset sees Keras's events before the first epoch (see
        PyDatasetAdapter): the symbolic-build batch only while the model or this compile's state is unbuilt."""
        if not isinstance(adapter, data_adapters.PyDatasetAdapter):
            return adapter.peek()
        unbuilt = not self.built or not self.__dict__.get("_compiled_state_built", False)
        self.__dict__["_compiled_state_built"] = True
        return adapter.peek(symbolic_build=unbuilt)

    def _ensure_built(self, x):
        if not self.built:
            self._build_from_data(x)
        if isinstance(self.optimizer, _optimizers.Optimizer) and not self.optimizer.built:
            weights = self.trainable_weights
            if not weights:
                raise ValueError("The model has no trainable weights to train")
            self.optimizer.build(weights)

    def _build_from_data(self, x):
        with grad_mode.no_grad():
            self(_tensors(map_structure(lambda a: a[:1] if a is not None else None, x)), training=False)

    def train_step(self, data):
        """Train on one batch ``(x, y, sample_weight)`` (or ``x``, ``(x,)``, ``(x, y)``); returns the logs
        (running metrics)."""
        x, y, sw = data_adapters.unpack_batch(data)
        fn = self.make_train_function()
        masked = self.__dict__.get("_outputs_masked") or [False]
        masked[0] = False
        loss, y_pred, parts = fn(_tensors(x), _tensors(y), _tensors(sw))
        if masked[0] and fn is not self.__dict__.get("_eager_train_function"):
            # The outputs carry a mask that depends on each batch's data (padding), which a replayed
            # capture would not recompute: the metrics need it, so the remaining steps run eagerly.
            self.train_function = self.__dict__["_eager_train_function"] = self._train_step_function()
        self._update_metrics(loss, x, y, y_pred, sw, parts)
        return self.get_metrics_result()

    def test_step(self, data):
        x, y, sw = data_adapters.unpack_batch(data)
        with grad_mode.no_grad():
            y_pred = self(_tensors(x), training=False)
            loss = self._compute_loss(_tensors(x), _tensors(y), y_pred, _tensors(sw), training=False)
        self._update_metrics(loss, x, y, y_pred, sw, self._last_output_losses)
        return self.get_metrics_result()

    def predict_step(self, data):
        x, _, _ = data_adapters.unpack_batch(data)
        with grad_mode.no_grad():
            return _numpy(self(_tensors(x), training=False))

    def _update_metrics(self, loss, x, y, y_pred, sw, parts=None):
        n = _batch_size_of(x) if self._data_parallel is None else self._data_parallel.rows_of(x)
        self._loss_tracker.update_state(float(loss._data), sample_weight=n)
        # As Keras: one "<output>_loss" tracker per output that has a loss, when more than one has
        # (compile(loss=[loss_fn, None]) logs only "loss").
        with_loss = [i for i, fn in enumerate(getattr(self._compile_loss, "losses", None) or []) if fn is not None]
        if parts is not None and len(with_loss) > 1:
            if self._output_loss_trackers is None:
                self._output_loss_trackers = [_metrics.Mean(name=self._compile_loss.tracker_name(i))
                                              for i in with_loss]
            for tracker, i in zip(self._output_loss_trackers, with_loss):
                if i < len(parts) and parts[i] is not None:
                    tracker.update_state(float(parts[i]._data), sample_weight=n)
        if y is None:
            return
        self._update_compiled_metrics(y, y_pred, sw)

    def _update_compiled_metrics(self, y, y_pred, sw):
        preds = _metric_inputs(y_pred)
        if not self._compile_metrics.built:
            self._compile_metrics.build(y, preds, self._compile_loss.output_names if self._compile_loss
                                        else self._output_names(),
                                        named=getattr(self._compile_loss, "named", True))
        names = self._compile_loss.output_names if self._compile_loss else self._output_names()
        self._compile_metrics.update_state(y, preds, sw, names)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Keras's hook for a custom ``train_step``: update the compiled metrics with ``(y, y_pred)`` and return
        ``get_metrics_result()``. As in Keras, the loss tracker is not updated here (``fit``'s own step does it).
        """
        del x   # as Keras's default, which does not use the inputs
        if getattr(self, "_compile_metrics", None) is not None:
            self._update_compiled_metrics(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """The result of every metric in ``metrics`` (dict results merged in), as Python floats."""
        return _pythonify(self._raw_metrics_result())

    def _raw_metrics_result(self):
        logs = {}
        for m in self.metrics:
            r = m.result()
            if isinstance(r, dict):
                logs.update(r)
            else:
                logs[m.name] = r
        return logs

    def _metrics_result_or_logs(self, logs, live=False):
        """Keras's rule: the metrics' results when a step's logs name the same metrics, else the logs. ``live``
        (fit's epoch logs): the results as the metrics return them, read when the epoch's callbacks get them, as
        Keras's torch trainer does; so a metric whose ``result()`` is its own variable shows that variable's value
        after validation has reset and refilled it."""
        result = self._raw_metrics_result()
        if isinstance(logs, dict) and set(logs) == set(_pythonify(result)):
            return result if live else _pythonify(result)
        return _pythonify(logs)

    def _step_data(self, batch, method):
        """The batch as the step ``method`` gets it: ember's own steps take NumPy ``(x, y, sw)``; a step a
        subclass overrides gets what Keras gives it, tensors packed as ``x``-only, ``(x, y)`` or ``(x, y, sw)``."""
        if getattr(type(self), method) is getattr(Trainer, method):
            return batch
        x, y, sw = batch
        packed = tuple(_tensors(v) for v in (x, y, sw) if v is not None) if sw is not None or y is not None \
            else _tensors(x)   # x alone, as Keras hands it over (not a 1-tuple)
        if sw is not None and y is None:
            packed = (_tensors(x), None, _tensors(sw))
        return packed

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns a ``History`` whose ``history`` dict maps each log key
        (``'loss'``, ``'accuracy'``, ``'val_loss'`` ...) to its value per epoch."""
        from ..callbacks.callback_list import CallbackList
        from .. import config
        self._assert_compiled()
        if config.max_epochs() is not None:
            epochs = min(epochs, config.max_epochs())
        if config.max_steps_per_epoch() is not None:
            steps_per_epoch = min(steps_per_epoch or config.max_steps_per_epoch(), config.max_steps_per_epoch())
        if validation_split and validation_data is None:
            if not isinstance(x, (np.ndarray, Tensor, list, tuple, dict)):
                raise ValueError("`validation_split` is only supported for NumPy arrays and tensors; pass "
                                 "`validation_data` for other kinds of input")
            (x, y, sample_weight), validation_data = data_adapters.train_validation_split(
                (data_adapters.to_numpy_structure(x), data_adapters.to_numpy_structure(y),
                 data_adapters._to_numpy(sample_weight)), validation_split)
        seed = int(backend_seed())
        from . import data_parallel
        dp = self._data_parallel = data_parallel.setup()
        if dp is not None:   # one of several MPI ranks: train data-parallel, log and save on rank 0
            seed = dp.agree(seed)
            callbacks, verbose = dp.rank0_only(callbacks, verbose)
            self.train_function = None
        adapter = data_adapters.get_data_adapter(x, y, sample_weight, batch_size, steps_per_epoch, shuffle,
                                                 class_weight, seed)
        self._ensure_built(self._peek_first_batch(adapter)[0])
        if dp is not None:
            dp.sync_weights(self)
        val_adapter = None
        if validation_data is not None:
            vx, vy, vsw = data_adapters.unpack_batch(tuple(validation_data)
                                                     if isinstance(validation_data, (list, tuple))
                                                     else validation_data)
            val_adapter = data_adapters.get_data_adapter(vx, vy, vsw, validation_batch_size or batch_size,
                                                         validation_steps, False)
        callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=epochs, steps=adapter.num_batches)
        self.stop_training = False
        self._initial_epoch = self._initial_step = None
        self.make_train_function()
        callbacks.on_train_begin()
        initial_epoch = self._initial_epoch or initial_epoch
        skip = self._initial_step or 0  # BackupAndRestore resuming inside an epoch
        training_logs = None
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            logs = {}
            for step, batch in enumerate(adapter.batches(epoch)):
                if skip:
                    if step < skip:
                        continue
                    skip = 0
                callbacks.on_train_batch_begin(step)
                if dp is not None:
                    batch = dp.shard(batch)
                logs = _pythonify(self.train_step(self._step_data(batch, "train_step")))
                callbacks.on_train_batch_end(step, logs)
                if dp is not None:
                    self.stop_training = dp.any(self.stop_training)
                if self.stop_training:
                    break
            if getattr(adapter, "exhausted", False) and not logs:
                self.stop_training = True
                break
            epoch_logs = self._metrics_result_or_logs(logs, live=True)
            if val_adapter is not None and _should_eval(epoch, validation_freq):
                # As Keras: validation runs the fit's callbacks' test hooks (the progress bar stays silent).
                val_logs = self._evaluate_adapter(val_adapter, callbacks=callbacks, verbose=0)
                epoch_logs = _pythonify(epoch_logs)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
                epoch_logs = dict(sorted(epoch_logs.items()))
            epoch_logs = _pythonify(epoch_logs)
            callbacks.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if dp is not None:
                self.stop_training = dp.any(self.stop_training)
            if self.stop_training:
                break
        if hasattr(self.optimizer, "finalize_variable_values"):
            self.optimizer.finalize_variable_values(self.trainable_weights)
        callbacks.on_train_end(logs=training_logs)
        if dp is not None:
            self._data_parallel = None
            self.train_function = None
        return self.history

    # -- evaluate / predict --------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """The loss (and metrics) on the given data: a scalar, ``[loss, *metrics]``, or a dict with
        ``return_dict=True``."""
        from ..callbacks.callback_list import CallbackList
        self._assert_compiled()
        adapter = data_adapters.get_data_adapter(x, y, sample_weight, batch_size, steps, False)
        self._ensure_built(self._peek_first_batch(adapter)[0])
        verbose = data_parallel_quiet(verbose)
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                                 steps=adapter.num_batches)
        logs = self._evaluate_adapter(adapter, callbacks, verbose)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def _flatten_metrics_in_order(self, logs):
        """Keras's order for the lists of ``evaluate`` and ``*_on_batch``: the names of ``metrics`` that are
        log keys (for the compiled metrics their own names, which with several outputs are not the prefixed
        keys: those come later), then every other key sorted. Two outputs: ``[loss, a_loss, b_loss, a_mae,
        b_mae]``."""
        names = []
        for metric in self.metrics:
            if metric is self._compile_metrics:
                names += [m.name for m in metric.metrics]
            else:
                names.append(metric.name)
        values = [logs[n] for n in names if n in logs] + [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    def _evaluate_adapter(self, adapter, callbacks, verbose):
        # As Keras: the metrics are reset and keep the evaluation's state afterwards (also fit's validation),
        # and the data starts over (a generator with its first batches).
        self.reset_metrics()
        adapter.reset()
        if callbacks is not None:
            callbacks.on_test_begin()
        logs = {}
        for step, batch in enumerate(adapter.batches(0)):
            if callbacks is not None:
                callbacks.on_test_batch_begin(step)
            logs = _pythonify(self.test_step(self._step_data(batch, "test_step")))
            if callbacks is not None:
                callbacks.on_test_batch_end(step, logs)
        logs = self._metrics_result_or_logs(logs)
        if callbacks is not None:
            callbacks.on_test_end(logs)
        return logs

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for the inputs ``x``, computed in batches (default 32), as NumPy arrays."""
        from ..callbacks.callback_list import CallbackList
        adapter = data_adapters.get_data_adapter(x, None, None, batch_size, steps, False)
        if not self.built:
            self._build_from_data(adapter.peek()[0])
        verbose = data_parallel_quiet(verbose)
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                                 steps=adapter.num_batches)
        callbacks.on_predict_begin()
        outputs = []
        for step, batch in enumerate(adapter.batches(0)):
            callbacks.on_predict_batch_begin(step)
            out = self.predict_step(self._step_data(batch, "predict_step"))
            outputs.append(out)
            callbacks.on_predict_batch_end(step, {"outputs": out})
        callbacks.on_predict_end()
        if not outputs:
            raise ValueError("Unexpected result of `predict_function` (Empty batch_outputs). Please use "
                             "`Model.compile(..., run_eagerly=True)`, or `tf.config.run_functions_eagerly(True)` "
                             "for more information of where went wrong, or file a issue/bug to `tf.keras`.")
        return _concat(outputs)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns the loss (and metrics) of that batch."""
        self._assert_compiled()
        x, y, sw = data_adapters._finish(x, y, sample_weight, class_weight)
        self._ensure_built(x)
        self.reset_metrics()
        logs = _pythonify(self.train_step(self._step_data((x, y, sw), "train_step")))
        return self._on_batch_result(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled()
        x, y, sw = data_adapters._finish(x, y, sample_weight, None)
        self._ensure_built(x)
        self.reset_metrics()
        logs = _pythonify(self.test_step(self._step_data((x, y, sw), "test_step")))
        return self._on_batch_result(logs, return_dict)

    def predict_on_batch(self, x):
        return self.predict_step((data_adapters.to_numpy_structure(x), None, None))

    def _on_batch_result(self, logs, return_dict):
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def get_compile_config(self):
        if not self.compiled:
            return None
        from .. import optimizers
        cfg = self._compile_config
        opt = self.optimizer
        if opt is not None and opt is self.__dict__.get("_auto_loss_scale"):
            opt = opt.inner_optimizer   # as Keras: the optimizer compile was given, not its loss-scale wrapper
        # Keras's keys; jit_compile as Keras's torch backend resolves 'auto' (False)
        return {"optimizer": optimizers.serialize(opt),
                "loss": _serialize_spec(cfg["loss"], _losses.serialize),
                "loss_weights": cfg["loss_weights"],
                "metrics": _serialize_spec(cfg["metrics"], _metrics.serialize),
                "weighted_metrics": _serialize_spec(cfg.get("weighted_metrics"), _metrics.serialize),
                "run_eagerly": bool(self.run_eagerly), "steps_per_execution": cfg.get("steps_per_execution", 1),
                "jit_compile": self.jit_compile is True}

    def compile_from_config(self, config):
        from .. import optimizers
        opt = config.get("optimizer")
        if isinstance(opt, dict):
            opt = optimizers.get(opt)
        self.compile(optimizer=opt or "rmsprop", loss=_deserialize_spec(config.get("loss"), _losses.get),
                     loss_weights=config.get("loss_weights"),
                     metrics=_deserialize_spec(config.get("metrics"), _metrics.get),
                     weighted_metrics=_deserialize_spec(config.get("weighted_metrics"), _metrics.get),
                     run_eagerly=bool(config.get("run_eagerly", False)),
                     steps_per_execution=config.get("steps_per_execution", 1),
                     jit_compile=True if config.get("jit_compile") is True else "auto")


def _pythonify(logs):
    from ..callbacks.callback_list import _pythonify as pythonify
    return pythonify(logs)


def _serialize_spec(spec, fn):
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, (list, tuple)):
        return [_serialize_spec(s, fn) for s in spec]
    if isinstance(spec, dict):
        return {k: _serialize_spec(v, fn) for k, v in spec.items()}
    try:
        return fn(spec)
    except ValueError:
        return None


def _deserialize_spec(spec, fn):
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return [_deserialize_spec(s, fn) for s in spec]
    if isinstance(spec, dict) and "class_name" in spec:
        return fn(spec)
    if isinstance(spec, dict):
        return {k: _deserialize_spec(v, fn) for k, v in spec.items()}
    return spec


def _concat(outputs):
    first = outputs[0]
    if isinstance(first, (list, tuple)):
        return [np.concatenate([o[i] for o in outputs]) for i in range(len(first))]
    if isinstance(first, dict):
        return {k: np.concatenate([o[k] for o in outputs]) for k in first}
    return np.concatenate(outputs)


def _should_eval(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq


def data_parallel_quiet(verbose):
    from .data_parallel import quiet
    return quiet(verbose)


def backend_seed():
    from ...random import _get_rng
    return _get_rng().integers(0, 2 ** 31 - 1)

