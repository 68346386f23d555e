"""The Python state a compiled function can reach, and how a replay checks and repeats it.

:class:`Walk` follows a function's closure, the globals it names, its bound ``self``,
default and module arguments: modules, optimizers, tensors (with their gradients),
dicts, lists and plain objects. It records every tensor and every container entry
with a path (``model.0.weight.grad``, ``opt.param_groups[0]['lr']``) for messages.

A trace compares the walk before and after the call: an entry that now holds another
tensor (``p.grad``: None -> a new gradient) is *rebound*, and a replay rebinds it the
same way; any other change (a counter, a new attribute, a list that grew) is a Python
side effect a replay could not repeat. The entries also give the replay's *guard*
(:func:`make_guard`): the same objects, the same scalars (``training``, ``lr``), the
same arrays under the tensors.

:class:`Snapshot` saves all of it (array contents too) so that a call can be undone:
the first replay runs eagerly first and compares (the safety net).
"""
import dis
import types

import numpy as np

from ..autograd.tensor import Tensor

_MISSING = object()
_SCALARS = (bool, int, float, complex, str, bytes, type(None), np.generic, np.dtype)
_SKIP_KEYS = {"_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
              "_load_state_dict_post_hooks", "_non_persistent_buffers_set", "_optimizer_state_dict_pre_hooks",
              "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
              "_optimizer_load_state_dict_post_hooks", "defaults"}
_TENSOR_ATTRS = {"_grad": "grad", "_rg": "requires_grad", "grad_fn": "grad_fn"}
_MAX_ITEMS = 2000
_MAX_OBJECTS = 50000


def is_scalar(v):
    if isinstance(v, _SCALARS):
        return True
    return type(v) is tuple and all(isinstance(x, _SCALARS) for x in v)


def _skip(obj):
    """Objects never walked: modules, classes, NumPy and builtin objects, autograd nodes, and objects whose
    class says ``_ember_compile_ignore = True`` (state kept outside compiled steps, such as metrics)."""
    if isinstance(obj, (dict, list, tuple)):
        return False
    if getattr(type(obj), "_ember_compile_ignore", False):
        return True
    return isinstance(obj, (types.ModuleType, type, types.BuiltinFunctionType, types.CodeType, np.ufunc)) \
        or type(obj).__module__.startswith(("numpy", "builtins", "ember.autograd.node", "ember.compiler"))


class Entry:
    """One slot: ``container[key]`` (``kind`` 'dict' or 'list') or ``getattr(container, key)`` ('attr')."""

    __slots__ = ("container", "kind", "key", "value", "path")

    def __init__(self, container, kind, key, value, path):
        self.container, self.kind, self.key, self.value, self.path = container, kind, key, value, path

    def get(self):
        c = self.container
        if self.kind == "dict":
            return c.get(self.key, _MISSING)
        if self.kind == "list":
            return c[self.key] if self.key < len(c) else _MISSING
        return getattr(c, self.key, _MISSING)

    def set(self, value):
        if self.kind == "attr":
            setattr(self.container, self.key, value)
        else:
            self.container[self.key] = value


