"""torchvision.models.feature_extraction on ember: outputs equal the model's own intermediate
values computed by hand, gradients reach the parameters the same way, the forward stops after the
last requested node, and unknown nodes are refused with the available names."""
import numpy as np
import pytest

import ember
from ember import nn
from ember.vision.models import resnet18
from ember.vision.models.feature_extraction import create_feature_extractor, get_graph_node_names


def _by_hand(m, x):
    h = m.maxpool(m.relu(m.bn1(m.conv1(x))))
    c2 = m.layer1(h)
    c3 = m.layer2(c2)
    return c2, c3, m.layer4(m.layer3(c3))


def test_outputs_and_gradients_equal_the_models_own():
    ember.manual_seed(0)
    model = resnet18().eval()
    x = ember.randn(2, 3, 32, 32)
    body = create_feature_extractor(model, return_nodes={"layer1": "c2", "layer2": "c3", "layer4": "c5"})
    out = body(x)
    assert list(out) == ["c2", "c3", "c5"]
    c2, c3, c5 = _by_hand(model, x)
    for got, want in zip(out.values(), (c2, c3, c5)):
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    out["c5"].sum().backward()
    g = model.conv1.weight.grad.numpy().copy()
    model.zero_grad()
    c5.sum().backward()
    np.testing.assert_allclose(g, model.conv1.weight.grad.numpy(), rtol=1e-6, atol=1e-7)
    # torchvision's truncated graph keeps the model's keys up to the last node (no avgpool/fc here);
    # tests/vision/test_vision_ops_detection.py checks them against torchvision's recorded keys
    assert list(body.state_dict()) == [k for k in model.state_dict() if not k.startswith("fc.")]
    assert model.fc.weight.grad is None  # fc is after the last node: not run


class Stops(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(3, 4), nn.Linear(4, 2)
        self.after = nn.Identity()

    def forward(self, x):
        h = self.b(ember.relu(self.a(x)))
        if not self.training:
            raise AssertionError("the forward went past the requested nodes")
        return self.after(h)


def test_the_forward_stops_after_the_last_node_and_modes_pick_their_nodes():
    m = Stops()
    body = create_feature_extractor(m, train_return_nodes=["a", "after"], eval_return_nodes=["b"])
    x = ember.ones(1, 3)
    assert list(body(x)) == ["a", "after"]
    body.eval()
    assert not m.training and list(body(x)) == ["b"]  # would raise if it ran past b
    np.testing.assert_array_equal(body(x)["b"].detach().numpy(), m.b(ember.relu(m.a(x))).detach().numpy())


def test_node_names_and_refusals():
    train, evaluate = get_graph_node_names(resnet18())
    # as torchvision's: the input node "x" first, then the module calls
    assert train == evaluate and train[:4] == ["x", "conv1", "bn1", "relu"] and "layer4.1.bn2" in train
    with pytest.raises(ValueError, match="node 'flatten' is not a submodule of ResNet.*available: conv1, bn1"):
        create_feature_extractor(resnet18(), return_nodes=["flatten"])
    with pytest.raises(ValueError, match="either return_nodes or both"):
        create_feature_extractor(resnet18(), return_nodes=["fc"], train_return_nodes=["fc"])
