"""keras.datasets loaders against a local HTTP server serving small files in the real formats (npz with
object arrays, gzipped IDX, CIFAR python tarballs of pickled batches), built here. Each loader's output is
compared with real Keras's loader reading the same files (Keras's ``get_file`` pointed at the server); then
checksum failures, interrupted downloads, cache reuse and refused pickles."""
import gzip
import hashlib
import http.server
import io
import json
import os
import pickle
import tarfile
import threading

import numpy as np
import pytest

from ember.keras import datasets
from ember.keras.datasets import cifar10, cifar100
from ember.vision.datasets.idx import encode_idx


class Server:
    """Serves ``files`` (name -> bytes) under ``/``; counts requests per name; names in ``truncate`` are
    cut off mid-body (the announced length is longer than what is sent)."""

    def __init__(self, files):
        self.files, self.requests, self.truncate = files, {}, set()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.lstrip("/")
                owner.requests[name] = owner.requests.get(name, 0) + 1
                body = owner.files.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:len(body) // 2] if name in owner.truncate else body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _ragged(rng, n, vocab, longest):
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = [int(w) for w in rng.integers(1, vocab, rng.integers(3, longest))]
    return out


def _cifar_tar(top, batches):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, batch in batches.items():
            blob = pickle.dumps(batch, protocol=3)  # Python 2 wrote protocol 2; see tests/io for that form
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return buffer.getvalue()


def _cifar_batch(rng, n, **labels):
    batch = {b"batch_label": b"testing batch", b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
             b"filenames": [b"img_%d.png" % i for i in range(n)]}
    batch.update({k.encode(): [int(v) for v in vs] for k, vs in labels.items()})
    return batch


def _build_files():
    rng = np.random.default_rng(0)
    files = {
        "mnist.npz": _npz(x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
                          y_train=rng.integers(0, 10, 6).astype(np.uint8),
                          x_test=rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
                          y_test=rng.integers(0, 10, 4).astype(np.uint8)),
        "imdb.npz": _npz(x_train=_ragged(rng, 30, 60, 25), y_train=rng.integers(0, 2, 30),
                         x_test=_ragged(rng, 20, 60, 25), y_test=rng.integers(0, 2, 20)),
        "reuters.npz": _npz(x=_ragged(rng, 40, 80, 30), y=rng.integers(0, 46, 40)),
        "imdb_word_index.json": json.dumps({"the": 1, "and": 2, "film": 3}).encode(),
        "reuters_word_index.json": json.dumps({"the": 1, "said": 2}).encode(),
        "boston_housing.npz": _npz(x=rng.normal(size=(25, 13)), y=rng.normal(size=25)),
        "california_housing.npz": _npz(x=rng.normal(size=(650, 8)).astype(np.float32),
                                       y=rng.normal(size=650).astype(np.float32)),
    }
    for prefix, n in (("train", 7), ("t10k", 3)):
        files[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(
            encode_idx(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)), mtime=0)
        files[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(
            encode_idx(rng.integers(0, 10, n).astype(np.uint8)), mtime=0)
    c10 = {f"data_batch_{i}": _cifar_batch(rng, 3, labels=rng.integers(0, 10, 3)) for i in range(1, 6)}
    c10["test_batch"] = _cifar_batch(rng, 2, labels=rng.integers(0, 10, 2))
    files["cifar-10-python.tar.gz"] = _cifar_tar("cifar-10-batches-py", c10)
    c100 = {split: _cifar_batch(rng, n, fine_labels=rng.integers(0, 100, n), coarse_labels=rng.integers(0, 20, n))
            for split, n in (("train", 5), ("test", 3))}
    files["cifar-100-python.tar.gz"] = _cifar_tar("cifar-100-python", c100)
    return files, c10


MODULES = ["mnist", "imdb", "reuters", "boston_housing", "california_housing", "fashion_mnist", "cifar10",
           "cifar100"]


@pytest.fixture(scope="module")
def served():
    files, c10 = _build_files()
    server = Server(files)
    yield server, c10
    server.close()


@pytest.fixture
def local(served, monkeypatch, tmp_path):
    """ember's loaders pointed at the server, with the served files' sha256 as their hashes and KERAS_HOME in
    tmp_path."""
    server, _ = served
    server.requests.clear()
    server.truncate.clear()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("EMBER_DATA", raising=False)
    monkeypatch.delenv("EMBER_OFFLINE", raising=False)
    monkeypatch.setattr(datasets.mnist, "_download_failed", [False])
    for name in MODULES:
        module = getattr(datasets, name)
        monkeypatch.setattr(module, "ORIGIN", server.url)
        hashes = {f: hashlib.sha256(server.files[f]).hexdigest() for f in module.HASHES}
        monkeypatch.setattr(module, "HASHES", hashes)
    return server, tmp_path / "keras_home" / "datasets"


def _keras_pointed_at(server, monkeypatch, tmp_path):
    """Real Keras's dataset modules with their get_file sending Keras's request to the server (same file
    names, the served files' hashes)."""
    import importlib

    from keras.src.utils import file_utils as kfu
    real = kfu.get_file

    def local_get_file(fname=None, origin=None, file_hash=None, **kwargs):
        name = origin.rsplit("/", 1)[-1]
        kwargs.pop("md5_hash", None)
        kwargs.setdefault("cache_dir", str(tmp_path / "keras_oracle"))
        return real(fname=fname, origin=server.url + name,
                    file_hash=hashlib.sha256(server.files[name]).hexdigest(), **kwargs)

    mods = {}
    for name in MODULES:
        mod = importlib.import_module(f"keras.src.datasets.{name}")
        monkeypatch.setattr(mod, "get_file", local_get_file)
        mods[name] = mod
    return mods


def _assert_same(ours, theirs, where):
    (a_x, a_y), (a_xt, a_yt) = ours
    (b_x, b_y), (b_xt, b_yt) = theirs
    for got, want, what in ((a_x, b_x, "x_train"), (a_y, b_y, "y_train"), (a_xt, b_xt, "x_test"),
                            (a_yt, b_yt, "y_test")):
        assert type(got) is type(want) and got.shape == want.shape and got.dtype == want.dtype, (where, what)
        if got.dtype == object:
            assert [list(v) for v in got] == [list(v) for v in want], (where, what)
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"{where} {what}")


