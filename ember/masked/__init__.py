"""``torch.masked``: reductions and normalizations over the elements a boolean ``mask`` keeps.

Each function takes ``mask=`` (broadcast to the input's shape; None keeps every element) and works
as PyTorch's: masked-out elements are replaced by the operation's identity before it runs (0 for
``sum``, 1 for ``prod``, ``-inf`` for ``amax``/``softmax``/``logsumexp``, ``+inf`` for ``amin``),
so a row with nothing kept gives that identity (``sum`` 0, ``amax`` ``-inf``) or NaN (``mean``,
``softmax``). ``dim=None`` reduces over every dimension. :class:`MaskedTensor` pairs data with a
mask (``masked_tensor(data, mask)``); its reductions return a MaskedTensor whose mask says which
results saw any element, and ``to_tensor(value)`` fills the masked-out places.

>>> import ember
>>> x = ember.tensor([[1., 2., 3.], [4., 5., 6.]])
>>> keep = ember.tensor([[True, False, True], [False, False, False]])
>>> sum(x, 1, mask=keep), amax(x, 1, mask=keep)
(tensor([4., 0.]), tensor([  3., -inf]))
"""
from .reductions import (amax, amin, argmax, argmin, cumprod, cumsum, log_softmax, logaddexp, logsumexp,  # noqa: F401
                         mean, median, norm, normalize, prod, softmax, softmin, std, sum, var)
from .maskedtensor import MaskedTensor, as_masked_tensor, is_masked_tensor, masked_tensor  # noqa: F401

__all__ = ["sum", "mean", "amax", "amin", "argmax", "argmin", "prod", "logsumexp", "norm", "var", "std", "softmax",
           "log_softmax", "softmin", "cumsum", "cumprod", "median", "normalize", "logaddexp", "MaskedTensor", "masked_tensor", "as_masked_tensor", "is_masked_tensor"]
