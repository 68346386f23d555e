"""ember.vision.models against torchvision: the same state_dict keys and shapes, and the same
logits when both hold the same weights.

torchvision cannot be installed beside the torch 2.13 oracle, so its side was recorded once by
``tests/vision/fixtures/make_torchvision_fixture.py`` running real torchvision 0.29 (keys,
shapes, and float64 eval-mode logits with every entry set by ``_tv_formula.value``).
"""
import json
import os

import numpy as np
import pytest

import ember
from ember.vision import models

from ._tv_formula import MODELS, image, value

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = json.load(open(os.path.join(HERE, "fixtures", "torchvision_models.json")))
OUTPUTS = np.load(os.path.join(HERE, "fixtures", "torchvision_outputs.npz"))


@pytest.mark.parametrize("name", list(MODELS))
def test_same_keys_shapes_and_logits_as_torchvision(name):
    size, kwargs = MODELS[name]
    model = models.get_model(name, weights=None, **kwargs).double().eval()
    sd = model.state_dict()
    assert [[k, list(v.shape)] for k, v in sd.items()] == KEYS[name]
    new = {k: (ember.from_numpy(value(i, k, tuple(sd[k].shape))) if sd[k].is_floating_point() else sd[k])
           for i, k in enumerate(sorted(sd))}
    model.load_state_dict(new)
    with ember.no_grad():
        out = model(ember.from_numpy(image(size, 1 if size > 100 else 2))).numpy()
    expected = OUTPUTS[name]
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-7, atol=1e-9 * np.abs(expected).max())


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "efficientnet_b0", "densenet121"])
def test_trains_a_step_in_float32(name):
    ember.manual_seed(0)                # the same weights and batch whatever ran before
    model = models.get_model(name, num_classes=5)
    opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    # EfficientNet's last stages see 1x1 maps at 32x32, where batch norm over 4 values makes the
    # loss jump from step to step; at 64x64 it falls as the others do.
    size = 64 if name.startswith("efficientnet") else 32
    x, y = ember.randn(4, 3, size, size), ember.tensor([0, 1, 2, 3])
    losses = []
    for _ in range(3):
        ember.manual_seed(1)            # the same dropout / stochastic-depth draws every step
        loss = ember.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


def test_every_torchvision_classification_builder_of_the_issue_exists():
    names = ["resnet18", "resnet34", "resnet50", "vgg11", "vgg16", "alexnet", "mobilenet_v2", "mobilenet_v3_large",
             "mobilenet_v3_small", "squeezenet1_0", "squeezenet1_1", "densenet121", "efficientnet_b0", "vit_b_16"]
    assert set(names) <= set(models.list_models())
    assert models.list_models(include="resnet*")[:2] == ["resnet101", "resnet152"]


def test_pretrained_weights_without_network_name_the_url_and_the_cache(tmp_path, monkeypatch):
    from ember import hub
    monkeypatch.setattr(hub, "_hub_dir", [str(tmp_path)])
    with pytest.raises(hub.HubError, match=r"could not download https://download\.pytorch\.org/models/"
                                           r"resnet18-f37072fd\.pth.*Put the file at .*checkpoints"):
        models.resnet18(weights="DEFAULT")


def test_weights_enums_and_lookups():
    assert models.ResNet18_Weights.DEFAULT is models.ResNet18_Weights.IMAGENET1K_V1
    assert models.get_model_weights("resnet50") is models.ResNet50_Weights
    assert models.get_weight("ResNet50_Weights.IMAGENET1K_V1") is models.ResNet50_Weights.IMAGENET1K_V1
    assert models.ResNet50_Weights.verify("IMAGENET1K_V2") is models.ResNet50_Weights.IMAGENET1K_V2
    with pytest.raises(ValueError, match="Unknown model"):
        models.get_model("resnet9000")


def test_vit_rejects_a_wrong_image_size():
    vit = models.vit_b_32(image_size=64)
    with pytest.raises(ValueError, match="expected 64x64 images, got 32x32"):
        vit(ember.zeros(1, 3, 32, 32))
