"""Adam's relatives with Keras's update rules: ``Nadam``, ``Adamax``, ``Lamb`` and ``Lion``.

``t`` is the step number (``iterations + 1``), ``g`` the gradient, ``m``/``v`` the first/second moments
updated as ``m += (g - m)(1 - beta_1)``, ``v += (g^2 - v)(1 - beta_2)``.
"""
import numpy as np

from .base_optimizer import Optimizer, slot


class Nadam(Optimizer):
    """Adam with Nesterov momentum and Keras's momentum schedule ``u_t = beta_1 (1 - 0.5 * 0.96^t)``::

        m_hat = u_{t+1} m / (1 - prod_{i<=t+1} u_i) + (1 - u_t) g / (1 - prod_{i<=t} u_i)
        w -= lr * m_hat / (sqrt(v / (1 - beta_2^t)) + epsilon)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._u_product = np.ones((), np.float32)

    def build_slots(self, param, state):
        state["momentum"] = slot(param)
        state["velocity"] = slot(param)

    def _before_update(self, lr):
        t = float(self._local_step())
        self._u_product = np.float32(self._u_product * self.beta_1 * (1.0 - 0.5 * 0.96 ** t))

    def update_step(self, g, w, lr, state):
        dt = w._data.dtype.type
        t = float(self._local_step())
        u_t = dt(self.beta_1 * (1.0 - 0.5 * 0.96 ** t))
        u_t1 = dt(self.beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1)))
        up_t = dt(self._u_product)
        up_t1 = up_t * u_t1
        m, v = state["momentum"]._data, state["velocity"]._data
        m += (g - m) * dt(1 - self.beta_1)
        v += (np.square(g) - v) * dt(1 - self.beta_2)
        m_hat = u_t1 * m / (1 - up_t1) + (1 - u_t) * g / (1 - up_t)
        v_hat = v / (1 - dt(self.beta_2) ** dt(t))
        w._data -= (m_hat * dt(lr) / (np.sqrt(v_hat) + dt(self.epsilon))).astype(w._data.dtype, copy=False)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Adamax(Optimizer):
    """Adam with the infinity norm: ``u = max(beta_2 u, |g|)``, ``w -= lr m / ((1 - beta_1^t)(u + epsilon))``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build_slots(self, param, state):
        # Keras's slot names (its variables are '<path>_momentum', '<path>_norm')
        state["momentum"] = slot(param)
        state["norm"] = slot(param)

    def update_step(self, g, w, lr, state):
        dt = w._data.dtype.type
        t = dt(float(self._local_step()))
        m, u = state["momentum"]._data, state["norm"]._data
        m += (g - m) * dt(1 - self.beta_1)
        np.maximum(dt(self.beta_2) * u, np.abs(g), out=u)
        w._data -= (dt(lr) * m / ((1 - dt(self.beta_1) ** t) * (u + dt(self.epsilon)))).astype(w._data.dtype,
                                                                                                  copy=False)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Lamb(Optimizer):
    """Layer-wise adaptive Adam: ``r = m_hat / (sqrt(v_hat) + epsilon)``, ``w -= lr * (|w| / |r|) * r`` with
    the trust ratio ``|w| / |r|`` (norms over the whole variable) replaced by 1 when either norm is 0."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build_slots(self, param, state):
        state["momentum"] = slot(param)
        state["velocity"] = slot(param)

    def update_step(self, g, w, lr, state):
        dt = w._data.dtype.type
        t = dt(float(self._local_step()))
        m, v = state["momentum"]._data, state["velocity"]._data
        m += (g - m) * dt(1 - self.beta_1)
        v += (np.square(g) - v) * dt(1 - self.beta_2)
        update = (m / (1 - dt(self.beta_1) ** t)) / (np.sqrt(v / (1 - dt(self.beta_2) ** t)) + dt(self.epsilon))
        w_norm = np.sqrt(np.sum(np.square(w._data)))
        g_norm = np.sqrt(np.sum(np.square(update)))
        ratio = w_norm / g_norm if w_norm > 0 and g_norm > 0 else dt(1.0)
        w._data -= (ratio * dt(lr) * update).astype(w._data.dtype, copy=False)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Lion(Optimizer):
    """Sign momentum (Chen et al. 2023): ``w -= lr * sign(beta_1 m + (1 - beta_1) g)``, then
    ``m = beta_2 m + (1 - beta_2) g``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(f"Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates "
                             f"to SignSGD. Received: beta_1={beta_1}.")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def build_slots(self, param, state):
        state["momentum"] = slot(param)

    def update_step(self, g, w, lr, state):
        dt = w._data.dtype.type
        m = state["momentum"]._data
        w._data -= (dt(lr) * np.sign(m * dt(self.beta_1) + g * dt(1.0 - self.beta_1))).astype(w._data.dtype,
                                                                                                copy=False)
        m[...] = m * dt(self.beta_2) + g * dt(1.0 - self.beta_2)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
