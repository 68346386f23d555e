"""ember.vision.models.detection against torchvision 0.29's detection models.

The oracle is recorded by make_detection_fixtures.py (torchvision cannot be installed beside the
torch 2.13 of the test environment) into fixtures/torchvision_detection.*: state_dict keys and
shapes of the builders, and for the same architectures with the same formula weights (float64) the
eval transform's batch, the eval detections (boxes, labels, scores, masks), the training loss dict
for fixed targets and the gradients of the summed losses. Both sides replace ``randperm`` in the
positive/negative samplers by ``_det_cases.fixed_perm``.
"""
import gzip
import json
import os
import types

import numpy as np
import pytest

import ember
from ember.vision import models
from ember.vision.models import detection
from ember.vision.ops import FrozenBatchNorm2d, MultiScaleRoIAlign

from . import _det_cases as cases
from ._tv_formula import value

HERE = os.path.dirname(os.path.abspath(__file__))
META = json.load(gzip.open(os.path.join(HERE, "fixtures", "torchvision_detection.json.gz"), "rt"))
ARR = np.load(os.path.join(HERE, "fixtures", "torchvision_detection.npz"))
NS = types.SimpleNamespace(nn=ember.nn, FrozenBatchNorm2d=FrozenBatchNorm2d, MultiScaleRoIAlign=MultiScaleRoIAlign,
                           detection=detection, models=models)


@pytest.fixture(autouse=True)
def _fixed_sampling(monkeypatch):
    monkeypatch.setattr(ember, "randperm", lambda n, **kw: ember.from_numpy(cases.fixed_perm(int(n))))


def _no_init(mp):
    """Skip the random initialisation (the state is compared by keys, or overwritten by the formula)."""
    zeros_ = ember.nn.init.zeros_
    for name in ("normal_", "uniform_", "kaiming_normal_", "kaiming_uniform_"):
        mp.setattr(ember.nn.init, name, lambda t, *a, **k: zeros_(t))


@pytest.fixture
def no_init(monkeypatch):
    _no_init(monkeypatch)


def set_formula(model):
    sd = model.state_dict()
    new = {k: (ember.from_numpy(value(i, k, tuple(sd[k].shape))).to(sd[k].dtype) if sd[k].is_floating_point()
               else sd[k]) for i, k in enumerate(sorted(sd))}
    model.load_state_dict(new)
    return model


def images():
    return [ember.from_numpy(x) for x in cases.images()]


def targets():
    return [{k: ember.from_numpy(v) for k, v in t.items()} for t in cases.targets()]


def check_detections(prefix, dets, atol=1e-7):
    n = 0
    for i, d in enumerate(dets):
        for k in ("boxes", "labels", "scores", "masks", "keypoints", "keypoints_scores"):
            key = f"{prefix}/{i}/{k}"
            if key not in ARR.files:
                assert k not in d, f"{key}: torchvision gives no {k}"
                continue
            want, got = ARR[key], d[k].detach().numpy()
            assert got.shape == want.shape, f"{key}: shape {got.shape}, torchvision {want.shape}"
            if k == "labels":
                assert got.dtype == np.int64 and (got == want).all(), f"{key}: {got} != {want}"
            else:
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=atol if k != "masks" else 1e-6, err_msg=key)
            n += 1
    return n


@pytest.fixture(scope="module", params=cases.KINDS)
def tiny(request):
    return request.param, set_formula(cases.tiny_model(NS, request.param).double())


# ------------------------------------------------------------------------------------------------ keys

@pytest.mark.parametrize("name", sorted(cases.KEY_BUILDERS))
def test_builder_state_dict_keys(name, no_init):
    want = META["keys"][name]
    model = getattr(detection, name)(**cases.KEY_BUILDERS[name])
    assert [[k, list(v.shape)] for k, v in model.state_dict().items()] == want["keys"]
    assert sum(p.numel() for p in model.parameters()) == want["num_params"]
    assert [n for n, p in model.named_parameters() if p.requires_grad] == want["trainable"]


def test_ssd512_vgg_extractor_keys():
    """``highres``: the conv12_2 block (4 x 4 kernel) after conv11_2, as torchvision's."""
    want = META["keys"]["SSDFeatureExtractorVGG/highres"]
    extractor = detection.ssd.SSDFeatureExtractorVGG(cases.tiny_vgg(NS).features, highres=True)
    assert [[k, list(v.shape)] for k, v in extractor.state_dict().items()] == want["keys"]
    assert sum(p.numel() for p in extractor.parameters()) == want["num_params"]


