"""``torch.utils.flop_counter``: count the FLOPs of matrix products and convolutions in a ``with`` block.

``FlopCounterMode`` counts, per aten op and per module, the FLOPs of the ops PyTorch's counter
knows on the CPU: ``aten.mm``, ``aten.addmm``, ``aten.bmm``, ``aten.baddbmm``,
``aten.convolution`` and ``aten.convolution_backward``, with PyTorch's formulas (a product of
``(m, k)`` by ``(k, n)`` is ``2 m k n``; a convolution ``2 * prod(out spatial) * prod(kernel) * N *
C_out * C_in/groups``, over the input's spatial size when transposed). Backward passes run inside
the block are counted too, and credited to the modules whose forward made them. Ember names the
op PyTorch would run for each call (see :mod:`ember.autograd.op_hooks`): ``F.linear`` on a 2-D
input with a bias is one ``addmm``, a 3-D by 2-D ``matmul`` one folded ``mm``. As in PyTorch on
the CPU, ``scaled_dot_product_attention`` (a fused kernel) and vector products (``dot``, ``mv``)
count nothing. Op keys are the names (``"aten.mm"``, which is ``str(torch.ops.aten.mm)``; a
``torch.ops.aten.mm`` key finds them too). A call of an ``ember.compile``'d function that replays
its trace runs no ember ops and counts nothing: count an eager call.

>>> import ember
>>> from ember import nn
>>> model = nn.Linear(4, 3)
>>> with FlopCounterMode(display=False) as counter:
...     model(ember.randn(2, 4)).sum().backward()
>>> counter.get_total_flops(), counter.get_flop_counts()["Linear"]
(96, {'aten.addmm': 48, 'aten.mm': 48})
"""
import math
import warnings
from collections import defaultdict

from ..autograd import op_hooks
from ..nn import hooks as _module_hooks

__all__ = ["FlopCounterMode", "register_flop_formula", "mm_flop", "bmm_flop", "conv_flop_count"]

suffixes = ["", "K", "M", "B", "T"]


def mm_flop(a_shape, b_shape, *args, out_shape=None, **kwargs):
    """``(m, k) @ (k, n)``: ``2 m n k``."""
    m, k = a_shape
    k2, n = b_shape
    if k != k2:
        raise ValueError(f"mm_flop: inner dimensions differ: {tuple(a_shape)} @ {tuple(b_shape)}")
    return m * n * 2 * k


def bmm_flop(a_shape, b_shape, *args, out_shape=None, **kwargs):
    """``(b, m, k) @ (b, k, n)``: ``2 b m n k``."""
    b, m, k = a_shape
    b2, k2, n = b_shape
    if (b, k) != (b2, k2):
        raise ValueError(f"bmm_flop: shapes differ: {tuple(a_shape)} @ {tuple(b_shape)}")
    return b * m * n * 2 * k


def conv_flop_count(x_shape, w_shape, out_shape, transposed=False):
    """PyTorch's convolution count: ``2 * prod(spatial) * prod(kernel) * N * w_shape[0] * w_shape[1]``, with
    the output's spatial size (the input's when ``transposed``). Bias additions are not counted."""
    batch_size = x_shape[0]
    conv_shape = (x_shape if transposed else out_shape)[2:]
    c_out, c_in, *filter_size = w_shape
    return math.prod(conv_shape) * math.prod(filter_size) * batch_size * c_out * c_in * 2


def conv_flop(x_shape, w_shape, out_shape, transposed, **kwargs):
    return conv_flop_count(x_shape, w_shape, out_shape, transposed)


def conv_backward_flop(grad_out_shape, x_shape, w_shape, transposed, output_mask, **kwargs):
    """The input gradient is a transposed convolution of the output gradient, the weight gradient a
    convolution of the input with it (PyTorch's formula, dims 0 and 1 swapped)."""
    def t(shape):
        return [shape[1], shape[0]] + list(shape[2:])
    flop = 0
    if output_mask[0]:
        flop += conv_flop_count(grad_out_shape, w_shape, x_shape, not transposed)
    if output_mask[1]:
        if transposed:
            flop += conv_flop_count(t(grad_out_shape), t(x_shape), t(w_shape), transposed=False)
        else:
            flop += conv_flop_count(t(x_shape), t(grad_out_shape), t(w_shape), transposed=False)
    return flop


_FORMULAS = {"aten.mm": mm_flop, "aten.addmm": mm_flop, "aten.bmm": bmm_flop, "aten.baddbmm": bmm_flop,
             "aten.convolution": conv_flop, "aten.convolution_backward": conv_backward_flop}


def register_flop_formula(targets, get_raw=False):
    """Decorator: use ``formula(*args)`` for the op names in ``targets`` (``"aten.mm"``; the args are the
    shapes ember announces, as :func:`mm_flop` and :func:`conv_flop` take them)."""
    names = [str(t) for t in (targets if isinstance(targets, (list, tuple)) else [targets])]

    def register(formula):
        for name in names:
            _FORMULAS[name] = formula
        return formula
    return register


