""""Dive into Deep Learning" chapters written from scratch, without the d2l package: softmax
regression, dropout (torch.rand(X.shape) > p), weight decay by hand, LeNet / NiN / a GoogLeNet
Inception block on tiny inputs, batch norm from scratch with torch.no_grad() moving averages,
an RNN from scratch on F.one_hot inputs with gradient clipping by hand, GRU and LSTM from
scratch, masked softmax with torch.repeat_interleave, additive and scaled dot-product attention
with torch.bmm, multi-head attention from scratch, sinusoidal positional encoding and a
Transformer encoder block."""
import argparse
import json
import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

PARAMS = {}


def param(name, *shape, scale=0.01, zeros=False):
    # d2l's torch.normal(0, sigma, size) / torch.zeros initialisation, registered for sharing.
    t = torch.zeros(shape) if zeros else torch.normal(0, scale, size=shape)
    t.requires_grad_(True)
    PARAMS[name] = t
    return t


def images(n, seed, size=12, classes=10):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, classes, n)
    X = rng.rand(n, 1, size, size).astype(np.float32) * 0.2
    for i, c in enumerate(y):
        X[i, 0, c % size, :] += 1.0
        X[i, 0, :, (2 * c + 1) % size] += 0.7
    return torch.from_numpy(X), torch.from_numpy(y)


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad / batch_size
            p.grad.zero_()


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def data_iter(X, y, batch_size):
    for i in range(0, len(X), batch_size):
        yield X[i:i + batch_size], y[i:i + batch_size]


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


def l2_penalty(w):
    return torch.sum(w.pow(2)) / 2


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1)
        return Y


def nin_block(out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.LazyConv2d(out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU())


class Inception(nn.Module):
    def __init__(self, c1, c2, c3, c4, **kwargs):
        super(Inception, self).__init__(**kwargs)
        self.b1_1 = nn.LazyConv2d(c1, kernel_size=1)
        self.b2_1 = nn.LazyConv2d(c2[0], kernel_size=1)
        self.b2_2 = nn.LazyConv2d(c2[1], kernel_size=3, padding=1)
        self.b3_1 = nn.LazyConv2d(c3[0], kernel_size=1)
        self.b3_2 = nn.LazyConv2d(c3[1], kernel_size=5, padding=2)
        self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = nn.LazyConv2d(c4, kernel_size=1)

    def forward(self, x):
        b1 = F.relu(self.b1_1(x))
        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return torch.cat((b1, b2, b3, b4), dim=1)


def init_cnn(module):
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)


def masked_softmax(X, valid_lens):
    def _sequence_mask(X, valid_len, value=0):
        maxlen = X.size(1)
        mask = torch.arange((maxlen), dtype=torch.float32, device=X.device)[None, :] < valid_len[:, None]
        X[~mask] = value
        return X

    if valid_lens is None:
        return nn.functional.softmax(X, dim=-1)
    else:
        shape = X.shape
        if valid_lens.dim() == 1:
            valid_lens = torch.repeat_interleave(valid_lens, shape[1])
        else:
            valid_lens = valid_lens.reshape(-1)
        X = _sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
        return nn.functional.softmax(X.reshape(shape), dim=-1)


class AdditiveAttention(nn.Module):
    def __init__(self, num_hiddens, dropout, **kwargs):
        super(AdditiveAttention, self).__init__(**kwargs)
        self.W_k = nn.LazyLinear(num_hiddens, bias=False)
        self.W_q = nn.LazyLinear(num_hiddens, bias=False)
        self.w_v = nn.LazyLinear(1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens):
        queries, keys = self.W_q(queries), self.W_k(keys)
        features = queries.unsqueeze(2) + keys.unsqueeze(1)
        features = torch.tanh(features)
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


class DotProductAttention(nn.Module):
    def __init__(self, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens=None):
        d = queries.shape[-1]
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


