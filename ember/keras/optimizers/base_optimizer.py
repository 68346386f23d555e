"""The Keras optimizer base: Keras's arguments and update rules on ember's ``optim.Optimizer``.

A Keras optimizer is made before the model's weights exist (``Adam(learning_rate=1e-3)``),
so it is an ``ember.optim.Optimizer`` whose parameter groups are filled by ``build(variables)``
(``fit`` does it). After that it is an ordinary ember optimizer: ``step()``,
``zero_grad()``, ``state_dict()``, ``param_groups``. Each step applies, as Keras does,
gradient clipping (``clipvalue``, ``clipnorm``, ``global_clipnorm``), decoupled weight
decay (``w -= lr * weight_decay * w``), then the subclass's ``update_step``; the
learning rate may be a float or a schedule evaluated at ``iterations``.

Also as Keras: ``gradient_accumulation_steps=n`` sums the gradients of ``n`` calls and applies their
mean on every ``n``-th (``iterations`` counts every call); ``use_ema`` keeps an exponential moving
average of each variable (``ema_momentum``, copied into the variables every
``ema_overwrite_frequency`` steps and by ``finalize_variable_values``); ``loss_scale_factor`` is
exposed as ``scale_loss(loss)`` and divided out of the gradients.
"""
import re
import math
from collections import OrderedDict, defaultdict

import numpy as np

from ... import optim
from ...autograd.tensor import Tensor, make
from .. import backend as _backend
from .. import scopes as _scopes
from ..variables import Variable
from . import schedules as _schedules


