"""``FakeData``: random images, reproducible per index, for smoke tests and benchmarks.

Item ``i`` is drawn from ember's generator seeded with ``i + random_offset`` (and the global
generator's state is restored afterwards): the image is ``randn(*image_size)`` turned into a PIL
image by ``ToPILImage`` (``mul(255)`` then uint8, as torchvision), the target
``randint(0, num_classes)``. The recipe is torchvision's; the values differ because ember's
generator is not PyTorch's.

>>> from ember.vision import datasets
>>> ds = datasets.FakeData(size=4, image_size=(3, 8, 8), num_classes=3)
>>> img, target = ds[2]
>>> img.size, 0 <= target < 3, ds[2][1] == target
((8, 8), True, True)
"""
import ember
from ember.vision.datasets.vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """A dataset of ``size`` random ``image_size`` (C, H, W) images and ``num_classes`` targets."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None, target_transform=None,
                 random_offset=0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size, self.num_classes = size, num_classes
        self.image_size, self.random_offset = tuple(image_size), random_offset

    def __getitem__(self, index):
        if not -self.size <= index < self.size:
            raise IndexError(f"FakeData: index {index} out of range for a dataset of size {self.size}")
        index %= self.size
        state = ember.get_rng_state()
        try:
            ember.manual_seed(index + self.random_offset)
            img = ember.randn(*self.image_size)
            target = ember.randint(0, self.num_classes, size=(1,), dtype=ember.long)[0]
        finally:
            ember.set_rng_state(state)
        from ember.vision.transforms import ToPILImage
        img = ToPILImage()(img)
        return self._apply(img, int(target))

    def __len__(self):
        return self.size
