"""``ember.backends``: the switches PyTorch programs set (``torch.backends.cudnn.deterministic = True``).

ember's ops are deterministic and run on the CPU through NumPy; these flags are accepted and
change nothing, and the availability checks answer as PyTorch's CPU build does for an absent
device (``torch.backends.mps.is_available()`` is False).

>>> import ember
>>> ember.backends.cudnn.deterministic = True
>>> ember.backends.mps.is_available(), ember.backends.cuda.matmul.allow_tf32
(False, False)
"""
from ember.backends import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp  # noqa: F401
from ember.backends import mha  # noqa: F401
from ember.backends import quantized  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp", "mha", "quantized"]
