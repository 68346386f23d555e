"""``ExportGraphSignature``: what each input and output of an exported graph is, as ``torch.export``.

An exported graph takes every parameter, buffer and tensor constant as an input (they are
*lifted*): ``p_fc_weight`` is the parameter ``fc.weight``, ``b_bn_running_mean`` the buffer
``bn.running_mean``, ``c_...`` a constant, then the user's inputs by name. Its outputs are the
user's outputs, flattened. The signature records each one as an :class:`InputSpec` /
:class:`OutputSpec`; its properties give the usual views (``parameters``, ``user_inputs``,
``inputs_to_parameters`` ...).

>>> sig = ExportGraphSignature([InputSpec(InputKind.PARAMETER, TensorArgument("p_w"), "w"),
...                             InputSpec(InputKind.USER_INPUT, TensorArgument("x"), None)],
...                            [OutputSpec(OutputKind.USER_OUTPUT, TensorArgument("mul"), None)])
>>> sig.parameters, sig.user_inputs, sig.inputs_to_parameters
(('w',), ('x',), {'p_w': 'w'})
"""
import dataclasses
import enum
from typing import Any, Optional

__all__ = ["InputKind", "OutputKind", "TensorArgument", "ConstantArgument", "InputSpec", "OutputSpec",
           "ExportGraphSignature"]


class InputKind(enum.Enum):
    USER_INPUT = enum.auto()
    PARAMETER = enum.auto()
    BUFFER = enum.auto()
    CONSTANT_TENSOR = enum.auto()
    CUSTOM_OBJ = enum.auto()
    TOKEN = enum.auto()


class OutputKind(enum.Enum):
    USER_OUTPUT = enum.auto()
    LOSS_OUTPUT = enum.auto()
    BUFFER_MUTATION = enum.auto()
    GRADIENT_TO_PARAMETER = enum.auto()
    GRADIENT_TO_USER_INPUT = enum.auto()
    USER_INPUT_MUTATION = enum.auto()
    TOKEN = enum.auto()


@dataclasses.dataclass
class TensorArgument:
    name: str


@dataclasses.dataclass
class ConstantArgument:
    name: str
    value: Any


@dataclasses.dataclass
class InputSpec:
    kind: InputKind
    arg: Any
    target: Optional[str]
    persistent: Optional[bool] = None

    def __post_init__(self):
        if self.kind == InputKind.BUFFER and self.persistent is None:
            raise AssertionError("InputSpec of a buffer must say whether it is persistent")


@dataclasses.dataclass
class OutputSpec:
    kind: OutputKind
    arg: Any
    target: Optional[str]


class ExportGraphSignature:
    """The :class:`InputSpec` and :class:`OutputSpec` lists of an exported graph (see the module doc)."""

    def __init__(self, input_specs, output_specs):
        self.input_specs = list(input_specs)
        self.output_specs = list(output_specs)

    def _targets(self, kind, persistent=None):
        return tuple(s.target for s in self.input_specs
                     if s.kind == kind and (persistent is None or s.persistent == persistent))

    @property
    def parameters(self):
        return self._targets(InputKind.PARAMETER)

    @property
    def buffers(self):
        return self._targets(InputKind.BUFFER)

    @property
    def non_persistent_buffers(self):
        return self._targets(InputKind.BUFFER, persistent=False)

    @property
    def lifted_tensor_constants(self):
        return self._targets(InputKind.CONSTANT_TENSOR)

    @property
    def user_inputs(self):
        return tuple(s.arg.name if isinstance(s.arg, TensorArgument) else s.arg.value
                     for s in self.input_specs if s.kind == InputKind.USER_INPUT)

    @property
    def user_outputs(self):
        return tuple(s.arg.name if isinstance(s.arg, TensorArgument) else s.arg.value
                     for s in self.output_specs if s.kind == OutputKind.USER_OUTPUT)

    def _inputs_to(self, kind):
        return {s.arg.name: s.target for s in self.input_specs if s.kind == kind}

    @property
    def inputs_to_parameters(self):
        return self._inputs_to(InputKind.PARAMETER)

    @property
    def inputs_to_buffers(self):
        return self._inputs_to(InputKind.BUFFER)

    @property
    def inputs_to_lifted_tensor_constants(self):
        return self._inputs_to(InputKind.CONSTANT_TENSOR)

    @property
    def buffers_to_mutate(self):
        return {s.arg.name: s.target for s in self.output_specs if s.kind == OutputKind.BUFFER_MUTATION}

    @property
    def user_inputs_to_mutate(self):
        return {s.arg.name: s.target for s in self.output_specs if s.kind == OutputKind.USER_INPUT_MUTATION}

    def __str__(self):
        lines = ["# inputs"]
        for s in self.input_specs:
            line = f"{s.arg.name}: {s.kind.name}"
            if s.target is not None:
                line += f" target={s.target!r}"
            if s.persistent is not None:
                line += f" persistent={s.persistent}"
            lines.append(line)
        lines += ["", "# outputs"]
        for s in self.output_specs:
            line = f"{s.arg.name}: {s.kind.name}"
            if s.target is not None:
                line += f" target={s.target!r}"
            lines.append(line)
        return "\n".join(lines) + "\n"

    __repr__ = __str__
