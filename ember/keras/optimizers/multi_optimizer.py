"""``OptimizerMap`` and ``MultiOptimizer``: a different optimizer for different variables.

``OptimizerMap(default_optimizer, {pattern: optimizer})`` picks, for a variable, the optimizer whose key
is its ``path`` or matches it as a regular expression (``re.fullmatch``), else the default.
``MultiOptimizer(optimizer_map)`` builds each inner optimizer on its variables and, at every step,
lets each update its own; ``iterations`` counts the steps of the whole.

>>> from ember import keras
>>> omap = keras.optimizers.OptimizerMap(keras.optimizers.SGD(0.1), {"dense/bias": keras.optimizers.Adam()})
>>> type(omap["dense/bias"]).__name__, type(omap["dense/kernel"]).__name__
('Adam', 'SGD')
"""
import re
from collections.abc import MutableMapping

import numpy as np

from .base_optimizer import Optimizer


class OptimizerMap(MutableMapping):
    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(f"default_optimizer must be a Keras Optimizer instance. Received: {default_optimizer}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, opt in (optimizer_map or {}).items():
            self[key] = opt

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [p for p in self._optimizer_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}.")
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key, optimizer):
        from .muon_lso import LossScaleOptimizer
        if key in self._optimizer_map:
            raise ValueError(f"'{key}' already exists in the OptimizerMap with value {self._optimizer_map[key]}. "
                             "Please make sure to not use duplicated keys.")
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer}")
        if isinstance(optimizer, (LossScaleOptimizer, MultiOptimizer)):
            raise ValueError(f"optimizer cannot be {type(optimizer).__name__}.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[getattr(variable, "path", None) or getattr(variable, "name", "")]

    def get_config(self):
        from . import serialize
        return {"default_optimizer": serialize(self._default_optimizer),
                "optimizer_map": {k: serialize(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize
        return cls(deserialize(config["default_optimizer"], custom_objects),
                   {k: deserialize(v, custom_objects) for k, v in (config.get("optimizer_map") or {}).items()})


class MultiOptimizer(Optimizer):
    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._inner = []
        for opt in list(getattr(optimizer_map, "values", lambda: [])()) + \
                [getattr(optimizer_map, "default_optimizer", None)]:
            if opt is not None and opt not in self._inner:
                self._inner.append(opt)
        self._owner = {}

    @property
    def optimizers(self):
        return list(self._inner)

    def build(self, var_list):
        from .muon_lso import LossScaleOptimizer
        if self.built:
            return
        var_list = list(var_list)
        groups = {}
        for v in var_list:
            opt = self._optimizer_map(v)
            if not isinstance(opt, Optimizer):
                raise ValueError(f"Optimizer for variable {v} is not an Optimizer instance.")
            if isinstance(opt, (LossScaleOptimizer, MultiOptimizer)):
                raise ValueError(f"{type(opt).__name__} cannot be used inside an MultiOptimizer.")
            if opt not in self._inner:
                self._inner.append(opt)
            groups.setdefault(id(opt), []).append(v)
            self._owner[id(v)] = opt
        for opt in self._inner:
            opt.loss_scale_factor = self.loss_scale_factor
            if id(opt) in groups:
                opt.build(groups[id(opt)])
        super().build(var_list)

    @property
    def learning_rate(self):
        raise AttributeError("Learning rate cannot be accessed on a MultiOptimizer. Access the learning rate on "
                             "the individual sub-optimizers instead.")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError("Learning rate cannot be set on a MultiOptimizer. Set the learning rate on the "
                             "individual sub-optimizers instead.")

    def _current_lr(self):
        return 0.0

    def step(self, closure=None):
        """Each inner optimizer updates its variables from their ``.grad``."""
        loss = self._eval_closure(closure)
        for opt in self._inner:
            if opt.built:
                opt.step()
        np.add(self._iterations._data, 1, out=self._iterations._data)
        return loss

    @property
    def variables(self):
        out = super().variables[:1]
        for opt in self._inner:
            out += opt.variables
        return out

    def finalize_variable_values(self, var_list):
        for opt in self._inner:
            mine = [v for v in var_list if self._owner.get(id(v)) is opt]
            if mine:
                opt.finalize_variable_values(mine)

    def get_config(self):
        from . import serialize
        omap = self._optimizer_map
        spec = {"module": "keras.optimizers", "class_name": "OptimizerMap", "config": omap.get_config(),
                "registered_name": None} if isinstance(omap, OptimizerMap) else serialize(omap)
        return {"optimizer_map": spec, "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        spec = config["optimizer_map"]
        if isinstance(spec, dict) and spec.get("class_name") == "OptimizerMap":
            config["optimizer_map"] = OptimizerMap.from_config(spec["config"], custom_objects)
        return cls(**config)
