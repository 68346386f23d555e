"""Tensors that say what they hold, as ``torchvision.tv_tensors``: :class:`Image`, :class:`Video`,
:class:`Mask`, :class:`BoundingBoxes` (with their ``format`` and ``canvas_size``) and
:class:`KeyPoints`. The ``transforms.v2`` transforms use the type to decide how to transform
each part of a sample (a mask is resized with NEAREST, boxes have their coordinates moved).

As in torchvision, they are ember Tensors, and arithmetic on them gives plain Tensors; use
:func:`wrap` to make the result the same kind again.

>>> import ember
>>> boxes = BoundingBoxes([[1, 2, 5, 6]], format="XYXY", canvas_size=(8, 8))
>>> boxes.format, boxes.canvas_size, tuple(boxes.shape)
(<BoundingBoxFormat.XYXY: 'XYXY'>, (8, 8), (1, 4))
"""
import enum

import numpy as np

import ember
from ember.vision._pil import is_pil_image

__all__ = ["TVTensor", "Image", "Video", "Mask", "BoundingBoxes", "BoundingBoxFormat",
           "KeyPoints", "wrap", "is_rotated_bounding_format"]


def _array(data, dtype):
    if isinstance(data, ember.Tensor):
        arr = data._data
    else:
        arr = np.asarray(data)
        if arr.dtype == np.float64 and not isinstance(data, np.ndarray):
            arr = arr.astype(ember.get_default_dtype().numpy)
    if dtype is not None:
        arr = arr.astype(dtype.numpy, copy=False)
    return arr


class TVTensor(ember.Tensor):
    """The base of the typed tensors: a Tensor sharing memory with ``data``."""

    def __init__(self, data, *, dtype=None, device=None, requires_grad=None):
        self._data = _array(data, dtype)
        if requires_grad:
            self.requires_grad = True

    def as_subclass(self, cls):
        """The same memory as an instance of ``cls`` (``ember.Tensor`` for a plain tensor)."""
        if cls is ember.Tensor:
            return ember.from_numpy(self._data)
        return wrap(ember.from_numpy(self._data), like=self) if isinstance(self, cls) else cls(
            self)

    def __repr__(self):
        return f"{type(self).__name__}({ember.from_numpy(self._data)!r}{self._extra_repr()})"

    def _extra_repr(self):
        return ""


class Image(TVTensor):
    """An image ``(..., C, H, W)``; from a PIL Image (as ``pil_to_tensor``), or data of shape
    ``(H, W)`` (made ``(1, H, W)``) or more dimensions."""

    def __init__(self, data, *, dtype=None, device=None, requires_grad=None):
        if is_pil_image(data):
            from ember.vision.transforms.functional import pil_to_tensor
            data = pil_to_tensor(data)
        super().__init__(data, dtype=dtype, requires_grad=requires_grad)
        if self._data.ndim < 2:
            raise ValueError(f"Image: expected data of at least 2 dimensions (H, W), got shape "
                             f"{self._data.shape}")
        if self._data.ndim == 2:
            self._data = self._data[None]


class Video(TVTensor):
    """A video ``(..., T, C, H, W)``."""

    def __init__(self, data, *, dtype=None, device=None, requires_grad=None):
        super().__init__(data, dtype=dtype, requires_grad=requires_grad)
        if self._data.ndim < 4:
            raise ValueError(f"Video: expected data of at least 4 dimensions (T, C, H, W), got "
                             f"shape {self._data.shape}")


class Mask(TVTensor):
    """A segmentation mask ``(..., H, W)``; a PIL Image becomes its ``(H, W)`` values."""

    def __init__(self, data, *, dtype=None, device=None, requires_grad=None):
        if is_pil_image(data):
            from ember.vision.transforms.functional import pil_to_tensor
            data = pil_to_tensor(data)[0]
        super().__init__(data, dtype=dtype, requires_grad=requires_grad)


