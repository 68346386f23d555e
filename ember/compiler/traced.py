"""``TracedArray``: the ndarray subclass through which ``ember.compile`` sees a function's NumPy calls.

While a function is traced, every array it can reach (parameters, buffers, optimizer
state, gradients, inputs) is swapped for a ``TracedArray`` view of the same memory.
NumPy hands each ufunc and each dispatched function that touches one to
``__array_ufunc__`` / ``__array_function__``; the ndarray methods that make new data
without a ufunc (indexing, ``astype``, ``copy``, ``argmax`` ...) or turn values into
Python objects (``bool()``, ``item()`` ...) are overridden here. All of them run the
real NumPy call on plain arrays and let the active tracer
(:class:`ember.compiler.tracer.Tracer`) record it.

With no trace recording on this thread (a ``TracedArray`` that outlived its trace, or
NumPy's own code called by a recorded step), every method is plain NumPy.
"""
import threading

import numpy as np

_ndarray = np.ndarray
_view = np.ndarray.view
_get_ident = threading.get_ident


class _Active:
    """The tracer recording now (one at a time); it records the threads in its ``threads`` map."""

    tracer = None


active = _Active()


def current():
    """The tracer to report to, or None (no trace, a thread it does not record, or inside a recorded call)."""
    t = active.tracer
    if t is None:
        return None
    st = t.threads.get(_get_ident())
    if st is None or st.busy:
        return None
    return t


def plain_tree(obj):
    """``obj`` with every TracedArray (inside tuples, lists and dicts too) as a plain ndarray view."""
    if isinstance(obj, TracedArray):
        return _view(obj, _ndarray)
    tp = type(obj)
    if tp is tuple or tp is list:
        return tp(plain_tree(o) for o in obj)
    if tp is dict:
        return {k: plain_tree(v) for k, v in obj.items()}
    return obj


def _plain_result(r):
    return _view(r, _ndarray) if isinstance(r, TracedArray) else r


def _value_method(name):
    """A method that may return new data (``copy``, ``astype``, ``argmax`` ...): recorded as a step."""
    base = getattr(_ndarray, name)

    def method(self, *args, **kwargs):
        t = current()
        if t is None:
            return _plain_result(base(_view(self, _ndarray), *plain_tree(args), **plain_tree(kwargs)))
        return t.method(self, name, base, args, kwargs)
    method.__name__ = name
    return method


def _inplace_method(name):
    """A method that writes into the array (``fill``, ``sort`` ...): recorded as an in-place step."""
    base = getattr(_ndarray, name)

    def method(self, *args, **kwargs):
        t = current()
        if t is None:
            return base(_view(self, _ndarray), *plain_tree(args), **plain_tree(kwargs))
        return t.inplace_method(self, name, base, args, kwargs)
    method.__name__ = name
    return method


def _read_method(name, what):
    """A method that turns array values into a Python object (``bool()``, ``item()`` ...)."""
    base = getattr(_ndarray, name)

    def method(self, *args):
        t = current()
        if t is None:
            return base(_view(self, _ndarray), *args)
        return t.read(self, base, args, what)
    method.__name__ = name
    return method


class TracedArray(np.ndarray):
    """An ndarray whose NumPy calls are recorded while a trace is running (see the module doc)."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        t = current()
        if t is None:
            return getattr(ufunc, method)(*plain_tree(inputs), **plain_tree(kwargs))
        return t.ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        t = current()
        if t is None:
            return func(*plain_tree(args), **plain_tree(kwargs))
        return t.function(func, args, kwargs)

    def __getitem__(self, index):
        t = current()
        if t is None:
            return _plain_result(_ndarray.__getitem__(_view(self, _ndarray), plain_tree(index)))
        return t.getitem(self, index)

    def __setitem__(self, index, value):
        t = current()
        if t is None:
            _ndarray.__setitem__(_view(self, _ndarray), plain_tree(index), plain_tree(value))
            return
        t.setitem(self, index, value)

    def __iter__(self):
        # NumPy's C iterator would hand out untraced scalars of a 1-D array.
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        for i in range(self.shape[0]):
            yield self[i]

    def view(self, *args, **kwargs):
        r = _view(self, *args, **kwargs)
        if not isinstance(r, TracedArray) and current() is not None:
            r = _view(r, TracedArray)
        return r

    def __deepcopy__(self, memo):
        return self.copy()

    def __copy__(self):
        return self.copy()

    copy = _value_method("copy")
    astype = _value_method("astype")
    reshape = _value_method("reshape")
    ravel = _value_method("ravel")
    flatten = _value_method("flatten")
    squeeze = _value_method("squeeze")
    argmax = _value_method("argmax")
    argmin = _value_method("argmin")
    argsort = _value_method("argsort")
    take = _value_method("take")
    repeat = _value_method("repeat")
    dot = _value_method("dot")
    searchsorted = _value_method("searchsorted")
    choose = _value_method("choose")
    trace = _value_method("trace")
    diagonal = _value_method("diagonal")
    nonzero = _value_method("nonzero")
    compress = _value_method("compress")
    byteswap = _value_method("byteswap")

    fill = _inplace_method("fill")
    sort = _inplace_method("sort")
    partition = _inplace_method("partition")
    put = _inplace_method("put")

    __bool__ = _read_method("__bool__", "bool()")
    __int__ = _read_method("__int__", "int()")
    __index__ = _read_method("__index__", "use as an index")
    __float__ = _read_method("__float__", "float()")
    __complex__ = _read_method("__complex__", "complex()")
    item = _read_method("item", ".item()")
    tolist = _read_method("tolist", ".tolist()")
    tobytes = _read_method("tobytes", ".tobytes()")
    __repr__ = _read_method("__repr__", "repr() (printing)")
    __str__ = _read_method("__str__", "str() (printing)")
    __contains__ = _read_method("__contains__", "`in`")

    def __format__(self, spec):
        t = current()
        if t is None:
            return format(_view(self, _ndarray), spec)
        return t.read(self, lambda a: format(a, spec), (), "format() (printing)")
