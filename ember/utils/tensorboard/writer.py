"""``SummaryWriter``: PyTorch's TensorBoard logger, writing event files without TensorFlow or Pillow.

Scalars, histograms, images (PNG-encoded with zlib), text and hyperparameters go to
``log_dir`` in the format of :mod:`ember.io.event_file`, which the ``tensorboard`` viewer (and its
``EventAccumulator``) reads. ``add_graph`` is accepted and writes nothing: ember has no traced
graph to show.

>>> import tempfile
>>> from ember.utils.tensorboard import SummaryWriter
>>> with SummaryWriter(tempfile.mkdtemp()) as w:
...     w.add_scalar("loss", 0.25, global_step=3)
"""
import os
import socket
import time
from datetime import datetime

import numpy as np

from ...io import event_file as ef


def _numpy(x):
    """A NumPy array of a tensor (ember or torch), array or number."""
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    return np.asarray(x)


def _scalar(x):
    a = _numpy(x)
    if a.size != 1:
        raise ValueError(f"SummaryWriter: a scalar value must have one element, got shape {tuple(a.shape)}")
    return float(a.reshape(()))


def _to_uint8(a):
    """Image values as uint8: uint8 as they are, floats taken as [0, 1] and scaled by 255 (as PyTorch)."""
    if a.dtype == np.uint8:
        return a
    return np.clip(a.astype(np.float32) * 255.0, 0, 255).astype(np.uint8)


def _to_hwc(a, dataformats):
    """One image in HWC order from ``dataformats`` ``"CHW"``, ``"HWC"``, ``"HW"`` (and their ``N`` forms
    through :func:`_grid`)."""
    fmt = dataformats.upper()
    if len(fmt) != a.ndim or sorted(fmt) != sorted(set(fmt)) or not set(fmt) <= set("NCHW"):
        raise ValueError(f"SummaryWriter: dataformats {dataformats!r} does not fit an image of shape "
                         f"{tuple(a.shape)}")
    if "N" in fmt:
        return _grid(np.transpose(a, [fmt.index(c) for c in "NCHW" if c in fmt]) if "C" in fmt
                     else np.transpose(a, [fmt.index(c) for c in "NHW"])[:, None])
    if "C" not in fmt:
        return np.transpose(a, [fmt.index("H"), fmt.index("W")])[:, :, None]
    return np.transpose(a, [fmt.index(c) for c in "HWC"])


def _grid(batch, ncols=8):
    """Images ``(N, C, H, W)`` side by side, ``min(N, 8)`` per row, as one HWC image."""
    n, c, h, w = batch.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((nrows * h, ncols * w, c), batch.dtype)
    for i in range(n):
        r, k = divmod(i, ncols)
        canvas[r * h:(r + 1) * h, k * w:(k + 1) * w] = np.transpose(batch[i], (1, 2, 0))
    return canvas


def _default_log_dir(comment):
    stamp = datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")


