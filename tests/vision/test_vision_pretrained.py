"""torchvision's pretrained-weights path: ``weights=`` / ``pretrained=True`` download torchvision's
``.pth`` checkpoint (served here by a local HTTP server in PyTorch's own format, written by real
``torch.save``) into the hub cache, check the SHA-256 prefix in its file name, read it without
unpickling and load it; DenseNet's old key names are mapped as torchvision maps them."""
import hashlib
import io
import re

import numpy as np
import pytest
import torch

import ember
from ember import hub
from ember.vision import models
from tests._http import FileServer


def _torch_checkpoint(model, rename=lambda k: k, legacy=False, keep=lambda k: True):
    """``model``'s weights (random, not the default init) as torch.save bytes, keys renamed."""
    rng = np.random.default_rng(0)
    state = {}
    for k, v in model.state_dict().items():
        if not keep(k):
            continue
        a = v.numpy()
        a = (0.05 * rng.standard_normal(a.shape)).astype(a.dtype) if a.dtype.kind == "f" else a
        state[rename(k)] = torch.from_numpy(np.ascontiguousarray(a))
    buf = io.BytesIO()
    torch.save(state, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue(), state


def _serve_as(entry, name, body, server, monkeypatch):
    digest = hashlib.sha256(body).hexdigest()[:8]
    path = f"/models/{name}-{digest}.pth"
    server.files[path] = body
    monkeypatch.setattr(entry.value, "url", server.url + path)
    return path


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_weights_download_into_the_hub_cache_and_load(tmp_path, monkeypatch, legacy):
    monkeypatch.setattr(hub, "_hub_dir", [None])
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    body, state = _torch_checkpoint(models.squeezenet1_1(), legacy=legacy)
    with FileServer({}) as server:
        path = _serve_as(models.SqueezeNet1_1_Weights.IMAGENET1K_V1, "squeezenet1_1", body, server, monkeypatch)
        model = models.squeezenet1_1(weights=models.SqueezeNet1_1_Weights.DEFAULT)
        again = models.squeezenet1_1(pretrained=True)  # the legacy flag: IMAGENET1K_V1, from the cache
        assert server.requests == [path]
    cached = tmp_path / "torch_home" / "hub" / "checkpoints" / path.rsplit("/", 1)[1]
    assert cached.read_bytes() == body
    for m in (model, again):
        got = m.state_dict()
        assert list(got) == list(state)
        for k in state:
            np.testing.assert_array_equal(got[k].numpy(), state[k].numpy())
    x = ember.randn(1, 3, 64, 64)
    model.eval(), again.eval()
    with ember.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), again(x).numpy())


def test_a_corrupt_download_is_refused_and_not_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", [str(tmp_path)])
    body, _ = _torch_checkpoint(models.squeezenet1_0())
    with FileServer({}) as server:
        path = _serve_as(models.SqueezeNet1_0_Weights.IMAGENET1K_V1, "squeezenet1_0", body, server, monkeypatch)
        server.files[path] = body[:-1] + bytes([body[-1] ^ 1])  # one flipped bit
        with pytest.raises(hub.HubError, match="invalid hash value"):
            models.squeezenet1_0(weights="IMAGENET1K_V1")
    assert not list((tmp_path / "checkpoints").iterdir())


def test_densenet_checkpoints_with_old_key_names_load(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", [str(tmp_path)])
    # torchvision's DenseNet files say "denselayer1.norm.1.weight" for the module "denselayer1.norm1", and
    # predate BatchNorm's num_batches_tracked (loading fills it in, as in torch).
    old = lambda k: re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", k)  # noqa: E731
    body, state = _torch_checkpoint(models.densenet121(), rename=old, keep=lambda k: "num_batches" not in k)
    assert "features.denseblock1.denselayer1.norm.1.weight" in state
    with FileServer({}) as server:
        _serve_as(models.DenseNet121_Weights.IMAGENET1K_V1, "densenet121", body, server, monkeypatch)
        model = models.densenet121(weights="DEFAULT")
    got = model.state_dict()
    np.testing.assert_array_equal(got["features.denseblock1.denselayer1.norm1.weight"].numpy(),
                                  state["features.denseblock1.denselayer1.norm.1.weight"].numpy())
    assert len(got) == len(state) + sum("num_batches_tracked" in k for k in got)
    assert int(got["features.norm0.num_batches_tracked"]) == 0


def test_weights_entries_name_torchvision_urls_and_transforms():
    w = models.ResNet50_Weights
    assert w.DEFAULT is w.IMAGENET1K_V2 and w.IMAGENET1K_V2.url == "https://download.pytorch.org/models/resnet50-11ad3fa6.pth"
    assert models.ResNet18_Weights.DEFAULT.url.endswith("/resnet18-f37072fd.pth")
    # the V2 recipes resize to 232 before the 224 crop; V1 to 256
    assert "Resize(size=232" in repr(w.IMAGENET1K_V2.transforms()) and "Resize(size=256" in repr(w.IMAGENET1K_V1.transforms())
    with pytest.raises(ValueError, match="'num_classes' expected value 1000 but got 10"):
        models.resnet18(weights="DEFAULT", num_classes=10)
    # every torchvision entry has its URL now; an entry without one says how to load by hand
    with pytest.raises(RuntimeError, match="does not list a download URL.*load_state_dict"):
        models.efficientnet_b0(weights=models.Weights("CUSTOM"))
