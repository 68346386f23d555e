"""``torch.library``: define custom operators, give them kernels and autograd formulas, call them eagerly.

Two ways in, as in PyTorch:

* ``@custom_op("mylib::op", mutates_args=())`` on a typed Python function (its schema is inferred
  from the annotations, :func:`infer_schema`); ``op.register_autograd(backward,
  setup_context=...)`` gives it a gradient (the forward then runs without autograd, and
  ``backward(ctx, *grads)`` returns one gradient per input); without one, backpropagating
  through it raises PyTorch's error. ``op.register_fake`` is kept (ember has no fake tensors
  to run it on).
* ``lib = Library("mylib", "DEF")``, ``lib.define("op(Tensor x, float s=3.0) -> Tensor")``,
  ``lib.impl("op", fn, "CPU")``: the call is checked against the schema and the kernel gets the
  arguments as given (as in PyTorch, give the Python kernel the schema's defaults), and
  autograd flows through its ember ops (PyTorch warns that no autograd kernel is registered;
  an ``"Autograd"`` kernel, or :func:`register_autograd`, overrides that).

Either way ``ember.ops.mylib.op(...)`` (``torch.ops.mylib.op`` under the alias) runs it.

>>> import ember
>>> @custom_op("demo_lib::scale", mutates_args=())
... def scale(x: ember.Tensor, s: float) -> ember.Tensor:
...     return x * s
>>> scale.register_autograd(lambda ctx, g: (g * ctx.s, None),
...                         setup_context=lambda ctx, inputs, output: setattr(ctx, "s", inputs[1]))
>>> x = ember.ones(2, requires_grad=True)
>>> ember.ops.demo_lib.scale(x, 3.0).sum().backward()
>>> x.grad
tensor([3., 3.])
"""
import inspect
import re
import typing
import warnings

from . import _ops
from .autograd.function import Function
from .autograd.tensor import Tensor

__all__ = ["Library", "custom_op", "CustomOpDef", "define", "impl", "register_fake", "impl_abstract",
           "register_autograd", "register_kernel", "infer_schema", "get_ctx", "opcheck", "fallthrough_kernel"]

_KINDS = ("DEF", "IMPL", "FRAGMENT")


# -- schemas ---------------------------------------------------------------------------------------------

class _Arg:
    def __init__(self, type_, name, default, kwarg_only, has_default):
        self.type, self.name, self.default, self.kwarg_only, self.has_default = (type_, name, default, kwarg_only,
                                                                                 has_default)


def _split_top(s):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _default(text, type_):
    text = text.strip()
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    if text.startswith(("'", '"')):
        return text[1:-1]
    if text.startswith("["):
        return [_default(p, type_.rstrip("[]")) for p in _split_top(text[1:-1])]
    try:
        return int(text) if re.fullmatch(r"-?\d+", text) and not type_.startswith("float") else float(text)
    except ValueError:
        return text


def parse_schema(schema):
    """``"name.overload(Type a, Type b=default, *, Type c) -> Ret"`` as (name, overload, [_Arg], returns)."""
    m = re.fullmatch(r"\s*([\w.]*)\s*\((.*)\)\s*->\s*(.+?)\s*", schema, flags=re.S)
    if m is None:
        raise RuntimeError(f"torch.library: cannot parse the schema {schema!r}; expected "
                           "'name(Tensor x, float s=1.0) -> Tensor'")
    full, args_text, returns = m.groups()
    name, _, overload = full.partition(".")
    args, kwarg_only = [], False
    for part in _split_top(args_text):
        if part == "*":
            kwarg_only = True
            continue
        decl, eq, default = part.partition("=")
        pieces = decl.split()
        if len(pieces) < 2:
            raise RuntimeError(f"torch.library: argument {part!r} of schema {schema!r} needs a type and a name")
        type_, arg_name = " ".join(pieces[:-1]), pieces[-1]
        args.append(_Arg(type_, arg_name, _default(default, type_) if eq else None, kwarg_only, bool(eq)))
    return name, overload or "default", args, returns


