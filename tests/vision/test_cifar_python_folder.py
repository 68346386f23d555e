"""torchvision's CIFAR folders (the "python version" it downloads: cifar-10-batches-py/,
cifar-100-python/) load in ember's CIFAR10/CIFAR100 without unpickling; images, labels and class
names equal what was written, and a batch holding code is refused without running it."""
import os
import pickle

import numpy as np
import pytest

from ember.vision.datasets import CIFAR10, CIFAR100


def _batch(rng, n, **labels):
    # As the real files: bytes keys, a uint8 (N, 3072) array, lists of ints (pickle protocol 2).
    out = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8)}
    out.update({k.encode(): [int(v) for v in vs] for k, vs in labels.items()})
    return out


def _write(path, value):
    with open(path, "wb") as f:
        pickle.dump(value, f, protocol=2)


def test_cifar10_python_folder(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    batches = {f"data_batch_{i}": _batch(rng, 3, labels=rng.integers(0, 10, 3)) for i in range(1, 6)}
    batches["test_batch"] = _batch(rng, 2, labels=[7, 1])
    for name, b in batches.items():
        _write(folder / name, b)
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]
    _write(folder / "batches.meta", {b"label_names": names, b"num_vis": 3072})
    train, test = CIFAR10(str(tmp_path), train=True), CIFAR10(str(tmp_path), train=False)
    assert len(train) == 15 and len(test) == 2 and test.targets == [7, 1]
    assert train.classes == [n.decode() for n in names] and train.class_to_idx["truck"] == 9
    want = batches["data_batch_2"][b"data"][1].reshape(3, 32, 32).transpose(1, 2, 0)
    np.testing.assert_array_equal(train.data[4], want)
    assert train.targets[4] == batches["data_batch_2"][b"labels"][1]
    img, label = train[4]
    np.testing.assert_array_equal(np.asarray(img), want)


def test_cifar100_python_folder_and_a_batch_with_code_is_refused(tmp_path):
    rng = np.random.default_rng(1)
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    for split, n in (("train", 4), ("test", 2)):
        _write(folder / split, _batch(rng, n, fine_labels=rng.integers(0, 100, n), coarse_labels=rng.integers(0, 20, n)))
    _write(folder / "meta", {b"fine_label_names": [f"f{i}".encode() for i in range(100)],
                             b"coarse_label_names": [f"c{i}".encode() for i in range(20)]})
    ds = CIFAR100(str(tmp_path), train=True)
    with open(folder / "train", "rb") as f:
        raw = pickle.load(f, encoding="bytes")  # the oracle: the real unpickler, on our own trusted file
    assert ds.targets == raw[b"fine_labels"] and ds.coarse_targets == raw[b"coarse_labels"]
    assert ds.classes[3] == "f3" and ds.coarse_classes[19] == "c19"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))
    _write(folder / "train", {b"data": Evil()})
    with pytest.raises(ValueError, match="not a CIFAR batch of plain data"):
        CIFAR100(str(tmp_path), train=True)
    assert not (tmp_path / "ran").exists()
