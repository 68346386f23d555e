"""Stochastic weight averaging and exponential moving averages of a model's weights
(``torch.optim.swa_utils``): ``AveragedModel``, the averaging functions, ``SWALR`` and ``update_bn``.

>>> import ember
>>> from ember import nn, optim
>>> model = nn.Linear(2, 1)
>>> ema = optim.swa_utils.AveragedModel(model, multi_avg_fn=optim.swa_utils.get_ema_multi_avg_fn(0.9))
>>> ema.update_parameters(model)
>>> int(ema.n_averaged)
1
"""
import copy
import itertools
import math

import numpy as np

from ..autograd import grad_mode
from ..autograd.tensor import Tensor, make
from ..nn.module import Module
from ..nn.layers.normalization import _BatchNorm
from .adafactor import lerp
from .lr_scheduler import LRScheduler, _per_group
from .optimizer import scalar_state

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def _is_float(t):
    return t._data.dtype.kind in "fc"


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA over lists of tensors: ``ema = decay * ema + (1 - decay) * current``."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param_list, current_param_list, _):
        for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
            if _is_float(p_ema):
                p_ema._data[...] = lerp(p_ema._data, p_model._data, 1 - decay)
            else:
                p_ema._data[...] = p_ema._data * decay + p_model._data * (1 - decay)
            p_ema._bump()
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place running mean over lists of tensors: ``avg += (current - avg) / (n + 1)``."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = float(num_averaged)
        # a tensor count divides into a tensor of the default dtype (float32), as in PyTorch
        weight = float(scalar_state(1 / (n + 1))._data) if isinstance(num_averaged, Tensor) else 1 / (n + 1)
        for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
            if _is_float(p_avg):
                p_avg._data[...] = lerp(p_avg._data, p_model._data, weight)
            else:
                p_avg._data[...] = p_avg._data + (p_model._data - p_avg._data) / (n + 1)
            p_avg._bump()
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """An EMA of one tensor, returned: ``decay * ema + (1 - decay) * current``."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """A running mean of one tensor, returned: ``avg + (current - avg) / (n + 1)``."""
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    r"""A copy of ``model`` whose parameters are a running average of ``model``'s (SWA or EMA).

    Each :meth:`update_parameters` call copies ``model``'s parameters on the first call and
    afterwards averages them in: with ``avg_fn(averaged, current, n_averaged)`` (returning the
    new value), with ``multi_avg_fn(averaged_list, current_list, n_averaged)`` (in place), or by
    default with the equal-weight mean :math:`\bar w \leftarrow \bar w + (w - \bar w)/(n+1)`.
    Buffers are copied from ``model`` unless ``use_buffers=True``, which averages them too.

    Args:
        model (Module): the model to average.
        device: accepted for PyTorch compatibility (ember runs on the CPU).
        avg_fn, multi_avg_fn (callable): the averaging rule (at most one of them).
        use_buffers (bool): average the buffers as well (default False).

    ``n_averaged`` is a ``long`` buffer. Forward calls the averaged copy (``self.module``).
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", make(np.array(0, dtype=np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Average ``model``'s current parameters (and buffers with ``use_buffers``) into this copy."""
        with grad_mode.no_grad():
            if self.use_buffers:
                mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
                theirs = list(itertools.chain(model.parameters(), model.buffers()))
            else:
                mine, theirs = list(self.parameters()), list(model.parameters())
            mine, theirs = mine[:len(theirs)], theirs[:len(mine)]
            mine = [p.detach() for p in mine]
            theirs = [p.detach() for p in theirs]
            n = self.n_averaged
            if int(n) == 0:
                for p_avg, p_model in zip(mine, theirs):
                    p_avg._data[...] = p_model._data
                    p_avg._bump()
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(mine, theirs, n)
            else:
                # PyTorch's CPU path: the per-tensor rule, the equal-weight mean by default
                avg_fn = self.avg_fn or get_swa_avg_fn()
                for p_avg, p_model in zip(mine, theirs):
                    p_avg._data[...] = avg_fn(p_avg, p_model, n)._data
                    p_avg._bump()
            if not self.use_buffers:
                for b_avg, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                    b_avg._data[...] = b_model._data
                    b_avg._bump()
            self.n_averaged._data += 1
            self.n_averaged._bump()


def update_bn(loader, model, device=None):
    """Recompute the running statistics of every BatchNorm layer of ``model`` with one pass over ``loader``.

    The statistics are reset and then accumulated as a plain average (``momentum=None``) over the
    batches; a batch that is a list or tuple feeds its first element to the model.
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with grad_mode.no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneal each group's learning rate to a fixed ``swa_lr`` over ``anneal_epochs`` epochs, then hold it.

    With :math:`\alpha(t)` the annealing curve (``"cos"``: :math:`(1-\cos\pi t)/2`, ``"linear"``:
    :math:`t`) at :math:`t = \min(1, \text{epoch}/\text{anneal\_epochs})`, the rate moves from the
    group's lr to ``swa_lr``, as ``torch.optim.swa_utils.SWALR``.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        swa_lr (float or list): the final learning rate, for all groups or one per group.
        anneal_epochs (int): epochs of the annealing phase (default 10).
        anneal_strategy (str): ``"cos"`` (default) or ``"linear"``.
        last_epoch (int): index of the last epoch (default -1).
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        for value, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups, strict=True):
            group["swa_lr"] = value
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def get_lr(self):
        self._warn_outside_step()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
