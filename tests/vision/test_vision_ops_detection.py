"""torchvision.ops' detection ops in ember.vision.ops against torchvision 0.29 itself: float64
outputs and gradients recorded by fixtures/make_torchvision_ops_fixture.py (torchvision cannot be
installed beside the torch oracle) on the NumPy inputs of _ops_cases.py; plus float64
finite-difference gradient checks, the module forms and the errors users can cause."""
import json
import re
import os

import numpy as np
import pytest

import ember
from ember.vision import ops
from tests.vision._ops_cases import FEATURE_NODES, INT_ARGS, cases, fpn_weight, module_inputs, multiscale_inputs

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "torchvision_ops.json")) as f:
    RECORDED = json.load(f)
CASES = cases()


def _call(fn, kwargs, diff):
    args = {}
    for k, v in kwargs.items():
        if isinstance(v, np.ndarray):
            v = ember.from_numpy(v.astype(np.int64) if k in INT_ARGS else v.copy())
            if k in diff:
                v.requires_grad_(True)
        args[k] = v
    return getattr(ops, fn)(**args), args


@pytest.mark.parametrize("name,fn,kwargs,diff", CASES, ids=[c[0] for c in CASES])
def test_matches_torchvision(name, fn, kwargs, diff):
    want = RECORDED[name]
    result, args = _call(fn, kwargs, diff)
    assert str(result.dtype).replace("ember.", "torch.") == want["dtype"]
    np.testing.assert_allclose(result.detach().numpy(), np.asarray(want["output"]), rtol=1e-10, atol=1e-12)
    if diff:
        weight = ember.from_numpy(np.cos(np.arange(result.numel())).reshape(tuple(result.shape)))
        (result * weight).sum().backward()
        for k in diff:
            np.testing.assert_allclose(args[k].grad.numpy(), np.asarray(want["grads"][k]), rtol=1e-9, atol=1e-12,
                                       err_msg=f"{name}: gradient of {k}")


