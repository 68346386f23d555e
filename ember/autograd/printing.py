"""PyTorch-like ``repr`` of tensors: ``tensor([1., 2.], requires_grad=True)``.

Real and integer tensors follow torch/_tensor_str.py: one width and mode for all values, taken from the
nonzero finite values of the summarized data (the first and last ``edgeitems`` of every dimension once
there are more than ``threshold`` elements); ``(linewidth - indent) // (width + 2)`` values per line;
`` ...`` for the middle of a summarized row; suffixes (dtype, grad_fn) wrap at ``linewidth``."""
import numpy as np

from ..backend import dtypes as _dt
from ..backend.meta import MetaArray as _MetaArray

_opts = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    if profile == "default":
        _opts.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "full":
        _opts.update(threshold=np.inf)
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            _opts[k] = v
    _opts["sci_mode"] = sci_mode


def _float_formatter(a):
    finite = a[np.isfinite(a)] if a.size else a
    p = _opts["precision"]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.{p}f}"
    amax = np.abs(finite).max()
    nz = np.abs(finite[finite != 0])
    amin = nz.min() if nz.size else 0.0
    ints = np.all(finite == np.round(finite))
    sci = _opts["sci_mode"]
    if sci is None:
        sci = amax >= 1e8 or (amin and amin < 1e-4) or (amin and amax / amin > 1000.0 and not ints)
    if sci:
        return lambda v: _special(v) or f"{v:.{p}e}"
    if ints:
        return lambda v: _special(v) or f"{v:.0f}."
    return lambda v: _special(v) or f"{v:.{p}f}"


def _complex_formatter(a):
    """PyTorch's complex form ``1.0000+2.j``: real and imaginary parts each get their own float format,
    the real parts padded to one width."""
    re, im = a.real.astype(np.float64), a.imag.astype(np.float64)
    fr, fi = _float_formatter(re), _float_formatter(im)
    width = max((len(fr(v)) for v in re.reshape(-1)[:2000].tolist()), default=0)

    def fmt(v):
        v = complex(v)
        imag = fi(v.imag) + "j"
        return fr(v.real).rjust(width) + (imag if imag[0] in "+-" else "+" + imag)
    return fmt


