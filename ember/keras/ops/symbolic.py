"""``keras.ops`` on symbolic tensors: in a functional model ``ops.squeeze(embedding(inputs), axis=1)`` is a graph
node, as in Keras (where every op is an ``Operation`` with a ``symbolic_call``).

Each public op is wrapped: with no ``KerasTensor`` among its arguments (looked for in the arguments and one
level of lists, tuples and dicts, where ops take their tensors) it is the op itself; with one, the call becomes
an :class:`~ember.keras.layers.op_layer.OpLayer` node that runs the op on the real tensors when the model runs.
Like Keras's operations (and ``x + y``), such nodes are left out of ``Model.layers`` and have no weights.
``shape``, ``dtype`` and ``is_tensor`` read a symbolic tensor directly (``ops.shape(x)`` is ``(None, 4)``).

>>> from ember import keras
>>> x = keras.Input((1, 4))
>>> y = keras.ops.squeeze(x, axis=1)
>>> y.shape
(None, 4)
>>> keras.Model(x, y).predict(keras.ops.ones((2, 1, 4)), verbose=0).shape
(2, 4)
"""
import functools
import inspect

from ..graph import KerasTensor

# Ops that describe a symbolic tensor instead of computing on it.
_NOT_WRAPPED = {"shape", "dtype", "is_tensor", "convert_to_numpy", "standardize_dtype", "result_type", "custom_gradient"}


def _symbolic(value):
    if isinstance(value, KerasTensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, KerasTensor) for v in value)
    if isinstance(value, dict):
        return any(isinstance(v, KerasTensor) for v in value.values())
    return False


def symbolic_aware(fn, name=None):
    """``fn`` (the op ``keras.ops.<name>``) that records a graph node when given symbolic tensors."""
    if getattr(fn, "_symbolic_aware", False):
        return fn
    op_name = name or fn.__name__

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if any(_symbolic(a) for a in args) or any(_symbolic(v) for v in kwargs.values()):
            from ..layers.op_layer import OpLayer   # layers sit above ops
            node, call_args, call_kwargs = OpLayer.from_call(fn, args, kwargs, op_name)
            return node(*call_args, **call_kwargs)
        return fn(*args, **kwargs)
    op._symbolic_aware = True
    return op


def wrap_namespace(namespace, modules=()):
    """Wrap every public function of ``namespace`` (a module's globals) under its name (an alias, such as
    ``true_divide`` for ``divide``, records Keras's operation of that name), and the same functions where
    ``modules`` hold them, so ``keras.ops.numpy.squeeze`` is the wrapped ``keras.ops.squeeze``."""
    wrapped, by_id = {}, {}
    for name, value in list(namespace.items()):
        if name.startswith("_") or name in _NOT_WRAPPED or not inspect.isfunction(value):
            continue
        wrapped[(id(value), name)] = namespace[name] = symbolic_aware(value, name)
        by_id.setdefault(id(value), namespace[name])
    for module in modules:
        for name, value in list(vars(module).items()):
            if not name.startswith("_") and id(value) in by_id:
                setattr(module, name, wrapped.get((id(value), name), by_id[id(value)]))
