"""``keras.layers.Layer``: the base of every Keras layer, itself an ``ember.nn.Module``.

A layer creates its weights lazily in ``build(input_shape)`` with ``add_weight``
(each weight is an ``ember.nn.Parameter`` registered under its Keras name, so
``layer.kernel`` is a parameter and ``model.parameters()`` can go to any ember
optimizer), and computes ``call(inputs, ...)``. Calling a layer on a
:class:`~ember.keras.graph.KerasTensor` records a functional-API node instead of
computing anything.

Keras's view of the weights: ``weights`` (trainable ones first, then non-trainable
ones such as BatchNormalization's moving statistics, then those of sublayers),
``trainable_weights``, ``non_trainable_weights``, ``get_weights()`` /
``set_weights()`` as NumPy arrays in Keras's layouts, ``trainable`` (setting it to
False freezes the layer and its sublayers), ``losses`` (regularization penalties
and ``add_loss`` terms), ``count_params()``, and ``get_config()`` /
``from_config()`` so that architectures save as plain data.

>>> import ember
>>> from ember import keras
>>> dense = keras.layers.Dense(3)
>>> dense(ember.ones(2, 4)).shape
ember.Size([2, 3])
>>> [w.shape for w in dense.get_weights()]
[(4, 3), (3,)]
"""
import functools
import inspect
import math

import numpy as np

from ... import nn
from ...autograd import grad_mode
from ...autograd.tensor import Tensor, make
from .. import autocast as _autocast
from .. import backend
from .. import constraints as _con
from .. import dtype_policies as _policies
from .. import initializers as _init
from .. import regularizers as _reg
from .. import remat as _remat
from .. import scopes as _scopes
from . import tracking as _tracking
from ..graph import KerasTensor, Node, any_symbolic, flatten, map_structure
from ..variables import Variable

_BASE_KWARGS = ("input_shape", "batch_input_shape", "batch_size", "input_dim", "input_length", "autocast",
                "weights")
_call_params = {}


def _training_default(cls):
    """The default of ``training`` in ``cls.call``'s signature, or None: Keras's last resort when neither the
    caller nor an outer call says (random augmentation layers default to True, so a direct call augments)."""
    key = (cls, "training default")
    if key not in _call_params:
        try:
            p = inspect.signature(cls.call).parameters.get("training")
            _call_params[key] = None if p is None or p.default is inspect.Parameter.empty else p.default
        except (TypeError, ValueError):
            _call_params[key] = None
    return _call_params[key]


def _accepts(cls, name):
    key = (cls, name)
    if key not in _call_params:
        try:
            _call_params[key] = name in inspect.signature(cls.call).parameters
        except (TypeError, ValueError):
            _call_params[key] = False
    return _call_params[key]


def shape_of(x):
    """The shape of a tensor, array or KerasTensor (lists give lists of shapes)."""
    if isinstance(x, (list, tuple)) and not isinstance(x, KerasTensor):
        return [shape_of(v) for v in x]
    if isinstance(x, dict):
        return {k: shape_of(v) for k, v in x.items()}
    return tuple(x.shape)


