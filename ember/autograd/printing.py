"""PyTorch-like ``repr`` of tensors: ``tensor([1., 2.], requires_grad=True)``."""
import numpy as np

from ..backend import dtypes as _dt

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


def tensor_repr(t):
    a = t._data
    if a.dtype.name == "bfloat16":  # ml_dtypes' type has NumPy kind "V": print its values as float32
        a = a.astype(np.float32)
    kind = a.dtype.kind
    if kind == "f":
        fmt = _float_formatter(a.astype(np.float64))
    elif kind == "b":
        def fmt(v):
            return "True" if v else "False"
    elif kind == "c":
        fmt = _complex_formatter(a)
    else:
        fmt = str
    # Pad every element to the widest, as PyTorch aligns its columns.
    flat = a.reshape(-1)
    sample = flat if flat.size <= 2000 else np.concatenate([flat[:1000], flat[-1000:]])
    if kind == "f":
        # As PyTorch, only the nonzero finite values set the width: a wider inf, nan or 0. is not padded.
        sample = sample[np.isfinite(sample.astype(np.float64)) & (sample != 0)]
    width = max((len(fmt(v.item())) for v in sample), default=1)

    def padded(v):
        return fmt(v.item() if hasattr(v, "item") else v).rjust(width)
    formatter = {"float_kind": padded, "bool": padded, "int": padded, "complex_kind": fmt}
    if a.size == 0:
        body = "[]" if a.ndim == 1 else "[]"
    else:
        body = np.array2string(a, separator=", ", formatter=formatter, prefix="tensor(",
                               threshold=_opts["threshold"], edgeitems=_opts["edgeitems"],
                               max_line_width=_opts["linewidth"])
    extra = []
    d = _dt.from_numpy(t._data.dtype)
    if a.size == 0 and a.ndim != 1:
        extra.append(f"size={tuple(a.shape)}")
    if d not in (_dt.get_default_dtype(), _dt.int64, _dt.bool_, _dt.get_default_dtype().to_complex()):
        extra.append(f"dtype={d}")
    if t.grad_fn is not None:
        extra.append(f"grad_fn=<{t.grad_fn.name}>")
    elif t._rg:
        extra.append("requires_grad=True")
    prefix = "Parameter containing:\ntensor(" if t._is_param else "tensor("
    return prefix + body + "".join(", " + e for e in extra) + ")"
