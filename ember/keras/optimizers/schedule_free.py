"""``keras.optimizers.ScheduleFreeAdamW``: AdamW without a learning-rate schedule (Defazio et al., 2024).

Each variable ``y`` keeps an Adam second moment ``v`` and an iterate ``z`` (the ``momentum`` slot, a
copy of the variable when built). At step ``t`` (learning rate warmed up linearly over ``warmup_steps``)::

    v += (g^2 - v) (1 - beta_2);    z -= lr g / (sqrt(v / (1 - beta_2^t)) + epsilon)
    x = (y - (1 - beta_1) z_old) / beta_1;   x = (1 - 1/t) x + z / t;   y = (1 - beta_1) z + beta_1 x

with ``z_old`` read as Keras 3's PyTorch backend reads it: the slot after its update (its
``momentum.value`` is the updated tensor), so ember's steps equal Keras's.
"""
import numpy as np

from .base_optimizer import Optimizer


class ScheduleFreeAdamW(Optimizer):
    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.warmup_steps = beta_1, beta_2, epsilon, warmup_steps

    def build_slots(self, param, state):
        from ...autograd.tensor import make
        state["momentum"] = make(np.array(param._data, copy=True))
        state["velocity"] = make(np.zeros_like(param._data))

    def update_step(self, g, w, lr, state):
        dt = w._data.dtype
        t = dt.type(self._local_step())
        if self.warmup_steps > 0:
            lr = lr * min(float(t) / self.warmup_steps, 1.0)
        z, v = state["momentum"]._data, state["velocity"]._data
        v += (np.square(g) - v) * dt.type(1 - self.beta_2)
        denom = np.sqrt(v / (1 - dt.type(self.beta_2) ** t)) + dt.type(self.epsilon)
        z -= dt.type(lr) * g / denom
        b1 = dt.type(self.beta_1)
        x = (w._data - (1 - b1) * z) / b1
        weight = dt.type(1.0) / t
        x = (1 - weight) * x + weight * z
        w._data[...] = ((1 - b1) * z + b1 * x).astype(dt, copy=False)

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon, warmup_steps=self.warmup_steps)
        return config
