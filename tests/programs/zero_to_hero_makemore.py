"""Karpathy's "Neural Networks: Zero to Hero" makemore notebooks 1-3 as one script: a bigram count
table N[27, 27] normalised by broadcasting and sampled with torch.multinomial on a seeded
Generator, the same bigram as a one-hot neural net trained by hand, then the MLP of part 2/3 with
an embedding table C[ix], kaiming init by hand, a hand-written BatchNorm1d with running stats,
torch.randint minibatches, manual SGD (p.data += -lr * p.grad), .retain_grad() on intermediates
and activation statistics in place of plots."""
import argparse
import json

import numpy as np
import torch
import torch.nn.functional as F


def build_dataset(words, stoi, block_size):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + '.':
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    return X, Y


class Linear:
    def __init__(self, fan_in, fan_out, generator, bias=True):
        self.weight = torch.randn((fan_in, fan_out), generator=generator) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps = eps
        self.momentum = momentum
        self.training = True
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        if self.training:
            xmean = x.mean(0, keepdim=True)
            xvar = x.var(0, keepdim=True)
        else:
            xmean = self.running_mean
            xvar = self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
        self.out = self.gamma * xhat + self.beta
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--names', required=True)
    parser.add_argument('--steps', type=int, default=60)
    parser.add_argument('--init-out', default=None)
    parser.add_argument('--init-in', default=None)
    args = parser.parse_args()
    result = {}

    words = open(args.names, 'r').read().splitlines()
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    itos = {i: s for s, i in stoi.items()}
    V = len(stoi)

    # --- part 1: counts
    N = torch.zeros((V, V), dtype=torch.int32)
    for w in words:
        chs = ['.'] + list(w) + ['.']
        for ch1, ch2 in zip(chs, chs[1:]):
            N[stoi[ch1], stoi[ch2]] += 1
    result['N_sum'] = N.sum().item()
    result['N_row0'] = N[0].tolist()
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    result['P_rows_sum_to_one'] = bool(torch.allclose(P.sum(1), torch.ones(V)))
    g = torch.Generator().manual_seed(2147483647)
    samples = []
    for i in range(5):
        out = []
        ix = 0
        while True:
            p = P[ix]
            ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            out.append(itos[ix])
            if ix == 0 or len(out) > 30:
                break
        samples.append(''.join(out))
    result['n_samples'] = len(samples)
    log_likelihood = 0.0
    n = 0
    for w in words:
        chs = ['.'] + list(w) + ['.']
        for ch1, ch2 in zip(chs, chs[1:]):
            logprob = torch.log(P[stoi[ch1], stoi[ch2]])
            log_likelihood += logprob
            n += 1
    nll = -log_likelihood
    result['bigram_nll'] = (nll / n).item()

    # --- part 1: the bigram as a neural net
    xs, ys = [], []
    for w in words:
        chs = ['.'] + list(w) + ['.']
        for ch1, ch2 in zip(chs, chs[1:]):
            xs.append(stoi[ch1])
            ys.append(stoi[ch2])
    xs = torch.tensor(xs)
    ys = torch.tensor(ys)
    num = xs.nelement()
    g = torch.Generator().manual_seed(2147483647)
    W = torch.randn((V, V), generator=g, requires_grad=True)
    if args.init_out or args.init_in:
        shared = {'W': W}
    net_losses = []
    init = {}
    if args.init_in:
        init = dict(np.load(args.init_in))
        with torch.no_grad():
            W.copy_(torch.from_numpy(init['W']))
    else:
        init['W'] = W.detach().numpy().copy()
    for k in range(20):
        xenc = F.one_hot(xs, num_classes=V).float()
        logits = xenc @ W
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
        net_losses.append(loss.item())
        W.grad = None
        loss.backward()
        W.data += -50 * W.grad
    result['net_losses'] = net_losses

    # --- part 2/3: MLP with a hand-written BatchNorm
    block_size = 3
    n_embd, n_hidden = 10, 64
    import random
    random.seed(42)
    random.shuffle(words)
    n1 = int(0.8 * len(words))
    Xtr, Ytr = build_dataset(words[:n1], stoi, block_size)
    Xdev, Ydev = build_dataset(words[n1:], stoi, block_size)
    result['shapes'] = [list(Xtr.shape), list(Ytr.shape), list(Xdev.shape)]

    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((V, n_embd), generator=g)
    layers = [
        Linear(n_embd * block_size, n_hidden, g, bias=False), BatchNorm1d(n_hidden), Tanh(),
        Linear(n_hidden, n_hidden, g, bias=False), BatchNorm1d(n_hidden), Tanh(),
        Linear(n_hidden, V, g, bias=False), BatchNorm1d(V),
    ]
    with torch.no_grad():
        layers[-1].gamma *= 0.1
        for layer in layers[:-1]:
            if isinstance(layer, Linear):
                layer.weight *= 5 / 3
    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    if args.init_in:
        for i, p in enumerate(parameters):
            p.data = torch.from_numpy(init[f'p{i}'])
    else:
        for i, p in enumerate(parameters):
            init[f'p{i}'] = p.numpy().copy()
    result['n_params'] = sum(p.nelement() for p in parameters)
    for p in parameters:
        p.requires_grad = True

    # Minibatches from the shared file when given (torch's randint stream is torch's own).
    batch_size = 32
    if args.init_in:
        batches = torch.from_numpy(init['batches'])
    else:
        batches = torch.randint(0, Xtr.shape[0], (args.steps, batch_size), generator=g)
        init['batches'] = batches.numpy()
    if args.init_out:
        np.savez(args.init_out, **init)
    lossi, ud = [], []
    for i in range(args.steps):
        ix = batches[i]
        Xb, Yb = Xtr[ix], Ytr[ix]
        emb = C[Xb]
        x = emb.view(emb.shape[0], -1)
        for layer in layers:
            x = layer(x)
        loss = F.cross_entropy(x, Yb)
        for layer in layers:
            layer.out.retain_grad()
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < args.steps // 2 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
        with torch.no_grad():
            ud.append([((lr * p.grad).std() / p.data.std()).log10().item() for p in parameters if p.ndim == 2])
    result['lossi'] = lossi
    result['ud_last'] = ud[-1]
    stats = []
    for layer in layers[:-1]:
        if isinstance(layer, Tanh):
            t = layer.out
            stats.append([t.mean().item(), t.std().item(), (t.abs() > 0.97).float().mean().item() * 100,
                          layer.out.grad.mean().item(), layer.out.grad.std().item()])
    result['tanh_stats'] = stats
    wstats = []
    for p in parameters:
        if p.ndim == 2:
            wstats.append([p.grad.mean().item(), p.grad.std().item(), (p.grad.std() / p.std()).item()])
    result['grad_stats'] = wstats

    @torch.no_grad()
    def split_loss(x, y):
        emb = C[x]
        x = emb.view(emb.shape[0], -1)
        for layer in layers:
            x = layer(x)
        return F.cross_entropy(x, y).item()

    for layer in layers:
        layer.training = False
    result['dev_loss'] = split_loss(Xdev, Ydev)
    result['running_mean'] = layers[1].running_mean[0, :4].tolist()
    result['running_var'] = layers[1].running_var[0, :4].tolist()

    g = torch.Generator().manual_seed(2147483647 + 10)
    lengths = []
    for _ in range(5):
        out = []
        context = [0] * block_size
        while True:
            emb = C[torch.tensor([context])]
            x = emb.view(emb.shape[0], -1)
            for layer in layers:
                x = layer(x)
            probs = F.softmax(x, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0 or len(out) > 30:
                break
        lengths.append(len(out))
    result['sample_lengths_ok'] = all(1 <= n <= 31 for n in lengths)
    print('RESULT ' + json.dumps(result))


if __name__ == '__main__':
    main()