def _annotation_type(ann, where):
    """The schema type of a Python annotation (a type or its name as a string)."""
    text = ann if isinstance(ann, str) else getattr(ann, "__name__", None)
    origin, targs = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Union and type(None) in targs:
        inner = [a for a in targs if a is not type(None)]
        return _annotation_type(inner[0], where) + "?"
    if origin in (list, tuple, typing.get_origin(typing.Sequence[int])) and targs:
        return _annotation_type(targs[0], where) + "[]"
    if isinstance(ann, str):
        ann = ann.replace("torch.", "").replace("ember.", "")
        if ann.startswith(("Optional[", "typing.Optional[")):
            return _annotation_type(ann[ann.index("[") + 1:-1], where) + "?"
        if ann.startswith(("list[", "List[", "Sequence[")):
            return _annotation_type(ann[ann.index("[") + 1:-1], where) + "[]"
        text = ann
    table = {"Tensor": "Tensor", "int": "SymInt", "float": "float", "bool": "bool", "str": "str",
             "SymInt": "SymInt", "Number": "Scalar", "dtype": "ScalarType", "device": "Device"}
    if isinstance(ann, type) and issubclass(ann, Tensor):
        return "Tensor"
    if text in table:
        return table[text]
    raise ValueError(f"infer_schema(func): {where} has unsupported type {ann!r}; use Tensor, int, float, bool, "
                     "str, Optional[...] or list[...]")


def infer_schema(prototype_function, /, *, mutates_args, op_name=None):
    """The schema of a typed function: ``(Tensor x, float s) -> Tensor`` (``Tensor(a0!) x`` when mutated)."""
    sig = inspect.signature(prototype_function)
    mutated = set() if mutates_args in ((), None) else {mutates_args} if isinstance(mutates_args, str) \
        else set(mutates_args)
    if mutates_args == "unknown":
        raise ValueError("infer_schema: mutates_args='unknown' is not supported by ember; list the mutated args")
    hints = typing.get_type_hints(prototype_function) if not any(
        isinstance(p.annotation, str) for p in sig.parameters.values()) else {}
    parts, kw_marked, alias = [], False, 0
    for p in sig.parameters.values():
        ann = hints.get(p.name, p.annotation)
        if ann is inspect.Parameter.empty:
            raise ValueError(f"infer_schema(func): Parameter {p.name} must have a type annotation.")
        if p.kind == p.KEYWORD_ONLY and not kw_marked:
            parts.append("*")
            kw_marked = True
        t = _annotation_type(ann, f"Parameter {p.name}")
        if p.name in mutated:
            t = f"Tensor(a{alias}!)" + t[len("Tensor"):]
            alias += 1
        decl = f"{t} {p.name}"
        if p.default is not inspect.Parameter.empty:
            if isinstance(p.default, (tuple, set, dict)):
                raise ValueError(f"infer_schema(func): Parameter {p.name} has an unsupported default value type "
                                 f"{type(p.default)}.")
            decl += "=" + repr(p.default).replace("'", '"') if isinstance(p.default, str) else "=" + str(p.default)
        parts.append(decl)
    ret = hints.get("return", sig.return_annotation)
    if ret is None or ret is type(None) or ret == "None":
        rtext = "()"
    elif typing.get_origin(ret) is tuple:
        rtext = "(" + ", ".join(_annotation_type(a, "the return") for a in typing.get_args(ret)) + ")"
    else:
        rtext = _annotation_type(ret, "the return")
    return f"{op_name or ''}({', '.join(parts)}) -> {rtext}"


# -- operators -------------------------------------------------------------------------------------------

def _qualname(qualname):
    if "::" not in qualname:
        raise ValueError(f"torch.library: expected a qualified name 'namespace::op', got {qualname!r}")
    ns, _, rest = qualname.partition("::")
    name, _, overload = rest.partition(".")
    return ns, name, overload or "default"