def test_resnet_fpn_backbone_frozen_layers(no_init):
    """FrozenBatchNorm2d (no num_batches_tracked) and trainable_layers=3: layer2..4 train."""
    want = META["keys"]["resnet_fpn_backbone"]
    bb = detection.backbone_utils.resnet_fpn_backbone(backbone_name="resnet50", weights=None)
    assert [[k, list(v.shape)] for k, v in bb.state_dict().items()] == want["keys"]
    assert [n for n, p in bb.named_parameters() if p.requires_grad] == want["trainable"]


def test_tiny_state_dict_keys_load_torchvision_layout(tiny):
    kind, model = tiny
    grads = {k.split("/", 2)[2] for k in ARR.files if k.startswith("mask/grad/")}
    if kind == "mask":   # every parameter of the mask model got a gradient in torchvision
        assert grads == {n for n, _ in model.named_parameters()}


# ------------------------------------------------------------------------------------------------ eval

def test_transform_matches(tiny):
    kind, model = tiny
    model.eval()
    with ember.no_grad():
        batch, _ = model.transform(images())
    want = META[f"{kind}/transform"]
    t = batch.tensors.numpy()
    assert list(t.shape) == want["shape"] and [list(s) for s in batch.image_sizes] == want["image_sizes"]
    np.testing.assert_allclose(t.ravel()[cases.positions(t.size, 512, 3)], ARR[f"{kind}/transform/values"],
                               rtol=1e-12, atol=1e-12)


def test_eval_detections_match(tiny):
    kind, model = tiny
    model.eval()
    with ember.no_grad():
        dets = model(images())
    assert isinstance(dets, list) and len(dets) == 2
    assert check_detections(f"{kind}/eval", dets) == {"faster": 6, "mask": 8, "keypoint": 10}.get(kind, 6)


# ------------------------------------------------------------------------------------------------ train

def test_train_losses_and_gradients_match(tiny):
    kind, model = tiny
    model.train()
    model.zero_grad()
    loss_dict = model(images(), targets())
    want = META[f"{kind}/losses"]
    assert sorted(loss_dict) == sorted(want)
    for k, v in want.items():
        assert loss_dict[k].dim() == 0
        # float32 loss (objectness): to its precision
        tol = 1e-6 if loss_dict[k].dtype == ember.float32 else 1e-9
        np.testing.assert_allclose(loss_dict[k].item(), v, rtol=tol, err_msg=k)
    if "loss_objectness" in want:
        # as torch, the RPN's objectness loss is float32 (its labels are) and the others float64
        assert loss_dict["loss_objectness"].dtype == ember.float32
        assert loss_dict["loss_classifier"].dtype == ember.float64
    losses = sum(loss for loss in loss_dict.values())
    losses.backward()
    checked = 0
    params = dict(model.named_parameters())
    for key in ARR.files:
        for part in ("grad", "gradpos"):   # whole gradients, or at fixed flat positions
            prefix = f"{kind}/{part}/"
            if key.startswith(prefix):
                name = key[len(prefix):]
                g = params[name].grad
                assert g is not None, f"{name}: no gradient, torchvision has one"
                want = ARR[key]
                if part == "grad":
                    g, atol = g.numpy(), 1e-9
                else:
                    # to 1e-6 of the parameter's largest: the SSDlite's train-mode BatchNorm on 1 x 1 maps of 2
                    # images amplifies rounding (1e-14 more on torchvision's input moves its gradients 5e-10)
                    g = g.numpy().ravel()[cases.positions(g.numel(), cases.GRAD_POSITIONS, 5)]
                    atol = max(1e-9, 1e-6 * np.abs(want).max())
                np.testing.assert_allclose(g, want, rtol=1e-6, atol=atol, err_msg=name)
                checked += 1
    assert checked >= 6
    if kind in cases.SSD_KINDS:   # the SSDs' are recorded for every parameter that gets one (the frozen get none)
        assert checked == sum(p.requires_grad for p in params.values())
        assert [n for n, p in model.named_parameters() if p.requires_grad] == META[f"{kind}/trainable"]


# ------------------------------------------------------------------------------------------------ full builders

@pytest.mark.parametrize("name", sorted(cases.FULL))
def test_full_builder_eval_matches(name, no_init):
    model = set_formula(getattr(detection, name)(**cases.FULL[name]).double()).eval()
    with ember.no_grad():
        dets = model([ember.from_numpy(cases.full_image())])
    assert check_detections(f"full/{name}", dets, atol=1e-6) >= 3
    assert len(dets[0]["boxes"]) > 0


