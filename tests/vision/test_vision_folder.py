"""ImageFolder over PNG and JPEG files, and its error without Pillow."""
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ember.vision import datasets


def make_tree(root):
    rng = np.random.default_rng(0)
    pixels = {}
    for cls, names in {"dog": ["b.png", "a.jpg", "notes.txt"], "cat": ["z.png"],
                       "bird": ["x.jpeg", "sub/y.png"]}.items():
        for name in names:
            path = root / cls / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith(".txt"):
                path.write_text("not an image")
                continue
            arr = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
            Image.fromarray(arr).save(path)
            pixels[str(path)] = arr
    return pixels


def test_image_folder_classes_samples_targets(tmp_path):
    pixels = make_tree(tmp_path)
    ds = datasets.ImageFolder(tmp_path)
    assert ds.classes == ["bird", "cat", "dog"]
    assert ds.class_to_idx == {"bird": 0, "cat": 1, "dog": 2}
    names = [(Path(p).relative_to(tmp_path).as_posix(), t) for p, t in ds.samples]
    # os.walk order, sorted by folder: a class folder's own files before its sub-folders'.
    assert names == [("bird/x.jpeg", 0), ("bird/sub/y.png", 0), ("cat/z.png", 1),
                     ("dog/a.jpg", 2), ("dog/b.png", 2)]
    assert ds.targets == [0, 0, 1, 2, 2] and ds.imgs is ds.samples and len(ds) == 5
    img, target = ds[4]
    assert img.mode == "RGB" and img.size == (6, 5) and target == 2
    np.testing.assert_array_equal(np.asarray(img), pixels[ds.samples[4][0]])
    jpeg, _ = ds[3]
    with Image.open(ds.samples[3][0]) as decoded:  # JPEG is lossy: compare with Pillow's decode
        np.testing.assert_array_equal(np.asarray(jpeg), np.asarray(decoded.convert("RGB")))


def test_image_folder_is_valid_file_loader_and_transforms(tmp_path):
    make_tree(tmp_path)
    ds = datasets.ImageFolder(tmp_path, is_valid_file=lambda p: p.endswith(".txt"),
                              loader=lambda p: open(p).read(), allow_empty=True,
                              target_transform=lambda t: -t)
    assert ds[0] == ("not an image", -2) and len(ds) == 1
    with pytest.raises(FileNotFoundError, match="bird, cat"):
        datasets.ImageFolder(tmp_path, is_valid_file=lambda p: p.endswith(".txt"))


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        datasets.ImageFolder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        datasets.ImageFolder(tmp_path)


def test_image_folder_without_pillow_says_how_to_install(tmp_path, monkeypatch):
    make_tree(tmp_path)
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match=r'pip install "ember\[vision\]"'):
        datasets.ImageFolder(tmp_path)
    ds = datasets.ImageFolder(tmp_path, loader=lambda p: p)  # a custom loader needs no Pillow
    assert len(ds) == 5
