"""``torch.fx.experimental``: :mod:`.optimization` (``fuse``)."""
