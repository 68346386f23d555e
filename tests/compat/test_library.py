"""``torch.library`` custom operators in ember against the same definitions in torch: values, gradients
from the registered formula, schema defaults, errors, and the ``torch.ops`` call path."""
import os
import subprocess
import sys
from typing import Optional

import numpy as np
import pytest
import torch

import ember
import ember.library as elib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
X = np.array([0.3, -1.2, 2.0])


def _define_sin(lib, library, ns, T):
    @library.custom_op(f"{ns}::mysin", mutates_args=())
    def mysin(x: T, scale: float = 1.0) -> T:
        return lib.sin(x) * scale

    @mysin.register_fake
    def _(x, scale=1.0):
        return lib.empty_like(x)

    def setup_context(ctx, inputs, output):
        x, scale = inputs
        ctx.save_for_backward(x)
        ctx.scale = scale

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * lib.cos(x) * ctx.scale * 10, None  # 10x: the registered formula, not autograd's, is used
    mysin.register_autograd(backward, setup_context=setup_context)
    return mysin


@pytest.fixture(scope="module")
def sins():
    return _define_sin(torch, torch.library, "embertest_t", torch.Tensor), \
        _define_sin(ember, elib, "embertest_e", ember.Tensor)


def test_custom_op_values_and_registered_gradient(sins):
    grads = []
    for lib, call in ((torch, lambda x: torch.ops.embertest_t.mysin(x, 2.0)),
                      (ember, lambda x: ember.ops.embertest_e.mysin(x, 2.0))):
        x = lib.tensor(X, requires_grad=True)
        y = call(x)
        np.testing.assert_allclose(y.detach().numpy(), np.sin(X) * 2.0)
        y.sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0])
    np.testing.assert_allclose(grads[1], np.cos(X) * 20)
    _, emysin = sins
    assert float(emysin(ember.tensor([0.5]))) == pytest.approx(np.sin(0.5))
    assert float(ember.ops.embertest_e.mysin.default(ember.tensor([0.5]), scale=3.0)) == pytest.approx(3 * np.sin(0.5))


def test_custom_op_without_formula_raises_on_backward():
    for lib, library, ns in ((torch, torch.library, "embertest_t"), (ember, elib, "embertest_e")):
        @library.custom_op(f"{ns}::double_it", mutates_args=())
        def double_it(x: lib.Tensor) -> lib.Tensor:
            return x * 2
        x = lib.ones(2, requires_grad=True)
        y = double_it(x)
        np.testing.assert_allclose(y.detach().numpy(), [2, 2])
        with pytest.raises(RuntimeError, match="no autograd formula was registered"):
            y.sum().backward()
        with lib.no_grad():
            assert double_it(x).tolist() == [2.0, 2.0]


def test_mutating_op_and_multiple_outputs():
    for lib, library, ns in ((torch, torch.library, "embertest_t"), (ember, elib, "embertest_e")):
        @library.custom_op(f"{ns}::add_into", mutates_args={"x"})
        def add_into(x: lib.Tensor, y: lib.Tensor) -> None:
            x.add_(y)

        @library.custom_op(f"{ns}::sum_prod", mutates_args=())
        def sum_prod(x: lib.Tensor, y: lib.Tensor) -> tuple[lib.Tensor, lib.Tensor]:
            return x + y, x * y
        a = lib.zeros(2)
        assert add_into(a, lib.ones(2)) is None and a.tolist() == [1.0, 1.0]
        s, p = getattr(getattr(lib.ops, ns), "sum_prod")(lib.ones(1), lib.ones(1) * 3)
        assert (s.tolist(), p.tolist()) == ([4.0], [3.0])


def test_library_define_impl_defaults_and_errors():
    results = []
    for lib, library, ns in ((torch, torch.library, "embertest_tdef"), (ember, elib, "embertest_edef")):
        L = library.Library(ns, "DEF")
        L.define("mul3(Tensor x, float s=3.0) -> Tensor")
        L.impl("mul3", lambda x, s=3.0: x * s, "CPU")
        op = getattr(lib.ops, ns).mul3
        x = lib.ones(2, requires_grad=True)
        out = [op(lib.ones(2)).tolist(), op(lib.ones(2), 2.0).tolist(), op(lib.ones(2), s=4.0).tolist()]
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            op(x).sum().backward()  # autograd flows through the kernel's ops
        out.append(x.grad.tolist())
        results.append(out)
        with pytest.raises(RuntimeError, match="same name and overload name"):
            L.define("mul3(Tensor x) -> Tensor")
        with pytest.raises(AttributeError, match="no attribute 'nothere'"):
            getattr(lib.ops, ns).nothere
    assert results[0] == results[1] == [[3.0, 3.0], [2.0, 2.0], [4.0, 4.0], [3.0, 3.0]]


def test_register_autograd_on_a_defined_op_and_functional_api():
    for lib, library, ns in ((torch, torch.library, "embertest_tfn"), (ember, elib, "embertest_efn")):
        library.define(f"{ns}::cube", "(Tensor x) -> Tensor")

        @library.impl(f"{ns}::cube", "cpu")
        def cube(x):
            return x * x * x
        library.register_autograd(f"{ns}::cube", lambda ctx, g: g * 3 * ctx.x * ctx.x,
                                  setup_context=lambda ctx, inputs, output: setattr(ctx, "x", inputs[0]))
        x = lib.tensor([2.0], requires_grad=True)
        getattr(lib.ops, ns).cube(x).sum().backward()
        assert x.grad.tolist() == [12.0]


def test_infer_schema_matches_torch():
    def f(x: torch.Tensor, y: Optional[torch.Tensor], n: int, s: float = 2.0, *, flag: bool = False) -> torch.Tensor:
        pass

    def g(x: ember.Tensor, y: Optional[ember.Tensor], n: int, s: float = 2.0, *, flag: bool = False) -> ember.Tensor:
        pass

    def m(x: torch.Tensor, y: torch.Tensor) -> None:
        pass
    assert elib.infer_schema(g, mutates_args=()) == torch.library.infer_schema(f, mutates_args=())
    assert elib.infer_schema(m, mutates_args={"x"}) == torch.library.infer_schema(m, mutates_args={"x"})


def test_custom_op_under_the_alias():
    code = ("import torch\n"
            "@torch.library.custom_op('aliastest::neg2', mutates_args=())\n"
            "def neg2(x: torch.Tensor) -> torch.Tensor:\n"
            "    return -2 * x\n"
            "neg2.register_autograd(lambda ctx, g: -2 * g)\n"
            "x = torch.ones(2, requires_grad=True)\n"
            "torch.ops.aliastest.neg2(x).sum().backward()\n"
            "print(x.grad.tolist())\n")
    r = subprocess.run([sys.executable, "-m", "ember.torch_compat", "-c", code], cwd=ROOT, capture_output=True,
                       text=True, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[-2.0, -2.0]"
