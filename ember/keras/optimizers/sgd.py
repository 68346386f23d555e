"""``keras.optimizers.SGD``."""
from .base_optimizer import Optimizer, slot


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, Keras's rule::

        m = momentum * m - lr * g;  w += m                         (nesterov: w += momentum * m - lr * g)

    Defaults: ``learning_rate=0.01``, ``momentum=0.0``, ``nesterov=False``.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: momentum={momentum}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def build_slots(self, param, state):
        if self.momentum:
            state["momentum"] = slot(param)

    def update_step(self, g, w, lr, state):
        if not self.momentum:
            w._data -= lr * g
            return
        m = state["momentum"]._data
        m *= self.momentum
        m -= lr * g
        if self.nesterov:
            w._data += self.momentum * m - lr * g
        else:
            w._data += m

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, nesterov=self.nesterov)
        return config
