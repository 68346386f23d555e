"""``ember.backends.mha``: the switch of PyTorch's multi-head-attention "fast path".

PyTorch runs ``nn.TransformerEncoder`` in inference through nested tensors when it can (see
:class:`ember.nn.TransformerEncoder`), which makes the output zero at padded positions.
``set_fastpath_enabled(False)`` turns that off, in ember as in PyTorch; the values at real
positions are the same either way.

>>> import ember
>>> ember.backends.mha.get_fastpath_enabled()
True
"""

_enabled = True


def get_fastpath_enabled():
    """Whether the fast path (and with it the zeroed padded outputs of TransformerEncoder) is on."""
    return _enabled


def set_fastpath_enabled(value):
    """Turn the fast path on or off (on by default, as in PyTorch)."""
    global _enabled
    _enabled = bool(value)
