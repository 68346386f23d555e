"""``model.summary()``: Keras 3's table, drawn with the same box characters and column widths.

Keras renders the table with ``rich``: total width ``line_length`` (default
``min(88, terminal columns - 4)``; 108 for a model with branches, which gets a
"Connected to" column), column widths from ``positions``, shrunk the way rich shrinks
fixed-width columns to fit. Parameter counts and memory sizes (weights' bytes) follow.

>>> from ember import keras
>>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2, name="out")], name="tiny")
>>> model.summary(line_length=60)
Model: "tiny"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
┃ Layer (type)             ┃ Output Shape      ┃   Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
│ out (Dense)              │ (None, 2)         │        10 │
└──────────────────────────┴───────────────────┴───────────┘
 Total params: 10 (40.00 B)
 Trainable params: 10 (40.00 B)
 Non-trainable params: 0 (0.00 B)
"""
import math
import shutil
import sys
import textwrap

import numpy as np



def count_params(weights):
    return int(sum(math.prod(w.shape) for w in weights))


def weight_memory_size(weights):
    seen, total = set(), 0
    for w in weights:
        if id(w) in seen:
            continue
        seen.add(id(w))
        total += math.prod(w.shape) * np.dtype(w._data.dtype).itemsize
    return total


def readable_memory_size(size):
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _ratio_reduce(total, ratios, maximums, values):
    ratios = [r if m else 0 for r, m in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return list(values)
    remaining, out = total, []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            d = min(maximum, round(ratio * remaining / total_ratio))
            out.append(value - d)
            remaining -= d
            total_ratio -= ratio
        else:
            out.append(value)
    return out


def column_widths(line_length, positions):
    """Cell widths (content + 2 padding) as rich lays out Keras's fixed-width columns in ``line_length``."""
    widths, current = [], 0
    for pos in positions:
        w = int(pos * line_length) - current
        if w < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(w + 2)
        current += w
    available = line_length - (len(widths) + 1)
    if sum(widths) > available:
        widths = _ratio_reduce(sum(widths) - available, [1] * len(widths), widths, widths)
    return widths


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_format_shape(s) for s in shape) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _layer_shape(model, layer):
    from ..layers.input_layer import InputLayer
    if isinstance(layer, InputLayer):
        return _format_shape(layer.batch_shape)
    nodes = getattr(model, "_nodes", None)
    if nodes is not None:
        outs = [n.outputs for n in nodes if n.operation is layer]
        if outs:
            shapes = [t.shape for t in outs[-1]]
            return _format_shape(shapes[0] if len(shapes) == 1 else shapes)
    from ..models import Functional, Sequential
    if not isinstance(model, (Functional, Sequential)):
        # A subclassed model's layers, as Keras: compute_output_shape of the shape the layer was built on (the
        # first call's, batch size included), '?' for a layer class that does not define compute_output_shape.
        build_shape = getattr(layer, "_build_input_shape", None)
        if build_shape is None or not _defines_output_shape(layer):
            return "?"
        try:
            return _format_shape(layer.compute_output_shape(build_shape))
        except Exception:   # noqa: BLE001 -- Keras shows '?' when the shape cannot be computed
            return "?"
    shape = getattr(layer, "_output_shape", None)
    return _format_shape(shape)


def _defines_output_shape(layer):
    """Whether ``layer``'s class has a compute_output_shape of its own (ember's and Keras's layers do; a user's
    Layer subclass only if it writes one)."""
    from ..layers.layer import Layer
    for cls in type(layer).__mro__:
        if "compute_output_shape" in cls.__dict__:
            return cls is not Layer or type(layer).__module__.startswith("ember.")
    return False


def _console_width():
    """The width rich (Keras's renderer) prints at: a terminal's on stdin, stdout or stderr, then $COLUMNS, else
    80; lines of a wider table are cut there."""
    import os
    width = None
    for fd in (0, 1, 2):
        try:
            width = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
    return width or 80


def _params(layer):
    if not hasattr(layer, "built"):
        return f"{count_params(list(layer.parameters()) + list(layer.buffers())):,}"
    if not layer.built:
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _connections(model, layer):
    nodes = [n for n in model._nodes if n.operation is layer]
    parts = []
    for n in nodes:
        for t in n.input_tensors:
            h = t._keras_history
            layer_nodes = [m for m in model._nodes if m.operation is h.operation]
            node = h.operation._inbound_nodes[h.node_index]
            idx = layer_nodes.index(node) if node in layer_nodes else h.node_index
            parts.append(f"{h.operation.name}[{idx}][{h.tensor_index}]")
    return ", ".join(parts) if parts else "-"


def _is_sequential_like(model):
    nodes = getattr(model, "_nodes", None)
    if nodes is None:
        return True
    for n in nodes:
        if len(n.input_tensors) > 1:
            return False
    consumers = {}
    for n in nodes:
        for t in n.input_tensors:
            consumers[id(t)] = consumers.get(id(t), 0) + 1
    return all(c <= 1 for c in consumers.values()) and len(model.inputs) == 1 and len(model.outputs) == 1


