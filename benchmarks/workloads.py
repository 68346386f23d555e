"""The benchmark workloads, written once against the PyTorch API and run with ``lib`` = ember or torch.

Each workload builds its model, draws random float32 data from a fixed seed and
returns a ``step()`` closure (forward + loss + backward + optimizer update, or a
no-grad forward for inference) plus the model, so the runner can give both
frameworks the same initial weights and compare their losses.
"""
import numpy as np


def _data(shape, classes, batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch,) + shape).astype(np.float32)
    y = rng.integers(0, classes, batch).astype(np.int64)
    return x, y


def mlp(lib):
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    x, y = _data((784,), 10, 64)
    return model, (x, y), lambda m: lib.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)


def _cnn_model(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 64), nn.ReLU(), nn.Linear(64, 10))


def cnn(lib):
    x, y = _data((1, 28, 28), 10, 64)
    return _cnn_model(lib), (x, y), lambda m: lib.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)


def inference(lib):
    x, y = _data((1, 28, 28), 10, 256)
    return _cnn_model(lib), (x, y), None


def lstm(lib):
    nn = lib.nn

    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(32, 128, batch_first=True)
            self.fc = nn.Linear(128, 10)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.fc(h[-1])
    x, y = _data((32, 32), 10, 64)
    return LSTMClassifier(), (x, y), lambda m: lib.optim.Adam(m.parameters(), lr=1e-3)


def transformer(lib):
    nn = lib.nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(d_model=128, nhead=4, dim_feedforward=256, dropout=0.0,
                                               batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False) \
                if lib.__name__ == "torch" else nn.TransformerEncoder(layer, num_layers=2)
            self.fc = nn.Linear(128, 10)

        def forward(self, x):
            return self.fc(self.encoder(x).mean(1))
    x, y = _data((64, 128), 10, 32)
    return Encoder(), (x, y), lambda m: lib.optim.Adam(m.parameters(), lr=1e-3)


WORKLOADS = {"mlp": mlp, "cnn": cnn, "lstm": lstm, "transformer": transformer, "inference": inference}


def make_step(lib, name, prepare=None):
    """Build workload ``name`` in ``lib`` and return ``(model, step)``.

    ``step()`` is one training step (zero_grad, forward, loss, backward, optimizer update)
    returning the loss, or for ``inference`` a no-grad forward returning the output's sum.
    ``prepare(model)`` runs before the optimizer is made (e.g. to load shared weights).
    """
    model, (x, y), make_opt = WORKLOADS[name](lib)
    if prepare is not None:
        prepare(model)
    X, Y = lib.from_numpy(x), lib.from_numpy(y)
    if make_opt is None:
        model.eval()

        def step():
            with lib.no_grad():
                return model(X).sum()
        return model, step
    loss_fn = lib.nn.CrossEntropyLoss()
    opt = make_opt(model)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
        return loss
    return model, step
