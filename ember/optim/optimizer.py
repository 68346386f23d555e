"""``Optimizer``: the base of every optimizer, with PyTorch's parameter groups and state dict.

An optimizer holds ``param_groups`` (a list of dicts, each with a ``'params'`` list and its
own hyperparameters, defaults filled from ``defaults``) and ``state`` (a dict keyed by
parameter holding that parameter's buffers as tensors). Subclasses write ``step`` as a loop
over groups and parameters that updates each parameter's NumPy array in place.

``state_dict()`` has PyTorch's layout, parameters replaced by their position over all
groups::

    {'state': {0: {'step': tensor(3.), 'exp_avg': ...}, ...},
     'param_groups': [{'lr': 0.001, ..., 'params': [0, 1]}, ...]}

>>> import ember
>>> from ember import optim
>>> w = ember.tensor([1.0, -2.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()
>>> w
tensor([ 0.8000, -1.6000], requires_grad=True)
"""
import copy
import functools
import itertools
import warnings
from collections import OrderedDict, defaultdict

import numpy as np

from ..autograd.tensor import Tensor, make
from ..autograd import engine, grad_mode
from ..backend import dtypes as _dt

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a hyperparameter that every parameter group must give (no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class _RemovableHandle:
    """Returned by ``register_*_hook``; ``remove()`` unregisters the hook."""

    _next_id = itertools.count()

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = next(self._next_id)

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _typename(obj):
    if isinstance(obj, Tensor):
        return "ember.Tensor"
    t = type(obj)
    return t.__qualname__ if t.__module__ in ("builtins", None) else f"{t.__module__}.{t.__qualname__}"


def scalar_state(value):
    """A 0-d state tensor (such as ``step``) in the default float dtype, as PyTorch stores it."""
    dtype = np.float64 if _dt.get_default_dtype() is _dt.float64 else np.float32
    return make(np.array(value, dtype=dtype))


def buffer_like(param, fill=0.0):
    """A state tensor shaped like ``param``: ``fill`` everywhere (a NumPy copy when ``fill`` is an array)."""
    if isinstance(fill, np.ndarray):
        return make(np.array(fill, dtype=param._data.dtype, copy=True))
    return make(np.full_like(param._data, fill))  # full_like: a meta parameter's state is meta


def real_view(a):
    """A complex array as its interleaved real and imaginary parts (a view, so updates write through).

    PyTorch's optimizers treat a complex parameter as a pair of real ones (``view_as_real``): Adam's
    second moment is then ``re(g)^2`` and ``im(g)^2``, not the complex ``g^2``. Anything else is returned
    unchanged (ember.compile's traced arrays included). The view has a trailing axis of 2, so that it exists
    for any strides (a gradient from a transposing backward is not C-contiguous).
    """
    if type(a) is np.ndarray and a.dtype.kind == "c":
        return a[..., None].view(a.real.dtype)
    return a


def dense_grad(g):
    """A gradient's values as a dense NumPy array (a sparse COO gradient, from ``Embedding(sparse=True)``,
    scattered into zeros)."""
    if not g._sparse:
        return g._data
    a = np.zeros(g._data.shape, g._data.dtype)
    np.add.at(a, tuple(g._indices_np), g._v._data)
    return a


def _check_sparse_grads(opt):
    # PyTorch's dense-only optimizers refuse a sparse gradient instead of misreading it.
    for group in opt.param_groups:
        for p in group["params"]:
            g = p._grad
            if g is not None and g._sparse:
                name = "Adam" if isinstance(opt, _adam_family()) else type(opt).__name__
                hint = ", please consider SparseAdam instead" if name == "Adam" else ""
                raise RuntimeError(f"{name} does not support sparse gradients{hint}")


def _adam_family():
    from .adam import Adam
    return Adam


def to_float(x):
    """A hyperparameter as a Python float (groups may hold 0-d tensors, e.g. a tensor ``lr``)."""
    return x if type(x) is float else float(x)


def _with_hooks(step):
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        self._opt_called = True
        if self._stepping:
            # A subclass's step calling super().step(): run the hooks once, around the outer call.
            return step(self, *args, **kwargs)
        if self._optimizer_step_pre_hooks:
            for hook in list(self._optimizer_step_pre_hooks.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {result}.")
                    args, kwargs = result
        if engine.sparse_grads_seen and not self._supports_sparse_grads and step.__module__.startswith("ember."):
            _check_sparse_grads(self)
        # Updates are NumPy in-place writes, but a user's custom step may use tensor ops.
        prev = grad_mode.state.enabled
        grad_mode.state.enabled = False
        self._stepping = True
        try:
            out = step(self, *args, **kwargs)
        finally:
            grad_mode.state.enabled = prev
            self._stepping = False
        if self._optimizer_step_post_hooks:
            for hook in list(self._optimizer_step_post_hooks.values()):
                hook(self, args, kwargs)
        return out
    wrapper._hooked = True
    return wrapper


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
            groups), each with a ``'params'`` entry and any hyperparameters that differ from
            ``defaults``.
        defaults (dict): default hyperparameters for every group.

    Subclasses implement ``step(closure=None)``; it runs with graph recording off and calls
    the step hooks. A closure passed to ``step`` is evaluated with recording on.
    """

    _stepping = False
    _opt_called = False

    _supports_sparse_grads = False   # ember's optimizers that take Embedding(sparse=True)'s gradients say True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _with_hooks(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"

    # -- parameter groups ----------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group (a dict with ``'params'`` and optional hyperparameters) to ``param_groups``.

        Useful for fine-tuning: unfreeze layers and hand them to the optimizer with their own lr.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        ids = [id(p) for p in params]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients and steps -------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors: drop them (default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                    continue
                if g._sparse:
                    g.zero_()
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g._rg = False
                if g._data.flags.writeable:
                    g._data.fill(0)
                    g._bump()
                else:
                    p._grad = make(np.zeros_like(g._data))

    def step(self, closure=None):
        """Update the parameters once; ``closure`` (optional) re-evaluates the model and returns the loss."""
        raise NotImplementedError

    @staticmethod
    def _eval_closure(closure):
        if closure is None:
            return None
        prev = grad_mode.state.enabled
        grad_mode.state.enabled = True
        try:
            return closure()
        finally:
            grad_mode.state.enabled = prev

    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs before each ``step``; it may return new ``(args, kwargs)``."""
        handle = _RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs after each ``step``."""
        handle = _RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    @staticmethod
    def _register(hooks, hook, prepend):
        handle = _RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    # -- saving and loading --------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as ``{'state': {index: {...}}, 'param_groups': [...]}``.

        Parameters are replaced by their index, counted over all groups in order. The state
        tensors are the optimizer's own (not copies), as in PyTorch; ``ember.save`` writes them.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index = {}
        packed_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            packed_groups.append(packed)
        packed_state = {(index[id(k)] if isinstance(k, Tensor) else k): _as_param_layout(k, v)
                        for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": packed_groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Load a state dict made by :meth:`state_dict` (of an optimizer over same-shaped groups).

        State tensors are copied (the loaded optimizer shares no memory with the dict) and
        buffers are cast to their parameter's dtype; ``step`` and ``mu_product`` keep theirs.
        """
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(itertools.chain.from_iterable(g["params"] for g in saved_groups),
                          itertools.chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = {key: _cast_state(param, key, value) for key, value in v.items()}
            else:
                state[k] = v
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
            new_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


# Scalar bookkeeping keeps the dtype it was saved with (PyTorch casts ``mu_product`` to the
# parameter's dtype on load, so a resumed NAdam drifts from an uninterrupted run in the last bits).
_SCALAR_STATE = ("step", "mu_product")


def _cast_state(param, key, value):
    """Copy one loaded state entry; buffers take the parameter's dtype, scalar counters keep theirs."""
    if isinstance(value, np.ndarray):
        value = make(value)
    if isinstance(value, Tensor):
        arr = value._data
        if key not in _SCALAR_STATE and param._data.dtype.kind in "fV":  # "V": bfloat16
            return make(np.array(arr, dtype=param._data.dtype, copy=True))
        return make(np.array(arr, copy=True))
    if key in _SCALAR_STATE and isinstance(value, (int, float)):
        return scalar_state(float(value))
    if isinstance(value, dict):
        return {k: _cast_state(param, k, v) for k, v in value.items()}
    return value


def check_hyperparameters(lr=None, eps=None, betas=None, weight_decay=None, momentum=None):
    """Raise PyTorch's ``ValueError`` for an out-of-range common hyperparameter."""
    if lr is not None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
    if eps is not None and not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if betas is not None:
        for i in (0, 1):
            if not 0.0 <= betas[i] < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
    if momentum is not None and not 0.0 <= momentum:
        raise ValueError(f"Invalid momentum value: {momentum}")
    if weight_decay is not None and not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def reject_differentiable(differentiable):
    if differentiable:
        raise NotImplementedError("ember's optimizers update parameters in place with NumPy; "
                                  "differentiable=True (autograd through the step) is not supported")


def _as_param_layout(param, state):
    """A parameter's state for ``state_dict()``. For a DTensor parameter (``fully_shard``), each state tensor of the
    parameter's local shape is shown as a DTensor of the parameter's layout (sharing memory), as PyTorch's optimizer
    state over DTensors is, so that a distributed checkpoint saves every rank's piece."""
    like = getattr(param, "_with_local", None)
    if like is None or not isinstance(state, dict):
        return state
    return {k: like(v._data) if isinstance(v, Tensor) and v._data.ndim and v._data.shape == param._data.shape
            and not hasattr(v, "_spec") else v for k, v in state.items()}
