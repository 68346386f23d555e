"""keras.applications in ember against Keras 3 (torch backend).

* Built side by side at a small input: the same layers (names, order, classes, weight shapes), parameter count
  and output shape; with Keras's weights copied layer by layer, the same outputs in inference, and for two
  models the same gradients of a loss with respect to every weight.
* Every constructor (also the ones too slow to build here with Keras) against a fixture recorded from Keras
  (``fixtures/make_applications_fixture.py``): layer count, parameter count, output shape and a hash of the
  layer names, classes and weight shapes. Same signatures and module names as Keras.
* preprocess_input in every mode and layout, decode_predictions and weights="imagenet" through a local HTTP
  server (Keras's file names), the offline error, and weights files written by Keras loading by layer name.
"""
import contextlib
import functools
import hashlib
import http.server
import inspect
import json
import os
import threading

import keras
import numpy as np
import pytest
import torch

import ember
from ember import keras as ek
from ember.keras import applications as ea
from ember.keras.applications import _app
from ember.keras.applications import imagenet_utils as eiu
from tests.keras.fixtures.make_applications_fixture import SKIPPED, structure_args, structure_signature

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "keras_applications.json")
CONSTRUCTORS = sorted(n for n in dir(keras.applications) if n[0].isupper())

# (application, arguments) built by both and run: one or more per family, small inputs and widths.
RUN = [
    ("ResNet50", dict(input_shape=(32, 32, 3), classes=10, classifier_activation=None)),
    ("ResNet50V2", dict(input_shape=(32, 32, 3), include_top=False, pooling="avg")),
    ("VGG16", dict(input_shape=(32, 32, 3), include_top=False, pooling="max")),
    ("MobileNet", dict(input_shape=(32, 32, 3), alpha=0.25, classes=10, classifier_activation=None)),
    ("MobileNetV2", dict(input_shape=(33, 33, 3), alpha=0.35, classes=10, classifier_activation=None)),
    ("MobileNetV3Small", dict(input_shape=(32, 32, 3), alpha=0.75, classes=10, classifier_activation=None)),
    ("MobileNetV3Large", dict(input_shape=(32, 32, 3), minimalistic=True, include_top=False, pooling="avg")),
    ("EfficientNetB0", dict(input_shape=(32, 32, 3), classes=10, classifier_activation=None)),
    ("EfficientNetV2B0", dict(input_shape=(32, 32, 3), include_top=False, pooling="avg")),
    ("DenseNet121", dict(input_shape=(32, 32, 3), classes=10, classifier_activation=None)),
    ("Xception", dict(input_shape=(71, 71, 3), include_top=False, pooling="avg")),
    ("InceptionV3", dict(input_shape=(75, 75, 3), classes=10, classifier_activation=None)),
    ("ConvNeXtTiny", dict(input_shape=(32, 32, 3), classes=10, classifier_activation=None)),
    ("NASNetMobile", dict(input_shape=(32, 32, 3), classes=10, classifier_activation=None)),
]


def _fast_truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    from keras.src.backend.torch.core import to_torch_dtype
    return (torch.randn(tuple(shape)).clamp_(-2.0, 2.0) * stddev + mean).to(to_torch_dtype(dtype or "float32"))


@pytest.fixture(autouse=True, scope="module")
def _quick_keras_init():
    # Keras's torch truncated_normal takes most of a model's build time; the initial values do not matter
    # here (ember receives Keras's weights), so a clipped normal stands in for it.
    import keras.src.backend.torch.random as keras_random
    original = keras_random.truncated_normal
    keras_random.truncated_normal = _fast_truncated_normal
    yield
    keras_random.truncated_normal = original


