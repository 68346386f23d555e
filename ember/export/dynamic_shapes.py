"""``Dim`` and ``dynamic_shapes``: which input sizes an exported program accepts, as ``torch.export``.

By default an exported program accepts only the example inputs' shapes. ``dynamic_shapes`` names
the sizes that may vary: a dict from argument name (or a tuple in argument order) to, per tensor,
``{dim_index: Dim("batch", min=1, max=64)}`` (or a list with ``None`` for static dims). The
program's ``module()`` checks every call against these rules before it runs the graph and raises
``AssertionError("Guard failed: x.size()[1] == 4")`` as PyTorch's guards do.

>>> Dim("batch", max=64)
Dim('batch', min=0, max=64)
>>> check_input_shape(ember.zeros(8, 4), "x", ((2, 64), 4))
>>> check_input_shape(ember.zeros(8, 5), "x", ((2, 64), 4))
Traceback (most recent call last):
  ...
AssertionError: Guard failed: x.size()[1] == 4
"""
import ember


__all__ = ["Dim", "check_input_shape", "UserError"]


class UserError(ValueError):
    """``dynamic_shapes`` or the inputs given to ``export`` do not fit together."""


class Dim:
    """A named input size that may vary between ``min`` and ``max`` (inclusive)."""

    def __init__(self, name, *, min=None, max=None):
        if not isinstance(name, str) or not name.isidentifier():
            raise UserError(f"Dim name must be a Python identifier, got {name!r}")
        lo = 0 if min is None else min
        if max is not None and max < lo:
            raise UserError(f"Dim {name!r}: max={max} is below min={lo}")
        self.__name__ = name
        self.min = lo
        self.max = max

    def __repr__(self):
        parts = [repr(self.__name__)]
        if self.min != 2:   # torch's repr leaves out min only when it is 2
            parts.append(f"min={self.min}")
        if self.max is not None:
            parts.append(f"max={self.max}")
        return f"Dim({', '.join(parts)})"


class _Marker:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"Dim.{self.name}"


Dim.AUTO, Dim.STATIC, Dim.DYNAMIC = _Marker("AUTO"), _Marker("STATIC"), _Marker("DYNAMIC")


def check_input_shape(value, name, dims):
    """Raise ``AssertionError`` unless tensor ``value`` fits ``dims`` (per dim: a size, or ``(min, max)``)."""
    if not isinstance(value, ember.Tensor):
        raise AssertionError(f"Guard failed: {name} is a Tensor (got {type(value).__name__})")
    if value.dim() != len(dims):
        raise AssertionError(f"Guard failed: {name}.dim() == {len(dims)}")
    for i, (size, rule) in enumerate(zip(value.shape, dims)):
        if isinstance(rule, int):
            if size != rule:
                raise AssertionError(f"Guard failed: {name}.size()[{i}] == {rule}")
        else:
            lo, hi = rule
            if size < lo:
                raise AssertionError(f"Guard failed: {name}.size()[{i}] >= {lo}")
            if hi is not None and size > hi:
                raise AssertionError(f"Guard failed: {name}.size()[{i}] <= {hi}")


check_input_shape._fx_impure = True
check_input_shape._fx_global_name = "_check_input_shape"


def dims_for(example, spec, where):
    """The per-dim rules for one example tensor under its ``dynamic_shapes`` entry ``spec``."""
    shape = tuple(example.shape)
    if spec is None:
        return shape
    if isinstance(spec, (list, tuple)):
        if len(spec) != len(shape):
            raise UserError(f"dynamic_shapes of {where}: {len(spec)} entries for a tensor of {len(shape)} dims")
        spec = dict(enumerate(spec))
    if not isinstance(spec, dict):
        raise UserError(f"dynamic_shapes of {where} must be a dict or list of dims, got {type(spec).__name__}")
    rules = list(shape)
    for i, d in spec.items():
        if not isinstance(i, int) or not -len(shape) <= i < len(shape):
            raise UserError(f"dynamic_shapes of {where}: dim {i!r} out of range for shape {shape}")
        if d is None or d is Dim.STATIC:
            continue
        if d is Dim.AUTO or d is Dim.DYNAMIC:
            rules[i] = (0, None)
            continue
        if not isinstance(d, Dim):
            raise UserError(f"dynamic_shapes of {where}: dim {i} must be a Dim, got {d!r}")
        if shape[i] < d.min or (d.max is not None and shape[i] > d.max):
            raise UserError(f"dynamic_shapes of {where}: the example's size {shape[i]} at dim {i} is outside "
                            f"{d!r}'s range [{d.min}, {d.max}]")
        rules[i] = (d.min, d.max)
    return tuple(rules)