class Layer(nn.Module):
    """Base class of Keras layers.

    Args:
        trainable (bool): whether the layer's weights are updated by training (default True).
        name (str): a unique name; by default the snake-cased class name, numbered (``dense_1``).
        dtype: the weights' dtype (default ``'float32'``).
        input_shape (tuple): for the first layer of a ``Sequential``: the shape of one sample.

    Subclass it and write ``build(input_shape)`` (create weights with ``add_weight``) and
    ``call(inputs)``; add a ``training=None`` argument to ``call`` when the layer acts
    differently during training.
    """

    supports_masking = False
    _autocast = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            cls.build = _marks_built(cls.__dict__["build"])

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        super().__init__()
        unknown = [k for k in kwargs if k not in _BASE_KWARGS]
        if unknown:
            raise TypeError(f"{type(self).__name__}: unrecognized keyword argument(s) {unknown}")
        d = self.__dict__
        d["training"] = False
        d["name"] = name if name else backend.unique_name(backend.to_snake_case(type(self).__name__))
        d["built"] = False
        d["_trainable"] = bool(trainable)
        if isinstance(dtype, dict) and dtype.get("class_name") == "DTypePolicyMap":   # from a saved config
            dtype = _policies.deserialize(dtype)
        # A DTypePolicyMap is read for the layer's path, known when it builds (_resolve_policy_map).
        self._set_float_policy(_policies.layer_policy(dtype))
        if not kwargs.get("autocast", True):
            d["_autocast"] = False
        d["_quant_policy"] = _policies.quantized_policy(dtype)   # also set by quantize()
        d["_policy_map"] = dtype if isinstance(dtype, _policies.DTypePolicyMap) else None
        d["_path"] = None           # the name scope the layer built in (Keras's layer.path)
        d["_parent_path"] = None    # the name scope it was first used in: its scope is fixed from then on
        d["_remat_scope"] = _remat.get_current_remat_mode()
        d["_own_weights"] = []          # [(attribute name, trainable, regularizer)] in creation order
        d["_added_losses"] = []
        d["_inbound_nodes"] = []
        d["_build_input_shape"] = None
        d["_output_shape"] = None
        shape = kwargs.get("batch_input_shape")
        if shape is None and kwargs.get("input_shape") is not None:
            shape = (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
        elif shape is None and kwargs.get("input_dim") is not None:
            shape = (kwargs.get("batch_size"), int(kwargs["input_dim"]))
        d["_batch_input_shape"] = tuple(shape) if shape is not None else None
        d["_initial_weights"] = kwargs.get("weights")

    # -- building ------------------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch dimension included, possibly None)."""
        self.built = True

    def _open_name_scope(self):
        """``name_scope(self.name)`` under the scope the layer was first used in (Keras's rule: a weight's
        path is that of the layers it was built inside: ``'sequential/dense/kernel'``)."""
        d = self.__dict__
        if d.get("_parent_path") is None:
            d["_parent_path"] = _scopes.current_path()
        return _scopes.name_scope(self.name, caller=self)

    def _enter_build(self):
        """Open the layer's name scope for ``build`` and fix its path (and its policy from a DTypePolicyMap)."""
        scope = self._open_name_scope()
        scope.__enter__()
        d = self.__dict__
        d["_path"] = _scopes.current_path()
        if d.get("_policy_map") is not None:
            self._resolve_policy_map()
        return scope

    def _set_float_policy(self, policy):
        """The layer's float policy: variables made in ``variable_dtype`` (``_dtype``), computations in
        ``compute_dtype``."""
        d = self.__dict__
        d["_float_policy"] = policy
        d["_dtype"] = policy.variable_dtype
        d["_compute_dtype"] = policy.compute_dtype
        try:   # the ember dtype float inputs are cast to (Keras casts them to an integer compute dtype too)
            d["_compute_ember"] = _autocast.ember_dtype(policy.compute_dtype)
        except (KeyError, ValueError, TypeError):
            d["_compute_ember"] = None

    def _resolve_policy_map(self):
        d = self.__dict__
        policy_map = d["_policy_map"]
        self._set_float_policy(_policies.layer_policy(policy_map, d["_path"]))
        if not d.get("_is_quantized", False):
            d["_quant_policy"] = _policies.quantized_policy(policy_map, d["_path"])

    @property
    def path(self):
        """Where the layer was built (``'sequential/dense'``; None before it is built), as in Keras."""
        return self.__dict__.get("_path")

    def _maybe_build(self, input_shape):
        if self.built:
            return
        self._build_input_shape = input_shape
        scope = self._enter_build()
        try:
            self.build(input_shape)
        finally:
            scope.__exit__(None, None, None)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def build_from_config(self, config):
        if config and config.get("input_shape") is not None:
            self._maybe_build(_to_shape(config["input_shape"]))

    def get_build_config(self):
        if self._build_input_shape is None:
            return None
        return {"input_shape": _jsonable_shape(self._build_input_shape)}

    def save_own_variables(self, store):
        """Put this layer's own variables in ``store`` (a dict) under ``"0"``, ``"1"``... in Keras's order. An
        override may save other state under keys of its own: ``model.save`` and ``save_weights`` write what it
        puts in ``store`` to ``<layer path>/vars`` and hand the same keys to ``load_own_variables`` on loading."""
        from ..saving import keras_h5
        for i, (name, w) in enumerate(keras_h5._own_weights(self)):
            store[str(i)] = keras_h5.saved_array(self, name, w)

    def load_own_variables(self, store):
        """Assign this layer's own variables from ``store`` (what ``save_own_variables`` put there)."""
        from ..saving import keras_h5
        pairs = keras_h5._own_weights(self)
        # Keras counts all the layer's variables (a Dense subclass's extra one too) against the keys
        if len(store.keys()) not in (len(pairs), len(self._own(True) + self._own(False))):
            raise ValueError(f"Layer '{self.name}' expected {len(pairs)} variables, but received {len(store.keys())} "
                             f"variables during loading. Expected: {[name for name, _ in pairs]}")
        for i, (name, w) in enumerate(pairs):
            value = np.asarray(store[str(i)])
            if tuple(value.shape) != tuple(w.shape):
                raise ValueError(f"Layer '{self.name}' weight '{name}' has shape {tuple(w.shape)}, but the saved "
                                 f"value has shape {tuple(value.shape)}")
            w._data[...] = value
            w._bump()

    _ADD_WEIGHT_ARGS = ("shape", "initializer", "dtype", "trainable", "autocast", "regularizer", "constraint",
                        "aggregation", "name")
    _ADD_WEIGHT_ARGS_KERAS2 = ("name", "shape", "dtype", "initializer", "regularizer", "trainable")

    def add_weight(self, *args, **kwargs):
        """``add_weight(shape=None, initializer=None, dtype=None, trainable=True, autocast=True, regularizer=None,
        constraint=None, aggregation='none', name=None)``: create a weight (a ``keras.Variable``, which is an
        ``nn.Parameter``), register it as
        ``self.<name>`` and return it.

        Keras 3's argument order; Keras 2's (``name, shape, dtype, initializer, regularizer, trainable``) is
        recognized when the first argument is a string. ``initializer`` defaults to ``'glorot_uniform'``.
        """
        order = self._ADD_WEIGHT_ARGS_KERAS2 if args and isinstance(args[0], str) else self._ADD_WEIGHT_ARGS
        if len(args) > len(order):
            raise TypeError(f"add_weight() takes at most {len(order)} positional arguments ({len(args)} given)")
        for key, value in zip(order, args):
            if key in kwargs:
                raise TypeError(f"add_weight() got multiple values for argument '{key}'")
            kwargs[key] = value
        unknown = set(kwargs) - set(self._ADD_WEIGHT_ARGS)
        if unknown:
            raise TypeError(f"add_weight() got unexpected keyword arguments {sorted(unknown)}")
        return self._add_weight(kwargs.get("name"), kwargs.get("shape"), kwargs.get("initializer"),
                                dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                                regularizer=kwargs.get("regularizer"), constraint=kwargs.get("constraint"),
                                autocast=kwargs.get("autocast", True))

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True, regularizer=None,
                     constraint=None, name=None):
        """``add_weight`` with Keras 3's other argument order (``shape`` and ``initializer`` required)."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype, trainable=trainable,
                               autocast=autocast, regularizer=regularizer, constraint=constraint, name=name)

    def _add_weight(self, name, shape, initializer=None, dtype=None, trainable=True, regularizer=None,
                    constraint=None, autocast=True, attr=None):
        shape = tuple(int(s) for s in (shape or ()))
        dtype = dtype or self._dtype
        value = _init.get(initializer if initializer is not None else "glorot_uniform")(shape, dtype)
        attr = attr or name or "variable"   # attr: kept under another attribute than its name (adapt_mean)
        base, i = attr, 1
        while attr in self.__dict__ or attr in self._parameters or attr in self._modules:
            attr = f"{base}_{i}"
            i += 1
        if constraint is None and name:
            # Layers keep their `<weight>_constraint` argument (kernel_constraint ...) as an attribute.
            constraint = self.__dict__.get(f"{name}_constraint")
        with _scopes.name_scope(self.name, caller=self):   # the path: '<parent scopes>/<layer>/<name>'
            v = Variable(value, dtype=dtype, trainable=bool(trainable), autocast=autocast, name=name,
                         regularizer=_reg.get(regularizer), constraint=_con.get(constraint))
        setattr(self, attr, v)
        if not self._trainable:
            v.trainable = False
        return v

    def __setattr__(self, name, value):
        if isinstance(value, (list, dict)) or isinstance(self.__dict__.get(name), (list, dict)):
            value = _tracking.track(self, name, value)   # layers in a list or dict are sub-layers (Keras)
        nn.Module.__setattr__(self, name, value)
        # A Variable assigned to a layer (by add_weight or directly) is one of its weights.
        if isinstance(value, Variable) and "_own_weights" in self.__dict__:
            own = self.__dict__["_own_weights"]
            # once, also when add_weight's Variable ('variable') is kept under a name of the layer's (self.w = ...)
            if not any(a == name or getattr(self, a, None) is value for a, _, _ in own):
                own.append((name, bool(value.trainable), value.regularizer))

    # -- calling -------------------------------------------------------------------------------
    input_spec = None   # Keras's: an InputSpec (or a list) the layer's first argument is checked against

    def __call__(self, *args, **kwargs):
        spec = self.__dict__.get("input_spec")
        if spec is not None and args:
            from .input_spec import assert_input_compatibility
            assert_input_compatibility(spec, args[0], self.name)
        # Inside the layer's name scope, so that the sublayers it builds or calls nest under it.
        with self._open_name_scope():
            return self._scoped_call(args, kwargs)

    def _scoped_call(self, args, kwargs):
        if any_symbolic((args, kwargs)):
            return self._symbolic_call(args, kwargs)
        if args:
            if len(args) > 1:
                args = (args[0],) + tuple(backend.convert_to_tensor(a) if isinstance(a, np.ndarray) else a
                                          for a in args[1:])
            first = args[0]
            if not isinstance(first, (Tensor, list, tuple, dict)):
                args = (backend.convert_to_tensor(first),) + args[1:]
            elif isinstance(first, (list, tuple)):
                args = (type(first)(backend.convert_to_tensor(v) if not isinstance(v, Tensor) and v is not None
                                    else v for v in first),) + args[1:]
        d = self.__dict__
        target = d.get("_compute_ember")
        if target is not None and self._autocast:
            # Keras casts every float tensor argument to the compute dtype (a merge layer's list,
            # attention's value, an RNN's initial_state); integers and masks are left alone
            np_target = target.numpy
            if any(_needs_cast(a, np_target) for a in args):
                args = _cast_floats(args, target)
            if kwargs and any(_needs_cast(v, np_target) for v in kwargs.values()):
                kwargs = {k: _cast_floats(v, target) for k, v in kwargs.items()}
        if not self.built:
            self._build_for_call(args, kwargs)
        if d.get("_compute_dtype") != d.get("_dtype") or _autocast.get_autocast_scope() is not None:
            scope = _autocast.scope_for_layer(self)
            if scope is not None:   # a mixed-precision layer reads its variables cast to its compute dtype
                with scope:
                    return self._module_call(args, kwargs)
        return self._module_call(args, kwargs)

    def _module_call(self, args, kwargs):
        training = kwargs.get("training")
        if training is not None:
            with backend.training_scope(bool(training)):
                return nn.Module.__call__(self, *args, **kwargs)
        return nn.Module.__call__(self, *args, **kwargs)

    def __getattr__(self, name):
        params = self.__dict__.get("_parameters")
        if params is not None and name in params:
            value = params[name]
            # Keras's autocast: inside a mixed-precision call, a float variable is read in the compute dtype.
            if isinstance(value, Variable):
                scope = _autocast.get_autocast_scope()
                if scope is not None and scope.dtype is not None and value.__dict__.get("autocast", True):
                    return scope.maybe_cast(value)
            return value
        return nn.Module.__getattr__(self, name)

    def forward(self, *args, **kwargs):
        self._added_losses.clear()
        if _accepts(type(self), "training"):
            kwargs["training"] = backend.resolve_training(kwargs.get("training"), self, _training_default(type(self)))
        else:
            kwargs.pop("training", None)
        in_mask = _mask_of(args[0]) if args else None
        if in_mask is not None and kwargs.get("mask") is None and _accepts(type(self), "mask"):
            kwargs["mask"] = in_mask
        _fill_named_masks(type(self), args, kwargs)
        out = self._remat_call(args, kwargs)
        if self._output_shape is None and isinstance(out, Tensor):
            self._output_shape = (None,) + tuple(out.shape[1:])
        flat_out = [out] if isinstance(out, Tensor) else list(out) if isinstance(out, (list, tuple)) else []
        if args and any(isinstance(t, Tensor) and getattr(t, "_keras_mask", None) is None for t in flat_out):
            mask = kwargs.get("mask", in_mask)
            out_mask = self.compute_mask(args[0], mask) if mask is not None or type(self).compute_mask \
                is not Layer.compute_mask else None
            # As Keras: the masks pair with the outputs in order (one mask goes to the first of several outputs)
            for t, m in zip(flat_out, out_mask if isinstance(out_mask, (list, tuple)) else [out_mask]):
                if isinstance(t, Tensor) and m is not None and getattr(t, "_keras_mask", None) is None:
                    t._keras_mask = m._data if isinstance(m, Tensor) else np.asarray(m)
        return out

    def _remat_call(self, args, kwargs):
        """``call``, rematerialized when the layer was created inside a ``keras.RematScope`` that selects it."""
        scope = self.__dict__.get("_remat_scope")
        if scope is None or not grad_mode.is_grad_enabled():
            return self.call(*args, **kwargs)
        if scope.mode == "activations":
            act = self.__dict__.get("activation")
            if callable(act) and not getattr(act, "_keras_remat", False) and getattr(act, "__name__", "") != "linear":
                wrapped = _remat.remat(act)
                wrapped._keras_remat = True
                self.__dict__["activation"] = wrapped
            return self.call(*args, **kwargs)
        if _remat.selects(scope, self, self._output_shape):
            return _remat.remat(self.call)(*args, **kwargs)
        return self.call(*args, **kwargs)

    def compute_mask(self, inputs, mask=None):
        """The mask of the output (a boolean array, or None): the input's mask for layers that support masking,
        None otherwise. With several inputs (a list), the first input's mask: Keras pairs the list of masks
        with the outputs, so a single output takes the first (an encoder-decoder block called on
        ``[decoder_tokens, encoder_states]`` keeps the decoder's padding mask). Merge layers combine them."""
        if not self.supports_masking or mask is None:
            return None
        if isinstance(mask, (list, tuple)):
            return None if not mask or mask[0] is None else np.asarray(
                mask[0]._data if isinstance(mask[0], Tensor) else mask[0], bool)
        return mask

    def call(self, inputs, *args, **kwargs):
        return inputs

    def _build_for_call(self, args, kwargs):
        """Build from the shape of the call's first argument (layers with several inputs override this)."""
        self._maybe_build(shape_of(args[0]) if args else None)

    def _symbolic_call(self, args, kwargs):
        if not self.built:
            self._build_for_call(args, kwargs)
        out_shape = self._output_spec(args, kwargs)
        outputs = _spec_to_tensors(out_shape)
        flat = [t for t in flatten(outputs) if isinstance(t, KerasTensor)]
        Node(self, args, kwargs, flat)
        _symbolic_masks(self, args, outputs)
        return outputs

    def _output_spec(self, args, kwargs):
        """Nested (shape, dtype) pairs of the call's outputs."""
        tensors = [t for t in flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        only_first = len(tensors) == len(flatten(args[0])) if args else False
        if only_first and type(self).compute_output_shape is not Layer.compute_output_shape:
            shape = self.compute_output_shape(shape_of(args[0]))
            dtype = self.compute_dtype_for(args[0])
            return _pair_shapes(shape, dtype)
        return _dummy_output_spec(self, args, kwargs)

    def compute_dtype_for(self, inputs):
        return self.compute_dtype

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape`` (found by running the layer on zeros unless overridden)."""
        return _strip_dtypes(_dummy_output_spec(self, (_placeholder_like(input_shape),), {}))

    # -- weights -------------------------------------------------------------------------------
    @property
    def dtype(self):
        """The variables' dtype (Keras's alias of ``variable_dtype``)."""
        return self._dtype

    @property
    def dtype_policy(self):
        """The layer's ``keras.DTypePolicy`` (``'mixed_float16'``: float16 compute, float32 variables); a
        ``QuantizedDTypePolicy`` once quantized. Setting a quantized one quantizes the built layer. A layer
        made with a ``DTypePolicyMap`` reports the map (as Keras), and uses its policy for the layer's path."""
        if self.__dict__.get("_policy_map") is not None:
            return self.__dict__["_policy_map"]
        return self.__dict__.get("_quant_policy") or self._policy()

    def _policy(self):
        d = self.__dict__
        policy = d.get("_float_policy")
        return policy if policy is not None else _policies.DTypePolicy(self._dtype)

    @dtype_policy.setter
    def dtype_policy(self, value):
        from .quantized import set_dtype_policy
        set_dtype_policy(self, value)

    @property
    def quantization_mode(self):
        """``'int8'``, ``'int4'``, ``'float8'`` once quantized, else None."""
        policy = self.__dict__.get("_quant_policy")
        return policy.quantization_mode if policy is not None else None

    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize the layer's weights (``Dense``, ``EinsumDense``, ``Embedding``; see layers/quantized.py)."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `quantize` method implemented.")

    @property
    def compute_dtype(self):
        """The dtype the layer computes in and outputs (its inputs are cast to it)."""
        return self.__dict__.get("_compute_dtype") or self._dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's variables."""
        return self._dtype

    @property
    def input_dtype(self):
        """The dtype float inputs are cast to (the compute dtype; an ``InputLayer``'s own dtype)."""
        return self.__dict__.get("_input_dtype") or self.compute_dtype

    @input_dtype.setter
    def input_dtype(self, value):
        self.__dict__["_input_dtype"] = value

    @property
    def autocast(self):
        """Whether float inputs are cast to the compute dtype and, under a mixed policy, float variables
        are read in it (Keras's ``autocast`` argument; LayerNormalization sets it False)."""
        return self.__dict__.get("_autocast", type(self)._autocast)

    @autocast.setter
    def autocast(self, value):
        self.__dict__["_autocast"] = bool(value)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        for attr, weight_trainable, _ in self._own_weights:
            w = getattr(self, attr)
            if isinstance(w, Variable):
                w.trainable = value and weight_trainable
            else:
                w.requires_grad_(value and weight_trainable)
        for child in self._modules.values():
            if isinstance(child, Layer):
                child.trainable = value
            elif child is not None:
                child.requires_grad_(value)

    def _sublayers(self):
        return [m for m in self._modules.values() if m is not None]

    @property
    def layers(self):
        return [m for m in self._sublayers() if isinstance(m, Layer)]

    def _own(self, trainable):
        return [getattr(self, a) for a, t, _ in self._own_weights if t == trainable]

    @property
    def weights(self):
        out = self._own(True) + self._own(False)
        for child in self._sublayers():
            out += child.weights if isinstance(child, Layer) else _module_weights(child)
        return _unique(out)

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        # Keras: the variables made trainable, less those frozen since (LoRA freezes the kernel).
        out = [w for w in self._own(True) if getattr(w, "trainable", True)]
        for child in self._sublayers():
            if isinstance(child, Layer):
                out += child.trainable_weights
            else:
                out += [p for p in child.parameters() if p.requires_grad]
        return _unique(out)

    @property
    def non_trainable_weights(self):
        trainable = set(id(w) for w in self.trainable_weights)
        return [w for w in self.weights if id(w) not in trainable]

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        """The weights as NumPy arrays (copies), in the order of ``weights``."""
        return [np.array(w._data, copy=True) for w in self.weights]

    def set_weights(self, weights):
        """Overwrite the weights from a list of arrays (same order and shapes as ``get_weights()``)."""
        params = self.weights
        weights = list(weights)
        if len(params) != len(weights):
            raise ValueError(f"Layer {self.name} expects {len(params)} weights, but the given list has "
                             f"{len(weights)} element(s)")
        for p, w in zip(params, weights):
            w = np.asarray(w._data if isinstance(w, Tensor) else w)
            if tuple(p.shape) != tuple(w.shape):
                raise ValueError(f"Layer {self.name} weight shape {tuple(p.shape)} is not compatible with "
                                 f"provided weight shape {tuple(w.shape)}")
            p._data[...] = w
            p._bump()

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call count_params on layer '{self.name}', but the layer isn't built. "
                             "You can build it manually via: `layer.build(input_shape)`.")
        return int(sum(math.prod(w.shape) for w in self.weights))

    def stateless_call(self, trainable_variables, non_trainable_variables, *args, return_losses=False, **kwargs):
        """``call(*args, **kwargs)`` with the variables reading the given values (lists 1:1 with
        ``trainable_variables`` and ``non_trainable_variables``); returns ``(outputs, new non-trainable values)``
        (and ``losses`` with ``return_losses``), leaving the layer's own variables as they were.

        The values are copied into the variables for the call (Keras's ``StatelessScope``), so gradients
        flow to the variables, not back to the tensors passed in.

        >>> from ember import keras
        >>> layer = keras.layers.Dense(1, kernel_initializer="ones")
        >>> _ = layer(keras.ops.ones((1, 2)))
        >>> out, _ = layer.stateless_call([2 * keras.ops.ones((2, 1)), keras.ops.zeros((1,))], [],
        ...                               keras.ops.ones((1, 2)))
        >>> float(out[0, 0]), float(layer(keras.ops.ones((1, 2)))[0, 0])
        (4.0, 2.0)
        """
        from ..scopes import StatelessScope
        if not self.built:
            raise ValueError(f"To call stateless_call, {type(self).__name__} must be built (i.e. its variables must "
                             "have been already created). You can build it by calling it on some data.")
        trainable, non_trainable = self.trainable_variables, self.non_trainable_variables
        for kind, given, own in (("trainable_variables", trainable_variables, trainable),
                                 ("non_trainable_variables", non_trainable_variables, non_trainable)):
            if len(given) != len(own):
                raise ValueError(f"Argument `{kind}` must be a list of tensors corresponding 1:1 to "
                                 f"{type(self).__name__}().{kind}. Received list with length {len(given)}, but "
                                 f"expected {len(own)} variables.")
        mapping = list(zip(trainable, trainable_variables)) + list(zip(non_trainable, non_trainable_variables))
        # ember's call() reads ``training`` from the enclosing scope (that __call__ opens), so open it here
        training = kwargs.get("training")
        with StatelessScope(state_mapping=mapping, collect_losses=return_losses) as scope, \
                backend.training_scope(None if training is None else bool(training)):
            outputs = self.call(*args, **kwargs)
            losses = self.losses if return_losses else None
        new_non_trainable = [scope.get_current_value(v) for v in non_trainable]
        if return_losses:
            return outputs, new_non_trainable, losses
        return outputs, new_non_trainable

    # -- losses --------------------------------------------------------------------------------
    def add_loss(self, loss):
        """Add a loss term (a scalar tensor) computed in ``call``; ``fit`` adds it to the training loss."""
        self._added_losses.append(loss)

    @property
    def losses(self):
        out = list(self._added_losses)
        for attr, _, reg in self._own_weights:
            if reg is not None and self._trainable:
                out.append(reg(getattr(self, attr)))
        for child in self._sublayers():
            if isinstance(child, Layer):
                out += child.losses
        return out

    # -- shapes for summaries and the functional API -------------------------------------------
    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has never been called and thus has no defined input.")
        ins = self._inbound_nodes[0].input_tensors
        return ins[0] if len(ins) == 1 else ins

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has never been called and thus has no defined output.")
        outs = self._inbound_nodes[0].outputs
        return outs[0] if len(outs) == 1 else outs

    @property
    def input_shape(self):
        """The shape of the layer's input in the functional graph (or the shape it was built for)."""
        if self._inbound_nodes:
            shapes = [t.shape for t in self._inbound_nodes[0].input_tensors]
            return shapes[0] if len(shapes) == 1 else shapes
        if self._build_input_shape is not None:
            return self._build_input_shape
        raise AttributeError(f"The layer {self.name} has never been called and thus has no defined input shape.")

    @property
    def output_shape(self):
        """The shape of the layer's output in the functional graph (or of its last output)."""
        if self._inbound_nodes:
            shapes = [t.shape for t in self._inbound_nodes[0].outputs]
            return shapes[0] if len(shapes) == 1 else shapes
        if self._output_shape is not None:
            return self._output_shape
        raise AttributeError(f"The layer {self.name} has never been called and thus has no defined output shape.")

    # -- config --------------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments as plain data (JSON-serializable)."""
        policy = self.__dict__.get("_policy_map")
        policy = policy if policy is not None else self.__dict__.get("_quant_policy")
        # Keras 3 saves the dtype as its policy ({'class_name': 'DTypePolicy', 'config': {'name': 'float32'}...})
        config = {"name": self.name, "trainable": self._trainable,
                  "dtype": _policies.serialize(policy if policy is not None else self._policy())}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = _jsonable_shape(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}"

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _needs_cast(x, np_dtype):
    """Whether ``x`` (a tensor, or a list, tuple or dict of them) holds a float tensor not of ``np_dtype``."""
    if isinstance(x, Tensor):
        dt = x._data.dtype
        return dt != np_dtype and (dt.kind == "f" or _autocast.is_float_array(x._data))
    if isinstance(x, (list, tuple)):
        return any(_needs_cast(v, np_dtype) for v in x)
    if isinstance(x, dict):
        return any(_needs_cast(v, np_dtype) for v in x.values())
    return False