CASES = [
    ("mnist", {}), ("fashion_mnist", {}), ("boston_housing", {}), ("boston_housing", {"test_split": 0.3, "seed": 5}),
    ("california_housing", {}), ("california_housing", {"version": "small", "test_split": 0.1, "seed": 1}),
    ("imdb", {}), ("imdb", {"num_words": 30, "skip_top": 4, "maxlen": 20, "seed": 7}),
    ("imdb", {"start_char": None, "index_from": 0, "oov_char": None, "num_words": 40}),
    ("reuters", {}), ("reuters", {"num_words": 50, "skip_top": 2, "maxlen": 25, "test_split": 0.3, "seed": 3}),
    ("reuters", {"start_char": None, "oov_char": None, "index_from": 0}),
    ("cifar100", {}), ("cifar100", {"label_mode": "coarse"}),
]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_load_data_matches_keras_on_the_same_files(local, monkeypatch, tmp_path, name, kwargs):
    server, cache = local
    ours = getattr(datasets, name).load_data(**kwargs)
    keras_mods = _keras_pointed_at(server, monkeypatch, tmp_path)
    _assert_same(ours, keras_mods[name].load_data(**kwargs), f"{name}{kwargs}")


def test_word_indices_and_label_names_match_keras(local, monkeypatch, tmp_path):
    server, cache = local
    keras_mods = _keras_pointed_at(server, monkeypatch, tmp_path)
    assert datasets.imdb.get_word_index() == keras_mods["imdb"].get_word_index()
    assert datasets.reuters.get_word_index() == keras_mods["reuters"].get_word_index()
    assert datasets.reuters.get_label_names() == keras_mods["reuters"].get_label_names()
    assert (cache / "imdb_word_index.json").exists()


