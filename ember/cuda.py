"""``ember.cuda``: ember runs on the CPU, so there is no CUDA device.

It exists so the usual device-selection idiom runs unchanged:

>>> import ember as torch
>>> device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
>>> str(device)
'cpu'
"""


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """Accepted for portability (there is no CUDA generator)."""


def manual_seed_all(seed):
    """Accepted for portability (there is no CUDA generator)."""


def synchronize(device=None):
    """Nothing to wait for on the CPU."""


def empty_cache():
    """Nothing to free on the CPU."""


# ``torch.cuda.amp`` (deprecated aliases of ``torch.amp``): registered as a submodule so that
# ``from ember.cuda.amp import GradScaler`` imports, although this module is not a package.
def _register_amp():
    import sys
    from .amp import cuda_amp
    sys.modules[__name__ + ".amp"] = cuda_amp
    return cuda_amp


amp = _register_amp()
# An empty package path: ``import torch.cuda.amp`` under ember.compat then asks the import
# finders for the submodule (Python refuses submodules of a module without ``__path__``).
__path__ = []
