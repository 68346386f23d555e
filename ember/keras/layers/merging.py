"""Layers that merge a list of inputs: ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``,
``Minimum``, ``Concatenate``.

>>> import ember
>>> from ember import keras
>>> keras.layers.Concatenate()([ember.ones(2, 3), ember.ones(2, 4)]).shape
ember.Size([2, 7])
"""
import numpy as np

from ...autograd import ops
from .layer import Layer


def _broadcast(shapes):
    rank = max(len(s) for s in shapes)
    out = []
    for dims in zip(*[(1,) * (rank - len(s)) + tuple(s) for s in shapes]):
        known = [d for d in dims if d is not None and d != 1]
        if any(d is None for d in dims) and not known:
            out.append(None)
        else:
            out.append(known[0] if known else 1)
    return tuple(out)


class _Merge(Layer):
    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        # The inputs' masks and-ed (those given).
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)):
            return mask
        masks = [np.asarray(m._data if hasattr(m, "_data") else m, bool) for m in mask if m is not None]
        if not masks:
            return None
        out = masks[0]
        for m in masks[1:]:
            out = out & m
        return out

    def _check(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"A merge layer ({type(self).__name__} {self.name}) should be called on a list of at "
                             f"least 2 inputs. Received: {len(inputs) if isinstance(inputs, (list, tuple)) else 1} "
                             "input(s)")

    def call(self, inputs):
        self._check(inputs)
        out = inputs[0]
        for x in inputs[1:]:
            out = self._merge(out, x)
        return self._finish(out, len(inputs))

    def _finish(self, out, n):
        return out

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, list):
            raise ValueError(f"A merge layer ({type(self).__name__} {self.name}) should be called on a list of "
                             "inputs")
        return _broadcast(input_shape)


class Add(_Merge):
    """Element-wise sum of a list of inputs of the same shape."""

    def _merge(self, a, b):
        return ops.add(a, b)


class Subtract(_Merge):
    """``inputs[0] - inputs[1]``."""

    def call(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. Received: {len(inputs)}")
        return ops.sub(inputs[0], inputs[1])


class Multiply(_Merge):
    """Element-wise product of a list of inputs."""

    def _merge(self, a, b):
        return ops.mul(a, b)


class Average(Add):
    def _finish(self, out, n):
        return ops.div(out, float(n))


class Maximum(_Merge):
    def _merge(self, a, b):
        return ops.maximum(a, b)


class Minimum(_Merge):
    def _merge(self, a, b):
        return ops.minimum(a, b)


class Concatenate(_Merge):
    """Joins a list of inputs along ``axis`` (default -1)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs):
        self._check(inputs)
        try:
            return ops.cat(list(inputs), self.axis)
        except (RuntimeError, ValueError):
            raise ValueError(f"A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
                             f"axis. Received: input_shape={[tuple(x.shape) for x in inputs]}") from None

    def compute_output_shape(self, input_shape):
        shapes = [list(s) for s in input_shape]
        out = list(shapes[0])
        ax = self.axis % len(out)
        dims = [s[ax] for s in shapes]
        out[ax] = None if any(d is None for d in dims) else sum(dims)
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Dot(_Merge):
    """Dot product of two ``(N, d)`` inputs along ``axes`` (``normalize=True``: cosine similarity)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes, self.normalize = axes, bool(normalize)

    def call(self, inputs):
        a, b = inputs
        if self.normalize:
            a = ops.div(a, ops.clamp(ops.sqrt(ops.mul(a, a).sum(-1, keepdim=True)), min=1e-12))
            b = ops.div(b, ops.clamp(ops.sqrt(ops.mul(b, b).sum(-1, keepdim=True)), min=1e-12))
        return ops.mul(a, b).sum(-1, keepdim=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        config = super().get_config()
        config.update(axes=self.axes, normalize=self.normalize)
        return config