def _special(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


class _Formatter:
    """torch's ``_Formatter``: the width and the mode (integer-valued floats ``3.``, fixed ``3.1416`` or
    scientific ``3.1416e+00``) come from the nonzero finite values of the (summarized) data."""

    def __init__(self, a):
        p = _opts["precision"]
        self.floating = a.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        flat = a.reshape(-1)
        if not self.floating:
            strs = [("True" if v else "False") if a.dtype.kind == "b" else str(v) for v in flat.tolist()]
            self.max_width = max([1] + [len(v) for v in strs])
            return
        flat = flat.astype(np.float64)
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size:
            amin, amax = np.abs(vals).min(), np.abs(vals).max()
            self.int_mode = bool(np.all(vals == np.ceil(vals)))
            sci = amax / amin > 1000.0 or amax > 1.0e8 or (not self.int_mode and amin < 1.0e-4)
            if _opts["sci_mode"] is not None:  # set_printoptions(sci_mode=...): the widths follow the forced mode
                sci = bool(_opts["sci_mode"])
            self.sci_mode = sci
            if sci:
                strs = [f"{v:.{p}e}" for v in vals.tolist()]
            elif self.int_mode:
                strs = [f"{v:.0f}." for v in vals.tolist()]
            else:
                strs = [f"{v:.{p}f}" for v in vals.tolist()]
            self.max_width = max(len(v) for v in strs)
        # no nonzero finite value: torch returns before reading the option (tensor([0., 0.]) in any mode)

    def format(self, value):
        p = _opts["precision"]
        if not self.floating:
            ret = ("True" if value else "False") if isinstance(value, bool) else f"{value}"
        elif _special(value):
            ret = _special(value)
        elif self.sci_mode:
            ret = f"{value:.{p}e}"
        elif self.int_mode:
            ret = f"{value:.0f}."
        else:
            ret = f"{value:.{p}f}"
        return ret.rjust(self.max_width)


def _summarized(a):
    """torch's ``get_summarized_data``: the first and last ``edgeitems`` along every dimension."""
    e = _opts["edgeitems"]
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate([a[:e], a[-e:]]) if a.shape[0] > 2 * e else a
    if not e:
        return a[(slice(0, 0),) * a.ndim]
    rows = list(range(e)) + list(range(a.shape[0] - e, a.shape[0])) if a.shape[0] > 2 * e else range(a.shape[0])
    return np.stack([_summarized(a[i]) for i in rows])


def _tensor_str(a, indent, summarize, fmt):
    """torch's ``_tensor_str_with_formatter``: rows of at most ``(linewidth - indent) / (width + 2)``
    values, `` ...`` in place of the middle of a summarized dimension."""
    e = _opts["edgeitems"]
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        per_line = max(1, int((_opts["linewidth"] - indent) // (fmt.max_width + 2)))
        if summarize and not e:
            data = ["..."]
        elif summarize and a.shape[0] > 2 * e:
            data = [fmt.format(v) for v in a[:e].tolist()] + [" ..."] + [fmt.format(v) for v in a[-e:].tolist()]
        else:
            data = [fmt.format(v) for v in a.tolist()]
        lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and a.shape[0] > 2 * e:
        slices = ([_tensor_str(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."]
                  + [_tensor_str(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0] - e, a.shape[0])])
    else:
        slices = [_tensor_str(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(body, suffixes, indent):
    """torch's ``_add_suffixes``: a suffix that would pass ``linewidth`` goes on a new line."""
    parts = [body]
    last_line_len = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _opts["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(t):
    a = t._data
    if type(a) is _MetaArray:  # no values: torch prints the metadata
        extra = ["device='meta'", f"size={tuple(a.shape)}"]
        if _dt.from_numpy(a.dtype) is not _dt.get_default_dtype():
            extra.append(f"dtype={_dt.from_numpy(a.dtype)}")
        return _with_grad_suffix(t, "...", extra, len("tensor("))
    if a.dtype.kind == "V" or a.dtype.name.startswith("float8"):  # ml_dtypes' types: print them as float32
        a = a.astype(np.float32)
    kind = a.dtype.kind
    indent = len("tensor(")
    if a.size == 0:
        body = "[]"
    elif kind == "c":
        body = np.array2string(a, separator=", ", formatter={"complex_kind": _complex_formatter(a)}, prefix="tensor(",
                               threshold=_opts["threshold"], edgeitems=_opts["edgeitems"],
                               max_line_width=_opts["linewidth"])
    else:
        summarize = a.size > _opts["threshold"]
        body = _tensor_str(a, indent, summarize, _Formatter(_summarized(a) if summarize else a))
    extra = []
    d = _dt.from_numpy(t._data.dtype)
    if a.size == 0 and a.ndim != 1:
        extra.append(f"size={tuple(a.shape)}")
    if a.size == 0:  # no values to tell an int64 or bool tensor apart: torch names every non-default dtype
        if d is not _dt.get_default_dtype():
            extra.append(f"dtype={d}")
    elif d not in (_dt.get_default_dtype(), _dt.int64, _dt.bool_, _dt.get_default_dtype().to_complex()):
        extra.append(f"dtype={d}")
    return _with_grad_suffix(t, body, extra, indent)


def _with_grad_suffix(t, body, extra, indent):
    """``tensor(body, extra..., grad_fn=<...>)`` (or ``requires_grad=True``), a Parameter's header first."""
    if t.grad_fn is not None:
        extra.append(f"grad_fn=<{t.grad_fn.name}>")
    elif t._rg:
        extra.append("requires_grad=True")
    prefix = "Parameter containing:\ntensor(" if t._is_param else "tensor("
    return prefix + _add_suffixes(body, extra, indent)
