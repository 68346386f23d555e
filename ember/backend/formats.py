"""PyTorch's layout and memory-format constants: ``ember.strided``, ``ember.channels_last`` ...

ember's tensors are NumPy arrays, always strided and laid out as NumPy keeps them; functions
accept a ``memory_format`` and keep the data as it is. The constants exist so that code such as
``model.to(memory_format=torch.channels_last)`` or ``x.layout == torch.strided`` runs. Each is a
``str`` subclass, so ``Tensor.layout`` (the string ``"strided"``) compares equal to
``ember.strided``.

>>> import ember
>>> ember.zeros(2).layout == ember.strided, ember.channels_last
(True, ember.channels_last)
"""

__all__ = ["layout", "strided", "memory_format", "contiguous_format", "channels_last", "channels_last_3d",
           "preserve_format", "legacy_contiguous_format"]


class layout(str):
    """How a tensor's elements are stored: ``strided`` (dense NumPy arrays) or a sparse layout (ember.sparse).
    A str (it compares equal to its name); printed as the module's attribute, ``ember.strided``."""

    def __repr__(self):
        from .dtypes import PREFIX
        return f"{PREFIX[0]}.{str.__str__(self)}"

    __str__ = __repr__


class memory_format(str):
    """A requested memory format; ember accepts it and keeps NumPy's layout. Printed as ``layout`` is."""

    def __repr__(self):
        from .dtypes import PREFIX
        return f"{PREFIX[0]}.{str.__str__(self)}"

    __str__ = __repr__


strided = layout("strided")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
legacy_contiguous_format = contiguous_format

# The sparse layouts (ember.sparse): COO and CSR tensors exist; CSC, BSR and BSC are named so that
# code comparing layouts runs, and constructing them raises.
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
# nested tensors' jagged layout (ember.nested accepts it and stores them as its strided ones)
jagged = layout("jagged")
__all__ += ["sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc"]
