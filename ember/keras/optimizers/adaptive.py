"""Keras's ``Adadelta``, ``Adafactor`` and ``Ftrl`` update rules."""
import math

import numpy as np

from .base_optimizer import Optimizer, slot


class Adadelta(Optimizer):
    """``E[g^2] = rho E[g^2] + (1 - rho) g^2``; ``d = -sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g``;
    ``E[dx^2] = rho E[dx^2] + (1 - rho) d^2``; ``w += lr * d`` (Keras's default ``learning_rate=0.001``)."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def build_slots(self, param, state):
        state["accumulated_grad"] = slot(param)
        state["accumulated_delta_var"] = slot(param)

    def update_step(self, g, w, lr, state):
        dt = w._data.dtype.type
        rho, eps = dt(self.rho), dt(self.epsilon)
        ag, ad = state["accumulated_grad"]._data, state["accumulated_delta_var"]._data
        ag[...] = rho * ag + (1 - rho) * np.square(g)
        delta = -(np.sqrt(ad + eps) * g) / np.sqrt(ag + eps)
        ad[...] = rho * ad + (1 - rho) * np.square(delta)
        w._data += (dt(lr) * delta).astype(w._data.dtype, copy=False)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


def _rms(x):
    return np.sqrt(np.mean(np.square(x)))


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern 2018) as Keras computes it: for a variable of rank >= 2 the second moment
    is factored into row and column means ``r``, ``c`` of ``g^2 + epsilon_1`` (decay
    ``beta_2_t = 1 - t^beta_2_decay``), ``v = (r / mean(r)) c``; ``u = g / sqrt(v)`` clipped to RMS
    ``clip_threshold``; ``w -= max(epsilon_2, rms(w)) * min(lr, 1/sqrt(t)) * u``."""

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0,
                 relative_step=True, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def build_slots(self, param, state):
        shape = param._data.shape
        dt = param._data.dtype
        from ...autograd.tensor import make
        if len(shape) < 2:
            state["r"], state["c"] = make(np.zeros((), dt)), make(np.zeros((), dt))
        else:
            state["r"] = make(np.zeros(shape[:-1], dt))
            state["c"] = make(np.zeros(shape[:-2] + shape[-1:], dt))
        state["v"] = slot(param)

    def update_step(self, g, w, lr, state):
        dt = w._data.dtype.type
        t = float(self._local_step())
        lr = dt(lr)
        if self.relative_step and not callable(self._learning_rate):
            lr = min(lr, dt(1 / math.sqrt(t)))
        rho = min(lr, dt(1 / math.sqrt(t)))
        alpha = max(dt(self.epsilon_2), _rms(w._data)) * rho
        sq = np.square(g) + dt(self.epsilon_1)
        beta = dt(1 - t ** self.beta_2_decay)
        r, c, v = state["r"]._data, state["c"]._data, state["v"]._data
        if w._data.ndim >= 2:
            r[...] = beta * r + (1 - beta) * sq.mean(-1)
            c[...] = beta * c + (1 - beta) * sq.mean(-2)
            v[...] = (r / r.mean(-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v[...] = beta * v + (1 - beta) * sq
        u = g / np.sqrt(v)
        u = u / max(dt(1.0), _rms(u) / dt(self.clip_threshold))
        w._data -= (alpha * u).astype(w._data.dtype, copy=False)

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step}


class Ftrl(Optimizer):
    """Follow-the-regularized-leader (McMahan et al. 2013) with L1/L2 and shrinkage regularization::

        n' = n + g^2;  z += g + 2 l2_shrinkage w - (n'^-p - n^-p) / lr * w
        w = (clip(z, -l1, l1) - z) / (n'^-p / lr + 2 (l2 + beta / (2 lr)));  n = n'

    with ``p = learning_rate_power`` (default -0.5)."""

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        checks = {"initial_accumulator_value": initial_accumulator_value,
                  "l1_regularization_strength": l1_regularization_strength,
                  "l2_regularization_strength": l2_regularization_strength,
                  "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength}
        for k, val in checks.items():
            if val < 0.0:
                raise ValueError(f"`{k}` needs to be positive or zero. Received: {k}={val}.")
        if learning_rate_power > 0.0:
            raise ValueError("`learning_rate_power` needs to be negative or zero. Received: "
                             f"learning_rate_power={learning_rate_power}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build_slots(self, param, state):
        state["accumulator"] = slot(param, self.initial_accumulator_value)
        state["linear"] = slot(param)

    def update_step(self, g, w, lr, state):
        dt = w._data.dtype.type
        lr = dt(lr)
        acc, lin = state["accumulator"]._data, state["linear"]._data
        p = dt(self.learning_rate_power)
        l2 = dt(self.l2_regularization_strength + self.beta / (2.0 * lr))
        grad = g + dt(2 * self.l2_shrinkage_regularization_strength) * w._data
        new_acc = acc + np.square(g)
        lin += grad - (np.power(new_acc, -p) - np.power(acc, -p)) / lr * w._data
        quadratic = np.power(new_acc, -p) / lr + 2 * l2
        l1 = dt(self.l1_regularization_strength)
        w._data[...] = (np.clip(lin, -l1, l1) - lin) / quadratic
        acc[...] = new_acc

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
