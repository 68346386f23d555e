"""CIFAR100, EMNIST, QMNIST, SVHN, STL10 and FakeData: each downloaded with download=True from a
local HTTP server serving tiny files in the real formats (built here with struct / NumPy /
scipy.io, not with ember's readers), in torchvision's on-disk layout, and compared with the
arrays they were built from."""
import gzip
import hashlib
import io
import lzma
import os
import struct
import tarfile
import zipfile

import numpy as np
import pytest

import ember
from ember.vision import datasets
from ember.vision.datasets import DownloadError
from tests._http import FileServer

RNG = np.random.default_rng(7)


def md5(data):
    return hashlib.md5(data).hexdigest()


def idx_bytes(array, code):
    """An IDX file written by hand: magic 0x0000TTNN, big-endian sizes, big-endian data."""
    dtype = {0x08: ">u1", 0x0C: ">i4"}[code]
    head = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return head + np.asarray(array).astype(dtype).tobytes()


def tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# CIFAR-100 ---------------------------------------------------------------------------------

def test_cifar100_binary_fine_and_coarse(tmp_path):
    n = {"train.bin": 4, "test.bin": 3}
    truth, members = {}, {}
    for name, count in n.items():
        coarse = RNG.integers(0, 20, count, dtype=np.uint8)
        fine = RNG.integers(0, 100, count, dtype=np.uint8)
        pixels = RNG.integers(0, 256, (count, 3, 32, 32), dtype=np.uint8)
        truth[name] = coarse, fine, pixels
        members[f"cifar-100-binary/{name}"] = b"".join(
            bytes([c, f]) + p.tobytes() for c, f, p in zip(coarse, fine, pixels))
    fine_names = [f"fine{i}" for i in range(100)]
    members["cifar-100-binary/fine_label_names.txt"] = ("\n".join(fine_names) + "\n").encode()
    members["cifar-100-binary/coarse_label_names.txt"] = ("\n".join(f"super{i}" for i in range(20)) + "\n").encode()
    archive = tar_gz(members)
    with FileServer({"/k/cifar-100-binary.tar.gz": archive}) as server:
        cls = type("CIFAR100", (datasets.CIFAR100,), {"mirrors": [server.url + "/k/"], "tgz_md5": md5(archive)})
        train = cls(tmp_path, download=True)
        test = cls(tmp_path, train=False)
        assert server.requests == ["/k/cifar-100-binary.tar.gz"]
    coarse, fine, pixels = truth["train.bin"]
    assert train.targets == fine.tolist() and train.coarse_targets == coarse.tolist()
    assert train.data.dtype == np.uint8 and train.data.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(train.data, pixels.transpose(0, 2, 3, 1))
    assert train.classes == fine_names and train.class_to_idx["fine7"] == 7
    assert train.coarse_classes[19] == "super19" and len(test) == 3
    img, label = test[2]
    assert label == truth["test.bin"][1][2]
    np.testing.assert_array_equal(np.asarray(img), truth["test.bin"][2][2].transpose(1, 2, 0))


def test_cifar100_wrong_md5_names_both(tmp_path):
    archive = tar_gz({"cifar-100-binary/train.bin": bytes(3074)})
    with FileServer({"/k/cifar-100-binary.tar.gz": archive}) as server:
        cls = type("CIFAR100", (datasets.CIFAR100,), {"mirrors": [server.url + "/k/"]})
        with pytest.raises(DownloadError, match=f"md5 {md5(archive)}, expected {datasets.CIFAR100.tgz_md5}"):
            cls(tmp_path, download=True)


# EMNIST ------------------------------------------------------------------------------------

def test_emnist_zip_layout_and_classes(tmp_path):
    members, truth = {}, {}
    for part, count in (("train", 5), ("test", 2)):
        images = RNG.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = RNG.integers(1, 27, count, dtype=np.uint8)
        truth[part] = images, labels
        prefix = f"gzip/emnist-letters-{part}"
        members[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(images, 0x08))
        members[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(labels, 0x08))
    members["gzip/emnist-letters-mapping.txt"] = b"1 65 97\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    archive = buffer.getvalue()
    with FileServer({"/e/gzip.zip": archive}) as server:
        cls = type("EMNIST", (datasets.EMNIST,), {"mirrors": [server.url + "/nope/", server.url + "/e/"],
                                                  "md5": md5(archive)})
        train = cls(tmp_path, split="letters", download=True)
        test = cls(tmp_path, split="letters", train=False, download=True)
        assert server.requests == ["/nope/gzip.zip", "/e/gzip.zip"]
    raw = tmp_path / "EMNIST" / "raw"
    assert (raw / "emnist-letters-train-images-idx3-ubyte").read_bytes() == idx_bytes(truth["train"][0], 0x08)
    assert not (raw / "gzip").exists()
    assert train.data.dtype == ember.uint8 and train.targets.dtype == ember.int64
    np.testing.assert_array_equal(train.data.numpy(), truth["train"][0])
    assert test.targets.tolist() == truth["test"][1].tolist()
    assert train.classes[0] == "N/A" and train.classes[1] == "a" and len(train.classes) == 27
    assert len(datasets.EMNIST.classes_split_dict["byclass"]) == 62
    img, label = test[1]
    np.testing.assert_array_equal(np.asarray(img), truth["test"][0][1])
    with pytest.raises(ValueError, match="unknown split 'bogus'"):
        datasets.EMNIST(tmp_path, split="bogus")


