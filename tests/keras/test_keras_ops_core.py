"""keras.ops core (conversion, casting, control flow, slicing, scatter, custom gradients) against Keras 3,
and the coverage check: every public name of ``keras.ops`` (and of its submodules) exists in ember's."""
import importlib

import keras
import numpy as np
import pytest
import torch

import ember
from ember.keras import ops as eops
from tests.keras.ops_oracle import f32, f64, ints, run, table_params

G = dict(grad=True)

ROWS = [
    ("convert_to_tensor-int", lambda o: o.convert_to_tensor(3), [], {}),
    ("convert_to_tensor-float", lambda o: o.convert_to_tensor(1.5), [], {}),
    ("convert_to_tensor-bool", lambda o: o.convert_to_tensor(True), [], {}),
    ("convert_to_tensor-list-int", lambda o: o.convert_to_tensor([1, 2, 3]), [], {}),
    ("convert_to_tensor-list-mixed", lambda o: o.convert_to_tensor([1, 2.5]), [], {}),
    ("convert_to_tensor-nested", lambda o: o.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]]), [], {}),
    ("convert_to_tensor-np64", lambda o, x: o.convert_to_tensor(x), [f64(2)], dict(raw=True)),
    ("convert_to_tensor-npint64", lambda o, x: o.convert_to_tensor(x), [ints(2, dtype=np.int64)], dict(raw=True)),
    ("convert_to_tensor-dtype", lambda o: o.convert_to_tensor([1, 2], dtype="float16"), [], {}),
    ("convert_to_tensor-big-int", lambda o: o.convert_to_tensor(2 ** 40), [], {}),
    ("convert_to_tensor-list-of-tensors", lambda o, a, b: o.convert_to_tensor([a, b]), [f32(2), f32(2)], {}),
    ("cast", lambda o, x: o.cast(x, "int32"), [f64(4) * 3], {}),
    ("cast-float", lambda o, x: o.cast(x, "float32"), [f64(4)], G),
    ("cast-bool", lambda o, x: o.cast(x, "bool"), [ints(5)], {}),
    ("saturate_cast", lambda o, x: o.saturate_cast(x, "uint8"), [np.array([-5.0, 3.7, 300.0])], {}),
    ("saturate_cast-int8", lambda o, x: o.saturate_cast(x, "int8"), [np.array([-500, 3, 300], np.int32)], {}),
    ("stop_gradient", lambda o, x: o.multiply(o.stop_gradient(x), x), [f64(3)], G),
    ("cond", lambda o, x: o.cond(o.sum(x) > 0, lambda: o.multiply(x, 2.0), lambda: o.negative(x)), [f64(3)], G),
    ("switch", lambda o, x: o.switch(1, [lambda v: v, lambda v: o.sin(v)], x), [f64(3)], G),
    ("while_loop", lambda o, x: o.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, o.multiply(v, 1.5)), (0, x)),
     [f64(3)], G),
    ("fori_loop", lambda o, x: o.fori_loop(0, 4, lambda i, v: o.add(v, o.multiply(v, 0.1 * i)), x), [f64(3)], G),
    ("scan", lambda o, x: o.scan(lambda c, v: (o.add(c, v), o.multiply(c, v)), o.zeros(3, dtype="float64"), x),
     [f64(4, 3)], G),
    ("scan-reverse", lambda o, x: o.scan(lambda c, v: (o.add(c, v), c), o.zeros(3, dtype="float64"), x,
                                         reverse=True), [f64(4, 3)], G),
    ("map", lambda o, x: o.map(lambda v: o.sum(o.square(v)), x), [f64(4, 3)], G),
    ("vectorized_map", lambda o, x: o.vectorized_map(lambda v: o.sum(o.sin(v)), x), [f64(4, 3)], G),
    # float32 inputs: Keras's PyTorch backend builds its scan tree from float32 zeros whatever the input dtype.
    ("associative_scan", lambda o, x: o.associative_scan(lambda a, b: o.add(a, b), x), [f32(5, 2)], G),
    ("associative_scan-rev-axis", lambda o, x: o.associative_scan(lambda a, b: o.multiply(a, b), x, reverse=True,
                                                                  axis=1), [f32(2, 5)], G),
    ("associative_scan-max", lambda o, x: o.associative_scan(o.maximum, x), [f32(7)], {}),
    ("unstack", lambda o, x: o.unstack(x, axis=1), [f64(2, 3)], G),
    ("slice", lambda o, x: o.slice(x, (0, 1, 1), (2, 2, 3)), [f64(2, 3, 4)], G),
    ("slice_update", lambda o, x, u: o.slice_update(x, (0, 1), u), [f64(3, 4), f64(2, 2, seed=1)], G),
    ("scatter", lambda o, i, v: o.scatter(i, v, (4, 3)), [np.array([[0, 1], [2, 2], [0, 1]]), f64(3)], G),
    ("scatter-rows", lambda o, i, v: o.scatter(i, v, (4, 2)), [np.array([[1], [3]]), f64(2, 2)], G),
    ("scatter_update", lambda o, x, i, u: o.scatter_update(x, i, u), [f64(4, 3), np.array([[0, 1], [3, 2]]),
                                                                      f64(2, seed=2)], G),
    ("scatter_update-add", lambda o, x, i, u: o.scatter_update(x, i, u, reduction="add"),
     [f64(4, 3), np.array([[0, 1], [0, 1]]), f64(2, seed=2)], G),
    ("scatter_update-max", lambda o, x, i, u: o.scatter_update(x, i, u, reduction="max"),
     [f64(4, 3), np.array([[0, 1], [3, 2]]), f64(2, seed=2)], {}),
    ("shape", lambda o, x: o.convert_to_tensor(o.shape(x)), [f32(2, 5)], {}),
    ("rearrange", lambda o, x: o.rearrange(x, "b (h w) c -> b c h w", h=2), [f64(2, 6, 3)], G),
    ("rearrange-merge", lambda o, x: o.rearrange(x, "a b c -> (a c) b"), [f64(2, 3, 4)], G),
]


