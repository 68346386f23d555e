"""ConvNeXt, ShuffleNetV2, RegNet, GoogLeNet, Inception v3, MNASNet, EfficientNetV2, Swin (V1 and
V2) and the segmentation models (FCN, DeepLabV3, LR-ASPP) against torchvision 0.29.1.

torchvision cannot be installed beside the torch 2.13 oracle, so its side was recorded once by
``tests/vision/make_model_fixtures.py`` (run in a separate torch 2.14.1 + torchvision venv):
state_dict keys and shapes, parameter counts, and with every entry set by
``_tv_formula.value`` the float64 outputs (eval mode, and train mode where it is deterministic)
and input gradients for a small input; plus the builders' signatures, the RegNets' stage
settings and the weights enums. Nothing of ember's is recorded: ember rebuilds the same weights
from the formula and must give the same numbers.
"""
import gzip
import importlib
import inspect
import json
import os

import numpy as np
import pytest

import ember
from ember.vision import models
from ember.vision.models import segmentation

from ._tv_formula import image, value
from ._tv_models_more import MODELS, REGNET_PARAMS, builder_name

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = json.load(gzip.open(os.path.join(HERE, "fixtures", "torchvision_models_more.json.gz"), "rt"))
ARR = np.load(os.path.join(HERE, "fixtures", "torchvision_models_more.npz"))
RUN = [n for n, (_, _, _, modes) in MODELS.items() if modes]
# the keys-only models built here (one per width rule); the others, slower to build, are covered by
# their forward-run siblings, the RegNet stage settings and the signature checks below
KEYS_ONLY = ["shufflenet_v2_x2_0", "regnet_y_800mf", "regnet_x_800mf", "regnet_y_1_6gf", "mnasnet1_0",
             "fcn_resnet50", "maxvit_t"]


def _positions(n, k, seed):
    return np.arange(n) if n <= k else np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False))


def _build(name):
    kwargs = dict(MODELS[name][0])
    if "_class" in kwargs:
        mod, cls = kwargs.pop("_class").split(".")
        return getattr(getattr(models, mod), cls)(**kwargs)
    fn = getattr(segmentation, builder_name(name), None) or getattr(models, builder_name(name))
    return fn(weights=None, **kwargs)


_CACHE = {}


def _filled(name):
    """The float64 model with every state_dict entry set by the formula (built once per module)."""
    if name not in _CACHE:
        model = _build(name).double()
        sd = model.state_dict()
        model.load_state_dict({k: (ember.from_numpy(value(i, k, tuple(sd[k].shape))) if sd[k].is_floating_point()
                                   else sd[k]) for i, k in enumerate(sorted(sd))})
        _CACHE[name] = model
    return _CACHE[name]


def _parts(out):
    if isinstance(out, ember.Tensor):
        return {"": out}
    if isinstance(out, dict):
        return dict(out)
    return {f: getattr(out, f) for f in out._fields}


@pytest.mark.parametrize("name", RUN + KEYS_ONLY)
def test_state_dict_keys_shapes_and_parameter_count_are_torchvisions(name):
    model = _filled(name) if name in RUN else _build(name)
    expected = FIX["models"][name]
    assert [[k, list(v.shape)] for k, v in model.state_dict().items()] == expected["keys"]
    assert sum(p.numel() for p in model.parameters()) == expected["num_params"]


