"""Pascal VOC segmentation (2007-2012): photos and per-pixel class masks.

torchvision's layout: ``root/VOCdevkit/VOC<year>/`` (2011: ``root/TrainVal/VOCdevkit/VOC2011/``) from the
year's tar archive, holding ``JPEGImages/<id>.jpg``, ``SegmentationClass/<id>.png`` (palette images:
class index per pixel, 255 on object borders) and ``ImageSets/Segmentation/<image_set>.txt`` (ids, one per
line). ``download=True`` fetches the archive into ``root`` (md5 checked) and unpacks it there.
"""
import os

from ember.vision._pil import require_pil
from ember.vision.datasets.download import check_integrity, download_file, extract_tar
from ember.vision.datasets.vision import VisionDataset

__all__ = ["VOCSegmentation", "DATASET_YEAR_DICT"]

_HOST = "http://host.robots.ox.ac.uk/pascal/VOC/"
DATASET_YEAR_DICT = {
    "2012": {"url": _HOST + "voc2012/VOCtrainval_11-May-2012.tar", "filename": "VOCtrainval_11-May-2012.tar",
             "md5": "6cd6e144f989b92b3379bac3b3de84fd", "base_dir": os.path.join("VOCdevkit", "VOC2012")},
    "2011": {"url": _HOST + "voc2011/VOCtrainval_25-May-2011.tar", "filename": "VOCtrainval_25-May-2011.tar",
             "md5": "6c3384ef61512963050cb5d687e5bf1e",
             "base_dir": os.path.join("TrainVal", "VOCdevkit", "VOC2011")},
    "2010": {"url": _HOST + "voc2010/VOCtrainval_03-May-2010.tar", "filename": "VOCtrainval_03-May-2010.tar",
             "md5": "da459979d0c395079b5c75ee67908abb", "base_dir": os.path.join("VOCdevkit", "VOC2010")},
    "2009": {"url": _HOST + "voc2009/VOCtrainval_11-May-2009.tar", "filename": "VOCtrainval_11-May-2009.tar",
             "md5": "59065e4b188729180974ef6572f6a212", "base_dir": os.path.join("VOCdevkit", "VOC2009")},
    # torchvision saves the 2008 archive under the 2012 file name; kept, so an archive it fetched is found
    "2008": {"url": _HOST + "voc2008/VOCtrainval_14-Jul-2008.tar", "filename": "VOCtrainval_11-May-2012.tar",
             "md5": "2629fa636546599198acfcfbfcf1904a", "base_dir": os.path.join("VOCdevkit", "VOC2008")},
    "2007": {"url": _HOST + "voc2007/VOCtrainval_06-Nov-2007.tar", "filename": "VOCtrainval_06-Nov-2007.tar",
             "md5": "c52e279531787c972589f7e41ab4ae64", "base_dir": os.path.join("VOCdevkit", "VOC2007")},
    "2007-test": {"url": _HOST + "voc2007/VOCtest_06-Nov-2007.tar", "filename": "VOCtest_06-Nov-2007.tar",
                  "md5": "b6e924de25625d8de591ea690078ad9f", "base_dir": os.path.join("VOCdevkit", "VOC2007")},
}


class VOCSegmentation(VisionDataset):
    """Pascal VOC semantic segmentation: ``ds[i]`` is ``(RGB image, mask)``, both PIL images.

    Args:
        root (str): directory holding ``VOCdevkit/``.
        year (str): ``'2007'`` .. ``'2012'``.
        image_set (str): ``'train'``, ``'trainval'``, ``'val'`` (and ``'test'`` for 2007).
        download (bool): fetch and unpack the year's archive.
        transform, target_transform, transforms: as torchvision (``transforms(image, mask)`` on both,
            else ``transform`` on the image and ``target_transform`` on the mask).
    """

    timeout = 600.0

    def __init__(self, root, year="2012", image_set="train", download=False, transform=None, target_transform=None,
                 transforms=None):
        if year not in DATASET_YEAR_DICT or year == "2007-test":
            raise ValueError(f"VOCSegmentation: year must be one of 2007..2012 (a str), got {year!r}")
        valid = ("train", "trainval", "val") + (("test",) if year == "2007" else ())
        if image_set not in valid:
            raise ValueError(f"VOCSegmentation: image_set must be one of {', '.join(valid)} for {year}, "
                             f"got {image_set!r}")
        if transforms is not None and (transform is not None or target_transform is not None):
            raise ValueError("VOCSegmentation: pass either transforms or transform/target_transform, not both")
        if root is None:
            raise ValueError("VOCSegmentation needs a root directory; there is no bundled sample")
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.transforms = transforms
        self.year, self.image_set = year, image_set
        key = "2007-test" if year == "2007" and image_set == "test" else year
        entry = DATASET_YEAR_DICT[key]
        self.url, self.filename, self.md5 = entry["url"], entry["filename"], entry["md5"]
        voc_root = os.path.join(self.root, entry["base_dir"])
        if download and not os.path.isdir(voc_root):
            self._download()
        if not os.path.isdir(voc_root):
            raise RuntimeError(f"Dataset not found or corrupted: expected {voc_root}. "
                               f"You can use download=True to download it")
        split_file = os.path.join(voc_root, "ImageSets", "Segmentation", image_set + ".txt")
        with open(split_file, encoding="utf-8") as f:
            ids = [line.strip() for line in f if line.strip()]
        self.images = [os.path.join(voc_root, "JPEGImages", i + ".jpg") for i in ids]
        self.targets = [os.path.join(voc_root, "SegmentationClass", i + ".png") for i in ids]

    @property
    def masks(self):
        return self.targets

    def _download(self):
        archive = os.path.join(self.root, self.filename)
        os.makedirs(self.root, exist_ok=True)
        if not check_integrity(archive, self.md5):
            download_file([self.url], archive, self.md5, timeout=self.timeout,
                          hint=f"Without network, put {self.filename} in {self.root} by hand.")
        extract_tar(archive, self.root)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image_module = require_pil("VOCSegmentation")
        img = image_module.open(self.images[index]).convert("RGB")
        target = image_module.open(self.targets[index])
        if self.transforms is not None:
            return self.transforms(img, target)
        return self._apply(img, target)

    def extra_repr(self):
        return f"Year: {self.year}\nImage set: {self.image_set}"