# QMNIST ------------------------------------------------------------------------------------

def test_qmnist_gz_and_xz_compat_and_test_subsets(tmp_path):
    n_test = 10003  # test10k is the first 10,000 rows, test50k the rest: 1x1 images keep it small
    test_images = RNG.integers(0, 256, (n_test, 1, 1), dtype=np.uint8)
    test_labels = RNG.integers(0, 1 << 20, (n_test, 8)).astype(np.int32)
    nist_images = RNG.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    nist_labels = RNG.integers(-5, 1000, (3, 8)).astype(np.int32)
    served = {"qmnist-test-images-idx3-ubyte.gz": gzip.compress(idx_bytes(test_images, 0x08)),
              "qmnist-test-labels-idx2-int.gz": gzip.compress(idx_bytes(test_labels, 0x0C)),
              "xnist-images-idx3-ubyte.xz": lzma.compress(idx_bytes(nist_images, 0x08)),
              "xnist-labels-idx2-int.xz": lzma.compress(idx_bytes(nist_labels, 0x0C))}
    with FileServer({f"/q/{k}": v for k, v in served.items()}) as server:
        base = server.url + "/q/"
        resources = {"test": [(base + n, md5(served[n])) for n in list(served)[:2]],
                     "nist": [(base + n, md5(served[n])) for n in list(served)[2:]]}
        cls = type("QMNIST", (datasets.QMNIST,), {"resources": resources})
        test = cls(tmp_path, train=False, download=True)
        first = cls(tmp_path, what="test10k", compat=False)
        rest = cls(tmp_path, what="test50k")
        nist = cls(tmp_path, what="nist", download=True)
        assert len(server.requests) == 4
    raw = tmp_path / "QMNIST" / "raw"
    assert (raw / "xnist-labels-idx2-int").read_bytes() == idx_bytes(nist_labels, 0x0C)
    assert test.targets.dtype == ember.int64 and tuple(test.targets.shape) == (n_test, 8)
    np.testing.assert_array_equal(test.targets.numpy(), test_labels)
    assert len(first) == 10000 and len(rest) == 3
    np.testing.assert_array_equal(rest.data.numpy(), test_images[10000:])
    assert rest[1][1] == int(test_labels[10001, 0])                    # compat: the class
    np.testing.assert_array_equal(first[4][1].numpy(), test_labels[4])  # the whole row
    np.testing.assert_array_equal(nist.targets.numpy(), nist_labels)
    np.testing.assert_array_equal(np.asarray(nist[2][0]), nist_images[2])


# SVHN --------------------------------------------------------------------------------------

def test_svhn_mat_file_labels_10_is_0(tmp_path):
    scipy_io = pytest.importorskip("scipy.io")  # in the test extra
    X = RNG.integers(0, 256, (32, 32, 3, 5), dtype=np.uint8)
    y = np.array([[10], [1], [9], [10], [3]], dtype=np.uint8)
    buffer = io.BytesIO()
    scipy_io.savemat(buffer, {"X": X, "y": y})
    mat = buffer.getvalue()
    with FileServer({"/s/test_32x32.mat": mat}) as server:
        url, name, _ = datasets.SVHN.split_list["test"]
        cls = type("SVHN", (datasets.SVHN,), {"split_list": {"test": [server.url + "/s/" + name, name, md5(mat)]}})
        ds = cls(tmp_path, split="test", download=True)
        cls(tmp_path, split="test", download=True)
        assert server.requests == ["/s/test_32x32.mat"]
    assert url.endswith("/housenumbers/test_32x32.mat")
    assert (tmp_path / "test_32x32.mat").read_bytes() == mat
    assert ds.labels.tolist() == [0, 1, 9, 0, 3] and ds.labels.dtype == np.int64
    assert ds.data.shape == (5, 3, 32, 32)
    img, label = ds[3]
    assert label == 0
    np.testing.assert_array_equal(np.asarray(img), X[:, :, :, 3])