def _cast_floats(x, dtype):
    """``x`` (a tensor, or a list, tuple or dict of them) with its float tensors cast to ember dtype ``dtype``."""
    if isinstance(x, Tensor):
        return _cast_keeping_mask(x, dtype) if _needs_cast(x, dtype.numpy) else x
    if isinstance(x, (list, tuple)):
        items = [_cast_floats(v, dtype) for v in x]
        if all(a is b for a, b in zip(items, x)):
            return x
        return type(x)(*items) if hasattr(x, "_fields") else items if isinstance(x, list) else tuple(items)
    if isinstance(x, dict):
        return {k: _cast_floats(v, dtype) for k, v in x.items()}
    return x


def _cast_keeping_mask(x, dtype):
    """``x`` cast to ember dtype ``dtype`` (differentiably), keeping the Keras mask it carries."""
    y = x.to(dtype)
    mask = getattr(x, "_keras_mask", None)
    if mask is not None and y is not x:
        y._keras_mask = mask
    return y


def _marks_built(build):
    """``build`` that leaves the layer built, as Keras's build wrapper does: a layer whose parent calls
    ``self.conv.build(shape)`` by hand (keras.io's PixelCNN) is not built a second time, with fresh weights,
    on its first call."""
    if getattr(build, "_marks_built", False):
        return build

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        scope = self._enter_build()
        try:
            result = build(self, *args, **kwargs)
        finally:
            scope.__exit__(None, None, None)
        if self.__dict__.get("_build_input_shape") is None and args:
            self.__dict__["_build_input_shape"] = args[0]
        self.__dict__["built"] = True
        return result
    wrapper._marks_built = True
    return wrapper


