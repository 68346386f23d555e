"""``symbolic_trace``, ``Tracer`` and ``wrap``: record a module's ``forward`` as a Graph, as ``torch.fx``.

:meth:`Tracer.trace` calls ``forward`` once with a :class:`~ember.fx.Proxy` for each input.
While it runs, the tracer patches (and afterwards restores):

* ``nn.Module.__call__``: a call of a *leaf* submodule (:meth:`Tracer.is_leaf_module`: ember's own
  layers, not ``Sequential``) records ``call_module``; any other submodule is traced through;
* ``nn.Module.__getattr__``: reading a parameter gives a ``get_attr`` proxy;
* ember's public functions (``torch.*``, ``torch.nn.functional.*``, ``torch.linalg.*`` ...) and the
  same functions bound by name in the traced code's globals: called with a proxy, they record
  ``call_function`` (PyTorch gets this from ``__torch_function__``; ember has no such hook);
* functions registered with :func:`wrap`, and ``math`` functions bound in the traced globals;
* Tensor operators: ``tensor + proxy`` records ``call_method[add]`` on the tensor, as torch does.

>>> import ember, ember.fx as fx
>>> class M(ember.nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.linear = ember.nn.Linear(4, 3)
...     def forward(self, x):
...         return ember.relu(self.linear(x)) + 1
>>> gm = fx.symbolic_trace(M())
>>> [(n.op, getattr(n.target, "__name__", n.target)) for n in gm.graph.nodes][1:3]
[('call_module', 'linear'), ('call_function', 'relu')]
"""
import builtins
import functools
import inspect
import math
import sys

from .graph import Graph, namespace_functions
from .graph_module import GraphModule
from .proxy import Proxy, TracerBase, TraceError

__all__ = ["Tracer", "symbolic_trace", "wrap", "PH"]

_WRAPPED = []   # (globals dict, name) registered by wrap()


class PHBase:
    """A placeholder inside ``concrete_args``: that part of the argument stays an input."""

    def __repr__(self):
        return "PH"


PH = PHBase()


def _assert(condition, message):
    """``torch._assert``: raise ``AssertionError(message)`` unless ``condition``."""
    if not condition:
        raise AssertionError(message)


def _assert_is_none(value, msg):
    assert value is None, msg


_assert._fx_impure = _assert_is_none._fx_impure = True
_assert._fx_global_name = "_assert"
_assert_is_none._fx_global_name = "_assert_is_none"


def _find_proxy(a):
    if isinstance(a, Proxy):
        return a
    if isinstance(a, (tuple, list)):
        for e in a:
            p = _find_proxy(e)
            if p is not None:
                return p
    elif isinstance(a, dict):
        for e in a.values():
            p = _find_proxy(e)
            if p is not None:
                return p
    elif isinstance(a, slice):
        return _find_proxy((a.start, a.stop, a.step))
    return None


class _Recording:
    """``fn`` that records ``call_function[fn]`` when any argument holds a proxy, else just calls it.

    It compares (``==``, ``in``, dict keys) equal to ``fn``, so code that looks a function up while
    it is patched (``target == torch.relu`` in a Transformer) still finds the original."""

    def __init__(self, fn):
        self._fx_original = fn
        for k in ("__name__", "__qualname__", "__module__", "__doc__"):
            setattr(self, k, getattr(fn, k, None))
        self.__wrapped__ = fn

    def __call__(self, *args, **kwargs):
        proxy = _find_proxy(args)
        if proxy is None:
            proxy = _find_proxy(kwargs)
        if proxy is not None:
            return proxy.tracer.create_proxy("call_function", self._fx_original, args, kwargs)
        return self._fx_original(*args, **kwargs)

    def __eq__(self, other):
        return other is self or other is self._fx_original or (
            isinstance(other, _Recording) and other._fx_original is self._fx_original)

    def __hash__(self):
        return hash(self._fx_original)

    def __repr__(self):
        return repr(self._fx_original)

    def __get__(self, obj, objtype=None):
        # Stored on a class (a patched method), bind like the function it stands for.
        return self if obj is None else functools.partial(self, obj)