class MultiHeadAttention(nn.Module):
    def __init__(self, num_hiddens, num_heads, dropout, bias=False, **kwargs):
        super().__init__()
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_k = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_v = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_o = nn.LazyLinear(num_hiddens, bias=bias)

    def transpose_qkv(self, X):
        X = X.reshape(X.shape[0], X.shape[1], self.num_heads, -1)
        X = X.permute(0, 2, 1, 3)
        return X.reshape(-1, X.shape[2], X.shape[3])

    def transpose_output(self, X):
        X = X.reshape(-1, self.num_heads, X.shape[1], X.shape[2])
        X = X.permute(0, 2, 1, 3)
        return X.reshape(X.shape[0], X.shape[1], -1)

    def forward(self, queries, keys, values, valid_lens):
        queries = self.transpose_qkv(self.W_q(queries))
        keys = self.transpose_qkv(self.W_k(keys))
        values = self.transpose_qkv(self.W_v(values))
        if valid_lens is not None:
            valid_lens = torch.repeat_interleave(valid_lens, repeats=self.num_heads, dim=0)
        output = self.attention(queries, keys, values, valid_lens)
        return self.W_o(self.transpose_output(output))


class PositionalEncoding(nn.Module):
    def __init__(self, num_hiddens, dropout, max_len=1000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.P = torch.zeros((1, max_len, num_hiddens))
        X = torch.arange(max_len, dtype=torch.float32).reshape(-1, 1) / torch.pow(
            10000, torch.arange(0, num_hiddens, 2, dtype=torch.float32) / num_hiddens)
        self.P[:, :, 0::2] = torch.sin(X)
        self.P[:, :, 1::2] = torch.cos(X)

    def forward(self, X):
        X = X + self.P[:, :X.shape[1], :].to(X.device)
        return self.dropout(X)


class PositionWiseFFN(nn.Module):
    def __init__(self, ffn_num_hiddens, ffn_num_outputs):
        super().__init__()
        self.dense1 = nn.LazyLinear(ffn_num_hiddens)
        self.relu = nn.ReLU()
        self.dense2 = nn.LazyLinear(ffn_num_outputs)

    def forward(self, X):
        return self.dense2(self.relu(self.dense1(X)))


class AddNorm(nn.Module):
    def __init__(self, norm_shape, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.ln = nn.LayerNorm(norm_shape)

    def forward(self, X, Y):
        return self.ln(self.dropout(Y) + X)


class TransformerEncoderBlock(nn.Module):
    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias=False):
        super().__init__()
        self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout, use_bias)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm2 = AddNorm(num_hiddens, dropout)

    def forward(self, X, valid_lens):
        Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
        return self.addnorm2(Y, self.ffn(Y))


class TransformerEncoder(nn.Module):
    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout, use_bias=False):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.embedding = nn.Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential()
        for i in range(num_blks):
            self.blks.add_module("block" + str(i), TransformerEncoderBlock(
                num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias))
        self.head = nn.LazyLinear(vocab_size)

    def forward(self, X, valid_lens):
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        self.attention_weights = [None] * len(self.blks)
        for i, blk in enumerate(self.blks):
            X = blk(X, valid_lens)
            self.attention_weights[i] = blk.attention.attention.attention_weights
        return self.head(X)


def grad_clipping(params, theta):
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm
    return norm.item()


def rnn_params(kind, vocab_size, num_hiddens):
    def three(prefix):
        return (param(prefix + 'x', vocab_size, num_hiddens), param(prefix + 'h', num_hiddens, num_hiddens),
                param(prefix + 'b', num_hiddens, zeros=True))
    if kind == 'rnn':
        W_xh, W_hh, b_h = three('rnn_')
        gates = [W_xh, W_hh, b_h]
    elif kind == 'gru':
        gates = [*three('gru_z'), *three('gru_r'), *three('gru_h')]
    else:
        gates = [*three('lstm_i'), *three('lstm_f'), *three('lstm_o'), *three('lstm_c')]
    W_hq = param(kind + '_hq', num_hiddens, vocab_size)
    b_q = param(kind + '_q', vocab_size, zeros=True)
    return gates + [W_hq, b_q]