# ------------------------------------------------------------------------------------------------ builders' API

def test_pretrained_weights_load_old_checkpoint_layout(no_init, monkeypatch):
    """weights=COCO_V1 (here served from a local state dict in the old layout: RPN conv and mask
    head keys before torchvision's version 2) loads, freezes the backbone's norms with eps 0 as
    torchvision does for that checkpoint, and trains layer2..layer4 of the backbone."""
    state = detection.maskrcnn_resnet50_fpn(weights=None, weights_backbone=None).state_dict()
    for kind in ("weight", "bias"):
        state[f"rpn.head.conv.{kind}"] = state.pop(f"rpn.head.conv.0.0.{kind}")
        for i in range(4):
            state[f"roi_heads.mask_head.mask_fcn{i + 1}.{kind}"] = state.pop(f"roi_heads.mask_head.{i}.0.{kind}")
    state = {k: v + 0.5 if k == "rpn.head.conv.bias" else v for k, v in state.items()}
    served = []
    monkeypatch.setattr(type(detection.MaskRCNN_ResNet50_FPN_Weights.COCO_V1.value), "get_state_dict",
                        lambda self, progress=True, check_hash=True: served.append(self.url) or dict(state))
    model = detection.maskrcnn_resnet50_fpn(weights="DEFAULT")
    assert served == ["https://download.pytorch.org/models/maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth"]
    assert np.allclose(model.rpn.head.conv[0][0].bias.detach().numpy(), state["rpn.head.conv.bias"].numpy())
    frozen = [m for m in model.modules() if isinstance(m, FrozenBatchNorm2d)]
    assert len(frozen) == 53 and all(m.eps == 0.0 for m in frozen)
    trainable = {n.split(".")[2] for n, p in model.named_parameters() if p.requires_grad and n.startswith("backbone.body")}
    assert trainable == {"layer2", "layer3", "layer4"}
    meta = detection.MaskRCNN_ResNet50_FPN_Weights.COCO_V1.meta
    assert len(meta["categories"]) == 91 and meta["categories"][1] == "person"
    # frozen norms hold buffers, not parameters: fewer than with weights=None's BatchNorm2d
    assert sum(p.numel() for p in model.parameters()) == meta["num_params"] < META["keys"]["maskrcnn_resnet50_fpn"][
        "num_params"]
    # the legacy flag means the same weights
    served.clear()
    detection.maskrcnn_resnet50_fpn(pretrained=True)
    assert len(served) == 1


def test_builder_argument_errors(no_init):
    with pytest.raises(ValueError, match="num_classes.*expected value 91 but got 3"):
        detection.fasterrcnn_resnet50_fpn(weights="DEFAULT", num_classes=3)
    with pytest.raises(ValueError, match="Trainable backbone layers should be in the range"):
        detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone="DEFAULT", trainable_backbone_layers=6)
    backbone = cases.tiny_backbone(NS)
    with pytest.raises(ValueError, match="num_classes should be None when box_predictor is specified"):
        detection.FasterRCNN(backbone, 3, box_predictor=detection.FastRCNNPredictor(32, 3))
    with pytest.raises(ValueError, match="num_classes should not be None"):
        detection.FasterRCNN(backbone)
    with pytest.raises(ValueError, match="out_channels"):
        detection.FasterRCNN(ember.nn.ReLU(), 2)
    with pytest.raises(TypeError, match="rpn_anchor_generator should be of type AnchorGenerator"):
        detection.FasterRCNN(backbone, 2, rpn_anchor_generator=object())


def test_train_mode_checks_targets(tiny):
    kind, model = tiny
    model.train()
    with pytest.raises(AssertionError, match="targets should not be none when in training mode"):
        model(images())
    bad = targets()
    bad[0]["boxes"] = ember.tensor([[10.0, 10.0, 10.0, 20.0]], dtype=ember.float64)
    bad[0]["labels"], bad[0]["masks"] = bad[0]["labels"][:1], bad[0]["masks"][:1]
    # the box as resized: x1 10 scaled by 128 / 100 (the SSDs' by their fixed width / 120)
    x1 = {"ssd": r"6\.00", "ssd_vgg": r"5\.66", "ssdlite": r"5\.33"}.get(kind, r"12\.7")
    with pytest.raises(AssertionError, match=r"positive height and width. Found invalid box \[" + x1):
        model(images(), bad)


