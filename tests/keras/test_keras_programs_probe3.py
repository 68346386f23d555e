"""Keras 3 programs in the style of the Hands-On ML (Géron, 3rd edition) and Deep Learning with Python chapters
and the keras.io guides, in areas the other program files leave out, run unchanged under real Keras 3 (torch
backend) and under ``ember.keras`` (each program is a function of the Keras module ``K``): Géron's custom
components (a huber loss function and a Loss subclass with get_config, a custom activation, initializer,
Regularizer subclass and constraint, a Metric subclass, all saved and loaded with custom_objects), custom layers
and models (a Dense with activations.get/serialize, a multi-input multi-output layer, a training-dependent layer,
a residual regressor, a reconstruction loss added in call with a Mean tracker, registered with
register_keras_serializable and reloaded), a tied-weights autoencoder (DenseTranspose reading another layer's
kernel) with a KL-divergence activity Regularizer subclass, the built-in learning-rate schedules (their values,
configs and what fit's optimizer reaches), the built-in callbacks (ModelCheckpoint save_best_only and per-epoch
weights files, ReduceLROnPlateau, EarlyStopping with restore_best_weights and start_from_epoch, LambdaCallback,
BackupAndRestore), a multi-input multi-output ticket classifier (loss lists, loss_weights, per-output metric
dicts, dict outputs), MultiHeadAttention variants (causal masks, padding masks from mask_zero, cross-attention,
attention_axes, scores), stateful RNNs and custom RNN cells, weighted_metrics with sample and class weights,
transfer by sharing layers and clone_model with BatchNormalization frozen in inference mode, Géron's
regularization chapter (max-norm, selu/lecun_normal, PReLU, LeakyReLU, BN before activation, MC dropout,
functools.partial layers, Nadam), Python generators and PyDatasets with steps_per_epoch / validation_steps,
keras.ops losses and metrics (focal, dice, MeanMetricWrapper, the built-in loss classes and reductions), the
keras.utils helpers, a subclassed model with train_step / test_step / predict_step, and Géron's Wide & Deep model
(functional, then subclassed, with Normalization adapted per input and an auxiliary output).

As in ``test_keras_programs_io2``: weights get values from a fixed NumPy generator in ``model.weights`` order,
data is fixed and unshuffled, dropout rates are 0 and training-time noise is off (Keras's random streams are not
ember's), and histories, evaluations, predictions and configs are compared at float32 tolerance.

Also here: focused tests of the ember bugs these programs found, each against real Keras (compile's metrics of a
multi-output model, custom functions and objects in layer configs, MultiHeadAttention over other axes, a
generator's batches in fit's validation, keras.ops in a functional graph named, summarized and saved as Keras's
operations, a Sequential starting with a built model)."""
import functools
import json
import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

from .test_keras_programs import _compare  # noqa: E402
from .test_keras_programs_io2 import _init as init  # noqa: E402


def npy(K, x):
    return np.asarray(K.ops.convert_to_numpy(x))


def _data(seed, n=32, d=6):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype("float32")
    y = (x @ rng.standard_normal((d, 1)) + 0.1 * rng.standard_normal((n, 1))).astype("float32")
    return x, y


def _cfg(config):
    """A config as comparable JSON text (floats rounded)."""
    def clean(v):
        if isinstance(v, dict):
            return {k: clean(v[k]) for k in sorted(v)}
        if isinstance(v, (list, tuple)):
            return [clean(i) for i in v]
        if isinstance(v, float):
            return round(v, 6)
        if isinstance(v, np.generic):
            return clean(v.item())
        return v
    return json.dumps(clean(config), sort_keys=True)


# ---------------------------------------------------------------------------------------------------- programs


def geron_custom_components(K, tmp):
    """Hands-On ML ch. 12 "Customizing Models": huber_fn and a HuberLoss subclass with get_config,
    my_softplus / my_glorot_initializer / MyL1Regularizer / my_positive_weights on a Dense layer, a HuberMetric
    Metric subclass with add_weight, the model saved as .keras and loaded with custom_objects, then trained on."""
    layers, ops = K.layers, K.ops

    def huber_fn(y_true, y_pred):
        error = y_true - y_pred
        is_small_error = ops.abs(error) < 1
        squared_loss = ops.square(error) / 2
        linear_loss = ops.abs(error) - 0.5
        return ops.where(is_small_error, squared_loss, linear_loss)

    class HuberLoss(K.losses.Loss):
        def __init__(self, threshold=1.0, **kwargs):
            self.threshold = threshold
            super().__init__(**kwargs)

        def call(self, y_true, y_pred):
            error = y_true - y_pred
            is_small_error = ops.abs(error) < self.threshold
            squared_loss = ops.square(error) / 2
            linear_loss = self.threshold * ops.abs(error) - self.threshold ** 2 / 2
            return ops.where(is_small_error, squared_loss, linear_loss)

        def get_config(self):
            base_config = super().get_config()
            return {**base_config, "threshold": self.threshold}

    def my_softplus(z):
        return ops.log(1.0 + ops.exp(z))

    def my_glorot_initializer(shape, dtype="float32"):
        stddev = np.sqrt(2.0 / (shape[0] + shape[1]))
        return K.random.normal(shape, stddev=stddev, dtype=dtype)

    class MyL1Regularizer(K.regularizers.Regularizer):
        def __init__(self, factor):
            self.factor = factor

        def __call__(self, weights):
            return ops.sum(ops.abs(self.factor * weights))

        def get_config(self):
            return {"factor": self.factor}

    def my_positive_weights(weights):
        return ops.where(weights < 0.0, ops.zeros_like(weights), weights)

    class HuberMetric(K.metrics.Metric):
        def __init__(self, threshold=1.0, **kwargs):
            super().__init__(**kwargs)
            self.threshold = threshold
            self.total = self.add_weight(name="total", initializer="zeros")
            self.count = self.add_weight(name="count", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            error = y_true - y_pred
            small = ops.abs(error) < self.threshold
            sample_metrics = ops.where(small, ops.square(error) / 2,
                                       self.threshold * ops.abs(error) - self.threshold ** 2 / 2)
            self.total.assign_add(ops.sum(sample_metrics))
            self.count.assign_add(ops.cast(ops.size(y_true), "float32"))

        def result(self):
            return self.total / self.count

        def get_config(self):
            base_config = super().get_config()
            return {**base_config, "threshold": self.threshold}

    x, y = _data(0)
    y = 3.0 * y
    model = K.Sequential([
        K.Input((6,)),
        layers.Dense(8, activation="relu", kernel_initializer="he_normal"),
        layers.Dense(8, activation=my_softplus, kernel_initializer=my_glorot_initializer,
                     kernel_regularizer=MyL1Regularizer(0.01), kernel_constraint=my_positive_weights),
        layers.Dense(1),
    ])
    init(model)
    model.compile(loss=HuberLoss(2.0), optimizer=K.optimizers.SGD(0.05),
                  metrics=[HuberMetric(2.0), huber_fn])
    h = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    nonneg = float(npy(K, model.layers[1].kernel).min() >= 0)
    path = os.path.join(tmp, "my_model_with_many_custom_parts.keras")
    model.save(path)
    back = K.models.load_model(path, custom_objects={
        "HuberLoss": HuberLoss, "huber_fn": huber_fn, "my_softplus": my_softplus,
        "my_glorot_initializer": my_glorot_initializer, "MyL1Regularizer": MyL1Regularizer,
        "my_positive_weights": my_positive_weights, "HuberMetric": HuberMetric})
    same = back.predict(x, verbose=0)
    h2 = back.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False).history
    loss_obj = HuberLoss(2.0, name="huber")   # (Keras numbers unnamed losses: huber_loss_1; ember does not)
    direct = loss_obj(y, model.predict(x, verbose=0))
    return {"h": h, "nonneg": nonneg, "same": same, "pred": model.predict(x, verbose=0), "h2": h2,
            "threshold": back.loss.threshold, "loss_cfg": _cfg(loss_obj.get_config()), "direct": npy(K, direct),
            "metric_names": [m.name for m in back.metrics], "reg": npy(K, sum(model.losses))}


