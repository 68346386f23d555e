"""``ember.backends.cuda``: PyTorch's CUDA switches (``matmul.allow_tf32``, the attention kernels).

There is no CUDA in ember; the flags are kept so programs that set them run, and
``is_built()`` is False. ``scaled_dot_product_attention`` always computes the math kernel.
"""
import contextlib
import types

matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                               allow_bf16_reduced_precision_reduction=True, fp32_precision="none")
cufft_plan_cache = types.SimpleNamespace(size=0, max_size=0, clear=lambda: None)

_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def is_built():
    return False


def preferred_linalg_library(backend=None):
    """``"default"``: ember's linear algebra is NumPy's LAPACK."""
    return "default"


def preferred_blas_library(backend=None):
    return "default"


def is_flash_attention_available():
    return False


def flash_sdp_enabled():
    return _sdp["flash"]


def enable_flash_sdp(enabled):
    _sdp["flash"] = bool(enabled)


def mem_efficient_sdp_enabled():
    return _sdp["mem_efficient"]


def enable_mem_efficient_sdp(enabled):
    _sdp["mem_efficient"] = bool(enabled)


def math_sdp_enabled():
    return _sdp["math"]


def enable_math_sdp(enabled):
    _sdp["math"] = bool(enabled)


def cudnn_sdp_enabled():
    return _sdp["cudnn"]


def enable_cudnn_sdp(enabled):
    _sdp["cudnn"] = bool(enabled)


@contextlib.contextmanager
def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True, enable_cudnn=True):
    """Set the attention-kernel flags inside the block (PyTorch's deprecated context manager)."""
    saved = dict(_sdp)
    _sdp.update(flash=enable_flash, math=enable_math, mem_efficient=enable_mem_efficient, cudnn=enable_cudnn)
    try:
        yield
    finally:
        _sdp.update(saved)