def _keras_app(name, **kwargs):
    if name == "NASNetMobile":
        # Keras refuses NASNetMobile on its torch backend; NASNet with NASNetMobile's arguments is the model.
        from keras.src.applications import nasnet
        kwargs.setdefault("weights", None)
        return nasnet.NASNet(kwargs.pop("input_shape"), penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
                             skip_reduction=False, filter_multiplier=2, default_size=224, name="nasnet_mobile",
                             **kwargs)
    return getattr(keras.applications, name)(**kwargs)


def _pair(name, kwargs):
    keras.backend.clear_session()
    ek.backend.clear_session()
    km = _keras_app(name, weights=None, **kwargs)
    em = getattr(ea, name)(weights=None, **kwargs)
    return km, em


def _check_structure(km, em):
    assert [layer.name for layer in em.layers] == [layer.name for layer in km.layers]
    for kl, el in zip(km.layers, em.layers):
        assert type(el).__name__ == type(kl).__name__, kl.name
        assert [tuple(w.shape) for w in el.weights] == [tuple(w.shape) for w in kl.weights], kl.name
    assert em.count_params() == km.count_params()
    assert em.output_shape == km.output_shape


def _copy_weights(km, em):
    for kl, el in zip(km.layers, em.layers):
        if kl.weights:
            el.set_weights(kl.get_weights())


def _images(model, n=2, seed=0):
    shape = tuple(32 if s is None else s for s in model.input_shape[1:])
    return np.random.RandomState(seed).uniform(0, 255, (n,) + shape).astype("float32")


def _assert_close(got, expected):
    scale = np.abs(expected).max()
    assert scale > 0
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize("name,kwargs", RUN, ids=[n for n, _ in RUN])
def test_application_matches_keras(name, kwargs):
    km, em = _pair(name, kwargs)
    _check_structure(km, em)
    _copy_weights(km, em)
    x = _images(km)
    expected = keras.ops.convert_to_numpy(km(x, training=False))
    _assert_close(em(ember.tensor(x), training=False).detach().numpy(), expected)


@pytest.mark.parametrize("name,kwargs", [
    ("MobileNetV3Small", dict(input_shape=(32, 32, 3), alpha=0.75, classes=5, classifier_activation=None)),
    ("EfficientNetB0", dict(input_shape=(32, 32, 3), classes=5, classifier_activation=None)),
])
def test_weight_gradients_match_keras(name, kwargs):
    km, em = _pair(name, kwargs)
    _copy_weights(km, em)
    x = _images(km)
    w = np.random.RandomState(1).standard_normal((2, 5)).astype("float32")
    (km(torch.from_numpy(x), training=False) * torch.from_numpy(w)).sum().backward()
    (em(ember.tensor(x), training=False) * ember.tensor(w)).sum().backward()
    checked = 0
    for kl, el in zip(km.layers, em.layers):
        for kv, ev in zip(kl.trainable_weights, el.trainable_weights):
            expected = kv.value.grad.numpy()
            got = ev.grad.numpy()
            scale = max(np.abs(expected).max(), 1e-12)
            np.testing.assert_allclose(got, expected, rtol=1e-3, atol=2e-4 * scale, err_msg=f"{kl.name}/{kv.name}")
            checked += 1
    assert checked == len(km.trainable_weights) > 50


@functools.lru_cache(maxsize=None)
def _fixture():
    with open(FIXTURE) as f:
        return json.load(f)["models"]


@contextlib.contextmanager
def _zero_init():
    # Structure only: zeros (lazily allocated) instead of random draws keep the big models cheap to build.
    import ember.keras.layers.layer as layer_mod
    original = layer_mod._init.get
    layer_mod._init.get = lambda identifier: (lambda shape, dtype=None: np.zeros(shape, dtype or "float32"))
    try:
        yield
    finally:
        layer_mod._init.get = original


