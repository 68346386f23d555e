"""Keras 3's smaller namespaces in ember.keras, against Keras 3 itself: activations, initializers,
constraints (also applied by the optimizers during training), ``keras.tree``, dtype policies,
``keras.config``, the scopes and rematerialization."""
import collections
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402
from ember import keras as ek  # noqa: E402


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


# -- activations -----------------------------------------------------------------------------------
ACTIVATIONS = [("celu", {}), ("celu", {"alpha": 0.5}), ("glu", {}), ("glu", {"axis": 1}), ("hard_shrink", {}),
               ("hard_shrink", {"threshold": 1.0}), ("hard_silu", {}), ("hard_swish", {}), ("hard_tanh", {}),
               ("log_sigmoid", {}), ("soft_shrink", {}), ("soft_shrink", {"threshold": 0.2}), ("sparse_plus", {}),
               ("sparse_sigmoid", {}), ("sparsemax", {}), ("sparsemax", {"axis": 0}), ("squareplus", {}),
               ("squareplus", {"b": 1.0}), ("tanh_shrink", {}),
               ("threshold", {"threshold": 0.3, "default_value": -2.0})]


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ACTIVATIONS)])
def test_activation_values_and_gradients_match_keras(name, kwargs):
    x = np.random.default_rng(0).uniform(-2.5, 2.5, (4, 6)).astype(np.float32)
    r = np.random.default_rng(1).standard_normal((4, 6) if name != "glu" else None)
    kx = torch.tensor(x, requires_grad=True)
    ky = getattr(keras.activations, name)(kx, **kwargs)
    ex = ember.tensor(x, requires_grad=True)
    ey = getattr(ek.activations, name)(ex, **kwargs)
    np.testing.assert_allclose(ey.numpy(force=True), _np(ky), rtol=1e-5, atol=1e-6)
    r = np.random.default_rng(1).standard_normal(tuple(ky.shape)).astype(np.float32)
    (ky * torch.tensor(r)).sum().backward()
    (ey * ember.tensor(r)).sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), _np(kx.grad), rtol=1e-5, atol=1e-5)


def test_activations_get_serialize_deserialize_by_keras_names():
    for name in {n for n, _ in ACTIVATIONS}:
        fn = ek.activations.get(name)
        assert fn is getattr(ek.activations, name)
        assert ek.activations.deserialize(keras.activations.serialize(getattr(keras.activations, name))) is fn
    assert ek.activations.deserialize("relu") is ek.activations.relu
    with pytest.raises(ValueError, match="Unknown activation function 'nope'"):
        ek.activations.deserialize("nope")
    layer = ek.layers.Dense(3, activation="squareplus")
    assert layer.get_config()["activation"] == "squareplus"


# -- initializers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"side": "imag", "window": "hamming", "scaling": "spectrum", "periodic": True},
                                    {"window": None}, {"window": "hann", "periodic": True, "scaling": None}])
def test_stft_initializer_matches_keras(kwargs):
    for shape in [(8, 1, 5), (16, 3, 9), (1, 1, 2)]:
        got = ek.initializers.STFT(**kwargs)(shape).numpy()
        want = _np(keras.initializers.STFT(**kwargs)(shape))
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    values = np.linspace(0.1, 1.0, 6)
    np.testing.assert_allclose(ek.initializers.STFTInitializer(window=values)((6, 1, 4)).numpy(),
                               _np(keras.initializers.STFTInitializer(window=values)((6, 1, 4))), atol=1e-6)
    with pytest.raises(ValueError, match="side should be"):
        ek.initializers.STFT(side="both")


