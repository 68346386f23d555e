"""compile / fit / evaluate / predict: the classic tutorial program, data adapters, optimizers (Keras's math),
losses and metrics, and training any ember.nn.Module through the same machinery."""
import math
import time

import numpy as np
import pytest
import torch

import ember
from ember import keras, nn
from ember.keras import layers, models
from ember.utils.data import DataLoader, TensorDataset


@pytest.fixture(scope="module")
def mnist():
    import os
    saved = os.environ.get("EMBER_OFFLINE")
    os.environ["EMBER_OFFLINE"] = "1"  # the bundled sample: the test must not depend on the network
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data(path="no-such-file.npz")
    finally:
        if saved is None:
            del os.environ["EMBER_OFFLINE"]
        else:
            os.environ["EMBER_OFFLINE"] = saved
    assert x_train.shape == (4000, 28, 28)
    return ((x_train.reshape((-1, 28, 28, 1)).astype("float32") / 255, y_train),
            (x_test.reshape((-1, 28, 28, 1)).astype("float32") / 255, y_test))


def test_classic_keras_cnn_reaches_95_percent_on_the_bundled_sample(mnist, capsys):
    """The tutorial program, imports changed: 5 epochs of adam on the 4,000-image sample."""
    (train_images, train_labels), (test_images, test_labels) = mnist
    keras.utils.set_random_seed(1)
    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.time()
    history = model.fit(train_images, train_labels, epochs=5)
    elapsed = time.time() - start
    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
    out = capsys.readouterr().out
    print(f"classic CNN: fit {elapsed:.1f}s, test accuracy {test_acc:.4f}")
    assert test_acc >= 0.95
    assert list(history.history) == ["accuracy", "loss"] and len(history.history["loss"]) == 5
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert "Epoch 5/5" in out and "32/32 - " in out


def _tiny_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return x, y


def _tiny_model(units=2, activation="softmax"):
    return keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                             layers.Dense(units, activation=activation)])


def test_fit_with_validation_split_and_history_keys():
    x, y = _tiny_data(100)
    model = _tiny_model()
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    h = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, verbose=0)
    assert list(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert h.epoch == [0, 1, 2]
    # Keras validates on the last 20% of the samples.
    assert math.isclose(h.history["val_loss"][-1], model.evaluate(x[80:], y[80:], verbose=0)[0], rel_tol=1e-6)


def test_evaluate_and_predict_outputs():
    x, y = _tiny_data(50)
    model = _tiny_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, acc = model.evaluate(x, y, batch_size=7, verbose=0)
    probs = model.predict(x, batch_size=7, verbose=0)
    assert probs.shape == (50, 2) and isinstance(probs, np.ndarray)
    expected_loss = -np.mean(np.log(np.clip(probs[np.arange(50), y], 1e-7, 1)))
    assert math.isclose(loss, expected_loss, rel_tol=1e-5)
    assert math.isclose(acc, np.mean(probs.argmax(1) == y), rel_tol=1e-6)  # metrics accumulate in float32
    assert model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True) == {"accuracy": acc, "loss": loss}
    np.testing.assert_allclose(model.predict_on_batch(x[:5]), probs[:5], rtol=1e-6)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)


def test_train_on_batch_and_test_on_batch():
    x, y = _tiny_data(16)
    model = _tiny_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    first = model.test_on_batch(x, y)
    for _ in range(30):
        model.train_on_batch(x, y)
    assert model.test_on_batch(x, y)[0] < first[0]
    assert set(model.train_on_batch(x, y, return_dict=True)) == {"loss", "accuracy"}


