"""``torch.utils.cpp_extension``: building C++/CUDA extensions, which ember cannot do.

Ember is NumPy only, with no C++ ABI for an extension to link against, so :func:`load`,
:func:`load_inline` and the setuptools helpers (:class:`BuildExtension`, :func:`CppExtension`,
:func:`CUDAExtension`) raise a ``RuntimeError`` that says so. The module imports, and the
constants and path helpers work, so a program that only guards on them runs.

>>> try:
...     load_inline("ext", cpp_sources="")
... except RuntimeError as e:
...     "cannot build C++ extensions" in str(e)
True
"""
import os

__all__ = ["load", "load_inline", "BuildExtension", "CppExtension", "CUDAExtension", "include_paths",
           "library_paths", "verify_ninja_availability", "is_ninja_available", "get_default_build_root",
           "CUDA_HOME", "ROCM_HOME", "IS_HIP_EXTENSION", "IS_WINDOWS", "IS_MACOS", "IS_LINUX"]

CUDA_HOME = None
ROCM_HOME = None
SYCL_HOME = None
IS_HIP_EXTENSION = False
IS_WINDOWS = os.name == "nt"
IS_MACOS = os.uname().sysname == "Darwin" if hasattr(os, "uname") else False
IS_LINUX = os.uname().sysname == "Linux" if hasattr(os, "uname") else False


def _cannot(what):
    raise RuntimeError(f"torch.utils.cpp_extension.{what}: ember cannot build C++ extensions (it is a NumPy-only "
                       "framework with no C++ library to link against); write the op in Python with ember "
                       "tensors (torch.library.custom_op with register_autograd runs it eagerly)")


def load(name, sources, *args, **kwargs):
    _cannot("load")


def load_inline(name, cpp_sources, *args, **kwargs):
    _cannot("load_inline")


def CppExtension(name, sources, *args, **kwargs):  # noqa: N802 - PyTorch's name
    _cannot("CppExtension")


def CUDAExtension(name, sources, *args, **kwargs):  # noqa: N802
    _cannot("CUDAExtension")


class BuildExtension:
    def __init__(self, *args, **kwargs):
        _cannot("BuildExtension")

    @classmethod
    def with_options(cls, **options):
        return cls


def include_paths(device_type="cpu"):
    """No headers: ember ships none."""
    return []


def library_paths(device_type="cpu"):
    return []


def is_ninja_available():
    return False


def verify_ninja_availability():
    raise RuntimeError("Ninja is required to load C++ extensions (and ember cannot build C++ extensions)")


def get_default_build_root():
    import tempfile
    return os.path.realpath(os.path.join(tempfile.gettempdir(), "torch_extensions"))
