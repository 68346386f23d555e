"""The benchmark workloads, written once against the PyTorch API and run with ``lib`` = ember or torch.

Besides the library layers (mlp, cnn, lstm, transformer, inference) they hold what users write
by hand: an LSTM cell loop, a nanoGPT-style attention block, a small character-level GPT with
AdamW, makemore's embedding + MLP language model and PyTorch's word-level LSTM language model.

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


def _tokens(vocab, batch, length, seed=0):
    """Token ids ``x`` of shape (batch, length) and next-token targets ``y`` (flattened)."""
    rng = np.random.default_rng(seed)
    seq = rng.integers(0, vocab, (batch, length + 1)).astype(np.int64)
    return seq[:, :-1].copy(), seq[:, 1:].reshape(-1).copy()


def lstm_loop(lib):
    """An LSTM written by hand: one input projection for all steps, then a Python loop over
    ``xp[:, t]`` with the gates from one product per step (as in tutorials and papers' code)."""
    nn = lib.nn

    class LSTMLoop(nn.Module):
        def __init__(self, inputs=32, hidden=128, classes=10):
            super().__init__()
            self.hidden = hidden
            self.inp = nn.Linear(inputs, 4 * hidden)
            self.rec = nn.Linear(hidden, 4 * hidden, bias=False)
            self.fc = nn.Linear(hidden, classes)

        def forward(self, x):
            xp = self.inp(x)
            h = lib.zeros(x.shape[0], self.hidden)
            c = lib.zeros(x.shape[0], self.hidden)
            for t in range(x.shape[1]):
                i, f, g, o = (xp[:, t] + self.rec(h)).chunk(4, 1)
                c = lib.sigmoid(f) * c + lib.sigmoid(i) * lib.tanh(g)
                h = lib.sigmoid(o) * lib.tanh(c)
            return self.fc(h)
    x, y = _data((32, 32), 10, 64)
    return LSTMLoop(), (x, y), lambda m: lib.optim.Adam(m.parameters(), lr=1e-3)


def _block_classes(lib):
    """A hand-written pre-norm causal self-attention block (as in nanoGPT), shared by ``attention`` and ``gpt``."""
    nn, F = lib.nn, lib.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self, d, heads, context):
            super().__init__()
            self.heads = heads
            self.c_attn = nn.Linear(d, 3 * d)
            self.c_proj = nn.Linear(d, d)
            self.register_buffer("mask", lib.tril(lib.ones(context, context)).view(1, 1, context, context))

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.c_attn(x).split(C, dim=2)
            q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
            k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
            v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / (k.shape[-1] ** 0.5))
            att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class Block(nn.Module):
        def __init__(self, d, heads, context):
            super().__init__()
            self.ln_1 = nn.LayerNorm(d)
            self.attn = CausalSelfAttention(d, heads, context)
            self.ln_2 = nn.LayerNorm(d)
            self.fc = nn.Linear(d, 4 * d)
            self.proj = nn.Linear(4 * d, d)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.proj(F.gelu(self.fc(self.ln_2(x))))
    return Block


def attention(lib):
    """One hand-written attention block (d 128, 4 heads, 64 positions) with a classifier head."""
    nn = lib.nn
    Block = _block_classes(lib)

    class AttentionClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block(128, 4, 64)
            self.head = nn.Linear(128, 10)

        def forward(self, x):
            return self.head(self.block(x).mean(1))
    x, y = _data((64, 128), 10, 32)
    return AttentionClassifier(), (x, y), lambda m: lib.optim.Adam(m.parameters(), lr=1e-3)


def gpt(lib):
    """A small character-level GPT: 65 symbols, 4 layers, d 128, 4 heads, context 64, AdamW."""
    nn = lib.nn
    Block = _block_classes(lib)
    vocab, d, context = 65, 128, 64

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(vocab, d)
            self.wpe = nn.Embedding(context, d)
            self.blocks = nn.ModuleList([Block(d, 4, context) for _ in range(4)])
            self.ln_f = nn.LayerNorm(d)
            self.lm_head = nn.Linear(d, vocab, bias=False)

        def forward(self, idx):
            x = self.wte(idx) + self.wpe(lib.arange(idx.shape[1]))
            for block in self.blocks:
                x = block(x)
            return self.lm_head(self.ln_f(x)).view(-1, vocab)
    x, y = _tokens(vocab, 16, context)
    return GPT(), (x, y), lambda m: lib.optim.AdamW(m.parameters(), lr=3e-4, weight_decay=0.1)


def mlp_lm(lib):
    """makemore's MLP language model: embed the previous 8 characters, tanh hidden layer, next character."""
    nn = lib.nn
    vocab, context = 27, 8

    class MLPLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, 24)
            self.hidden = nn.Linear(context * 24, 256)
            self.out = nn.Linear(256, vocab)

        def forward(self, idx):
            e = self.emb(idx).view(idx.shape[0], -1)
            return self.out(lib.tanh(self.hidden(e)))
    rng = np.random.default_rng(0)
    x = rng.integers(0, vocab, (128, context)).astype(np.int64)
    y = rng.integers(0, vocab, 128).astype(np.int64)
    return MLPLM(), (x, y), lambda m: lib.optim.SGD(m.parameters(), lr=0.1)


def word_lstm(lib):
    """PyTorch's word_language_model example: 10,000 words, 2-layer LSTM of 200, bptt 35, batch 20."""
    nn = lib.nn
    vocab = 10000

    class RNNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Embedding(vocab, 200)
            self.rnn = nn.LSTM(200, 200, 2, batch_first=True)
            self.decoder = nn.Linear(200, vocab)

        def forward(self, idx):
            out, _ = self.rnn(self.encoder(idx))
            return self.decoder(out).view(-1, vocab)
    x, y = _tokens(vocab, 20, 35)
    return RNNModel(), (x, y), lambda m: lib.optim.SGD(m.parameters(), lr=20.0)


CLIP = {"word_lstm": 0.25}


WORKLOADS = {"mlp": mlp, "cnn": cnn, "lstm": lstm, "transformer": transformer, "inference": inference,
             "lstm_loop": lstm_loop, "attention": attention, "gpt": gpt, "mlp_lm": mlp_lm, "word_lstm": word_lstm}


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
    clip = CLIP.get(name)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        if clip:
            lib.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        return loss
    return model, step
