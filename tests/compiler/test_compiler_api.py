"""torch.compiler's helpers in ember.compiler: the same names as torch 2.13, the decorators return
working functions, and set_stance("force_eager") makes compile return its argument while it holds."""
import pytest
import torch

import ember
from ember import compiler, nn

NAMES = ["allow_in_graph", "assume_constant_result", "cudagraph_mark_step_begin", "disable", "is_compiling",
         "is_dynamo_compiling", "is_exporting", "list_backends", "reset", "set_stance"]


def test_names_exist_in_torch_and_ember():
    for name in NAMES:
        assert hasattr(torch.compiler, name) and hasattr(compiler, name), name


def test_decorators_keep_the_function_and_outside_compile_nothing_is_compiling():
    @compiler.disable
    def f(x):
        return x + 1

    @compiler.disable(recursive=False)
    def g(x):
        return x * 2
    assert f(1) == 2 and g(2) == 4 and compiler.allow_in_graph(f) is f
    assert compiler.is_compiling() == torch.compiler.is_compiling() is False
    assert "inductor" in compiler.list_backends() and "inductor" in torch.compiler.list_backends()


def test_force_eager_stance_returns_the_model_and_default_compiles_again():
    model = nn.Linear(2, 2)
    with compiler.set_stance("force_eager"):
        assert ember.compile(model) is model
    assert type(ember.compile(model)).__name__ == "CompiledModule"

    @compiler.set_stance("force_eager")
    def build():
        return ember.compile(model)
    assert compiler.api.stance() == "default" and build() is model and compiler.api.stance() == "default"
    with pytest.raises(ValueError, match="stance must be one of"):
        compiler.set_stance("sometimes")