class Optimizer(optim.Optimizer):
    """Base class; subclasses define ``update_step(grad, param, lr, state)`` on NumPy arrays."""

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        kwargs.pop("decay", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unrecognized argument(s) {sorted(kwargs)}")
        if sum(v is not None for v in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                             f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        if gradient_accumulation_steps is not None and (int(gradient_accumulation_steps) != gradient_accumulation_steps
                                                        or gradient_accumulation_steps < 2):
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        if use_ema and not 0 <= ema_momentum <= 1:
            raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
        # Keras's automatic name: the snake-cased class name, numbered per session ('adam', 'adam_1' ...).
        self.name = name or _backend.unique_name(_backend.to_snake_case(type(self).__name__))
        self._scope_path = _scopes.scoped_name(self.name)   # Keras: 'adam/iteration', 'adam/<var path>_momentum'
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum, self.ema_overwrite_frequency = ema_momentum, ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._exclude_wd_ids, self._exclude_wd_pattern = set(), None
        self._ema, self._accumulated = {}, {}
        if isinstance(learning_rate, dict):
            learning_rate = _schedules.deserialize(learning_rate)
        self._learning_rate = learning_rate
        # The step counter is a 0-d int32 tensor (Keras's dtype) updated in place (not a Python int), so a
        # training step that reads it can be captured by ember.compile.
        self._iterations = make(np.zeros((), np.int32))
        self.built = False
        self.defaults = {"lr": self._current_lr()}
        for attr in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            setattr(self, attr, OrderedDict())
        self.state = defaultdict(dict)
        self.param_groups = []

    @property
    def iterations(self):
        """Updates done so far (Keras's ``optimizer.iterations``: batches, divided by
        ``gradient_accumulation_steps`` when gradients are accumulated)."""
        n = int(self._iterations._data)
        return n // self.gradient_accumulation_steps if self.gradient_accumulation_steps else n

    def _local_step(self):
        """``iterations + 1`` as a 0-d array (read as data, so that a captured step sees the current value)."""
        it = self._iterations._data
        if self.gradient_accumulation_steps:
            it = it // self.gradient_accumulation_steps
        return it + 1

    @iterations.setter
    def iterations(self, value):
        self._iterations._data[...] = int(value)

    # -- learning rate -------------------------------------------------------------------------
    def _current_lr(self):
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return float(lr(int(self._iterations._data)))
        if callable(lr):
            return float(lr())
        return float(lr)

    @property
    def learning_rate(self):
        return self._current_lr()

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as its "
                            "`learning_rate` constructor argument, hence its learning rate is not settable.")
        self._learning_rate = float(value)
        for group in self.param_groups:
            group["lr"] = float(value)

    lr = learning_rate

    # -- building ------------------------------------------------------------------------------
    def build(self, var_list):
        """Attach the variables (trainable parameters) this optimizer updates."""
        var_list = [v for v in var_list]
        if not var_list:
            raise ValueError(f"{type(self).__name__}.build: there are no trainable variables to optimize")
        self.param_groups = []
        self.add_param_group({"params": var_list, "lr": self._current_lr()})
        for p in var_list:
            if not getattr(p, "overwrite_with_gradient", False):   # Keras gives those no slots
                self._slots(p)
        self.built = True

    @property
    def variables(self):
        """Keras's optimizer variables: ``iterations``, the learning rate (unless scheduled), then the slots."""
        out = [self._named(np.array(self.iterations, np.int32), "iteration")]
        if self.gradient_accumulation_steps is None:
            out[0]._data = self._iterations._data   # the live counter (assign() on it counts)
        if not isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            out.append(self._named(np.array(self._current_lr(), np.float32), "learning_rate"))
        params = self._params()
        groups = self._slot_groups or (None,)
        for group in groups:
            # Keras creates the slots a group at a time (each group interleaved per variable), and that
            # order is the order of optimizer/vars in its files.
            for p in params:
                state = self.state.get(p, {})
                keys = group if group is not None else list(state)
                out += [state[k] for k in keys if isinstance(state.get(k), Tensor)]
        return out + list(self.__dict__.get("_user_variables", []))

    # Keras's slot-creation groups, e.g. (("momentum", "velocity"), ("velocity_hat",)); None: one group of
    # every slot in build_slots order.
    _slot_groups = None

    def _params(self):
        return [p for g in self.param_groups for p in g["params"]]

    # -- applying gradients --------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Keras's API: update each variable from its gradient (``[(grad, var), ...]``)."""
        grads_and_vars = list(grads_and_vars)
        return self.apply([g for g, _ in grads_and_vars], [v for _, v in grads_and_vars])

    def apply(self, grads, trainable_variables=None):
        """Keras's API: update ``trainable_variables`` (default: the variables it was built on) from
        ``grads``, in the same order."""
        grads = list(grads)
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must already be built "
                                 "on a list of variables. Call `optimizer.build(trainable_variables)` first.")
            trainable_variables = self._params()
            if len(grads) != len(trainable_variables):
                raise ValueError(f"When passing `grads` as a list of gradient tensors, the gradients must match "
                                 f"the optimizer's variables one-to-one. Received a list of {len(grads)} "
                                 f"gradients, but the optimizer is tracking {len(trainable_variables)} trainable "
                                 "variables.")
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        for g, v in zip(grads, trainable_variables):
            v._grad = g if g is None or isinstance(g, Tensor) else make(np.asarray(g, v._data.dtype))
        self.step()
        return self.iterations

    def step(self, closure=None):
        """One update of every parameter that has a gradient (Keras's clipping, weight decay and rule)."""
        loss = self._eval_closure(closure)
        lr = self._current_lr()
        pairs = [(p, p._grad._data) for g in self.param_groups for p in g["params"] if p._grad is not None]
        # Keras: a variable with `overwrite_with_gradient` (float8 scales) takes its gradient as its new value.
        for p, gd in pairs:
            if getattr(p, "overwrite_with_gradient", False):
                p._data[...] = gd
                p._bump()
        pairs = [(p, gd) for p, gd in pairs if not getattr(p, "overwrite_with_gradient", False)]
        if self.loss_scale_factor is not None:
            pairs = [(p, gd / self.loss_scale_factor) for p, gd in pairs]
        if self.gradient_accumulation_steps:
            pairs = self._accumulate(pairs)
            if pairs is None:
                if self.use_ema:
                    self._update_ema(())
                np.add(self._iterations._data, 1, out=self._iterations._data)
                return loss
        if self.global_clipnorm is not None:
            norm = math.sqrt(sum(float(np.sum(np.square(gd, dtype=np.float64))) for _, gd in pairs))
            if norm > self.global_clipnorm:
                pairs = [(p, gd * (self.global_clipnorm / norm)) for p, gd in pairs]
        for group in self.param_groups:
            group["lr"] = lr
        self._before_update(lr)
        for p, gd in pairs:
            if self.clipnorm is not None:
                n = float(np.sqrt(np.sum(np.square(gd, dtype=np.float64))))
                if n > self.clipnorm:
                    gd = gd * (self.clipnorm / n)
            elif self.clipvalue is not None:
                gd = np.clip(gd, -self.clipvalue, self.clipvalue)
            wd = self._weight_decay_for(p)
            if wd:
                p._data -= (lr * wd) * p._data
            if _keras_style_update(type(self)):
                # A Keras-style subclass: update_step(gradient, variable, learning_rate) on tensors, writing with
                # self.assign / assign_add / assign_sub and the variables its build() made.
                self.update_step(make(gd), p, make(np.asarray(lr, np.float32)))
            else:
                self.update_step(gd, p, lr, self._slots(p))
            constraint = getattr(p, "constraint", None)
            if constraint is not None:  # Keras projects a constrained variable after its update
                p._data[...] = constraint(make(p._data))._data
            p._bump()
        if self.use_ema:
            self._update_ema(pairs)
        np.add(self._iterations._data, 1, out=self._iterations._data)
        return loss

    def _before_update(self, lr):
        """Once per applied step, before the variables are updated (Nadam's momentum-cache product)."""

    def _accumulate(self, pairs):
        """Add this call's gradients to the accumulators; on every n-th call return the mean gradients."""
        n = self.gradient_accumulation_steps
        for p, gd in pairs:
            acc = self._accumulated.get(p)
            if acc is None:
                acc = self._accumulated[p] = np.zeros_like(p._data)
            acc += gd
        if (int(self._iterations._data) + 1) % n != 0:
            return None
        out = [(p, self._accumulated[p] / n) for p, _ in pairs]
        for a in self._accumulated.values():
            a[...] = 0
        return out

    def _update_ema(self, pairs):
        m = self.ema_momentum if self.iterations != 0 else 0.0
        for p in self._params():
            avg = self._ema.get(p)
            if avg is None:
                avg = self._ema[p] = np.array(p._data, copy=True)
            avg *= m
            avg += (1 - m) * p._data
        if self.ema_overwrite_frequency and (self.iterations + 1) % self.ema_overwrite_frequency == 0:
            self.finalize_variable_values(self._params())

    def finalize_variable_values(self, var_list):
        """With ``use_ema``: set each variable to its moving average (Keras calls it at the end of ``fit``)."""
        if self.use_ema:
            for p in var_list:
                if p in self._ema:
                    p._data[...] = self._ema[p]
                    p._bump()

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` (the gradients are divided by it again before the update)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Leave the variables ``var_list``, and those whose name or path matches one of ``var_names``, out
        of the weight decay. Must be called before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is "
                             "built.")
        self._exclude_wd_ids = {id(v) for v in (var_list or [])}
        self._exclude_wd_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, p):
        if id(p) in self._exclude_wd_ids:
            return False
        if self._exclude_wd_pattern is not None:
            name = getattr(p, "path", None) or getattr(p, "name", None) or ""
            if self._exclude_wd_pattern.search(str(name)):
                return False
        return True

    def _weight_decay_for(self, p):
        return self.weight_decay if self.weight_decay and self._use_weight_decay(p) else None

    def _named(self, value, name):
        v = Variable(value, dtype=value.dtype, trainable=False, name=name)
        v._set_path(f"{self._scope_path}/{name}")
        return v

    def _slots(self, p):
        state = self.state[p]
        if not state:
            self.build_slots(p, state)
            # Keras's optimizer variables: '<reference path with _ for />_<slot>' in the optimizer's scope.
            ref = str(getattr(p, "path", None) or getattr(p, "name", None) or "variable").replace("/", "_")
            with _scopes.name_scope(self.name, caller=self):
                for key, value in list(state.items()):
                    if isinstance(value, Tensor) and not isinstance(value, Variable):
                        state[key] = Variable(value._data, dtype=value._data.dtype, trainable=False,
                                              name=f"{ref}_{key}")
        return state

    def build_slots(self, param, state):
        """Create the per-variable state (momentum buffers ...)."""

    # -- Keras's API for optimizer subclasses (build() makes variables, update_step assigns them) -----------
    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none", name=None):
        """A new optimizer variable (listed in ``variables`` after the built-in ones, saved with the model)."""
        from .. import initializers as _init
        value = _init.get(initializer)(tuple(shape), dtype or "float32")
        with _scopes.name_scope(self.name, caller=self):
            v = Variable(value._data, dtype=value._data.dtype, trainable=False, name=name or "variable")
        self.__dict__.setdefault("_user_variables", []).append(v)
        return v

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A variable shaped like ``reference_variable``, named ``<its path with _ for />_<name>`` as Keras."""
        ref = str(getattr(reference_variable, "path", None) or "variable").replace("/", "_")
        return self.add_variable(tuple(reference_variable.shape), initializer,
                                 np.dtype(reference_variable._data.dtype).name, name=f"{ref}_{name}" if name else ref)

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One variable per trainable variable (``add_variable_from_reference``); a list, or a list of lists
        for a list of names."""
        names = [name] if isinstance(name, str) else list(name)
        made = [[self.add_variable_from_reference(v, n, initializer) for v in trainable_variables] for n in names]
        return made[0] if isinstance(name, str) else made

    def assign(self, variable, value):
        variable.assign(value)

    def assign_add(self, variable, value):
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        variable.assign_sub(value)

    def _get_variable_index(self, variable):
        """The position of ``variable`` in the list the optimizer was built on (Keras's helper)."""
        for i, p in enumerate(self._params()):
            if p is variable:
                return i
        raise KeyError(f"{getattr(variable, 'path', variable)} is not a variable of this optimizer")

    def update_step(self, gradient, variable, learning_rate, state):
        raise NotImplementedError

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self):
        sd = super().state_dict()
        sd["iterations"] = self.iterations
        return sd

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        self.iterations = int(state_dict.pop("iterations", self.iterations))
        super().load_state_dict(state_dict)

    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr = _schedules.serialize(lr)
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency, "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<keras.optimizers.{type(self).__name__} learning_rate={self.learning_rate:g}>"


def _keras_style_update(cls):
    """Whether ``cls.update_step`` is Keras's ``(gradient, variable, learning_rate)`` rather than ember's, which
    also takes the variable's ``state``."""
    import inspect
    try:
        params = list(inspect.signature(cls.update_step).parameters)
    except (TypeError, ValueError):
        return False
    return len(params) == 4 and params[-1] != "state"


def slot(param, fill=0.0):
    return make(np.full(param._data.shape, fill, dtype=param._data.dtype))
