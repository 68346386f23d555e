"""``keras.optimizers.RMSprop``."""
import numpy as np

from .base_optimizer import Optimizer, slot


class RMSprop(Optimizer):
    """RMSprop with Keras's defaults (``learning_rate=0.001``, ``rho=0.9``, ``momentum=0.0``,
    ``epsilon=1e-7``) and Keras's rule, epsilon inside the square root::

        v = rho v + (1 - rho) g^2            (centered: a = rho a + (1 - rho) g, v - a^2 below)
        step = lr g / sqrt(v + epsilon)
        w -= step                            (momentum: b = momentum b + step; w -= b)
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, bool(centered)

    _slot_groups = (("velocity",), ("momentum",), ("average_gradient",))

    def build_slots(self, param, state):
        state["velocity"] = slot(param)
        if self.momentum > 0:
            state["momentum"] = slot(param)
        if self.centered:
            state["average_gradient"] = slot(param)

    def update_step(self, g, w, lr, state):
        v = state["velocity"]._data
        v *= self.rho
        v += (1 - self.rho) * np.square(g)
        if self.centered:
            a = state["average_gradient"]._data
            a *= self.rho
            a += (1 - self.rho) * g
            denom = v - np.square(a) + self.epsilon
        else:
            denom = v + self.epsilon
        inc = lr * g / np.sqrt(denom)
        if self.momentum > 0:
            b = state["momentum"]._data
            b *= self.momentum
            b += inc
            w._data -= b
        else:
            w._data -= inc.astype(w._data.dtype, copy=False)

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, momentum=self.momentum, epsilon=self.epsilon, centered=self.centered)
        return config