_mask_args = {}


def _fill_named_masks(cls, args, kwargs):
    """For a ``call(query, value, ..., query_mask=None, value_mask=None)`` signature, pass each tensor argument's
    Keras mask as its ``<name>_mask`` argument (as Keras does for attention layers)."""
    if cls not in _mask_args:
        try:
            names = [n for n in inspect.signature(cls.call).parameters if n != "self"]
        except (TypeError, ValueError):
            names = []
        _mask_args[cls] = (names, [n for n in names if f"{n}_mask" in names])
    names, masked = _mask_args[cls]
    for i, name in enumerate(names):
        if name not in masked or kwargs.get(f"{name}_mask") is not None:
            continue
        value = args[i] if i < len(args) else kwargs.get(name)
        m = getattr(value, "_keras_mask", None)
        if m is not None:
            kwargs[f"{name}_mask"] = m


def _mask_of(x):
    """The Keras mask carried by a tensor (or the list of masks of a list of tensors; None if there are none)."""
    if isinstance(x, (list, tuple)):
        masks = [getattr(v, "_keras_mask", None) for v in x]
        return masks if any(m is not None for m in masks) else None
    return getattr(x, "_keras_mask", None)


def _module_weights(module):
    return list(module.parameters()) + [b for b in module.buffers()]