@pytest.mark.parametrize("name", [n for n in CONSTRUCTORS if n not in SKIPPED])
def test_structure_matches_keras_fixture(name):
    expected = _fixture()[name]
    ek.backend.clear_session()
    with _zero_init():
        model = getattr(ea, name)(**structure_args(name))
    n_layers, digest = structure_signature(model)
    assert (n_layers, model.count_params(), list(model.output_shape)) == \
        (expected["layers"], expected["params"], expected["output_shape"])
    assert digest == expected["sha256"], f"{name}: layer names, classes or weight shapes differ from Keras's"


def test_convnext_large_variants_use_keras_configs():
    # ConvNeXtLarge/XLarge (196M/348M parameters) are ConvNeXtBase's code over these table rows.
    from keras.src.applications import convnext as kc
    assert ea.convnext.MODEL_CONFIGS == kc.MODEL_CONFIGS
    assert set(SKIPPED) == {"ConvNeXtLarge", "ConvNeXtXLarge"}


@pytest.mark.parametrize("name", CONSTRUCTORS)
def test_constructor_signature_matches_keras(name):
    assert inspect.signature(getattr(ea, name)) == inspect.signature(getattr(keras.applications, name))


def test_every_keras_module_and_name_exists():
    for module in [n for n in dir(keras.applications) if n[0].islower() and not n.startswith("_")]:
        kmod, emod = getattr(keras.applications, module), getattr(ea, module)
        for attr in [n for n in dir(kmod) if not n.startswith("_")]:
            assert callable(getattr(emod, attr, None)), f"ember.keras.applications.{module}.{attr}"


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("ndim", [3, 4])
def test_preprocess_input_matches_keras(mode, data_format, ndim):
    from keras.applications import imagenet_utils as kiu
    shape = (3, 4, 5) if data_format == "channels_first" else (4, 5, 3)
    x = np.random.RandomState(2).uniform(0, 255, ((2,) if ndim == 4 else ()) + shape).astype("float32")
    expected = kiu.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    np.testing.assert_allclose(eiu.preprocess_input(x.copy(), data_format=data_format, mode=mode), expected,
                               rtol=1e-6, atol=1e-5)
    tensor_out = eiu.preprocess_input(ember.tensor(x), data_format=data_format, mode=mode)
    np.testing.assert_allclose(tensor_out.detach().numpy(), expected, rtol=1e-6, atol=1e-5)
    ints = np.round(x).astype("uint8")
    np.testing.assert_allclose(eiu.preprocess_input(ints, data_format=data_format, mode=mode),
                               kiu.preprocess_input(ints, data_format=data_format, mode=mode), rtol=1e-6, atol=1e-5)


def test_each_module_preprocesses_as_keras():
    x = np.random.RandomState(3).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    for module in [n for n in dir(keras.applications) if n[0].islower() and not n.startswith("_")]:
        if module == "imagenet_utils":
            continue
        expected = getattr(keras.applications, module).preprocess_input(x.copy())
        np.testing.assert_allclose(getattr(ea, module).preprocess_input(x.copy()), expected, rtol=1e-6, atol=1e-5,
                                   err_msg=module)


def test_preprocess_input_symbolic_and_errors():
    inp = ek.Input(shape=(4, 4, 3))
    model = ek.Model(inp, ea.mobilenet_v2.preprocess_input(inp))
    x = np.full((1, 4, 4, 3), 255.0, "float32")
    np.testing.assert_allclose(model(x).detach().numpy(), np.ones_like(x))
    with pytest.raises(ValueError, match="mode"):
        eiu.preprocess_input(x, mode="bgr")
    with pytest.raises(ValueError, match="data_format"):
        eiu.preprocess_input(x, data_format="nhwc")