class _Operator:
    """One ``ns::name.overload``: its schema, kernels by dispatch key, and autograd formula."""

    def __init__(self, ns, name, overload, schema, custom=False):
        self.ns, self.name, self.overload = ns, name, overload
        self.schema = schema
        _, _, self.args, self.returns = parse_schema(name + schema[schema.index("("):])
        self.kernels, self.fake, self.backward, self.setup_context = {}, None, None, None
        self.custom = custom
        self.opoverload = _ops.register(ns, name, overload, schema, self.__call__)

    def qualname(self):
        return f"{self.ns}::{self.name}"

    def _bind(self, args, kwargs):
        """Positional values in schema order and keyword-only values, defaults filled in."""
        if len(args) > sum(not a.kwarg_only for a in self.args):
            raise TypeError(f"{self.qualname()}() takes {sum(not a.kwarg_only for a in self.args)} positional "
                            f"arguments but {len(args)} were given (schema {self.schema})")
        positional, keyword = [], {}
        kwargs = dict(kwargs)
        for i, a in enumerate(self.args):
            if i < len(args):
                value = args[i]
            elif a.name in kwargs:
                value = kwargs.pop(a.name)
            elif a.has_default:
                value = a.default
            else:
                raise TypeError(f"{self.qualname()}() missing value for argument '{a.name}' (schema {self.schema})")
            (keyword.__setitem__(a.name, value) if a.kwarg_only else positional.append(value))
        if kwargs:
            raise TypeError(f"{self.qualname()}() got unexpected keyword arguments {sorted(kwargs)} "
                            f"(schema {self.schema})")
        return positional, keyword

    def _kernel(self):
        for key in ("Autograd", "AutogradCPU", "CompositeImplicitAutograd", "CPU", "CompositeExplicitAutograd",
                    "Default"):
            if key in self.kernels:
                return key, self.kernels[key]
        raise NotImplementedError(f"{self.qualname()}: no kernel for the CPU was registered (registered: "
                                  f"{sorted(self.kernels) or 'none'}); use impl(..., 'CPU') or register_kernel")

    def __call__(self, *args, **kwargs):
        positional, keyword = self._bind(args, kwargs)
        key, kernel = self._kernel()
        tensors = [t for v in positional for t in (v if isinstance(v, (list, tuple)) else [v])
                   if isinstance(t, Tensor)]
        from .autograd import grad_mode
        needs_grad = grad_mode.state.enabled and any(t.requires_grad for t in tensors)
        if self.backward is not None and needs_grad:
            return self._function(keyword).apply(*positional)
        if self.custom and needs_grad:
            return self._no_formula(keyword).apply(*positional)
        if not self.custom:
            return kernel(*args, **kwargs)  # as PyTorch, a Library kernel gets the arguments as given
        return kernel(*positional, **keyword)

    def _function(self, keyword):
        """An autograd Function over the positional inputs (keyword-only ones are constants of the call)."""
        op = self

        class Generated(Function):
            @staticmethod
            def forward(*args):
                return op._kernel()[1](*args, **keyword)

            @staticmethod
            def setup_context(ctx, inputs, output):
                if op.setup_context is None:
                    return
                if "keyword_only_inputs" in inspect.signature(op.setup_context).parameters:
                    op.setup_context(ctx, inputs, output, keyword_only_inputs=keyword)
                else:
                    op.setup_context(ctx, inputs, output)

            @staticmethod
            def backward(ctx, *grads):
                return op.backward(ctx, *grads)
        Generated.__name__ = f"GeneratedBackwardFor_{self.ns}_{self.name}_{self.overload}"
        return Generated

    def _no_formula(self, keyword):
        op = self

        class NoFormula(Function):
            @staticmethod
            def forward(*args):
                return op._kernel()[1](*args, **keyword)

            @staticmethod
            def setup_context(ctx, inputs, output):
                pass

            @staticmethod
            def backward(ctx, *grads):
                raise RuntimeError(f"Trying to backward through {op.ns}.{op.name}.{op.overload} but no autograd "
                                   "formula was registered. Please use register_autograd to add one.")
        return NoFormula


_OPERATORS = {}


def _lookup(qualname):
    ns, name, overload = _qualname(qualname) if isinstance(qualname, str) else (
        qualname.namespace, qualname._opname, getattr(qualname, "_overloadname", "default"))
    op = _OPERATORS.get((ns, name, overload))
    if op is None:
        raise RuntimeError(f"torch.library: operator {ns}::{name} is not defined; define it first "
                           "(Library.define, torch.library.define or custom_op)")
    return op