def geron_custom_layers(K, tmp):
    """Hands-On ML ch. 12 custom layers and models: MyDense (activations.get / serialize, build with add_weight,
    compute_output_shape, get_config), MyMultiLayer (two inputs, two outputs), a layer acting only in training,
    ResidualBlock / ResidualRegressor (a subclassed model of layers in a loop), and ReconstructingRegressor
    (build creating a layer from the input shape, add_loss in call, a Mean tracker), registered with
    register_keras_serializable and reloaded from .keras files."""
    layers, ops = K.layers, K.ops
    register = K.saving.register_keras_serializable(package="probe3")

    @register
    class MyDense(layers.Layer):
        def __init__(self, units, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.activation = K.activations.get(activation)

        def build(self, batch_input_shape):
            self.kernel = self.add_weight(name="kernel", shape=[batch_input_shape[-1], self.units],
                                          initializer="glorot_normal")
            self.bias = self.add_weight(name="bias", shape=[self.units], initializer="zeros")

        def call(self, X):
            return self.activation(X @ self.kernel + self.bias)

        def compute_output_shape(self, batch_input_shape):
            return tuple(batch_input_shape[:-1]) + (self.units,)

        def get_config(self):
            base_config = super().get_config()
            return {**base_config, "units": self.units, "activation": K.activations.serialize(self.activation)}

    class MyMultiLayer(layers.Layer):
        def call(self, X):
            X1, X2 = X
            return X1 + X2, X1 * X2

    class HalfInTraining(layers.Layer):
        def call(self, X, training=None):
            return X * 0.5 if training else X

    @register
    class ResidualBlock(layers.Layer):
        def __init__(self, n_layers, n_neurons, **kwargs):
            super().__init__(**kwargs)
            self.n_layers, self.n_neurons = n_layers, n_neurons
            self.hidden = [layers.Dense(n_neurons, activation="relu", kernel_initializer="he_normal")
                           for _ in range(n_layers)]

        def call(self, inputs):
            Z = inputs
            for layer in self.hidden:
                Z = layer(Z)
            return inputs + Z

        def get_config(self):
            return {**super().get_config(), "n_layers": self.n_layers, "n_neurons": self.n_neurons}

    @register
    class ResidualRegressor(K.Model):
        def __init__(self, output_dim, **kwargs):
            super().__init__(**kwargs)
            self.output_dim = output_dim
            self.hidden1 = layers.Dense(6, activation="relu", kernel_initializer="he_normal")
            self.block1 = ResidualBlock(2, 6)
            self.block2 = ResidualBlock(2, 6)
            self.out = layers.Dense(output_dim)

        def call(self, inputs):
            Z = self.hidden1(inputs)
            for _ in range(1 + 2):
                Z = self.block1(Z)
            Z = self.block2(Z)
            return self.out(Z)

        def get_config(self):
            return {**super().get_config(), "output_dim": self.output_dim}

    class ReconstructingRegressor(K.Model):
        def __init__(self, output_dim, **kwargs):
            super().__init__(**kwargs)
            self.hidden = [layers.Dense(5, activation="relu", kernel_initializer="he_normal") for _ in range(3)]
            self.out = layers.Dense(output_dim)
            self.reconstruction_mean = K.metrics.Mean(name="reconstruction_error")

        def build(self, batch_input_shape):
            n_inputs = batch_input_shape[-1]
            self.reconstruct = layers.Dense(n_inputs)
            self.reconstruct.build(batch_input_shape[:-1] + (5,))
            super().build(batch_input_shape)

        def call(self, inputs, training=None):
            Z = inputs
            for layer in self.hidden:
                Z = layer(Z)
            reconstruction = self.reconstruct(Z)
            recon_loss = ops.mean(ops.square(reconstruction - inputs))
            self.add_loss(0.05 * recon_loss)
            if training:
                self.reconstruction_mean.update_state(recon_loss)
            return self.out(Z)

    x, y = _data(1, 24, 6)
    out = {}
    # MyDense / MyMultiLayer / HalfInTraining in a functional model
    inp1, inp2 = K.Input((6,)), K.Input((6,))
    a, b = MyMultiLayer()([inp1, inp2])
    d = MyDense(4, activation="tanh", name="my_dense")(layers.Concatenate()([a, b]))
    d = HalfInTraining()(d)
    o = layers.Dense(1)(d)
    m1 = K.Model([inp1, inp2], o)
    init(m1)
    m1.compile("adam", "mse")
    out["h1"] = m1.fit([x, x[::-1]], y, batch_size=6, epochs=2, verbose=0, shuffle=False).history
    out["cfg"] = _cfg(m1.get_layer("my_dense").get_config())
    out["shape"] = str(m1.get_layer("my_dense").compute_output_shape((None, 12)))
    out["names"] = [w.path for w in m1.weights]
    out["registered"] = K.saving.get_registered_name(MyDense)
    path = os.path.join(tmp, "my_dense.keras")
    seq = K.Sequential([K.Input((6,)), MyDense(3, activation="relu"), layers.Dense(1)])
    init(seq, 2)
    seq.save(path)
    out["seq_back"] = K.models.load_model(path).predict(x, verbose=0)
    out["seq"] = seq.predict(x, verbose=0)

    # ResidualRegressor saved and reloaded
    rr = ResidualRegressor(1)
    rr(x[:1])
    init(rr, 3, 0.2)
    rr.compile(K.optimizers.SGD(0.01), "mse")
    out["h_rr"] = rr.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    path = os.path.join(tmp, "rr.keras")
    rr.save(path)
    back = K.models.load_model(path)
    out["rr_back"] = back.predict(x, verbose=0)
    out["rr"] = rr.predict(x, verbose=0)
    out["rr_weights"] = len(back.weights)

    # ReconstructingRegressor: add_loss in call and a tracked metric
    rec = ReconstructingRegressor(1)
    rec(x[:2])
    init(rec, 4)
    rec.compile(K.optimizers.Adam(0.01), "mse")
    out["h_rec"] = rec.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    out["rec_eval"] = rec.evaluate(x, y, verbose=0, return_dict=True)
    out["rec_pred"] = rec.predict(x, verbose=0)
    return out


def tied_autoencoder(K):
    """Hands-On ML ch. 17: a stacked autoencoder with tied weights (DenseTranspose's call uses the transposed
    kernel of the Dense layer it mirrors and adds its own bias), a sparse autoencoder whose coding layer has an
    ActivityRegularization(l1) after it, and one with a KL-divergence activity Regularizer subclass; encoder and
    decoder as nested Sequentials, the encoder reused for codings."""
    layers, ops = K.layers, K.ops

    class DenseTranspose(layers.Layer):
        def __init__(self, dense, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.dense = dense
            self.activation = K.activations.get(activation)

        def build(self, batch_input_shape):
            self.biases = self.add_weight(name="bias", shape=[self.dense.input.shape[-1]], initializer="zeros")

        def call(self, inputs):
            Z = ops.matmul(inputs, ops.transpose(self.dense.kernel))
            return self.activation(Z + self.biases)

    class KLDivergenceRegularizer(K.regularizers.Regularizer):
        def __init__(self, weight, target):
            self.weight = weight
            self.target = target

        def __call__(self, inputs):
            mean_activities = ops.mean(inputs, axis=0)
            kl = K.losses.kl_divergence
            return self.weight * (kl(self.target, mean_activities) + kl(1.0 - self.target, 1.0 - mean_activities))

    rng = np.random.default_rng(5)
    X = rng.random((20, 4, 4)).astype("float32")
    out = {}
    dense_1 = layers.Dense(8, activation="relu")
    dense_2 = layers.Dense(3, activation="relu")
    tied_encoder = K.Sequential([K.Input((4, 4)), layers.Flatten(), dense_1, dense_2])
    tied_decoder = K.Sequential([K.Input((3,)), DenseTranspose(dense_2, activation="relu"),
                                 DenseTranspose(dense_1), layers.Reshape([4, 4])])
    tied_ae = K.Sequential([tied_encoder, tied_decoder])
    init(tied_ae, 0, 0.4)
    tied_ae.compile(loss="mse", optimizer=K.optimizers.Nadam(0.01))
    out["tied_h"] = tied_ae.fit(X, X, batch_size=5, epochs=2, verbose=0, shuffle=False,
                                validation_data=(X[:5], X[:5])).history
    out["tied_n"] = [len(tied_ae.weights), len(tied_decoder.trainable_weights)]
    out["codings"] = tied_encoder.predict(X[:4], verbose=0)

    sparse_encoder = K.Sequential([K.Input((4, 4)), layers.Flatten(), layers.Dense(8, activation="relu"),
                                   layers.Dense(6, activation="sigmoid"), layers.ActivityRegularization(l1=1e-2)])
    sparse_decoder = K.Sequential([K.Input((6,)), layers.Dense(16), layers.Reshape([4, 4])])
    sparse_ae = K.Sequential([sparse_encoder, sparse_decoder])
    init(sparse_ae, 1)
    sparse_ae.compile(loss="mse", optimizer="nadam")
    out["sparse_h"] = sparse_ae.fit(X, X, batch_size=5, epochs=2, verbose=0, shuffle=False).history

    kld_reg = KLDivergenceRegularizer(weight=5e-2, target=0.1)
    kl_encoder = K.Sequential([K.Input((4, 4)), layers.Flatten(),
                               layers.Dense(6, activation="sigmoid", activity_regularizer=kld_reg)])
    kl_decoder = K.Sequential([K.Input((6,)), layers.Dense(16), layers.Reshape([4, 4])])
    kl_ae = K.Sequential([kl_encoder, kl_decoder])
    init(kl_ae, 2)
    kl_ae.compile(loss="mse", optimizer=K.optimizers.Adam(0.01))
    out["kl_h"] = kl_ae.fit(X, X, batch_size=5, epochs=2, verbose=0, shuffle=False).history
    out["kl_eval"] = kl_ae.evaluate(X, X, verbose=0)
    out["kl_pred"] = kl_ae.predict(X[:3], verbose=0)
    return out


def lr_schedules(K):
    """The built-in learning-rate schedules (ExponentialDecay staircase, PiecewiseConstantDecay,
    PolynomialDecay with cycle, InverseTimeDecay, CosineDecay with a linear warmup, CosineDecayRestarts): their
    values at chosen steps, their configs, an optimizer's learning_rate while fit runs, the optimizer's config
    holding the schedule and Géron's exponential_decay_fn / piecewise function through LearningRateScheduler."""
    S = K.optimizers.schedules
    schedules = {
        "exp": S.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5, staircase=True),
        "exp_smooth": S.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.9),
        "piecewise": S.PiecewiseConstantDecay(boundaries=[2, 5], values=[0.1, 0.05, 0.01]),
        "poly": S.PolynomialDecay(0.1, decay_steps=4, end_learning_rate=0.01, power=2.0, cycle=True),
        "poly_flat": S.PolynomialDecay(0.1, decay_steps=4, end_learning_rate=0.01, power=0.5),
        "inverse": S.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=False),
        "cosine": S.CosineDecay(0.0, decay_steps=6, alpha=0.1, warmup_target=0.1, warmup_steps=3),
        "cosine_plain": S.CosineDecay(0.1, decay_steps=5),
        "restarts": S.CosineDecayRestarts(0.1, first_decay_steps=3, t_mul=2.0, m_mul=0.5, alpha=0.05),
    }
    steps = [0, 1, 2, 3, 4, 5, 6, 8, 11, 15]
    out = {"values": {k: [float(npy(K, s(st))) for st in steps] for k, s in schedules.items()},
           "configs": {k: _cfg(s.get_config()) for k, s in schedules.items()}}
    back = S.deserialize(S.serialize(schedules["restarts"]))
    out["back"] = [float(npy(K, back(st))) for st in steps]

    x, y = _data(2, 24, 4)
    seen = []

    class RecordLR(K.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(float(npy(K, self.model.optimizer.learning_rate)))

    for key in ("cosine", "piecewise"):
        model = K.Sequential([K.Input((4,)), K.layers.Dense(3, activation="relu"), K.layers.Dense(1)])
        init(model)
        opt = K.optimizers.SGD(learning_rate=schedules[key], momentum=0.9)
        model.compile(opt, "mse")
        out["h_" + key] = model.fit(x, y, batch_size=6, epochs=2, verbose=0, shuffle=False,
                                    callbacks=[RecordLR()]).history
        out["opt_cfg_" + key] = _cfg(opt.get_config()["learning_rate"])
    out["seen"] = seen

    def exponential_decay(lr0, s):
        def exponential_decay_fn(epoch):
            return lr0 * 0.1 ** (epoch / s)
        return exponential_decay_fn

    def piecewise_constant_fn(epoch):
        if epoch < 2:
            return 0.01
        elif epoch < 3:
            return 0.005
        return 0.001

    for name, fn in (("expfn", exponential_decay(0.01, 2)), ("piecefn", piecewise_constant_fn)):
        model = K.Sequential([K.Input((4,)), K.layers.Dense(1)])
        init(model, 1)
        model.compile(K.optimizers.SGD(0.02), "mse")
        out["h_" + name] = model.fit(x, y, batch_size=12, epochs=4, verbose=0, shuffle=False,
                                     callbacks=[K.callbacks.LearningRateScheduler(fn)]).history
    return out


def builtin_callbacks(K, tmp):
    """The built-in callbacks together: ModelCheckpoint(save_best_only) to a .keras file and per-epoch
    ``{epoch:02d}-{val_loss:.2f}.weights.h5`` files, ReduceLROnPlateau (its learning_rate in the logs),
    EarlyStopping with restore_best_weights / start_from_epoch / min_delta, LambdaCallback hooks, then the best
    checkpoint loaded back; and BackupAndRestore resuming an interrupted fit."""
    layers = K.layers
    x, y = _data(3, 30, 5)
    xv, yv = x[:10] + 0.3, y[:10]
    model = K.Sequential([K.Input((5,)), layers.Dense(6, activation="relu"), layers.Dense(1)])
    init(model)
    model.compile(K.optimizers.SGD(0.15), "mse", metrics=["mae"])
    events = []
    best_path = os.path.join(tmp, "best.keras")
    callbacks = [
        K.callbacks.ModelCheckpoint(best_path, monitor="val_loss", save_best_only=True),
        K.callbacks.ModelCheckpoint(os.path.join(tmp, "w_{epoch:02d}-{val_loss:.2f}.weights.h5"),
                                    save_weights_only=True),
        K.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=0.01, verbose=0),
        K.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True, start_from_epoch=1,
                                  min_delta=1e-4),
        K.callbacks.LambdaCallback(
            on_epoch_begin=lambda epoch, logs: events.append(("begin", epoch)),
            on_epoch_end=lambda epoch, logs: events.append(("end", epoch, sorted(logs))),
            on_train_end=lambda logs: events.append("train_end")),
    ]
    h = model.fit(x, y, batch_size=10, epochs=12, verbose=0, shuffle=False, validation_data=(xv, yv),
                  callbacks=callbacks)
    es = callbacks[3]
    files = sorted(f for f in os.listdir(tmp) if f.endswith(".h5"))
    best = K.models.load_model(best_path)
    out = {"h": h.history, "epochs": h.epoch, "events": str(events), "files": " ".join(files),
           "stopped": es.stopped_epoch, "best_epoch": es.best_epoch, "best": es.best,
           "restored": model.predict(xv, verbose=0), "best_pred": best.predict(xv, verbose=0),
           "lr": float(npy(K, model.optimizer.learning_rate))}
    # per-epoch weights file loads into a fresh model
    fresh = K.Sequential([K.Input((5,)), layers.Dense(6, activation="relu"), layers.Dense(1)])
    fresh.load_weights(os.path.join(tmp, files[0]))
    out["first_epoch"] = fresh.predict(xv, verbose=0)

    # BackupAndRestore: a fit interrupted at epoch 2 resumes at epoch 2 in a second fit
    class InterruptingCallback(K.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("Interrupting!")

    model = K.Sequential([K.Input((5,)), layers.Dense(1)])
    init(model, 1)
    model.compile(K.optimizers.SGD(0.05), "mse")
    backup = K.callbacks.BackupAndRestore(backup_dir=os.path.join(tmp, "backup"))
    try:
        model.fit(x, y, epochs=5, batch_size=10, verbose=0, shuffle=False, callbacks=[backup, InterruptingCallback()])
    except RuntimeError as e:
        out["interrupted"] = str(e)
    h2 = model.fit(x, y, epochs=5, batch_size=10, verbose=0, shuffle=False, callbacks=[backup])
    out["resumed"] = h2.history
    out["resumed_epochs"] = len(h2.history["loss"])
    out["backup_left"] = float(os.path.exists(os.path.join(tmp, "backup")))
    return out


def ticket_classifier(K):
    """The Functional API guide's multi-input multi-output ticket model (title and body through a shared
    Embedding and LSTMs, tags, priority and department heads): losses as a list with loss_weights, then as dicts
    keyed by output names with per-output metric lists, fit on dict inputs, evaluate as a dict; and the same
    graph with its outputs given as a dict."""
    layers = K.layers
    num_tags, num_words, num_departments = 6, 40, 3
    rng = np.random.default_rng(4)
    title = rng.integers(0, num_words, (16, 5))
    body = rng.integers(0, num_words, (16, 7))
    tags = rng.integers(0, 2, (16, num_tags)).astype("float32")
    priority = rng.random((16, 1)).astype("float32")
    department = rng.integers(0, 2, (16, num_departments)).astype("float32")

    def build(dict_outputs):
        title_input = K.Input(shape=(None,), name="title")
        body_input = K.Input(shape=(None,), name="body")
        tags_input = K.Input(shape=(num_tags,), name="tags")
        title_features = layers.Embedding(num_words, 4)(title_input)
        body_features = layers.Embedding(num_words, 4)(body_input)
        title_features = layers.LSTM(5)(title_features)
        body_features = layers.LSTM(3)(body_features)
        x = layers.concatenate([title_features, body_features, tags_input])
        priority_pred = layers.Dense(1, name="priority")(x)
        department_pred = layers.Dense(num_departments, name="department")(x)
        outputs = ({"priority": priority_pred, "department": department_pred} if dict_outputs
                   else [priority_pred, department_pred])
        return K.Model(inputs=[title_input, body_input, tags_input], outputs=outputs)

    out = {}
    model = build(False)
    init(model)
    model.compile(optimizer=K.optimizers.RMSprop(1e-2),
                  loss=[K.losses.BinaryCrossentropy(from_logits=True),
                        K.losses.CategoricalCrossentropy(from_logits=True)],
                  loss_weights=[1.0, 0.2])
    out["h_list"] = model.fit({"title": title, "body": body, "tags": tags},
                              {"priority": priority, "department": department},
                              epochs=2, batch_size=4, verbose=0, shuffle=False).history
    model.compile(optimizer=K.optimizers.RMSprop(1e-2),
                  loss={"priority": K.losses.BinaryCrossentropy(from_logits=True),
                        "department": K.losses.CategoricalCrossentropy(from_logits=True)},
                  loss_weights={"priority": 1.0, "department": 0.2},
                  metrics={"priority": ["mae"], "department": ["categorical_accuracy", K.metrics.AUC(name="auc")]})
    out["h_dict"] = model.fit([title, body, tags], [priority, department], epochs=2, batch_size=4, verbose=0,
                              shuffle=False).history
    out["ev"] = model.evaluate([title, body, tags], [priority, department], verbose=0, return_dict=True)
    out["metrics_names"] = list(model.metrics_names)
    p, d = model.predict({"title": title, "body": body, "tags": tags}, verbose=0)
    out["p"], out["d"] = p, d

    dm = build(True)
    init(dm)
    dm.compile(optimizer="adam", loss={"priority": "mse", "department": "categorical_crossentropy"},
               metrics={"department": "accuracy"})
    out["h_dm"] = dm.fit([title, body, tags], {"priority": priority, "department": department}, epochs=1,
                         batch_size=8, verbose=0, shuffle=False).history
    pred = dm.predict([title, body, tags], verbose=0)
    out["dm_pred_keys"] = sorted(pred)
    out["dm_pred"] = pred["department"]
    out["output_names"] = list(dm.output_names)
    return out


def attention_variants(K):
    """MultiHeadAttention as keras.io's Transformer examples use it: a TokenAndPositionEmbedding layer with
    mask_zero (the padding mask reaching the self-attention), use_causal_mask, an explicit attention_mask,
    cross-attention with value_dim and output_shape, return_attention_scores, attention_axes over two axes of an
    image-like input; a small decoder trained with fit."""
    layers, ops = K.layers, K.ops

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim, mask_zero=True)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            maxlen = ops.shape(x)[-1]
            positions = ops.arange(0, maxlen, 1)
            positions = self.pos_emb(positions)
            x = self.token_emb(x)
            return x + positions

        def compute_mask(self, inputs, mask=None):
            return self.token_emb.compute_mask(inputs)

    class DecoderBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, **kwargs):
            super().__init__(**kwargs)
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = K.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            padding_mask = None
            if mask is not None:
                padding_mask = ops.cast(mask[:, None, :], "int32")
            attn = self.att(inputs, inputs, attention_mask=padding_mask, use_causal_mask=True)
            out1 = self.layernorm1(inputs + attn)
            return self.layernorm2(out1 + self.ffn(out1))

    rng = np.random.default_rng(6)
    tokens = rng.integers(1, 20, (12, 6))
    tokens[:4, 4:] = 0
    targets = rng.integers(0, 20, (12, 6))
    inp = K.Input((6,), dtype="int32")
    x = TokenAndPositionEmbedding(6, 20, 8)(inp)
    x = DecoderBlock(8, 2, 12)(x)
    outs = layers.Dense(20)(x)
    model = K.Model(inp, outs)
    init(model, 0, 0.2)
    model.compile(K.optimizers.Adam(0.01), K.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    out = {"h": model.fit(tokens, targets, batch_size=4, epochs=2, verbose=0, shuffle=False).history,
           "pred": model.predict(tokens[:3], verbose=0), "names": [w.path for w in model.weights]}

    q = rng.standard_normal((2, 3, 8)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    cross = layers.MultiHeadAttention(num_heads=2, key_dim=4, value_dim=3, output_shape=(7,))
    res, scores = cross(q, v, return_attention_scores=True)
    init_layer_rng = np.random.default_rng(7)
    for w in cross.weights:
        w.assign((init_layer_rng.standard_normal(tuple(w.shape)) * 0.3).astype("float32"))
    mask = np.ones((2, 3, 5), "int32")
    mask[:, :, 3:] = 0
    res, scores = cross(q, v, attention_mask=mask, return_attention_scores=True)
    out.update(cross=npy(K, res), scores=npy(K, scores), cross_shapes=[list(w.shape) for w in cross.weights])

    img = rng.standard_normal((2, 3, 4, 6)).astype("float32")
    axial = layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2))
    r2, s2 = axial(img, img, return_attention_scores=True)
    for w in axial.weights:
        w.assign((init_layer_rng.standard_normal(tuple(w.shape)) * 0.3).astype("float32"))
    r2, s2 = axial(img, img, return_attention_scores=True)
    out.update(axial=npy(K, r2), axial_scores_shape=list(s2.shape), axial_cfg=_cfg(axial.get_config()))
    return out


