"""Normalization layers: ``BatchNorm1d/2d/3d``, ``InstanceNorm1d/2d``, ``LayerNorm``, ``GroupNorm``,
``RMSNorm`` and ``LocalResponseNorm``, over :mod:`ember.functional.normalization`.

Batch norm keeps PyTorch's buffers: ``running_mean`` (init 0), ``running_var`` (init 1)
and ``num_batches_tracked`` (int64). In training it normalizes with the batch
statistics and updates ``running = (1 - momentum) * running + momentum * batch``
(unbiased variance); ``momentum=None`` makes it the cumulative average
(``momentum = 1 / num_batches_tracked``). In evaluation it uses the running statistics
(or the batch's when ``track_running_stats=False``). Affine parameters start at
``weight = 1``, ``bias = 0``.

>>> import ember
>>> from ember import nn
>>> bn = nn.BatchNorm2d(32)
>>> bn
BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
>>> bn(ember.randn(8, 32, 4, 4)).shape
ember.Size([8, 32, 4, 4])
"""
from ... import creation
from ...backend import dtypes as _dt
from ...functional import normalization as N
from .. import init
from ..module import Module, ModuleInputError
from ..parameter import Parameter



def _affine_parameters(module, enabled, shape, bias, dtype):
    """Register ``weight`` (and ``bias`` unless ``bias=False``) of ``shape``, or None when not ``enabled``."""
    if enabled:
        module.weight = Parameter(creation.empty(tuple(shape), dtype=dtype))
        if bias:
            module.bias = Parameter(creation.empty(tuple(shape), dtype=dtype))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def _reset_affine(module):
    """The normalization layers' affine start: weight 1, bias 0."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)

class InputShapeError(ModuleInputError, ValueError):
    """A wrong input rank for a normalization layer: a ``ValueError`` as in PyTorch, naming the layer."""


def _shape_error(module, detail):
    e = InputShapeError(f"{module._short_repr()}: {detail}")
    e._ember_module = module
    e._ember_detail = str(e.args[0])
    e._ember_plain = False
    return e


class _NormBase(Module):
    """Parameters, buffers and repr shared by batch and instance norm."""

    _version = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(creation.empty(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(creation.empty(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", creation.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", creation.tensor(0, dtype=_dt.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0
            for b in (self.running_mean, self.running_var, self.num_batches_tracked):
                b._bump()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        version = (local_metadata or {}).get("version")
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats and key not in state_dict:
            # Checkpoints written before the counter existed.
            state_dict[key] = creation.tensor(0, dtype=_dt.int64)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def _check_channels(self, input, dim=1):
        c = input._data.shape[dim] if input._data.ndim > dim else None
        if c != self.num_features and (self.affine or self.track_running_stats):
            raise _shape_error(self, f"expected input with {self.num_features} channels in dimension {dim} "
                                     f"(num_features), got input of shape {tuple(input._data.shape)}")


class _BatchNorm(_NormBase):
    dims = ()

    def _check_input_dim(self, input):
        nd = input._data.ndim
        if nd not in self.dims:
            want = " or ".join(f"{d}D" for d in self.dims)
            raise _shape_error(self, f"expected {want} input (got {nd}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        self._check_channels(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            nbt = self.num_batches_tracked
            nbt._data[...] += 1
            nbt._bump()
            factor = 1.0 / float(nbt._data) if self.momentum is None else self.momentum
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return N.batch_norm(input, self.running_mean if keep else None, self.running_var if keep else None,
                            self.weight, self.bias, use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization of ``(N, C)`` or ``(N, C, L)`` over the batch (and length) per channel.

    Args:
        num_features: C. eps: added to the variance (1e-5). momentum: running-statistics update rate
            (0.1; None: cumulative average). affine: learn ``weight``/``bias`` (True). track_running_stats:
            keep running statistics and use them in eval mode (True). bias: learn a bias when affine (True).
    """

    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of ``(N, C, H, W)`` per channel: ``y = (x - mean) / sqrt(var + eps) * weight + bias``.

    Arguments as :class:`BatchNorm1d`. Running statistics update in training, are used in eval.
    """

    dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization of ``(N, C, D, H, W)`` per channel; arguments as :class:`BatchNorm1d`."""

    dims = (5,)


class _InstanceNorm(_NormBase):
    nd = 1

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input):
        nd = input._data.ndim
        if nd not in (self.nd + 1, self.nd + 2):
            raise _shape_error(self, f"expected {self.nd + 1}D (unbatched) or {self.nd + 2}D (batched) input "
                                     f"(got {nd}D input)")
        unbatched = nd == self.nd + 1
        x = input.unsqueeze(0) if unbatched else input
        self._check_channels(x)
        y = N.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of ``(N, C, L)`` (or ``(C, L)``): each channel of each sample over its length.

    Defaults as PyTorch: ``affine=False``, ``track_running_stats=False``.
    """

    nd = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of ``(N, C, H, W)`` (or ``(C, H, W)``): each channel of each sample over H, W."""

    nd = 2


class LayerNorm(Module):
    """Normalize over the trailing ``normalized_shape`` dims of each sample, then an elementwise affine.

    Args:
        normalized_shape: int or tuple, the trailing shape to normalize over.
        eps: added to the variance (1e-5). elementwise_affine: learn ``weight`` (init 1) and, with ``bias``,
            ``bias`` (init 0) of shape ``normalized_shape``.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_parameters(self, elementwise_affine, self.normalized_shape, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        shape = tuple(input._data.shape)
        k = len(self.normalized_shape)
        if shape[len(shape) - k:] != self.normalized_shape or len(shape) < k:
            raise _shape_error(self, f"expected input with shape [*, {', '.join(map(str, self.normalized_shape))}], "
                                     f"got input of shape {shape}")
        return N.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalize each group of ``num_channels / num_groups`` channels of each sample, then a per-channel affine.

    Args: num_groups, num_channels, eps (1e-5), affine (True: ``weight`` = 1, ``bias`` = 0 of shape (C)),
    bias (True).
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_parameters(self, affine, (num_channels,), bias, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        shape = tuple(input._data.shape)
        if len(shape) < 2 or shape[1] != self.num_channels:
            raise _shape_error(self, f"expected input of shape (N, {self.num_channels}, *), got input of shape "
                                     f"{shape}")
        return N.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """``y = x / sqrt(mean(x^2) + eps) * weight`` over the trailing ``normalized_shape`` dims.

    ``eps=None`` uses the input dtype's machine epsilon; ``weight`` starts at 1.
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(creation.ones(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, input):
        return N.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(Module):
    """Normalize each value by the sum of squares of ``size`` neighbouring channels:
    ``y = x / (k + alpha / size * sum x^2) ^ beta``."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return N.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
