"""``torch.overrides`` helpers against the real torch: which arguments dispatch, in which order, what
``Tensor.__torch_function__`` returns, and the limits (ember's ops and modes do not dispatch)."""
import pytest
import torch
import torch.overrides as tov

import ember
import ember.overrides as eov


def _kinds(lib):
    class Sub(lib.Tensor):
        pass

    class Over(lib.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return super().__torch_function__(func, types, args, kwargs)

    class Duck:
        def __init__(self, tag, answer):
            self.tag, self.answer = tag, answer

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            calls.append(cls.__name__)
            return args[0].answer

    class DuckChild(Duck):
        pass

    calls = []
    return Sub, Over, Duck, DuckChild, calls


@pytest.mark.parametrize("lib,ov", [(torch, tov), (ember, eov)])
def test_has_torch_function_matches_torch(lib, ov):
    Sub, Over, Duck, _, _ = _kinds(lib)
    x = lib.ones(2)
    assert ov.has_torch_function((x,)) is False
    assert ov.has_torch_function((lib.nn.Parameter(lib.ones(2)),)) is False
    assert ov.has_torch_function((x.as_subclass(Sub),)) is True
    assert ov.has_torch_function((1, x.as_subclass(Over))) is True
    assert ov.has_torch_function((Duck("d", 1),)) is True
    assert ov.has_torch_function((1, "a", None)) is False
    assert ov.has_torch_function_unary(Duck("d", 1)) and ov.has_torch_function_variadic(x, Duck("d", 1))
    assert ov.is_tensor_like(x) and ov.is_tensor_like(Duck("d", 1)) and not ov.is_tensor_like(1)
    with torch._C.DisableTorchFunctionSubclass() if lib is torch else eov.DisableTorchFunctionSubclass():
        assert ov.has_torch_function((x.as_subclass(Sub),)) is False


@pytest.mark.parametrize("lib,ov", [(torch, tov), (ember, eov)])
def test_handle_torch_function_order_and_errors(lib, ov):
    _, _, Duck, DuckChild, calls = _kinds(lib)

    def f(a, b):
        if ov.has_torch_function((a, b)):
            return ov.handle_torch_function(f, (a, b), a, b)
        return "plain"
    assert f(lib.ones(1), lib.ones(1)) == "plain"
    # the subclass goes first even when it comes second
    assert f(Duck("base", 1), DuckChild("child", 2)) == 1 and calls == ["DuckChild"]

    class Never:
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return NotImplemented
    with pytest.raises(TypeError, match="no implementation found for"):
        f(Never(), 1)


@pytest.mark.parametrize("lib,ov", [(torch, tov), (ember, eov)])
def test_super_torch_function_returns_the_subclass(lib, ov):
    _, Over, _, _, _ = _kinds(lib)
    t = lib.tensor([1.0, 2.0]).as_subclass(Over)
    r = Over.__torch_function__(lib.add, (Over,), (t, 1))
    assert type(r) is Over and r.tolist() == [2.0, 3.0]
    parts = Over.__torch_function__(lib.chunk, (Over,), (t, 2))
    assert [type(p) for p in parts] == [Over, Over]
    assert Over.__torch_function__(lib.add, (int,), (t, 1)) is NotImplemented


@pytest.mark.parametrize("lib,ov", [(torch, tov), (ember, eov)])
def test_wrap_torch_function(lib, ov):
    _, _, Duck, _, calls = _kinds(lib)

    @ov.wrap_torch_function(lambda x: (x,))
    def double(x):
        return x * 2
    assert double(3) == 6 and double(Duck("d", 7)) == 7 and calls == ["Duck"]


def test_what_ember_does_not_do():
    class Mode(eov.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))
    with pytest.raises(NotImplementedError, match="do not dispatch"):
        with Mode():
            pass
    assert eov._get_current_function_mode() is None


def test_function_lists():
    ignored = eov.get_ignored_functions()
    assert ember.zeros in ignored and ember.add not in ignored
    over = eov.get_overridable_functions()
    assert ember.add in over[ember] and ember.nn.functional.relu in over[ember.nn.functional]
    assert eov.get_testing_overrides()[ember.add](1, 2) == -1
    assert eov.is_tensor_method_or_property(ember.Tensor.add) and not eov.is_tensor_method_or_property(len)
    assert tov.is_tensor_method_or_property(torch.Tensor.add)