@contextlib.contextmanager
def _serve(directory):
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _closed_port_url():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_decode_predictions_downloads_the_class_index(tmp_path, monkeypatch):
    from keras.applications import imagenet_utils as kiu
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    served = tmp_path / "www"
    served.mkdir()
    (served / "imagenet_class_index.json").write_text(json.dumps(index))
    md5 = hashlib.md5((served / "imagenet_class_index.json").read_bytes()).hexdigest()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(eiu, "CLASS_INDEX", None)
    monkeypatch.setattr(eiu, "_CLASS_INDEX_MD5", md5)
    monkeypatch.setattr(kiu, "CLASS_INDEX", index, raising=False)
    import keras.src.applications.imagenet_utils as kiu_src
    monkeypatch.setattr(kiu_src, "CLASS_INDEX", index)
    preds = np.random.RandomState(4).dirichlet(np.ones(1000), size=3).astype("float32")
    with _serve(served) as url:
        monkeypatch.setattr(eiu, "CLASS_INDEX_PATH", url + "imagenet_class_index.json")
        got = ea.resnet50.decode_predictions(preds, top=4)
    assert os.path.exists(tmp_path / "home" / ".keras" / "models" / "imagenet_class_index.json")
    expected = kiu.decode_predictions(preds, top=4)
    assert [[(a, b) for a, b, _ in row] for row in got] == [[(a, b) for a, b, _ in row] for row in expected]
    np.testing.assert_allclose([[s for *_, s in row] for row in got], [[s for *_, s in row] for row in expected])
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        eiu.decode_predictions(preds[:, :10])


def test_decode_predictions_offline_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(eiu, "CLASS_INDEX", None)
    monkeypatch.setattr(eiu, "CLASS_INDEX_PATH", _closed_port_url() + "imagenet_class_index.json")
    with pytest.raises(OSError, match="ImageNet class index"):
        eiu.decode_predictions(np.zeros((1, 1000), "float32"))


def test_imagenet_weights_download_from_keras_file_name_and_load_by_name(tmp_path, monkeypatch):
    from keras.src.legacy.saving import legacy_h5_format
    import h5py
    kwargs = dict(input_shape=(96, 96, 3), alpha=0.35, include_top=False)
    keras.backend.clear_session()
    km = keras.applications.MobileNetV2(weights=None, **kwargs)
    served = tmp_path / "www" / "mobilenet_v2"
    served.mkdir(parents=True)
    # The file name Keras asks for (MobileNetV2 files carry no hash).
    with h5py.File(served / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, km)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with _serve(tmp_path / "www") as url:
        monkeypatch.setattr(_app, "KERAS_WEIGHTS_BASE", url)
        em = ea.MobileNetV2(weights="imagenet", **kwargs)
    x = _images(km, n=1)
    _assert_close(em(ember.tensor(x), training=False).detach().numpy(),
                  keras.ops.convert_to_numpy(km(x, training=False)))
    monkeypatch.setattr(_app, "KERAS_WEIGHTS_BASE", _closed_port_url())
    monkeypatch.setenv("HOME", str(tmp_path / "empty"))
    with pytest.raises(OSError, match=r"weights='imagenet'.*local path"):
        ea.MobileNetV2(weights="imagenet", **kwargs)


def test_imagenet_urls_are_keras_urls(monkeypatch):
    import keras.src.utils.file_utils as kfu
    asked = {}

    def record(key):
        def get_file(fname=None, origin=None, *args, **kwargs):
            asked[key] = (fname, origin, kwargs.get("file_hash"))
            raise RuntimeError("stop")
        return get_file
    monkeypatch.setattr(kfu, "get_file", record("keras"))
    monkeypatch.setattr(ek.utils, "get_file", record("ember"))
    for name, kwargs in [("MobileNetV3Small", dict(input_shape=(224, 224, 3))),
                         ("EfficientNetB0", dict(include_top=False, input_shape=(32, 32, 3)))]:
        with pytest.raises(RuntimeError):
            getattr(keras.applications, name)(**kwargs)
        with pytest.raises(OSError):
            getattr(ea, name)(**kwargs)
        assert asked["ember"] == asked["keras"], name


