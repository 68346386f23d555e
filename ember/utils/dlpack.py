"""``torch.utils.dlpack``: :func:`from_dlpack` and :func:`to_dlpack` (see :mod:`ember.io.interop`)."""
from ember.io.interop import from_dlpack, to_dlpack

__all__ = ["from_dlpack", "to_dlpack"]