def _unique(ws):
    seen, out = set(), []
    for w in ws:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


def _is_pair(x):
    return isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], tuple) and isinstance(x[1], str)


def _spec_to_tensors(spec):
    if _is_pair(spec):
        return KerasTensor(spec[0], spec[1])
    if isinstance(spec, dict):
        return {k: _spec_to_tensors(v) for k, v in spec.items()}
    return [_spec_to_tensors(v) for v in spec]


def _strip_dtypes(spec):
    if _is_pair(spec):
        return spec[0]
    if isinstance(spec, dict):
        return {k: _strip_dtypes(v) for k, v in spec.items()}
    return [_strip_dtypes(v) for v in spec]


def _pair_shapes(shape, dtype):
    if isinstance(shape, list):
        return [_pair_shapes(s, dtype) for s in shape]
    if isinstance(shape, dict):
        return {k: _pair_shapes(s, dtype) for k, s in shape.items()}
    return (tuple(shape), dtype)


def _to_shape(s):
    if isinstance(s, list) and s and isinstance(s[0], (list, tuple)):
        return [_to_shape(v) for v in s]
    if isinstance(s, dict):
        return {k: _to_shape(v) for k, v in s.items()}
    return tuple(s)


def _jsonable_shape(s):
    if isinstance(s, (list, tuple)) and s and isinstance(s[0], (list, tuple)):
        return [_jsonable_shape(v) for v in s]
    if isinstance(s, dict):
        return {k: _jsonable_shape(v) for k, v in s.items()}
    return list(s) if s is not None else None


