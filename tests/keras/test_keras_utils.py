"""keras.utils against Keras 3 where Keras runs without TensorFlow (pad_sequences, to_categorical, normalize,
the image helpers, directory indexing, split sizes, serialization helpers), and by their definition where
Keras needs tf.data (timeseries windows, the *_dataset_from_directory batches). get_file is tested against a
local http.server on 127.0.0.1."""
import hashlib
import http.server
import io
import os
import tarfile
import threading
import wave
import zipfile

import numpy as np
import pytest
import torch

import keras
from keras.src.utils import dataset_utils as kdu

from ember import keras as ek

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("kwargs", [{}, {"maxlen": 2}, {"maxlen": 4, "padding": "post"},
                                    {"maxlen": 2, "truncating": "post", "value": -1},
                                    {"maxlen": 3, "padding": "post", "truncating": "post", "dtype": "float32",
                                     "value": 0.5}])
def test_pad_sequences_matches_keras(kwargs):
    seqs = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9]]
    np.testing.assert_array_equal(ek.utils.pad_sequences(seqs, **kwargs), keras.utils.pad_sequences(seqs, **kwargs))
    out = ek.utils.pad_sequences(seqs, **kwargs)
    assert out.dtype == keras.utils.pad_sequences(seqs, **kwargs).dtype


def test_pad_sequences_multidim_strings_and_errors():
    seqs = [RNG.standard_normal((2, 3)), RNG.standard_normal((4, 3))]
    np.testing.assert_allclose(ek.utils.pad_sequences(seqs, dtype="float32"),
                               keras.utils.pad_sequences(seqs, dtype="float32"))
    words = [["a", "b"], ["c"]]
    np.testing.assert_array_equal(ek.utils.pad_sequences(words, dtype=object, value="<pad>"),
                                  keras.utils.pad_sequences(words, dtype=object, value="<pad>"))
    for kw in [{"padding": "middle"}, {"truncating": "x", "maxlen": 1}, {"value": "x"}]:
        with pytest.raises(ValueError):
            keras.utils.pad_sequences([[1, 2]], **kw)
        with pytest.raises(ValueError):
            ek.utils.pad_sequences([[1, 2]], **kw)


def test_to_categorical_and_normalize_match_keras():
    for y, k in [([0, 2, 1], None), (np.array([[1], [3]]), 5), (np.array([[0, 1], [2, 0]]), 3)]:
        np.testing.assert_array_equal(ek.utils.to_categorical(y, k), keras.utils.to_categorical(y, k))
    x = RNG.standard_normal((4, 3))
    x[1] = 0
    for axis, order in [(-1, 2), (1, 1), (1, 3)]:
        np.testing.assert_allclose(ek.utils.normalize(x, axis, order), keras.utils.normalize(x, axis, order))
    import ember
    t = ek.utils.normalize(ember.tensor(x.astype(np.float32)))
    np.testing.assert_allclose(t.numpy(), keras.utils.normalize(torch.tensor(x.astype(np.float32))).numpy(),
                               rtol=1e-6)


@pytest.mark.parametrize("kw", [{}, {"sequence_stride": 3, "sampling_rate": 2}, {"start_index": 4, "end_index": 25},
                                {"batch_size": None}, {"shuffle": True, "seed": 7, "batch_size": 5}])
def test_timeseries_windows(kw):
    data = np.arange(60).reshape(30, 2)
    targets = np.arange(30) * 10
    ds = ek.utils.timeseries_dataset_from_array(data, targets, sequence_length=4, **{"batch_size": 4, **kw})
    xs, ys = [], []
    for x, y in ds:
        xs.append(x.reshape(-1, 4, 2))
        ys.append(np.atleast_1d(y))
    xs, ys = np.concatenate(xs), np.concatenate(ys)
    start, stride, rate = kw.get("start_index", 0), kw.get("sequence_stride", 1), kw.get("sampling_rate", 1)
    end = kw.get("end_index", 30)
    positions = np.arange(0, end - start - 3 * rate, stride)
    if kw.get("shuffle"):
        np.random.RandomState(kw["seed"]).shuffle(positions)
    expect = np.stack([data[start + p + np.arange(4) * rate] for p in positions])
    np.testing.assert_array_equal(xs, expect)
    np.testing.assert_array_equal(ys, targets[start + positions])
    with pytest.raises(ValueError, match="sampling_rate"):
        ek.utils.timeseries_dataset_from_array(data, None, 4, sampling_rate=0)


def _make_tree(root, files):
    for rel, content in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(content, np.ndarray):
            from PIL import Image
            Image.fromarray(content).save(path)
        elif isinstance(content, bytes):
            open(path, "wb").write(content)
        else:
            open(path, "w").write(content)