@pytest.mark.parametrize("fn,kwargs", [
    ("generalized_box_iou", {"boxes2": np.array([[1.0, 2.0, 4.0, 7.0], [0.5, 0.0, 9.0, 3.0]])}),
    ("generalized_box_iou_loss", {"boxes2": np.array([[1.0, 2.0, 4.0, 7.0], [0.5, 0.0, 9.0, 3.0]]),
                                  "reduction": "sum"}),
    ("box_convert", {"in_fmt": "cxcywh", "out_fmt": "xywh"}),
])
def test_box_gradients_match_finite_differences(fn, kwargs):
    first = ember.tensor([[0.0, 1.0, 3.0, 5.0], [2.0, 0.5, 6.0, 4.0]], dtype=ember.float64, requires_grad=True)
    extra = {k: ember.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    name = "boxes1" if fn != "box_convert" else "boxes"
    assert ember.autograd.gradcheck(lambda x: getattr(ops, fn)(**{name: x}, **extra), (first,))


def test_roi_align_gradient_matches_finite_differences():
    x = ember.from_numpy(np.random.RandomState(1).normal(size=(1, 2, 6, 7))).requires_grad_()
    rois = ember.tensor([[0, 0.3, 0.7, 5.1, 4.4], [0, -1.0, 2.0, 3.0, 8.0]], dtype=ember.float64)
    assert ember.autograd.gradcheck(lambda t: ops.roi_align(t, rois, (2, 3), 1.0, -1, True), (x,))


def test_roi_align_list_of_boxes_and_module_form():
    x = ember.from_numpy(np.random.RandomState(2).normal(size=(2, 3, 8, 8)).astype(np.float32))
    per_image = [ember.tensor([[0.0, 0.0, 4.0, 4.0]]), ember.tensor([[1.0, 2.0, 7.0, 6.0], [0.0, 0.0, 8.0, 8.0]])]
    flat = ember.tensor([[0, 0.0, 0.0, 4.0, 4.0], [1, 1.0, 2.0, 7.0, 6.0], [1, 0.0, 0.0, 8.0, 8.0]])
    layer = ops.RoIAlign((2, 2), spatial_scale=1.0, sampling_ratio=2, aligned=False)
    assert ember.equal(layer(x, per_image), ops.roi_align(x, flat, 2, 1.0, 2))
    assert layer(x, per_image).shape == (3, 3, 2, 2)
    assert repr(layer) == "RoIAlign(output_size=(2, 2), spatial_scale=1.0, sampling_ratio=2, aligned=False)"


def test_empty_inputs():
    none = ember.zeros((0, 4))
    assert ops.nms(none, ember.zeros(0), 0.5).shape == (0,)
    assert ops.batched_nms(none, ember.zeros(0), ember.zeros(0, dtype=ember.int64), 0.5).dtype == ember.int64
    assert ops.generalized_box_iou_loss(none, none, reduction="mean").item() == 0.0
    assert ops.roi_align(ember.zeros(1, 2, 4, 4), ember.zeros((0, 5)), 2).shape == (0, 2, 2, 2)


def test_errors_name_the_function_and_the_value():
    boxes = ember.tensor([[0.0, 0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="generalized_box_iou_loss.*'avg'"):
        ops.generalized_box_iou_loss(boxes, boxes, reduction="avg")
    with pytest.raises(ValueError, match="sigmoid_focal_loss.*'avg'"):
        ops.sigmoid_focal_loss(boxes, boxes, reduction="avg")
    with pytest.raises(ValueError, match="box_convert.*'xyz'"):
        ops.box_convert(boxes, "xyz", "xyxy")
    with pytest.raises(RuntimeError, match=r"nms: scores should have shape \(1,\), got \(2,\)"):
        ops.nms(boxes, ember.zeros(2), 0.5)
    with pytest.raises(ValueError, match=r"roi_align: boxes must be .* got shape \(1, 4\)"):
        ops.roi_align(ember.zeros(1, 1, 4, 4), boxes, 2)


def test_models_and_ops_are_attributes_of_the_package():
    # ``import torchvision`` then ``torchvision.models.resnet18(...)`` / ``torchvision.ops.nms(...)``
    import ember.vision
    assert ember.vision.models.resnet18 is not None and ember.vision.ops.nms is ops.nms
    assert {"models", "ops"} <= set(ember.vision.__all__)


def _cos_weight(t):
    return ember.from_numpy(np.cos(np.arange(t.numel())).reshape(tuple(t.shape)))


def test_frozen_batch_norm_matches_torchvision():
    want = RECORDED["frozen_bn"]
    bn, _ = module_inputs()
    frozen = ops.FrozenBatchNorm2d(3).double()
    frozen.load_state_dict({**{k: ember.from_numpy(bn[k]) for k in ("weight", "bias", "running_mean",
                                                                     "running_var")},
                            "num_batches_tracked": ember.tensor(3)})   # a BatchNorm2d's state_dict loads
    x = ember.from_numpy(bn["x"]).requires_grad_()
    frozen.train()
    y = frozen(x)
    (y * _cos_weight(y)).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), np.asarray(want["output"]), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), np.asarray(want["grad"]), rtol=1e-12)
    assert repr(frozen) == want["repr"] and not list(frozen.parameters())


@pytest.mark.parametrize("extra", ["pool", "p6p7"])
def test_feature_pyramid_network_matches_torchvision(extra):
    want = RECORDED[f"fpn_{extra}"]
    _, fpn_in = module_inputs()
    blocks = ops.feature_pyramid_network.LastLevelMaxPool() if extra == "pool" else \
        ops.feature_pyramid_network.LastLevelP6P7(4, 6)
    fpn = ops.FeaturePyramidNetwork([3, 5, 4], 6, extra_blocks=blocks).double()
    assert [[k, list(v.shape)] for k, v in fpn.state_dict().items()] == want["keys"]
    fpn.load_state_dict({k: ember.from_numpy(fpn_weight(k, tuple(v.shape))) for k, v in fpn.state_dict().items()})
    inputs = {k: ember.from_numpy(v).requires_grad_() for k, v in fpn_in.items()}
    result = fpn(inputs)
    assert list(result) == list(want["output"])
    sum((v * _cos_weight(v)).sum() for v in result.values()).backward()
    for k, v in result.items():
        np.testing.assert_allclose(v.detach().numpy(), np.asarray(want["output"][k]), rtol=1e-10, atol=1e-12)
    for k, v in inputs.items():
        np.testing.assert_allclose(v.grad.numpy(), np.asarray(want["grads"][k]), rtol=1e-10, atol=1e-12)