def test_initializer_aliases_and_deserialize_follow_keras_names():
    import inspect
    for name in ("IdentityInitializer", "OrthogonalInitializer", "STFTInitializer", "identity", "lecun_normal",
                 "lecun_uniform", "random_normal", "random_uniform", "stft", "truncated_normal",
                 "variance_scaling"):
        k, e = getattr(keras.initializers, name), getattr(ek.initializers, name)
        assert inspect.isclass(e) and k.__name__.replace("Initializer", "") == e.__name__.replace("Initializer", "")
    for kinit in (keras.initializers.LecunNormal(seed=1), keras.initializers.VarianceScaling(2.0, "fan_out"),
                  keras.initializers.STFT(side="imag"), keras.initializers.OrthogonalInitializer(gain=0.5)):
        einit = ek.initializers.deserialize(keras.initializers.serialize(kinit))
        assert type(einit).__name__ in (type(kinit).__name__, type(kinit).__name__.replace("Initializer", ""))
        kcfg, ecfg = kinit.get_config(), einit.get_config()
        assert {k: kcfg[k] for k in ecfg} == ecfg
        assert all(kcfg[k] is None for k in set(kcfg) - set(ecfg))  # Keras 3.15's einsum axes, unset
    np.testing.assert_allclose(ek.initializers.get("identity")((3, 3)).numpy(), np.eye(3))
    # Keras 3.15's IdentityInitializer.get_config() drops `gain`; ember keeps it.
    again = ek.initializers.deserialize(ek.initializers.serialize(ek.initializers.IdentityInitializer(gain=2.0)))
    np.testing.assert_allclose(again((2, 3)).numpy(), _np(keras.initializers.IdentityInitializer(gain=2.0)((2, 3))))
    # Variance-scaling statistics of the snake-case names (a draw, so a loose check on many samples).
    w = ek.initializers.lecun_uniform(seed=3)((400, 300)).numpy()
    assert abs(w.std() - np.sqrt(1.0 / 400)) < 0.05 * np.sqrt(1.0 / 400) and np.abs(w).max() <= np.sqrt(3 / 400)


# -- constraints -----------------------------------------------------------------------------------
CONSTRAINTS = [("MaxNorm", {}), ("MaxNorm", {"max_value": 0.7, "axis": 1}), ("NonNeg", {}), ("UnitNorm", {}),
               ("UnitNorm", {"axis": [0, 1]}), ("MinMaxNorm", {}),
               ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.5, "rate": 0.3, "axis": 1})]


@pytest.mark.parametrize("name,kwargs", CONSTRAINTS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONSTRAINTS)])
def test_constraint_matches_keras(name, kwargs):
    w = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32) * 1.5
    got = getattr(ek.constraints, name)(**kwargs)(ember.tensor(w)).numpy()
    want = _np(getattr(keras.constraints, name)(**kwargs)(torch.tensor(w)))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    kc = getattr(keras.constraints, name)(**kwargs)
    ec = ek.constraints.deserialize(keras.constraints.serialize(kc))
    assert type(ec).__name__ == name and ec.get_config() == kc.get_config()
    assert ek.constraints.serialize(ec) == keras.constraints.serialize(kc)


def test_constraints_get_by_name():
    for name in ("max_norm", "non_neg", "unit_norm", "min_max_norm", "MaxNorm"):
        assert type(ek.constraints.get(name)).__name__ == type(keras.constraints.get(name)).__name__
    assert ek.constraints.get(None) is None
    with pytest.raises(ValueError, match="Could not interpret constraint identifier"):
        ek.constraints.get(3)


def test_constrained_layers_train_like_keras():
    """Dense/Conv/Embedding weights are projected after every optimizer update, as in Keras."""
    def build(K):
        inp = K.Input((4, 4, 2))
        x = K.layers.Conv2D(3, 2, kernel_constraint=K.constraints.UnitNorm(axis=[0, 1, 2]),
                            bias_constraint="non_neg")(inp)
        x = K.layers.Flatten()(x)
        out = K.layers.Dense(2, kernel_constraint=K.constraints.MaxNorm(0.3), bias_constraint="non_neg")(x)
        model = K.Model(inp, out)
        rng = np.random.default_rng(0)
        model.set_weights([rng.standard_normal(tuple(w.shape)).astype(np.float32) for w in model.get_weights()])
        model.compile(optimizer=K.optimizers.SGD(0.1), loss="mse")
        data = np.random.default_rng(1)
        model.fit(data.standard_normal((6, 4, 4, 2)).astype(np.float32),
                  data.standard_normal((6, 2)).astype(np.float32), batch_size=3, epochs=2, shuffle=False, verbose=0)
        return model
    km, em = build(keras), build(ek)
    for e, k in zip(em.get_weights(), km.get_weights()):
        np.testing.assert_allclose(e, k, rtol=1e-5, atol=1e-5)
    cfg = km.layers[-1].get_config()
    assert ek.layers.Dense.from_config(cfg).get_config()["kernel_constraint"] == cfg["kernel_constraint"]
    emb = ek.layers.Embedding(5, 2, embeddings_constraint="non_neg")
    emb.build()
    assert isinstance(emb.embeddings.constraint, ek.constraints.NonNeg)


