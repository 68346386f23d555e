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
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
           "lr_scheduler"]
