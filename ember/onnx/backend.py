"""ember as an ONNX backend (``onnx.backend.base.Backend``), so ONNX's own test suite can run it.

``EmberBackend.prepare(model)`` loads the model with :func:`ember.onnx.load` and returns an
:class:`EmberRep` whose ``run(inputs)`` takes NumPy arrays (graph order, or a dict by name) and
returns NumPy arrays, the contract ``onnx.backend.test`` checks outputs against.

>>> import numpy as np, onnx
>>> from onnx import helper, TensorProto
>>> from ember.onnx.backend import EmberBackend
>>> node = helper.make_node("Add", ["a", "b"], ["c"])
>>> EmberBackend.run_node(node, [np.ones(2, np.float32), np.ones(2, np.float32)])[0]
array([2., 2.], dtype=float32)
"""
import numpy as np

import ember

from .importer import OnnxModule, _onnx
from .ops import tensor


def _to_numpy(value):
    if value is None or isinstance(value, list):  # an empty optional, a sequence
        return value if value is None else [_to_numpy(v) for v in value]
    if isinstance(value, ember.Tensor):
        return value.detach().numpy()
    return np.asarray(value)


def _to_tensor(name, value):
    if isinstance(value, dict):
        raise NotImplementedError(f"ember.onnx: input {name!r} is a sequence/map/optional of maps; "
                                  "only tensors, sequences and optionals are supported")
    if value is None:
        return None
    if isinstance(value, list):
        return [_to_tensor(name, v) for v in value]
    return tensor(np.asarray(value))


def _base():
    _onnx()
    from onnx.backend.base import Backend, BackendRep
    return Backend, BackendRep


_Backend, _BackendRep = _base()


class EmberRep(_BackendRep):
    """A prepared model: an :class:`~ember.onnx.importer.OnnxModule` in eval mode."""

    def __init__(self, module):
        self.module = module.eval()

    def run(self, inputs, **kwargs):
        if isinstance(inputs, dict):
            named = inputs
        else:
            if not isinstance(inputs, (list, tuple)):
                inputs = [inputs]
            named = dict(zip(self.module.input_names, inputs))
        with ember.no_grad():
            out = self.module(**{k: _to_tensor(k, v) for k, v in named.items()})
        out = out if isinstance(out, tuple) else (out,)
        return tuple(_to_numpy(o) for o in out)


class EmberBackend(_Backend):
    """Runs ONNX models with ember ops on the CPU."""

    @classmethod
    def is_compatible(cls, model, device="CPU", **kwargs):
        return device == "CPU"

    @classmethod
    def prepare(cls, model, device="CPU", **kwargs):
        super().prepare(model, device, **kwargs)
        return EmberRep(OnnxModule(model))

    @classmethod
    def run_model(cls, model, inputs, device="CPU", **kwargs):
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(cls, node, inputs, device="CPU", outputs_info=None, **kwargs):
        onnx = _onnx()
        helper = onnx.helper
        names = [n for n in node.input if n]
        arrays = [np.asarray(a) for a in inputs]
        graph_inputs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
                        for n, a in zip(names, arrays)]
        graph_outputs = [helper.make_empty_tensor_value_info(o) for o in node.output if o]
        graph = helper.make_graph([node], "run_node", graph_inputs, graph_outputs)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", kwargs.get("opset", 21))])
        return EmberRep(OnnxModule(model)).run(arrays)  # a bare node: no model checker

    @classmethod
    def supports_device(cls, device):
        return device == "CPU"


prepare = EmberBackend.prepare
run_model = EmberBackend.run_model
run_node = EmberBackend.run_node
supports_device = EmberBackend.supports_device