class BoundingBoxFormat(enum.Enum):
    """How the numbers of a box are laid out: corners ``XYXY``, corner and size ``XYWH``,
    centre and size ``CXCYWH``, and the rotated ``XYWHR``, ``CXCYWHR`` (angle in degrees,
    counter-clockwise) and ``XYXYXYXY`` (four corners)."""

    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"
    XYWHR = "XYWHR"
    CXCYWHR = "CXCYWHR"
    XYXYXYXY = "XYXYXYXY"


def is_rotated_bounding_format(format):
    """Whether ``format`` describes rotated boxes."""
    format = BoundingBoxFormat[format.upper()] if isinstance(format, str) else format
    return format in (BoundingBoxFormat.XYWHR, BoundingBoxFormat.CXCYWHR,
                      BoundingBoxFormat.XYXYXYXY)


_BOX_WIDTH = {BoundingBoxFormat.XYWHR: 5, BoundingBoxFormat.CXCYWHR: 5,
              BoundingBoxFormat.XYXYXYXY: 8}


class BoundingBoxes(TVTensor):
    """Boxes ``(N, K)`` (K = 4, 5 or 8 by ``format``) on an image of ``canvas_size = (H, W)``;
    one box ``(K,)`` is made ``(1, K)``.

    Args:
        format (BoundingBoxFormat or str): the layout of each box.
        canvas_size ((int, int)): the height and width of the image they lie on.
        clamping_mode (str or None): ``"soft"`` (default) or ``"hard"`` clamp boxes moved by a
            transform to the canvas; None leaves them.
    """

    def __init__(self, data, *, format, canvas_size, clamping_mode="soft", dtype=None,
                 device=None, requires_grad=None):
        super().__init__(data, dtype=dtype, requires_grad=requires_grad)
        self.format = BoundingBoxFormat[format.upper()] if isinstance(format, str) else format
        if not isinstance(self.format, BoundingBoxFormat):
            raise TypeError(f"BoundingBoxes: format should be a BoundingBoxFormat or its name, "
                            f"got {format!r}")
        width = _BOX_WIDTH.get(self.format, 4)
        if self._data.ndim == 1:
            self._data = self._data[None]
        if self._data.ndim != 2 or self._data.shape[-1] != width:
            raise ValueError(f"BoundingBoxes: expected data of shape (N, {width}) for format "
                             f"{self.format.value}, got {self._data.shape}")
        self.canvas_size = tuple(int(s) for s in canvas_size)
        if clamping_mode not in ("soft", "hard", None):
            raise ValueError(f"clamping_mode should be 'soft', 'hard' or None, got "
                             f"{clamping_mode!r}")
        self.clamping_mode = clamping_mode

    def _extra_repr(self):
        return f", format={self.format}, canvas_size={self.canvas_size}"


class KeyPoints(TVTensor):
    """Points ``(..., 2)`` as ``(x, y)`` on an image of ``canvas_size = (H, W)``."""

    def __init__(self, data, *, canvas_size, dtype=None, device=None, requires_grad=None):
        super().__init__(data, dtype=dtype, requires_grad=requires_grad)
        if self._data.ndim == 1:
            self._data = self._data[None]
        if self._data.shape[-1] != 2:
            raise ValueError(f"KeyPoints: expected data of shape (..., 2), got "
                             f"{self._data.shape}")
        self.canvas_size = tuple(int(s) for s in canvas_size)

    def _extra_repr(self):
        return f", canvas_size={self.canvas_size}"


def wrap(wrappee, *, like, **kwargs):
    """``wrappee`` (a Tensor) as the same kind of tv_tensor as ``like``, with ``like``'s
    metadata (``format``, ``canvas_size``...) unless given in ``kwargs``."""
    cls = type(like)
    out = cls.__new__(cls)
    out._data = wrappee._data if isinstance(wrappee, ember.Tensor) else np.asarray(wrappee)
    for name in ("format", "canvas_size", "clamping_mode"):
        if hasattr(like, name) or name in kwargs:
            setattr(out, name, kwargs.get(name, getattr(like, name, None)))
    return out
