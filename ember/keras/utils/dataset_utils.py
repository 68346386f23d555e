"""Datasets for ``fit``: ``timeseries_dataset_from_array``, ``image/text/audio_dataset_from_directory``
and ``split_dataset``.

Keras returns ``tf.data`` datasets; ember returns a :class:`BatchDataset` (a ``keras.utils.PyDataset``
of ready batches, which ``fit``/``evaluate``/``predict`` accept and which can be iterated and indexed)
or, for ``split_dataset``, ``ember.data.Subset`` objects (as Keras's PyTorch backend returns
``torch.utils.data.Subset``). Files are indexed as Keras does: class folders in sorted order, the
files of each walked in sorted order, then shuffled with ``np.random.RandomState(seed)``, and
``validation_split`` takes the last ``int(split * n)`` files for ``subset='validation'``.
"""
import os
import wave

import numpy as np

from .py_dataset import PyDataset

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


class BatchDataset(PyDataset):
    """Batches made on demand from ``n`` samples: ``load(indices)`` returns one batch. It stands for Keras's
    tf.data dataset, whose order ``fit(shuffle=True)`` leaves alone."""
    _stands_for_tf_data = True

    def __init__(self, n, batch_size, load, class_names=None, file_paths=None):
        super().__init__()
        self._n, self.batch_size, self._load = n, batch_size, load
        self.class_names, self.file_paths = class_names, file_paths

    def __len__(self):
        if self.batch_size is None:
            return self._n
        return -(-self._n // self.batch_size)

    def __getitem__(self, index):
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range for a dataset of {len(self)} batches")
        if self.batch_size is None:
            return self._load(np.array([index]), unbatched=True)
        idx = np.arange(index * self.batch_size, min(self._n, (index + 1) * self.batch_size))
        return self._load(idx, unbatched=False)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    @property
    def cardinality(self):
        return len(self)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None,
                                  format="tf"):
    """Windows ``data[start + p + k * sampling_rate]`` (``k < sequence_length``) starting every
    ``sequence_stride`` steps, in batches of ``batch_size``; with ``targets``, window ``p``'s target is
    ``targets[start + p]``. ``shuffle`` permutes the windows (``RandomState(seed)``)."""
    n_data = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= n_data:
            raise ValueError(f"`start_index` must be lower than the length of the data. Received: "
                             f"start_index={start_index}, for data of length {n_data}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: start_index={start_index},"
                             f" and end_index={end_index} ")
        if end_index >= n_data:
            raise ValueError(f"`end_index` must be lower than the length of the data. Received: "
                             f"end_index={end_index}, for data of length {n_data}")
    for name, v in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if v <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={v}")
        if v >= n_data:
            raise ValueError(f"`{name}` must be lower than the length of the data. Received: {name}={v}, for "
                             f"data of length {n_data}")
    start = start_index or 0
    end = end_index if end_index is not None else n_data
    num_seqs = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    positions = np.arange(0, max(num_seqs, 0), sequence_stride)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(positions)
    data = np.asarray(data)
    tg = None if targets is None else np.asarray(targets)
    offsets = np.arange(sequence_length) * sampling_rate

    def load(idx, unbatched):
        p = positions[idx]
        x = data[start + p[:, None] + offsets[None, :]]
        y = None if tg is None else tg[start + p]
        if unbatched:
            x, y = x[0], (None if y is None else y[0])
        return x if y is None else (x, y)
    return BatchDataset(len(positions), batch_size, load)


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None, follow_links=False,
                    verbose=True):
    """``(file_paths, labels, class_names)`` as Keras's ``index_directory`` lists them."""
    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory)) if os.path.isdir(os.path.join(directory, d))]
        if class_names is not None:
            if not set(class_names).issubset(set(subdirs)):
                raise ValueError("The `class_names` passed did not match the names of the subdirectories of the "
                                 f"target directory. Expected: {subdirs} (or a subset of it), but received: "
                                 f"class_names={class_names}")
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            raise ValueError("When `labels=None` (no labels), argument `class_names` cannot be specified."
                             if labels is None else "When argument `labels` is specified, argument `class_names` "
                             "cannot be specified (the `class_names` will be the sorted list of labels).")
    names = subdirs
    filenames, file_labels = [], []
    for i, sub in enumerate(subdirs):
        base = os.path.join(directory, sub)
        walk = os.walk(base, followlinks=follow_links)
        for root, _, files in sorted(walk, key=lambda x: x[0]):
            for fname in sorted(files):
                if fname.lower().endswith(formats):
                    filenames.append(os.path.relpath(os.path.join(root, fname), directory))
                    file_labels.append(i)
    if labels == "inferred":
        out_labels = np.asarray(file_labels, np.int32)
    elif labels is None:
        out_labels, names = None, None
    else:
        if len(labels) != len(filenames):
            raise ValueError("Expected the lengths of `labels` to match the number of files in the target "
                             f"directory. len(labels) is {len(labels)} while we found {len(filenames)} files in "
                             f"directory {directory}.")
        out_labels = np.asarray(labels)
        names = [str(v) for v in sorted(set(labels))]
    if verbose:
        if out_labels is None:
            print(f"Found {len(filenames)} files.")
        else:
            print(f"Found {len(filenames)} files belonging to {len(names)} classes.")
    paths = [os.path.join(directory, f) for f in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(paths)
        if out_labels is not None:
            np.random.RandomState(seed).shuffle(out_labels)
    return paths, out_labels, names


def _split(paths, labels, validation_split, subset):
    if not validation_split:
        return paths, labels
    if not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    n_val = int(validation_split * len(paths))
    if subset == "training":
        print(f"Using {len(paths) - n_val} files for training.")
        return paths[:-n_val] if n_val else paths, (labels[:-n_val] if n_val else labels) if labels is not None \
            else None
    if subset == "validation":
        print(f"Using {n_val} files for validation.")
        return paths[-n_val:] if n_val else [], (labels[-n_val:] if n_val else labels[:0]) if labels is not None \
            else None
    raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')


def _check_split_args(validation_split, subset, shuffle, seed):
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and subset is None:
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset is not None and not validation_split:
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide a `seed` "
                         "argument, to make sure that there is no overlap between the training and validation "
                         "subset.")