def test_cifar10_reads_the_pickled_batches_without_pickle(local, served):
    # Keras's own CIFAR-10 loader needs 10,000 images per batch, so the expected arrays come from the batches
    server, c10 = served[0], served[1]
    (x, y), (xt, yt) = cifar10.load_data()
    want_x = np.concatenate([c10[f"data_batch_{i}"][b"data"] for i in range(1, 6)])
    np.testing.assert_array_equal(x, want_x.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    assert x.shape == (15, 32, 32, 3) and x.dtype == np.uint8 and y.shape == (15, 1) and y.dtype == np.uint8
    assert y[:, 0].tolist() == sum((c10[f"data_batch_{i}"][b"labels"] for i in range(1, 6)), [])
    assert xt.shape == (2, 32, 32, 3) and yt.dtype == np.uint8 and yt[:, 0].tolist() == c10["test_batch"][b"labels"]
    assert (local[1] / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "test_batch").exists()
    assert (local[1] / "cifar-10-batches-py-target_archive").exists()


def test_files_are_cached_and_not_fetched_twice(local):
    server, cache = local
    first = datasets.imdb.load_data()
    second = datasets.imdb.load_data()
    _assert_same(first, second, "imdb twice")
    cifar100.load_data()
    cifar100.load_data(label_mode="coarse")
    assert server.requests == {"imdb.npz": 1, "cifar-100-python.tar.gz": 1}
    assert sorted(os.listdir(cache)) == ["cifar-100-python-target", "cifar-100-python-target_archive", "imdb.npz"]


def test_a_checksum_mismatch_keeps_nothing_and_says_so(local, monkeypatch):
    server, cache = local
    monkeypatch.setattr(datasets.boston_housing, "HASHES", {"boston_housing.npz": "0" * 64})
    with pytest.raises(ValueError, match="file hash does not match") as info:
        datasets.boston_housing.load_data()
    assert "allow_pickle" not in str(info.value)
    assert not cache.exists() or os.listdir(cache) == []
    monkeypatch.setattr(datasets.mnist, "HASHES", {"mnist.npz": "0" * 64})
    with pytest.raises(ValueError, match="hash"):
        datasets.mnist.load_data()
    assert not cache.exists() or os.listdir(cache) == []


def test_an_interrupted_download_leaves_no_file(local):
    server, cache = local
    server.truncate.add("reuters.npz")
    with pytest.raises(Exception, match="URL fetch failure") as info:
        datasets.reuters.load_data()
    assert "allow_pickle" not in str(info.value)
    assert not cache.exists() or os.listdir(cache) == []
    server.truncate.clear()
    (x, _), _ = datasets.reuters.load_data()
    assert len(x) == 32 and os.listdir(cache) == ["reuters.npz"]


def test_a_cached_file_with_a_wrong_hash_is_fetched_again(local):
    server, cache = local
    cache.mkdir(parents=True)
    (cache / "boston_housing.npz").write_bytes(b"stale")
    (x, _), _ = datasets.boston_housing.load_data()
    assert x.shape == (20, 13) and server.requests == {"boston_housing.npz": 1}


class _Payload:
    def __reduce__(self):
        return (os.getpid, ())


def test_a_pickle_that_calls_code_is_refused(local, monkeypatch):
    server, cache = local
    x = np.empty(2, dtype=object)
    x[0], x[1] = [1, 2], _Payload()
    evil = _npz(x=x, y=np.zeros(2, dtype=np.int64))
    monkeypatch.setitem(server.files, "reuters.npz", evil)
    monkeypatch.setattr(datasets.reuters, "HASHES", {"reuters.npz": hashlib.sha256(evil).hexdigest(),
                                                     "reuters_word_index.json": "0"})
    with pytest.raises(ValueError, match="refusing the global posix.getpid") as info:
        datasets.reuters.load_data()
    assert "allow_pickle" not in str(info.value)
    tar = _cifar_tar("cifar-100-python", {"train": {b"data": _Payload()}, "test": {}})
    monkeypatch.setitem(server.files, "cifar-100-python.tar.gz", tar)
    monkeypatch.setattr(cifar100, "HASHES", {"cifar-100-python.tar.gz": hashlib.sha256(tar).hexdigest()})
    with pytest.raises(ValueError, match="not a CIFAR batch of plain data"):
        cifar100.load_data()


def test_argument_errors_match_keras():
    with pytest.raises(ValueError, match="test_split"):
        datasets.boston_housing.load_data(test_split=1.0)
    with pytest.raises(ValueError, match="version"):
        datasets.california_housing.load_data(version="medium")
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="middle")