@pytest.mark.parametrize("name,mode", [(n, m) for n in RUN for m in MODELS[n][3]])
def test_outputs_and_input_gradient_equal_torchvisions(name, mode):
    _, size, batch, _ = MODELS[name]
    model = _filled(name).train(mode == "train")
    for p in model.parameters():
        p.grad = None
    x = ember.from_numpy(image(size, batch)).requires_grad_(True)
    parts = _parts(model(x))
    assert sorted(parts) == FIX["models"][name]["outputs"][mode]
    loss = 0
    for part, out in parts.items():
        assert list(out.shape) == FIX["models"][name]["shapes"][f"{mode}|{part}"]
        got = out.detach().numpy().reshape(-1)[_positions(out.numel(), 256, 6)]
        want = ARR[f"{name}|{mode}|{part}"]
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9 * np.abs(want).max(), err_msg=f"{name} {part}")
        r = ember.from_numpy(np.random.default_rng(11).standard_normal(tuple(out.shape)))
        loss = loss + (out * r).sum()
    loss.backward()
    g = x.grad.numpy().reshape(-1)
    want = ARR[f"{name}|{mode}|grad"]
    np.testing.assert_allclose(g[_positions(g.size, 64, 5)], want, rtol=1e-6, atol=1e-9 * np.abs(want).max())
    # every parameter but those of the auxiliary classifiers (unused in eval mode) has a finite gradient
    grads = {n: p.grad for n, p in model.named_parameters() if not (mode == "eval" and n.startswith(("aux", "Aux")))}
    assert all(gr is not None and np.isfinite(gr.numpy()).all() for gr in grads.values())


