"""Eager-mode quantization workflows: ``prepare`` / ``convert`` (static), ``prepare_qat``, ``quantize_dynamic``.

- ``prepare(model)``: gives every module its ``qconfig`` (inherited from the parent unless set) and
  attaches ``qconfig.activation()`` as ``activation_post_process`` (run by a forward hook) to each
  leaf module that ``convert`` will quantize; calibration batches then fill the observers.
- ``convert(model)``: swaps each observed module for its quantized form (``from_float``, per the
  mapping below), replaces ``QuantStub`` / ``DeQuantStub`` with ``Quantize`` / ``DeQuantize``, and
  drops the observers. Float modules left in place (pooling, ReLU, Flatten, Identity) take the
  quantized tensors as they are, through ember's functional ops.
- ``prepare_qat(model)``: swaps in the QAT modules (fake-quantized weights) and then ``prepare``s
  with fake-quantize modules for the activations.
- ``quantize_dynamic(model, {nn.Linear, nn.LSTM}, dtype=qint8)``: int8 weights now, activations
  quantized per call.

>>> import ember
>>> from ember import nn
>>> from ember.ao.quantization import quantize_dynamic
>>> q = quantize_dynamic(nn.Sequential(nn.Linear(4, 2)), {nn.Linear}, dtype=ember.qint8)
>>> type(q[0]).__name__
'Linear'
"""
import copy
import itertools

from ... import nn
from ...backend import qdtypes as _qd
from ..nn import intrinsic as nni
from ..nn import qat as nnqat
from ..nn import quantized as nnq
from ..nn.intrinsic import qat as nniqat
from ..nn.intrinsic import quantized as nniq
from ..nn.quantized import dynamic as nnqd
from .fake_quantize import FakeQuantizeBase
from .observer import ObserverBase
from .qconfig import default_dynamic_qconfig
from .stubs import DeQuantStub, QuantStub


DEFAULT_STATIC_QUANT_MODULE_MAPPINGS = {
    QuantStub: nnq.Quantize,
    DeQuantStub: nnq.DeQuantize,
    nn.Linear: nnq.Linear,
    nn.Conv1d: nnq.Conv1d,
    nn.Conv2d: nnq.Conv2d,
    nn.Dropout: nnq.Dropout,
    nn.ReLU6: nnq.ReLU6,
    nnq.FloatFunctional: nnq.QFunctional,
    nni.ConvReLU1d: nniq.ConvReLU1d,
    nni.ConvReLU2d: nniq.ConvReLU2d,
    nni.LinearReLU: nniq.LinearReLU,
    nnqat.Linear: nnq.Linear,
    nnqat.Conv2d: nnq.Conv2d,
    nniqat.ConvBn2d: nnq.Conv2d,
    nniqat.ConvBnReLU2d: nniq.ConvReLU2d,
    nniqat.ConvReLU2d: nniq.ConvReLU2d,
    nniqat.LinearReLU: nniq.LinearReLU,
}
DEFAULT_QAT_MODULE_MAPPINGS = {
    nn.Conv2d: nnqat.Conv2d,
    nn.Linear: nnqat.Linear,
    nni.ConvBn2d: nniqat.ConvBn2d,
    nni.ConvBnReLU2d: nniqat.ConvBnReLU2d,
    nni.ConvReLU2d: nniqat.ConvReLU2d,
    nni.LinearReLU: nniqat.LinearReLU,
}
DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS = {
    nn.Linear: nnqd.Linear,
    nn.LSTM: nnqd.LSTM,
    nn.GRU: nnqd.GRU,
}


def get_default_static_quant_module_mappings():
    return copy.copy(DEFAULT_STATIC_QUANT_MODULE_MAPPINGS)


def get_default_qat_module_mappings():
    return copy.copy(DEFAULT_QAT_MODULE_MAPPINGS)


def get_default_dynamic_quant_module_mappings():
    return copy.copy(DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS)


def get_default_qconfig_propagation_list():
    return set(DEFAULT_STATIC_QUANT_MODULE_MAPPINGS) | set(DEFAULT_QAT_MODULE_MAPPINGS) \
        | set(DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS)


