"""Tensors and reverse-mode automatic differentiation.

``ember.autograd`` gives PyTorch's autograd API: ``grad``, ``backward``,
``Function``, ``gradcheck``, ``detect_anomaly`` and the grad-mode switches.
"""
from .tensor import Tensor, Size
from . import methods as _methods  # noqa: F401  (binds the ops onto Tensor)
from .engine import grad, run_backward as backward
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import gradcheck, gradgradcheck, GradcheckError
from .anomaly import (detect_anomaly, set_detect_anomaly, is_anomaly_enabled, is_anomaly_check_nan_enabled,
                      set_anomaly_enabled)
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
                        is_multithreading_enabled, set_multithreading_enabled)
from . import functional  # noqa: F401
from . import profiler  # noqa: F401
from . import tensor_extras  # noqa: F401  (binds Tensor.new, as_subclass, output_nr, name)
from . import torch_function  # noqa: F401  (binds Tensor.__torch_function__)
from .. import storage as _storage  # noqa: F401,E402  (binds Tensor.untyped_storage, Tensor.storage)
from . import graph  # noqa: F401  (torch.autograd.graph: Node, get_gradient_edge)
from . import forward_ad  # noqa: F401  (torch.autograd.forward_ad: dual tensors)
from .variable import Variable

__all__ = ["Tensor", "Size", "grad", "backward", "Function", "FunctionCtx", "gradcheck", "gradgradcheck",
           "detect_anomaly", "set_detect_anomaly", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode"]
