"""``torch.utils.dlpack``: :func:`from_dlpack` and :func:`to_dlpack` (see :mod:`ember.io.interop`), and the
DLPack device codes (:class:`DLDeviceType`)."""
import enum

from ember.io.interop import from_dlpack, to_dlpack

__all__ = ["from_dlpack", "to_dlpack", "DLDeviceType"]


class DLDeviceType(enum.IntEnum):
    """DLPack's device codes (what ``__dlpack_device__()`` returns first): ember's tensors are ``kDLCPU``."""
    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14
    kDLWebGPU = 15
    kDLHexagon = 16
    kDLMAIA = 17