def _is_activation_post_process(m):
    return isinstance(m, (ObserverBase, FakeQuantizeBase))


# -- qconfig propagation -------------------------------------------------------------------------

def propagate_qconfig_(module, qconfig_dict=None, prepare_custom_config_dict=None):
    """Set ``qconfig`` on every module: its own, else ``qconfig_dict[type]`` / ``[name]``, else the parent's."""
    _propagate(module, qconfig_dict or {}, None, "")


def _propagate(module, qconfig_dict, parent_qconfig, prefix):
    qconfig = qconfig_dict.get(type(module), parent_qconfig)
    qconfig = qconfig_dict.get(prefix, qconfig)
    qconfig = getattr(module, "qconfig", qconfig)
    module.qconfig = qconfig
    for name, child in module.named_children():
        _propagate(child, qconfig_dict, qconfig, prefix + "." + name if prefix else name)


def _needs_observation(m):
    return getattr(m, "qconfig", None) is not None


# -- prepare -------------------------------------------------------------------------------------

def _hook_fn(entry):
    """The function of a ``_forward_hooks`` entry (a bare function, or ``(function, with_kwargs)``)."""
    return entry[0] if isinstance(entry, tuple) else entry


def _observer_forward_hook(self, input, output):
    return self.activation_post_process(output)


def _insert_activation_post_process(m):
    # PyTorch observes neither a DeQuantStub's output nor a Dropout's (it is the identity once quantized).
    if _needs_observation(m) and not isinstance(m, (DeQuantStub, nn.Dropout)):
        m.add_module("activation_post_process", m.qconfig.activation())
        m.register_forward_hook(_observer_forward_hook, prepend=True)


def _add_observer_(module, propagation_list, non_leaf_module_list=None):
    for child in module.children():
        if isinstance(child, (nnq.FloatFunctional, nnq.QFunctional)):
            if _needs_observation(child):
                child.activation_post_process = child.qconfig.activation()
        elif isinstance(child, nni._FusedModule):
            if _needs_observation(child):
                _insert_activation_post_process(child)
        elif non_leaf_module_list is not None and type(child) in non_leaf_module_list:
            if _needs_observation(child):
                _insert_activation_post_process(child)
        else:
            _add_observer_(child, propagation_list, non_leaf_module_list)
    if not list(module.children()) and not isinstance(module, nn.Sequential) and type(module) in propagation_list:
        _insert_activation_post_process(module)


def prepare(model, inplace=False, allow_list=None, observer_non_leaf_module_list=None,
            prepare_custom_config_dict=None):
    """Attach observers (from each module's ``qconfig``) for post-training static quantization."""
    if not inplace:
        model = copy.deepcopy(model)
    propagate_qconfig_(model, qconfig_dict=None)
    if not any(_needs_observation(m) for m in model.modules()):
        import warnings
        warnings.warn("None of the submodule got qconfig applied. Make sure you passed correct configuration "
                      "through `qconfig_dict` or by assigning the `.qconfig` attribute directly on submodules",
                      stacklevel=2)
    _add_observer_(model, allow_list or get_default_qconfig_propagation_list(), observer_non_leaf_module_list)
    return model


def prepare_qat(model, mapping=None, inplace=False):
    """Swap in QAT modules (fake-quantized weights) and attach fake-quantize activation observers."""
    if not model.training:
        raise AssertionError("prepare_qat only works on models for which model.training is True")
    mapping = get_default_qat_module_mappings() if mapping is None else mapping
    if not inplace:
        model = copy.deepcopy(model)
    propagate_qconfig_(model, qconfig_dict=None)
    convert(model, mapping=mapping, inplace=True, remove_qconfig=False)
    prepare(model, observer_non_leaf_module_list=set(mapping.values()), inplace=True)
    return model


# -- convert -------------------------------------------------------------------------------------