def _define(ns, schema, custom=False, replace=False):
    name, overload, _, _ = parse_schema(schema)
    key = (ns, name, overload)
    if key in _OPERATORS and not replace:
        raise RuntimeError(f"Tried to register an operator ({ns}::{schema}) with the same name and overload name "
                           "multiple times. Each overload's schema should only be registered with a single call to "
                           "def(). Duplicate registration: ember.library")
    op = _Operator(ns, name, overload, schema[schema.index("("):], custom)
    _OPERATORS[key] = op
    return op


class Library:
    """``Library(ns, kind)``: ``"DEF"`` (define new ops in ``ns``), ``"FRAGMENT"`` (more of them) or
    ``"IMPL"`` (kernels for ops defined elsewhere)."""

    def __init__(self, ns, kind, dispatch_key=""):
        if kind not in _KINDS:
            raise ValueError(f"Unsupported kind: {kind!r} (expected one of {_KINDS})")
        if not re.fullmatch(r"[A-Za-z_]\w*", ns):
            raise ValueError(f"Library: invalid namespace {ns!r}")
        self.ns, self.kind, self.dispatch_key = ns, kind, dispatch_key
        self._defined = []

    def define(self, schema, alias_analysis="", *, tags=()):
        """Declare an operator of this namespace: ``lib.define("op(Tensor x) -> Tensor")``; returns its name."""
        if self.kind == "IMPL":
            raise RuntimeError(f"Library({self.ns!r}, 'IMPL') cannot define operators; use 'DEF' or 'FRAGMENT'")
        op = _define(self.ns, schema)
        self._defined.append((op.ns, op.name, op.overload))
        return op.name

    def impl(self, op_name, fn, dispatch_key="", *, with_keyset=False, allow_override=False):
        """Register ``fn`` as the kernel of ``op_name`` (a name of this namespace, an ``OpOverload`` or
        ``"ns::op"``) for ``dispatch_key`` (``"CPU"``, ``"CompositeImplicitAutograd"``, ``"Autograd"`` ...)."""
        if isinstance(op_name, str) and "::" not in op_name:
            name, _, overload = op_name.partition(".")
            op = _lookup(f"{self.ns}::{name}" + (f".{overload}" if overload else ""))
        else:
            op = _lookup(op_name)
        key = dispatch_key or self.dispatch_key or "CompositeImplicitAutograd"
        if with_keyset:
            kernel = fn
            fn = lambda *a, **k: kernel(None, *a, **k)  # noqa: E731 - ember has no dispatch keysets to pass
        op.kernels[key] = fn

    def fallback(self, fn, dispatch_key="", *, with_keyset=False):
        raise NotImplementedError("Library.fallback: ember has no dispatcher to register a fallback kernel with")

    def _destroy(self):
        for key in self._defined:
            _OPERATORS.pop(key, None)
            _ops._REGISTRY.get(key[:2], {}).pop(key[2], None)
        self._defined = []


def fallthrough_kernel():
    """A placeholder kernel (PyTorch's "skip this dispatch key")."""
    raise NotImplementedError("fallthrough_kernel should never be called")


def define(qualname, schema, *, lib=None, tags=()):
    """``define("ns::op", "(Tensor x) -> Tensor")``: declare an operator without a Library object."""
    ns, name, overload = _qualname(qualname)
    full = name + ("" if overload == "default" else f".{overload}") + schema
    _define(ns, full)


def impl(qualname, types=None, func=None, *, lib=None):
    """``@impl("ns::op", "cpu")`` (or ``impl(lib, "op", "CPU")``): register a kernel; a decorator when
    ``func`` is not given."""
    if isinstance(qualname, Library):
        library, name, key = qualname, types, func or "CompositeImplicitAutograd"
        return lambda fn: (library.impl(name, fn, key), fn)[1]
    keys = [types] if isinstance(types, str) or types is None else list(types)
    keys = ["CPU" if k in (None, "cpu", "CPU", "default") else "CompositeImplicitAutograd"
            if k == "CompositeImplicitAutograd" else k for k in keys]

    def register(fn):
        op = _lookup(qualname)
        for k in keys:
            op.kernels[k] = fn
        return fn
    return register(func) if func is not None else register


