"""`ember serve models:/NAME@ALIAS`: the registry's file, under the registry's name and version number."""
import numpy as np
import pytest
import torch
import tritonclient.http as triton

import ember
import ember.registry as registry
from ember.cli import main
from ember.vision.models import MnistCNN

from .conftest import running_server, torch_mnist_cnn


@pytest.fixture
def tracked(tmp_path):
    uri = "sqlite:///" + str(tmp_path / "runs.db")
    models = [MnistCNN().eval() for _ in range(2)]
    client = registry.Client(uri)
    client.create_registered_model("mnist-cnn")
    for i, model in enumerate(models):
        path = tmp_path / f"cnn{i}.safetensors"
        ember.save(model.state_dict(), str(path))
        client.create_model_version("mnist-cnn", str(path))
    client.set_registered_model_alias("mnist-cnn", "production", 1)
    return uri, models


def test_serve_a_registered_model_by_alias(tracked):
    uri, models = tracked
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32)
    with running_server("models:/mnist-cnn@production", "--tracking-uri", uri) as server:
        client = triton.InferenceServerClient(server.url)
        assert client.get_model_metadata("mnist-cnn")["versions"] == ["1"]
        inp = triton.InferInput("input", list(x.shape), "FP32")
        inp.set_data_from_numpy(x)
        result = client.infer("mnist-cnn", [inp])
    assert result.get_response()["model_version"] == "1"
    with torch.no_grad():
        expected = torch_mnist_cnn(models[0])(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(result.as_numpy("output"), expected, rtol=1e-4, atol=1e-5)


def test_unknown_alias_is_refused_with_the_registry_message(tracked):
    uri, _ = tracked
    with pytest.raises(SystemExit, match="has no alias 'staging' .*production -> 1"):
        main(["serve", "models:/mnist-cnn@staging", "--tracking-uri", uri])


def test_a_missing_database_is_named_not_created(tmp_path):
    db = tmp_path / "elsewhere.db"
    with pytest.raises(SystemExit, match="there is no tracking database at") as info:
        main(["serve", "models:/mnist-cnn@production", "--tracking-uri", "sqlite:///" + str(db)])
    assert str(info.value).startswith("ember serve: error: models:/mnist-cnn@production: ember.registry:")
    assert not db.exists()
