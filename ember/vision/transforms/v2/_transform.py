"""The base of the ``transforms.v2`` transforms: a call takes one sample or several arguments
(nested in tuples, lists and dicts), draws the random parameters once from the parts it
transforms, and applies them to each part by its kind. As in torchvision, the parts transformed
are PIL Images, ``tv_tensors`` and plain Tensors, except that when the sample holds a PIL Image,
a ``tv_tensors.Image`` or ``Video``, plain Tensors pass through; otherwise only the first plain
Tensor is treated as the image.

>>> import ember
>>> from ember.vision import tv_tensors
>>> class AddOne(Transform):
...     def transform(self, inpt, params):
...         return inpt + 1
>>> img, label = AddOne()(tv_tensors.Image(ember.zeros(1, 2, 2)), 3)
>>> img.tolist(), label
([[[1.0, 1.0], [1.0, 1.0]]], 3)
"""
import ember
from ember.vision import tv_tensors
from ember.vision._pil import is_pil_image

__all__ = ["Transform", "tree_flatten", "check_type", "has_any", "has_all", "query_size",
           "query_chw", "get_bounding_boxes"]


def tree_flatten(tree):
    """``(leaves, rebuild)``: the leaves of nested tuples, lists and dicts in order, and a
    function that puts new leaves back in the same structure."""
    if isinstance(tree, (tuple, list)):
        parts = [tree_flatten(t) for t in tree]
        kind = type(tree)
    elif isinstance(tree, dict):
        parts = [tree_flatten(v) for v in tree.values()]
        kind = None
    else:
        return [tree], lambda leaves: leaves[0]
    leaves = [leaf for p in parts for leaf in p[0]]
    sizes = [len(p[0]) for p in parts]

    def rebuild(new):
        out, start = [], 0
        for (_, fn), n in zip(parts, sizes):
            out.append(fn(new[start:start + n]))
            start += n
        if kind is None:
            return dict(zip(tree.keys(), out))
        return kind(out) if kind in (tuple, list) else kind(*out)

    return leaves, rebuild


def _is_image_like(x):
    return is_pil_image(x) or isinstance(x, (tv_tensors.Image, tv_tensors.Video))


def check_type(obj, types_or_checks):
    """Whether ``obj`` is an instance of one of the types or passes one of the checks
    (callables returning a bool)."""
    return any(isinstance(obj, t) if isinstance(t, type) else t(obj) for t in types_or_checks)


def has_any(flat_inputs, *types_or_checks):
    """Whether some input passes :func:`check_type`."""
    return any(check_type(x, types_or_checks) for x in flat_inputs)


def has_all(flat_inputs, *types_or_checks):
    """Whether every type or check is met by some input."""
    return all(any(check_type(x, (t,)) for x in flat_inputs) for t in types_or_checks)


def get_bounding_boxes(flat_inputs):
    """The (first) ``tv_tensors.BoundingBoxes`` of the sample."""
    for x in flat_inputs:
        if isinstance(x, tv_tensors.BoundingBoxes):
            return x
    raise ValueError("No bounding boxes were found in the sample")


def query_chw(flat_inputs):
    """``(C, H, W)`` of the images in the sample (which must all agree)."""
    from ember.vision.transforms import functional as F
    dims = {tuple(F.get_dimensions(x)) for x in flat_inputs
            if _is_image_like(x) or (isinstance(x, ember.Tensor)
                                     and not isinstance(x, tv_tensors.TVTensor))}
    if not dims:
        raise TypeError("No image or video was found in the sample")
    if len(dims) > 1:
        raise ValueError(f"Found multiple CxHxW dimensions in the sample: {sorted(dims)}")
    return dims.pop()


def query_size(flat_inputs):
    """``(H, W)`` of the images, masks and box canvases in the sample (which must agree)."""
    from ember.vision.transforms import functional as F
    sizes = set()
    for x in flat_inputs:
        if isinstance(x, (tv_tensors.BoundingBoxes, tv_tensors.KeyPoints)):
            sizes.add(tuple(x.canvas_size))
        elif is_pil_image(x) or isinstance(x, ember.Tensor):
            sizes.add(tuple(F.get_dimensions(x)[1:]))
    if not sizes:
        raise TypeError("No image, video, mask, bounding box or keypoint was found in the "
                        "sample")
    if len(sizes) > 1:
        raise ValueError(f"Found multiple HxW dimensions in the sample: {sorted(sizes)}")
    return sizes.pop()


class Transform:
    """Subclasses write :meth:`make_params` (the random draws for one call, from the list of
    transformed inputs) and :meth:`transform` (one input at those parameters)."""

    def make_params(self, flat_inputs):
        return {}

    def transform(self, inpt, params):
        raise NotImplementedError(f"{type(self).__name__} must define transform()")

    def _transforms_input(self, inpt):
        return is_pil_image(inpt) or isinstance(inpt, ember.Tensor)

    def _needs_transform_list(self, flat_inputs):
        take_pure = not any(_is_image_like(x) for x in flat_inputs)
        needs = []
        for x in flat_inputs:
            need = self._transforms_input(x)
            if need and isinstance(x, ember.Tensor) and not isinstance(x, tv_tensors.TVTensor):
                need, take_pure = take_pure, False
            needs.append(need)
        return needs

    def _apply(self, inputs):
        flat, rebuild = tree_flatten(inputs)
        needs = self._needs_transform_list(flat)
        params = self.make_params([x for x, n in zip(flat, needs) if n])
        return rebuild([self.transform(x, params) if n else x for x, n in zip(flat, needs)])

    def __call__(self, *inputs):
        return self._apply(inputs if len(inputs) > 1 else inputs[0])

    forward = __call__

    def extra_repr(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"