def register_kernel(op, device_types, func=None, /, *, lib=None):
    """Register ``func`` as the kernel of ``op`` for ``device_types`` ("cpu"; others are kept unused)."""
    def register(fn):
        target = op._op if isinstance(op, CustomOpDef) else _lookup(op)
        for d in ([device_types] if isinstance(device_types, str) or device_types is None else device_types):
            target.kernels["CPU" if d in (None, "cpu") else d] = fn
        return fn
    return register(func) if func is not None else register


def register_fake(op, func=None, /, *, lib=None, _stacklevel=1, allow_override=False):
    """Keep ``func`` as ``op``'s fake (meta) implementation; ember runs real kernels only, so it is not called."""
    def register(fn):
        target = op._op if isinstance(op, CustomOpDef) else _lookup(op)
        target.fake = fn
        return fn
    return register(func) if func is not None else register


impl_abstract = register_fake


def register_autograd(op, backward, /, *, setup_context=None, lib=None):
    """Give ``op`` a gradient: ``setup_context(ctx, inputs, output)`` saves what ``backward(ctx, *grads)``
    needs; ``backward`` returns one gradient (or None) per input. The forward then runs without autograd."""
    target = op._op if isinstance(op, CustomOpDef) else _lookup(op)
    if not callable(backward):
        raise TypeError(f"register_autograd: backward must be callable, got {type(backward).__name__}")
    target.backward, target.setup_context = backward, setup_context


def get_ctx():
    raise RuntimeError("torch.library.get_ctx() may only be called from inside a fake implementation; ember does "
                       "not run fake implementations")


class CustomOpDef:
    """What ``@custom_op`` returns: callable as the operator, with ``register_fake``, ``register_autograd``
    and ``register_kernel``."""

    def __init__(self, op, fn):
        self._op, self._init_fn = op, fn
        self._opoverload = op.opoverload
        self._namespace, self._name = op.ns, op.name
        self.__name__ = op.name
        self.__doc__ = getattr(fn, "__doc__", None)

    def __call__(self, *args, **kwargs):
        return self._op(*args, **kwargs)

    def register_fake(self, fn, /):
        self._op.fake = fn
        return fn

    def register_autograd(self, backward, /, *, setup_context=None):
        register_autograd(self, backward, setup_context=setup_context)

    def register_kernel(self, device_types, fn=None, /):
        return register_kernel(self, device_types, fn)

    def __repr__(self):
        return f"<CustomOpDef({self._namespace}::{self._name})>"


def custom_op(name, fn=None, /, *, mutates_args, device_types=None, schema=None, tags=None):
    """Wrap a typed Python function as the operator ``name`` (``"ns::op"``); see the module docstring.

    Args:
        mutates_args: the names of the arguments the function writes into (``()`` for none).
        schema: the schema string instead of inferring it (``"(Tensor x) -> Tensor"``).
    """
    def wrap(func):
        ns, op_name, overload = _qualname(name)
        sig = schema if schema is not None else infer_schema(func, mutates_args=mutates_args)
        key = (ns, op_name, overload)
        if key in _OPERATORS:
            warnings.warn(f"custom_op: {ns}::{op_name} is defined again; the new definition replaces the old one",
                          stacklevel=3)
        op = _define(ns, op_name + sig, custom=True, replace=True)
        op.kernels["CPU"] = func
        return CustomOpDef(op, func)
    return wrap(fn) if fn is not None else wrap


def opcheck(op, args, kwargs=None, *, test_utils=("test_schema", "test_autograd_registration", "test_faketensor",
                                                  "test_aot_dispatch_dynamic"), raise_exception=True, atol=None,
            rtol=None):
    """Run ``op`` once on ``args`` (ember has no fake tensors or AOT dispatch to check against); the
    results report each requested check as "SUCCESS" when the eager call and, with an autograd
    formula, its backward ran."""
    op(*args, **(kwargs or {}))
    return {name: "SUCCESS" for name in test_utils}
