"""A served model: its name, version, platform, input/output signature, and a ``predict`` over NumPy.

The signature follows KServe's model metadata: each tensor has a name, a datatype (``"FP32"``...)
and a shape in which ``-1`` is a dimension of any size. A model whose inputs and outputs all start
with a ``-1`` dimension is *batchable*: requests may be concatenated along dimension 0 and run
together (see :mod:`ember.serve.batcher`).

>>> import numpy as np
>>> m = ServedModel("double", "1", "python", [TensorSpec("x", "FP32", (-1, 2))],
...                 [TensorSpec("y", "FP32", (-1, 2))], lambda feeds: {"y": feeds["x"] * 2})
>>> m.batchable, m.predict({"x": np.ones((1, 2), np.float32)})["y"].tolist()
(True, [[2.0, 2.0]])
>>> m.check_inputs({"x": np.ones((1, 3), np.float32)})
Traceback (most recent call last):
  ...
ember.serve.protocol.ProtocolError: model 'double' input 'x': expected shape [-1, 2], got [1, 3]
"""
from dataclasses import dataclass

from .protocol import ProtocolError, datatype_of

__all__ = ["TensorSpec", "ServedModel"]


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of a model: KServe's ``{"name", "datatype", "shape"}``."""
    name: str
    datatype: str
    shape: tuple

    def metadata(self):
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}


class ServedModel:
    """A model the server can run.

    Args:
        name (str), version (str): how clients address it (``/v2/models/NAME/versions/VERSION``).
        platform (str): what runs it (``"onnxruntime_onnx"``, ``"ember_module"``, ``"ember_keras"``).
        inputs, outputs (list[TensorSpec]): the signature.
        run (callable): ``{input name: ndarray} -> {output name: ndarray}``.
    """

    def __init__(self, name, version, platform, inputs, outputs, run, source=None):
        self.name, self.version, self.platform = name, str(version), platform
        self.inputs, self.outputs = list(inputs), list(outputs)
        self._run = run
        self.source = source
        self.batchable = all(len(t.shape) > 0 and t.shape[0] == -1 for t in self.inputs + self.outputs)

    def __repr__(self):
        return f"ServedModel({self.name!r}, version={self.version!r}, platform={self.platform!r})"

    def metadata(self, versions):
        return {"name": self.name, "versions": list(versions), "platform": self.platform,
                "inputs": [t.metadata() for t in self.inputs], "outputs": [t.metadata() for t in self.outputs]}

    def check_inputs(self, feeds):
        """Raise :class:`ProtocolError` unless ``feeds`` match the input signature exactly."""
        expected = {t.name: t for t in self.inputs}
        unknown = [n for n in feeds if n not in expected]
        missing = [n for n in expected if n not in feeds]
        if unknown or missing:
            raise ProtocolError(f"model {self.name!r} takes inputs {sorted(expected)}, got {sorted(feeds)}")
        rows = set()
        for name, array in feeds.items():
            spec = expected[name]
            got = _datatype_name(array.dtype)
            if got != spec.datatype:
                raise ProtocolError(f"model {self.name!r} input {name!r}: expected datatype {spec.datatype}, "
                                    f"got {got}")
            if len(array.shape) != len(spec.shape) or any(d != -1 and d != g for d, g in zip(spec.shape, array.shape)):
                raise ProtocolError(f"model {self.name!r} input {name!r}: expected shape {list(spec.shape)}, "
                                    f"got {list(array.shape)}")
            if self.batchable:
                rows.add(array.shape[0])
        if len(rows) > 1:
            raise ProtocolError(f"model {self.name!r}: the inputs' first (batch) dimensions differ: "
                                f"{ {n: a.shape[0] for n, a in feeds.items()} }")

    def predict(self, feeds):
        """Run the model on ``{input name: ndarray}``; returns ``{output name: ndarray}`` in output order."""
        results = self._run(feeds)
        return {t.name: results[t.name] for t in self.outputs}


def _datatype_name(dtype):
    try:
        return datatype_of(dtype)
    except ProtocolError:
        return str(dtype)
