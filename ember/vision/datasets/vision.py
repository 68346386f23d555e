"""``VisionDataset``: the common base of the image datasets."""
import os

from ember.data.dataset import Dataset

__all__ = ["VisionDataset"]


class VisionDataset(Dataset):
    """A map-style dataset of images under ``root``, with ``transform`` applied to each image
    and ``target_transform`` to each target."""

    def __init__(self, root, transform=None, target_transform=None):
        self.root = os.path.expanduser(os.fspath(root)) if root is not None else None
        self.transform = transform
        self.target_transform = target_transform

    def _image_item(self, img, target):
        """``(image, target)`` for a uint8 image array: a PIL Image when Pillow is installed (as
        torchvision gives), else the array; then the transforms."""
        from ember.vision._pil import pil_image_module
        image_module = pil_image_module()
        if image_module is not None:
            img = image_module.fromarray(img)
        return self._apply(img, target)

    def _apply(self, img, target):
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += [line for line in self.extra_repr().splitlines() if line]
        if self.transform is not None:
            lines.append(f"Transform: {self.transform!r}".replace("\n", "\n    "))
        if self.target_transform is not None:
            lines.append(f"Target transform: {self.target_transform!r}")
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + l for l in lines])