def _cell(text, width, align):
    inner = width - 2
    # rich (Keras's renderer) wraps at spaces and cuts a word longer than the cell to its width with an
    # ellipsis (the column's default overflow), e.g. "dense_features[0…" in a 17-wide "Connected to" cell.
    lines = textwrap.wrap(text, inner, break_long_words=False, break_on_hyphens=False) or [""]
    lines = [line if len(line) <= inner else line[:inner - 1] + "…" for line in lines]
    return [(" " + _align(line, inner, align) + " ") for line in lines]


def _align(text, width, align):
    if align == "right":
        return text.rjust(width)
    if align == "center":   # rich's: the odd space goes to the right
        left = (width - len(text)) // 2
        return " " * left + text + " " * (width - len(text) - left)
    return text.ljust(width)


def _row(cells, widths, aligns, vertical):
    columns = [_cell(c, w, a) for c, w, a in zip(cells, widths, aligns)]
    height = max(len(c) for c in columns)
    lines = []
    for i in range(height):
        parts = [col[i] if i < len(col) else " " * w for col, w in zip(columns, widths)]
        lines.append(vertical + vertical.join(parts) + vertical)
    return lines


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    from ..models import Functional
    # as Keras: a functional model lists its operations (keras.ops on symbolic tensors) among its layers
    layers = [op for op in model._layer_order] if isinstance(model, Functional) else model.layers
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        default_length, positions = 88, positions or [0.45, 0.80, 1.0]
        header, aligns = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    else:
        default_length, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header, aligns = ["Layer (type)", "Output Shape", "Param #", "Connected to"], ["left", "left", "right",
                                                                                       "left"]
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        aligns.append("center")
    if line_length is None:
        line_length = min(default_length, shutil.get_terminal_size().columns - 4)
    widths = column_widths(line_length, positions)

    rows = []

    def add(layer, prefix=""):
        name = getattr(layer, "name", type(layer).__name__.lower())
        fields = [f"{prefix}{name} ({type(layer).__name__})", _layer_shape(model, layer), _params(layer)]
        if not sequential_like:
            fields.append(_connections(model, layer))
        if show_trainable:
            has = bool(getattr(layer, "weights", None))
            fields.append(("Y" if getattr(layer, "trainable", True) else "N") if has else "-")
        rows.append(fields)
        if expand_nested and getattr(layer, "layers", None):
            for sub in layer.layers:
                add(sub, prefix + "   " + "└ ")
    start, stop = 0, len(layers)
    if layer_range is not None:
        import re
        names = [getattr(layer, "name", "") for layer in layers]
        lo = [i for i, n in enumerate(names) if re.match(layer_range[0], n)]
        hi = [i for i, n in enumerate(names) if re.match(layer_range[1], n)]
        if not lo or not hi:
            raise ValueError(f"Passed layer_names do not match the layer names in the model. Received: {layer_range}")
        start, stop = min(lo), max(hi) + 1
    for layer in layers[start:stop]:
        add(layer)

    def rule(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right
    out = [f'Model: "{model.name}"', rule("┏", "━", "┳", "┓")]
    out += _row(header, widths, aligns, "┃")
    out.append(rule("┡", "━", "╇", "┩"))
    for i, r in enumerate(rows):
        if i:
            out.append(rule("├", "─", "┼", "┤"))
        out += _row(r, widths, aligns, "│")
    out.append(rule("└", "─", "┴", "┘"))
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    t_count, n_count = count_params(trainable), count_params(non_trainable)
    t_mem, n_mem = weight_memory_size(trainable), weight_memory_size(non_trainable)
    opt = getattr(model, "optimizer", None)
    o_count = o_mem = 0
    opt_built = getattr(model, "compiled", False) and opt is not None and getattr(opt, "built", False)
    if opt_built:
        variables = opt.variables
        o_count = count_params(variables)
        o_mem = weight_memory_size(variables)
    total = t_count + n_count + o_count
    out.append(f" Total params: {total:,} ({readable_memory_size(t_mem + n_mem + o_mem)})")
    out.append(f" Trainable params: {t_count:,} ({readable_memory_size(t_mem)})")
    out.append(f" Non-trainable params: {n_count:,} ({readable_memory_size(n_mem)})")
    if opt_built:
        out.append(f" Optimizer params: {o_count:,} ({readable_memory_size(o_mem)})")
    width = _console_width()
    out = [line[:width] for line in out]
    # Keras captures rich's whole rendering and hands print_fn that one string (ending in a newline)
    if print_fn is None:
        sys.stdout.write("\n".join(out) + "\n")
    else:
        print_fn("\n".join(out) + "\n")

