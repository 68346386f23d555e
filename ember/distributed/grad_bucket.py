"""``GradBucket``: what a DDP communication hook receives (``torch.distributed.GradBucket``).

It lives with the process group (below ``nn``) so that ``torch.distributed.GradBucket`` exists without
importing DDP; :mod:`ember.nn.parallel.distributed` makes one per bucket of gradients.
"""

__all__ = ["GradBucket"]


class GradBucket:
    """One bucket of gradients: ``buffer()`` (flat, the hook may change it in place), ``gradients()`` (views of it
    per parameter), ``parameters()``, ``index()``, ``is_last()``, ``set_buffer(tensor)``."""

    def __init__(self, index, buffer, bucket, is_last):
        self._index, self._buffer, self._bucket, self._is_last = index, buffer, bucket, is_last

    def index(self):
        return self._index

    def buffer(self):
        """The bucket's gradients, flattened into one tensor (the hook may change it in place)."""
        return self._buffer

    def is_last(self):
        return self._is_last

    def parameters(self):
        return list(self._bucket.params)

    def gradients(self):
        b = self._buffer
        return [b[lo:hi].view(p.shape) for p, lo, hi in zip(self._bucket.params, self._bucket.offsets,
                                                           self._bucket.offsets[1:])]

    def set_buffer(self, tensor):
        """Make ``tensor`` (same size, any dtype: a compressed copy, say) the bucket's buffer."""
        self._buffer = tensor