def stateful_and_custom_cells(K):
    """Hands-On ML ch. 16's char-RNN trained, its weights copied into a stateful twin (a fixed batch_shape,
    reset_states by a callback, stepwise prediction keeping the state: Keras's torch backend cannot train a
    stateful GRU, its backward pass sees the state updated in place) and the RNN guide's
    custom cell (a Layer with state_size and output_size in keras.layers.RNN, return_state), an LSTM with
    unroll=True, and a Conv1D front end into a GRU as in Géron's forecasting models."""
    layers, ops = K.layers, K.ops
    rng = np.random.default_rng(8)
    seqs = rng.integers(0, 7, (4, 10))
    X, Y = seqs[:, :-1], seqs[:, 1:]
    out = {}

    def char_rnn(stateful):
        return K.Sequential([
            K.Input(batch_shape=(2, None)) if stateful else K.Input((None,)),
            layers.Embedding(input_dim=7, output_dim=4),
            layers.GRU(6, return_sequences=True, stateful=stateful),
            layers.Dense(7, activation="softmax"),
        ])

    model = char_rnn(False)
    init(model)
    model.compile(loss="sparse_categorical_crossentropy", optimizer=K.optimizers.Nadam(0.01), metrics=["accuracy"])
    out["h"] = model.fit(X, Y, batch_size=2, epochs=3, verbose=0, shuffle=False).history

    class ResetStatesCallback(K.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            for layer in self.model.layers:
                if hasattr(layer, "reset_states"):
                    layer.reset_states()

    stateful_model = char_rnn(True)
    stateful_model.set_weights(model.get_weights())
    stateful_model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
    out["ev_stateful"] = stateful_model.evaluate(X, Y, batch_size=2, verbose=0, callbacks=[ResetStatesCallback()])
    gru_layer = stateful_model.layers[1]
    gru_layer.reset_states()
    steps = [stateful_model.predict(X[:2, i:i + 1], verbose=0) for i in range(3)]
    gru_layer.reset_states()
    whole = stateful_model.predict(X[:2, :3], verbose=0)
    out["steps"] = np.concatenate(steps, axis=1)
    out["whole"] = whole
    out["state"] = npy(K, gru_layer.states[0])
    out["stateless"] = model.predict(X[:2, :3], verbose=0)

    class MinimalRNNCell(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units
            self.output_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                    name="recurrent_kernel")

        def call(self, inputs, states):
            prev_output = states[0]
            h = ops.matmul(inputs, self.kernel)
            output = h + ops.matmul(prev_output, self.recurrent_kernel)
            return ops.tanh(output), [ops.tanh(output)]

    series = rng.standard_normal((10, 8, 2)).astype("float32")
    target = series[:, -3:, 0].sum(1, keepdims=True)
    inp = K.Input((None, 2))
    seq_out, state = layers.RNN(MinimalRNNCell(5), return_sequences=True, return_state=True)(inp)
    lstm = layers.LSTM(4, unroll=True)(seq_out)
    conv = layers.Conv1D(4, kernel_size=3, strides=2, padding="valid", activation="relu")(inp)
    gru = layers.GRU(3)(conv)
    o = layers.Dense(1)(layers.concatenate([lstm, gru, state]))
    m2 = K.Model(inp, o)
    init(m2, 1)
    m2.compile("adam", K.losses.Huber(), metrics=["mae"])
    out["h2"] = m2.fit(series, target, batch_size=5, epochs=2, verbose=0, shuffle=False).history
    out["p2"] = m2.predict(series[:3], verbose=0)
    out["names2"] = [w.path for w in m2.weights]
    return out


def weighted_metrics(K):
    """weighted_metrics next to metrics with sample_weight and class_weight (one-hot targets), validation_split
    with sample weights, per-timestep sample weights of a sequence output, and evaluate with sample_weight."""
    layers = K.layers
    rng = np.random.default_rng(9)
    x = rng.standard_normal((30, 5)).astype("float32")
    labels = rng.integers(0, 3, 30)
    y = K.utils.to_categorical(labels, 3)
    sw = rng.random(30).astype("float32") + 0.5
    model = K.Sequential([K.Input((5,)), layers.Dense(6, activation="relu"), layers.Dense(3, activation="softmax")])
    init(model)
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy", K.metrics.AUC(name="auc")],
                  weighted_metrics=["accuracy", "mse"])
    out = {"h_sw": model.fit(x, y, sample_weight=sw, batch_size=6, epochs=2, verbose=0, shuffle=False,
                             validation_split=0.2).history}
    out["h_cw"] = model.fit(x, y, class_weight={0: 0.5, 1: 2.0, 2: 1.0}, batch_size=6, epochs=1, verbose=0,
                            shuffle=False).history
    out["ev_sw"] = model.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True)
    out["ev"] = model.evaluate(x, y, verbose=0, return_dict=True)
    out["names"] = list(model.metrics_names)

    seq = rng.standard_normal((8, 4, 3)).astype("float32")
    tgt = rng.integers(0, 2, (8, 4))
    tsw = (rng.random((8, 4)) > 0.3).astype("float32")
    m2 = K.Sequential([K.Input((4, 3)), layers.SimpleRNN(4, return_sequences=True), layers.Dense(2)])
    init(m2, 2)
    m2.compile("sgd", K.losses.SparseCategoricalCrossentropy(from_logits=True),
               weighted_metrics=[K.metrics.SparseCategoricalAccuracy(name="wacc")])
    out["h_seq"] = m2.fit(seq, tgt, sample_weight=tsw, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    return out


def transfer_by_sharing(K):
    """Hands-On ML ch. 11's reuse of a pretrained model: model_B_on_A built from model_A.layers[:-1] (shared
    layers), clone_model + set_weights to keep model_A intact, the reused layers frozen, compiled, trained,
    unfrozen and recompiled with a lower learning rate; and a base model with BatchNormalization frozen
    (trainable=False keeps BN in inference mode, its moving statistics unchanged), called with training=False."""
    layers = K.layers
    rng = np.random.default_rng(10)
    xa = rng.standard_normal((24, 6)).astype("float32")
    ya = rng.integers(0, 4, 24)
    xb = rng.standard_normal((16, 6)).astype("float32")
    yb = (xb[:, 0] > 0).astype("float32")
    model_A = K.Sequential([K.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(8, activation="relu"),
                            layers.Dense(4, activation="softmax")])
    init(model_A)
    model_A.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    out = {"hA": model_A.fit(xa, ya, batch_size=8, epochs=1, verbose=0, shuffle=False).history}
    model_A_clone = K.models.clone_model(model_A)
    model_A_clone.set_weights(model_A.get_weights())
    model_B_on_A = K.Sequential(model_A_clone.layers[:-1])
    model_B_on_A.add(layers.Dense(1, activation="sigmoid"))
    model_B_on_A.build((None, 6))
    rng2 = np.random.default_rng(11)
    last = model_B_on_A.layers[-1]
    last.set_weights([(rng2.standard_normal(tuple(w.shape)) * 0.3).astype("float32") for w in last.get_weights()])
    for layer in model_B_on_A.layers[:-1]:
        layer.trainable = False
    model_B_on_A.compile(K.optimizers.SGD(0.01), "binary_crossentropy", metrics=["accuracy"])
    out["hB1"] = model_B_on_A.fit(xb, yb, epochs=2, batch_size=8, verbose=0, shuffle=False).history
    for layer in model_B_on_A.layers[:-1]:
        layer.trainable = True
    model_B_on_A.compile(K.optimizers.SGD(0.001), "binary_crossentropy", metrics=["accuracy"])
    out["hB2"] = model_B_on_A.fit(xb, yb, epochs=1, batch_size=8, verbose=0, shuffle=False).history
    out["A_intact"] = model_A.predict(xa[:3], verbose=0)
    out["shared"] = float(model_B_on_A.layers[0] is model_A_clone.layers[0])
    out["n_layers"] = [len(model_A.layers), len(model_B_on_A.layers)]

    base = K.Sequential([K.Input((6,)), layers.Dense(8, use_bias=False), layers.BatchNormalization(),
                         layers.Activation("relu")], name="base")
    init(base, 3)
    base.trainable = False
    inp = K.Input((6,))
    feats = base(inp, training=False)
    o = layers.Dense(1, activation="sigmoid")(feats)
    model = K.Model(inp, o)
    init_last = np.random.default_rng(12)
    model.layers[-1].set_weights([(init_last.standard_normal(tuple(w.shape)) * 0.3).astype("float32")
                                  for w in model.layers[-1].get_weights()])
    stats = [w.copy() for w in base.layers[1].get_weights()]
    model.compile("adam", "binary_crossentropy", metrics=[K.metrics.BinaryAccuracy()])
    out["h_frozen"] = model.fit(xb, yb, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    out["bn_same"] = float(all(np.allclose(a, b) for a, b in zip(stats, base.layers[1].get_weights())))
    out["counts"] = [len(model.trainable_weights), len(model.non_trainable_weights)]
    base.trainable = True
    model.compile(K.optimizers.Adam(1e-4), "binary_crossentropy", metrics=[K.metrics.BinaryAccuracy()])
    out["h_unfrozen"] = model.fit(xb, yb, batch_size=8, epochs=1, verbose=0, shuffle=False).history
    out["bn_after"] = base.layers[1].get_weights()
    out["counts2"] = [len(model.trainable_weights), len(model.non_trainable_weights)]
    return out


def geron_regularization(K):
    """Hands-On ML ch. 11's deep-net recipes: BatchNormalization before the activation (use_bias=False),
    LeakyReLU(negative_slope), PReLU, selu with lecun_normal, the MaxNorm constraint, l2 regularization through
    functools.partial(Dense, ...), AlphaDropout/Dropout at rate 0, an MCDropout subclass forcing training=True
    (rate 0 so it is deterministic), Nadam and AdamW."""
    layers = K.layers
    RegularizedDense = functools.partial(layers.Dense, activation="relu", kernel_initializer="he_normal",
                                         kernel_regularizer=K.regularizers.l2(0.01))

    class MCDropout(layers.Dropout):
        def call(self, inputs, training=None):
            return super().call(inputs, training=True)

    rng = np.random.default_rng(12)
    x = rng.standard_normal((24, 4, 4)).astype("float32")
    y = rng.integers(0, 3, 24)
    model = K.Sequential([
        K.Input((4, 4)),
        layers.Flatten(),
        layers.BatchNormalization(),
        layers.Dense(10, kernel_initializer="he_normal", use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.Dense(8, kernel_initializer="he_normal"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dense(8),
        layers.PReLU(),
        layers.Dense(8, activation="selu", kernel_initializer="lecun_normal",
                     kernel_constraint=K.constraints.max_norm(1.0)),
        layers.AlphaDropout(0.0),
        RegularizedDense(6),
        MCDropout(0.0),
        layers.Dense(3, activation="softmax"),
    ])
    init(model)
    model.compile(K.optimizers.Nadam(learning_rate=1e-2, beta_1=0.9, beta_2=0.999), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    out = {"h": model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False, validation_data=(x[:8], y[:8])).history}
    norms = np.sqrt((npy(K, model.layers[9].kernel) ** 2).sum(axis=0))
    out["maxnorm_ok"] = float(norms.max() <= 1.0 + 1e-5)
    out["pred"] = model.predict(x[:4], verbose=0)
    y_probas = np.stack([npy(K, model(x[:4], training=True)) for _ in range(3)])
    out["mc"] = y_probas.mean(axis=0)
    out["losses"] = len(model.losses)
    out["weights"] = [w.path for w in model.weights]
    m2 = K.Sequential([K.Input((4, 4)), layers.Flatten(), layers.Dense(5, activation="relu"),
                       layers.Dense(3, activation="softmax")])
    init(m2, 1)
    m2.compile(K.optimizers.AdamW(learning_rate=0.01, weight_decay=0.05), "sparse_categorical_crossentropy")
    out["h_adamw"] = m2.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    return out


def generators_and_steps(K):
    """fit on an infinite Python generator with steps_per_epoch, validation from a generator with
    validation_steps (as Keras: each validation starts again with the generator's first two batches, read when
    fit starts), a PyDataset with on_epoch_end yielding (x, y, sample_weight), fit on a PyDataset and on arrays
    with steps_per_epoch shorter than them (as Keras: an epoch goes on where the last one stopped, and one that
    reaches the end stops short with a warning), evaluate(steps=) and predict(steps=) on generators."""
    layers = K.layers
    rng = np.random.default_rng(13)
    X = rng.standard_normal((40, 3)).astype("float32")
    Y = (X.sum(1, keepdims=True) > 0).astype("float32")

    def gen(batch_size=5):
        i = 0
        while True:
            j = (i * batch_size) % len(X)
            yield X[j:j + batch_size], Y[j:j + batch_size]
            i += 1

    class Weighted(K.utils.PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.epochs_seen = 0

        def __len__(self):
            return 5

        def __getitem__(self, idx):
            sl = slice(8 * idx, 8 * idx + 8)
            return X[sl], Y[sl], np.full((8,), 1.0 + self.epochs_seen, "float32")

        def on_epoch_end(self):
            self.epochs_seen += 1

    out = {}
    model = K.Sequential([K.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(1, activation="sigmoid")])
    init(model)
    model.compile(K.optimizers.SGD(0.1), "binary_crossentropy", metrics=["accuracy"])
    out["h_gen"] = model.fit(gen(), steps_per_epoch=3, epochs=3, verbose=0, validation_data=gen(4),
                             validation_steps=2).history
    out["ev_gen"] = model.evaluate(gen(), steps=4, verbose=0)
    out["pred_gen"] = model.predict(gen(), steps=2, verbose=0)
    ds = Weighted()
    out["h_ds"] = model.fit(ds, epochs=2, verbose=0, shuffle=False).history
    out["seen"] = ds.epochs_seen
    # fewer steps than batches: an epoch goes on where the last stopped (the second has the last two batches)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out["h_ds_steps"] = model.fit(Weighted(), epochs=3, steps_per_epoch=3, verbose=0, shuffle=False).history
        out["h_arr_steps"] = model.fit(X, Y, batch_size=8, epochs=4, steps_per_epoch=2, verbose=0,
                                       shuffle=False).history
    out["ran_out"] = sum("ran out of data" in str(w.message) for w in caught)

    return out


def ops_losses_metrics(K):
    """keras.ops losses and metrics as in keras.io segmentation and detection examples: a focal-loss Loss
    subclass with get_config, a Dice loss function, a MeanMetricWrapper around a function, a Metric with two
    variables and reset_state; the built-in loss classes (Huber, LogCosh, Poisson, KLDivergence,
    CosineSimilarity, BinaryFocalCrossentropy with class balancing, CategoricalFocalCrossentropy, Dice, Tversky,
    CategoricalHinge, SquaredHinge) called directly with reductions and sample weights."""
    layers, ops = K.layers, K.ops

    class FocalLoss(K.losses.Loss):
        def __init__(self, gamma=2.0, alpha=0.25, name="focal_loss", **kwargs):
            super().__init__(name=name, **kwargs)
            self.gamma, self.alpha = gamma, alpha

        def call(self, y_true, y_pred):
            y_pred = ops.clip(y_pred, 1e-7, 1 - 1e-7)
            ce = -y_true * ops.log(y_pred) - (1 - y_true) * ops.log(1 - y_pred)
            p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
            alpha_t = y_true * self.alpha + (1 - y_true) * (1 - self.alpha)
            return ops.mean(alpha_t * ops.power(1 - p_t, self.gamma) * ce, axis=-1)

        def get_config(self):
            return {**super().get_config(), "gamma": self.gamma, "alpha": self.alpha}

    def dice_loss(y_true, y_pred, smooth=1.0):
        inter = ops.sum(y_true * y_pred, axis=-1)
        union = ops.sum(y_true, axis=-1) + ops.sum(y_pred, axis=-1)
        return 1.0 - (2.0 * inter + smooth) / (union + smooth)

    def within_tenth(y_true, y_pred):
        return ops.mean(ops.cast(ops.abs(y_true - y_pred) < 0.1, "float32"), axis=-1)

    class MeanAbsoluteErrorRatio(K.metrics.Metric):
        def __init__(self, name="mae_ratio", **kwargs):
            super().__init__(name=name, **kwargs)
            self.err = self.add_variable(shape=(), initializer="zeros", name="err")
            self.mag = self.add_variable(shape=(), initializer="zeros", name="mag")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.err.assign_add(ops.sum(ops.abs(y_true - y_pred)))
            self.mag.assign_add(ops.sum(ops.abs(y_true)))

        def result(self):
            return ops.divide_no_nan(self.err, self.mag)

        def reset_state(self):
            for v in self.variables:
                v.assign(ops.zeros_like(v))

    rng = np.random.default_rng(14)
    x = rng.standard_normal((24, 5)).astype("float32")
    y = (rng.random((24, 4)) > 0.6).astype("float32")
    model = K.Sequential([K.Input((5,)), layers.Dense(6, activation="relu"), layers.Dense(4, activation="sigmoid")])
    init(model)
    model.compile(K.optimizers.Adam(0.01), FocalLoss(gamma=2.0),
                  metrics=[K.metrics.MeanMetricWrapper(within_tenth, name="within"), MeanAbsoluteErrorRatio(),
                           dice_loss, K.metrics.BinaryIoU(target_class_ids=[1], threshold=0.5)])
    out = {"h": model.fit(x, y, batch_size=6, epochs=2, verbose=0, shuffle=False).history,
           "cfg": _cfg(FocalLoss(gamma=3.0).get_config())}
    m = model.metrics[-1]
    m.reset_state()
    out["reset"] = {k: float(npy(K, v)) for k, v in m.result().items()}
    m2 = K.Sequential([K.Input((5,)), layers.Dense(4, activation="sigmoid")])
    init(m2, 1)
    m2.compile("sgd", dice_loss)
    out["h_dice"] = m2.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history

    yt = y[:6]
    yp = np.clip(rng.random((6, 4)), 0.05, 0.95).astype("float32")
    sw = rng.random(6).astype("float32")
    L = K.losses
    direct = {}
    for name, loss in [("huber", L.Huber(delta=0.5)), ("logcosh", L.LogCosh()), ("poisson", L.Poisson()),
                       ("kld", L.KLDivergence()), ("cos", L.CosineSimilarity(axis=-1)),
                       ("bfocal", L.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=1.5)),
                       ("cfocal", L.CategoricalFocalCrossentropy(gamma=2.0)), ("dice", L.Dice()),
                       ("tversky", L.Tversky(alpha=0.7, beta=0.3)), ("chinge", L.CategoricalHinge()),
                       ("shinge", L.SquaredHinge()),
                       ("sum", L.MeanSquaredError(reduction="sum")),
                       ("none", L.MeanAbsoluteError(reduction=None)),
                       ("swoe", L.BinaryCrossentropy(reduction="sum_over_batch_size", label_smoothing=0.1))]:
        direct[name] = [npy(K, loss(yt, yp)), npy(K, loss(yt, yp, sample_weight=sw))]
    out["direct"] = direct
    return out


def utils_helpers(K):
    """keras.utils helpers Géron and the DLWP listings use: to_categorical (from a column vector, with and
    without num_classes), normalize (orders and axes), pad_sequences (pre/post padding and truncating, maxlen,
    value, dtype), pack_x_y_sample_weight / unpack_x_y_sample_weight, custom_object_scope and get_custom_objects,
    serialize_keras_object / deserialize_keras_object of layers and losses, and keras.backend helpers."""
    U = K.utils
    rng = np.random.default_rng(15)
    labels = rng.integers(0, 4, (6, 1))
    out = {"onehot": U.to_categorical(labels), "onehot6": U.to_categorical(labels.ravel(), num_classes=6),
           "onehot_dtype": str(U.to_categorical(labels).dtype)}
    a = rng.standard_normal((3, 4)).astype("float32")
    out["norm"] = [npy(K, U.normalize(a)), npy(K, U.normalize(a, order=1)), npy(K, U.normalize(a, order=3))]
    seqs = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], []]
    out["pad"] = [U.pad_sequences(seqs), U.pad_sequences(seqs, maxlen=3, padding="post", truncating="post"),
                  U.pad_sequences(seqs, maxlen=4, value=-1), U.pad_sequences(seqs, dtype="float32", padding="post")]
    out["pad_dtype"] = str(U.pad_sequences(seqs).dtype)
    packed = U.pack_x_y_sample_weight(a, a[:, 0])
    x2, y2, sw2 = U.unpack_x_y_sample_weight(packed)
    out["packed"] = [len(packed), float(sw2 is None)]
    out["single"] = float(U.unpack_x_y_sample_weight((a,))[1] is None)

    class Doubler(K.layers.Layer):
        def call(self, x):
            return x * 2

    with U.custom_object_scope({"Doubler": Doubler}):
        inside = "Doubler" in U.get_custom_objects()
        layer = K.layers.deserialize({"class_name": "Doubler", "config": {"name": "d"}})
    out["scope"] = [float(inside), float("Doubler" in U.get_custom_objects()), float(isinstance(layer, Doubler))]
    dense = K.layers.Dense(3, activation="relu", name="dd")
    ser = K.saving.serialize_keras_object(dense)
    back = K.saving.deserialize_keras_object(ser)
    out["ser"] = _cfg({k: v for k, v in ser.items() if k != "build_config"})
    out["back"] = _cfg(back.get_config())
    loss_ser = K.losses.serialize(K.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2))
    out["loss_ser"] = _cfg(loss_ser)
    out["loss_back"] = _cfg(K.losses.deserialize(loss_ser).get_config())
    out["backend"] = [K.backend.floatx(), K.backend.image_data_format(), str(K.backend.epsilon()),
                      K.backend.backend(), str(K.backend.is_keras_tensor(K.Input((2,))))]
    return out


def model_steps(K):
    """A subclassed model overriding train_step, test_step and predict_step (the torch backend's idiom:
    zero_grad, backward, optimizer.apply), with Mean/MAE trackers in ``metrics`` and compute_metrics for the
    compiled ones; reset_metrics, metrics_names, get_metrics_result, train_on_batch / test_on_batch /
    predict_on_batch through the overridden steps."""
    layers, ops = K.layers, K.ops

    class CustomModel(K.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d1 = layers.Dense(5, activation="relu")
            self.d2 = layers.Dense(1)
            self.loss_tracker = K.metrics.Mean(name="loss")
            self.mae = K.metrics.MeanAbsoluteError(name="mae")

        def call(self, x):
            return self.d2(self.d1(x))

        def train_step(self, data):
            x, y, _ = K.utils.unpack_x_y_sample_weight(data)
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = ops.mean(ops.square(ops.subtract(y, y_pred)))
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            self.optimizer.apply(gradients, trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            x, y, _ = K.utils.unpack_x_y_sample_weight(data)
            y_pred = self(x, training=False)
            self.loss_tracker.update_state(ops.mean(ops.square(ops.subtract(y, y_pred))))
            self.mae.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def predict_step(self, data):
            x = data[0] if isinstance(data, (tuple, list)) else data
            return {"value": self(x, training=False), "double": 2.0 * self(x, training=False)}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae]

    x, y = _data(16, 20, 4)
    model = CustomModel()
    model(x[:1])
    init(model)
    model.compile(optimizer=K.optimizers.Adam(0.02))
    out = {"h": model.fit(x, y, batch_size=5, epochs=2, verbose=0, shuffle=False, validation_data=(x[:5], y[:5])).history}
    out["ev"] = model.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)
    pred = model.predict(x, batch_size=6, verbose=0)
    out["pred_keys"] = sorted(pred)
    out["pred"] = pred["double"]
    out["names"] = list(model.metrics_names)
    out["tob"] = model.train_on_batch(x[:5], y[:5], return_dict=True)
    out["teb"] = model.test_on_batch(x[:5], y[:5], return_dict=True)
    model.reset_metrics()
    out["after_reset"] = float(npy(K, model.loss_tracker.result()))
    out["pob"] = model.predict_on_batch(x[:3])["value"]
    return out


def wide_and_deep(K):
    """Hands-On ML ch. 10's Wide & Deep regressor: Normalization layers adapted on each input, Concatenate of the
    wide and deep paths, an auxiliary output with loss_weights, RootMeanSquaredError per output, evaluate's list
    of losses and metrics, predict's tuple; then the subclassed WideAndDeepModel adapting its Normalization layers
    before fit, and its weights saved to a .weights.h5 file and loaded into a new instance."""
    layers = K.layers
    rng = np.random.default_rng(17)
    X = (rng.standard_normal((40, 8)) * [1, 2, 3, 4, 5, 6, 7, 8] + 2.0).astype("float32")
    y = (X[:, :3].sum(1, keepdims=True) / 10.0).astype("float32")
    X_wide, X_deep = X[:, :5], X[:, 2:]
    out = {}
    input_wide = K.Input(shape=[5])
    input_deep = K.Input(shape=[6])
    norm_layer_wide = layers.Normalization()
    norm_layer_deep = layers.Normalization()
    norm_wide = norm_layer_wide(input_wide)
    norm_deep = norm_layer_deep(input_deep)
    hidden1 = layers.Dense(8, activation="relu")(norm_deep)
    hidden2 = layers.Dense(8, activation="relu")(hidden1)
    concat = layers.concatenate([norm_wide, hidden2])
    output = layers.Dense(1)(concat)
    aux_output = layers.Dense(1)(hidden2)
    model = K.Model(inputs=[input_wide, input_deep], outputs=[output, aux_output])
    init(model)
    norm_layer_wide.adapt(X_wide)
    norm_layer_deep.adapt(X_deep)
    optimizer = K.optimizers.Adam(learning_rate=1e-2)
    model.compile(loss=("mse", "mse"), loss_weights=(0.9, 0.1), optimizer=optimizer,
                  metrics=["RootMeanSquaredError", "RootMeanSquaredError"])
    out["h"] = model.fit((X_wide, X_deep), (y, y), epochs=3, batch_size=8, verbose=0, shuffle=False,
                         validation_data=((X_wide[:8], X_deep[:8]), (y[:8], y[:8]))).history
    out["ev"] = model.evaluate((X_wide, X_deep), (y, y), verbose=0)
    y_pred_main, y_pred_aux = model.predict((X_wide[:3], X_deep[:3]), verbose=0)
    out["main"], out["aux"] = y_pred_main, y_pred_aux
    y_pred_tuple = model.predict((X_wide[:3], X_deep[:3]), verbose=0)
    out["pred_type"] = type(y_pred_tuple).__name__

    class WideAndDeepModel(K.Model):
        def __init__(self, units=8, activation="relu", **kwargs):
            super().__init__(**kwargs)
            self.norm_layer_wide = layers.Normalization()
            self.norm_layer_deep = layers.Normalization()
            self.hidden1 = layers.Dense(units, activation=activation)
            self.hidden2 = layers.Dense(units, activation=activation)
            self.main_output = layers.Dense(1)
            self.aux_output = layers.Dense(1)

        def call(self, inputs):
            input_wide, input_deep = inputs
            norm_wide = self.norm_layer_wide(input_wide)
            norm_deep = self.norm_layer_deep(input_deep)
            hidden1 = self.hidden1(norm_deep)
            hidden2 = self.hidden2(hidden1)
            concat = layers.concatenate([norm_wide, hidden2])
            return self.main_output(concat), self.aux_output(hidden2)

    sub = WideAndDeepModel(8, activation="relu", name="my_cool_model")
    sub.norm_layer_wide.adapt(X_wide)
    sub.norm_layer_deep.adapt(X_deep)
    sub((X_wide[:1], X_deep[:1]))
    init(sub, 1)
    sub.compile(loss=("mse", "mse"), loss_weights=[0.9, 0.1], optimizer="adam", metrics=["RootMeanSquaredError"] * 2)
    out["h_sub"] = sub.fit((X_wide, X_deep), (y, y), epochs=2, batch_size=8, verbose=0, shuffle=False).history
    out["sub_weights"] = [w.path for w in sub.weights]
    return out


PROGRAMS = [tied_autoencoder, lr_schedules, ticket_classifier, attention_variants, stateful_and_custom_cells,
            weighted_metrics, transfer_by_sharing, geron_regularization, generators_and_steps, ops_losses_metrics,
            utils_helpers, model_steps, wide_and_deep]
FILE_PROGRAMS = [geron_custom_components, geron_custom_layers, builtin_callbacks]


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.__name__ for p in PROGRAMS])
def test_keras_style_program_runs_the_same_under_ember(program):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    expected = program(keras)
    ek.backend.clear_session()
    ek.utils.set_random_seed(0)
    got = program(ek)
    _compare(got, expected, program.__name__)


