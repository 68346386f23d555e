"""``keras.optimizers.Adagrad``."""
import numpy as np

from .base_optimizer import Optimizer, slot


class Adagrad(Optimizer):
    """Adagrad with Keras's defaults (``learning_rate=0.001``, ``initial_accumulator_value=0.1``,
    ``epsilon=1e-7``)::

        acc += g^2;  w -= lr g / sqrt(acc + epsilon)
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def build_slots(self, param, state):
        state["accumulator"] = slot(param, self.initial_accumulator_value)

    def update_step(self, g, w, lr, state):
        acc = state["accumulator"]._data
        acc += np.square(g)
        w._data -= (lr * g / np.sqrt(acc + self.epsilon)).astype(w._data.dtype, copy=False)

    def get_config(self):
        config = super().get_config()
        config.update(initial_accumulator_value=self.initial_accumulator_value, epsilon=self.epsilon)
        return config