# -- keras.tree ------------------------------------------------------------------------------------
Point = collections.namedtuple("Point", ["x", "y"])
STRUCTURES = [
    # (Keras's torch-backend tree leaves a dict nested in a dict in insertion order, unlike its optree and
    # dm-tree versions; ember sorts every dict, as those do, so the inner dict here is already sorted.)
    1, None, [1, 2, (3, None)], {"b": [1, 2], "a": (3, {"c": 5, "d": 4})},
    collections.OrderedDict([("z", 1), ("a", [2, 3])]), Point(1, [2, 3]), [], {"k": []}, ((), [None, {}]),
]


@pytest.mark.parametrize("s", STRUCTURES, ids=[str(i) for i in range(len(STRUCTURES))])
def test_tree_functions_match_keras(s):
    assert ek.tree.flatten(s) == keras.tree.flatten(s)
    assert ek.tree.flatten_with_path(s) == keras.tree.flatten_with_path(s)
    assert ek.tree.is_nested(s) == keras.tree.is_nested(s)

    def f(v):
        return None if v is None else v * 10
    got, want = ek.tree.map_structure(f, s), keras.tree.map_structure(f, s)
    assert got == want and type(got) is type(want)
    if isinstance(want, dict):
        assert list(got) == list(want)
    got = ek.tree.map_structure(lambda a, b: (a, b), s, s)
    assert got == keras.tree.map_structure(lambda a, b: (a, b), s, s)
    flat = list(range(len(keras.tree.flatten(s))))
    assert ek.tree.pack_sequence_as(s, flat) == keras.tree.pack_sequence_as(s, flat)
    assert ek.tree.lists_to_tuples(s) == keras.tree.lists_to_tuples(s)
    ek.tree.assert_same_structure(s, s)
    ek.tree.assert_same_paths(s, s)
    # The nodes traverse visits, in order (each as its leaves: Keras's torch tree hands `func` dicts re-sorted).
    for top_down in (True, False):
        seen_e, seen_k = [], []
        ek.tree.traverse(lambda v: seen_e.append(ek.tree.flatten(v)), s, top_down=top_down)
        keras.tree.traverse(lambda v: seen_k.append(keras.tree.flatten(v)), s, top_down=top_down)
        assert seen_e == seen_k


def test_tree_sorts_nested_dicts_as_optree_does():
    import optree
    s = {"x": (3, {"d": 4, "c": 5}), "a": [{"z": 1, "y": None}]}
    leaves, spec = optree.tree_flatten(s, none_is_leaf=True)
    assert ek.tree.flatten(s) == leaves
    flat = list(range(len(leaves)))
    assert ek.tree.pack_sequence_as(s, flat) == optree.tree_unflatten(spec, flat)


def test_tree_structure_errors_and_special_cases_match_keras():
    for a, b in [([1, 2], [1, 2, 3]), ([1, [2]], [1, 2]), ({"a": 1}, {"b": 1}), ([1, 2], (1, 2))]:
        with pytest.raises(ValueError):
            keras.tree.assert_same_structure(a, b)
        with pytest.raises(ValueError):
            ek.tree.assert_same_structure(a, b)
    with pytest.raises(ValueError):
        ek.tree.assert_same_paths({"a": 1}, {"b": 1})
    s = {"w": (3, 4), "b": [(None, 2), 5]}
    assert ek.tree.map_shape_structure(lambda t: len(t) if isinstance(t, tuple) else t, s) == \
        keras.tree.map_shape_structure(lambda t: len(t) if isinstance(t, tuple) else t, s)
    shallow = {"a": 0, "b": 0}
    deep = {"a": [1, 2], "b": (3, 4)}
    assert ek.tree.map_structure_up_to(shallow, len, deep) == keras.tree.map_structure_up_to(shallow, len, deep)
    s = {"a": [1, 2], "b": 3}
    assert ek.tree.traverse(lambda v: ek.tree.MAP_TO_NONE if v == [1, 2] else None, s) == \
        keras.tree.traverse(lambda v: keras.tree.MAP_TO_NONE if v == [1, 2] else None, s)
    assert ek.tree.map_structure(lambda v: 1, [None, 2], none_is_leaf=False) == \
        keras.tree.map_structure(lambda v: 1, [None, 2], none_is_leaf=False)