class Walk:
    """Everything reachable from ``roots`` (a list of ``(name, object)``), in a fixed order."""

    def __init__(self, roots):
        self.tensors = {}       # id -> (tensor, path)
        self.entries = []       # Entry, for every slot of every container
        self.containers = {}    # id -> (container, path) of dicts and lists
        self.lengths = {}       # id -> len(container) when walked
        self.arrays = []        # Entry whose value is a bare ndarray
        self.generators = {}    # id -> ember Generator
        self._seen = set()
        from ..nn.module import Module
        # Modules first, so that parameters are named after their module (model.0.weight), not an optimizer.
        roots = sorted(roots, key=lambda r: not isinstance(r.value if isinstance(r, Entry) else r[1], Module))
        for root in roots:
            if isinstance(root, Entry):
                self._slot(root, -1)
            else:
                self._visit(root[1], root[0], 0)

    def _visit(self, obj, path, depth):
        if isinstance(obj, _SCALARS) or depth > 12 or len(self._seen) > _MAX_OBJECTS:
            return
        oid = id(obj)
        if oid in self._seen:
            return
        if isinstance(obj, Tensor):
            self._seen.add(oid)
            self.tensors[oid] = (obj, path)
            for attr in _TENSOR_ATTRS:
                v = getattr(obj, attr)
                self.entries.append(Entry(obj, "attr", attr, v, f"{path}.{_TENSOR_ATTRS[attr]}"))
                if isinstance(v, Tensor):
                    self._visit(v, f"{path}.grad", depth + 1)
            return
        from ..random import Generator
        if isinstance(obj, Generator):
            self._seen.add(oid)
            self.generators[oid] = obj
            return
        if isinstance(obj, np.ndarray):
            return
        if not isinstance(obj, (dict, list, tuple)) and _skip(obj):
            return
        self._seen.add(oid)
        if isinstance(obj, dict):
            if len(obj) > _MAX_ITEMS:
                return
            self.containers[oid] = (obj, path)
            self.lengths[oid] = len(obj)
            attrs = path.endswith("#")
            base = path[:-1] if attrs else path
            for i, (k, v) in enumerate(list(obj.items())):
                if k in _SKIP_KEYS:
                    continue
                if isinstance(k, Tensor):
                    if id(k) not in self.tensors:
                        self._visit(k, f"{base}[#{i}]", depth + 1)
                    kp = self.tensors[id(k)][1]
                else:
                    kp = repr(k) if isinstance(k, _SCALARS) else type(k).__name__
                self._slot(Entry(obj, "dict", k, v, f"{base}.{k}" if attrs else f"{base}[{kp}]"), depth)
            return
        if isinstance(obj, list):
            if len(obj) > _MAX_ITEMS:
                return
            self.containers[oid] = (obj, path)
            self.lengths[oid] = len(obj)
            for i, v in enumerate(obj):
                self._slot(Entry(obj, "list", i, v, f"{path}[{i}]"), depth)
            return
        if isinstance(obj, tuple):
            for i, v in enumerate(obj):
                self._visit(v, f"{path}[{i}]", depth + 1)
            return
        if isinstance(obj, types.FunctionType):
            for name, cell in zip(obj.__code__.co_freevars, obj.__closure__ or ()):
                try:
                    self._visit(cell.cell_contents, f"{path}.<{name}>", depth + 1)
                except ValueError:
                    pass
            return
        if isinstance(obj, types.MethodType):
            self._visit(obj.__self__, path, depth + 1)
            return
        d = getattr(obj, "__dict__", None)
        if isinstance(d, dict):
            self._seen.add(id(d))
            self.containers[id(d)] = (d, path)
            self.lengths[id(d)] = len(d)
            for k, v in list(d.items()):
                if k not in _SKIP_KEYS:
                    # A module's parameters, buffers and submodules are named as its attributes: model.0.weight.
                    inner = path + "#" if k in ("_parameters", "_buffers", "_modules") else None
                    self._slot(Entry(d, "dict", k, v, f"{path}.{k}"), depth, inner)

    def _slot(self, entry, depth, path=None):
        self.entries.append(entry)
        v = entry.value
        if isinstance(v, np.ndarray):
            self.arrays.append(entry)
        else:
            self._visit(v, path or entry.path, depth + 1)

    def paths(self):
        """``{path: array}`` of every tensor, for comparing two runs."""
        return {path: t._data for t, path in self.tensors.values()}


def function_roots(fn):
    """What a function can reach: its bound self, closure cells, the globals it names, its defaults.

    Returns ``(name, object)`` pairs and :class:`Entry` objects; an entry (a closure cell, a
    global) is also guarded, so rebinding a global the function uses makes it trace again.
    """
    roots = []
    if isinstance(fn, types.MethodType):
        roots.append(("self", fn.__self__))
        fn = fn.__func__
    if not isinstance(fn, types.FunctionType):
        roots.append((getattr(fn, "__name__", type(fn).__name__), fn))
        call = getattr(type(fn), "__call__", None)
        fn = call if isinstance(call, types.FunctionType) else None
        if fn is None:
            return roots
    _code_roots(fn, "", roots, follow=True)
    for i, d in enumerate(fn.__defaults__ or ()):
        roots.append((f"<default {i}>", d))
    for k, d in (fn.__kwdefaults__ or {}).items():
        roots.append((k, d))
    return roots


