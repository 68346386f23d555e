"""Computer-vision data: ``from ember.vision import datasets, transforms`` (torchvision's
names). Pillow is optional; without it images are NumPy arrays (``pip install
"ember[vision]"`` for PIL Images and ImageFolder).
"""
from ember.vision import datasets, io, models, ops, transforms, tv_tensors, utils

__all__ = ["datasets", "models", "ops", "transforms", "io", "tv_tensors", "utils"]