@pytest.mark.parametrize("program", FILE_PROGRAMS, ids=[p.__name__ for p in FILE_PROGRAMS])
def test_keras_style_program_with_files_runs_the_same_under_ember(program, tmp_path):
    (tmp_path / "k").mkdir()
    (tmp_path / "e").mkdir()
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    expected = program(keras, str(tmp_path / "k"))
    ek.backend.clear_session()
    ek.utils.set_random_seed(0)
    got = program(ek, str(tmp_path / "e"))
    _compare(got, expected, program.__name__)


# ---------------------------------------------------------------------------------------------------- focused tests


def _two_outputs(K):
    inp = K.Input((3,))
    h = K.layers.Dense(4)(inp)
    model = K.Model(inp, [K.layers.Dense(1, name="a")(h), K.layers.Dense(1, name="b")(h)])
    init(model)
    return model


_METRIC_SPECS = {
    "per_output_strings": lambda K: ["RootMeanSquaredError", "mae"],
    "per_output_lists": lambda K: [["mae", "mae"], ["mse", "mean_squared_error", K.metrics.MeanAbsoluteError()]],
    "list_and_none": lambda K: ["mae", None],
    "dict_some_outputs": lambda K: {"b": ["mse", "MeanAbsoluteError"]},
    "one_object_for_both": lambda K: [K.metrics.MeanSquaredError(name="shared")] * 2,
    "too_short": lambda K: ["mae"],
    "too_long": lambda K: ["mae", "mse", "mae"],
    "unknown_output": lambda K: {"nope": "mae"},
    "a_string": lambda K: "mae",
}


