"""``Module``: the base class of every layer and model.

A module owns parameters, buffers and submodules, registered by plain attribute
assignment (``self.fc = Linear(4, 2)``), and computes ``forward``. The API is
PyTorch's: ``parameters()``, ``named_modules()``, ``state_dict()`` /
``load_state_dict()``, ``train()`` / ``eval()``, ``to(dtype)``, forward and
backward hooks, and the nested ``repr``.

When an error escapes a submodule's ``forward``, each enclosing ``Module.__call__``
rewrites its message to name the submodule's path in the model
(``Net.fc1 (Linear(in_features=784, ...)): ...``), so shape mistakes point at the
layer that received the bad input.

>>> import ember
>>> from ember import nn
>>> class Net(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.fc = nn.Linear(4, 2)
...     def forward(self, x):
...         return self.fc(x).relu()
>>> net = Net()
>>> [name for name, _ in net.named_parameters()]
['fc.weight', 'fc.bias']
>>> net(ember.ones(3, 4)).shape
ember.Size([3, 2])
"""
import functools
import itertools
import warnings
from collections import OrderedDict, namedtuple

import numpy as np

from ..autograd import grad_mode
from ..autograd.tensor import Tensor, _new, device as _device
from ..backend import dtypes as _dt
from .parameter import Parameter, Buffer
from .hooks import (RemovableHandle, _BackwardHooks, _add_hook, _global, _global_forward_pre_hooks,  # noqa: F401
                    _global_forward_hooks, _global_forward_hooks_with_kwargs, _global_forward_hooks_always_called,
                    _global_backward_hooks, register_module_forward_pre_hook,
                    register_module_forward_hook, register_module_full_backward_hook)
from .errors import ModuleInputError, input_error, _locate_error  # noqa: F401  (re-exported)


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(s, n):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    pad = " " * n
    return lines[0] + "\n" + "\n".join(pad + line for line in lines[1:])


def _typename(v):
    if isinstance(v, Tensor):
        return v.type()  # PyTorch's own words: 'torch.FloatTensor'
    return type(v).__name__


def _as_tensor(v):
    """A state-dict value as an ember tensor: ember tensors, NumPy arrays and array-likes (a torch tensor)."""
    if isinstance(v, Tensor):
        return v
    if not isinstance(v, np.ndarray) and hasattr(v, "detach") and hasattr(v, "numpy"):
        v = v.detach().cpu().numpy()
    t = _new(Tensor)
    t._data = v if isinstance(v, np.ndarray) else np.asarray(v)
    return t



def _numpy_input_error(module, args, kwargs):
    """A TypeError naming the module when ``forward`` failed on a NumPy array where a Tensor belongs."""
    named = [(f"position {i + 1}", a) for i, a in enumerate(args)] + [(f"'{k}'", v) for k, v in kwargs.items()]
    for where, value in named:
        if isinstance(value, np.ndarray):
            e = TypeError(f"{module._short_repr()}: argument {where} must be Tensor, not numpy.ndarray; convert it "
                          f"with ember.from_numpy(x) (shares memory) or ember.tensor(x)")
            e._ember_module, e._ember_detail, e._ember_plain = module, str(e.args[0]), False
            return e
    return None