def wrap(fn_or_name):
    """Record calls of this module-level function as one ``call_function`` node instead of tracing into it.

    Call it at module scope, with the function or its name (``torch.fx.wrap("len")`` also works for
    builtins). Returns its argument, so it works as a decorator."""
    if callable(fn_or_name):
        name = fn_or_name.__code__.co_name
    elif isinstance(fn_or_name, str):
        name = fn_or_name
    else:
        raise AssertionError("Unsupported type for global function! Must be either a callable or string name")
    frame = inspect.currentframe().f_back
    if frame.f_code.co_name != "<module>":
        raise NotImplementedError("wrap must be called at the top level of a module")
    _WRAPPED.append((frame.f_globals, name))
    return fn_or_name


class _Patcher:
    """Replaces attributes and dict entries for the duration of a trace; restores them in reverse."""

    def __init__(self):
        self._undo = []

    def setattr(self, obj, name, value):
        self._undo.append((obj, name, obj.__dict__.get(name, _MISSING) if isinstance(obj, type) else
                           getattr(obj, name, _MISSING), True))
        setattr(obj, name, value)

    def setcell(self, cell, value):
        self._undo.append((cell, "cell_contents", cell.cell_contents, True))
        cell.cell_contents = value

    def setitem(self, d, name, value):
        self._undo.append((d, name, d.get(name, _MISSING), False))
        d[name] = value

    def restore(self):
        while self._undo:
            obj, name, old, is_attr = self._undo.pop()
            if is_attr:
                if old is _MISSING:
                    delattr(obj, name)
                else:
                    setattr(obj, name, old)
            elif old is _MISSING:
                obj.pop(name, None)
            else:
                obj[name] = old


_MISSING = object()
# A tensor operator given a proxy records the Tensor method torch's __torch_function__ reports for it.
_TENSOR_BINARY = {"__add__": "add", "__sub__": "sub", "__mul__": "mul", "__truediv__": "div", "__matmul__": "matmul",
                  "__pow__": "pow", "__mod__": "remainder", "__eq__": "eq", "__ne__": "ne", "__lt__": "lt",
                  "__le__": "le", "__gt__": "gt", "__ge__": "ge", "__floordiv__": "__floordiv__",
                  "__and__": "__and__", "__or__": "__or__", "__xor__": "__xor__", "__lshift__": "__lshift__",
                  "__rshift__": "__rshift__"}


def _defer_to_proxy(method, method_name):
    @functools.wraps(method)
    def wrapped(self, other):
        if isinstance(other, Proxy):
            return other.tracer.create_proxy("call_method", method_name, (self, other), {})
        return method(self, other)
    return wrapped


def patch_ember_functions(patcher, namespaces=(), closures=()):
    """Make ember's namespace functions record calls with proxies, and the same functions wherever
    ``namespaces`` (module globals, module instance dicts) or the cells of ``closures`` (functions)
    hold them by another name; make Tensor operators record a call_method with a proxy operand."""
    from ember.autograd.tensor import Tensor
    originals = {}
    for mod, _, name, fn in namespace_functions():
        wrapped = originals.get(id(fn))
        if wrapped is None:
            wrapped = originals[id(fn)] = _Recording(fn)
        patcher.setattr(mod, name, wrapped)
    for v in vars(math).values():
        if callable(v) and not isinstance(v, type):
            originals.setdefault(id(v), _Recording(v))

    def stand_in(v):
        w = originals.get(id(v))
        return w if w is not None and w._fx_original is v else None
    for d in namespaces:
        for name, v in list(d.items()):
            w = None if name.startswith("__") else stand_in(v)
            if w is not None:
                patcher.setitem(d, name, w)
    for f in closures:
        for cell in getattr(f, "__closure__", None) or ():
            try:
                w = stand_in(cell.cell_contents)
            except ValueError:      # an empty cell
                continue
            if w is not None:
                patcher.setcell(cell, w)
    for dunder, method_name in _TENSOR_BINARY.items():
        method = Tensor.__dict__.get(dunder)
        if method is not None:
            patcher.setattr(Tensor, dunder, _defer_to_proxy(method, method_name))
    for g, name in _WRAPPED:
        orig = g.get(name, getattr(builtins, name, None))
        if orig is not None:
            patcher.setitem(g, name, _Recording(orig))