@pytest.mark.parametrize("spec", list(_METRIC_SPECS))
def test_compile_metrics_of_a_two_output_model_are_read_and_named_as_keras(spec):
    """Keras 3 reads a list of metrics of a multi-output model as one entry per output (a list of another length
    is refused), keeps a metric's name as written (``'RootMeanSquaredError'``) and prefixes only the log key."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3)).astype("float32")
    y = [rng.standard_normal((8, 1)).astype("float32") for _ in range(2)]
    results = []
    for K in (keras, ek):
        model = _two_outputs(K)
        try:
            model.compile("sgd", ["mse", "mse"], metrics=_METRIC_SPECS[spec](K))
            h = model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False).history
            results.append({"h": h, "names": [m.name for m in model.metrics[1].metrics],
                            "ev": model.evaluate(x, y, verbose=0), "metrics_names": list(model.metrics_names)})
        except ValueError as e:
            results.append({"error": str(e)})
    _compare(results[1], results[0], spec)


def test_custom_functions_and_objects_in_layer_configs_are_written_and_found_as_keras():
    """A custom activation, initializer and constraint function, a registered activation, and Initializer,
    Regularizer and Constraint subclasses in a Dense config: written as Keras writes them, found again through
    custom objects or the registry, and Keras's error for a function it cannot find."""
    def configs(K):
        ops = K.ops

        def my_act(z):
            return ops.tanh(z) * 2.0

        @K.saving.register_keras_serializable(package="probe3fn")
        def registered_act(z):
            return z * 0.5

        def my_init(shape, dtype=None):
            return ops.ones(shape, dtype=dtype) * 0.1

        def my_constraint(w):
            return ops.clip(w, -1.0, 1.0)

        class MyInit(K.initializers.Initializer):
            def __init__(self, value=0.2):
                self.value = value

            def __call__(self, shape, dtype=None):
                return ops.ones(shape, dtype=dtype) * self.value

            def get_config(self):
                return {"value": self.value}

        class MyReg(K.regularizers.Regularizer):
            def __init__(self, factor=0.1):
                self.factor = factor

            def __call__(self, w):
                return self.factor * ops.sum(ops.abs(w))

            def get_config(self):
                return {"factor": self.factor}

        class MyCon(K.constraints.Constraint):
            def __call__(self, w):
                return ops.maximum(w, 0.0)

        objects = {"my_act": my_act, "my_init": my_init, "my_constraint": my_constraint, "MyInit": MyInit,
                   "MyReg": MyReg, "MyCon": MyCon}
        first = K.layers.Dense(3, activation=my_act, kernel_initializer=my_init, bias_initializer=MyInit(0.3),
                               kernel_regularizer=MyReg(0.2), kernel_constraint=my_constraint, bias_constraint=MyCon())
        second = K.layers.Dense(2, activation=registered_act)
        c1, c2 = first.get_config(), second.get_config()
        with K.saving.custom_object_scope(objects):
            back = K.layers.Dense.from_config(c1)
        back_registered = K.layers.Dense.from_config(c2)
        x = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
        out = {"c1": _cfg({k: v for k, v in c1.items() if k not in ("name", "dtype")}),
               "c2": _cfg(c2["activation"]),
               "found": [float(back.activation is my_act), float(back.kernel_initializer is my_init),
                         float(back.kernel_constraint is my_constraint), back.bias_initializer.value,
                         back.kernel_regularizer.factor, float(back_registered.activation is registered_act)],
               "classes": f"{type(back.bias_initializer).__name__} {type(back.bias_constraint).__name__}",
               "y": npy(K, back(x)), "losses": float(npy(K, sum(back.losses)))}
        try:
            K.layers.Dense.from_config(c1)
            out["unknown"] = "loaded"
        except (TypeError, ValueError) as e:
            out["unknown"] = f"{type(e).__name__}: {'Could not locate function' in str(e)}"
        return out

    _compare(configs(ek), configs(keras), "custom_objects")


