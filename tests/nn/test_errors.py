"""Mistakes a user can make get errors that name the layer (and its place in the model) and the shapes."""
import re

import numpy as np
import pytest

import ember
from ember import nn
import ember.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.body = nn.Sequential(nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.body(self.fc1(x))


def test_linear_names_itself_and_the_shapes():
    with pytest.raises(RuntimeError) as info:
        nn.Linear(784, 128)(ember.zeros(32, 1, 28, 28))
    assert str(info.value).startswith(
        "Linear(in_features=784, out_features=128, bias=True): expected input with last dimension 784, got input "
        "of shape (32, 1, 28, 28)")
    assert "flatten" in str(info.value)


def test_error_names_the_submodule_path():
    with pytest.raises(RuntimeError, match=re.escape(
            "Net.fc1 (Linear(in_features=784, out_features=128, bias=True)): expected input with last dimension "
            "784, got input of shape (32, 1, 28, 28)")):
        Net()(ember.zeros(32, 1, 28, 28))
    net = Net()
    net.body[1] = nn.Linear(64, 10)
    with pytest.raises(RuntimeError, match=re.escape("Net.body.1 (Linear(in_features=64, out_features=10, "
                                                     "bias=True)): expected input with last dimension 64, got "
                                                     "input of shape (2, 128)")):
        net(ember.zeros(2, 784))
    # A plain error raised inside a custom layer's forward gets the path prefixed too.

    class Bad(nn.Module):
        def forward(self, x):
            return x @ ember.zeros(3, 3)
    wrapper = nn.Sequential(nn.Identity(), Bad())
    with pytest.raises(RuntimeError, match=r"^Sequential\.1 \(Bad\(\)\): matmul: shapes \(2, 5\) and \(3, 3\)"):
        wrapper(ember.zeros(2, 5))


def test_functional_linear_dtype_and_shape():
    with pytest.raises(RuntimeError, match="same dtype"):
        F.linear(ember.zeros(2, 3, dtype=ember.float64), ember.zeros(4, 3))
    with pytest.raises(RuntimeError, match=r"input of shape \(2, 5\).*weight of shape \(4, 3\)"):
        F.linear(ember.zeros(2, 5), ember.zeros(4, 3))


def test_cross_entropy_target_errors():
    logits = ember.randn(4, 10)
    with pytest.raises(IndexError, match=r"target class index 10 is out of bounds for an input with 10 classes"):
        F.cross_entropy(logits, ember.tensor([1, 2, 10, 0]))
    with pytest.raises(IndexError, match="class index -1"):
        nn.CrossEntropyLoss()(logits, ember.tensor([1, 2, -1, 0]))
    with pytest.raises(RuntimeError, match=r"expected a target of shape \(4,\).*got a target of shape \(4, 1\).*"
                                           r"squeeze"):
        F.cross_entropy(logits, ember.tensor([[1], [2], [3], [0]]))
    with pytest.raises(RuntimeError, match=r"probability targets must have the input's shape \(4, 10\)"):
        F.cross_entropy(logits, ember.zeros(4, 9))
    with pytest.raises(RuntimeError, match="class indices .* or class probabilities"):
        F.cross_entropy(logits, ember.tensor([True, False, True, True]))
    with pytest.raises(RuntimeError, match="weight must be a 1-D tensor of 10 class weights"):
        F.cross_entropy(logits, ember.tensor([1, 2, 3, 0]), weight=ember.ones(3))
    with pytest.raises(IndexError, match="target class index 5 is out of bounds"):
        F.nll_loss(ember.randn(2, 5), ember.tensor([5, 0]))
    # ignore_index targets may be out of range.
    assert np.isfinite(F.cross_entropy(logits, ember.tensor([1, -100, 3, 0])).item())


def test_binary_loss_errors():
    with pytest.raises(ValueError, match=r"target size \(\(4,\)\).*input size \(\(4, 1\)\)"):
        F.binary_cross_entropy(ember.full((4, 1), 0.5), ember.zeros(4))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0]))
    with pytest.raises(ValueError, match=r"target size \(\(3,\)\) must be the same as input size \(\(3, 1\)\)"):
        nn.BCEWithLogitsLoss()(ember.zeros(3, 1), ember.zeros(3))
    with pytest.raises(RuntimeError, match=r"floating point target.*target.float\(\)"):
        F.binary_cross_entropy_with_logits(ember.zeros(3), ember.tensor([0, 1, 1]))
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        F.mse_loss(ember.zeros(3, 2), ember.zeros(4))
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.l1_loss(ember.zeros(2), ember.zeros(2), reduction="avg")


def test_embedding_errors():
    emb = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"Embedding\(10, 3\): index out of range in self: index 10, indices must "
                                         r"be in \[0, 9\]"):   # torch's type (IndexError) and words
        emb(ember.tensor([1, 10]))
    with pytest.raises(RuntimeError):  # still a ModuleInputError
        emb(ember.tensor([1, 10]))
    with pytest.raises(RuntimeError, match=r"expected integer indices, got a tensor of dtype ember.float32"):
        emb(ember.tensor([1.0]))
    with pytest.raises(IndexError, match="index -2 is out of range"):
        F.embedding(ember.tensor([-2]), ember.zeros(4, 2))


def test_other_layer_errors():
    with pytest.raises(RuntimeError, match=r"Bilinear\(in1_features=2, in2_features=3.*shapes \(4, 2\) and \(4, 4\)"):
        nn.Bilinear(2, 3, 1)(ember.zeros(4, 2), ember.zeros(4, 4))
    with pytest.raises(RuntimeError, match="prelu: the weight has 3 parameters but .* has 4 channels"):
        nn.PReLU(3)(ember.zeros(2, 4))
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        nn.GLU()(ember.zeros(2, 3))
    with pytest.raises(ValueError, match="dropout probability"):
        F.dropout(ember.zeros(2), p=-0.1)
    with pytest.raises(RuntimeError, match="approximate argument"):
        F.gelu(ember.zeros(2), approximate="fast")
