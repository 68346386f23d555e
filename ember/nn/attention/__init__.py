"""``torch.nn.attention``'s backend selection: ``SDPBackend`` and the ``sdpa_kernel`` context manager.

ember has one implementation of ``scaled_dot_product_attention`` (NumPy, the "math" kernel), so
``sdpa_kernel`` checks its arguments and records the choice, and attention runs the same inside it.

>>> import ember
>>> from ember.nn.attention import SDPBackend, sdpa_kernel
>>> with sdpa_kernel(SDPBackend.MATH):
...     out = ember.nn.functional.scaled_dot_product_attention(ember.ones(1, 2, 4), ember.ones(1, 2, 4),
...                                                            ember.ones(1, 2, 4))
>>> out.shape
ember.Size([1, 2, 4])
"""
import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS", "can_use_flash_attention",
           "can_use_efficient_attention"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.IntEnum):
    """The scaled-dot-product-attention kernels PyTorch can choose from (same names and values)."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


_active = [list(SDPBackend)[1:]]


def current_backends():
    """The backends the innermost ``sdpa_kernel`` block allows (all of them outside any block)."""
    return list(_active[-1])


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Restrict scaled dot product attention to ``backends`` (an ``SDPBackend`` or a list) inside the block."""
    if isinstance(backends, SDPBackend):
        backends = [backends]
    backends = list(backends)
    if not all(isinstance(b, SDPBackend) for b in backends):
        raise AssertionError("Backend must be an instance of SDPBackend")
    _active.append(backends)
    try:
        yield {}
    finally:
        _active.pop()


def can_use_flash_attention(params=None, debug=False):
    """False: ember has no fused flash-attention kernel."""
    return False


def can_use_efficient_attention(params=None, debug=False):
    """False: ember has no memory-efficient attention kernel."""
    return False