def _mha_case(K, case):
    layers = K.layers
    rng = np.random.default_rng(20)
    if case == "4d_default":
        x = rng.standard_normal((2, 3, 4, 6)).astype("float32")
        mha, args, kw = layers.MultiHeadAttention(2, 3), (x, x), {}
    elif case == "4d_axis2":
        x = rng.standard_normal((2, 3, 4, 6)).astype("float32")
        v = rng.standard_normal((2, 3, 5, 4)).astype("float32")
        mha, args, kw = layers.MultiHeadAttention(2, 3, value_dim=2, attention_axes=2), (x, v), {}
    elif case == "3d_output_shape":
        q = rng.standard_normal((2, 4, 6)).astype("float32")
        v = rng.standard_normal((2, 5, 6)).astype("float32")
        mask = rng.random((2, 4, 5)) > 0.3
        mha = layers.MultiHeadAttention(3, 2, output_shape=(2, 3), attention_axes=-2)
        args, kw = (q, v), {"attention_mask": mask}
    else:   # a 5-D input attended over its last two index axes, with a mask over them
        x = rng.standard_normal((2, 2, 3, 2, 4)).astype("float32")
        mask = rng.random((2, 2, 3, 2, 3, 2)) > 0.2
        mha = layers.MultiHeadAttention(2, 2, attention_axes=(2, 3), output_shape=5)
        args, kw = (x, x), {"attention_mask": mask}
    mha(*args, **kw)
    w_rng = np.random.default_rng(21)
    for w in mha.weights:
        w.assign((w_rng.standard_normal(tuple(w.shape)) * 0.4).astype("float32"))
    out, scores = mha(*args, return_attention_scores=True, **kw)
    plain = mha(*args, **kw)
    return {"out": npy(K, out), "scores": npy(K, scores), "plain": npy(K, plain),
            "shapes": [list(w.shape) for w in mha.weights], "paths": [w.path.split("/", 1)[1] for w in mha.weights],
            "cfg": _cfg({k: mha.get_config()[k] for k in ("output_shape", "attention_axes")}),
            "out_shape": str(mha.compute_output_shape(args[0].shape, args[1].shape))}