def _labels_out(labels, label_mode, num_classes):
    if labels is None or label_mode is None:
        return None
    if label_mode == "int":
        return labels.astype(np.int32)
    if label_mode == "binary":
        return labels.astype(np.float32)[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype=np.float32)[labels]
    raise ValueError(f'`label_mode` argument must be one of "int", "categorical", "binary", or None. Received: '
                     f"label_mode={label_mode}")


def _from_directory(directory, labels, label_mode, class_names, batch_size, shuffle, seed, validation_split,
                    subset, follow_links, formats, verbose, read, stack):
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError("`labels` argument should be a list/tuple of integer labels, of the same size as the "
                         "number of files in the target directory. If you wish to infer the labels from the "
                         "subdirectory names in the target directory, pass `labels=\"inferred\"`. If you wish to "
                         f"get a dataset that only contains images (no labels), pass `labels=None`. Received: "
                         f"labels={labels}")
    if labels is None or label_mode is None:
        labels, label_mode = (None if labels is None else labels), None
    _check_split_args(validation_split, subset, shuffle, seed)
    if seed is None and shuffle:
        seed = np.random.randint(1e6)
    paths, labs, names = index_directory(directory, labels, formats, class_names, shuffle, seed, follow_links,
                                         verbose)
    if label_mode == "binary" and len(names) != 2:
        raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
                         f"class_names={names}")

    def make(p, lab):
        def load(idx, unbatched):
            items = [read(p[i]) for i in idx]
            x = stack(items)
            y = _labels_out(None if lab is None else lab[idx], label_mode, len(names or []))
            if unbatched:
                x, y = x[0], (None if y is None else y[0])
            return x if y is None else (x, y)
        return BatchDataset(len(p), batch_size, load, class_names=names, file_paths=list(p))
    if subset == "both":
        tp, tl = _split(paths, labs, validation_split, "training")
        vp, vl = _split(paths, labs, validation_split, "validation")
        return make(tp, tl), make(vp, vl)
    paths, labs = _split(paths, labs, validation_split, subset)
    return make(paths, labs)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, color_mode="rgb",
                                 batch_size=32, image_size=(256, 256), shuffle=True, seed=None, validation_split=None,
                                 subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 format="tf", verbose=True):
    """Batches ``(images, labels)`` of the images under ``directory`` (one folder per class): float32
    ``(batch, height, width, channels)`` resized to ``image_size`` with Pillow's ``interpolation``
    (``crop_to_aspect_ratio`` crops the largest centred box of the target aspect ratio first,
    ``pad_to_aspect_ratio`` pads with zeros instead). Needs Pillow (the ``vision`` extra)."""
    from .image_utils import _pil_image, img_to_array
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError(f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. Received: '
                         f"color_mode={color_mode}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be set to `True`.")
    Image = _pil_image()
    h, w = image_size
    mode = {"rgb": "RGB", "rgba": "RGBA", "grayscale": "L"}[color_mode]
    resample = _resample(Image, interpolation)

    def read(path):
        with Image.open(path) as img:
            img = img.convert(mode)
            iw, ih = img.size
            if crop_to_aspect_ratio:
                cw, ch = min(iw, int(ih * w / h)), min(ih, int(iw * h / w))
                left, top = (iw - cw) // 2, (ih - ch) // 2
                img = img.crop((left, top, left + cw, top + ch))
            elif pad_to_aspect_ratio:
                pw, ph = max(iw, int(round(ih * w / h))), max(ih, int(round(iw * h / w)))
                canvas = Image.new(mode, (pw, ph))
                canvas.paste(img, ((pw - iw) // 2, (ph - ih) // 2))
                img = canvas
            img = img.resize((w, h), resample)
            a = img_to_array(img)
        return a if data_format != "channels_first" else np.moveaxis(a, -1, 0)
    return _from_directory(directory, labels, label_mode, class_names, batch_size, shuffle, seed, validation_split,
                           subset, follow_links, IMAGE_FORMATS, verbose, read, np.stack)


def _resample(Image, interpolation):
    table = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC,
             "lanczos": Image.LANCZOS, "box": Image.BOX, "hamming": Image.HAMMING}
    if interpolation not in table:
        raise ValueError(f"Invalid interpolation {interpolation!r}; expected one of {sorted(table)}")
    return table[interpolation]


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """Batches ``(texts, labels)`` of the ``.txt`` files under ``directory``: ``texts`` a NumPy array of
    strings (each cut to ``max_length`` characters when given)."""
    def read(path):
        with open(path, encoding="utf-8") as f:
            s = f.read()
        return s[:max_length] if max_length is not None else s
    return _from_directory(directory, labels, label_mode, class_names, batch_size, shuffle, seed, validation_split,
                           subset, follow_links, (".txt",), verbose, read, lambda items: np.array(items, object))


def _read_wav(path):
    with wave.open(path, "rb") as f:
        n, ch, width, rate = f.getnframes(), f.getnchannels(), f.getsampwidth(), f.getframerate()
        raw = f.readframes(n)
    if width == 1:
        a = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128) / 128
    elif width == 2:
        a = np.frombuffer(raw, "<i2").astype(np.float32) / 32768
    elif width == 4:
        a = np.frombuffer(raw, "<i4").astype(np.float32) / 2147483648
    else:
        raise ValueError(f"{path}: {8 * width}-bit WAV files are not supported (8, 16 or 32-bit PCM)")
    return a.reshape(-1, ch), rate


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                 sampling_rate=None, output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None, follow_links=False, verbose=True):
    """Batches ``(audio, labels)`` of the ``.wav`` files (8/16/32-bit PCM, read with Python's ``wave``
    module instead of TensorFlow's decoder) under ``directory``: float32 in ``[-1, 1)`` shaped
    ``(batch, time, channels)``, cut or zero-padded to ``output_sequence_length`` (default: the longest
    in the batch). ``sampling_rate`` checks that every file has that rate (no resampling)."""
    if ragged:
        raise ValueError("ember's audio_dataset_from_directory does not make ragged tensors: use ragged=False "
                         "(batches are zero-padded)")

    def read(path):
        a, rate = _read_wav(path)
        if sampling_rate is not None and rate != sampling_rate:
            raise ValueError(f"{path} has a sampling rate of {rate} Hz; sampling_rate={sampling_rate} was asked "
                             "and ember does not resample audio")
        return a[:output_sequence_length] if output_sequence_length else a

    def stack(items):
        t = output_sequence_length or max(len(a) for a in items)
        out = np.zeros((len(items), t, items[0].shape[1]), np.float32)
        for i, a in enumerate(items):
            out[i, :len(a)] = a
        return out
    return _from_directory(directory, labels, label_mode, class_names, batch_size, shuffle, seed, validation_split,
                           subset, follow_links, (".wav",), verbose, read, stack)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None, preferred_backend=None):
    """Split an array, a tuple/list of arrays (samples along axis 0) or an ``ember.data.Dataset`` into two
    ``ember.data.Subset`` objects of ``left_size`` and ``right_size`` samples (ints) or fractions (floats);
    either may be None for the rest."""
    from ... import data as edata
    if right_size is None and left_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. Received: "
                         "left_size=None and right_size=None")
    if isinstance(dataset, edata.Dataset):
        ds = dataset
    elif isinstance(dataset, np.ndarray):
        ds = edata.TensorDataset(_tensor(dataset))
    elif isinstance(dataset, (list, tuple)):
        ds = edata.TensorDataset(*[_tensor(np.asarray(a)) for a in dataset])
    else:
        raise TypeError("The `dataset` argument must be an `ember.data.Dataset` object, or a list/tuple of arrays. "
                        f"Received: dataset={dataset} of type {type(dataset)}")
    total = len(ds)
    left, right = _rescale_sizes(left_size, right_size, total)
    order = np.arange(total)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(order)
    return edata.Subset(ds, order[:left].tolist()), edata.Subset(ds, order[total - right:].tolist())


def _tensor(a):
    from ...autograd.tensor import make
    return make(np.ascontiguousarray(a))


def _rescale_sizes(left, right, total):
    for name, v in (("left_size", left), ("right_size", right)):
        if v is not None and type(v) not in (int, float):
            raise TypeError(f"Invalid `{name}` type. Must be one of int, float or None. Received: {name}={v} of "
                            f"type {type(v)}")
        if (type(v) is int and (v <= 0 or v >= total)) or (type(v) is float and (v <= 0 or v >= 1)):
            raise ValueError(f"`{name}` should be either a positive integer smaller than {total}, or a float "
                             f"within the range `[0, 1]`. Received: {name}={v}")
    if type(left) is float and type(right) is float and left + right > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must be less than or equal "
                         "to 1.")
    left = round(left * total) if type(left) is float else left
    right = round(right * total) if type(right) is float else right
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the {total}. Received: "
                         f"left_size + right_size = {left + right}and total_length = {total}")
    for split, side in ((left, "left"), (right, "right")):
        if split == 0:
            raise ValueError(f"With `dataset` of length={total}, `left_size`={left} and `right_size`={right}."
                             f"Resulting {side} side dataset split will be empty. Adjust any of the aforementioned "
                             "parameters")
    return int(left), int(right)
