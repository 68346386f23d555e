"""download=True against a local HTTP server on 127.0.0.1 serving small generated files;
checksum mismatches, mirror fallback, and the no-network error."""
import gzip
import hashlib
import io
import os
import socket
import tarfile

import numpy as np
import pytest

from ember.vision import datasets
from ember.vision.datasets import DownloadError
from ember.vision.datasets.idx import encode_idx
from tests._http import FileServer

def Server(files):
    """Serves ``files`` (path -> bytes) on 127.0.0.1; at most 50 requests, each logged; 404 for anything else."""
    return FileServer(files, max_requests=50)


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def mnist_files(n_train=5, n_test=3):
    rng = np.random.default_rng(1)
    files = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        files[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(
            encode_idx(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)), mtime=0)
        files[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(
            encode_idx(np.arange(n, dtype=np.uint8)), mtime=0)
    return files


def local_mnist(mirrors, files, cls=datasets.MNIST):
    return type("MNIST", (cls,), {
        "mirrors": mirrors, "timeout": 5.0,
        "resources": [(name, hashlib.md5(data).hexdigest()) for name, data in files.items()]})


def test_download_fetches_verifies_and_loads(tmp_path):
    files = mnist_files()
    with Server({f"/m/{k}": v for k, v in files.items()}) as server:
        cls = local_mnist([server.url + "/m/"], files)
        ds = cls(tmp_path, download=True)
        assert len(ds) == 5 and ds.targets.tolist() == [0, 1, 2, 3, 4]
        assert len(server.requests) == 4
        for name, data in files.items():
            assert (tmp_path / "MNIST" / "raw" / name).read_bytes() == data
        cls(tmp_path, train=False, download=True)  # already there: no new request
        assert len(server.requests) == 4
    assert not [p for p in os.listdir(tmp_path / "MNIST" / "raw") if p.endswith(".tmp")]


def test_download_falls_back_to_the_next_mirror(tmp_path):
    files = mnist_files()
    with Server({f"/good/{k}": v for k, v in files.items()}) as server:
        cls = local_mnist([closed_port_url(), server.url + "/missing/", server.url + "/good/"],
                          files)
        assert len(cls(tmp_path, download=True)) == 5
        assert sum(r.startswith("/missing/") for r in server.requests) == 4


def test_checksum_mismatch_is_an_error_and_leaves_no_file(tmp_path):
    files = mnist_files()
    served = dict(files)
    served["train-labels-idx1-ubyte.gz"] = gzip.compress(encode_idx(np.zeros(5, np.uint8)))
    with Server({f"/m/{k}": v for k, v in served.items()}) as server:
        cls = local_mnist([server.url + "/m/"], files)
        expected = hashlib.md5(files["train-labels-idx1-ubyte.gz"]).hexdigest()
        got = hashlib.md5(served["train-labels-idx1-ubyte.gz"]).hexdigest()
        with pytest.raises(DownloadError, match=f"md5 {got}, expected {expected}"):
            cls(tmp_path, download=True)
    raw = tmp_path / "MNIST" / "raw"
    assert not (raw / "train-labels-idx1-ubyte.gz").exists()
    assert not [p for p in os.listdir(raw) if p.endswith(".tmp")]


def test_no_network_says_so(tmp_path):
    cls = local_mnist([closed_port_url()], mnist_files())
    with pytest.raises(DownloadError, match="no network connection to any mirror") as info:
        cls(tmp_path, download=True)
    assert "root=None" in str(info.value) and "train-images-idx3-ubyte.gz" in str(info.value)


def test_http_404_everywhere_is_not_called_offline(tmp_path):
    with Server({}) as server:
        cls = local_mnist([server.url + "/nothing/"], mnist_files())
        with pytest.raises(DownloadError, match="from any mirror") as info:
            cls(tmp_path, download=True)
    assert "no network" not in str(info.value) and "Not Found" in str(info.value)


def test_official_resources_are_torchvisions():
    assert datasets.MNIST.resources[0] == ("train-images-idx3-ubyte.gz",
                                           "f68b3c2dcbeaaa9fbdd348bbdeb94873")
    assert datasets.CIFAR10.tgz_md5 == "c32a1d4ab5d03f1284b67883e8d87530"
    assert datasets.CIFAR10.filename == "cifar-10-binary.tar.gz"


def cifar_archive(records_per_batch=3):
    rng = np.random.default_rng(2)
    buffer, expected = io.BytesIO(), {}
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
        for name in names:
            labels = rng.integers(0, 10, records_per_batch, dtype=np.uint8)
            pixels = rng.integers(0, 256, (records_per_batch, 3, 32, 32), dtype=np.uint8)
            expected[name] = (labels, pixels)
            raw = np.concatenate([labels[:, None], pixels.reshape(records_per_batch, -1)], 1)
            add(tar, f"cifar-10-batches-bin/{name}", raw.tobytes())
        add(tar, "cifar-10-batches-bin/batches.meta.txt", b"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n")
        add(tar, "../evil.txt", b"must not be written")
    return buffer.getvalue(), expected


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def test_cifar10_binary_download_and_records(tmp_path):
    archive, expected = cifar_archive()
    with Server({"/c/cifar-10-binary.tar.gz": archive}) as server:
        cls = type("CIFAR10", (datasets.CIFAR10,), {
            "mirrors": [server.url + "/c/"], "tgz_md5": hashlib.md5(archive).hexdigest()})
        train = cls(tmp_path / "root", download=True)
        test = cls(tmp_path / "root", train=False)
    assert not (tmp_path / "evil.txt").exists()
    assert len(train) == 15 and len(test) == 3 and train.data.shape == (15, 32, 32, 3)
    labels, pixels = expected["data_batch_2.bin"]
    assert train.targets[3:6] == labels.tolist()
    np.testing.assert_array_equal(train.data[3], pixels[0].transpose(1, 2, 0))
    assert train.classes == list("abcdefghij")
    img, label = test[1]
    assert img.mode == "RGB" and label == expected["test_batch.bin"][0][1]
    np.testing.assert_array_equal(np.asarray(img), expected["test_batch.bin"][1][1]
                                  .transpose(1, 2, 0))


def test_cifar10_bad_checksum_and_truncated_batch(tmp_path):
    archive, _ = cifar_archive()
    with Server({"/c/cifar-10-binary.tar.gz": archive}) as server:
        cls = type("CIFAR10", (datasets.CIFAR10,), {"mirrors": [server.url + "/c/"]})
        with pytest.raises(DownloadError, match="expected c32a1d4ab5d03f1284b67883e8d87530"):
            cls(tmp_path, download=True)
        good = type("CIFAR10", (datasets.CIFAR10,), {
            "mirrors": [server.url + "/c/"], "tgz_md5": hashlib.md5(archive).hexdigest()})
        good(tmp_path, download=True)
    batch = tmp_path / "cifar-10-batches-bin" / "test_batch.bin"
    batch.write_bytes(batch.read_bytes()[:-100])
    with pytest.raises(ValueError, match="whole number of 3073-byte CIFAR records"):
        good(tmp_path, train=False)