@pytest.mark.parametrize("case", ["4d_default", "4d_axis2", "3d_output_shape", "5d_two_axes_masked"])
def test_multi_head_attention_over_other_axes_and_output_shapes_as_keras(case):
    """MultiHeadAttention with attention_axes (an int, a tuple, negative), inputs of rank 4 and 5 (the other index
    axes act as batch axes; one softmax over all the key's attended axes), an attention mask over them and a tuple
    output_shape: the weights' shapes and paths, outputs, scores and config as Keras's."""
    keras.backend.clear_session()
    ek.backend.clear_session()
    _compare(_mha_case(ek, case), _mha_case(keras, case), case)


def test_fit_validation_on_a_generator_starts_again_with_its_first_batches_as_keras():
    """Keras reads a generator's first two batches when fit starts, and each validation (a new pass) yields them
    again before going on with the generator: with validation_steps=3 the epochs validate on batches 0, 1, 2 then
    0, 1, 3 then 0, 1, 4; the training generator goes on across epochs."""
    def run(K):
        X = np.arange(60, dtype="float32")[:, None]
        seen = {"train": [], "test": []}

        class Recorder(K.Model):
            def __init__(self):
                super().__init__()
                self.d = K.layers.Dense(1)

            def call(self, x):
                return self.d(x)

            def train_step(self, data):
                seen["train"].append(int(K.ops.convert_to_numpy(data[0])[0, 0]))
                return {"loss": 0.0}

            def test_step(self, data):
                seen["test"].append(int(K.ops.convert_to_numpy(data[0])[0, 0]))
                return {"loss": 0.0}

        def gen():
            i = 0
            while True:
                yield X[5 * i:5 * i + 5], X[5 * i:5 * i + 5]
                i = (i + 1) % 12

        model = Recorder()
        model(X[:1])
        model.compile("sgd", "mse")
        model.fit(gen(), steps_per_epoch=2, epochs=3, verbose=0, validation_data=gen(), validation_steps=3)
        return seen

    _compare(run(ek), run(keras), "generator_validation")


