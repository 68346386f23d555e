"""``ImageFolder``: images arranged one folder per class, ``root/<class>/<file>``.

::

    root/cat/001.png
    root/cat/002.jpg
    root/dog/xyz.png

Classes are the sub-folder names, sorted; ``class_to_idx`` numbers them in that order.
Decoding PNG/JPEG needs Pillow (``pip install "ember[vision]"``).
"""
import os

from ember.vision._pil import require_pil
from ember.vision.datasets.vision import VisionDataset

__all__ = ["DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "default_loader", "pil_loader",
           "find_classes", "make_dataset"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def pil_loader(path):
    """Open ``path`` with Pillow and convert it to RGB."""
    image = require_pil("ImageFolder's default loader")
    with open(path, "rb") as f:
        img = image.open(f)
        return img.convert("RGB")


def default_loader(path):
    return pil_loader(path)


def find_classes(directory):
    """``(classes, class_to_idx)`` from the sub-folders of ``directory``, sorted."""
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None,
                 allow_empty=False):
    """The ``(path, class_index)`` list of the files under each class folder, sorted."""
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the "
                         "same time")
    if is_valid_file is None:
        lowered = tuple(e.lower() for e in extensions)

        def is_valid_file(path):
            return path.lower().endswith(lowered)

    samples, empty = [], []
    for name in sorted(class_to_idx):
        folder = os.path.join(directory, name)
        if not os.path.isdir(folder):
            continue
        found = 0
        for dirpath, _, filenames in sorted(os.walk(folder, followlinks=True)):
            for filename in sorted(filenames):
                path = os.path.join(dirpath, filename)
                if is_valid_file(path):
                    samples.append((path, class_to_idx[name]))
                    found += 1
        if not found:
            empty.append(name)
    if empty and not allow_empty:
        what = f"supported extensions are: {', '.join(extensions)}" if extensions else \
            "no file passed is_valid_file"
        raise FileNotFoundError(f"Found no valid file for the classes {', '.join(empty)} in "
                                f"{directory}; {what}")
    return samples


class DatasetFolder(VisionDataset):
    """Samples ``(loader(path), class_index)`` from ``root/<class>/...``.

    Args:
        root (str): the folder of class folders.
        loader (callable): ``path -> sample``.
        extensions (tuple[str], optional): file endings to accept (exclusive with
            ``is_valid_file``).
        transform, target_transform (callable, optional): applied to sample and target.
        is_valid_file (callable, optional): ``path -> bool``, which files to accept.
        allow_empty (bool): allow class folders with no valid file.

    Attributes:
        classes (list[str]), class_to_idx (dict[str, int]), samples (list[(path, int)]),
        targets (list[int]).
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"{type(self).__name__}: root {self.root} is not a directory")
        self.classes, self.class_to_idx = find_classes(self.root)
        self.samples = make_dataset(self.root, self.class_to_idx, extensions, is_valid_file,
                                    allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.targets = [target for _, target in self.samples]

    def __getitem__(self, index):
        path, target = self.samples[index]
        return self._apply(self.loader(path), target)

    def __len__(self):
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """Images in ``root/<class>/*.png|jpg|...``, loaded as RGB PIL Images (needs Pillow
    unless you pass your own ``loader``).

    Attributes:
        classes, class_to_idx, samples, targets, loader: as :class:`DatasetFolder`;
        ``imgs`` is ``samples``.

    >>> import os, tempfile, numpy as np
    >>> from PIL import Image
    >>> root = tempfile.mkdtemp()
    >>> os.makedirs(os.path.join(root, "cat"))
    >>> Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(os.path.join(root, "cat", "a.png"))
    >>> ds = ImageFolder(root)
    >>> ds.classes, ds[0][0].size, ds[0][1]
    (['cat'], (4, 4), 0)
    """

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None, allow_empty=False):
        if loader is default_loader:
            require_pil("ImageFolder")
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples
