"""IDX reader/writer, the bundled MNIST sample, and MNIST-family datasets read from disk."""
import gzip
import hashlib
import os
import re
import sys

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms
from ember.vision.datasets import IDXError, read_idx, write_idx
from ember.vision.datasets.mnist import SAMPLE_DIR


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32,
                                   np.float64])
@pytest.mark.parametrize("name", ["data-idx", "data-idx.gz"])
def test_idx_round_trip(tmp_path, dtype, name):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = tmp_path / name
    write_idx(path, array)
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == name.endswith(".gz")
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)


def test_idx_header_is_big_endian_per_spec(tmp_path):
    write_idx(tmp_path / "f", np.array([[1, 2, 3]], dtype=np.int16))
    raw = (tmp_path / "f").read_bytes()
    assert raw == bytes([0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 1, 0, 2, 0, 3])


def test_idx_reads_hand_made_mnist_label_file(tmp_path):
    raw = (2049).to_bytes(4, "big") + (3).to_bytes(4, "big") + bytes([7, 2, 1])
    (tmp_path / "labels").write_bytes(raw)
    assert read_idx(tmp_path / "labels").tolist() == [7, 2, 1]


def corrupt_cases():
    good = (2051).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in (2, 2, 2)) \
        + bytes(8)
    return {
        "tiny": (b"\x00\x00", "expected a 4-byte magic number, found a file of 2 bytes"),
        "bad zero bytes": (b"\x01\x00" + good[2:], "starting with two zero bytes, found "
                                                   "0x01000803"),
        "bad type": (b"\x00\x00\x07\x01" + good[4:], "unknown IDX type code 0x07"),
        "short header": (good[:10], "declares 3 dimension(s), which needs 16 bytes, but the "
                                    "file has only 10 bytes"),
        "truncated": (good[:-3], "need 8 data bytes, found 5 (file truncated)"),
        "trailing": (good + b"\x00", "need 8 data bytes, found 9 (unexpected trailing bytes)"),
    }


@pytest.mark.parametrize("case", list(corrupt_cases()))
def test_idx_errors_name_file_expected_and_found(tmp_path, case):
    raw, message = corrupt_cases()[case]
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(raw)
    with pytest.raises(IDXError, match=re.escape(message)) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_idx_truncated_gzip_and_expectations(tmp_path):
    path = tmp_path / "x.gz"
    write_idx(path, np.zeros((10, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(IDXError, match="gzip stream is truncated or corrupt"):
        read_idx(path)
    write_idx(path, np.zeros(4, np.uint8))
    with pytest.raises(IDXError, match="expected a 3-dimensional IDX file, found 1"):
        read_idx(path, ndim=3)
    with pytest.raises(IDXError, match="expected IDX type float, found ubyte"):
        read_idx(path, dtype="float")
    with pytest.raises(TypeError, match="int64"):
        write_idx(path, np.zeros(2, np.int64))


def test_bundled_sample_checksums_match_its_readme():
    readme = open(os.path.join(SAMPLE_DIR, "README.md"), encoding="utf-8").read()
    listed = dict((name, digest) for digest, name in
                  re.findall(r"^([0-9a-f]{64})\s+(\S+\.gz)$", readme, flags=re.M))
    assert len(listed) == 4
    for name, digest in listed.items():
        data = open(os.path.join(SAMPLE_DIR, name), "rb").read()
        assert hashlib.sha256(data).hexdigest() == digest, name


@pytest.mark.parametrize("train, n", [(True, 4000), (False, 1000)])
def test_bundled_sample_shapes_and_label_counts(train, n):
    images, labels = datasets.load_mnist_sample(train=train)
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [n // 10] * 10
    assert images.max() == 255 and images.min() == 0
    ds = datasets.MNIST(root=None, train=train)
    assert len(ds) == n and ds.data.dtype == ember.uint8 and ds.targets.dtype == ember.int64
    assert tuple(ds.data.shape) == (n, 28, 28)
    np.testing.assert_array_equal(ds.data.numpy(), images)
    assert ds.classes[3] == "3 - three" and ds.class_to_idx["3 - three"] == 3


def test_mnist_item_is_pil_image_or_array_without_pillow(monkeypatch):
    ds = datasets.MNIST(root=None, train=False)
    img, label = ds[0]
    assert type(label) is int and label == int(ds.targets[0].item())
    assert img.mode == "L" and img.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(img), ds.data[0].numpy())
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    arr, _ = ds[0]
    assert isinstance(arr, np.ndarray) and arr.shape == (28, 28) and arr.dtype == np.uint8
    tensor = transforms.ToTensor()(arr)
    assert tensor.shape == (1, 28, 28) and tensor.dtype == ember.float32


def test_mnist_with_transforms_through_a_dataloader():
    t = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    ds = datasets.MNIST(root=None, train=False, transform=t, target_transform=lambda y: y + 100)
    x, y = next(iter(DataLoader(ds, batch_size=16)))
    assert x.shape == (16, 1, 28, 28) and x.dtype == ember.float32
    assert y.dtype == ember.int64 and (y.numpy() >= 100).all()
    first = (ds.data[0].numpy().astype(np.float32) / 255 - 0.1307) / 0.3081
    np.testing.assert_allclose(x[0, 0].numpy(), first, rtol=1e-6, atol=1e-6)


def make_raw(folder, n_train=6, n_test=4, gz=True):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte{suffix}"),
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{suffix}"),
                  (np.arange(n) % 10).astype(np.uint8))


@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST, datasets.KMNIST])
@pytest.mark.parametrize("gz", [True, False])
def test_datasets_read_root_classname_raw(tmp_path, cls, gz):
    make_raw(tmp_path / cls.__name__ / "raw", gz=gz)
    train, test = cls(str(tmp_path)), cls(tmp_path, train=False)
    assert len(train) == 6 and len(test) == 4
    assert train.targets.tolist() == [0, 1, 2, 3, 4, 5]
    assert len(cls.classes) == 10


def test_missing_files_and_root_none_errors(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found .*download=True"):
        datasets.MNIST(tmp_path)
    with pytest.raises(ValueError, match="bundled offline sample exists only for MNIST"):
        datasets.FashionMNIST(root=None)
    folder = tmp_path / "MNIST" / "raw"
    make_raw(folder)
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(5, np.uint8))
    with pytest.raises(IDXError, match="holds 6 images but .* holds 5 labels"):
        datasets.MNIST(tmp_path)


def test_gzip_module_reads_our_gz_files(tmp_path):
    write_idx(tmp_path / "a.gz", np.arange(3, dtype=np.uint8))
    assert gzip.decompress((tmp_path / "a.gz").read_bytes())[-3:] == bytes([0, 1, 2])