def test_roi_pool_module_and_list_boxes():
    x = ember.from_numpy(np.random.RandomState(3).normal(size=(2, 2, 6, 6)).astype(np.float32))
    per_image = [ember.tensor([[0.0, 0.0, 3.0, 3.0]]), ember.tensor([[1.0, 1.0, 5.0, 4.0]])]
    flat = ember.tensor([[0, 0.0, 0.0, 3.0, 3.0], [1, 1.0, 1.0, 5.0, 4.0]])
    layer = ops.RoIPool((2, 3), spatial_scale=1.0)
    assert ember.equal(layer(x, per_image), ops.roi_pool(x, flat, (2, 3)))
    assert repr(layer) == "RoIPool(output_size=(2, 3), spatial_scale=1.0)"


def test_intermediate_layer_getter_returns_the_named_children():
    from ember import nn
    from ember.vision.models import resnet18
    from ember.vision.models._utils import IntermediateLayerGetter
    net = resnet18().eval()
    getter = IntermediateLayerGetter(net, {"layer1": "c2", "layer3": "c4"})
    assert list(getter.keys())[-1] == "layer3"   # the children after the last one asked for are dropped
    x = ember.from_numpy(np.random.RandomState(4).normal(size=(1, 3, 32, 32)).astype(np.float32))
    out = getter(x)
    with ember.no_grad():
        c2 = net.layer1(net.maxpool(net.relu(net.bn1(net.conv1(x)))))
        expected = net.layer3(net.layer2(c2))
    assert list(out) == ["c2", "c4"] and ember.allclose(out["c2"], c2) and ember.allclose(out["c4"], expected)
    with pytest.raises(ValueError, match=r"return_layers \['layer9'\] are not children"):
        IntermediateLayerGetter(nn.Sequential(), {"layer9": "x"})


def test_feature_extraction_matches_torchvision_for_module_nodes():
    from ember.vision.models import resnet18
    from ember.vision.models.feature_extraction import create_feature_extractor, get_graph_node_names
    want = RECORDED["feature_extraction"]
    net = resnet18(num_classes=4).double()
    net.load_state_dict({k: ember.from_numpy(fpn_weight(k, tuple(v.shape))) if v.is_floating_point() else v
                         for k, v in net.state_dict().items()})
    net.eval()
    modules = dict(net.named_modules())
    train_nodes, eval_nodes = get_graph_node_names(net)
    # torchvision's fx graph also has the functional nodes (layer1.0.add, flatten); ember lists the module
    # calls. ember's BasicBlock runs its downsample branch before conv1, so the order differs within a block.
    for ours, theirs in ((train_nodes, want["train_nodes"]), (eval_nodes, want["eval_nodes"])):
        assert sorted(ours) == sorted(n for n in theirs if n == "x" or re.sub(r"_\d+$", "", n) in modules)
    body = create_feature_extractor(net, return_nodes=FEATURE_NODES)
    assert list(body.state_dict()) == want["state_keys"]
    image = ember.from_numpy(np.sin(np.arange(2 * 3 * 32 * 32) * 0.01).reshape(2, 3, 32, 32))
    feats = body(image)
    assert list(feats) == list(want["outputs"])
    for k, (total, head) in want["outputs"].items():
        assert feats[k].abs().sum().item() == pytest.approx(total, rel=1e-10)
        np.testing.assert_allclose(feats[k].flatten()[:40].detach().numpy(), head, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="node 'flatten' is not a submodule of ResNet; .*no fx graph"):
        create_feature_extractor(net, return_nodes=["flatten"])


def test_feature_extraction_is_an_attribute_of_models():
    import ember.vision
    assert ember.vision.models.feature_extraction.create_feature_extractor is not None


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_multiscale_roi_align_matches_torchvision(dtype):
    want = RECORDED[f"multiscale_{dtype}"]
    pyramid, boxes, shapes = multiscale_inputs()
    feats = {k: ember.from_numpy(v.astype(dtype)).requires_grad_() for k, v in pyramid.items()}
    pooler = ops.MultiScaleRoIAlign(["p2", "p3", "p4"], output_size=(2, 3), sampling_ratio=2)
    pooled = pooler(feats, [ember.from_numpy(b.astype(dtype)) for b in boxes], shapes)
    (pooled * _cos_weight(pooled).to(pooled.dtype)).sum().backward()
    tol = 1e-12 if dtype == "float64" else 1e-5
    assert pooler.scales == want["scales"] and repr(pooler) == want["repr"]
    np.testing.assert_allclose(pooled.detach().numpy(), np.asarray(want["output"]), rtol=tol, atol=tol)
    for k, v in feats.items():
        np.testing.assert_allclose(v.grad.numpy(), np.asarray(want["grads"][k]), rtol=tol, atol=tol)