def test_text_dataset_indexes_like_keras_and_fits(tmp_path):
    files = {f"{c}/{i}.txt": f"{c} text {i}" * (i + 1) for c in ("neg", "pos", "zzz") for i in range(5)}
    files["pos/sub/extra.txt"] = "nested"
    files["neg/skip.md"] = "not text"
    _make_tree(tmp_path, files)
    paths, labels, names = kdu.index_directory(str(tmp_path), "inferred", (".txt",), shuffle=True, seed=11)
    ds = ek.utils.text_dataset_from_directory(str(tmp_path), batch_size=4, seed=11, max_length=12, verbose=False)
    assert ds.class_names == names == ["neg", "pos", "zzz"] and ds.file_paths == paths
    texts = np.concatenate([b[0] for b in ds])
    labs = np.concatenate([b[1] for b in ds])
    np.testing.assert_array_equal(labs, labels)
    assert list(texts) == [open(p).read()[:12] for p in paths]
    train = ek.utils.text_dataset_from_directory(str(tmp_path), batch_size=4, seed=3, validation_split=0.25,
                                                 subset="training", verbose=False, label_mode="categorical")
    val = ek.utils.text_dataset_from_directory(str(tmp_path), batch_size=4, seed=3, validation_split=0.25,
                                               subset="validation", verbose=False, label_mode="categorical")
    tp, vp = train.file_paths, val.file_paths
    assert len(vp) == int(0.25 * 16) and not set(tp) & set(vp) and len(tp) + len(vp) == 16
    assert train[0][1].shape == (4, 3) and train[0][1].dtype == np.float32
    with pytest.raises(ValueError, match="seed"):
        ek.utils.text_dataset_from_directory(str(tmp_path), validation_split=0.2, subset="training")


