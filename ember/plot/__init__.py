"""Pictures of training, for people: learning curves, a confusion matrix, misclassified images and
first-layer filters, each written as a PNG file.

Needs matplotlib (``pip install "ember[plot]"``), imported only when a function runs, so
``import ember`` stays light. Figures are drawn off-screen (no display needed).

>>> import os, tempfile
>>> from ember import plot
>>> path = os.path.join(tempfile.mkdtemp(), "history.png")
>>> plot.plot_history({"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.7, 0.6]}, path) == path
True
"""
import math

import numpy as np

__all__ = ["plot_history", "plot_confusion_matrix", "plot_misclassified", "plot_filters", "confusion_matrix"]


def _figure(width, height):
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError('ember.plot needs matplotlib, which is not installed: pip install "ember[plot]"') from e
    return Figure(figsize=(width, height), dpi=100)


def _array(x):
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "numpy"):
        x = x.numpy()
    return np.asarray(x)


def _labels(y):
    y = _array(y)
    if y.ndim > 1 and y.shape[-1] > 1:
        return y.argmax(-1)
    return y.reshape(len(y)).astype(np.int64) if y.dtype.kind in "iub" else np.rint(y.reshape(len(y))).astype(
        np.int64)


def plot_history(history, path, metrics=None):
    """Training (and validation) curves per epoch, one panel per quantity.

    Args:
        history: a ``keras.callbacks.History`` (what ``fit`` returns) or a dict such as
            ``{'loss': [...], 'val_loss': [...], 'accuracy': [...]}``.
        path (str): the PNG file to write.
        metrics (list): the quantities to draw (default: every key without the ``val_`` prefix).
    Returns:
        ``path``.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(f"plot_history expects a History or a non-empty dict of lists, got {history!r}")
    names = metrics or [k for k in logs if not k.startswith("val_") and k != "learning_rate"] or list(logs)
    fig = _figure(4.2 * len(names), 3.4)
    for i, name in enumerate(names, 1):
        ax = fig.add_subplot(1, len(names), i)
        if name not in logs:
            raise KeyError(f"plot_history: no '{name}' in the history (it has {sorted(logs)})")
        epochs = np.arange(1, len(logs[name]) + 1)
        ax.plot(epochs, logs[name], "o-", label="training")
        if "val_" + name in logs:
            ax.plot(np.arange(1, len(logs["val_" + name]) + 1), logs["val_" + name], "s--", label="validation")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    return path


def confusion_matrix(y_true, y_pred, num_classes=None):
    """Counts ``m[t, p]`` of samples of true class ``t`` predicted as ``p`` (labels, one-hot or scores)."""
    t, p = _labels(y_true), _labels(y_pred)
    if len(t) != len(p):
        raise ValueError(f"confusion_matrix: {len(t)} true labels but {len(p)} predictions")
    n = num_classes or int(max(t.max(initial=0), p.max(initial=0))) + 1
    m = np.zeros((n, n), np.int64)
    np.add.at(m, (t, p), 1)
    return m


def plot_confusion_matrix(y_true, y_pred, path, class_names=None, normalize=False):
    """A confusion matrix (rows: true class, columns: predicted class) with the counts written in the cells.

    ``y_pred`` may be labels or per-class scores (their argmax is used). ``normalize=True`` shows each row
    as fractions of that class.
    """
    n = len(class_names) if class_names is not None else None
    m = confusion_matrix(y_true, y_pred, n)
    n = m.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    shown = m / np.maximum(m.sum(1, keepdims=True), 1) if normalize else m
    size = max(4.0, 0.5 * n + 2)
    fig = _figure(size, size)
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(shown, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xticklabels(names, rotation=45 if max(len(s) for s in names) > 2 else 0)
    ax.set_yticklabels(names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    accuracy = np.trace(m) / max(m.sum(), 1)
    ax.set_title(f"confusion matrix (accuracy {accuracy:.1%})")
    top = shown.max() if shown.size else 0
    for i in range(n):
        for j in range(n):
            text = f"{shown[i, j]:.2f}" if normalize else str(m[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if shown[i, j] > top / 2 else "black")
    fig.tight_layout()
    fig.savefig(path)
    return path


def _image_grid_layout(count):
    cols = int(math.ceil(math.sqrt(count)))
    return cols, int(math.ceil(count / cols))


def _as_hwc(img):
    img = np.asarray(img, np.float64)
    if img.ndim == 3 and img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3):
        img = img.transpose(1, 2, 0)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    return _normalized(img)


def _normalized(img):
    lo, hi = img.min(), img.max()
    return (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)


def plot_misclassified(images, y_true, y_pred, path, max_images=25, class_names=None):
    """A grid of the images whose prediction is wrong, each titled ``pred P / true T``.

    ``images``: ``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)``; ``y_pred`` labels or scores.
    Returns ``path`` (a picture saying that nothing was misclassified when everything is right).
    """
    images = _array(images)
    t, p = _labels(y_true), _labels(y_pred)
    if not len(images) == len(t) == len(p):
        raise ValueError(f"plot_misclassified: {len(images)} images, {len(t)} labels and {len(p)} predictions")
    wrong = np.flatnonzero(t != p)[:max_images]

    def name(c):
        return str(class_names[c]) if class_names is not None else str(c)
    if len(wrong) == 0:
        fig = _figure(3, 1.5)
        fig.text(0.5, 0.5, "no misclassified images", ha="center", va="center")
        fig.savefig(path)
        return path
    cols, rows = _image_grid_layout(len(wrong))
    fig = _figure(1.6 * cols, 1.8 * rows)
    for k, i in enumerate(wrong, 1):
        ax = fig.add_subplot(rows, cols, k)
        img = _as_hwc(images[i])
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        ax.set_title(f"pred {name(p[i])} / true {name(t[i])}", fontsize=7, color="firebrick")
        ax.axis("off")
    fig.suptitle(f"{int((t != p).sum())} misclassified of {len(t)}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_filters(weight, path, max_filters=64):
    """The learned filters of a convolution, one tile each.

    ``weight``: a convolution weight in PyTorch's layout ``(out, in, kh, kw)`` (``nn.Conv2d.weight``; for a
    Keras ``Conv2D`` kernel ``(kh, kw, in, out)`` pass ``kernel.transpose(3, 2, 0, 1)``). Filters with 3 input
    channels are drawn in colour, others show their first input channel.
    """
    w = _array(weight).astype(np.float64)
    if w.ndim != 4:
        raise ValueError(f"plot_filters expects a 4-D convolution weight (out, in, kh, kw), got shape {w.shape}")
    w = w[:max_filters]
    cols, rows = _image_grid_layout(len(w))
    fig = _figure(1.1 * cols + 0.5, 1.1 * rows + 0.5)
    for k, f in enumerate(w, 1):
        ax = fig.add_subplot(rows, cols, k)
        tile = _normalized(f.transpose(1, 2, 0) if f.shape[0] == 3 else f[0])
        ax.imshow(tile, cmap="viridis" if tile.ndim == 2 else None, interpolation="nearest")
        ax.axis("off")
    fig.suptitle(f"{len(w)} filters, {w.shape[2]}x{w.shape[3]}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    return path