def test_datasets_loaders_and_generators_give_the_same_training_as_arrays():
    x, y = _tiny_data(40)

    def train(data, **kwargs):
        keras.utils.set_random_seed(3)
        model = _tiny_model()
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        model.fit(data, epochs=2, verbose=0, **kwargs)
        return model.get_weights()

    reference = train(x, y=y, batch_size=10, shuffle=False)
    ds = TensorDataset(ember.tensor(x), ember.tensor(y))
    for got in (train(ds, batch_size=10, shuffle=False), train(DataLoader(ds, batch_size=10)),
                train(((x[i:i + 10], y[i:i + 10]) for _ in range(2) for i in range(0, 40, 10)), steps_per_epoch=4)):
        for a, b in zip(reference, got):
            np.testing.assert_allclose(a, b, rtol=1e-6)

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 10:(i + 1) * 10], y[i * 10:(i + 1) * 10]
    for a, b in zip(reference, train(Batches(), shuffle=False)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_sample_weight_and_class_weight():
    x, y = _tiny_data(8)
    model = _tiny_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    probs = model.predict(x, verbose=0)
    per_sample = -np.log(probs[np.arange(8), y])
    sw = np.arange(8, dtype=np.float32)
    # Keras's 'sum_over_batch_size': the weighted sum divided by the number of samples.
    assert math.isclose(model.evaluate(x, y, sample_weight=sw, verbose=0), np.sum(per_sample * sw) / 8,
                        rel_tol=1e-5)
    weights = {0: 2.0, 1: 0.5}
    model_a, model_b = _tiny_model(), _tiny_model()
    model_b.set_weights(model_a.get_weights())
    for m in (model_a, model_b):
        m.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    model_a.fit(x, y, class_weight=weights, epochs=1, batch_size=8, shuffle=False, verbose=0)
    model_b.fit(x, y, sample_weight=np.array([weights[int(c)] for c in y]), epochs=1, batch_size=8,
                shuffle=False, verbose=0)
    for a, b in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_functional_multi_output_model_losses_and_metrics():
    inp = keras.Input((4,))
    h = layers.Dense(8, activation="relu")(inp)
    cls = layers.Dense(2, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    model = keras.Model(inp, [cls, reg])
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5],
                  metrics={"cls": ["accuracy"]})
    x, y = _tiny_data(32)
    target = x[:, :1] * 2
    logs = model.fit(x, [y, target], epochs=1, verbose=0).history
    assert sorted(logs) == ["cls_accuracy", "cls_loss", "loss", "reg_loss"]
    assert math.isclose(logs["loss"][0], logs["cls_loss"][0] + 0.5 * logs["reg_loss"][0], rel_tol=1e-5)


def test_subclassed_model_and_wrapped_ember_module():
    class MLP(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(2)

        def call(self, inputs, training=None):
            return self.out(self.hidden(inputs))
    x, y = _tiny_data(64)
    model = MLP()
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    h = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert h.history["accuracy"][-1] > 0.8
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"] or len(model.layers) == 2

    torch_style = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    wrapped = keras.Model.from_module(torch_style)
    wrapped.compile(optimizer=keras.optimizers.Adam(0.05),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    h = wrapped.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert h.history["accuracy"][-1] > 0.8
    assert wrapped.count_params() == 4 * 8 + 8 + 8 * 2 + 2
    assert all(p.grad is not None for p in torch_style.parameters())


def test_frozen_layer_is_not_updated_by_fit():
    x, y = _tiny_data(32)
    model = _tiny_model()
    model.layers[0].trainable = False
    frozen = model.layers[0].get_weights()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_regularization_losses_are_added():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, kernel_regularizer=keras.regularizers.l2(0.1),
                                                              kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((4, 3), np.float32), np.zeros((4, 2), np.float32)
    assert math.isclose(model.evaluate(x, y, verbose=0), 0.1 * 6, rel_tol=1e-6)


def test_jit_compile_auto_falls_back_when_ember_compile_is_missing():
    model = _tiny_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert model.jit_compile == "auto"
    fn = model.make_train_function()
    assert callable(fn)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", jit_compile=False)
    assert model.jit_compile is False


# -- optimizers: Keras's update rules ------------------------------------------------------------------------------

def _run(opt, grads, w0):
    w = nn.Parameter(ember.tensor(w0.copy()))
    opt.build([w])
    for g in grads:
        w.grad = ember.tensor(g)
        opt.step()
    return w.detach().numpy()


GRADS = [np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.3, -0.2]), np.array([-0.4, 0.2, 0.0])]
W0 = np.array([1.0, -2.0, 0.5])