def get_suffix_str(number):
    return suffixes[max(0, min(len(suffixes) - 1, (len(str(number)) - 2) // 3))]


def convert_num_with_suffix(number, suffix):
    return f"{number / 1000 ** suffixes.index(suffix):.3f}" + suffix


def convert_to_percent_str(num, denom):
    return "0%" if denom == 0 else f"{num / denom:.2%}"


class FlopCounterMode:
    """Counts FLOPs inside ``with FlopCounterMode():`` (see the module docstring).

    Args:
        mods: ignored (PyTorch warns that it is no longer needed: every module is tracked).
        depth: module depth shown by :meth:`get_table` and the table printed at exit.
        display: print the table when the block ends.
        custom_mapping: ``{op name: formula}`` overriding or adding formulas (ember announces only the
            ops listed in the module docstring).
    """

    def __init__(self, mods=None, depth=2, display=True, custom_mapping=None):
        if mods is not None:
            warnings.warn("mods argument is not needed anymore, you can stop passing it", stacklevel=2)
        self.depth, self.display = depth, display
        self.flop_counts = defaultdict(lambda: defaultdict(int))
        self.flop_registry = dict(_FORMULAS)
        for k, v in (custom_mapping or {}).items():
            self.flop_registry[str(k)] = v
        self._names = {}
        self._parents = ["Global"]
        self._handles = []

    # -- the observer protocol of ember.autograd.op_hooks --------------------------------------------
    def _where(self):
        return tuple(dict.fromkeys(self._parents))

    def _op(self, name, args, where):
        key = "aten." + name
        formula = self.flop_registry.get(key)
        if formula is None:
            return
        flops = formula(*args)
        for parent in (where if where is not None else self._where()):
            self.flop_counts[parent][key] += flops

    # -- module tracking (PyTorch's ModuleTracker names: the root's class name, then attribute paths) --
    def _name(self, module):
        name = self._names.get(module)
        if name is None:
            name = self._names[module] = type(module).__name__
            self._name_children(module, name)
        return name

    def _name_children(self, module, prefix):
        for child_name, child in module.named_children():
            if child not in self._names:
                self._names[child] = f"{prefix}.{child_name}"
                self._name_children(child, self._names[child])

    def _enter_module(self, module, args):
        self._parents.append(self._name(module))

    def _exit_module(self, module, args, output):
        name = self._name(module)
        for i in range(len(self._parents) - 1, 0, -1):
            if self._parents[i] == name:
                del self._parents[i]
                break

    # -- results ----------------------------------------------------------------------------------------
    def get_total_flops(self):
        return sum(self.flop_counts["Global"].values())

    def get_flop_counts(self):
        """``{module name: {op name: flops}}``, with ``"Global"`` for everything counted."""
        return {k: dict(v) for k, v in self.flop_counts.items()}

    def get_table(self, depth=None):
        """The counts as a text table (PyTorch's layout: module, FLOP with a K/M/B/T suffix, % of total)."""
        depth = self.depth if depth is None else depth
        depth = 999999 if depth is None else depth
        total = self.get_total_flops()
        suffix = get_suffix_str(total)
        subsumed = False

        def rows_for(mod, level):
            nonlocal subsumed
            flops = sum(self.flop_counts[mod].values())
            subsumed |= flops >= total
            pad = " " * level
            rows = [[pad + mod, convert_num_with_suffix(flops, suffix), convert_to_percent_str(flops, total)]]
            for k, v in self.flop_counts[mod].items():
                rows.append([pad + " - " + str(k), convert_num_with_suffix(v, suffix), convert_to_percent_str(v, total)])
            return rows

        rows = []
        for mod in sorted(self.flop_counts):
            if mod == "Global" or mod.count(".") + 1 > depth:
                continue
            rows.extend(rows_for(mod, mod.count(".")))
        if "Global" in self.flop_counts and not subsumed:
            for r in rows:
                r[0] = " " + r[0]
            rows = rows_for("Global", 0) + rows
        if not rows:
            rows = [["Global", "0", "0%"]]
        header = ["Module", "FLOP", "% Total"]
        widths = [max(len(r[i]) for r in rows + [header]) for i in range(3)]
        line = lambda r: "  ".join([r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in (1, 2)])  # noqa: E731
        return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])

    def __enter__(self):
        self.flop_counts.clear()
        self._parents[:] = ["Global"]
        self._handles = [_module_hooks.register_module_forward_pre_hook(self._enter_module),
                         _module_hooks.register_module_forward_hook(self._exit_module)]
        op_hooks.observers.append(self)
        return self

    def __exit__(self, *exc):
        if self in op_hooks.observers:
            op_hooks.observers.remove(self)
        if not op_hooks.observers:
            op_hooks._mute[0] = 0
        for h in self._handles:
            h.remove()
        self._handles = []
        if self.display:
            print(self.get_table(self.depth))
        return False