# -- dtype policies, config, scopes, remat -----------------------------------------------------------
def test_dtype_policies_match_keras():
    for name in ("float32", "float64", "float16", "bfloat16", "mixed_float16", "mixed_bfloat16"):
        k, e = keras.dtype_policies.get(name), ek.dtype_policies.get(name)
        assert (e.name, e.compute_dtype, e.variable_dtype) == (k.name, k.compute_dtype, k.variable_dtype)
        assert ek.dtype_policies.deserialize(keras.dtype_policies.serialize(k)) == e
    assert ek.DTypePolicy("float64") == ek.FloatDTypePolicy("float64") != ek.DTypePolicy("float32")
    with pytest.raises(ValueError, match="Cannot convert 'int9'"):
        ek.DTypePolicy("int9")
    layer = ek.layers.Dense(2, dtype=ek.DTypePolicy("float64"))
    layer.build((None, 3))
    assert layer.kernel.dtype.name == "float64" and layer.compute_dtype == "float64"
    cfg = keras.layers.Dense(2, dtype="float64").get_config()
    assert ek.layers.Dense.from_config(cfg).dtype == "float64"
    mixed, kmixed = ek.layers.Dense(2, dtype="mixed_float16"), keras.layers.Dense(2, dtype="mixed_float16")
    assert (mixed.dtype, mixed.compute_dtype, mixed.variable_dtype) == \
        (kmixed.dtype, kmixed.compute_dtype, kmixed.variable_dtype)
    pmap = ek.dtype_policies.DTypePolicyMap(policy_map={"dense": "float64"})
    assert pmap["dense"].name == "float64" and pmap["other"].name == "float32"
    assert ek.mixed_precision.Policy is ek.DTypePolicy
    assert ek.mixed_precision.global_policy().name == keras.mixed_precision.global_policy().name


def test_global_dtype_policy_is_used_by_new_layers():
    try:
        ek.config.set_dtype_policy("float64")
        assert ek.config.dtype_policy().name == "float64"
        layer = ek.layers.Dense(2)
        layer.build((None, 3))
        assert layer.kernel.dtype.name == "float64"
    finally:
        ek.dtype_policies._GLOBAL[0] = None
    assert ek.config.dtype_policy().name == "float32"


def test_config_functions_match_keras():
    kconf = {n for n in dir(keras.config) if not n.startswith("_")}
    assert kconf <= set(dir(ek.config))
    for name in ("floatx", "epsilon", "image_data_format", "is_flash_attention_enabled", "max_epochs",
                 "max_steps_per_epoch", "is_nnx_enabled", "backend"):
        assert getattr(ek.config, name)() == getattr(keras.config, name)(), name
    with pytest.raises(ValueError, match="ember.keras runs on ember only"):
        ek.config.set_backend("jax")


