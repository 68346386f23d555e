"""``ember.nn.parallel``: ``DataParallel`` as PyTorch runs it on a machine without GPUs.

ember runs on the CPU, where PyTorch's ``DataParallel`` has no devices to scatter to and
calls the wrapped module directly. So does this one: it is a pass-through wrapper whose
``.module`` is the wrapped model, whose parameters are the model's, and whose
``state_dict`` keys carry the ``module.`` prefix, as in PyTorch.

>>> import ember
>>> from ember import nn
>>> model = nn.DataParallel(nn.Linear(3, 2))
>>> model(ember.zeros(4, 3)).shape, list(model.state_dict())
(ember.Size([4, 2]), ['module.weight', 'module.bias'])
"""
from ember.nn.module import Module

__all__ = ["DataParallel", "data_parallel"]


def _check_devices(device_ids, output_device):
    for d in list(device_ids or []) + ([output_device] if output_device is not None else []):
        if str(d) not in ("cpu", "-1"):
            raise RuntimeError(f"DataParallel: device {d!r} was requested, but ember runs on the CPU only "
                               f"(device_ids must be None or empty)")


class DataParallel(Module):
    """Wrap ``module``; ``forward`` calls it unchanged (there are no GPUs to split the batch over).

    Args:
        module (Module): the model.
        device_ids, output_device: must be None (or empty): ember has no GPUs.
        dim (int): the batch dimension PyTorch would scatter along; kept as ``self.dim``.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        _check_devices(device_ids, output_device)
        self.module = module
        self.device_ids = []
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """Evaluate ``module(*inputs, **module_kwargs)``, as PyTorch's ``data_parallel`` does without GPUs."""
    _check_devices(device_ids, output_device)
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))