def test_image_dataset_from_directory_and_fit(tmp_path):
    imgs = {f"{c}/{i}.png": RNG.integers(0, 255, (6 + i, 5, 3), dtype=np.uint8) for c in ("cat", "dog")
            for i in range(4)}
    _make_tree(tmp_path, imgs)
    paths, labels, names = kdu.index_directory(str(tmp_path), "inferred", (".png",), shuffle=True, seed=2)
    ds = ek.utils.image_dataset_from_directory(str(tmp_path), image_size=(4, 4), batch_size=3, seed=2,
                                               interpolation="nearest", verbose=False)
    assert len(ds) == 3 and ds.class_names == names
    x, y = ds[0]
    assert x.shape == (3, 4, 4, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(y, labels[:3])
    first = ek.utils.img_to_array(ek.utils.load_img(paths[0], target_size=(4, 4), interpolation="nearest"))
    np.testing.assert_array_equal(x[0], first)
    gray = ek.utils.image_dataset_from_directory(str(tmp_path), image_size=(4, 4), color_mode="grayscale",
                                                 label_mode="binary", shuffle=False, verbose=False,
                                                 crop_to_aspect_ratio=True)
    gx, gy = gray[0]
    assert gx.shape == (8, 4, 4, 1) and gy.shape == (8, 1)
    model = ek.Sequential([ek.layers.Input((4, 4, 3)), ek.layers.Flatten(), ek.layers.Dense(2)])
    model.compile(optimizer="adam", loss=ek.losses.SparseCategoricalCrossentropy(from_logits=True))
    h = model.fit(ds, epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2


def test_audio_dataset_from_directory(tmp_path):
    def wav(n, ch=1):
        buf = io.BytesIO()
        with wave.open(buf, "wb") as f:
            f.setnchannels(ch)
            f.setsampwidth(2)
            f.setframerate(8000)
            f.writeframes((np.arange(n * ch) % 100 * 300).astype("<i2").tobytes())
        return buf.getvalue()
    _make_tree(tmp_path, {"a/1.wav": wav(10), "a/2.wav": wav(7), "b/3.wav": wav(12)})
    ds = ek.utils.audio_dataset_from_directory(str(tmp_path), batch_size=3, shuffle=False, verbose=False)
    x, y = ds[0]
    assert x.shape == (3, 12, 1) and list(y) == [0, 0, 1]
    np.testing.assert_allclose(x[1, :7, 0], (np.arange(7) % 100 * 300) / 32768)
    assert not x[1, 7:].any()
    cut = ek.utils.audio_dataset_from_directory(str(tmp_path), output_sequence_length=5, shuffle=False,
                                                verbose=False)
    assert cut[0][0].shape == (3, 5, 1)
    with pytest.raises(ValueError, match="resample"):
        ek.utils.audio_dataset_from_directory(str(tmp_path), sampling_rate=16000, shuffle=False, verbose=False)[0]


@pytest.mark.parametrize("left,right", [(0.8, None), (None, 3), (0.25, None), (7, 3)])
def test_split_dataset_sizes_match_keras(left, right):
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    kl, kr = keras.utils.split_dataset((x, y), left_size=left, right_size=right)
    el, er = ek.utils.split_dataset((x, y), left_size=left, right_size=right)
    assert (len(el), len(er)) == (len(kl), len(kr))
    # Keras's PyTorch backend permutes even with shuffle=False (random_split); ember keeps the order, as
    # Keras's documentation and its TensorFlow path do: the left split first, the right split last.
    assert sorted(kl.indices + kr.indices) == list(range(10))
    for i in range(len(el)):
        np.testing.assert_array_equal(el[i][0].numpy(), x[i])
        assert int(el[i][1]) == i
    for i in range(len(er)):
        assert int(er[i][1]) == 10 - len(er) + i
    a, b = ek.utils.split_dataset(x, left_size=0.5, shuffle=True, seed=1)
    c, _ = ek.utils.split_dataset(x, left_size=0.5, shuffle=True, seed=1)
    seen = sorted(int(a[i][0][0]) for i in range(5)) + sorted(int(b[i][0][0]) for i in range(5))
    assert sorted(seen) == list(range(0, 20, 2)) and [int(a[i][0][0]) for i in range(5)] == \
        [int(c[i][0][0]) for i in range(5)]
    with pytest.raises(ValueError):
        ek.utils.split_dataset(x, left_size=1.5)


def test_image_helpers_match_keras(tmp_path):
    arr = RNG.random((5, 6, 3)).astype(np.float32) * 3 - 1
    for scale in (True, False):
        a = arr if scale else (arr - arr.min()) / (arr.max() - arr.min()) * 255
        np.testing.assert_array_equal(np.asarray(ek.utils.array_to_img(a, scale=scale)),
                                      np.asarray(keras.utils.array_to_img(a, scale=scale)))
    img = keras.utils.array_to_img(arr)
    np.testing.assert_array_equal(ek.utils.img_to_array(img), keras.utils.img_to_array(img))
    np.testing.assert_array_equal(ek.utils.img_to_array(img, data_format="channels_first"),
                                  keras.utils.img_to_array(img, data_format="channels_first"))
    p = str(tmp_path / "x.png")
    ek.utils.save_img(p, arr)
    for kw in [{}, {"color_mode": "grayscale"}, {"color_mode": "rgba", "target_size": (3, 4)},
               {"target_size": (4, 4), "interpolation": "bilinear", "keep_aspect_ratio": True}]:
        np.testing.assert_array_equal(ek.utils.img_to_array(ek.utils.load_img(p, **kw)),
                                      keras.utils.img_to_array(keras.utils.load_img(p, **kw)))
    g = ek.utils.img_to_array(ek.utils.load_img(p, color_mode="grayscale"))
    np.testing.assert_array_equal(np.asarray(ek.utils.array_to_img(g)), np.asarray(keras.utils.array_to_img(g)))


class _Handler(http.server.BaseHTTPRequestHandler):
    files = {}
    hits = []

    def do_GET(self):
        self.hits.append(self.path)
        body = self.files.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    _Handler.hits.clear()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


def test_get_file_caches_checks_hashes_and_extracts(server, tmp_path):
    payload = b"ember data " * 100
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        info = tarfile.TarInfo("data/a.txt")
        info.size = len(payload)
        t.addfile(info, io.BytesIO(payload))
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("inner/b.txt", "zipped")
    _Handler.files.update({"/f.bin": payload, "/d.tar.gz": buf.getvalue(), "/z.zip": zbuf.getvalue()})
    sha, md5 = hashlib.sha256(payload).hexdigest(), hashlib.md5(payload).hexdigest()
    cache = str(tmp_path / "cache")

    path = ek.utils.get_file("f.bin", server + "/f.bin", file_hash=sha, cache_dir=cache)
    assert path == os.path.join(cache, "datasets", "f.bin") and open(path, "rb").read() == payload
    assert ek.utils.get_file("f.bin", server + "/f.bin", file_hash=sha, cache_dir=cache) == path
    assert _Handler.hits == ["/f.bin"]  # cached: not downloaded again
    ek.utils.get_file("f.bin", server + "/f.bin", md5_hash=md5, cache_dir=cache)
    assert _Handler.hits == ["/f.bin"]

    # A cached file with the wrong content is fetched again; a download with the wrong hash is not kept.
    open(path, "wb").write(b"corrupted")
    ek.utils.get_file("f.bin", server + "/f.bin", file_hash=sha, cache_dir=cache)
    assert open(path, "rb").read() == payload and len(_Handler.hits) == 2
    with pytest.raises(ValueError, match="corrupted"):
        ek.utils.get_file("g.bin", server + "/f.bin", file_hash="0" * 64, cache_dir=cache)
    with pytest.raises(ValueError, match="md5"):
        ek.utils.get_file("h.bin", server + "/f.bin", file_hash="0" * 32, hash_algorithm="md5", cache_dir=cache)
    names = os.listdir(os.path.join(cache, "datasets"))
    assert "g.bin" not in names and "h.bin" not in names and not any(n.endswith(".part") for n in names)
    with pytest.raises(Exception, match="URL fetch failure"):
        ek.utils.get_file("missing.bin", server + "/missing", cache_dir=cache)
    assert not any(n.endswith(".part") for n in os.listdir(os.path.join(cache, "datasets")))

    # Extraction: the same paths as Keras's get_file.
    kcache = str(tmp_path / "kcache")
    os.makedirs(kcache)  # Keras falls back to /tmp/.keras for a cache_dir that does not exist yet
    for fname, origin, sub in [("d.tar.gz", "/d.tar.gz", "data/a.txt"), ("zipped", "/z.zip", "inner/b.txt")]:
        out = ek.utils.get_file(fname, server + origin, extract=True, cache_dir=cache)
        kout = keras.utils.get_file(fname, server + origin, extract=True, cache_dir=kcache)
        assert os.path.relpath(out, cache) == os.path.relpath(kout, kcache)
        assert open(os.path.join(out, sub), "rb").read() == open(os.path.join(kout, sub), "rb").read()
    plain = ek.utils.get_file(origin=server + "/f.bin", cache_dir=cache, cache_subdir="other")
    assert plain == os.path.join(cache, "other", "f.bin")
    with pytest.raises(ValueError, match="origin"):
        ek.utils.get_file("x")


def test_get_file_refuses_archive_members_outside_the_folder(server, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        t.addfile(info, io.BytesIO(b"x"))
    _Handler.files["/evil.tar.gz"] = buf.getvalue()
    with pytest.raises(ValueError, match="outside"):
        ek.utils.get_file("evil.tar.gz", server + "/evil.tar.gz", extract=True, cache_dir=str(tmp_path))
    assert not os.path.exists(tmp_path / "datasets" / "escape.txt")


def test_serialization_helpers_and_small_utilities(monkeypatch):
    @ek.utils.register_keras_serializable(package="T")
    class Scaled(ek.layers.Layer):
        def __init__(self, k=2.0, **kw):
            super().__init__(**kw)
            self.k = k

        def call(self, x):
            return x * self.k

        def get_config(self):
            return {**super().get_config(), "k": self.k}

    assert ek.utils.get_registered_name(Scaled) == "T>Scaled"
    assert ek.utils.get_registered_object("T>Scaled") is Scaled
    assert ek.utils.get_custom_objects()["T>Scaled"] is Scaled
    cfg = ek.utils.serialize_keras_object(Scaled(3.0))
    assert ek.utils.deserialize_keras_object(cfg).k == 3.0
    with ek.utils.custom_object_scope({"Other": Scaled}):
        assert ek.utils.get_registered_object("Other") is Scaled
    assert ek.utils.get_registered_object("Other") is None
    assert ek.utils.Sequence is ek.utils.PyDataset
    assert ek.utils.pack_x_y_sample_weight(1, 2) == keras.utils.pack_x_y_sample_weight(1, 2)
    assert ek.utils.unpack_x_y_sample_weight((1, 2)) == keras.utils.unpack_x_y_sample_weight((1, 2))
    for d in ["float32", "int64", np.float16, bool, int, float, "bfloat16"]:
        assert ek.utils.standardize_dtype(d) == keras.utils.standardize_dtype(d), d
    inp = ek.Input((3,))
    out = ek.layers.Dense(2)(inp)
    assert ek.utils.is_keras_tensor(out) and not ek.utils.is_keras_tensor(np.zeros(2))
    assert ek.utils.get_source_inputs(out) == [inp]
    import sys
    monkeypatch.delitem(sys.modules, "IPython.core.magics.namespace", raising=False)
    monkeypatch.setitem(sys.modules, "pydot", None)  # as on a machine without pydot
    with pytest.raises(ImportError, match="pydot"):
        ek.utils.plot_model(ek.Sequential([ek.layers.Dense(1)]))
    c = ek.utils.Config(a=1)
    c.b = 2
    c.freeze()
    with pytest.raises(AttributeError, match="frozen"):
        c.a = 3
    assert c.as_dict() == {"a": 1, "b": 2}
    ek.utils.set_random_seed(3)
    a = np.random.rand()
    ek.utils.set_random_seed(3)
    assert np.random.rand() == a
    ek.utils.disable_interactive_logging()
    assert not ek.utils.is_interactive_logging_enabled()
    ek.utils.enable_interactive_logging()
    assert ek.utils.is_interactive_logging_enabled()