class Tracer(TracerBase):
    """Turns a module or function into a :class:`~ember.fx.Graph` (see the module doc).

    Subclass it and override :meth:`is_leaf_module` (which submodules stay one ``call_module``),
    :meth:`call_module`, :meth:`create_arg` or :meth:`create_proxy` to change what is recorded."""

    def __init__(self, autowrap_modules=(math,), autowrap_functions=(), param_shapes_constant=False):
        self.autowrap_modules = tuple(autowrap_modules)
        self.autowrap_functions = tuple(autowrap_functions)
        self.param_shapes_constant = param_shapes_constant
        self.traced_func_name = "forward"
        self.root = None
        self.graph = None

    # -- what becomes a node -----------------------------------------------------------------------
    def is_leaf_module(self, m, module_qualified_name):
        """ember's (torch's) own layers are leaves, except ``Sequential``; user modules are traced through."""
        from ember.nn import Sequential
        module = type(m).__module__ or ""
        return module.startswith(("ember.nn", "torch.nn", "torch.ao.nn")) and not isinstance(m, Sequential)

    def path_of_module(self, mod):
        """The qualified name of ``mod`` in the traced root (``"layers.0"``)."""
        path = self._module_paths.get(id(mod))
        if path is None:
            raise NameError("module is not installed as a submodule")
        return path

    def call_module(self, m, forward, args, kwargs):
        """Record ``call_module`` for a leaf; trace through any other module's ``forward``."""
        qualified_name = self.path_of_module(m)
        if not self.is_leaf_module(m, qualified_name):
            return forward(*args, **kwargs)
        return self.create_proxy("call_module", qualified_name, args, kwargs)

    def getattr(self, attr, attr_val, parameter_proxy_cache):
        """A parameter read in ``forward`` becomes a (cached) ``get_attr`` proxy; anything else is itself."""
        from ember.nn import Parameter
        if isinstance(attr_val, Parameter):
            name = self._param_names.get(id(attr_val))
            if name is not None:
                if name not in parameter_proxy_cache:
                    parameter_proxy_cache[name] = self.create_proxy("get_attr", name, (), {})
                return parameter_proxy_cache[name]
        return attr_val

    def _create_other_arg(self, a):
        from ember.autograd.tensor import Tensor
        from ember.nn import Parameter
        if isinstance(a, Parameter):
            name = self._param_names.get(id(a))
            if name is None:
                raise NameError("parameter is not a member of this module")
            return self.create_node("get_attr", name, (), {})
        if isinstance(a, Tensor):
            name = self._tensor_attrs.get(id(a))
            if name is None:
                # A tensor made in forward: kept on the root as a constant, as torch.fx does.
                i = 0
                while hasattr(self.root, f"_tensor_constant{i}"):
                    i += 1
                name = f"_tensor_constant{i}"
                setattr(self.root, name, a)
                self._tensor_attrs[id(a)] = name
            return self.create_node("get_attr", name, (), {})
        if isinstance(a, _module_class()):
            raise NotImplementedError(f"argument of type: {type(a)}")
        return super()._create_other_arg(a)

    # -- the trace ----------------------------------------------------------------------------------
    def trace(self, root, concrete_args=None):
        """The graph of ``root``'s ``forward`` (or of the function ``root``)."""
        Module = _module_class()
        if isinstance(root, Module):
            self.root = root
            fn = getattr(type(root), self.traced_func_name)
        else:
            self.root = Module()
            fn = root
        self.graph = Graph(tracer_cls=type(self))
        self._module_paths = {}
        for name, m in self.root.named_modules():
            self._module_paths.setdefault(id(m), name)
        self._param_names = {id(p): n for n, p in self.root.named_parameters()}
        self._tensor_attrs = {}
        for mod_name, m in self.root.named_modules():
            prefix = mod_name + "." if mod_name else ""
            for k, v in list(vars(m).items()) + list(m._buffers.items()):
                if _is_tensor(v):
                    self._tensor_attrs.setdefault(id(v), prefix + k)
        args = self._args_for_root(fn, isinstance(root, Module), concrete_args or {})
        patcher = _Patcher()
        try:
            self._patch_modules(patcher, Module)
            patch_ember_functions(patcher, *_user_namespaces(self.root, fn))
            for mod in self.autowrap_modules:
                # math.sqrt(x.size(-1)) records call_function[math.sqrt], as torch.fx does.
                for name, v in list(vars(mod).items()):
                    if not name.startswith("_") and callable(v) and not isinstance(v, type):
                        patcher.setattr(mod, name, _Recording(v))
            for f in self.autowrap_functions:
                for g in _user_namespaces(self.root, fn)[0]:
                    for k, v in list(g.items()):
                        if v is f:
                            patcher.setitem(g, k, _Recording(f))
            result = fn(root, *args) if isinstance(root, Module) else fn(*args)
        finally:
            patcher.restore()
        self.create_node("output", "output", (self.create_arg(result),), {},
                         type_expr=getattr(fn, "__annotations__", {}).get("return"))
        return self.graph

    def _patch_modules(self, patcher, Module):
        tracer = self
        orig_call, orig_getattr = Module.__call__, Module.__getattr__
        cache = {}

        def module_call(mod, *args, **kwargs):
            def forward(*args, **kwargs):
                return orig_call(mod, *args, **kwargs)
            return tracer.call_module(mod, forward, args, kwargs)

        def module_getattr(mod, attr):
            return tracer.getattr(attr, orig_getattr(mod, attr), cache)
        patcher.setattr(Module, "__call__", module_call)
        patcher.setattr(Module, "__getattr__", module_getattr)

    def _args_for_root(self, fn, is_module, concrete_args):
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())[1 if is_module else 0:]
        unknown = set(concrete_args) - {p.name for p in params}
        if unknown:
            raise TraceError(f"concrete_args names {sorted(unknown)} that are not arguments of {fn.__qualname__}")
        args = []
        for p in params:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TraceError(f"symbolic_trace: {fn.__qualname__} takes *{p.name}; ember.fx traces only named "
                                 "arguments (give them as concrete_args or name them)")
            default = () if p.default is inspect.Parameter.empty else (p.default,)
            if p.name in concrete_args:
                args.append(self._concrete(p.name, concrete_args[p.name], default))
            else:
                args.append(self.create_proxy("placeholder", p.name, default, {},
                                              type_expr=getattr(fn, "__annotations__", {}).get(p.name)))
        return args

    def _concrete(self, name, value, default):
        """A concrete argument: a placeholder that is asserted to hold ``value`` (torch's specialization)."""
        count = [0]

        def replace(x):
            count[0] += 1
            out = self.create_proxy("placeholder", f"{name}_{count[0]}", default, {})
            if isinstance(x, PHBase):
                return out
            if x is None:
                self.create_proxy("call_function", _assert_is_none,
                                  (out, f"{name} has been specialized to have value None but got another value"), {})
            elif type(x) in (bool, int, float, str):
                self.create_proxy("call_function", _assert,
                                  (out == x, f"{name} has been specialized to have value {x} but got another value"),
                                  {})
            return x
        if isinstance(value, (list, tuple)):
            return type(value)(replace(v) for v in value)
        if isinstance(value, dict):
            return {k: replace(v) for k, v in value.items()}
        return replace(value)


