"""``Muon`` (momentum orthogonalized by Newton-Schulz, with AdamW for the other variables) and
``LossScaleOptimizer`` (dynamic loss scaling around another optimizer), with Keras 3's rules."""
import re

import numpy as np

from ...autograd.tensor import Tensor
from .base_optimizer import Optimizer, slot


class Muon(Optimizer):
    """Muon for 2-D variables: ``m += g + (momentum - 1) m``; ``G = g + momentum m`` (Nesterov) or ``m``;
    ``w -= lr * NS5(G) * sqrt(max(rows, cols)) * rms_rate``, ``NS5`` five Newton-Schulz iterations
    ``X = a X + (b A + c A A) X``, ``A = X X^T``, from ``X = G / (|G|_F + 1e-7)`` (on the transposed
    matrix when it has more rows than columns). Other variables (rank != 2, names containing
    'embedding' when ``exclude_embeddings``, or matching ``exclude_layers``) take an AdamW step with
    ``learning_rate * adam_lr_ratio`` and ``adam_weight_decay``."""

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004,
                 epsilon=1e-7, weight_decay=0.004, name=None, exclude_layers=None, exclude_embeddings=True,
                 muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5,
                 nesterov=True, rms_rate=0.2, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay, **kwargs)
        self.adam_beta_1, self.adam_beta_2, self.epsilon = adam_beta_1, adam_beta_2, epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio, self.momentum, self.ns_steps = adam_lr_ratio, momentum, ns_steps
        self.nesterov, self.exclude_embeddings = nesterov, exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay, self.rms_rate = adam_weight_decay, rms_rate

    def _should_use_adamw(self, p):
        if p._data.ndim != 2:
            return True
        path = str(getattr(p, "path", "") or "")
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(k, path) for k in self.exclude_layers)

    def build_slots(self, param, state):
        state["momentum"] = slot(param)
        if self._should_use_adamw(param):
            state["velocity"] = slot(param)

    def _weight_decay_for(self, p):
        if not self._use_weight_decay(p):
            return None
        return self.adam_weight_decay if self._should_use_adamw(p) else self.weight_decay

    def update_step(self, g, w, lr, state):
        dt = w._data.dtype.type
        m = state["momentum"]._data
        if "velocity" in state:
            v = state["velocity"]._data
            t = dt(float(self._local_step()))
            lr = dt(lr * self.adam_lr_ratio)
            alpha = lr * np.sqrt(1 - dt(self.adam_beta_2) ** t) / (1 - dt(self.adam_beta_1) ** t)
            m += (g - m) * dt(1 - self.adam_beta_1)
            v += (np.square(g) - v) * dt(1 - self.adam_beta_2)
            w._data -= (m * alpha / (np.sqrt(v) + dt(self.epsilon))).astype(w._data.dtype, copy=False)
            return
        m += g + m * dt(self.momentum - 1)
        G = g + dt(self.momentum) * m if self.nesterov else m
        update = self.zeropower_via_newtonschulz5(G, self.ns_steps) * dt(lr)
        if self.rms_rate is not None:
            update = update * dt(np.sqrt(max(update.shape[0], update.shape[1])) * self.rms_rate)
        w._data -= update.astype(w._data.dtype, copy=False)

    def zeropower_via_newtonschulz5(self, x, steps):
        """An approximate orthogonalization ``U V^T`` of ``x = U S V^T`` by the quintic Newton-Schulz map."""
        x = np.asarray(x)
        if x.ndim < 2:
            raise ValueError(f"Expected gradient or momentum to have at least 2 dimensions. Received: "
                             f"shape={x.shape}")
        a, b, c = (x.dtype.type(v) for v in (self.muon_a, self.muon_b, self.muon_c))
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = np.swapaxes(x, -1, -2)
        x = x / (np.sqrt(np.sum(np.square(x), axis=(-2, -1), keepdims=True)) + x.dtype.type(1e-7))
        for _ in range(steps):
            A = x @ np.swapaxes(x, -1, -2)
            B = b * A + c * A @ A
            x = a * x + B @ x
        return np.swapaxes(x, -1, -2) if tall else x

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon, "exclude_layers": self.exclude_layers,
                "exclude_embeddings": self.exclude_embeddings, "muon_a": self.muon_a, "muon_b": self.muon_b,
                "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                "ns_steps": self.ns_steps, "nesterov": self.nesterov, "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate}


