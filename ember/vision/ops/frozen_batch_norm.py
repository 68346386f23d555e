"""``FrozenBatchNorm2d``: batch normalization with fixed statistics and affine parameters.

All four of ``weight``, ``bias``, ``running_mean`` and ``running_var`` are buffers, never
updated, so ``y = (x - running_mean) / sqrt(running_var + eps) * weight + bias`` in train and
eval mode alike. Detection backbones use it for their pretrained ResNets, whose batch statistics
would be poor on the few large images of a detection batch. A ``num_batches_tracked`` entry in a
loaded state_dict (from a BatchNorm2d) is ignored.

>>> import ember
>>> FrozenBatchNorm2d(3)(ember.ones(1, 3, 2, 2)).sum().item() > 11.99
True
"""
import ember
from ... import nn


class FrozenBatchNorm2d(nn.Module):
    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", ember.ones(num_features))
        self.register_buffer("bias", ember.zeros(num_features))
        self.register_buffer("running_mean", ember.zeros(num_features))
        self.register_buffer("running_var", ember.ones(num_features))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def forward(self, x):
        scale = self.weight.reshape(1, -1, 1, 1) * (self.running_var.reshape(1, -1, 1, 1) + self.eps).rsqrt()
        shift = self.bias.reshape(1, -1, 1, 1) - self.running_mean.reshape(1, -1, 1, 1) * scale
        return x * scale + shift

    def __repr__(self):
        return f"{self.__class__.__name__}({self.weight.shape[0]}, eps={self.eps})"
