"""``ember.Tensor``: an n-dimensional array over NumPy that records a graph for autograd.

A tensor holds a NumPy array (``_data``). When it is made by an op while grad
recording is on and some input requires grad, it gets a ``grad_fn`` (a
:class:`~ember.autograd.node.Node`) and ``backward()`` walks those nodes to fill
``.grad`` of the leaves.

The class keeps the per-op cost low: only ``_data`` is a slot, every other
attribute (``grad``, ``grad_fn``, the version counter, hooks) has a class-level
default and lands in the instance dict only when set, so making a plain result
tensor is one allocation and one attribute store.

Most methods (``exp``, ``sum``, ``view`` ...) are the functions of
``ember.autograd.ops`` bound onto this class in ``ember/autograd/methods.py``.

>>> import ember
>>> x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
tensor([2., 4., 6.])
"""
import threading

import numpy as np

from ..backend import dtypes as _dt
from ..backend.formats import strided as _strided
from ..backend import meta as _meta
from ..backend.meta import MetaArray as _MetaArray
from . import grad_mode

_new = object.__new__


class Size(tuple):
    """A tensor's shape: a tuple, printed as ``ember.Size([2, 3])`` (``torch.Size`` while ember runs a
    PyTorch program, as dtypes print: ``ember.compat.present_as_torch``)."""

    __slots__ = ()

    def __repr__(self):
        return f"{_dt.PREFIX[0]}.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


