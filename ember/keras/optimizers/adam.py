"""``keras.optimizers.Adam`` and ``AdamW``."""
import math

import numpy as np

from .base_optimizer import Optimizer, slot


class Adam(Optimizer):
    """Adam with Keras's defaults (``learning_rate=0.001``, ``beta_1=0.9``, ``beta_2=0.999``,
    ``epsilon=1e-7``) and Keras's placement of epsilon, outside the bias correction::

        m += (g - m) (1 - beta_1);  v += (g^2 - v) (1 - beta_2)
        w -= lr sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)

    (PyTorch adds epsilon to ``sqrt(v / (1 - beta_2^t))`` instead.) ``amsgrad`` uses the running
    maximum of ``v``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, bool(amsgrad)

    _slot_groups = (("momentum", "velocity"), ("velocity_hat",))

    def build_slots(self, param, state):
        state["momentum"] = slot(param)
        state["velocity"] = slot(param)
        if self.amsgrad:
            state["velocity_hat"] = slot(param)

    def update_step(self, g, w, lr, state):
        t = self._local_step()  # a 0-d array: read as data, not baked into a captured step
        m, v = state["momentum"]._data, state["velocity"]._data
        m += (g - m) * (1 - self.beta_1)
        v += (np.square(g) - v) * (1 - self.beta_2)
        if self.amsgrad:
            vh = state["velocity_hat"]._data
            np.maximum(vh, v, out=vh)
            v = vh
        alpha = (lr * np.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)).astype(m.dtype)
        w._data -= (alpha * m / (np.sqrt(v) + self.epsilon)).astype(w._data.dtype, copy=False)

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon, amsgrad=self.amsgrad)
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (default ``weight_decay=0.004``): ``w -= lr * weight_decay * w``
    before each Adam step."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, name=name, weight_decay=weight_decay, **kwargs)
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