def test_svhn_without_scipy_names_the_extra(tmp_path, monkeypatch):
    import sys
    (tmp_path / "train_32x32.mat").write_bytes(b"x")
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    with pytest.raises(ImportError, match=r'ember\[scipy\]'):
        datasets.SVHN(tmp_path)


# STL10 -------------------------------------------------------------------------------------

def test_stl10_binary_splits_and_folds(tmp_path):
    def images(count):
        hwc = RNG.integers(0, 256, (count, 96, 96, 3), dtype=np.uint8)
        # stored channel by channel, each channel column-major (MATLAB order)
        return hwc, b"".join(np.ascontiguousarray(im.transpose(2, 1, 0)).tobytes() for im in hwc)

    train, train_bin = images(4)
    test, test_bin = images(2)
    unlabeled, unlabeled_bin = images(3)
    train_y, test_y = np.array([1, 10, 3, 4], np.uint8), np.array([2, 5], np.uint8)
    folds = "3 1\n0\n" + "2\n" * 8
    members = {"stl10_binary/train_X.bin": train_bin, "stl10_binary/train_y.bin": train_y.tobytes(),
               "stl10_binary/test_X.bin": test_bin, "stl10_binary/test_y.bin": test_y.tobytes(),
               "stl10_binary/unlabeled_X.bin": unlabeled_bin, "stl10_binary/fold_indices.txt": folds.encode(),
               "stl10_binary/class_names.txt": b"airplane\nbird\ncar\ncat\ndeer\ndog\nhorse\nmonkey\nship\ntruck\n",
               "/etc/evil": b"no"}
    archive = tar_gz(members)
    with FileServer({"/stl/stl10_binary.tar.gz": archive}) as server:
        cls = type("STL10", (datasets.STL10,), {"url": server.url + "/stl/stl10_binary.tar.gz",
                                                "tgz_md5": md5(archive)})
        ds = cls(tmp_path, download=True)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".extract")]
    assert not (tmp_path / "etc").exists()
    assert ds.labels.tolist() == [0, 9, 2, 3] and ds.classes[1] == "bird"
    np.testing.assert_array_equal(ds.data.transpose(0, 2, 3, 1), train)
    img, label = ds[1]
    assert label == 9
    np.testing.assert_array_equal(np.asarray(img), train[1])
    fold0 = cls(tmp_path, folds=0)
    assert fold0.labels.tolist() == [3, 9]
    np.testing.assert_array_equal(fold0.data.transpose(0, 2, 3, 1), train[[3, 1]])
    both = cls(tmp_path, split="train+unlabeled", folds=1)
    assert both.labels.tolist() == [0, -1, -1, -1]
    np.testing.assert_array_equal(both.data[1:].transpose(0, 2, 3, 1), unlabeled)
    only = cls(tmp_path, split="unlabeled")
    assert len(only) == 3 and only[0][1] == -1
    assert cls(tmp_path, split="test").labels.tolist() == [1, 4]
    with pytest.raises(ValueError, match="folds must be None or an int in 0..9, got 10"):
        cls(tmp_path, folds=10)


# FakeData ----------------------------------------------------------------------------------

def test_fakedata_is_the_seeded_recipe_and_leaves_the_rng_alone():
    from ember.vision import transforms
    ds = datasets.FakeData(size=5, image_size=(3, 6, 4), num_classes=4, random_offset=11,
                           transform=transforms.PILToTensor())
    ember.manual_seed(0)
    before = ember.rand(3)
    ember.manual_seed(0)
    img, target = ds[2]
    assert ember.equal(ember.rand(3), before)  # the global stream is untouched
    gen = ember.Generator().manual_seed(13)
    expected_img = ember.randn(3, 6, 4, generator=gen)
    expected_target = int(ember.randint(0, 4, (1,), generator=gen)[0])
    import torch  # ToPILImage's float -> uint8 is torchvision's pic.mul(255).byte()
    pil = torch.from_numpy(expected_img.numpy()).mul(255).byte().numpy()
    assert target == expected_target and img.dtype == ember.uint8 and tuple(img.shape) == (3, 6, 4)
    np.testing.assert_array_equal(img.numpy(), pil)
    assert len(ds) == 5 and ds[-3][1] == target
    with pytest.raises(IndexError, match="index 5 out of range"):
        ds[5]


# OxfordIIITPet, VOCSegmentation ------------------------------------------------------------

