"""``ember.func``: PyTorch's function transforms (``torch.func``).

``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian`` and ``vmap``
transform functions of tensors; ``functional_call`` runs a module with parameters passed in and
``stack_module_state`` stacks an ensemble's parameters for ``vmap``. They are built on ember's
tape autograd and a loop over the batch (see each module's docstring for how).

>>> import ember
>>> from ember.func import grad, vmap
>>> vmap(grad(lambda x: (x ** 2).sum()))(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
tensor([[2., 4.],
        [6., 8.]])
"""
from .eager_transforms import (grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp, linearize, functionalize,
                               debug_unwrap)
from .stateless import functional_call, stack_module_state
from .batching import vmap
from .batch_norm_replacement import replace_all_batch_norm_modules_
from .rearrange import rearrange

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap", "functional_call",
           "stack_module_state", "linearize", "functionalize", "debug_unwrap", "replace_all_batch_norm_modules_",
           "rearrange"]
