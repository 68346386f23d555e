"""``keras.visualization``: overlay segmentation masks on images (``draw_segmentation_masks``, NumPy only) and
lay images out in a matplotlib grid (``plot_image_gallery``, ``plot_segmentation_mask_gallery``; matplotlib
is imported only when plotting). ``draw_bounding_boxes`` / ``plot_bounding_box_gallery`` draw text with OpenCV
in Keras and are not provided.

>>> import numpy as np
>>> from ember import keras
>>> images = np.zeros((1, 2, 2, 3), np.float32)
>>> masks = np.array([[[[1], [0]], [[-1], [2]]]])
>>> keras.visualization.draw_segmentation_masks(images, masks, num_classes=3, alpha=1.0)[0, :, :, 0].tolist()
[[1, 0], [0, 2]]
"""
import functools
import math

import numpy as np

from . import ops
from .backend import image_data_format


def _palette(num_classes):
    """Class ``i``'s RGB color: ``i * (2^25 - 1, 2^15 - 1, 2^21 - 1) mod 255`` (Keras's default palette)."""
    base = np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1])
    return [((i * base) % 255).tolist() for i in range(num_classes)]


def _numpy(x):
    return ops.convert_to_numpy(x) if not isinstance(x, np.ndarray) else x


def draw_segmentation_masks(images, segmentation_masks, num_classes=None, color_mapping=None, alpha=0.8,
                            blend=True, ignore_index=-1, data_format=None):
    """Paint each pixel of class ``c`` (``segmentation_masks`` integer, ``(batch, H, W, 1)``) with color ``c``
    (``color_mapping[c]`` or the default palette, classes ``0 .. num_classes - 1``; ``num_classes`` defaults
    to the largest class present, which then fails as in Keras's torch backend). With ``blend`` the result is ``(1 - alpha) image + alpha painted`` on the
    pixels not equal to ``ignore_index`` (the image elsewhere), as ``uint8``; without it, the painted images
    as float32."""
    data_format = data_format or image_data_format()
    images, masks = _numpy(images), _numpy(segmentation_masks)
    if images.ndim != 4:
        raise ValueError(f"draw_segmentation_masks: `images` must be batched 4D tensor. "
                         f"Received: images.shape={images.shape}")
    if data_format == "channels_first":
        images, masks = images.transpose(0, 2, 3, 1), masks.transpose(0, 2, 3, 1)
    if not np.issubdtype(masks.dtype, np.integer):
        raise TypeError(f"draw_segmentation_masks: `segmentation_masks` must be in integer dtype. "
                        f"Received: segmentation_masks.dtype={masks.dtype}")
    if masks.shape[-1:] != (1,):
        raise ValueError(f"draw_segmentation_masks: `segmentation_masks` must have a trailing axis of size 1, "
                         f"shape (batch, H, W, 1); got {masks.shape}")
    images = images.astype(np.float32)
    if num_classes is None:
        num_classes = int(masks.max())
    if masks.max() >= num_classes:
        # Keras (torch backend) fails in one_hot here; a class with no color would be silently dropped.
        raise ValueError(f"draw_segmentation_masks: class values must be smaller than num_classes={num_classes}; "
                         f"the masks hold class {int(masks.max())} (num_classes=None means the largest class).")
    colors = _palette(num_classes) if color_mapping is None else [color_mapping[i] for i in range(num_classes)]
    classes = masks[..., 0]
    painted = images.copy()
    for c, color in enumerate(colors):
        painted[classes == c] = np.asarray(color, np.float32)
    if not blend:
        return ops.convert_to_tensor(painted, "float32")
    mixed = images * (1 - alpha) + painted * alpha
    mixed = np.where((classes != ignore_index)[..., None], mixed, images)
    return mixed.astype(np.uint8)


def _pyplot(fn):
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(f"The `{fn}` function requires the `matplotlib` package. Please install it with "
                          "`pip install matplotlib`.") from e
    return plt


