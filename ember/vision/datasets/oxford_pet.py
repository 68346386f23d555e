"""The Oxford-IIIT Pet dataset: 7,349 photos of 37 cat and dog breeds with pixel trimaps.

torchvision's layout: ``root/oxford-iiit-pet/`` holding ``images/<Breed_name>_<n>.jpg`` (from
``images.tar.gz``) and ``annotations/`` (from ``annotations.tar.gz``): ``trainval.txt`` and ``test.txt``
with lines ``<image id> <class 1..37> <species 1 cat, 2 dog> <breed id>``, and ``trimaps/<image id>.png``
(1 pet, 2 background, 3 border). ``download=True`` fetches both archives (md5 checked) and unpacks them
there. Images are read with Pillow.
"""
import os

from ember.vision._pil import require_pil
from ember.vision.datasets.download import check_integrity, download_file, extract_tar
from ember.vision.datasets.vision import VisionDataset

__all__ = ["OxfordIIITPet"]


class OxfordIIITPet(VisionDataset):
    """Oxford-IIIT Pet.

    Args:
        root (str): directory holding ``oxford-iiit-pet/``.
        split (str): ``'trainval'`` or ``'test'``.
        target_types (str or sequence of str): ``'category'`` (0..36), ``'binary-category'`` (0 cat,
            1 dog) and/or ``'segmentation'`` (the trimap, a PIL image); a list gives a tuple, an empty
            list gives None.
        transforms (callable, optional): ``transforms(image, target)`` on both; else ``transform`` on the
            image and ``target_transform`` on the target.
        download (bool): fetch ``images.tar.gz`` and ``annotations.tar.gz`` if the folders are missing.

    Attributes:
        classes (list[str]): breed names ("Abyssinian", "American Bulldog"...), by label;
        class_to_idx, bin_classes (``['Cat', 'Dog']``), bin_class_to_idx.
    """

    _RESOURCES = (
        ("https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz", "5c4f3ee8e5d25df40f4fd59a7f44e54c"),
        ("https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz", "95a8c909bbe2e81eed6a22bccdf3f68f"),
    )
    _VALID_TARGET_TYPES = ("category", "binary-category", "segmentation")
    timeout = 300.0

    def __init__(self, root, split="trainval", target_types="category", transforms=None, transform=None,
                 target_transform=None, download=False):
        if split not in ("trainval", "test"):
            raise ValueError(f"OxfordIIITPet: split must be 'trainval' or 'test', got {split!r}")
        if isinstance(target_types, str):
            target_types = [target_types]
        for t in target_types:
            if t not in self._VALID_TARGET_TYPES:
                raise ValueError(f"OxfordIIITPet: unknown target type {t!r}; expected one of "
                                 f"{', '.join(self._VALID_TARGET_TYPES)}")
        if transforms is not None and (transform is not None or target_transform is not None):
            raise ValueError("OxfordIIITPet: pass either transforms or transform/target_transform, not both")
        if root is None:
            raise ValueError("OxfordIIITPet needs a root directory; there is no bundled sample")
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.transforms = transforms
        self._split, self._target_types = split, list(target_types)
        self._base_folder = os.path.join(self.root, "oxford-iiit-pet")
        self._images_folder = os.path.join(self._base_folder, "images")
        self._anns_folder = os.path.join(self._base_folder, "annotations")
        self._segs_folder = os.path.join(self._anns_folder, "trimaps")
        if download:
            self._download()
        if not self._check_exists():
            raise RuntimeError(f"Dataset not found: expected {self._images_folder} and {self._anns_folder}. "
                               f"You can use download=True to download it")
        image_ids, self._labels, self._bin_labels = [], [], []
        with open(os.path.join(self._anns_folder, f"{split}.txt"), encoding="utf-8") as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                image_id, label, bin_label, _ = line.split()
                image_ids.append(image_id)
                self._labels.append(int(label) - 1)
                self._bin_labels.append(int(bin_label) - 1)
        self.bin_classes = ["Cat", "Dog"]
        breeds = sorted({(image_id.rsplit("_", 1)[0], label) for image_id, label in zip(image_ids, self._labels)},
                        key=lambda pair: pair[1])
        self.classes = [" ".join(part.title() for part in raw.split("_")) for raw, _ in breeds]
        self.bin_class_to_idx = {name: i for i, name in enumerate(self.bin_classes)}
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self._images = [os.path.join(self._images_folder, f"{i}.jpg") for i in image_ids]
        self._segs = [os.path.join(self._segs_folder, f"{i}.png") for i in image_ids]

    def __len__(self):
        return len(self._images)

    def __getitem__(self, idx):
        image_module = require_pil("OxfordIIITPet")
        image = image_module.open(self._images[idx]).convert("RGB")
        target = []
        for kind in self._target_types:
            if kind == "category":
                target.append(self._labels[idx])
            elif kind == "binary-category":
                target.append(self._bin_labels[idx])
            else:
                target.append(image_module.open(self._segs[idx]))
        target = None if not target else target[0] if len(target) == 1 else tuple(target)
        if self.transforms is not None:
            return self.transforms(image, target)
        return self._apply(image, target)

    def _check_exists(self):
        return os.path.isdir(self._images_folder) and os.path.isdir(self._anns_folder)

    def _download(self):
        if self._check_exists():
            return
        os.makedirs(self._base_folder, exist_ok=True)
        for url, md5 in self._RESOURCES:
            archive = os.path.join(self._base_folder, os.path.basename(url))
            if not check_integrity(archive, md5):
                download_file([url], archive, md5, timeout=self.timeout,
                              hint=f"Without network, put {os.path.basename(url)} in {self._base_folder} by hand.")
            extract_tar(archive, self._base_folder)

    def extra_repr(self):
        return f"Split: {self._split}"
