"""``torch.types``: the type aliases PyTorch's annotations use (``Number``, ``Device``, ``FileLike`` ...).

>>> import ember
>>> isinstance(3, Number.__args__)
True
"""
import os
from typing import IO, Any, Union  # noqa: F401

from .autograd.tensor import Size, Tensor, device as _device  # noqa: F401
from .backend.dtypes import dtype as _dtype  # noqa: F401

__all__ = ["Number", "Device", "FileLike", "IntLikeType", "FloatLikeType", "BoolLikeType", "Storage", "SymInt",
           "SymFloat", "SymBool", "py_sym_types", "Tensor", "Size"]

Number = Union[int, float, bool]
Device = Union[_device, str, int, None]
FileLike = Union[str, os.PathLike, IO[bytes]]
# ember has no symbolic shapes: the Sym types are the Python numbers they stand for.
SymInt, SymFloat, SymBool = int, float, bool
py_sym_types = (SymInt, SymFloat, SymBool)
IntLikeType = Union[int, SymInt]
FloatLikeType = Union[float, SymFloat]
BoolLikeType = Union[bool, SymBool]
_int, _float, _bool, _complex = int, float, bool, complex


def __getattr__(name):
    if name == "Storage":
        from .storage import UntypedStorage
        return UntypedStorage
    raise AttributeError(f"module 'ember.types' has no attribute '{name}'")
