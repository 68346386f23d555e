"""``Muon`` (momentum orthogonalized by Newton-Schulz, with AdamW for the other variables) and
``LossScaleOptimizer`` (dynamic loss scaling around another optimizer), with Keras 3's rules."""
import re

import numpy as np

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
    """Dynamic loss scaling: ``scale_loss(loss) = loss * scale``; each step divides the gradients by
    ``scale`` and, if they are all finite, lets ``inner_optimizer`` apply them (doubling ``scale`` after
    ``dynamic_growth_steps`` finite steps in a row), else skips the update and halves ``scale``."""

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000, name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                             "`loss_scale_factor` directly on the `inner_optimizer`.")
        unsupported = [k for k, v in kwargs.items() if v not in (None, False, 0.99)]
        if kwargs and (unsupported or set(kwargs) - {"weight_decay", "clipnorm", "global_clipnorm", "clipvalue",
                                                     "use_ema", "ema_momentum", "ema_overwrite_frequency",
                                                     "loss_scale_factor", "gradient_accumulation_steps"}):
            raise ValueError(f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`. Set them "
                             "on the `inner_optimizer`.")
        super().__init__(learning_rate=0.0, name=name)
        from . import get
        self.inner_optimizer = get(inner_optimizer)
        self.initial_scale, self.dynamic_growth_steps = initial_scale, dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None
        self.dynamic_scale = np.float32(initial_scale)
        self.step_counter = 0

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
        self.inner_optimizer.build(var_list)
        self.param_groups = self.inner_optimizer.param_groups
        self.built = True

    def scale_loss(self, loss):
        return loss * float(self.dynamic_scale)

    def step(self, closure=None):
        loss = self._eval_closure(closure)
        params = [p for g in self.inner_optimizer.param_groups for p in g["params"] if p._grad is not None]
        finite = all(np.all(np.isfinite(p._grad._data)) for p in params)
        if finite:
            for p in params:
                p._grad._data = p._grad._data / self.dynamic_scale
            self.inner_optimizer.step()
            if self.step_counter == self.dynamic_growth_steps - 1:
                self.step_counter = 0
                self.dynamic_scale = np.float32(self.dynamic_scale * 2.0)
            else:
                self.step_counter += 1
        else:
            self.step_counter = 0
            self.dynamic_scale = np.float32(self.dynamic_scale * 0.5)
        return loss

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def state_dict(self):
        sd = self.inner_optimizer.state_dict()
        sd["loss_scale"] = {"dynamic_scale": float(self.dynamic_scale), "step_counter": self.step_counter}
        return sd

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        ls = state_dict.pop("loss_scale", None)
        if ls:
            self.dynamic_scale, self.step_counter = np.float32(ls["dynamic_scale"]), int(ls["step_counter"])
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
