"""A module with two outputs (``--arch tests.serve.two_heads.TwoHeads``): served as output0, output1."""
from ember import nn


class TwoHeads(nn.Module):
    """``(linear(x), x.sum(1, keepdim=True))`` for ``x`` of shape (N, 3)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 2)

    def forward(self, x):
        return self.linear(x), x.sum(1, keepdim=True)