class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling (Keras's ``keras.optimizers.LossScaleOptimizer``): ``scale_loss(loss)`` is
    ``loss * dynamic_scale``; each step, if every gradient is finite, divides them by ``dynamic_scale``
    and lets ``inner_optimizer`` apply them, doubling ``dynamic_scale`` after ``dynamic_growth_steps``
    finite steps in a row; otherwise it skips the update and halves ``dynamic_scale``.

    ``compile`` wraps the optimizer in one when the model's policy is ``'mixed_float16'`` (unless
    ``auto_scale_loss=False``). ``step_counter`` (int32) and ``dynamic_scale`` (float32) are
    ``keras.Variable`` s made by ``build``, listed first in ``variables`` after the optimizer's own
    ``iteration`` and ``learning_rate`` and before the inner optimizer's, as Keras saves them.

    >>> from ember import keras
    >>> opt = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=8.0)
    >>> v = keras.Variable([1.0])
    >>> _ = opt.apply([keras.ops.convert_to_tensor([float("inf")])], [v])
    >>> float(opt.dynamic_scale), v.numpy().tolist()
    (4.0, [1.0])
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000, name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                             "`loss_scale_factor` directly on the `inner_optimizer`.")
        # Keras accepts the base optimizer's arguments at their defaults (older saved configs carry them)
        defaults = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                    "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                    "loss_scale_factor": None, "gradient_accumulation_steps": None}
        for arg, default in defaults.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{arg}`. Instead, set `{arg}` on the "
                                 "`inner_optimizer`.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`.")
        super().__init__(learning_rate=0.0, name=name)
        from . import get
        self.inner_optimizer = get(inner_optimizer)
        self.initial_scale, self.dynamic_growth_steps = initial_scale, dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None   # else the gradients would be unscaled twice
        self._own_iterations = self._iterations          # Keras's own (unused) 'iteration' variable
        self.step_counter = None
        self.dynamic_scale = None

    # iterations and the learning rate are the inner optimizer's
    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value):
        if hasattr(self, "inner_optimizer"):
            self.inner_optimizer.iterations = value

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    def build(self, var_list):
        var_list = list(var_list)
        if self.step_counter is None:
            self.step_counter = self._named(np.zeros((), np.int32), "step_counter")
            self.dynamic_scale = self._named(np.array(self.initial_scale, np.float32), "dynamic_scale")
        self.inner_optimizer.build(var_list)
        # The inner optimizer's first step may come after skipped ones, inside a captured training step:
        # the attribute its first step() adds exists from now on, so that the capture sees no new one.
        self.inner_optimizer.__dict__.setdefault("_stepping", False)
        self.param_groups = self.inner_optimizer.param_groups
        self.built = True

    def apply(self, grads, trainable_variables=None):
        if not self.built and trainable_variables is not None:
            # Keras builds it in its own name scope here: the inner optimizer's slots are 'lso/inner/..._momentum'
            from .. import scopes
            with scopes.name_scope(self.name, caller=self):
                self.build(list(trainable_variables))
        return super().apply(grads, trainable_variables)

    @property
    def variables(self):
        """Keras's layout: this optimizer's ``iteration`` and ``learning_rate`` (0), ``step_counter``,
        ``dynamic_scale``, then the inner optimizer's variables."""
        own = [self._named(np.zeros((), np.int32), "iteration"), self._named(np.zeros((), np.float32),
                                                                             "learning_rate")]
        own[0]._data = self._own_iterations._data
        if self.step_counter is not None:
            own += [self.step_counter, self.dynamic_scale]
        return own + self.inner_optimizer.variables

    def scale_loss(self, loss):
        """``loss * dynamic_scale`` (``initial_scale`` before the optimizer is built)."""
        from ...autograd import ops
        if self.dynamic_scale is None:
            return ops.mul(loss, float(self.initial_scale))
        return ops.mul(loss, self.dynamic_scale.to(loss.dtype))

    def check_finite(self, grads):
        """Whether every gradient (None ones skipped) is finite."""
        return all(bool(np.isfinite(g._data if isinstance(g, Tensor) else np.asarray(g)).all())
                   for g in grads if g is not None)

    def step(self, closure=None):
        loss = self._eval_closure(closure)
        if not self.built:
            raise ValueError("LossScaleOptimizer.step: build the optimizer on the model's variables first")
        params = [p for g in self.inner_optimizer.param_groups for p in g["params"] if p._grad is not None]
        counter, scale = self.step_counter._data, self.dynamic_scale._data
        if self.check_finite([p._grad for p in params]):
            for p in params:
                if not getattr(p, "overwrite_with_gradient", False):
                    p._grad._data = p._grad._data / scale.astype(p._grad._data.dtype)
            self.inner_optimizer.step()
            # Keras: after dynamic_growth_steps finite steps in a row the scale doubles and the count restarts
            # (array arithmetic, not a Python branch on the counter, so a captured step replays it)
            grow = counter == self.dynamic_growth_steps - 1
            scale[...] = np.where(grow, scale * np.float32(2.0), scale)
            counter[...] = np.where(grow, 0, counter + 1)
        else:
            counter[...] = 0
            scale[...] = scale * np.float32(0.5)
            self.inner_optimizer._opt_called = True   # a skipped step counts as called (see build)
        self.step_counter._bump()
        self.dynamic_scale._bump()
        return loss

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def state_dict(self):
        sd = self.inner_optimizer.state_dict()
        if self.step_counter is not None:
            sd["loss_scale"] = {"dynamic_scale": float(self.dynamic_scale._data),
                                "step_counter": int(self.step_counter._data)}
        return sd

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        ls = state_dict.pop("loss_scale", None)
        if ls:
            if self.step_counter is None:
                self.step_counter = self._named(np.zeros((), np.int32), "step_counter")
                self.dynamic_scale = self._named(np.array(self.initial_scale, np.float32), "dynamic_scale")
            self.dynamic_scale.assign(np.float32(ls["dynamic_scale"]))
            self.step_counter.assign(np.int32(ls["step_counter"]))
        self.inner_optimizer.load_state_dict(state_dict)

    def get_config(self):
        from . import serialize
        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config):
        from . import get
        config = dict(config)
        config["inner_optimizer"] = get(config["inner_optimizer"])
        return cls(**config)