def _png(array, palette=False):
    """A PNG of uint8 ``array``: grayscale, or a palette image (class index per pixel, as VOC's masks)."""
    from PIL import Image
    if palette:
        image = Image.frombytes("P", array.shape[::-1], np.ascontiguousarray(array).tobytes())
        image.putpalette(list(range(256)) * 3)
    else:
        image = Image.fromarray(array)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg(array):
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def _decoded(data):
    """Pillow's own decoding of the bytes (JPEG is lossy: the oracle is the decoder, not the array)."""
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_oxford_iiit_pet_archives_targets_and_classes(tmp_path):
    pytest.importorskip("PIL")  # in the test extra
    ids = [("Abyssinian_1", 1, 1), ("american_bulldog_3", 2, 2), ("Abyssinian_7", 1, 1), ("yorkshire_terrier_2", 37, 2)]
    images = {i: _jpeg(RNG.integers(0, 256, (6, 5, 3), dtype=np.uint8)) for i, _, _ in ids}
    trimaps = {i: RNG.integers(1, 4, (6, 5), dtype=np.uint8) for i, _, _ in ids}
    images_tar = tar_gz({f"images/{i}.jpg": data for i, data in images.items()})
    lines = "".join(f"{i} {c} {s} 1\n" for i, c, s in ids[:3])
    annotations_tar = tar_gz({"annotations/trainval.txt": ("#Image CLASS-ID SPECIES BREED ID\n" + lines).encode(),
                              "annotations/test.txt": f"{ids[3][0]} 37 2 12\n".encode(),
                              **{f"annotations/trimaps/{i}.png": _png(t) for i, t in trimaps.items()}})
    with FileServer({"/pets/images.tar.gz": images_tar, "/pets/annotations.tar.gz": annotations_tar}) as server:
        cls = type("OxfordIIITPet", (datasets.OxfordIIITPet,), {"_RESOURCES": (
            (server.url + "/pets/images.tar.gz", md5(images_tar)),
            (server.url + "/pets/annotations.tar.gz", md5(annotations_tar)))})
        ds = cls(tmp_path, download=True, target_types=["category", "binary-category", "segmentation"])
        test = cls(tmp_path, split="test", download=True)
        assert len(server.requests) == 2
    assert (tmp_path / "oxford-iiit-pet" / "annotations" / "trimaps" / "Abyssinian_7.png").is_file()
    assert ds.classes == ["Abyssinian", "American Bulldog"] and ds.class_to_idx["American Bulldog"] == 1
    assert ds.bin_classes == ["Cat", "Dog"] and len(ds) == 3
    image, (category, species, trimap) = ds[1]
    assert (category, species) == (1, 1) and image.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(image), _decoded(images["american_bulldog_3"]))
    np.testing.assert_array_equal(np.asarray(trimap), trimaps["american_bulldog_3"])
    assert test[0][1] == 36 and test.classes == ["Yorkshire Terrier"]
    joint = cls(tmp_path, target_types=[], transforms=lambda img, target: (img.size, target))
    assert joint[0] == ((5, 6), None)
    with pytest.raises(ValueError, match="unknown target type 'bbox'"):
        cls(tmp_path, target_types="bbox")


def test_voc_segmentation_tar_layout_and_masks(tmp_path, monkeypatch):
    pytest.importorskip("PIL")
    ids = ["2007_000032", "2007_000039"]
    photos = {i: _jpeg(RNG.integers(0, 256, (4, 7, 3), dtype=np.uint8)) for i in ids}
    masks = {i: np.where(RNG.random((4, 7)) < 0.2, 255, RNG.integers(0, 21, (4, 7))).astype(np.uint8) for i in ids}
    base = "VOCdevkit/VOC2012"
    members = {f"{base}/ImageSets/Segmentation/train.txt": (ids[1] + "\n").encode(),
               f"{base}/ImageSets/Segmentation/val.txt": (ids[0] + "\n").encode(),
               **{f"{base}/JPEGImages/{i}.jpg": d for i, d in photos.items()},
               **{f"{base}/SegmentationClass/{i}.png": _png(m, palette=True) for i, m in masks.items()}}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:  # the VOC archives are plain tar
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive = buffer.getvalue()
    from ember.vision.datasets import voc
    entry = dict(voc.DATASET_YEAR_DICT["2012"])
    assert entry["url"].endswith("/voc2012/VOCtrainval_11-May-2012.tar")
    with FileServer({"/voc/VOCtrainval_11-May-2012.tar": archive}) as server:
        entry.update(url=server.url + "/voc/VOCtrainval_11-May-2012.tar", md5=md5(archive))
        monkeypatch.setitem(voc.DATASET_YEAR_DICT, "2012", entry)
        train = datasets.VOCSegmentation(tmp_path, download=True)
        val = datasets.VOCSegmentation(tmp_path, image_set="val", download=True)
        assert server.requests == ["/voc/VOCtrainval_11-May-2012.tar"]
    assert (tmp_path / "VOCtrainval_11-May-2012.tar").read_bytes() == archive
    img, mask = train[0]
    assert img.mode == "RGB" and mask.mode == "P" and len(val) == 1
    np.testing.assert_array_equal(np.asarray(img), _decoded(photos[ids[1]]))
    np.testing.assert_array_equal(np.asarray(mask), masks[ids[1]])
    np.testing.assert_array_equal(np.asarray(val[0][1]), masks[ids[0]])
    assert train.masks == train.targets and train.targets[0].endswith(f"SegmentationClass{os.sep}{ids[1]}.png")
    with pytest.raises(ValueError, match="image_set must be one of train, trainval, val for 2012, got 'test'"):
        datasets.VOCSegmentation(tmp_path, image_set="test")