class Tensor:
    __slots__ = ("_data", "__dict__", "__weakref__")

    # Defaults for rarely-set attributes; an instance stores its own only when it differs.
    _rg = False          # requires_grad
    grad_fn = None
    _grad = None
    _vc = None           # version counter: a one-item list shared between a tensor and its views
    _out_idx = 0         # which output of a multi-output node this is
    _hooks = None        # gradient hooks of a leaf
    _post_acc_hooks = None  # hooks run after a leaf's .grad has been accumulated
    _retain = False      # retain_grad() on a non-leaf
    _is_param = False
    _view_of = None      # (base, index) when this tensor is a basic-indexing view of base
    _sparse = False      # True for ember.sparse's COO and CSR tensors
    __array_priority__ = 1000  # NumPy defers to Tensor's reflected operators

    def __init__(self, *data, dtype=None, requires_grad=False):
        # ``ember.Tensor(data)`` or ``ember.Tensor(3, 4)`` (uninitialised, here zeros), as old PyTorch code
        # uses the constructor; the result has the default float dtype.
        from .. import creation
        if not data:
            data = ([],)
        if len(data) == 1 and isinstance(data[0], Tensor) and dtype is None:
            self._data = data[0]._data  # an alias, as PyTorch's constructor gives for a tensor
            return
        if all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in data):
            data = (np.zeros(tuple(int(d) for d in data), _dt.get_default_dtype().numpy),)
        elif len(data) == 1 and isinstance(data[0], Size):
            data = (np.zeros(tuple(data[0]), _dt.get_default_dtype().numpy),)
        if len(data) != 1:
            raise TypeError(f"Tensor(): expected a sequence, an array or sizes as ints, got {data!r}")
        t = creation.tensor(data[0], dtype=dtype if dtype is not None else _dt.get_default_dtype())
        self._data = t._data
        if requires_grad:
            self.requires_grad = True

    # -- basic properties ---------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return _dt._FROM_NP[self._data.dtype]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def device(self):
        return _META if type(self._data) is _MetaArray else _CPU

    @property
    def is_meta(self):
        """True for a tensor of the meta device: a shape, dtype and strides, no data (:mod:`ember.backend.meta`)."""
        return type(self._data) is _MetaArray

    @property
    def is_cpu(self):
        return type(self._data) is not _MetaArray

    @property
    def is_cuda(self):
        return False

    @property
    def layout(self):
        return _strided

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def is_floating_point(self):
        return self._data.dtype.kind in "fV"  # "V": ml_dtypes' bfloat16, the one such dtype a tensor holds

    def is_contiguous(self, memory_format=None):
        a = self._data
        if type(a) is _MetaArray:
            want = _meta.contiguous_strides(a.shape)
            return all(s == w or n == 1 for s, w, n in zip(_meta.torch_strides(a), want, a.shape))
        return a.flags.c_contiguous

    def stride(self, dim=None):
        a = self._data
        st = _meta.torch_strides(a) if type(a) is _MetaArray else tuple(s // a.itemsize for s in a.strides)
        return st if dim is None else st[_wrap_dim(dim, a.ndim)]

    def data_ptr(self):
        if type(self._data) is _MetaArray:
            return 0
        return self._data.__array_interface__["data"][0]

    # -- autograd attributes ---------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag):
        flag = bool(flag)
        if flag and self._data.dtype.kind not in "fcV":  # "V": bfloat16
            raise RuntimeError(f"only Tensors of floating point and complex dtype can require gradients, got "
                               f"{self.dtype}")
        if not flag and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to "
                               "use a computed variable in a subgraph that doesn't require differentiation "
                               "use var_no_grad = var.detach().")
        self._rg = flag

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: expected "
                                   f"{tuple(self._data.shape)}, got {tuple(value._data.shape)}")
        self._grad = value

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def retains_grad(self):
        return self._retain

    @property
    def _version(self):
        vc = self._vc
        return vc[0] if vc is not None else 0

    def _bump(self):
        vc = self._vc
        if vc is None:
            self._vc = [1]
        else:
            vc[0] += 1

    @property
    def data(self):
        """A tensor sharing this one's memory, detached from the graph (as PyTorch's ``.data``)."""
        t = _new(Tensor)
        t._data = self._data
        t._vc = self._share_vc()
        return t

    @data.setter
    def data(self, value):
        arr = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._data = arr

    def _share_vc(self):
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        return vc

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into each leaf's ``.grad`` (see :mod:`ember.autograd.engine`)."""
        _engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self):
        t = _new(Tensor)
        t._data = self._data
        t._vc = self._share_vc()
        return t

    def detach_(self):
        self.grad_fn = None
        self._rg = False
        return self

    def retain_grad(self):
        if self.grad_fn is None:
            return
        if not self._retain:
            self._retain = True
            import weakref
            ref = weakref.ref(self)

            def _keep(g):
                t = ref()
                if t is not None:
                    t._grad = g if t._grad is None else t._grad + g
            self.grad_fn.register_prehook(_RetainHook(self._out_idx, _keep))

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is computed."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            from .node import _Handle
            return _Handle(self._hooks, hook)
        return self.grad_fn.register_prehook(_TensorHook(self._out_idx, hook))

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs after backward has accumulated into this leaf's ``.grad`` (PyTorch's hook for
        optimizer-in-backward: the hook may step the parameter and clear ``.grad``). Returns a removable handle.
        """
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        from .node import _Handle
        return _Handle(self._post_acc_hooks, hook)

    # -- conversion to Python / NumPy ---------------------------------------------------------
    def numpy(self, force=False):
        if type(self._data) is _MetaArray:
            raise TypeError("can't convert meta device type tensor to numpy. Use Tensor.cpu() to copy the tensor to "
                            "host memory first.")
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self._data
        if type(a) is _MetaArray:
            raise TypeError("can't convert meta device type tensor to numpy. Use Tensor.cpu() to copy the tensor to "
                            "host memory first.")
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        if type(self._data) is _MetaArray:
            raise RuntimeError("Tensor.item() cannot be called on meta tensors")
        return self._data.reshape(()).item()

    def tolist(self):
        if type(self._data) is _MetaArray:
            raise NotImplementedError("Cannot copy out of meta tensor; no data!")
        return self._data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} elements is ambiguous")
        if type(self._data) is _MetaArray:
            raise RuntimeError("Tensor.item() cannot be called on meta tensors")
        return bool(self._data.reshape(()).item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __contains__(self, element):
        """``element in t``: whether any entry equals ``element`` (a number, or a tensor broadcast against ``t``),
        as torch; Python's fallback would iterate rows and take the truth of each row."""
        if not isinstance(element, (Tensor, int, float, complex, bool, np.generic)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                               f"{type(element)}.")
        return bool((element == self).any().item())

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        # Worker processes of the DataLoader send tensors between processes; this only
        # rebuilds the array (ember.load never unpickles).
        return (_rebuild, (self._data, self._rg))

    def __repr__(self):
        from .printing import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec):
        # As torch: a plain 0-d tensor formats as its Python number, so f"loss {loss}" prints 0.6931471824645996;
        # anything else (and subclasses such as Parameter) as object does: str() for "", TypeError for a spec.
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment")
        t = _new(type(self))
        t._data = self._data.copy()
        if self._rg:
            t._rg = True
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        if type(self) is not Tensor:
            for k, v in self.__dict__.items():
                if k not in ("_vc", "_grad", "_rg", "grad_fn", "_hooks", "_acc_node"):
                    t.__dict__[k] = v
        memo[id(self)] = t
        return t