def _ops_graph(K):
    layers, ops = K.layers, K.ops
    inp = K.Input((6, 8), name="x")
    a = layers.Dense(8)(inp)
    u = ops.mean((a + inp) * 2.0, axis=1)
    w = ops.concatenate([u, 1.0 - u], axis=-1)
    g = ops.reshape(ops.expand_dims(w, -1), (-1, 16))[:, :4]
    n = -g / 3.0
    z = ops.expand_dims(ops.sum(ops.einsum("bi,bj->bij", n, g), axis=[1, 2]), -1)
    q = ops.where(ops.cast(z, "float32") > 0, z, ops.zeros_like(z))
    merged = layers.Concatenate()([q, layers.Dense(2)(g), ops.clip(g, -0.5, 0.5), ops.softmax(g, axis=-1),
                                   ops.take(g, [0, 2], axis=1), g[..., 1:3], abs(g), ops.arccos(ops.tanh(g))])
    img = ops.image.resize(ops.reshape(layers.Dense(12)(u), (-1, 2, 2, 3)), (4, 4))
    model = K.Model(inp, [merged, ops.squeeze(ops.expand_dims(u, 1), axis=1), img])
    init(model)
    return model


def test_keras_ops_in_a_functional_graph_are_named_listed_and_saved_as_keras(tmp_path):
    """keras.ops on symbolic tensors (x + y, -x, x / 3, x[..., 1:3], ops.mean, einsum, where, take,
    ops.image.resize ...) are Keras operations: numbered names from their class shared with the layers' (a later
    layers.Concatenate() is concatenate_1, an output made by an op names the output), rows of the summary, and
    Keras's config, so the model saves in ember and loads in Keras and the other way round, with equal outputs."""
    x = np.random.default_rng(1).standard_normal((3, 6, 8)).astype("float32")
    out = {}
    for K, tag in ((keras, "k"), (ek, "e")):
        K.backend.clear_session()
        model = _ops_graph(K)
        lines = []
        model.summary(print_fn=lambda s, line_break=None: lines.append(s))
        ops_list = model._operations if K is keras else model._layer_order
        model.save(str(tmp_path / f"{tag}.keras"))
        config = model.get_config()["layers"]
        out[tag] = {"names": " ".join(op.name for op in ops_list), "outputs": " ".join(model.output_names),
                    "summary": "".join(lines), "pred": model.predict(x, verbose=0),
                    "config": _cfg([{k: layer[k] for k in ("module", "class_name", "config", "registered_name",
                                                           "inbound_nodes")}
                                    for layer in config if str(layer["module"]).startswith("keras.src.ops")])}
    _compare(out["e"], out["k"], "ops_graph")
    keras_reads_ember = keras.models.load_model(str(tmp_path / "e.keras")).predict(x, verbose=0)
    ember_reads_keras = ek.models.load_model(str(tmp_path / "k.keras")).predict(x, verbose=0)
    _compare(list(keras_reads_ember), list(out["k"]["pred"]), "keras_reads_ember")
    _compare(list(ember_reads_keras), list(out["k"]["pred"]), "ember_reads_keras")


def test_a_sequential_starting_with_a_built_model_is_built_as_keras():
    """Sequential([encoder, decoder]) of two Sequentials that start with an Input (Hands-On ML's stacked
    autoencoders) is built at once, as Keras: its input and output shapes, and the nested models' output shapes in
    the summary (ember printed '?')."""
    def run(K):
        layers = K.layers
        encoder = K.Sequential([K.Input((4, 4)), layers.Flatten(), layers.Dense(3)], name="enc")
        decoder = K.Sequential([K.Input((3,)), layers.Dense(16), layers.Reshape([4, 4])], name="dec")
        model = K.Sequential([encoder, decoder])
        lines = []
        model.summary(print_fn=lambda s, line_break=None: lines.append(s))
        return {"built": float(model.built), "shapes": str((model.input_shape, model.output_shape)),
                "summary": "".join(lines), "paths": " ".join(w.path for w in model.weights)}
    keras.backend.clear_session()
    expected = run(keras)
    ek.backend.clear_session()
    _compare(run(ek), expected, "nested_sequential")
