"""Layers, one family per file; each is a thin :class:`~ember.nn.Module` shell over ``ember.functional``."""