def _rebuild(arr, rg):
    t = _new(Tensor)
    t._data = arr
    if rg:
        t._rg = True
    return t


class _TensorHook:
    __slots__ = ("idx", "fn")

    def __init__(self, idx, fn):
        self.idx, self.fn = idx, fn


class _RetainHook(_TensorHook):
    __slots__ = ()


_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                 "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class device:
    """A device name, parsed as torch parses it (``"cuda:1"``, ``("cuda", 1)``, ``"meta"``), so code that names
    a GPU device builds it as in torch; only the CPU holds tensors in ember, and moving a tensor or module to
    another device raises (see :func:`require_cpu`)."""

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            # torch.device(0) is the first accelerator, which a CPU-only torch refuses the same way
            raise RuntimeError("Cannot access accelerator device when none is available.")
        text = str(type)
        name, _, idx = text.partition(":")
        if name not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device string: "
                               f"{text}")
        if idx:
            if not idx.isdigit() or index is not None:
                raise RuntimeError(f"Invalid device string: '{text}'")
            index = int(idx)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = name, index

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        # every CPU device is the one CPU (ember also accepts the string "cpu"); others compare by name
        if isinstance(other, str):
            other = device(other) if other.partition(":")[0] in _DEVICE_TYPES else None
        if not isinstance(other, device):
            return False
        if self.type == other.type == "cpu":
            return True
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash(self.type)

    # ``with torch.device("meta"): model = Net()``: factory calls without a device= inside make tensors on the
    # device (the CPU or the meta device); another device raises as set_default_device does.
    def __enter__(self):
        if self.type != "meta":
            require_cpu(self, "tensors created under `with torch.device(...)`")
        _factory.outer.append(_factory.device)
        _factory.device = self if self.type == "meta" else None
        return self

    def __exit__(self, *exc):
        _factory.device = _factory.outer.pop()
        return False


class _FactoryDevice(threading.local):
    """The device of factory calls without ``device=`` in this thread (per thread, as torch's device context):
    ``device`` None (the CPU) or the meta device, set by ``with torch.device(...)`` and ``set_default_device``;
    ``outer`` the devices the enclosing with-blocks restore."""

    device = None

    def __init__(self):
        self.outer = []


_factory = _FactoryDevice()


def makes_meta(dev):
    """Whether a factory call with ``device=dev`` makes meta tensors: ``dev`` is the meta device, or None inside
    ``with torch.device("meta")``. Any device but the CPU and meta raises (see :func:`require_cpu`)."""
    if dev is None:
        return _factory.device is not None
    if dev == "meta" or isinstance(dev, device) and dev.type == "meta":
        return True
    if isinstance(dev, str) and dev.startswith("meta:"):
        return True
    require_cpu(dev)
    return False


def meta_tensor(shape, dtype, requires_grad=False):
    """A new meta tensor of ``shape`` and ``dtype`` (an ember dtype)."""
    t = _new(Tensor)
    t._data = _meta.empty(shape, dtype.numpy)
    if requires_grad:
        t.requires_grad = True
    return t


def require_cpu(dev, what="tensors"):
    """``dev`` as a device, if it is the CPU; a RuntimeError naming it otherwise (ember has only the CPU)."""
    d = dev if isinstance(dev, device) else device(dev)
    if d.type != "cpu":
        raise RuntimeError(f"ember runs on the CPU only; device {str(dev)!r} is not available for {what}")
    return d


_CPU = device("cpu")
_META = device("meta")


def _wrap_dim(dim, ndim):
    if dim < -max(ndim, 1) or dim >= max(ndim, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {dim})")
    return dim + ndim if dim < 0 else dim


def make(arr):
    """Wrap a NumPy array as a tensor with no graph (the fast path every op uses)."""
    t = _new(Tensor)
    t._data = arr
    return t


def is_tensor(x):
    return isinstance(x, Tensor)


grad_enabled = grad_mode.state

# Classes that higher layers define and lower layers may need to rebuild (nn's Parameter,
# for ember.load); a higher layer registers here when it is imported.
registry = {}

# The engine imports this module; imported last here, it finds every name it needs defined (an import
# inside ``backward`` cost ~1-2 us per call).
from . import engine as _engine  # noqa: E402