class SummaryWriter:
    """Writes TensorBoard event files into ``log_dir``.

    Args:
        log_dir (str, optional): default ``runs/<Mon><DD>_<HH>-<MM>-<SS>_<hostname><comment>``.
        comment (str): suffix of the default ``log_dir``.
        purge_step (int, optional): TensorBoard drops the events this directory already holds at this step
            and later (a run resumed after a crash), by a ``SessionLog.START`` at ``purge_step``.
        max_queue (int): accepted; events are written as they come.
        flush_secs (float): flush to disk at least this often. Default: 120.
        filename_suffix (str): ends the event file's name.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        self.log_dir = os.fspath(log_dir) if log_dir else _default_log_dir(comment)
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self._writer = None
        self._sub_writers = {}
        self._last_flush = time.time()
        self._get_file_writer()

    def _get_file_writer(self):
        if self._writer is None:
            self._writer = ef.EventFileWriter(self.log_dir, self.filename_suffix)
            if self.purge_step is not None:
                self._writer.add_session_start(self.purge_step)
                self.purge_step = None
        return self._writer

    def get_logdir(self):
        return self.log_dir

    def _summary(self, summary, global_step, walltime, writer=None):
        (writer or self._get_file_writer()).add_summary(summary, global_step, walltime)
        if time.time() - self._last_flush >= self.flush_secs:
            self.flush()

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """One number (a Python number or a one-element tensor) under ``tag`` at ``global_step``."""
        self._summary(ef.encode_scalar_summary(tag, _scalar(scalar_value)), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several scalars on one chart: each key is written to its own run ``log_dir/<main_tag>_<key>``
        under the tag ``main_tag``, as PyTorch does."""
        walltime = time.time() if walltime is None else walltime
        for tag, value in tag_scalar_dict.items():
            path = os.path.join(self.log_dir, f"{main_tag}_{tag}".replace("/", "_"))
            writer = self._sub_writers.get(path)
            if writer is None:
                writer = self._sub_writers[path] = ef.EventFileWriter(path, self.filename_suffix)
            self._summary(ef.encode_scalar_summary(main_tag, _scalar(value)), global_step, walltime, writer)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """The distribution of ``values``; ``bins`` as NumPy's, or ``"tensorflow"`` (the default)."""
        a = _numpy(values).astype(np.float64)
        if a.size and not np.isfinite(a).all():
            raise ValueError(f"SummaryWriter.add_histogram({tag!r}): the values hold NaN or infinity")
        self._summary(ef.encode_histogram_summary(tag, a, bins, max_bins), global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image: float values in [0, 1] or uint8 in [0, 255], laid out as ``dataformats``
        (``"CHW"`` default, ``"HWC"``, ``"HW"``) with 1, 3 or 4 channels."""
        hwc = _to_hwc(_numpy(img_tensor), dataformats)
        if hwc.shape[2] not in (1, 3, 4):
            raise ValueError(f"SummaryWriter.add_image({tag!r}): expected 1, 3 or 4 channels, got {hwc.shape[2]} "
                             f"(dataformats={dataformats!r}, shape {tuple(np.shape(img_tensor))})")
        self._summary(ef.encode_image_summary(tag, _to_uint8(hwc)), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of images shown as one grid, ``min(N, 8)`` per row."""
        a = _numpy(img_tensor)
        if "N" not in dataformats.upper():
            raise ValueError(f"SummaryWriter.add_images({tag!r}): dataformats must include N, got {dataformats!r}")
        self.add_image(tag, a, global_step, walltime, dataformats)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them, as a grid) rendered to an image; needs matplotlib."""
        figures = figure if isinstance(figure, (list, tuple)) else [figure]
        images = []
        for fig in figures:
            fig.canvas.draw()
            images.append(np.asarray(fig.canvas.buffer_rgba())[:, :, :3].transpose(2, 0, 1))
            if close:
                import matplotlib.pyplot as plt
                plt.close(fig)
        if isinstance(figure, (list, tuple)):
            self.add_images(tag, np.stack(images), global_step, walltime, "NCHW")
        else:
            self.add_image(tag, images[0], global_step, walltime, "CHW")

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """A (Markdown) string, shown by TensorBoard's text tab under ``<tag>/text_summary``."""
        self._summary(ef.encode_text_summary(tag + "/text_summary", text_string), global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """One trial for TensorBoard's HParams tab: the hyperparameters (numbers, strings, bools or one-element
        tensors) and the metrics it reached, written to the run ``log_dir/<run_name>`` (default: the time)."""
        from .hparams import hparams_summaries
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        summaries = hparams_summaries(hparam_dict, metric_dict, hparam_domain_discrete)
        run_dir = os.path.join(self.log_dir, run_name or str(time.time()))
        with SummaryWriter(run_dir, filename_suffix=self.filename_suffix) as run:
            for summary in summaries:
                run._summary(summary, global_step, None)
            for name, value in metric_dict.items():
                run.add_scalar(name, value, global_step)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Accepted and ignored: ember does not trace models into a graph TensorBoard can draw."""

    def add_custom_scalars(self, layout):
        """Accepted and ignored (the custom-scalars layout is a TensorBoard plugin ember does not write)."""

    def flush(self):
        """Write buffered events to disk."""
        for w in [self._writer, *self._sub_writers.values()]:
            if w is not None:
                w.flush()
        self._last_flush = time.time()

    def close(self):
        """Flush and close the event files; a later ``add_*`` opens a new file in the same ``log_dir``."""
        for w in [self._writer, *self._sub_writers.values()]:
            if w is not None:
                w.close()
        self._writer = None
        self._sub_writers = {}

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()