def test_adam_uses_keras_epsilon_placement():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-3
    m = v = np.zeros(3)
    w = W0.copy()
    for t, g in enumerate(GRADS, 1):
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        w = w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
    got = _run(keras.optimizers.Adam(lr, epsilon=eps), GRADS, W0)
    np.testing.assert_allclose(got, w, rtol=1e-12)
    wt = torch.tensor(W0.copy(), requires_grad=True)
    topt = torch.optim.Adam([wt], lr=lr, eps=eps)
    for g in GRADS:
        wt.grad = torch.tensor(g)
        topt.step()
    assert not np.allclose(got, wt.detach().numpy(), rtol=1e-9), "PyTorch's epsilon placement differs"
    assert keras.optimizers.Adam().epsilon == 1e-7 and keras.optimizers.Adam().learning_rate == 0.001


def test_sgd_momentum_matches_torch_for_a_constant_learning_rate():
    got = _run(keras.optimizers.SGD(0.1, momentum=0.9), GRADS, W0)
    wt = torch.tensor(W0.copy(), requires_grad=True)
    topt = torch.optim.SGD([wt], lr=0.1, momentum=0.9)
    for g in GRADS:
        wt.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(got, wt.detach().numpy(), rtol=1e-12)
    assert keras.optimizers.SGD().learning_rate == 0.01
    nesterov = _run(keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True), GRADS, W0)
    m, w = np.zeros(3), W0.copy()
    for g in GRADS:
        m = 0.9 * m - 0.1 * g
        w = w + 0.9 * m - 0.1 * g
    np.testing.assert_allclose(nesterov, w, rtol=1e-12)


def test_rmsprop_adagrad_adamw_follow_keras_formulas():
    v, w = np.zeros(3), W0.copy()
    for g in GRADS:
        v = 0.9 * v + 0.1 * g * g
        w = w - 0.01 * g / np.sqrt(v + 1e-7)
    np.testing.assert_allclose(_run(keras.optimizers.RMSprop(0.01), GRADS, W0), w, rtol=1e-12)
    acc, w = np.full(3, 0.1), W0.copy()
    for g in GRADS:
        acc = acc + g * g
        w = w - 0.01 * g / np.sqrt(acc + 1e-7)
    np.testing.assert_allclose(_run(keras.optimizers.Adagrad(0.01), GRADS, W0), w, rtol=1e-12)
    m = v = np.zeros(3)
    w = W0.copy()
    for t, g in enumerate(GRADS, 1):
        w = w - 0.01 * 0.004 * w
        m = m + (g - m) * 0.1
        v = v + (g * g - v) * 0.001
        w = w - 0.01 * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(_run(keras.optimizers.AdamW(0.01), GRADS, W0), w, rtol=1e-12)


def test_gradient_clipping_and_schedules():
    got = _run(keras.optimizers.SGD(1.0, clipnorm=1.0), [np.array([3.0, 4.0, 0.0])], W0)
    np.testing.assert_allclose(got, W0 - np.array([0.6, 0.8, 0.0]), rtol=1e-12)
    got = _run(keras.optimizers.SGD(1.0, clipvalue=0.5), [np.array([3.0, -0.2, -4.0])], W0)
    np.testing.assert_allclose(got, W0 - np.array([0.5, -0.2, -0.5]), rtol=1e-12)
    sched = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    opt = keras.optimizers.SGD(sched)
    got = _run(opt, [np.ones(3)] * 3, np.zeros(3))
    np.testing.assert_allclose(got, -(0.1 + 0.1 * 0.5 ** 0.5 + 0.05) * np.ones(3), rtol=1e-12)
    assert opt.iterations == 3
    cos = keras.optimizers.schedules.CosineDecay(1.0, decay_steps=10, alpha=0.1)
    assert math.isclose(cos(5), 0.9 * 0.5 * (1 + math.cos(math.pi / 2)) + 0.1)
    assert math.isclose(cos(20), 0.1)
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        opt.learning_rate = 0.5


