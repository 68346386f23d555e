"""ONNX converters for what ``ember.keras`` computes outside ember's functional ops: its channels-last
pooling kernels and its recurrent layers (``LSTM``, ``GRU``, ``SimpleRNN`` as ONNX's recurrent ops).

This package sits below ``ember.keras``, so nothing here imports it: the pooling converters are
``OPS`` entries named ``keras.<op>`` (the tracer names Keras's ops so when ``ember.keras`` is
loaded), and the layer converter is registered by class path in ``MODULES_BY_NAME``.

Keras packs LSTM gates ``i, f, c, o`` (ONNX: ``i, o, f, c``) and GRU gates ``z, r, h`` (ONNX's
order); ``reset_after=True`` (Keras's default) is ONNX's ``linear_before_reset=1``. Kernels are
``(features, k * units)``, so ONNX's ``W`` is the kernel transposed.
"""
import numpy as np

from ._export_ops import OPS, emit, operand

MODULES_BY_NAME = {}


def _same_pads(sizes, kernel, strides):
    """TensorFlow's 'same' padding: begin/end pads per spatial axis."""
    begins, ends = [], []
    for n, k, s in zip(sizes, kernel, strides):
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        begins.append(total // 2)
        ends.append(total - total // 2)
    return begins + ends


def _pair(v, n=2):
    return [int(x) for x in v] if isinstance(v, (tuple, list)) else [int(v)] * n


def _keras_pool(onnx_op):
    def convert(t, out, x, pool_size, strides=None, padding="valid"):
        dt = out._data.dtype
        g = t.g
        k = _pair(pool_size)
        s = _pair(strides if strides is not None else pool_size)
        pads = _same_pads(x._data.shape[1:3], k, s) if padding == "same" else [0] * 4
        v = g.node("Transpose", [t.name(x)], perm=[0, 3, 1, 2], dtype=dt)
        attrs = dict(kernel_shape=k, strides=s, pads=pads)
        if onnx_op == "AveragePool":
            attrs["count_include_pad"] = 0
        v = g.node(onnx_op, [v], dtype=dt, **attrs)
        emit(t, out, "Transpose", [v], perm=[0, 2, 3, 1])
    return convert


OPS["keras.max_pool2d"] = _keras_pool("MaxPool")
OPS["keras.avg_pool2d"] = _keras_pool("AveragePool")

def _const_kernel(kernel, what):
    from ..autograd.tensor import Tensor
    if isinstance(kernel, Tensor):
        return np.asarray(kernel._data).view(np.ndarray)
    return np.asarray(kernel)


def _to_first(t, v, nd, dt):
    return t.g.node("Transpose", [v], perm=[0, nd + 1] + list(range(1, nd + 1)), dtype=dt)


def _to_last(t, v, nd, dt):
    return t.g.node("Transpose", [v], perm=[0] + list(range(2, nd + 2)) + [1], dtype=dt)


def _tf_pads(sizes, kernel, strides, dilations, padding):
    """Explicit begin/end pads of TensorFlow's 'valid' / 'same' / 'causal' (1-D) padding."""
    nd = len(sizes)
    eff = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    if padding == "valid":
        return [0] * (2 * nd)
    if padding == "causal":
        return [e - 1 for e in eff] + [0] * nd
    if padding != "same":
        raise NotImplementedError(f"with padding={padding!r}")
    return _same_pads(sizes, eff, strides)


def _keras_conv_nd(t, out, x, kernel, bias, strides, padding, dilation_rate, channels_last, groups=None, W=None):
    dt = out._data.dtype
    g = t.g
    nd = x._data.ndim - 2
    K = _const_kernel(kernel, "kernel")
    ks = list(K.shape[:nd])
    strides, dil = _pair(strides, nd), _pair(dilation_rate, nd)
    sizes = x._data.shape[1:-1] if channels_last else x._data.shape[2:]
    cin = x._data.shape[-1] if channels_last else x._data.shape[1]
    if W is None:
        W = np.transpose(K, [nd + 1, nd] + list(range(nd)))          # (out, in/groups, *k)
        groups = cin // K.shape[nd]
    v = t.name(x)
    if channels_last:
        v = _to_first(t, v, nd, dt)
    ins = [v, g.const(W.astype(dt))]
    if bias is not None:
        ins.append(operand(t, bias, dt))
    y = g.node("Conv", ins, kernel_shape=ks, strides=strides, dilations=dil, group=int(groups),
               pads=_tf_pads(sizes, ks, strides, dil, padding), dtype=dt)
    emit(t, out, "Transpose", [y], perm=[0] + list(range(2, nd + 2)) + [1]) if channels_last else t.set(out, y)


def _keras_conv2d(t, out, x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    _keras_conv_nd(t, out, x, kernel, bias, strides, padding, dilation_rate, True)


def _keras_conv(t, out, inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    _keras_conv_nd(t, out, inputs, kernel, None, strides, padding, dilation_rate, data_format != "channels_first")


def _keras_depthwise_conv2d(t, out, x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    K = _const_kernel(kernel, "kernel")
    kh, kw, C, M = K.shape
    # Output channel c * M + m (TensorFlow's order) is ONNX group c's m-th filter.
    W = np.transpose(K, (2, 3, 0, 1)).reshape(C * M, 1, kh, kw)
    _keras_conv_nd(t, out, x, kernel, bias, strides, padding, dilation_rate, True, groups=C, W=W)


def _deconv(t, out, x, K, bias, strides, dil, begin, end, nd, channels_last):
    """ConvTranspose with kernel ``(*k, out, in)`` cropping ``begin``/``end`` of the full output
    (a negative end grows the output: ONNX's output_padding)."""
    dt = out._data.dtype
    g = t.g
    ks = list(K.shape[:nd])
    if any(b < 0 for b in begin):
        raise NotImplementedError("with this padding/output_padding (the output starts before the full one)")
    opad = [max(-e, 0) for e in end]
    end = [max(e, 0) for e in end]
    W = np.transpose(K, [nd + 1, nd] + list(range(nd)))              # (in, out, *k)
    v = t.name(x)
    if channels_last:
        v = _to_first(t, v, nd, dt)
    ins = [v, g.const(W.astype(dt))]
    if bias is not None:
        ins.append(operand(t, bias, dt))
    y = g.node("ConvTranspose", ins, kernel_shape=ks, strides=strides, dilations=dil, pads=list(begin) + end,
               output_padding=opad, dtype=dt)
    emit(t, out, "Transpose", [y], perm=[0] + list(range(2, nd + 2)) + [1]) if channels_last else t.set(out, y)


def _keras_conv2d_transpose(t, out, x, kernel, bias=None, strides=1, padding="valid", output_padding=None,
                            dilation_rate=1):
    K = _const_kernel(kernel, "kernel")
    nd = x._data.ndim - 2
    strides, dil = _pair(strides, nd), _pair(dilation_rate, nd)
    ks = K.shape[:nd]
    sizes = x._data.shape[1:-1]
    lengths = out._data.shape[1:-1]
    begin, end = [], []
    for n, k, s, d, L_ in zip(sizes, ks, strides, dil, lengths):
        full = (n - 1) * s + (k - 1) * d + 1
        if padding == "same":
            b = ((k - 1) * d + 1) // 2 if output_padding is not None else max(full - L_, 0) // 2
        else:
            b = 0
        begin.append(b)
        end.append(full - b - L_)
    _deconv(t, out, x, K, bias, strides, dil, begin, end, nd, True)


def _keras_nd_conv(t, out, x, kernel, bias=None, strides=1, padding="valid", dilation=1, groups=1):
    K = _const_kernel(kernel, "kernel")
    nd = x._data.ndim - 2
    W = np.transpose(K, [nd + 1, nd] + list(range(nd)))
    _keras_conv_nd(t, out, x, kernel, bias, strides, padding, dilation, True, groups=groups, W=W)


def _keras_nd_conv_transpose(t, out, x, kernel, bias=None, strides=1, padding="valid", output_padding=None,
                             dilation=1):
    _keras_conv2d_transpose(t, out, x, kernel, bias, strides, padding, output_padding, dilation)


def _keras_conv_transpose(t, out, inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                          dilation_rate=1):
    K = _const_kernel(kernel, "kernel")
    nd = inputs._data.ndim - 2
    strides, dil = _pair(strides, nd), _pair(dilation_rate, nd)
    begin, end = [], []
    for ax in range(nd):
        k, s, d = K.shape[ax], strides[ax], dil[ax]
        o = output_padding if output_padding is None or isinstance(output_padding, int) else output_padding[ax]
        eff = (k - 1) * d + 1
        if padding == "valid":
            op_ = max(eff, s) - eff if o is None else o
            left, right = eff - 1, eff - 1 + op_
        else:
            pad_len = s + eff - 2 if o is None else eff + eff % 2 - 2 + o
            left = min(pad_len // 2 + pad_len % 2, eff - 1)
            right = pad_len - left
        begin.append(eff - 1 - left)
        end.append(eff - 1 - right)
    _deconv(t, out, inputs, K, None, strides, dil, begin, end, nd, data_format != "channels_first")


OPS["keras.conv2d"] = _keras_conv2d
OPS["keras.nd.conv"] = _keras_nd_conv
OPS["keras.nd.conv_transpose"] = _keras_nd_conv_transpose
OPS["keras.conv"] = _keras_conv
OPS["keras.depthwise_conv2d"] = _keras_depthwise_conv2d
OPS["keras.conv2d_transpose"] = _keras_conv2d_transpose
OPS["keras.conv_transpose"] = _keras_conv_transpose

_ACT = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu"}
# cell class -> (ONNX op, number of gates, Keras -> ONNX gate order)
_CELLS = {"LSTMCell": ("LSTM", 4, [0, 3, 1, 2]), "GRUCell": ("GRU", 3, [0, 1, 2]),
          "SimpleRNNCell": ("RNN", 1, [0])}


def _act(fn, where):
    name = getattr(fn, "__name__", None)
    if name not in _ACT:
        raise NotImplementedError(f"{where}: activation {name!r} has no ONNX recurrent form (tanh, sigmoid, relu)")
    return _ACT[name]


def _blocks(a, order, n):
    parts = np.split(np.asarray(a), n, axis=0)
    return np.concatenate([parts[i] for i in order], axis=0)


def _keras_rnn(t, layer, out, inputs, initial_state=None, mask=None, training=None, **kwargs):
    cell = layer.cell
    kind = type(cell).__name__
    if kind not in _CELLS:
        raise NotImplementedError(f"a Keras RNN over a {kind} cell is not supported (LSTM, GRU, SimpleRNN cells)")
    if mask is not None or getattr(inputs, "_keras_mask", None) is not None:
        raise NotImplementedError("a masked Keras RNN is not supported")
    if layer.stateful:
        raise NotImplementedError("a stateful Keras RNN is not supported")
    onnx_op, k, order = _CELLS[kind]
    g = t.g
    dt = inputs._data.dtype
    u = cell.units
    K = cell.kernel._data.T
    U = cell.recurrent_kernel._data.T
    lbr = None
    Wb = np.zeros(k * u, dt)
    Rb = np.zeros(k * u, dt)
    if getattr(cell, "use_bias", True) and getattr(cell, "bias", None) is not None:
        b = cell.bias._data
        if b.ndim == 2:
            Wb, Rb = b[0], b[1]
        else:
            Wb = b
    if kind == "GRUCell":
        lbr = 1 if cell.reset_after else 0
    name = t.module_names.get(id(layer)) or layer.name
    W = g.initializer(_blocks(K, order, k)[None].astype(dt), f"{name}.W")
    R = g.initializer(_blocks(U, order, k)[None].astype(dt), f"{name}.R")
    B = g.initializer(np.concatenate([_blocks(Wb, order, k), _blocks(Rb, order, k)])[None].astype(dt), f"{name}.B")
    where = t.where()
    if kind == "LSTMCell":
        acts = [_act(cell.recurrent_activation, where), _act(cell.activation, where), _act(cell.activation, where)]
    elif kind == "GRUCell":
        acts = [_act(cell.recurrent_activation, where), _act(cell.activation, where)]
    else:
        acts = [_act(cell.activation, where)]
    x = g.node("Transpose", [t.name(inputs)], perm=[1, 0, 2], dtype=dt)
    ins = [x, W, R, B, ""]
    states = list(initial_state) if isinstance(initial_state, (list, tuple)) else \
        ([initial_state] if initial_state is not None else [])
    if states:
        ins.append(g.unsqueeze(operand(t, states[0], dt), [0], dtype=dt))
        if kind == "LSTMCell":
            ins.append(g.unsqueeze(operand(t, states[1], dt), [0], dtype=dt))
    n_out = 3 if kind == "LSTMCell" else 2
    outs = g.node(onnx_op, ins, n_out=n_out, hidden_size=int(u), activations=acts,
                  direction="reverse" if layer.go_backwards else "forward", linear_before_reset=lbr)
    for o in outs:
        g.dtypes[o] = np.dtype(dt)
    y = g.squeeze(outs[0], [1], dtype=dt)                  # (T, N, u)
    if layer.go_backwards:
        # Keras lists the outputs in processing order (last time step first).
        y = g.slice(y, [-1], [np.iinfo(np.int64).min], [0], [-1])
    y = g.node("Transpose", [y], perm=[1, 0, 2], dtype=dt)
    finals = [g.squeeze(o, [0], dtype=dt) for o in outs[1:]]
    results = out if isinstance(out, (list, tuple)) else [out]
    t.set(results[0], y if layer.return_sequences else finals[0])
    for r, v in zip(results[1:], finals):
        t.set(r, v)


MODULES_BY_NAME["ember.keras.layers.rnn.RNN"] = _keras_rnn


def export_keras_model(model, filepath, format="", verbose=None, input_signature=None, **kwargs):
    """``keras.Model.export(filepath, format="onnx")``: the model as an ONNX file with a dynamic batch axis.

    The inputs come from ``input_signature`` (shapes or ``InputSpec``/``KerasTensor`` objects with
    ``shape`` and ``dtype``) or from the model's own ``inputs``; ``None`` axes are dynamic, and are
    traced with size 2. ``format="tf_saved_model"`` and ``"openvino"`` need TensorFlow / OpenVINO.
    Other keyword arguments (``opset_version`` ...) go to :func:`ember.onnx.export`.
    """
    fmt = str(format).lower()
    if fmt in ("tf_saved_model", "openvino", ""):
        extra = " and OpenVINO" if fmt == "openvino" else ""
        raise ValueError(f"Model.export: format={format!r} needs TensorFlow{extra}, which ember does not use; ember "
                         "exports format='onnx'")
    if fmt != "onnx":
        raise ValueError(f"Model.export: unknown format {format!r}; expected 'onnx' (or Keras's 'tf_saved_model', "
                         "'openvino', which need TensorFlow)")
    from .exporter import export
    specs = input_signature if input_signature is not None else getattr(model, "inputs", None)
    if not specs:
        raise ValueError("Model.export: the model has no known inputs; build it (call it once) or pass "
                         "input_signature=[keras.InputSpec(shape=(None, ...), dtype=...)]")
    if not isinstance(specs, (list, tuple)) or (specs and isinstance(specs[0], (int, type(None)))):
        specs = [specs]
    args, names, dyn = [], [], {}
    for i, spec in enumerate(specs):
        shape = getattr(spec, "shape", spec)
        dtype = np.dtype(str(getattr(spec, "dtype", None) or "float32"))
        name = getattr(spec, "name", None) or f"input_{i}"
        name = str(name).replace(":", "_")
        concrete = [2 if d is None else int(d) for d in shape]
        rng = np.random.default_rng(i)
        a = rng.integers(0, 2, concrete).astype(dtype) if dtype.kind in "iub" else \
            rng.standard_normal(concrete).astype(dtype)
        args.append(a)
        names.append(name)
        axes = {j: ("batch" if j == 0 else f"{name}_dim_{j}") for j, d in enumerate(shape) if d is None}
        if axes:
            dyn[name] = axes
    out_names = kwargs.pop("output_names", None) or ["output_0"]
    n_out = len(getattr(model, "outputs", None) or [None])
    out_names = list(out_names) + [f"output_{i}" for i in range(len(out_names), n_out)]
    for o in out_names:
        dyn.setdefault(o, {0: "batch"})
    if len(args) > 1:
        args = (args,)
    proto = export(model, tuple(args), filepath, input_names=names, output_names=out_names, dynamic_axes=dyn,
                   **kwargs)
    if verbose:
        print(f"Saved artifact at '{filepath}'.")
    return proto
