"""Image transforms, as ``torchvision.transforms``: ``from ember.vision import transforms``.

They accept PIL Images (Pillow optional), NumPy arrays ``(H, W)``/``(H, W, C)`` and ember
Tensors ``(..., C, H, W)``, implemented in pure NumPy as torchvision's tensor kernels; on PIL
Images the colour ops, resize, rotate, affine and perspective call Pillow, as torchvision does.
Random ones draw from ember's global generator (``ember.manual_seed``).

>>> import numpy as np
>>> from ember.vision import transforms
>>> t = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
>>> t(np.zeros((28, 28), dtype=np.uint8)).shape
ember.Size([1, 28, 28])
"""
from ember.vision.transforms import autoaugment, functional
from ember.vision.transforms._geometric import (ConvertImageDtype, ElasticTransform, FiveCrop,
                                                LinearTransformation, RandomApply,
                                                RandomChoice, RandomErasing, RandomOrder,
                                                RandomPerspective, RandomResizedCrop, TenCrop)
from ember.vision.transforms._photometric import (ColorJitter, GaussianBlur, Grayscale,
                                                  RandomAdjustSharpness, RandomAutocontrast,
                                                  RandomEqualize, RandomGrayscale,
                                                  RandomInvert, RandomPosterize, RandomSolarize)
from ember.vision.transforms.autoaugment import (AugMix, AutoAugment, AutoAugmentPolicy,
                                                 RandAugment, TrivialAugmentWide)
from ember.vision.transforms.functional import InterpolationMode
from ember.vision.transforms import transforms
from ember.vision.transforms.transforms import (CenterCrop, Compose, Lambda, Normalize, Pad,
                                                PILToTensor, RandomAffine, RandomCrop,
                                                RandomHorizontalFlip, RandomRotation,
                                                RandomVerticalFlip, Resize, ToPILImage,
                                                ToTensor)

__all__ = ["Compose", "ToTensor", "PILToTensor", "ToPILImage", "Normalize", "Lambda", "Resize",
           "CenterCrop", "RandomCrop", "Pad", "RandomHorizontalFlip", "RandomVerticalFlip",
           "RandomRotation", "RandomAffine", "InterpolationMode", "functional",
           "ColorJitter", "Grayscale", "RandomGrayscale", "RandomInvert", "RandomPosterize",
           "RandomSolarize", "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize",
           "GaussianBlur", "RandomResizedCrop", "RandomPerspective", "ElasticTransform",
           "RandomErasing", "FiveCrop", "TenCrop", "LinearTransformation", "RandomApply",
           "RandomChoice", "RandomOrder", "ConvertImageDtype", "AutoAugment",
           "AutoAugmentPolicy", "RandAugment", "TrivialAugmentWide", "AugMix", "autoaugment",
           "transforms", "v2"]

# Last: v2 builds on the transforms above.
from ember.vision.transforms import v2  # noqa: E402