def _code_roots(fn, prefix, roots, follow):
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        if not _skip(value):
            roots.append(Entry(cell, "attr", "cell_contents", value, prefix + name))
    g = fn.__globals__
    for name in _global_names(fn.__code__):
        value = g.get(name, _MISSING)
        if value is _MISSING or _skip(value):
            continue
        roots.append(Entry(g, "dict", name, value, prefix + name))
        # A helper the function calls may reach state of its own (a loss with class weights ...): one level.
        if follow and isinstance(value, types.FunctionType):
            _code_roots(value, f"{name}.", roots, follow=False)


def _global_names(code):
    """The globals a code object (and the functions, lambdas, comprehensions inside it) loads."""
    names = [ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")]
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names.extend(_global_names(c))
    return list(dict.fromkeys(names))


class Snapshot:
    """Every slot, tensor array (contents too), extra array and generator state of a walk, to restore later."""

    def __init__(self, walk, extra_arrays=()):
        self.containers = []
        for c, _ in walk.containers.values():
            self.containers.append((c, dict(c) if isinstance(c, dict) else list(c)))
        self.attrs = [(e.container, e.key, e.get()) for e in walk.entries if e.kind == "attr"]
        self.tensors = [(t, t._data, t._vc[0] if t._vc is not None else None) for t, _ in walk.tensors.values()]
        self.arrays = []
        seen = set()
        for a in [t._data for t, _ in walk.tensors.values()] + [e.get() for e in walk.arrays] + list(extra_arrays):
            if isinstance(a, np.ndarray) and id(a) not in seen:
                seen.add(id(a))
                self.arrays.append((a, np.array(a, copy=True)))
        from ..random import default_generator
        gens = dict(walk.generators)
        gens[id(default_generator)] = default_generator
        # the MT19937 words and torch's cached normal sample (part of the stream's state)
        self.generators = [(g, g._rng, g._rng.bit_generator.state, getattr(g, "_normal", None))
                           for g in gens.values()]

    def restore(self):
        for c, saved in self.containers:
            if isinstance(c, dict):
                c.clear()
                c.update(saved)
            else:
                c[:] = saved
        for obj, key, value in self.attrs:
            if value is _MISSING:
                obj.__dict__.pop(key, None)
            else:
                setattr(obj, key, value)
        for t, a, vc in self.tensors:
            t._data = a
            if vc is not None:
                t._vc[0] = vc
        for a, saved in self.arrays:
            if a.flags.writeable:
                np.copyto(a, saved)
        for g, rng, state, normal in self.generators:
            g._rng = rng
            rng.bit_generator.state = state
            g._normal = normal


class GuardBuilder:
    """Checks that hold when a replay is valid, compiled into one Python function returning -1 or the failed check."""

    def __init__(self):
        self._lines = []
        self._consts = {}
        self.reasons = []

    def _c(self, obj):
        name = f"_c{len(self._consts)}"
        self._consts[name] = obj
        return name

    def add(self, template, objs, reason):
        names = [self._c(o) for o in objs]
        self._lines.append(f"    if {template.format(*names)}: return {len(self.reasons)}")
        self.reasons.append(reason)

    def entry(self, e, mode):
        """A slot check; ``mode`` is 'is' (same object), 'eq' (equal scalar), 'none' or 'notnone'."""
        if e.kind == "attr":
            get = f"{{0}}.{e.key}"
            objs = [e.container]
        elif e.kind == "dict":
            get = "{0}({1}, _MISSING)"
            objs = [e.container.get, e.key]
        else:
            get = "{0}[{1}]"
            objs = [e.container, e.key]
        n = len(objs)
        if mode == "is":
            self.add(f"{get} is not {{{n}}}", objs + [e.value], f"{e.path} is another object")
        elif mode == "eq":
            self.add(f"{get} != {{{n}}}", objs + [e.value], f"{e.path} changed (traced with {e.value!r})")
        elif mode == "none":
            self.add(f"{get} is not None", objs, f"{e.path} is no longer None")
        else:
            self.add(f"{get} is None", objs, f"{e.path} is None")

    def length(self, container, path):
        self.add("len({0}) != {1}", [container, len(container)], f"{path} changed size")

    def build(self):
        params = ", ".join(f"{n}={n}" for n in self._consts)
        src = f"def guard({params}):\n" + "\n".join(self._lines + ["    return -1"]) + "\n"
        ns = dict(self._consts)
        ns["_MISSING"] = _MISSING
        exec(compile(src, "<ember.compile guard>", "exec"), ns)  # noqa: S102 - generated from our own checks
        return ns["guard"]
