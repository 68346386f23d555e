"""Small torch submodules against the real torch: torch.mps / torch.xpu as on a machine without them,
torch.types, torch.storage over a tensor's memory, torch.utils.cpp_extension's refusal and
torch.utils.mobile_optimizer's no-op pass."""
import numpy as np
import pytest
import torch
import torch.utils.cpp_extension as tcpp
import torch.utils.mobile_optimizer as tmobile

import ember
import ember.mps as emps
import ember.storage as estorage
import ember.types as etypes
import ember.utils.cpp_extension as ecpp
import ember.utils.mobile_optimizer as emobile
import ember.xpu as expu


def test_mps_and_xpu_report_what_torch_reports_here():
    for name in ("is_available", "device_count"):
        assert getattr(emps, name)() == getattr(torch.mps, name)()
        assert getattr(expu, name)() == getattr(torch.xpu, name)()
    assert expu.is_initialized() == torch.xpu.is_initialized()
    assert expu.memory_allocated() == torch.xpu.memory_allocated()
    for mod in (emps, torch.mps, expu, torch.xpu):
        assert mod.manual_seed(0) is None
    for e_fn, t_fn, err in ((emps.synchronize, torch.mps.synchronize, RuntimeError),
                            (emps.current_allocated_memory, torch.mps.current_allocated_memory, RuntimeError),
                            (expu.synchronize, torch.xpu.synchronize, AssertionError),
                            (expu.current_device, torch.xpu.current_device, AssertionError)):
        with pytest.raises(err) as theirs:
            t_fn()
        with pytest.raises(err) as mine:
            e_fn()
        assert str(theirs.value).split(" (")[0] in str(mine.value)


def test_types_aliases():
    assert set(etypes.Number.__args__) == set(torch.types.Number.__args__) == {int, float, bool}
    assert str in etypes.Device.__args__ and ember.device in etypes.Device.__args__
    assert etypes.Storage is estorage.UntypedStorage and etypes.Tensor is ember.Tensor


def test_untyped_and_typed_storage_equal_torch():
    for make in (lambda lib: lib.arange(6.0).reshape(2, 3)[:, 1:], lambda lib: lib.arange(4, dtype=lib.int64)):
        t, e = make(torch), make(ember)
        ts, es = t.untyped_storage(), e.untyped_storage()
        assert es.nbytes() == ts.nbytes() and len(es) == len(ts) and es.element_size() == ts.element_size()
        assert es.tolist() == ts.tolist() and es[1] == ts[1]
        assert es.data_ptr() == e.data_ptr() - e.storage_offset() * e.element_size()
        tt, et = t.storage(), e.storage()
        assert (et.size(), et.tolist(), et.element_size(), et.nbytes()) == (tt.size(), tt.tolist(),
                                                                             tt.element_size(), tt.nbytes())
        assert et.dtype == getattr(ember, str(tt.dtype).split(".")[1])
    x = ember.zeros(2)
    x.untyped_storage().fill_(0)
    x.storage()[1] = 5.0  # writes go to the tensor's memory
    assert x.tolist() == [0.0, 5.0]
    assert ember.UntypedStorage(8).nbytes() == torch.UntypedStorage(8).nbytes() == 8
    assert estorage.TypedStorage([1.0, 2.0], dtype=ember.float64).tolist() == \
        torch.TypedStorage([1.0, 2.0], dtype=torch.float64).tolist()


def test_cpp_extension_refuses_with_a_clear_error():
    for fn in (lambda: ecpp.load("ext", ["ext.cpp"]), lambda: ecpp.load_inline("ext", cpp_sources="int f();"),
               lambda: ecpp.CppExtension("ext", ["ext.cpp"]), lambda: ecpp.BuildExtension()):
        with pytest.raises(RuntimeError, match="ember cannot build C\\+\\+ extensions"):
            fn()
    assert ecpp.CUDA_HOME is None and ecpp.IS_LINUX == tcpp.IS_LINUX and ecpp.IS_WINDOWS == tcpp.IS_WINDOWS


def test_optimize_for_mobile_returns_the_module_and_it_runs_the_same():
    m = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.ReLU())
    x = ember.randn(4, 3)
    before = m(x).detach().numpy()
    scripted = ember.jit.script(m)
    out = emobile.optimize_for_mobile(scripted)
    assert out is scripted
    np.testing.assert_array_equal(out(x).detach().numpy(), before)
    assert {t.name: t.value for t in emobile.MobileOptimizerType} == {k: v.value for k, v in
                                                                    tmobile.MobileOptimizerType.__members__.items()}
    with pytest.raises(TypeError, match="Unknown backend"):
        emobile.optimize_for_mobile(m, backend="tpu")


@pytest.mark.parametrize("values,dtype,dim", [([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0]], "bool", None),
                                              ([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0]], "bool", 1),
                                              ([0.5, -0.5], "bool", None), ([], "bool", None),
                                              ([200, 100], "uint8", None), ([1.5, 2.0], "int64", None),
                                              ([[True, False], [True, True]], "int32", 0)])
def test_sum_with_dtype_casts_first_as_torch(values, dtype, dim):
    kw = {} if dim is None else {"dim": dim}
    src = "uint8" if dtype == "uint8" else None
    t = torch.tensor(values, dtype=getattr(torch, src) if src else None).sum(dtype=getattr(torch, dtype), **kw)
    e = ember.tensor(values, dtype=getattr(ember, src) if src else None).sum(dtype=getattr(ember, dtype), **kw)
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert e.tolist() == t.tolist()


def test_sum_to_an_integer_dtype_of_a_tensor_needing_grad_raises_as_torch():
    for lib, name in ((torch, "Bool"), (ember, "Bool")):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match=f"Autograd not support dtype: {name}"):
            x.sum(dtype=lib.bool)
        with pytest.raises(RuntimeError, match="Autograd not support dtype: Long"):
            x.sum(dtype=lib.int64)
        assert x.sum(dtype=lib.float64).requires_grad
