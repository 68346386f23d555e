"""``keras.visualization``: overlay segmentation masks on images (``draw_segmentation_masks``, NumPy only) and
lay images out in a matplotlib grid (``plot_image_gallery``, ``plot_segmentation_mask_gallery``; matplotlib
is imported only when plotting). ``draw_bounding_boxes`` / ``plot_bounding_box_gallery`` draw boxes and labels
with OpenCV, as Keras does (``pip install "ember[opencv]"``), so the pixels are Keras's.

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


def _cv2(fn):
    try:
        import cv2
    except ImportError as e:
        raise ImportError(f"keras.visualization.{fn} draws with OpenCV, which is not installed: "
                          'pip install "ember[opencv]" (or opencv-python)') from e
    return cv2


def _label_origin(x, y, font_scale, thickness):
    """Where a box's label starts: 8 pixels above its top edge, or inside the box below the top edge when two
    text lines would not fit above it (Keras's rule)."""
    line_height = int(font_scale * 12)
    if y - 8 - 2 * line_height > 0:
        return x, y - 8
    return x + 3, y + 2 * line_height + thickness + 3


def draw_bounding_boxes(images, bounding_boxes, bounding_box_format, class_mapping=None, color=(128, 128, 128),
                        line_thickness=2, text_thickness=1, font_scale=1.0, data_format=None):
    """Draw ``bounding_boxes`` (a dict: ``"boxes"`` ``(batch, num_boxes, 4)`` in ``bounding_box_format``,
    ``"labels"`` ``(batch, num_boxes)``, optional ``"confidences"``) on a batch of images; returns uint8
    NumPy images in the layout given. Float images with a maximum <= 1 are scaled by 255, others clipped to
    [0, 255]. A box with label -1 is padding and skipped; a label found in ``class_mapping`` is written above
    the box (``"name | 0.93"`` with a confidence) in OpenCV's Hershey simplex font.

    >>> import numpy as np
    >>> from ember import keras
    >>> boxes = {"boxes": np.array([[[1, 1, 6, 5]]]), "labels": np.array([[0]])}
    >>> out = keras.visualization.draw_bounding_boxes(np.zeros((1, 8, 8, 3)), boxes, "xyxy", color=(255, 0, 0),
    ...                                               line_thickness=1)
    >>> out[0, 1, 1:7, 0].tolist()
    [255, 255, 255, 255, 255, 255]
    """
    from .utils.bounding_boxes import convert_format
    cv2 = _cv2("draw_bounding_boxes")
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    data_format = data_format or image_data_format()
    images = _numpy(images)
    if images.ndim != 4:
        raise ValueError(f"`images` must be batched 4D tensor. Received: images.shape={tuple(images.shape)}")
    if not isinstance(bounding_boxes, dict):
        raise TypeError(f"`bounding_boxes` should be a dict. Received: bounding_boxes={bounding_boxes} of type "
                        f"{type(bounding_boxes)}")
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError("`bounding_boxes` should be a dict containing 'boxes' and 'labels' keys. Received: "
                         f"bounding_boxes={bounding_boxes}")
    if data_format == "channels_first":
        # Drawn channels-last (OpenCV's layout) and returned in the layout given.
        images = images.transpose(0, 2, 3, 1)
    height, width = images.shape[1:3]
    boxes = _numpy(convert_format(_numpy(bounding_boxes["boxes"]), bounding_box_format, "xyxy", height, width))
    labels = _numpy(bounding_boxes["labels"])
    confidences = _numpy(bounding_boxes["confidences"]) if "confidences" in bounding_boxes else None
    if images.dtype.kind == "f" and images.size:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    images = np.ascontiguousarray(images.astype(np.uint8))
    for i in range(images.shape[0]):
        for j in range(boxes.shape[1]):
            label = int(np.asarray(labels[i][j]).astype(np.int32))
            if label == -1:
                continue
            x1, y1, x2, y2 = (int(v) for v in np.asarray(boxes[i][j]).astype(np.int32))
            cv2.rectangle(images[i], (x1, y1), (x2, y2), color, line_thickness)
            if label in class_mapping:
                text = class_mapping[label]
                if confidences is not None:
                    text = f"{text} | {confidences[i][j]:.2f}"
                cv2.putText(img=images[i], text=text, org=_label_origin(x1, y1, font_scale, text_thickness),
                            fontFace=cv2.FONT_HERSHEY_SIMPLEX, fontScale=font_scale, color=color,
                            thickness=text_thickness)
    return images.transpose(0, 3, 1, 2) if data_format == "channels_first" else images


def plot_bounding_box_gallery(images, bounding_box_format, y_true=None, y_pred=None, value_range=(0, 255),
                              true_color=(0, 188, 212), pred_color=(255, 235, 59), line_thickness=2,
                              font_scale=1.0, text_thickness=None, class_mapping=None, ground_truth_mapping=None,
                              prediction_mapping=None, legend=False, legend_handles=None, rows=None, cols=None,
                              data_format=None, **kwargs):
    """``plot_image_gallery`` of the images with ``y_true`` boxes drawn in ``true_color`` and then ``y_pred``
    boxes in ``pred_color`` (``draw_bounding_boxes``); ``legend=True`` adds "Ground Truth" / "Prediction"
    patches. ``class_mapping`` names the classes of both unless ``ground_truth_mapping`` /
    ``prediction_mapping`` are given."""
    _pyplot("plot_bounding_box_gallery")
    data_format = data_format or image_data_format()
    images = _numpy(images)
    if images.ndim != 4:
        raise ValueError(f"`images` must be batched 4D tensor. Received: images.shape={tuple(images.shape)}")
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    draw = functools.partial(draw_bounding_boxes, bounding_box_format=bounding_box_format,
                             line_thickness=line_thickness, text_thickness=text_thickness, font_scale=font_scale,
                             data_format="channels_last")
    if y_true is not None:
        images = draw(images, y_true, color=true_color, class_mapping=ground_truth_mapping or class_mapping)
    if y_pred is not None:
        images = draw(images, y_pred, color=pred_color, class_mapping=prediction_mapping or class_mapping)
    if legend:
        if legend_handles:
            raise ValueError("Only pass `legend` OR `legend_handles` to "
                             "`keras.visualization.plot_bounding_box_gallery()`.")
        from matplotlib import patches
        legend_handles = [patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
                          patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction")]
    return plot_image_gallery(images, value_range=value_range, legend_handles=legend_handles, rows=rows,
                              cols=cols, **kwargs)
