"""``MaxNumBoundingBoxes``: give every image of a batch exactly ``max_number`` bounding boxes.

On ``{"images": ..., "bounding_boxes": {"boxes": (batch, n, 4), "labels": (batch, n)}}`` the boxes and
labels are cut to ``max_number`` or padded with ``fill_value``; images (and labels, segmentation masks)
pass through unchanged. ``bounding_box_format`` must be given, as in Keras.

>>> import numpy as np
>>> from ember import keras
>>> layer = keras.layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
>>> out = layer({"images": np.zeros((1, 4, 4, 3)), "bounding_boxes": {"boxes": np.ones((1, 2, 4)),
...                                                                     "labels": np.ones((1, 2))}})
>>> out["bounding_boxes"]["labels"].numpy().tolist()
[[1.0, 1.0, -1.0]]
"""
import numpy as np

from ...autograd.tensor import Tensor, make
from .layer import Layer


def _np(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


class MaxNumBoundingBoxes(Layer):
    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.max_number, self.fill_value = int(max_number), int(fill_value)
        self.bounding_box_format, self.data_format = bounding_box_format, data_format

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        out = dict(bounding_boxes)
        for key, rank in (("boxes", 3), ("labels", 2)):
            a = _np(bounding_boxes[key])[:, :self.max_number]
            pad = [(0, 0), (0, self.max_number - a.shape[1])] + [(0, 0)] * (rank - 2)
            out[key] = make(np.pad(a, pad, constant_values=self.fill_value))
        return out

    def call(self, inputs, training=None):
        if not isinstance(inputs, dict):
            return inputs
        out = dict(inputs)
        if "bounding_boxes" in inputs:
            if not self.bounding_box_format:
                raise ValueError("You passed an input with a 'bounding_boxes' key, but you didn't specify a "
                                 "bounding box format. Pass a `bounding_box_format` argument to your "
                                 "MaxNumBoundingBoxes layer, e.g. `bounding_box_format='xyxy'`.")
            out["bounding_boxes"] = self.transform_bounding_boxes(inputs["bounding_boxes"])
        return out

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            extra = set(input_shape["bounding_boxes"]) - {"boxes", "labels"}
            if extra:
                raise KeyError(f"There are unsupported keys in `bounding_boxes`: {sorted(extra)}. Only `boxes` and "
                               "`labels` are supported.")
            shape = {**input_shape, "bounding_boxes": dict(input_shape["bounding_boxes"])}
            for key in ("boxes", "labels"):
                s = list(shape["bounding_boxes"][key])
                s[1] = self.max_number
                shape["bounding_boxes"][key] = s
            return shape
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(max_number=self.max_number, fill_value=self.fill_value,
                      bounding_box_format=self.bounding_box_format)
        return config