def test_keras_weights_file_loads_by_layer_name(tmp_path):
    kwargs = dict(input_shape=(32, 32, 3), alpha=0.75, classes=4, classifier_activation=None)
    keras.backend.clear_session()
    km = keras.applications.MobileNetV3Small(weights=None, **kwargs)
    path = str(tmp_path / "small.weights.h5")
    km.save_weights(path)
    em = ea.MobileNetV3Small(weights=path, **kwargs)
    x = _images(km, n=1)
    _assert_close(em(ember.tensor(x), training=False).detach().numpy(),
                  keras.ops.convert_to_numpy(km(x, training=False)))


def test_argument_errors():
    with pytest.raises(ValueError, match="weights"):
        ea.ResNet50(weights="no/such/file.h5")
    with pytest.raises(ValueError, match="classes"):
        ea.ResNet50(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        ea.ResNet50(weights=None, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="static"):
        ea.VGG16(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="alpha"):
        ea.MobileNetV2(weights="imagenet", alpha=0.6)
    with pytest.raises(ValueError, match="softmax"):
        ea.ResNet50(weights="imagenet", classifier_activation="relu")


def test_input_tensor_is_used():
    inp = ek.Input(shape=(32, 32, 3))
    model = ea.MobileNetV3Small(weights=None, input_tensor=inp, include_top=False, pooling="avg")
    assert model.inputs[0] is inp
    assert model.output_shape == (None, 576)


def _branching(K):
    L = K.layers
    x = K.Input(shape=(6, 6, 3))
    shortcut = L.BatchNormalization(name="s_bn")(L.Conv2D(4, 1, name="s_conv")(x))
    y = L.BatchNormalization(name="m_bn")(L.Conv2D(4, 1, name="m_conv")(x))
    y = L.Conv2D(4, 3, padding="same", name="m_conv2")(y)
    y = L.Activation("relu", name="act")((L.Add(name="merge")([shortcut, y]) + 3.0) * (1.0 / 6.0) - y / 2.0)
    return K.Model(x, [y, -shortcut + 1.0])


def test_functional_layer_order_and_arithmetic_match_keras():
    # Keras lists layers deepest first (ties in the order a walk from the outputs meets them), and x + 3.0,
    # x * y, -x are operations, not layers: the order the applications' weights are listed and saved in.
    keras.backend.clear_session()
    ek.backend.clear_session()
    km, em = _branching(keras), _branching(ek)
    assert [layer.name for layer in em.layers] == [layer.name for layer in km.layers]
    assert len(em.weights) == len(km.weights)
    _copy_weights(km, em)
    x = np.random.RandomState(5).standard_normal((2, 6, 6, 3)).astype("float32")
    for got, expected in zip(em(x), km(x, training=False)):
        _assert_close(got.detach().numpy(), keras.ops.convert_to_numpy(expected))


@pytest.mark.parametrize("input_shape", [None, (224, 224, 3), (64, 48, 3), (None, None, 3), (31, 64, 3),
                                         (64, 64, 1), (64, 64), (3, 64, 64)])
@pytest.mark.parametrize("require_flatten", [True, False])
@pytest.mark.parametrize("weights", [None, "imagenet"])
def test_obtain_input_shape_matches_keras(input_shape, require_flatten, weights):
    from keras.src.applications import imagenet_utils as kiu
    args = dict(default_size=224, min_size=32, data_format="channels_last", require_flatten=require_flatten,
                weights=weights)

    def outcome(fn):
        try:
            return tuple(fn(input_shape, **args))
        except ValueError:
            return ValueError
    assert outcome(eiu.obtain_input_shape) == outcome(kiu.obtain_input_shape)


def test_correct_pad_matches_keras():
    from keras.src.applications import imagenet_utils as kiu
    for side in (None, 7, 8):
        for k in (3, 5, (3, 5)):
            kt, et = keras.Input(shape=(side, side, 2)), ek.Input(shape=(side, side, 2))
            assert eiu.correct_pad(et, k) == kiu.correct_pad(kt, k)