def test_rpn_head_and_predictor_init():
    """torchvision's initialisations: RPN convs N(0, 0.01) with zero bias, mask predictor weights
    Kaiming-normal (fan_out), mask head convs Kaiming-normal with zero bias."""
    ember.manual_seed(0)
    head = detection.RPNHead(64, 9)
    w = head.conv[0][0].weight.detach().numpy()
    assert abs(w.std() - 0.01) < 0.001 and not head.cls_logits.bias.detach().numpy().any()
    pred = detection.MaskRCNNPredictor(64, 32, 3)
    w = pred.conv5_mask.weight.detach().numpy()   # ConvTranspose2d (in, out, 2, 2): fan_out = in * 4
    assert abs(w.std() - np.sqrt(2 / (64 * 4))) < 0.1 * np.sqrt(2 / (64 * 4))


def test_ssd_argument_errors():
    """torchvision's checks: backbone maps vs anchor generator, steps per map, COCO classes with
    weights, trainable layers of VGG-16 (5) and MobileNetV3 (6)."""
    with pytest.raises(ValueError, match=r"output channels from the backbone \(3\) do not match the length of the "
                                         r"anchor generator aspect ratios \(2\)"):
        detection.SSD(cases.tiny_backbone(NS).body, detection.DefaultBoxGenerator([[2], [3]]), (64, 64), 3)
    with pytest.raises(ValueError, match="aspect_ratios and steps should have the same length"):
        detection.DefaultBoxGenerator([[2], [3]], steps=[8])
    with pytest.raises(ValueError, match="num_classes.*expected value 91 but got 3"):
        detection.ssd300_vgg16(weights="DEFAULT", num_classes=3)
    with pytest.raises(ValueError, match=r"Trainable backbone layers should be in the range \[0,5\], got 6"):
        detection.ssd300_vgg16(weights=None, trainable_backbone_layers=6)
    with pytest.raises(ValueError, match=r"Trainable backbone layers should be in the range \[0,6\], got 7"):
        detection.ssdlite320_mobilenet_v3_large(weights=None, trainable_backbone_layers=7)
    # the checkpoint's count is the model's (torchvision's, recorded with weights=None)
    assert detection.SSD300_VGG16_Weights.DEFAULT.meta["num_params"] == META["keys"]["ssd300_vgg16"]["num_params"]
    assert len(detection.SSDLite320_MobileNet_V3_Large_Weights.COCO_V1.meta["categories"]) == 91


@pytest.mark.parametrize("name", sorted(cases.BACKBONE_WEIGHTS))
def test_builder_with_backbone_weights(name, no_init, monkeypatch):
    """With pretrained backbone weights (served from the backbone builder's own state): the URL
    torchvision asks for, its keys and shapes (SSDlite's full MobileNetV3 tail) and its frozen stages."""
    backbone, kwargs = cases.BACKBONE_WEIGHTS[name]
    served = []

    def serve(self, progress=True, check_hash=True):
        served.append(self.url)
        return getattr(models, backbone)(weights=None).state_dict()

    monkeypatch.setattr(models._api.Weights, "get_state_dict", serve)
    want = META["keys"][f"{name}/backbone_weights"]
    model = getattr(detection, name)(**kwargs)
    assert served == want["served"]
    assert [[k, list(v.shape)] for k, v in model.state_dict().items()] == want["keys"]
    assert sum(p.numel() for p in model.parameters()) == want["num_params"]
    assert [n for n, p in model.named_parameters() if p.requires_grad] == want["trainable"]


@pytest.mark.parametrize("kind", cases.EDGE_KINDS)
def test_ssd_empty_targets_and_no_detections(kind):
    """An image without boxes (all its default boxes background, none mined) and a score threshold
    that no SSDlite box passes (every class's candidates empty): as torchvision."""
    model = set_formula(cases.tiny_model(NS, kind).double()).train()
    losses = model(images(), [{k: ember.from_numpy(v) for k, v in t.items()} for t in cases.targets_one_empty()])
    want = META[f"{kind}/losses_one_empty"]
    assert sorted(losses) == sorted(want)
    for k, v in want.items():
        np.testing.assert_allclose(losses[k].item(), v, rtol=1e-9, err_msg=k)
    model.eval().score_thresh = cases.EDGE_SCORE_THRESH
    with ember.no_grad():
        dets = model(images())
    assert check_detections(f"{kind}/eval_thresh", dets) == 6
    assert (len(dets[0]["boxes"]) == 0) == (kind == "ssdlite")
