"""Image datasets, as ``torchvision.datasets``: ``from ember.vision import datasets``.

* :class:`MNIST`, :class:`FashionMNIST`, :class:`KMNIST`: IDX files, ``download=True`` from
  the usual mirrors with md5 checks; ``MNIST(root=None)`` is the bundled 5,000-image sample.
* :func:`load_mnist_sample`: that sample as NumPy arrays, offline.
* :class:`CIFAR10`, :class:`CIFAR100`: from the binary releases.
* :class:`EMNIST`, :class:`QMNIST`: MNIST's relatives (IDX files, torchvision's folders).
* :class:`SVHN` (``.mat`` files, needs SciPy), :class:`STL10` (binary), :class:`FakeData`.
* :class:`OxfordIIITPet`, :class:`VOCSegmentation`: photos with labels / masks (Pillow).
* :class:`USPS`: 16x16 digits from LIBSVM's bzip2'd text files; :class:`Flowers102` (needs SciPy).
* :class:`ImageFolder`: ``root/<class>/<image>`` (Pillow).
* :func:`read_idx` / :func:`write_idx`: the IDX format.

>>> from ember.vision import datasets
>>> train = datasets.MNIST(root=None)
>>> len(train), train.data.shape, train.targets.dtype
(4000, ember.Size([4000, 28, 28]), ember.int64)
"""
from ember.vision.datasets.cifar import CIFAR10, CIFAR100
from ember.vision.datasets.emnist import EMNIST
from ember.vision.datasets.fakedata import FakeData
from ember.vision.datasets.download import DownloadError
from ember.vision.datasets.flowers102 import Flowers102
from ember.vision.datasets.folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder
from ember.vision.datasets.idx import IDXError, read_idx, write_idx
from ember.vision.datasets.mnist import KMNIST, MNIST, FashionMNIST, load_mnist_sample
from ember.vision.datasets.oxford_pet import OxfordIIITPet
from ember.vision.datasets.qmnist import QMNIST
from ember.vision.datasets.stl10 import STL10
from ember.vision.datasets.svhn import SVHN
from ember.vision.datasets.usps import USPS
from ember.vision.datasets.vision import VisionDataset
from ember.vision.datasets.voc import VOCSegmentation

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "CIFAR10", "CIFAR100", "EMNIST", "QMNIST", "SVHN",
           "STL10", "FakeData", "OxfordIIITPet", "VOCSegmentation", "USPS", "Flowers102",
           "ImageFolder", "DatasetFolder",
           "VisionDataset", "load_mnist_sample", "read_idx", "write_idx", "IDXError",
           "DownloadError", "IMG_EXTENSIONS"]
