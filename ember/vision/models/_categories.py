"""The label names of the datasets torchvision's weights were trained on: ``weights.meta["categories"]``.

The names are data files beside this module (``_data/*.txt``, one name a line, in class-index order,
as torchvision lists them): ImageNet-1k (1000), COCO (91, with ``N/A`` for the unused ids), VOC (21),
Kinetics-400 (400). A weights entry takes the list its name says it was trained on
(``IMAGENET1K_*`` -> ImageNet, ``COCO_WITH_VOC_LABELS_*`` -> VOC ...).

>>> from ember.vision.models._categories import categories
>>> names = categories("imagenet")
>>> len(names), names[0], names[207]
(1000, 'tench', 'golden retriever')
"""
import functools
import os

__all__ = ["categories", "categories_for"]

_HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data")
_FILES = {"imagenet": "imagenet_categories.txt", "coco": "coco_categories.txt", "voc": "voc_categories.txt",
          "kinetics400": "kinetics400_categories.txt", "coco_person": "coco_person_categories.txt",
          "coco_person_keypoints": "coco_person_keypoint_names.txt"}


@functools.lru_cache(maxsize=None)
def _read(name):
    with open(os.path.join(_HERE, _FILES[name]), encoding="utf-8") as f:
        return tuple(line.rstrip("\n") for line in f if line.strip())


def categories(name):
    """The label names of dataset ``name`` (a fresh list, in class-index order)."""
    return list(_read(name))


def categories_for(entry):
    """The label list a weights entry named ``entry`` (``IMAGENET1K_V1`` ...) was trained on, or None."""
    if entry.startswith("IMAGENET1K"):
        return categories("imagenet")
    if entry.startswith("COCO_WITH_VOC_LABELS"):
        return categories("voc")
    if entry.startswith("COCO"):
        return categories("coco")
    if entry.startswith("KINETICS400"):
        return categories("kinetics400")
    return None