def rnn_step(kind, inputs, state, params):
    outputs = []
    if kind == 'rnn':
        W_xh, W_hh, b_h, W_hq, b_q = params
        H, = state
        for X in inputs:
            H = torch.tanh(torch.matmul(X, W_xh) + torch.matmul(H, W_hh) + b_h)
            outputs.append(torch.matmul(H, W_hq) + b_q)
        return torch.cat(outputs, dim=0), (H,)
    if kind == 'gru':
        W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
        H, = state
        for X in inputs:
            Z = torch.sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
            R = torch.sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
            H_tilde = torch.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
            H = Z * H + (1 - Z) * H_tilde
            outputs.append(H @ W_hq + b_q)
        return torch.cat(outputs, dim=0), (H,)
    W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq, b_q = params
    (H, C) = state
    for X in inputs:
        I = torch.sigmoid((X @ W_xi) + (H @ W_hi) + b_i)
        Fg = torch.sigmoid((X @ W_xf) + (H @ W_hf) + b_f)
        O = torch.sigmoid((X @ W_xo) + (H @ W_ho) + b_o)
        C_tilda = torch.tanh((X @ W_xc) + (H @ W_hc) + b_c)
        C = Fg * C + I * C_tilda
        H = O * torch.tanh(C)
        outputs.append((H @ W_hq) + b_q)
    return torch.cat(outputs, dim=0), (H, C)