def plot_image_gallery(images, y_true=None, y_pred=None, label_map=None, rows=None, cols=None,
                       value_range=(0, 255), scale=2, path=None, show=None, transparent=True, dpi=60,
                       legend_handles=None, data_format=None):
    """Show (or save to ``path``) the first ``rows * cols`` images of the batch in a grid, each mapped linearly
    from ``value_range`` to ``[0, 255]``, titled ``Label: ...`` / ``Pred: ...`` through ``label_map`` when
    ``y_true`` / ``y_pred`` are given. ``rows`` defaults to ``ceil(sqrt(batch))`` and ``cols`` to
    ``batch // rows``, as in Keras."""
    plt = _pyplot("plot_image_gallery")
    if path is not None and show:
        raise ValueError("plot_gallery() expects either `path` to be set, or `show` to be true.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError("If `y_true` or `y_pred` are provided, a `label_map` must also be provided.")
    show = show if show is not None else path is None
    data_format = data_format or image_data_format()
    images = _numpy(images)
    if images.ndim != 4:
        raise ValueError("`plot_images_gallery()` requires you to batch your `np.array` samples together.")
    batch = images.shape[0]
    rows = rows or int(math.ceil(math.sqrt(batch)))
    cols = cols or int(batch // rows)
    images = images[:min(rows * cols, batch)]
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    fig, axes = plt.subplots(nrows=rows, ncols=cols, figsize=(cols * scale, rows * scale), frameon=False,
                             layout="tight", squeeze=True, sharex="row", sharey="col")
    fig.subplots_adjust(wspace=0, hspace=0)
    axes = np.asarray(axes).reshape(rows, cols)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    lo, hi = value_range
    images = images.astype(np.float32)
    if tuple(value_range) != (0, 255):
        images = (images - lo) / (hi - lo) * 255.0
    y_true = None if y_true is None else _numpy(y_true)
    y_pred = None if y_pred is None else _numpy(y_pred)
    for index, ax in enumerate(axes.reshape(-1)):
        ax.imshow(images[index].astype("uint8"))
        ax.margins(x=0, y=0)
        ax.axis("off")
        title = []
        if y_true is not None and index < len(y_true):
            title.append(f"Label: {label_map.get(y_true[index], 'Unknown')}")
        if y_pred is not None and index < len(y_pred):
            title.append(f"Pred: {label_map.get(y_pred[index], 'Unknown')}")
        if title:
            ax.set_title("  ".join(title), fontsize=8)
    if path is not None:
        plt.savefig(fname=path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        plt.close()
    elif show:
        plt.show()
        plt.close()


def plot_segmentation_mask_gallery(images, num_classes, value_range=(0, 255), y_true=None, y_pred=None,
                                   color_mapping=None, blend=True, alpha=0.8, ignore_index=-1, data_format=None,
                                   **kwargs):
    """One row per image: the image, then ``y_true`` and/or ``y_pred`` drawn over it with
    ``draw_segmentation_masks``; the grid goes through ``plot_image_gallery`` (``kwargs`` passed on)."""
    data_format = data_format or image_data_format()
    images = _numpy(images)
    if images.ndim != 4:
        raise ValueError(f"`images` must be batched 4D tensor. Received: images.shape={images.shape}")
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    draw = functools.partial(draw_segmentation_masks, num_classes=num_classes, color_mapping=color_mapping,
                             alpha=alpha, ignore_index=ignore_index, blend=blend, data_format="channels_last")
    drawn = []
    for masks in (y_true, y_pred):
        if masks is not None:
            masks = _numpy(masks)
            if data_format == "channels_first":
                masks = masks.transpose(0, 2, 3, 1)
            drawn.append(_numpy(draw(images, masks.astype(np.int32))))
    gallery = [img for i in range(images.shape[0]) for img in [images[i]] + [d[i] for d in drawn]]
    return plot_image_gallery(np.stack(gallery, axis=0), value_range=value_range, rows=images.shape[0],
                              cols=1 + len(drawn), **kwargs)
