"""Checkpoint formats: ``save``/``load`` (re-exported as ``ember.save``/``ember.load``) and a
NumPy-level safetensors reader and writer in :mod:`ember.io.safetensors`.

>>> import io, ember
>>> buffer = io.BytesIO()
>>> ember.io.save({"w": ember.zeros(2)}, buffer)
>>> _ = buffer.seek(0)
>>> ember.io.load(buffer)["w"].shape
ember.Size([2])
"""
from ember.io import safetensors
from ember.io.serialization import load, save

__all__ = ["save", "load", "safetensors"]
