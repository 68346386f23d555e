"""Oxford 102 Flower: 8,189 photos of 102 flower species common in the United Kingdom.

torchvision's layout: ``root/flowers-102/`` holding ``jpg/image_<id:05d>.jpg`` (from ``102flowers.tgz``),
``imagelabels.mat`` (``labels``: the class 1..102 of image id 1..8189) and ``setid.mat`` (``trnid``,
``valid``, ``tstid``: the ids of each split). The ``.mat`` files are read with SciPy (imported here only);
labels are 0-based, as torchvision >= 0.13.
"""
import os

from ember.vision.datasets.download import check_integrity, download_file, extract_tar
from ember.vision.datasets.folder import default_loader
from ember.vision.datasets.svhn import _loadmat
from ember.vision.datasets.vision import VisionDataset

__all__ = ["Flowers102"]

_WHAT = "ember.vision.datasets.Flowers102"

CLASSES = [
    "pink primrose", "hard-leaved pocket orchid", "canterbury bells", "sweet pea", "english marigold",
    "tiger lily", "moon orchid", "bird of paradise", "monkshood", "globe thistle", "snapdragon", "colt's foot",
    "king protea", "spear thistle", "yellow iris", "globe-flower", "purple coneflower", "peruvian lily",
    "balloon flower", "giant white arum lily", "fire lily", "pincushion flower", "fritillary", "red ginger",
    "grape hyacinth", "corn poppy", "prince of wales feathers", "stemless gentian", "artichoke", "sweet william",
    "carnation", "garden phlox", "love in the mist", "mexican aster", "alpine sea holly", "ruby-lipped cattleya",
    "cape flower", "great masterwort", "siam tulip", "lenten rose", "barbeton daisy", "daffodil", "sword lily",
    "poinsettia", "bolero deep blue", "wallflower", "marigold", "buttercup", "oxeye daisy", "common dandelion",
    "petunia", "wild pansy", "primula", "sunflower", "pelargonium", "bishop of llandaff", "gaura", "geranium",
    "orange dahlia", "pink-yellow dahlia?", "cautleya spicata", "japanese anemone", "black-eyed susan",
    "silverbush", "californian poppy", "osteospermum", "spring crocus", "bearded iris", "windflower", "tree poppy",
    "gazania", "azalea", "water lily", "rose", "thorn apple", "morning glory", "passion flower", "lotus",
    "toad lily", "anthurium", "frangipani", "clematis", "hibiscus", "columbine", "desert-rose", "tree mallow",
    "magnolia", "cyclamen", "watercress", "canna lily", "hippeastrum", "bee balm", "ball moss", "foxglove",
    "bougainvillea", "camellia", "mallow", "mexican petunia", "bromelia", "blanket flower", "trumpet creeper",
    "blackberry lily",
]


class Flowers102(VisionDataset):
    """Oxford 102 Flower.

    Args:
        root (str): directory holding ``flowers-102/``.
        split (str): ``'train'``, ``'val'`` or ``'test'`` (1,020 / 1,020 / 6,149 images).
        transform, target_transform (callable, optional): applied to image / label.
        download (bool): fetch ``102flowers.tgz``, ``imagelabels.mat`` and ``setid.mat`` (md5 checked).
        loader (callable): reads an image file (Pillow RGB by default).

    Attributes:
        classes (list[str]): the 102 species names, by label.
    """

    _download_url_prefix = "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/"
    _file_dict = {
        "image": ("102flowers.tgz", "52808999861908f626f3c1f4e79d11fa"),
        "label": ("imagelabels.mat", "e0620be6f572b9609742df49c70aed4d"),
        "setid": ("setid.mat", "a5357ecc9cb78c4bef273ce3793fc85c"),
    }
    _splits_map = {"train": "trnid", "val": "valid", "test": "tstid"}
    classes = CLASSES
    timeout = 300.0

    def __init__(self, root, split="train", transform=None, target_transform=None, download=False,
                 loader=default_loader):
        if split not in self._splits_map:
            raise ValueError(f"Flowers102: split must be 'train', 'val' or 'test', got {split!r}")
        if root is None:
            raise ValueError("Flowers102 needs a root directory; there is no bundled sample")
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split, self.loader = split, loader
        self._base_folder = os.path.join(self.root, "flowers-102")
        self._images_folder = os.path.join(self._base_folder, "jpg")
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError(f"Dataset not found or corrupted in {self._base_folder}: expected jpg/, "
                               f"imagelabels.mat and setid.mat. You can use download=True to download it")
        set_ids = _loadmat(os.path.join(self._base_folder, self._file_dict["setid"][0]), _WHAT)
        labels = _loadmat(os.path.join(self._base_folder, self._file_dict["label"][0]), _WHAT)["labels"].reshape(-1)
        image_ids = set_ids[self._splits_map[split]].reshape(-1).tolist()
        self._labels = [int(labels[i - 1]) - 1 for i in image_ids]
        self._image_files = [os.path.join(self._images_folder, f"image_{i:05d}.jpg") for i in image_ids]

    def __len__(self):
        return len(self._image_files)

    def __getitem__(self, idx):
        return self._apply(self.loader(self._image_files[idx]), self._labels[idx])

    def _check_integrity(self):
        if not os.path.isdir(self._images_folder):
            return False
        return all(check_integrity(os.path.join(self._base_folder, name), md5)
                   for name, md5 in (self._file_dict["label"], self._file_dict["setid"]))

    def download(self):
        """Fetch and unpack the images and fetch the two ``.mat`` files, unless they are all there."""
        if self._check_integrity():
            return
        os.makedirs(self._base_folder, exist_ok=True)
        for key in ("image", "label", "setid"):
            name, md5 = self._file_dict[key]
            path = os.path.join(self._base_folder, name)
            if not check_integrity(path, md5):
                download_file([self._download_url_prefix + name], path, md5, timeout=self.timeout,
                              hint=f"Without network, put {name} in {self._base_folder} by hand.")
        extract_tar(os.path.join(self._base_folder, self._file_dict["image"][0]), self._base_folder)

    def extra_repr(self):
        return f"split={self._split}"