@pytest.mark.parametrize("name", REGNET_PARAMS)
def test_regnet_stage_settings_are_torchvisions(name):
    from ember.vision.models.regnet import BlockParams, _ARCHS
    bp = BlockParams.from_init_params(**_ARCHS[name])
    stages = []
    for width, _, depth, group_width, mult in bp._get_expanded_params():
        w_b = int(round(width * mult))
        stages.append([depth, w_b, width, w_b // group_width])
    assert stages == FIX["regnet_params"][name]["stages"]


def _ember_callable(name):
    if "." in name:   # "module.Class"; ember.vision.models.googlenet is the builder, so import the module
        mod, cls = name.split(".")
        package = "segmentation." if hasattr(segmentation, mod) else ""
        return getattr(importlib.import_module(f"ember.vision.models.{package}{mod}"), cls)
    return getattr(segmentation, name, None) or getattr(models, name)


def _class_name(default):
    """A class default ("<class 'torch.nn.modules.activation.GELU'>") by its bare name."""
    return default.rsplit(".", 1)[-1][:-2] if isinstance(default, str) and default.startswith("<class ") else default


@pytest.mark.parametrize("name", sorted(FIX["signatures"]))
def test_signature_is_torchvisions(name):
    fn = _ember_callable(name)
    got = [[p.name, p.kind.name, None if p.default is inspect.Parameter.empty else
            (str(p.default) if hasattr(p.default, "url") else repr(p.default))]
           for p in inspect.signature(fn).parameters.values()]
    assert [[n, k, _class_name(d)] for n, k, d in got] == [[n, k, _class_name(d)] for n, k, d in
                                                          FIX["signatures"][name]]


def test_weights_enums_urls_and_meta():
    for name, info in FIX["weights"].items():
        enum = models.get_model_weights(getattr(segmentation, name, None) or getattr(models, name))
        assert enum.__name__ == info["enum"], name
        assert {w.name: w.url for w in enum} == info["members"], name
        assert enum.DEFAULT.name == info["default"], name
    # meta is torchvision's: the parameter count of the default configuration
    for name, n in FIX["default_num_params"].items():
        enum = models.get_model_weights(getattr(segmentation, name, None) or getattr(models, name))
        # the FCN and DeepLabV3 checkpoints carry the auxiliary head, googlenet's does not
        if not name.startswith(("fcn", "deeplab", "googlenet")):
            assert enum.DEFAULT.meta["num_params"] == n, name
    t = models.Swin_V2_T_Weights.DEFAULT.transforms()
    assert [type(s).__name__ for s in t.transforms] == ["Resize", "CenterCrop", "ToTensor", "Normalize"]
    seg = segmentation.FCN_ResNet50_Weights.DEFAULT.transforms()
    assert [type(s).__name__ for s in seg.transforms] == ["Resize", "ToTensor", "Normalize"]


def test_default_parameter_counts_of_the_small_builders():
    for name in ["shufflenet_v2_x0_5", "mnasnet0_5", "regnet_y_400mf", "lraspp_mobilenet_v3_large"]:
        kw = {"weights_backbone": None} if name.startswith("lraspp") else {}
        fn = getattr(segmentation, name, None) or getattr(models, name)
        assert sum(p.numel() for p in fn(**kw).parameters()) == FIX["default_num_params"][name], name


def test_mnasnet_loads_version_1_checkpoints():
    # torchvision's mnasnet0_5 file predates the alpha-scaled stem: 32 and 16 channels
    from ember.vision.models import mnasnet as mn
    old = models.mnasnet0_5()
    d = mn._get_depths(0.5)
    stem = [ember.nn.Conv2d(3, 32, 3, padding=1, stride=2, bias=False), ember.nn.BatchNorm2d(32), ember.nn.ReLU(),
            ember.nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False), ember.nn.BatchNorm2d(32), ember.nn.ReLU(),
            ember.nn.Conv2d(32, 16, 1, bias=False), ember.nn.BatchNorm2d(16), mn._stack(16, d[2], 3, 2, 3, 3, 0.1)]
    for i, layer in enumerate(stem):
        old.layers[i] = layer
    new = models.mnasnet0_5()
    with pytest.warns(UserWarning, match="new version of MNASNet"):
        new.load_state_dict(dict(old.state_dict()))
    x = ember.randn(1, 3, 32, 32)
    with ember.no_grad():
        np.testing.assert_array_equal(new.eval()(x).numpy(), old.eval()(x).numpy())


def test_googlenet_and_inception_training_outputs_and_aux_switch():
    g = _filled("googlenet_train").train()
    out = g(ember.from_numpy(image(64, 2)))
    assert type(out).__name__ == "GoogLeNetOutputs" and out._fields == ("logits", "aux_logits2", "aux_logits1")
    g.eval()
    assert isinstance(g(ember.from_numpy(image(64, 2))), ember.Tensor)
    m = models.googlenet(aux_logits=False, init_weights=False)
    assert m.aux1 is None and not any(k.startswith("aux") for k in m.state_dict())
    with pytest.raises(ValueError, match="aux_logits"):
        models.inception_v3(weights="DEFAULT", aux_logits=False, init_weights=True)


def test_segmentation_arguments_follow_torchvision():
    m = segmentation.fcn_resnet50(weights_backbone=None)
    assert m.aux_classifier is None and m.classifier[-1].out_channels == 21
    with pytest.raises(NotImplementedError, match="auxiliary loss"):
        segmentation.lraspp_mobilenet_v3_large(weights_backbone=None, aux_loss=True)
    with pytest.raises(ValueError, match="num_classes"):
        segmentation.deeplabv3_mobilenet_v3_large(weights="DEFAULT", num_classes=3)
    assert {"fcn_resnet50", "deeplabv3_resnet101", "lraspp_mobilenet_v3_large", "convnext_tiny", "swin_v2_t",
            "regnet_x_32gf", "efficientnet_v2_l", "shufflenet_v2_x2_0", "mnasnet1_3"} <= set(models.list_models())


def test_list_models_by_package_and_vit_weights_fix_the_image_size():
    seg = models.list_models(module=segmentation)
    assert seg == ["deeplabv3_mobilenet_v3_large", "deeplabv3_resnet101", "deeplabv3_resnet50", "fcn_resnet101",
                   "fcn_resnet50", "lraspp_mobilenet_v3_large"]
    assert "resnet18" in models.list_models(module=models) and not set(seg) & set(models.list_models(module=models))
    # torchvision builds the SWAG end-to-end ViT for 384x384 inputs and refuses another size
    with pytest.raises(ValueError, match="image_size"):
        models.vit_b_16(weights="IMAGENET1K_SWAG_E2E_V1", image_size=224)
    assert models.ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1.meta["min_size"] == (384, 384)
