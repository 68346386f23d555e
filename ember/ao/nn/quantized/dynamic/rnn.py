"""Dynamically quantized ``LSTM`` (``torch.ao.nn.quantized.dynamic.LSTM``): int8 weights, float states.

Per layer and direction, as ATen's ``quantized_lstm`` on the CPU: the input-to-hidden product of
the whole sequence is one dynamic int8 linear (its qparams from the min and max over all time
steps), the hidden-to-hidden product one per step; then the float32 LSTM cell
``i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh)``, ``c' = sigmoid(f) c + sigmoid(i) tanh(g)``,
``h' = sigmoid(o) tanh(c')``. Weights sit in ``_all_weight_values.<k>.param`` (state_dict keys as PyTorch's).

>>> import ember
>>> from ember.ao.nn.quantized.dynamic import LSTM
>>> out, (h, c) = LSTM(3, 4)(ember.ones(5, 2, 3))
>>> out.shape, h.shape
(ember.Size([5, 2, 4]), ember.Size([1, 2, 4]))
"""
import numpy as np

from ..... import nn
from .....autograd.tensor import make
from .....backend import qdtypes as _qd
from .. import _kernels as K
from ..linear import quantize_weight, repr_hiding


class CellParams:
    """One layer-direction's quantized ``w_ih``, ``w_hh`` and float biases (PyTorch's ``CellParamsBase``)."""

    def __init__(self, w_ih, w_hh, b_ih, b_hh):
        self.w_ih, self.w_hh, self.b_ih, self.b_hh = w_ih, w_hh, b_ih, b_hh

    def __getstate__(self):
        return ("quantized_dynamic", [self.b_ih, self.b_hh], [], [1], [self.w_ih, self.w_hh])

    def __setstate__(self, state):
        _, (self.b_ih, self.b_hh), _, _, (self.w_ih, self.w_hh) = state

    def __repr__(self):
        return "CellParamsBase(quantized_dynamic)"


class PackedParameter(nn.Module):
    """Holds one layer-direction's weights as ``param`` (state_dict key ``<k>.param``).

    PyTorch keeps a TorchScript object there; ember keeps its state tuple
    ``("quantized_dynamic", [b_ih, b_hh], [], [1], [w_ih, w_hh])``, plain data that ``ember.save``
    stores (also inside a whole saved model)."""

    def __init__(self, param):
        super().__init__()
        self.param = param.__getstate__() if isinstance(param, CellParams) else tuple(param)

    def cell(self):
        cell = CellParams.__new__(CellParams)
        cell.__setstate__(self.param)
        return cell

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "param"] = self.param

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        if prefix + "param" in state_dict:
            value = state_dict.pop(prefix + "param")
            self.param = value.__getstate__() if isinstance(value, CellParams) else tuple(value)
        elif strict:
            missing_keys.append(prefix + "param")
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys, unexpected_keys,
                                      error_msgs)


def _sigmoid(x):
    return (np.float32(1) / (np.float32(1) + np.exp(-x))).astype(np.float32)


def _dyn_linear(x2d, w, b):
    xc, x_scale = K.dynamic_input(make(x2d), reduce_range=True)
    wc, w_scales = K.weight_parts(w)
    return K.dynamic_output(K.linear_acc(xc, wc), x_scale, w_scales, K.float_of(b))