@pytest.mark.parametrize("fn,args,kw", table_params(ROWS))
def test_core_op_matches_keras(fn, args, kw):
    run(fn, args, **kw)


def test_dtype_and_is_tensor_and_convert_to_numpy():
    x = ember.tensor([1.0, 2.0])
    assert eops.dtype(x) == keras.ops.dtype(torch.tensor([1.0, 2.0])) == "float32"
    assert eops.is_tensor(x) and not eops.is_tensor(np.ones(2))
    a = eops.convert_to_numpy(x)
    assert isinstance(a, np.ndarray) and a.tolist() == [1.0, 2.0]
    assert eops.shape(np.zeros((2, 3))) == (2, 3)


def test_custom_gradient_matches_keras():
    def make(o):
        @o.custom_gradient
        def log1pexp(x):
            e = o.exp(x)

            def grad(*args, upstream=None):
                if upstream is None:
                    (upstream,) = args
                return o.multiply(upstream, 1.0 - 1.0 / (1.0 + e))
            return o.log(1 + e), grad
        return log1pexp
    x = f64(4)
    tx = torch.tensor(x, requires_grad=True)
    make(keras.ops)(tx).sum().backward()
    ex = ember.tensor(x, requires_grad=True)
    y = make(eops)(ex)
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), np.log1p(np.exp(x)))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy())


def _public(mod):
    return {n for n in dir(mod) if not n.startswith("_")}


# Names of keras.ops that ember does not provide, with the reason. Keep it empty where possible.
EXCLUDED = {}


@pytest.mark.parametrize("sub", ["", "numpy", "nn", "linalg", "image"])
def test_every_keras_ops_name_exists(sub):
    kmod = importlib.import_module("keras.ops" + ("." + sub if sub else ""))
    emod = eops if not sub else getattr(eops, sub)
    missing = sorted(_public(kmod) - _public(emod) - set(EXCLUDED))
    assert not missing, f"ember.keras.ops{'.' + sub if sub else ''} lacks {missing}"


def test_ops_without_complex_numbers_say_so():
    for name in ("view_as_complex", "view_as_real", "polar"):
        with pytest.raises(NotImplementedError, match="complex"):
            getattr(eops, name)(np.ones(2), np.ones(2)) if name == "polar" else getattr(eops, name)(np.ones(2))
