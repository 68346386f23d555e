"""The Keras optimizer base: Keras's arguments and update rules on ember's ``optim.Optimizer``.

A Keras optimizer is made before the model's weights exist (``Adam(learning_rate=1e-3)``),
so it is an ``ember.optim.Optimizer`` whose parameter groups are filled by ``build(variables)``
(``fit`` does it). After that it is an ordinary ember optimizer: ``step()``,
``zero_grad()``, ``state_dict()``, ``param_groups``. Each step applies, as Keras does,
gradient clipping (``clipvalue``, ``clipnorm``, ``global_clipnorm``), decoupled weight
decay (``w -= lr * weight_decay * w``), then the subclass's ``update_step``; the
learning rate may be a float or a schedule evaluated at ``iterations``.
"""
import math
from collections import OrderedDict, defaultdict

import numpy as np

from ... import optim
from ...autograd.tensor import Tensor, make
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
        self.name = name or type(self).__name__.lower()
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema = use_ema
        if isinstance(learning_rate, dict):
            learning_rate = _schedules.deserialize(learning_rate)
        self._learning_rate = learning_rate
        # The step counter is a 0-d int64 tensor updated in place (not a Python int), so a
        # training step that reads it can be captured by ember.compile.
        self._iterations = make(np.zeros((), np.int64))
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
        """Batches done so far (Keras's ``optimizer.iterations``)."""
        return int(self._iterations._data)

    @iterations.setter
    def iterations(self, value):
        self._iterations._data[...] = int(value)

    # -- learning rate -------------------------------------------------------------------------
    def _current_lr(self):
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return float(lr(self.iterations))
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
            self._slots(p)
        self.built = True

    @property
    def variables(self):
        """Keras's optimizer variables: ``iterations``, the learning rate (unless scheduled), then the slots."""
        out = [make(np.array(self.iterations, np.int64))]
        if not isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            out.append(make(np.array(self._current_lr(), np.float32)))
        for p in self._params():
            out += list(v for v in self.state.get(p, {}).values() if isinstance(v, Tensor))
        return out

    def _params(self):
        return [p for g in self.param_groups for p in g["params"]]

    # -- applying gradients --------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Keras's API: update each variable from its gradient (``[(grad, var), ...]``)."""
        grads_and_vars = list(grads_and_vars)
        return self.apply([g for g, _ in grads_and_vars], [v for _, v in grads_and_vars])

    def apply(self, grads, trainable_variables=None):
        if trainable_variables is None:
            trainable_variables = self._params()
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
        if self.global_clipnorm is not None:
            norm = math.sqrt(sum(float(np.sum(np.square(gd, dtype=np.float64))) for _, gd in pairs))
            if norm > self.global_clipnorm:
                pairs = [(p, gd * (self.global_clipnorm / norm)) for p, gd in pairs]
        for group in self.param_groups:
            group["lr"] = lr
        for p, gd in pairs:
            if self.clipnorm is not None:
                n = float(np.sqrt(np.sum(np.square(gd, dtype=np.float64))))
                if n > self.clipnorm:
                    gd = gd * (self.clipnorm / n)
            elif self.clipvalue is not None:
                gd = np.clip(gd, -self.clipvalue, self.clipvalue)
            if self.weight_decay:
                p._data -= (lr * self.weight_decay) * p._data
            self.update_step(gd, p, lr, self._slots(p))
            p._bump()
        np.add(self._iterations._data, 1, out=self._iterations._data)
        return loss

    def _slots(self, p):
        state = self.state[p]
        if not state:
            self.build_slots(p, state)
        return state

    def build_slots(self, param, state):
        """Create the per-variable state (momentum buffers ...)."""

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
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<keras.optimizers.{type(self).__name__} learning_rate={self.learning_rate:g}>"


def slot(param, fill=0.0):
    return make(np.full(param._data.shape, fill, dtype=param._data.dtype))