def train_scratch_rnn(kind, corpus, vocab_size, num_steps, batch_size, epochs, lr, num_hiddens=32):
    params = rnn_params(kind, vocab_size, num_hiddens)
    losses, norms = [], []
    n = (len(corpus) - 1) // (batch_size * num_steps) * (batch_size * num_steps)
    Xs = torch.tensor(corpus[:n]).reshape(batch_size, -1)
    Ys = torch.tensor(corpus[1:n + 1]).reshape(batch_size, -1)
    for epoch in range(epochs):
        state = None
        for i in range(0, Xs.shape[1], num_steps):
            X, Y = Xs[:, i:i + num_steps], Ys[:, i:i + num_steps]
            if state is None:
                zeros = torch.zeros((batch_size, num_hiddens))
                state = (zeros,) if kind != 'lstm' else (zeros, zeros.clone())
            else:
                for s in state:
                    s.detach_()
            inputs = F.one_hot(X.T, vocab_size).type(torch.float32)
            y_hat, state = rnn_step(kind, inputs, state, params)
            y = Y.T.reshape(-1)
            loss = F.cross_entropy(y_hat, y.long()).mean()
            for p in params:
                p.grad = None
            loss.backward()
            norms.append(grad_clipping(params, 1))
            sgd(params, lr, 1)
            losses.append(loss.item())
    return losses, norms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--init-out', default=None)
    parser.add_argument('--init-in', default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    result = {}
    X, y = images(200, 0)
    Xt, yt = images(100, 1)

    # ---- softmax regression from scratch, and an MLP with weight decay
    W = param('W', 144, 10)
    b = param('b', 10, zeros=True)
    W1 = param('W1', 144, 32, scale=0.1)
    b1 = param('b1', 32, zeros=True)
    W2 = param('W2', 32, 10, scale=0.1)
    b2 = param('b2', 10, zeros=True)

    # ---- concise models (initialised lazily on a first batch)
    lenet = nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=3), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.LazyLinear(40), nn.Sigmoid(), nn.LazyLinear(10))
    nin = nn.Sequential(
        nin_block(8, kernel_size=3, strides=1, padding=1), nn.MaxPool2d(3, stride=2),
        nin_block(10, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
    googlenet = nn.Sequential(
        nn.LazyConv2d(8, kernel_size=3, padding=1), nn.ReLU(),
        Inception(4, (4, 8), (2, 4), 4), nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
        Inception(8, (6, 8), (2, 4), 4), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.LazyLinear(10))
    bn_net = nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5), BatchNorm(6, num_dims=4), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(), nn.LazyLinear(32), BatchNorm(32, num_dims=2),
        nn.Sigmoid(), nn.LazyLinear(10))
    nets = {'lenet': lenet, 'nin': nin, 'googlenet': googlenet, 'bn_net': bn_net}
    # Under no_grad the scratch BatchNorm uses (and keeps) its moving statistics.
    with torch.no_grad():
        for name, net in nets.items():
            net(X[:2])
            net.apply(init_cnn)
        result['shapes'] = {}
        for name, net in nets.items():
            shapes = []
            t = X[:2]
            for layer in net:
                t = layer(t)
                shapes.append([layer.__class__.__name__, list(t.shape)])
            result['shapes'][name] = shapes

    # ---- attention and the transformer encoder
    additive = AdditiveAttention(num_hiddens=8, dropout=0.0)
    queries = torch.normal(0, 1, (2, 1, 20))
    keys = torch.ones((2, 10, 2))
    values = torch.arange(40, dtype=torch.float32).reshape(1, 10, 4).repeat(2, 1, 1)
    valid_lens = torch.tensor([2, 6])
    additive(queries, keys, values, valid_lens)
    mha = MultiHeadAttention(16, 4, 0.0)
    mha(torch.ones((2, 4, 16)), torch.ones((2, 6, 16)), torch.ones((2, 6, 16)), valid_lens)
    corpus_text = ('the time machine by h g wells ' * 12).strip()
    vocab = sorted(set(corpus_text))
    corpus = [vocab.index(c) for c in corpus_text]
    encoder = TransformerEncoder(len(vocab), 16, 32, 4, 2, 0.0)
    encoder(torch.zeros((2, 10), dtype=torch.long), valid_lens)
    modules = dict(nets, additive=additive, mha=mha, encoder=encoder)

    torch.manual_seed(1)
    rnn_names = {}
    rnn_all = {}
    for kind in ('rnn', 'gru', 'lstm'):
        before = set(PARAMS)
        rnn_all[kind] = rnn_params(kind, len(vocab), 32)
        rnn_names[kind] = [k for k in PARAMS if k not in before]

    if args.init_out:
        arrays = {f'p.{k}': v.detach().numpy() for k, v in PARAMS.items()}
        arrays.update({f'{m}.{k}': v.numpy() for m, mod in modules.items() for k, v in mod.state_dict().items()})
        arrays['queries'] = queries.numpy()
        np.savez(args.init_out, **arrays)
    if args.init_in:
        with np.load(args.init_in) as f:
            with torch.no_grad():
                for k, v in PARAMS.items():
                    v.copy_(torch.from_numpy(f[f'p.{k}']))
            for m, mod in modules.items():
                mod.load_state_dict({k: torch.from_numpy(f[f'{m}.{k}']) for k in mod.state_dict()})
            queries = torch.from_numpy(f['queries'])

    # softmax regression
    losses, accs = [], []
    for epoch in range(3):
        for Xb, yb in data_iter(X, y, 25):
            y_hat = softmax(torch.matmul(Xb.reshape((-1, W.shape[0])), W) + b)
            l = cross_entropy(y_hat, yb)
            l.sum().backward()
            sgd([W, b], 0.5, Xb.shape[0])
            losses.append(l.mean().item())
        with torch.no_grad():
            accs.append(accuracy(softmax(Xt.reshape(-1, 144) @ W + b), yt) / len(yt))
    result['softmax'] = losses
    result['softmax_acc'] = accs

    # weight decay by hand on an MLP (no dropout), then the same MLP with dropout from scratch
    def mlp(Xb, dropout=0.0, training=True):
        H = torch.relu(Xb.reshape(-1, 144) @ W1 + b1)
        if training and dropout > 0:
            H = dropout_layer(H, dropout)
        return H @ W2 + b2

    loss = nn.CrossEntropyLoss(reduction='none')
    wd = []
    for epoch in range(3):
        for Xb, yb in data_iter(X, y, 25):
            l = loss(mlp(Xb), yb) + 0.01 * (l2_penalty(W1) + l2_penalty(W2))
            l.sum().backward()
            sgd([W1, b1, W2, b2], 0.3, Xb.shape[0])
            wd.append(l.mean().item())
    result['weight_decay'] = wd
    result['w1_norm'] = torch.norm(W1).item()
    mask_test = dropout_layer(torch.ones(1000), 0.5)
    result['dropout_kept'] = [mask_test.sum().item(), sorted(set(mask_test.tolist()))]
    drop = []
    for epoch in range(3):
        for Xb, yb in data_iter(X, y, 25):
            l = loss(mlp(Xb, 0.3), yb)
            l.sum().backward()
            sgd([W1, b1, W2, b2], 0.3, Xb.shape[0])
            drop.append(l.mean().item())
    result['dropout'] = drop

    # CNNs with SGD
    for name, net in nets.items():
        opt = torch.optim.SGD(net.parameters(), lr=0.9 if name == 'lenet' else 0.1)
        hist = []
        net.train()
        for epoch in range(2):
            for Xb, yb in data_iter(X, y, 50):
                l = F.cross_entropy(net(Xb), yb)
                opt.zero_grad()
                l.backward()
                opt.step()
                hist.append(l.item())
        net.eval()
        with torch.no_grad():
            hist.append(F.cross_entropy(net(Xt), yt).item())
        result[name] = hist
    result['bn_moving'] = [bn_net[1].moving_mean.reshape(-1)[:3].tolist(),
                           bn_net[6].moving_var.reshape(-1)[:3].tolist()]
    result['bn_gamma'] = bn_net[1].gamma.reshape(-1)[:3].tolist()

    # attention
    out = additive(queries, keys, values, valid_lens)
    result['additive'] = out.reshape(-1).tolist()
    result['additive_weights'] = additive.attention_weights.reshape(2, -1).tolist()
    result['masked_softmax'] = masked_softmax(
        torch.arange(16, dtype=torch.float32).reshape(2, 2, 4) / 8, torch.tensor([[1, 3], [2, 4]])).tolist()
    dot = DotProductAttention(0.0)
    result['dot'] = dot(keys[:, :3] + 0.1 * torch.arange(6.).reshape(1, 3, 2), keys, values, valid_lens).tolist()
    X_mha = torch.arange(2 * 4 * 16, dtype=torch.float32).reshape(2, 4, 16) / 100
    result['mha'] = mha(X_mha, X_mha, X_mha, valid_lens).sum(-1).tolist()
    pe = PositionalEncoding(16, 0)
    result['pe'] = pe.P[0, [0, 1, 7, 30], :6].tolist()
    # train the encoder on next-character prediction
    opt = torch.optim.Adam(encoder.parameters(), lr=0.005)
    enc = []
    data = torch.tensor(corpus[:len(corpus) // 11 * 11]).reshape(-1, 11)
    for step in range(12):
        batch = data[(step * 4) % len(data):(step * 4) % len(data) + 4]
        inp, tgt = batch[:, :-1], batch[:, 1:]
        lens = torch.full((inp.shape[0],), 10)
        logits = encoder(inp, lens)
        l = F.cross_entropy(logits.reshape(-1, len(vocab)), tgt.reshape(-1))
        opt.zero_grad()
        l.backward()
        opt.step()
        enc.append(l.item())
    result['encoder'] = enc
    result['encoder_attention_shape'] = list(encoder.attention_weights[0].shape)

    # RNN, GRU and LSTM from scratch
    for kind in ('rnn', 'gru', 'lstm'):
        params_before = [PARAMS[k] for k in rnn_names[kind]]
        global rnn_params_cache
        losses, norms = [], []
        n = (len(corpus) - 1) // (4 * 8) * (4 * 8)
        Xs = torch.tensor(corpus[:n]).reshape(4, -1)
        Ys = torch.tensor(corpus[1:n + 1]).reshape(4, -1)
        for epoch in range(2):
            state = None
            for i in range(0, Xs.shape[1], 8):
                Xb, Yb = Xs[:, i:i + 8], Ys[:, i:i + 8]
                if state is None:
                    zeros = torch.zeros((4, 32))
                    state = (zeros,) if kind != 'lstm' else (zeros, zeros.clone())
                else:
                    for s in state:
                        s.detach_()
                inputs = F.one_hot(Xb.T, len(vocab)).type(torch.float32)
                y_hat, state = rnn_step(kind, inputs, state, params_before)
                l = F.cross_entropy(y_hat, Yb.T.reshape(-1).long()).mean()
                for p in params_before:
                    p.grad = None
                l.backward()
                norms.append(grad_clipping(params_before, 1))
                sgd(params_before, 1.0, 1)
                losses.append(l.item())
        result[kind] = losses
        result[kind + '_norms'] = norms
    print('RESULT ' + json.dumps(result))


if __name__ == '__main__':
    main()
