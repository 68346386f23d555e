"""Stochastic depth (Huang et al., 2016): drop whole residual branches while training."""
import ember
from ... import nn


def stochastic_depth(input, p, mode, training=True):
    """Zero ``input`` with probability ``p`` and scale survivors by ``1 / (1 - p)``.

    ``mode="row"`` draws one keep/drop per sample (the first dimension), ``"batch"`` one for
    the whole batch. Identity when not training or when ``p == 0``.

    >>> import ember
    >>> stochastic_depth(ember.ones(2, 3), 0.5, "row", training=False).sum().item()
    6.0
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"stochastic_depth: drop probability has to be between 0 and 1, but got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"stochastic_depth: mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    keep = 1.0 - p
    shape = [input.shape[0]] + [1] * (input.dim() - 1) if mode == "row" else [1] * input.dim()
    noise = ember.empty(shape, dtype=input.dtype).bernoulli_(keep)
    if keep > 0.0:
        noise = noise / keep
    return input * noise


class StochasticDepth(nn.Module):
    """Module form of :func:`stochastic_depth`."""

    def __init__(self, p, mode):
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)

    def extra_repr(self):
        return f"p={self.p}, mode={self.mode}"
