"""Optimizers and learning-rate schedules with PyTorch's API (``torch.optim``).

>>> import ember
>>> from ember import optim
>>> w = ember.tensor([1.0, 2.0], requires_grad=True)
>>> opt = optim.Adam([w], lr=0.1)
>>> sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
>>> (w * w).sum().backward()
>>> opt.step()
>>> sched.step()
>>> sched.get_last_lr()
[0.05]
"""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .rprop import Rprop
from .asgd import ASGD
from .sparse_adam import SparseAdam
from .adafactor import Adafactor
from .lbfgs import LBFGS
from .muon import Muon
from ._stateless import swap_in_optimizer_params_and_state
from . import lr_scheduler, swa_utils

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
           "Rprop", "ASGD", "SparseAdam", "Adafactor", "LBFGS", "Muon", "swap_in_optimizer_params_and_state",
           "lr_scheduler", "swa_utils"]
