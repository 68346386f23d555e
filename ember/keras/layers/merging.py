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


def _as_bool(mask):
    return None if mask is None else np.asarray(mask._data if hasattr(mask, "_data") else mask, bool)


def _check_masks(inputs, mask):
    if not isinstance(mask, (tuple, list)):
        raise ValueError(f"`mask` should be a list. Received: mask={mask}")
    if not isinstance(inputs, (tuple, list)):
        raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
    if len(mask) != len(inputs):
        raise ValueError(f"The lists `inputs` and `mask` should have the same length. Received: inputs of length "
                         f"{len(inputs)}, and mask of length {len(mask)}")


def _feature_mask(x):
    """The Keras mask of ``x`` (over its leading axes) broadcast over its last (feature) axis, or None."""
    mask = _as_bool(getattr(x, "_keras_mask", None))
    return None if mask is None else np.broadcast_to(mask[..., None], tuple(x.shape))


class _Merge(Layer):
    """Keras's merge rule for masks: the output mask is the OR of the inputs' masks (a step is kept if any input
    keeps it), and None as soon as one input has no mask. The values of ``Add``, ``Subtract`` and ``Average`` are
    the plain sums; ``Maximum``, ``Minimum`` and ``Multiply`` skip masked steps (see each)."""
    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        _check_masks(inputs, mask)
        if any(m is None for m in mask):
            return None
        out = _as_bool(mask[0])
        for m in mask[1:]:
            out = out | _as_bool(m)
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
        for other in input_shape[1:]:   # as Keras, on the shapes without the batch axis
            a, b = tuple(input_shape[0][1:]), tuple(other[1:])
            if any(x is not None and y is not None and x != y and 1 not in (x, y)
                   for x, y in zip(a[::-1], b[::-1])):
                raise ValueError(f"Inputs have incompatible shapes. Received shapes {a} and {b}")
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
    """Element-wise product of a list of inputs. A masked step of an input counts as 1 in the product, and when
    every input has a mask, steps masked in all of them come out 0 (Keras's rule)."""

    def call(self, inputs):
        self._check(inputs)
        masks = [_feature_mask(x) for x in inputs]
        out, out_mask = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                x = ops.where(mask, x, 1.0)
                if all(m is not None for m in masks):
                    out_mask = mask if out_mask is None else out_mask | mask
            out = x if out is None else ops.mul(out, x)
        if out_mask is not None:
            out = ops.where(out_mask, out, 0.0)
            out._keras_mask = out_mask.any(-1)
        return out


class Average(Add):
    def _finish(self, out, n):
        return ops.div(out, float(n))


class _MaskedExtremum(_Merge):
    """Keras's ``Maximum``/``Minimum`` with masks: a step masked in one input takes the other side's value, so
    padding never wins the comparison; the output mask is the OR of the masks (None if one input has none)."""

    def call(self, inputs):
        self._check(inputs)
        out, out_mask = None, None
        for x in inputs:
            mask = _feature_mask(x)
            if out is None:
                out, out_mask = x, mask
                continue
            if mask is not None:
                x = ops.where(mask, x, out)
            if out_mask is not None:
                out = ops.where(out_mask, out, x)
            out_mask = out_mask | mask if mask is not None and out_mask is not None else None
            out = self._merge(out, x)
        if out_mask is not None:
            out._keras_mask = out_mask.any(-1)
        return out


class Maximum(_MaskedExtremum):
    def _merge(self, a, b):
        return ops.maximum(a, b)


class Minimum(_MaskedExtremum):
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

    def compute_mask(self, inputs, mask=None):
        # Keras: an unmasked input counts as all-kept; the masks are laid side by side like the values and a step
        # is kept if any of its features is (along the feature axis that is the OR; along time it joins them).
        if mask is None:
            return None
        _check_masks(inputs, mask)
        if all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            shape = tuple(x.shape)
            m = np.ones(shape, bool) if m is None else _as_bool(m)
            masks.append(np.broadcast_to(m[..., None], shape) if m.ndim < len(shape) else m)
        return np.concatenate(masks, axis=self.axis).any(-1)

    def compute_output_shape(self, input_shape):
        shapes = [list(s) for s in input_shape]
        out = list(shapes[0])
        ax = self.axis % len(out)
        for s in shapes[1:]:
            if len(s) != len(out) or any(i != ax and a is not None and b is not None and a != b
                                         for i, (a, b) in enumerate(zip(out, s))):
                raise ValueError("A `Concatenate` layer requires inputs with matching shapes except for the "
                                 f"concatenation axis. Received: input_shape={[tuple(x) for x in input_shape]}")
        dims = [s[ax] for s in shapes]
        out[ax] = None if any(d is None for d in dims) else sum(dims)
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Dot(_Merge):
    """Batch-wise dot product of two inputs along ``axes`` (an int for both, or one axis per input; never the
    batch axis), as Keras's ``batch_dot``: the output shape is ``x``'s shape without ``axes[0]`` followed by
    ``y``'s without the batch axis and ``axes[1]``, and ``(batch, 1)`` if that leaves one axis.
    ``normalize=True`` L2-normalizes both along their axes first (cosine similarity). The output has no mask.

    >>> import ember
    >>> from ember import keras
    >>> keras.layers.Dot(axes=(1, 2))([ember.ones(2, 3), ember.ones(2, 5, 3)]).shape
    ember.Size([2, 5])
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int) and not (isinstance(axes, (list, tuple)) and len(axes) == 2):
            raise ValueError(f"Invalid type for argument `axes`: it should be a list or an int. Received: axes={axes}")
        self.axes, self.normalize = axes, bool(normalize)

    def _axes(self, ranks):
        if isinstance(self.axes, int):
            return [self.axes % r for r in ranks] if self.axes < 0 else [self.axes] * 2
        return [a % r if a < 0 else a for a, r in zip(self.axes, ranks)]

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"A `Dot` layer should be called on exactly 2 inputs. Received: inputs={inputs}")
        a, b = inputs
        ax, bx = self._axes([a.dim(), b.dim()])
        if a.shape[ax] != b.shape[bx]:
            raise ValueError(f"Incompatible input shapes: axis values {a.shape[ax]} (at axis {ax}) != "
                             f"{b.shape[bx]} (at axis {bx}). Full input shapes: {tuple(a.shape)}, {tuple(b.shape)}")
        if self.normalize:
            a = ops.div(a, ops.clamp(ops.sqrt(ops.mul(a, a).sum(ax, keepdim=True)), min=1e-12))
            b = ops.div(b, ops.clamp(ops.sqrt(ops.mul(b, b).sum(bx, keepdim=True)), min=1e-12))
        a, b = ops.movedim(a, ax, -1), ops.movedim(b, bx, 1)
        a_rest, b_rest = tuple(a.shape[1:-1]), tuple(b.shape[2:])
        n = a.shape[0]
        out = ops.bmm(ops.reshape(a, (n, -1, a.shape[-1])), ops.reshape(b, (n, b.shape[1], -1)))
        out_shape = (n,) + a_rest + b_rest
        return ops.reshape(out, out_shape if len(out_shape) > 1 else (n, 1))

    def compute_output_shape(self, input_shape):
        s1, s2 = list(input_shape[0]), list(input_shape[1])
        ax, bx = self._axes([len(s1), len(s2)])
        s1.pop(ax)
        s2.pop(bx)
        s2.pop(0)
        out = s1 + s2
        return tuple(out if len(out) > 1 else out + [1])

    def get_config(self):
        config = super().get_config()
        config.update(axes=self.axes, normalize=self.normalize)
        return config