class LSTM(nn.Module):
    """An LSTM with int8 weights; ``from_float`` quantizes a float ``nn.LSTM``."""

    _FLOAT_MODULE = nn.LSTM
    _version = 2
    _gates = 4

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=None):
        super().__init__()
        self.mode = type(self).__name__
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        self.dtype = _qd.qint8 if dtype is None else dtype
        self.version = 2
        if self.dtype is not _qd.qint8:
            raise RuntimeError(f"ember's dynamic LSTM supports qint8 weights only, got {self.dtype}")
        dirs = 2 if bidirectional else 1
        params = []
        for layer in range(num_layers):
            for _ in range(dirs):
                n_in = input_size if layer == 0 else hidden_size * dirs
                n = self._gates * hidden_size
                w_ih = np.random.uniform(-1, 1, (n, n_in)).astype(np.float32)
                w_hh = np.random.uniform(-1, 1, (n, hidden_size)).astype(np.float32)
                b = make(np.zeros(n, np.float32)) if bias else None
                from .....autograd import quantized as _q
                params.append(PackedParameter(CellParams(
                    _q.quantize_per_tensor(make(w_ih), 0.1, 0, _qd.qint8),
                    _q.quantize_per_tensor(make(w_hh), 0.1, 0, _qd.qint8), b, b)))
        self._all_weight_values = nn.ModuleList(params)

    def _get_name(self):
        return "DynamicQuantized" + self.mode

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def __repr__(self):
        return repr_hiding(self, ("_all_weight_values",))

    def _run_direction(self, seq, h, c, cell, reverse):
        hs, n_gates = self.hidden_size, self._gates
        t_len, batch = seq.shape[0], seq.shape[1]
        gates_x = _dyn_linear(seq.reshape(t_len * batch, -1), cell.w_ih, cell.b_ih).reshape(t_len, batch,
                                                                                          n_gates * hs)
        out = np.empty((t_len, batch, hs), np.float32)
        steps = range(t_len - 1, -1, -1) if reverse else range(t_len)
        for t in steps:
            gh = _dyn_linear(h, cell.w_hh, cell.b_hh)
            h, c = self._cell(gates_x[t], gh, h, c)
            out[t] = h
        return out, h, c

    def _cell(self, gx, gh, h, c):
        """ATen's LSTMCell on precomputed gates: i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of gx + gh."""
        hs = self.hidden_size
        g = gh + gx
        i, f, gg, o = _sigmoid(g[:, :hs]), _sigmoid(g[:, hs:2 * hs]), np.tanh(g[:, 2 * hs:3 * hs]), \
            _sigmoid(g[:, 3 * hs:])
        c = (f * c + i * gg).astype(np.float32)
        return (o * np.tanh(c)).astype(np.float32), c

    def forward(self, input, hx=None):
        x = input._data.astype(np.float32)
        unbatched = x.ndim == 2
        if unbatched:
            x = x[:, None]
        elif self.batch_first:
            x = x.transpose(1, 0, 2)
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise RuntimeError(f"{self._get_name()}(input_size={self.input_size}) got input of shape "
                               f"{tuple(input.shape)}")
        dirs = 2 if self.bidirectional else 1
        batch = x.shape[1]
        if hx is None:
            h0 = np.zeros((self.num_layers * dirs, batch, self.hidden_size), np.float32)
            c0 = h0.copy()
        else:
            h0, c0 = (t._data.astype(np.float32) for t in hx) if self._gates == 4 else \
                (hx._data.astype(np.float32),) * 2
            if unbatched:
                h0, c0 = h0[:, None], c0[:, None]
        hn, cn = [], []
        seq = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                o, h, c = self._run_direction(seq, h0[k], c0[k], self._all_weight_values[k].cell(), d == 1)
                outs.append(o)
                hn.append(h)
                cn.append(c)
            seq = outs[0] if dirs == 1 else np.concatenate(outs, axis=2)
        out, hn, cn = seq, np.stack(hn), np.stack(cn)
        if unbatched:
            out, hn, cn = out[:, 0], hn[:, 0], cn[:, 0]
        elif self.batch_first:
            out = out.transpose(1, 0, 2)
        if self._gates == 3:
            return make(np.ascontiguousarray(out)), make(hn)
        return make(np.ascontiguousarray(out)), (make(hn), make(cn))

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """Quantize each ``weight_ih_l<k>`` / ``weight_hh_l<k>`` with its own per-tensor int8 observer."""
        from .....ao.quantization.qconfig import default_dynamic_qconfig
        qconfig = getattr(mod, "qconfig", None) or default_dynamic_qconfig
        if getattr(mod, "proj_size", 0):
            raise NotImplementedError("ember's dynamic LSTM does not support proj_size")
        q = cls(mod.input_size, mod.hidden_size, mod.num_layers, mod.bias, mod.batch_first, mod.dropout,
                mod.bidirectional, dtype=qconfig.weight().dtype)
        dirs = 2 if mod.bidirectional else 1
        params = []
        for layer in range(mod.num_layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                ws = []
                for name in ("weight_ih", "weight_hh"):
                    w = getattr(mod, name + sfx)
                    observer = qconfig.weight()
                    observer(w)
                    ws.append(quantize_weight(w.float(), observer))
                b_ih = getattr(mod, "bias_ih" + sfx).detach() if mod.bias else None
                b_hh = getattr(mod, "bias_hh" + sfx).detach() if mod.bias else None
                params.append(PackedParameter(CellParams(ws[0], ws[1], b_ih, b_hh)))
        q._all_weight_values = nn.ModuleList(params)
        return q


class GRU(LSTM):
    """A GRU with int8 weights (``torch.ao.nn.quantized.dynamic.GRU``); ``forward(input, hx)`` returns
    ``(output, h_n)``. The cell is ATen's: ``r = sigmoid(x_r + h_r)``, ``z = sigmoid(x_z + h_z)``,
    ``n = tanh(x_n + r * h_n)``, ``h' = (h - n) * z + n``."""

    _FLOAT_MODULE = nn.GRU
    _gates = 3

    def _cell(self, gx, gh, h, c):
        hs = self.hidden_size
        r = _sigmoid(gh[:, :hs] + gx[:, :hs])
        z = _sigmoid(gh[:, hs:2 * hs] + gx[:, hs:2 * hs])
        n = np.tanh(gx[:, 2 * hs:] + gh[:, 2 * hs:] * r).astype(np.float32)
        return ((h - n) * z + n).astype(np.float32), c
