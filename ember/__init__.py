"""ember: a deep learning framework on NumPy with PyTorch's and Keras's APIs.

>>> import ember
>>> x = ember.tensor([1.0, 2.0], requires_grad=True)
>>> (x ** 2).sum().backward()
>>> x.grad
tensor([2., 4.])
"""
import importlib as _importlib

from .backend.dtypes import (dtype, bool_ as bool, uint8, int8, int16, int32, int64, float16, float32,  # noqa: A001
                             float64, get_default_dtype, set_default_dtype)
from .autograd import (Tensor, Size, no_grad, enable_grad, set_grad_enabled, inference_mode,
                       is_grad_enabled)
from .autograd.tensor import device, is_tensor
from .autograd.ops import *  # noqa: F401,F403
from .autograd.ops import (abs, pow, round, sum, max, min, all, any, where, clamp, clip,  # noqa: F401,A001
                           softmax, log_softmax, one_hot)
from .autograd.printing import set_printoptions
from .creation import (tensor, as_tensor, asarray, from_numpy, zeros, ones, empty, full, zeros_like, ones_like,
                       empty_like, full_like, arange, linspace, logspace, eye, scalar_tensor)
from .creation import range_ as range  # noqa: A001
from .random import (Generator, default_generator, manual_seed, seed, initial_seed, get_rng_state,
                     set_rng_state, rand, randn, randint, normal, bernoulli, randperm, multinomial, poisson,
                     rand_like, randn_like, randint_like)

half, double, long, short = float16, float64, int64, int16

# The star import above also brought in the op modules and their imports (``linalg`` among them,
# which must stay free for the lazily imported ``ember.linalg``).
for _name in ("elementwise", "reduce", "shape", "index", "linalg", "conversion", "inplace", "softmax_ops",
              "math", "np", "collections", "grad_mode"):
    globals().pop(_name, None)
del _name
__version__ = "0.1.0"

_LAZY = {"nn", "optim", "utils", "vision", "keras", "io", "data", "functional", "cli", "compiler", "plot",
         "cuda", "backends", "linalg", "compat", "serialization", "accelerator", "version", "hub", "jit",
         "testing", "multiprocessing"}


def __getattr__(name):
    # Subpackages load on first use, so ``import ember`` stays fast.
    if name in _LAZY:
        return _importlib.import_module("." + name, __name__)
    if name in ("save", "load"):
        from .io import serialization
        return getattr(serialization, name)
    if name == "autograd":
        return _importlib.import_module(".autograd", __name__)
    if name == "compile":
        from .compiler import compile as _compile
        return _compile
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


def typename(obj):
    return type(obj).__name__


def set_num_threads(n):
    """Accepted for portability; NumPy's BLAS threads are set by the environment."""
    _threads[0] = int(n)


def get_num_threads():
    return _threads[0]


_threads = [2]


def use_deterministic_algorithms(mode, *, warn_only=False):
    """ember's ops are deterministic; accepted for portability."""


def _legacy_constructor(name, d):
    def make(*data):
        """A tensor of this dtype from data or sizes (the legacy ``torch.FloatTensor`` style)."""
        return Tensor(*data).to(d)
    make.__name__ = name
    return make


FloatTensor = _legacy_constructor("FloatTensor", float32)
DoubleTensor = _legacy_constructor("DoubleTensor", float64)
HalfTensor = _legacy_constructor("HalfTensor", float16)
LongTensor = _legacy_constructor("LongTensor", int64)
IntTensor = _legacy_constructor("IntTensor", int32)
ShortTensor = _legacy_constructor("ShortTensor", int16)
ByteTensor = _legacy_constructor("ByteTensor", uint8)
CharTensor = _legacy_constructor("CharTensor", int8)
BoolTensor = _legacy_constructor("BoolTensor", bool)