def swap_module(mod, mapping, custom_module_class_mapping=None, use_precomputed_fake_quant=False):
    """``mapping[type(mod)].from_float(mod)`` if ``mod`` has a qconfig and a mapping; else ``mod``."""
    new_mod = mod
    if _needs_observation(mod) and type(mod) in mapping:
        new_mod = mapping[type(mod)].from_float(mod)
        # Keep the user's hooks (not the observer's) on the new module.
        for hook_id, hook in mod._forward_pre_hooks.items():
            new_mod._forward_pre_hooks[hook_id] = hook
        for hook_id, hook in mod._forward_hooks.items():
            if _hook_fn(hook) is not _observer_forward_hook:
                new_mod._forward_hooks[hook_id] = hook
        new_mod.train(mod.training)
    return new_mod


def _convert(module, mapping, inplace=True, is_reference=False, use_precomputed_fake_quant=False):
    reassign = {}
    for name, mod in module.named_children():
        if not isinstance(mod, nni._FusedModule):
            _convert(mod, mapping, True, is_reference)
        reassign[name] = swap_module(mod, mapping, None, use_precomputed_fake_quant)
    for name, mod in reassign.items():
        setattr(module, name, mod)
    return module


def _remove_activation_post_process(module):
    if _is_activation_post_process(getattr(module, "activation_post_process", None)):
        delattr(module, "activation_post_process")
    for hook_id, hook in list(module._forward_hooks.items()):
        if _hook_fn(hook) is _observer_forward_hook:
            del module._forward_hooks[hook_id]


def _remove_qconfig(module):
    for child in module.children():
        _remove_qconfig(child)
    if hasattr(module, "qconfig"):
        del module.qconfig
    _remove_activation_post_process(module)


def convert(module, mapping=None, inplace=False, remove_qconfig=True, is_reference=False,
            convert_custom_config_dict=None, use_precomputed_fake_quant=False):
    """Swap observed float (or QAT) modules for their quantized forms, using the qparams observed."""
    if is_reference:
        raise NotImplementedError("ember's convert does not build reference (is_reference=True) models")
    if mapping is None:
        mapping = get_default_static_quant_module_mappings()
    if not inplace:
        module = copy.deepcopy(module)
    _convert(module, mapping, True, is_reference, use_precomputed_fake_quant)
    if remove_qconfig:
        _remove_qconfig(module)
    return module


# -- one-call workflows --------------------------------------------------------------------------

def quantize(model, run_fn, run_args, mapping=None, inplace=False):
    """``prepare``, ``run_fn(model, *run_args)`` (calibration), ``convert``; ``model.eval()`` first."""
    if not inplace:
        model = copy.deepcopy(model)
    model.eval()
    prepare(model, inplace=True)
    run_fn(model, *run_args)
    convert(model, mapping, inplace=True)
    return model


def quantize_qat(model, run_fn, run_args, inplace=False):
    """``prepare_qat``, ``run_fn(model, *run_args)`` (training), ``convert``."""
    if not inplace:
        model = copy.deepcopy(model)
    model.train()
    prepare_qat(model, inplace=True)
    run_fn(model, *run_args)
    convert(model, inplace=True)
    return model


def quantize_dynamic(model, qconfig_spec=None, dtype=None, mapping=None, inplace=False):
    """Dynamic quantization: ``nn.Linear`` / ``nn.LSTM`` modules (by default) get int8 weights."""
    dtype = _qd.qint8 if dtype is None else dtype
    if dtype is not _qd.qint8:
        raise NotImplementedError(f"ember's quantize_dynamic supports dtype=qint8 only, got {dtype}")
    if qconfig_spec is None:
        qconfig_spec = dict.fromkeys((nn.Linear, nn.LSTM, nn.GRU, nn.LSTMCell, nn.RNNCell, nn.GRUCell),
                                     default_dynamic_qconfig)
    elif isinstance(qconfig_spec, set):
        qconfig_spec = dict(zip(qconfig_spec, itertools.repeat(default_dynamic_qconfig)))
    if mapping is None:
        mapping = get_default_dynamic_quant_module_mappings()
    if not inplace:
        model = copy.deepcopy(model)
    model.eval()
    propagate_qconfig_(model, qconfig_spec)
    convert(model, mapping, inplace=True)
    return model