class Module:
    """Base class of layers and models: subclass it, assign layers in ``__init__``, write ``forward``."""

    training: bool
    _version = 1
    dump_patches = False
    call_super_init = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and hasattr(init, "__code__") and \
                "device" in init.__code__.co_varnames[:init.__code__.co_argcount + init.__code__.co_kwonlyargcount]:
            cls.__init__ = _on_device(init)

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments {args} {kwargs}")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_hooks_with_kwargs"] = OrderedDict()
        d["_forward_hooks_always_called"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        d["_state_dict_hooks"] = OrderedDict()
        d["_state_dict_pre_hooks"] = OrderedDict()
        d["_load_state_dict_pre_hooks"] = OrderedDict()
        d["_load_state_dict_post_hooks"] = OrderedDict()

    # -- forward -------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks \
                or _global[0]:
            return self._call_with_hooks(args, kwargs)
        try:
            return self.forward(*args, **kwargs)
        except (RuntimeError, ValueError, IndexError, TypeError) as e:
            _locate_error(self, e)
            raise
        except AttributeError:
            # Checked only once forward has failed, so a NumPy input costs nothing on the normal path.
            err = _numpy_input_error(self, args, kwargs)
            if err is None:
                raise
            raise err from None

    _call_impl = __call__

    def _call_with_hooks(self, args, kwargs):
        result, called_always = None, set()
        pre_kw = self._forward_pre_hooks_with_kwargs
        try:
            for hook_id, hook in itertools.chain(_global_forward_pre_hooks.items(), self._forward_pre_hooks.items()):
                if hook_id in pre_kw:
                    r = hook(self, args, kwargs)
                    if r is not None:
                        if not (isinstance(r, tuple) and len(r) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, "
                                               f"new_kwargs), but got {r}.")
                        args, kwargs = r
                else:
                    r = hook(self, args)
                    if r is not None:
                        args = r if isinstance(r, tuple) else (r,)
            bw = None
            if (self._backward_hooks or self._backward_pre_hooks or _global_backward_hooks) \
                    and grad_mode.state.enabled:
                bw = _BackwardHooks(self)
                args = bw.wrap_inputs(args)
            result = self.forward(*args, **kwargs)
            post_kw, always = self._forward_hooks_with_kwargs, self._forward_hooks_always_called
            for hook_id, hook in _global_forward_hooks.items():
                if hook_id in _global_forward_hooks_always_called:
                    called_always.add(hook_id)
                r = hook(self, args, kwargs, result) if hook_id in _global_forward_hooks_with_kwargs \
                    else hook(self, args, result)
                if r is not None:
                    result = r
            for hook_id, hook in self._forward_hooks.items():
                if hook_id in always:
                    called_always.add(hook_id)
                r = hook(self, args, kwargs, result) if hook_id in post_kw else hook(self, args, result)
                if r is not None:
                    result = r
            if bw is not None:
                result = bw.wrap_outputs(result)
            return result
        except Exception as e:
            if _global_forward_hooks_always_called or self._forward_hooks_always_called:
                self._run_always_called_hooks(args, kwargs, result, called_always)
            if isinstance(e, (RuntimeError, ValueError, IndexError, TypeError)):
                _locate_error(self, e)
            raise

    def _run_always_called_hooks(self, args, kwargs, result, called):
        """PyTorch's ``always_call=True``: forward hooks that still run when forward (or a hook) raised,
        their own errors turned into warnings so that the first error propagates."""
        import warnings
        for hook_id, hook in _global_forward_hooks.items():
            if hook_id in _global_forward_hooks_always_called and hook_id not in called:
                try:
                    r = hook(self, args, kwargs, result) if hook_id in _global_forward_hooks_with_kwargs \
                        else hook(self, args, result)
                    result = result if r is None else r
                except Exception as e:
                    warnings.warn("global module forward hook with ``always_call=True`` raised an exception that "
                                  f"was silenced as another error was raised in forward: {e}")
        for hook_id, hook in self._forward_hooks.items():
            if hook_id in self._forward_hooks_always_called and hook_id not in called:
                try:
                    r = hook(self, args, kwargs, result) if hook_id in self._forward_hooks_with_kwargs \
                        else hook(self, args, result)
                    result = result if r is None else r
                except Exception as e:
                    warnings.warn("module forward hook with ``always_call=True`` raised an exception that was "
                                  f"silenced as another error was raised in forward: {e}")

    # -- hooks ---------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` (or ``hook(module, args, kwargs)``) runs before ``forward``; it may
        return new args (or ``(args, kwargs)``)."""
        return _add_hook(self._forward_pre_hooks, hook, prepend, ((self._forward_pre_hooks_with_kwargs, with_kwargs),))

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """``hook(module, args, output)`` (or ``hook(module, args, kwargs, output)``) runs after
        ``forward``; it may return a new output."""
        return _add_hook(self._forward_hooks, hook, prepend, ((self._forward_hooks_with_kwargs, with_kwargs),
                                                              (self._forward_hooks_always_called, always_call)))

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` runs when the gradients of the module's tensor inputs
        are computed; it may return new ``grad_input``. ``grad_input`` has one entry per tensor
        positional argument (None where it needs no gradient)."""
        return _add_hook(self._backward_hooks, hook, prepend)

    register_backward_hook = register_full_backward_hook

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` runs when the gradients of the module's outputs are known; it
        may return new ``grad_output``."""
        return _add_hook(self._backward_pre_hooks, hook, prepend)

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)`` runs before ``state_dict`` collects this module's tensors."""
        return _add_hook(self._state_dict_pre_hooks, hook, False)

    def register_state_dict_post_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` runs after; it may change ``state_dict``."""
        return _add_hook(self._state_dict_hooks, hook, False)

    _register_state_dict_hook = register_state_dict_post_hook

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)`` runs before this module loads its entries."""
        return _add_hook(self._load_state_dict_pre_hooks, hook, False)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        if with_module:
            return self.register_load_state_dict_pre_hook(hook)
        return self.register_load_state_dict_pre_hook(lambda m, *a: hook(*a))

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)`` runs after ``load_state_dict``; it may edit the key lists."""
        return _add_hook(self._load_state_dict_post_hooks, hook, False)

    # -- attribute registration ----------------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove_from(self, name, params)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(ember.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        else:
            modules = d.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                _remove_from(self, name, modules)
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                    "(ember.nn.Module or None expected)")
                modules[name] = value
            else:
                buffers = d.get("_buffers")
                if isinstance(value, Buffer) or (buffers is not None and name in buffers):
                    if buffers is None:
                        raise AttributeError("cannot assign buffer before Module.__init__() call")
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                        "(ember.Tensor or None expected)")
                    if isinstance(value, Buffer):
                        persistent = value.persistent
                        value = _plain(value)
                    else:
                        persistent = name not in self._non_persistent_buffers_set
                    if name not in buffers:
                        _remove_from(self, name, buffers)
                    self.register_buffer(name, value, persistent)
                else:
                    object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            reg = d.get(key)
            if reg is not None and name in reg:
                return reg[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        if name in d.get("_parameters", ()):
            del self._parameters[name]
        elif name in d.get("_buffers", ()):
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in d.get("_modules", ()):
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = set(dir(type(self))) | set(self.__dict__) | set(self._parameters) | set(self._modules) \
            | set(self._buffers)
        return sorted(k for k in keys if not k[:1].isdigit())

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)
        for key in ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
                    "_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_backward_hooks", "_backward_pre_hooks",
                    "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                    "_load_state_dict_post_hooks"):
            self.__dict__.setdefault(key, OrderedDict())
        self.__dict__.setdefault("_non_persistent_buffers_set", set())

    def register_parameter(self, name, param):
        """Add ``param`` (a :class:`Parameter` or None) as parameter ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(ember.nn.Parameter or None required)")
        if param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             f"created explicitly. To express '{name}' as a function of another Tensor, compute "
                             "the value in the forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add ``tensor`` as buffer ``name``: saved in the ``state_dict`` (unless ``persistent=False``),
        moved by ``to()``, but not returned by ``parameters()``."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(ember.Tensor or None required)")
        if isinstance(tensor, (Buffer, Parameter)):
            tensor = _plain(tensor) if isinstance(tensor, Buffer) else tensor
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add ``module`` (a Module or None) as child ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The submodule at dotted path ``target`` (``"encoder.layers.0"``); ``""`` is the module itself."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def set_submodule(self, target, module, strict=False):
        """Replace the submodule at dotted path ``target`` with ``module``."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        setattr(parent, name, module)

    def get_parameter(self, target):
        """The parameter at dotted path ``target`` (``"fc.weight"``)."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        p = getattr(mod, name)
        if not isinstance(p, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return p

    def get_buffer(self, target):
        """The buffer at dotted path ``target``."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return mod._buffers[name]

    def get_extra_state(self):
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called.")

    def set_extra_state(self, state):
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called.")

    # -- iteration -------------------------------------------------------------------------------
    def _module_list(self, prefix="", remove_duplicate=True):
        """``named_modules`` as a list, built without recursion (the parameter iterators run every step)."""
        out, memo = [], set()
        stack = [(prefix, self)]
        while stack:
            p, m = stack.pop()
            if remove_duplicate:
                if id(m) in memo:
                    continue
                memo.add(id(m))
            out.append((p, m))
            children = m._modules
            if children:
                stack.extend(reversed([(p + "." + k if p else k, c) for k, c in children.items() if c is not None]))
        return out

    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        mods = self._module_list(prefix, remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for k, v in get_members(mod):
                if v is None or (remove_duplicate and id(v) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield (mod_prefix + ("." if mod_prefix else "") + k, v)

    def parameters(self, recurse=True):
        """Every parameter of this module and (with ``recurse``) its submodules, each once."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """``(dotted name, parameter)`` pairs, in registration order, shared parameters once."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_children(self):
        memo = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in memo:
                memo.add(id(m))
                yield name, m

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """``(dotted name, module)`` pairs, this module first (name ``prefix``), depth first."""
        if memo is None:
            memo = set()
        if id(self) in memo and remove_duplicate:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from m.named_modules(memo, sub, remove_duplicate)

    # -- modes and gradients ----------------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (dropout active, batch norm uses batch statistics) here and below."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self):
        """Set evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters: to None (default) or to zeros."""
        for _, m in self._module_list():
            for p in m._parameters.values():
                if p is not None:
                    _zero(p, set_to_none)

    # -- conversion ----------------------------------------------------------------------------
    def _apply(self, fn, recurse=True):
        if recurse:
            for m in self.children():
                m._apply(fn)
        for p in self._parameters.values():
            if p is None:
                continue
            new = fn(p)
            if new._data is not p._data:
                p._data = new._data
                p._vc = None
            g = p._grad
            if g is not None:
                ng = fn(g)
                if ng._data is not g._data:
                    p._grad = ng.detach()
        for k, b in self._buffers.items():
            if b is not None:
                self._buffers[k] = fn(b)
        return self

    def apply(self, fn):
        """Call ``fn(m)`` on every submodule (children first) and on this module; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``: convert the floating point
        parameters and buffers in place. Only the CPU exists in ember."""
        from ..autograd.tensor import device as _device, require_cpu as _require_cpu
        dtype = kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        kwargs.pop("copy", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, _device)) or isinstance(a, int) and not isinstance(a, bool):
                dev = a if not isinstance(a, int) else f"cuda:{a}"
            elif isinstance(a, _dt.dtype) or type(a).__name__ == "dtype":
                dtype = a
            elif a is None or isinstance(a, bool):
                pass
            else:
                raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
        to_meta = False
        if dev is not None:
            to_meta = _device(dev).type == "meta"
            if not to_meta:
                _require_cpu(dev, "modules")  # only the CPU: raises a clear error for anything else
                if _has_meta(self):
                    raise NotImplementedError("Cannot copy out of meta tensor; no data! Please use "
                                              "torch.nn.Module.to_empty() instead of torch.nn.Module.to() when moving "
                                              "module from meta to a different device.")
        d = None
        if dtype is not None:
            d = _dt.to_dtype(dtype)
            if not d.is_floating_point:
                raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                                f"dtype={d}")
        if to_meta:  # a storage-free copy of the model (the model-ensembling tutorial's base_model.to("meta"))
            self._apply(lambda t: t.to("meta"))
        if d is None:
            return self
        return self._apply(lambda t: t.to(d) if t.is_floating_point() else t)

    def to_empty(self, *, device, recurse=True):
        """Move the parameters and buffers to ``device`` without copying their values: a meta module gets
        uninitialized CPU storage (``reset_parameters()``, ``init`` functions or ``load_state_dict`` fill it), a
        CPU module on the CPU keeps what it holds, ``device="meta"`` drops the storage. The parameters stay the
        same objects (torch makes new ones, which unties tied weights). Returns self."""
        from ..autograd.tensor import require_cpu as _require_cpu
        from ..creation import empty_like
        if isinstance(device, int) and not isinstance(device, bool):
            device = f"cuda:{device}"
        if device is None or _device(device).type != "meta":
            _require_cpu("cpu" if device is None else device, "modules")
            return self._apply(lambda t: empty_like(t, device="cpu") if t.is_meta else t, recurse)
        return self._apply(lambda t: t if t.is_meta else empty_like(t, device="meta"), recurse)

    def float(self):
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def bfloat16(self):
        """Cast the floating-point parameters and buffers to bfloat16 (needs ml_dtypes, the ``bfloat16``
        extra)."""
        return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)

    def type(self, dst_type):
        return self._apply(lambda t: t.type(dst_type))

    def cpu(self):
        if _has_meta(self):
            raise NotImplementedError("Cannot copy out of meta tensor; no data!")
        return self

    def cuda(self, device=None):
        raise RuntimeError("ember runs on the CPU only; there is no CUDA device (use .cpu() or .to('cpu'))")

    def share_memory(self):
        return self

    # -- state dict ------------------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An ``OrderedDict`` from dotted names to this model's parameters and persistent buffers
        (detached, sharing memory), in registration order; the keys match PyTorch's."""
        if args:
            destination = args[0] if len(args) > 0 else destination
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        meta = getattr(destination, "_metadata", None)
        if meta is not None:
            meta[prefix[:-1]] = {"version": self._version}
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            r = hook(self, destination, prefix, meta.get(prefix[:-1]) if meta is not None else {})
            if r is not None:
                destination = r
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Load this module's own parameters and buffers (not its children's) from ``state_dict``;
        override to convert old checkpoints."""
        for hook in self._load_state_dict_pre_hooks.values():
            hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        persistent = {k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set}
        local = {k: v for k, v in itertools.chain(self._parameters.items(), persistent.items()) if v is not None}
        assign = (local_metadata or {}).get("assign_to_params_buffers", False)
        for name, param in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            try:
                inp = _as_tensor(state_dict[key])
            except Exception as e:  # noqa: BLE001
                error_msgs.append(f'While copying the parameter named "{key}", an exception occurred: {e}.')
                continue
            if param._data.ndim == 0 and inp._data.ndim == 1 and inp._data.shape[0] == 1:
                inp = inp[0]
            if inp._data.shape != param._data.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {inp.shape} from "
                                  f"checkpoint, the shape in current model is {param.shape}.")
                continue
            try:
                if assign:
                    if isinstance(param, Parameter):
                        new = Parameter(inp.detach(), requires_grad=param.requires_grad)
                        setattr(self, name, new)
                    else:
                        setattr(self, name, inp)
                elif param.is_meta and not inp.is_meta:
                    warnings.warn(f"for {key}: copying from a non-meta parameter in the checkpoint to a meta parameter "
                                  f"in the current model, which is a no-op. (Did you mean to pass `assign=True` to "
                                  f"assign items in the state dictionary to their corresponding key in the module "
                                  f"instead of copying them in place?)", UserWarning, stacklevel=2)
                else:
                    with grad_mode.no_grad():
                        param.copy_(inp)
            except Exception as e:  # noqa: BLE001
                error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in the model are '
                                  f"{param.shape} and whose dimensions in the checkpoint are {inp.shape}, an "
                                  f"exception occurred : {e.args}.")
        extra = prefix + "_extra_state"
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra in state_dict:
                self.set_extra_state(state_dict[extra])
            elif strict:
                missing_keys.append(extra)
        elif strict and extra in state_dict:
            unexpected_keys.append(extra)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra:
                    head = key[len(prefix):].split(".", 1)
                    if len(head) > 1:
                        if head[0] not in self._modules:
                            unexpected_keys.append(key)
                    elif head[0] not in local:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from ``state_dict`` (values may be ember tensors, NumPy arrays or
        torch tensors). With ``strict``, missing or unexpected keys raise; shape mismatches always raise.
        Returns ``(missing_keys, unexpected_keys)``."""
        from collections.abc import Mapping
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        if metadata is not None:
            state_dict._metadata = metadata

        def load(module, local_state, prefix=""):
            meta = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                meta["assign_to_params_buffers"] = True
            module._load_from_state_dict(local_state, prefix, meta, True, missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    cp = prefix + name + "."
                    load(child, {k: v for k, v in local_state.items() if k.startswith(cp)}, cp)
            for hook in module._load_state_dict_post_hooks.values():
                hook(module, _IncompatibleKeys(missing, unexpected))

        load(self, state_dict)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    # -- printing ------------------------------------------------------------------------------
    def extra_repr(self):
        """The text inside this module's parentheses in ``repr``; override in layers."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({k}): " + _addindent(repr(m), 2) for k, m in self._modules.items()]
        lines = extra_lines + child_lines
        s = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                s += extra_lines[0]
            else:
                s += "\n  " + "\n  ".join(lines) + "\n"
        return s + ")"

    def _short_repr(self):
        return self._get_name() + "(" + self.extra_repr().replace("\n", " ") + ")"



def _on_device(init):
    """``__init__`` of a layer that takes ``device=`` (``nn.Linear(4, 2, device="meta")``): run under
    ``with ember.device(device)`` when it names the CPU or the meta device, so the layer's factory calls make
    their tensors there as torch's ``factory_kwargs`` do; another device name is left to the layer."""
    code = init.__code__
    names = code.co_varnames[:code.co_argcount]
    pos = names.index("device") - 1 if "device" in names else None

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        dev = kwargs.get("device")
        if dev is None and pos is not None and len(args) > pos:
            dev = args[pos]
        kind = dev.type if isinstance(dev, _device) else dev.partition(":")[0] if isinstance(dev, str) else None
        if kind not in ("cpu", "meta"):
            return init(self, *args, **kwargs)
        with _device(kind):
            return init(self, *args, **kwargs)
    return __init__


def _has_meta(module):
    return any(t.is_meta for t in itertools.chain(module.parameters(), module.buffers()))


def _zero(p, set_to_none):
    g = p._grad
    if g is None:
        return
    if set_to_none:
        p._grad = None
        return
    if g._sparse:  # Embedding(sparse=True): no entries left
        g.zero_()
        return
    if g.grad_fn is not None:
        g.detach_()
    else:
        g._rg = False
    g._data.fill(0)
    g._bump()


def _check_name(name, kind):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain "."')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')


def _remove_from(module, name, keep):
    d = module.__dict__
    for reg in (d.get("_parameters"), d.get("_buffers"), d.get("_modules")):
        if reg is not None and reg is not keep and name in reg:
            del reg[name]
    if name in d:
        del d[name]
    nps = d.get("_non_persistent_buffers_set")
    if nps is not None and keep is not d.get("_buffers"):
        nps.discard(name)


def _plain(t):
    r = _new(Tensor)
    r._data = t._data
    if t._rg:
        r._rg = True
    return r