# -- losses and metrics ----------------------------------------------------------------------------------------------

def test_losses_match_torch():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 4)).astype(np.float32)
    labels = rng.integers(0, 4, 6)
    t_ce = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(labels)).item()
    sce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    assert math.isclose(float(sce(labels, logits)), t_ce, rel_tol=1e-5)
    probs = torch.softmax(torch.tensor(logits), -1).numpy()
    assert math.isclose(float(keras.losses.sparse_categorical_crossentropy(labels, probs).mean()), t_ce,
                        rel_tol=1e-5)
    onehot = keras.utils.to_categorical(labels, 4)
    assert math.isclose(float(keras.losses.CategoricalCrossentropy()(onehot, probs)), t_ce, rel_tol=1e-5)
    target = rng.uniform(0, 1, (6, 4)).astype(np.float32)
    t_bce = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(logits), torch.tensor(target)).item()
    assert math.isclose(float(keras.losses.BinaryCrossentropy(from_logits=True)(target, logits)), t_bce,
                        rel_tol=1e-5)
    pred = rng.standard_normal((6, 4)).astype(np.float32)
    assert math.isclose(float(keras.losses.get("mse")(target, pred)), float(np.mean((target - pred) ** 2)),
                        rel_tol=1e-5)
    assert math.isclose(float(keras.losses.get("mae")(target, pred)), float(np.mean(np.abs(target - pred))),
                        rel_tol=1e-5)
    t_huber = torch.nn.functional.huber_loss(torch.tensor(pred), torch.tensor(target), delta=1.0).item()
    assert math.isclose(float(keras.losses.Huber()(target, pred)), t_huber, rel_tol=1e-5)
    # Probabilities are clipped to [1e-7, 1 - 1e-7] when not computed from a softmax.
    assert math.isclose(float(keras.losses.sparse_categorical_crossentropy(np.array([0]),
                                                                            np.array([[0.0, 1.0]]))[0]),
                        -math.log(1e-7), rel_tol=1e-5)


def test_metrics():
    y_true = np.array([0, 1, 1, 0, 1])
    scores = np.array([0.1, 0.8, 0.4, 0.6, 0.9])
    p, r = keras.metrics.Precision(), keras.metrics.Recall()
    p.update_state(y_true, scores)
    r.update_state(y_true, scores)
    assert math.isclose(p.result(), 2 / 3, rel_tol=1e-6) and math.isclose(r.result(), 2 / 3, rel_tol=1e-6)
    auc = keras.metrics.AUC()
    auc.update_state(y_true, scores)
    assert abs(auc.result() - 5 / 6) < 0.01  # exact ROC AUC: 5 of 6 positive/negative pairs ordered
    top2 = keras.metrics.SparseTopKCategoricalAccuracy(k=2)
    top2.update_state(np.array([2, 0]), np.array([[0.1, 0.5, 0.4], [0.1, 0.5, 0.4]]))
    assert top2.result() == 0.5
    mae = keras.metrics.MeanAbsoluteError()
    mae.update_state(np.array([[1.0], [2.0]]), np.array([[1.5], [1.0]]))
    assert math.isclose(mae.result(), 0.75)
    # 'accuracy' is resolved from the shapes, as Keras does.
    assert type(keras.metrics.resolve("accuracy", np.zeros(4), np.zeros((4, 3)))).__name__ == \
        "SparseCategoricalAccuracy"
    assert type(keras.metrics.resolve("accuracy", np.zeros((4, 3)), np.zeros((4, 3)))).__name__ == \
        "CategoricalAccuracy"
    assert type(keras.metrics.resolve("accuracy", np.zeros((4, 1)), np.zeros((4, 1)))).__name__ == "BinaryAccuracy"