def _user_namespaces(root, fn=None):
    """Where a traced program may hold ember functions by other names: the globals of every loaded
    module outside ember, the instance dicts of the root's modules (``self.act = F.gelu``), and the
    closure cells of ``forward`` functions."""
    namespaces = [vars(m) for name, m in list(sys.modules.items())
                  if m is not None and not name.startswith(("ember", "torch")) and hasattr(m, "__dict__")]
    fn = inspect.unwrap(fn) if fn is not None else None
    fn_globals = getattr(fn, "__globals__", None)
    if fn_globals is not None and all(fn_globals is not d for d in namespaces):
        namespaces.append(fn_globals)
    closures = [fn] if fn is not None else []
    for m in root.modules():
        namespaces.append(m.__dict__)
        forward = getattr(type(m), "forward", None)
        if forward is not None:
            closures.append(forward)
    return namespaces, closures


def _module_class():
    from ember.nn import Module
    return Module


def _is_tensor(v):
    from ember.autograd.tensor import Tensor
    return isinstance(v, Tensor)


def symbolic_trace(root, concrete_args=None):
    """Trace ``root`` (a module or a function) into a :class:`~ember.fx.GraphModule`.

    Args:
        root: an ``nn.Module`` or a function of tensors.
        concrete_args: values for some arguments, fixed in the graph (asserted when it runs).
    """
    tracer = Tracer()
    graph = tracer.trace(root, concrete_args)
    name = type(root).__name__ if isinstance(root, _module_class()) else root.__name__
    return GraphModule(tracer.root, graph, name)