# USPS --------------------------------------------------------------------------------------

def test_usps_libsvm_bz2(tmp_path):
    import bz2
    values = np.round(RNG.uniform(-1, 1, (3, 256)), 6)
    labels = [10, 1, 7]
    text = "".join(f"{lab} " + " ".join(f"{i + 1}:{v:.6f}" for i, v in enumerate(row)) + "\n"
                   for lab, row in zip(labels, values))
    data = bz2.compress(text.encode())
    with FileServer({"/u/usps.t.bz2": data}) as server:
        url, name, _ = datasets.USPS.split_list["test"]
        cls = type("USPS", (datasets.USPS,), {"split_list": {"test": [server.url + "/u/" + name, name, md5(data)]}})
        ds = cls(tmp_path, train=False, download=True)
        cls(tmp_path, train=False, download=True)
        assert server.requests == ["/u/usps.t.bz2"]
    assert url.endswith("/multiclass/usps.t.bz2")
    assert ds.targets == [9, 0, 6]
    expected = ((values.astype(np.float32) + 1) / 2 * 255).astype(np.uint8).reshape(3, 16, 16)
    np.testing.assert_array_equal(ds.data, expected)
    img, label = ds[2]
    assert label == 6
    np.testing.assert_array_equal(np.asarray(img), expected[2])


# Flowers102 --------------------------------------------------------------------------------

def test_flowers102_tgz_and_mat_files(tmp_path):
    scipy_io = pytest.importorskip("scipy.io")
    pytest.importorskip("PIL")
    photos = {i: _jpeg(RNG.integers(0, 256, (5, 4, 3), dtype=np.uint8)) for i in range(1, 6)}
    archive = tar_gz({f"jpg/image_{i:05d}.jpg": d for i, d in photos.items()})
    mats = {}
    for name, content in (("imagelabels.mat", {"labels": np.array([[77, 1, 102, 5, 77]], np.uint8)}),
                          ("setid.mat", {"trnid": np.array([[5, 1]], np.uint16), "valid": np.array([[2, 4]], np.uint16),
                                         "tstid": np.array([[3]], np.uint16)})):
        buffer = io.BytesIO()
        scipy_io.savemat(buffer, content)  # MATLAB row vectors (1, N), as the real files
        mats[name] = buffer.getvalue()
    served = {"/f/102flowers.tgz": archive, **{f"/f/{k}": v for k, v in mats.items()}}
    with FileServer(served) as server:
        files = {"image": ("102flowers.tgz", md5(archive)), "label": ("imagelabels.mat", md5(mats["imagelabels.mat"])),
                 "setid": ("setid.mat", md5(mats["setid.mat"]))}
        cls = type("Flowers102", (datasets.Flowers102,), {"_download_url_prefix": server.url + "/f/",
                                                          "_file_dict": files})
        train = cls(tmp_path, download=True)
        val = cls(tmp_path, split="val", download=True)
        test = cls(tmp_path, split="test")
        assert len(server.requests) == 3
    assert train._labels == [76, 76] and val._labels == [0, 4] and test._labels == [101]
    img, label = train[1]  # image id 1
    assert label == 76
    np.testing.assert_array_equal(np.asarray(img), _decoded(photos[1]))
    assert len(datasets.Flowers102.classes) == 102
    with pytest.raises(ValueError, match="split must be 'train', 'val' or 'test', got 'dev'"):
        cls(tmp_path, split="dev")