def test_binary_classification_with_sigmoid_and_metrics_by_name():
    x, y = _tiny_data(64)
    model = _tiny_model(1, "sigmoid")
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(), "mae"])
    h = model.fit(x, y, epochs=6, batch_size=16, verbose=0)
    assert sorted(h.history) == ["accuracy", "auc", "loss", "mae"]
    assert h.history["accuracy"][-1] > 0.8


def test_deferred_sequential_builds_from_the_first_batch_and_dict_inputs():
    x, y = _tiny_data(32)
    model = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(2, activation="softmax")])
    assert not model.built
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, verbose=0)
    assert model.built and model.layers[0].kernel.shape == (4, 8)
    assert model.layers[-1]._output_shape == (None, 2)

    a, b = keras.Input((2,), name="left"), keras.Input((2,), name="right")
    out = layers.Dense(2, activation="softmax")(layers.Concatenate()([a, b]))
    model = keras.Model({"left": a, "right": b}, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    data = {"right": x[:, 2:], "left": x[:, :2]}
    model.fit(data, y, epochs=1, verbose=0)
    np.testing.assert_allclose(model.predict(data, verbose=0), model.predict([x[:, :2], x[:, 2:]], verbose=0))
    assert model.get_layer("left").name == "left"
    with pytest.raises(ValueError, match="expected shape=\\(None, 2\\), found shape=\\(3, 3\\)"):
        model.predict({"left": np.zeros((3, 3)), "right": np.zeros((3, 2))}, verbose=0)


def test_get_state_tree_and_set_state_tree_like_keras():
    """model.get_state_tree() nests the trainable, non-trainable, optimizer and metric variables by their paths as
    Keras 3 does ("backend_tensor" leaves are the live values, "numpy_array" ones copies), and set_state_tree()
    writes such a tree back: a NumPy tree taken earlier restores that state (ember had neither method)."""
    import os
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras as real
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(4, 2)
    y = np.ones((4, 1), np.float32)
    runs = []
    for K in (real, keras):
        K.backend.clear_session()
        # (batch normalization first: a bias just before it has a zero gradient that Adam would amplify noise of)
        model = K.Sequential([K.Input((2,)), K.layers.BatchNormalization(), K.layers.Dense(1)])
        model.set_weights([np.ones(2, np.float32), np.zeros(2, np.float32), np.zeros(2, np.float32),
                           np.ones(2, np.float32), np.full((2, 1), 0.5, np.float32), np.zeros(1, np.float32)])
        model.compile("adam", "mse", metrics=["mae"])
        model.fit(x, y, verbose=0)
        live, copied = model.get_state_tree(), model.get_state_tree(value_format="numpy_array")
        model.fit(x, y, verbose=0)
        model.set_state_tree(live)       # the live values: nothing changes
        after_live = model.get_state_tree(value_format="numpy_array")
        model.set_state_tree(copied)     # the copies: back to the first fit's state
        restored = model.get_state_tree(value_format="numpy_array")
        runs.append([K.tree.map_structure(lambda a: np.asarray(a).tolist(), t) for t in (copied, after_live, restored)])
    for got, want in list(zip(runs[1], runs[0])) + [(runs[1][2], runs[1][0])]:
        flat_g, flat_w = keras.tree.flatten_with_path(got), keras.tree.flatten_with_path(want)
        assert [p for p, _ in flat_g] == [p for p, _ in flat_w]
        for (path, a), (_, b) in zip(flat_g, flat_w):
            np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=1e-5, atol=1e-6,
                                       err_msg=str(path))
