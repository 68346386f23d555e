"""``torchvision.transforms.v2``: transforms over whole samples (an image with its masks, boxes
and labels, in tuples, lists or dicts), drawing their random parameters once per call and
transforming each part by its :mod:`ember.vision.tv_tensors` kind.

>>> import ember
>>> from ember.vision import tv_tensors
>>> from ember.vision.transforms import v2
>>> t = v2.Compose([v2.ToImage(), v2.ToDtype(ember.float32, scale=True),
...                 v2.RandomHorizontalFlip(p=1.0)])
>>> img, mask = t(tv_tensors.Image(ember.zeros(3, 4, 5, dtype=ember.uint8)),
...               tv_tensors.Mask(ember.zeros(4, 5, dtype=ember.int64)))
>>> type(img).__name__, img.dtype, type(mask).__name__, mask.dtype
('Image', ember.float32, 'Mask', ember.int64)
"""
from ember.vision.transforms.functional import InterpolationMode
from ember.vision.transforms.v2 import functional
from ember.vision.transforms.v2._detection import *  # noqa: F401,F403
from ember.vision.transforms.v2._detection import __all__ as _more
from ember.vision.transforms.v2._transform import (Transform, check_type, get_bounding_boxes,
                                                   has_all, has_any, query_chw, query_size)
from ember.vision.transforms.v2._transforms import *  # noqa: F401,F403
from ember.vision.transforms.v2._transforms import __all__ as _names

__all__ = ["InterpolationMode", "functional", "Transform", "check_type", "has_any", "has_all",
           "query_chw", "query_size", "get_bounding_boxes"] + list(_names) + list(_more)