def test_max_epochs_and_steps_cap_fit():
    model = ek.Sequential([ek.Input((2,)), ek.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    try:
        ek.config.set_max_epochs(2)
        ek.config.set_max_steps_per_epoch(1)
        history = model.fit(x, y, batch_size=2, epochs=5, verbose=0)
    finally:
        ek.config.set_max_epochs(None)
        ek.config.set_max_steps_per_epoch(None)
    assert len(history.history["loss"]) == 2 and model.optimizer.iterations == 2


def test_scopes():
    with ek.name_scope("outer"):
        with ek.name_scope("inner"):
            from ember.keras import scopes
            assert scopes.current_path() == "outer/inner"
    with ek.device("cpu:0"):
        pass
    with pytest.raises(ValueError, match="CPU only"):
        ek.device("gpu:0")
    kv, ev = keras.Variable(np.ones(2, np.float32)), ek.Variable(np.ones(2, np.float32))
    with keras.StatelessScope(state_mapping=[(kv, np.full(2, 3.0, np.float32))]) as ks:
        kv.assign(kv * 2.0)
        inside_k = _np(kv.value)
    with ek.StatelessScope(state_mapping=[(ev, np.full(2, 3.0, np.float32))]) as es:
        ev.assign(ev * 2.0)
        inside_e = ev.numpy()
    np.testing.assert_allclose(inside_e, inside_k)
    np.testing.assert_allclose(ev.numpy(), _np(kv.value))
    np.testing.assert_allclose(es.get_current_value(ev).numpy(), _np(ks.get_current_value(kv)))
    with ek.SymbolicScope():
        from ember.keras import scopes
        assert scopes.in_symbolic_scope()
    assert not scopes.in_symbolic_scope()


@pytest.mark.parametrize("mode,kwargs", [("full", {}), ("list_of_layers", {"layer_names": ["d1"]}),
                                         ("larger_than", {"output_size_threshold": 2}), ("activations", {})])
def test_remat_scope_keeps_values_and_gradients(mode, kwargs):
    def run(scope):
        ember.manual_seed(0)
        with scope:
            model = ek.Sequential([ek.Input((4,)), ek.layers.Dense(5, activation="relu", name="d1"),
                                   ek.layers.Dense(1, name="d2")])
        rng = np.random.default_rng(0)
        model.set_weights([rng.standard_normal(tuple(w.shape)).astype(np.float32) for w in model.get_weights()])
        x = ember.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
        model(x).sum().backward()
        return x.grad.numpy(), [w.grad.numpy() for w in model.trainable_weights]
    plain = run(ek.RematScope(mode=None))
    remat = run(ek.RematScope(mode=mode, **kwargs))
    np.testing.assert_allclose(remat[0], plain[0], rtol=1e-6)
    for a, b in zip(remat[1], plain[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    with pytest.raises(ValueError, match="Invalid mode"):
        ek.RematScope(mode="some")


def test_remat_function_matches_keras():
    x = np.random.default_rng(0).standard_normal(5).astype(np.float32)
    kx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    keras.remat(lambda t: keras.ops.sum(keras.ops.sin(t) * t))(kx).backward()
    ek.remat(lambda t: ek.ops.sum(ek.ops.sin(t) * t))(ex).backward()
    np.testing.assert_allclose(ex.grad.numpy(), _np(kx.grad), rtol=1e-6)


def test_top_level_aliases_and_version():
    assert ek.Loss is ek.losses.Loss and ek.Metric is ek.metrics.Metric
    assert ek.Optimizer is ek.optimizers.Optimizer and ek.Initializer is ek.initializers.Initializer
    assert ek.Regularizer is ek.regularizers.Regularizer and ek.InputSpec is ek.layers.InputSpec
    assert isinstance(ek.Input((3,)), ek.KerasTensor)
    assert ek.version() == ek.__version__
    assert ek.preprocessing.sequence.pad_sequences is ek.utils.pad_sequences


def test_signatures_of_multi_hot_unfold_clear_session_get_registered_object_like_keras():
    """Keras's parameter names and defaults, so keyword calls work: ops.multi_hot(inputs=..., num_classes=...) (and
    the old num_tokens=), ops.unfold(x=...), clear_session(free_memory=...), get_registered_object(name,
    custom_objects, module_objects) looking in registered objects before custom_objects, then module_objects."""
    import inspect
    for k, e in [(keras.ops.multi_hot, ek.ops.multi_hot), (keras.ops.unfold, ek.ops.unfold),
                 (keras.backend.clear_session, ek.backend.clear_session),
                 (keras.saving.get_registered_object, ek.saving.get_registered_object)]:
        assert str(inspect.signature(e)) == str(inspect.signature(k))
    ids = np.array([[0, 2], [1, 1]])
    for kwargs in ({"num_classes": 4}, {"num_tokens": 4}):
        np.testing.assert_array_equal(np.asarray(ek.ops.multi_hot(inputs=ids, **kwargs)),
                                      np.asarray(keras.ops.multi_hot(inputs=ids, **kwargs)))
    for K in (keras, ek):
        with pytest.raises(ValueError, match="Argument `num_classes` must be specified."):
            K.ops.multi_hot(ids)
        assert K.saving.get_registered_object("NotThere", None, {"NotThere": int}) is int
        K.backend.clear_session(free_memory=False)
