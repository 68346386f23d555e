"""SwapEMAWeights and RemoteMonitor against Keras 3: the same training gives the same weights and logs;
RemoteMonitor posts what Keras posts (checked on a local HTTP server)."""
import http.server
import json
import os
import threading
import urllib.parse

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402


def _train(K, callbacks, epochs=3):
    model = K.Sequential([K.Input((3,)), K.layers.Dense(4, activation="tanh"), K.layers.Dense(1)])
    rng = np.random.default_rng(0)
    model.set_weights([rng.standard_normal(tuple(w.shape)).astype(np.float32) * 0.5 for w in model.get_weights()])
    model.compile(optimizer=K.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.8), loss="mse")
    x = rng.standard_normal((12, 3)).astype(np.float32)
    y = rng.standard_normal((12, 1)).astype(np.float32)
    history = model.fit(x, y, batch_size=4, epochs=epochs, shuffle=False, verbose=0, validation_data=(x, y),
                        callbacks=callbacks(K))
    return model, history.history, model.predict(x[:3], verbose=0)


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_swap_ema_weights_matches_keras(swap_on_epoch):
    km, kh, kp = _train(keras, lambda K: [K.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)])
    em, eh, ep = _train(ek, lambda K: [K.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)])
    assert sorted(eh) == sorted(kh)
    for key in kh:
        np.testing.assert_allclose(eh[key], kh[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for e, k in zip(em.get_weights(), km.get_weights()):
        np.testing.assert_allclose(e, k, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ep, kp, rtol=1e-5, atol=1e-6)
    # Validation used the averaged weights: it differs from a run without the callback.
    _, plain, _ = _train(ek, lambda K: [])
    assert not np.allclose(plain["val_loss"], eh["val_loss"])


def test_swap_ema_weights_needs_use_ema():
    model = ek.Sequential([ek.Input((2,)), ek.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="use_ema=True"):
        model.fit(np.ones((2, 2)), np.ones((2, 1)), verbose=0, validation_data=(np.ones((2, 2)), np.ones((2, 1))),
                  callbacks=[ek.callbacks.SwapEMAWeights()])


class _Recorder(http.server.BaseHTTPRequestHandler):
    bodies = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).bodies.append((self.path, self.headers["Content-Type"], self.rfile.read(length).decode()))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("send_as_json", [False, True])
def test_remote_monitor_posts_epoch_logs(send_as_json):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _Recorder.bodies = []
        root = f"http://127.0.0.1:{server.server_port}"
        _, history, _ = _train(ek, lambda K: [K.callbacks.RemoteMonitor(root=root, path="/logs/",
                                                                         send_as_json=send_as_json)], epochs=2)
    finally:
        server.shutdown()
        server.server_close()
    assert [b[0] for b in _Recorder.bodies] == ["/logs/", "/logs/"]
    for epoch, (_, ctype, body) in enumerate(_Recorder.bodies):
        if send_as_json:
            assert ctype == "application/json"
            sent = json.loads(body)
        else:
            sent = json.loads(urllib.parse.parse_qs(body)["data"][0])
        assert sent["epoch"] == epoch
        assert sent["loss"] == pytest.approx(history["loss"][epoch])
        assert sent["val_loss"] == pytest.approx(history["val_loss"][epoch])


def test_remote_monitor_warns_when_the_server_is_unreachable():
    cb = ek.callbacks.RemoteMonitor(root="http://127.0.0.1:9")
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        cb.on_epoch_end(0, {"loss": 1.0})


def test_terminate_on_nan_raise_error_like_keras():
    """TerminateOnNaN(raise_error=True) raises Keras's RuntimeError at the first NaN loss, before on_train_end runs
    (ember had no raise_error argument); the default still stops gracefully."""
    x = np.ones((8, 2), "float32")
    x[5, 0] = np.nan
    got = []
    for K in (keras, ek):
        model = K.Sequential([K.Input((2,)), K.layers.Dense(1)])
        model.compile("sgd", "mse")
        ends = []
        with pytest.raises(RuntimeError) as err:
            model.fit(x, np.ones((8, 1), "float32"), batch_size=2, epochs=2, shuffle=False, verbose=0,
                      callbacks=[K.callbacks.TerminateOnNaN(raise_error=True),
                                 K.callbacks.LambdaCallback(on_train_end=lambda logs: ends.append(1))])
        graceful = model.fit(x, np.ones((8, 1), "float32"), batch_size=2, epochs=2, shuffle=False, verbose=0,
                             callbacks=[K.callbacks.TerminateOnNaN()])
        got.append((str(err.value).split(" Loss value")[0], ends, len(graceful.epoch)))
    assert got[1] == got[0] == ("NaN or Inf loss encountered at batch 2.", [], 1)