def _placeholder_like(shape):
    if isinstance(shape, list):
        return [_placeholder_like(s) for s in shape]
    return KerasTensor(shape, backend.floatx())


def _concrete(t, fill):
    """Zeros in the shape of KerasTensor ``t`` (unknown dims ``fill``), carrying an all-True mask if ``t`` has
    one (so that a layer whose call needs its ``mask`` gets one when its output shape is found)."""
    if not isinstance(t, KerasTensor):
        return t
    out = make(np.zeros(tuple(fill if d is None else d for d in t.shape), np.dtype(t.dtype)))
    mask_shape = getattr(t, "_mask_shape", None)
    if mask_shape is not None:
        out._keras_mask = np.ones(tuple(fill if d is None else d for d in mask_shape), bool)
    return out


def _symbolic_masks(layer, args, outputs):
    """Mark ``outputs`` (KerasTensors) with the shape of the mask Keras would attach to them: what
    ``layer.compute_mask`` gives for concrete stand-ins of the inputs and their masks (run twice, unknown dims
    2 and 3). Only for a layer that defines compute_mask or that receives a masked input."""
    if not args:
        return
    first = args[0]
    has_mask = any(getattr(t, "_mask_shape", None) is not None for t in flatten(first) if isinstance(t, KerasTensor))
    if not has_mask and type(layer).compute_mask is Layer.compute_mask:
        return
    runs = []
    for fill in (2, 3):
        x = map_structure(lambda t: _concrete(t, fill), first)
        try:
            with grad_mode.no_grad():
                m = layer.compute_mask(x, _mask_of(x))
        except Exception:   # a compute_mask that cannot run on stand-ins: no mask, as before
            return
        runs.append(m)

    def mask_shape(m1, m2):
        if m1 is None or m2 is None:
            return None
        a1, a2 = np.shape(m1._data if isinstance(m1, Tensor) else m1), np.shape(m2._data if isinstance(m2, Tensor)
                                                                             else m2)
        return tuple(d1 if d1 == d2 else None for d1, d2 in zip(a1, a2))
    flat_out = [t for t in flatten(outputs) if isinstance(t, KerasTensor)]
    pairs = list(zip(runs[0], runs[1])) if isinstance(runs[0], (list, tuple)) else [(runs[0], runs[1])]
    for t, (m1, m2) in zip(flat_out, pairs):
        t._mask_shape = mask_shape(m1, m2)


def _dummy_output_spec(layer, args, kwargs):
    """Output (shape, dtype) found by running ``layer`` on zeros twice, with unknown dims set to 2 and 3:
    output dims that differ between the runs are unknown (None)."""
    runs = []
    for fill in (2, 3):
        def concrete(t, fill=fill):
            return _concrete(t, fill)
        a = map_structure(concrete, args)
        k = map_structure(concrete, kwargs)
        with grad_mode.no_grad(), backend.training_scope(False):
            out = layer(*a, **k)
        runs.append(out)

    def spec(o1, o2):
        shape = tuple(d1 if d1 == d2 else None for d1, d2 in zip(o1.shape, o2.shape))
        return (shape, str(o1._data.dtype))

    def zip_struct(s1, s2):
        if isinstance(s1, (list, tuple)) and not isinstance(s1, Tensor):
            return [zip_struct(a, b) for a, b in zip(s1, s2)]
        if isinstance(s1, dict):
            return {k: zip_struct(s1[k], s2[k]) for k in s1}
        return spec(s1, s2)
    return zip_struct(*runs)
