""""Dive into Deep Learning"'s sequence chapters in the concise style (nn.RNN / nn.GRU / nn.LSTM), without
the d2l package: a character-level RNNModel over nn.RNN and nn.LSTM whose state is detached in place
between minibatches, with gradient clipping; an encoder-decoder GRU seq2seq for a toy
"translation" (reversing words) with sequence_mask and a MaskedSoftmaxCELoss subclassing
nn.CrossEntropyLoss, greedy prediction and BLEU; and BERT's masked-language-model gather with
torch.repeat_interleave."""
import argparse
import collections
import json
import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class RNNModel(nn.Module):
    def __init__(self, rnn_layer, vocab_size, **kwargs):
        super(RNNModel, self).__init__(**kwargs)
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.num_hiddens = self.rnn.hidden_size
        if not self.rnn.bidirectional:
            self.num_directions = 1
            self.linear = nn.Linear(self.num_hiddens, self.vocab_size)
        else:
            self.num_directions = 2
            self.linear = nn.Linear(self.num_hiddens * 2, self.vocab_size)

    def forward(self, inputs, state):
        X = F.one_hot(inputs.T.long(), self.vocab_size)
        X = X.to(torch.float32)
        Y, state = self.rnn(X, state)
        output = self.linear(Y.reshape((-1, Y.shape[-1])))
        return output, state

    def begin_state(self, device, batch_size=1):
        if not isinstance(self.rnn, nn.LSTM):
            return torch.zeros((self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens),
                               device=device)
        else:
            return (torch.zeros((self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens),
                                device=device),
                    torch.zeros((self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens),
                                device=device))


def grad_clipping(net, theta):
    if isinstance(net, nn.Module):
        params = [p for p in net.parameters() if p.requires_grad]
    else:
        params = net.params
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def predict_ch8(prefix, num_preds, net, vocab, idx_to_token, device):
    state = net.begin_state(batch_size=1, device=device)
    outputs = [vocab[prefix[0]]]
    get_input = lambda: torch.tensor([outputs[-1]], device=device).reshape((1, 1))
    for y in prefix[1:]:
        _, state = net(get_input(), state)
        outputs.append(vocab[y])
    for _ in range(num_preds):
        y, state = net(get_input(), state)
        outputs.append(int(y.argmax(dim=1).reshape(1)))
    return ''.join([idx_to_token[i] for i in outputs])


def train_epoch_ch8(net, corpus, batch_size, num_steps, updater, device):
    state = None
    losses = []
    loss = nn.CrossEntropyLoss()
    n = (len(corpus) - 1) // (batch_size * num_steps) * (batch_size * num_steps)
    Xs = torch.tensor(corpus[:n]).reshape(batch_size, -1)
    Ys = torch.tensor(corpus[1:n + 1]).reshape(batch_size, -1)
    for i in range(0, Xs.shape[1], num_steps):
        X, Y = Xs[:, i:i + num_steps], Ys[:, i:i + num_steps]
        if state is None:
            state = net.begin_state(batch_size=X.shape[0], device=device)
        else:
            if isinstance(net, nn.Module) and not isinstance(state, tuple):
                state.detach_()
            else:
                for s in state:
                    s.detach_()
        y = Y.T.reshape(-1)
        X, y = X.to(device), y.to(device)
        y_hat, state = net(X, state)
        l = loss(y_hat, y.long()).mean()
        updater.zero_grad()
        l.backward()
        grad_clipping(net, 1)
        updater.step()
        losses.append(l.item())
    return losses


class Seq2SeqEncoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0, **kwargs):
        super(Seq2SeqEncoder, self).__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)

    def forward(self, X, *args):
        X = self.embedding(X)
        X = X.permute(1, 0, 2)
        output, state = self.rnn(X)
        return output, state


class Seq2SeqDecoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0, **kwargs):
        super(Seq2SeqDecoder, self).__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs, *args):
        return enc_outputs[1]

    def forward(self, X, state):
        X = self.embedding(X).permute(1, 0, 2)
        context = state[-1].repeat(X.shape[0], 1, 1)
        X_and_context = torch.cat((X, context), 2)
        output, state = self.rnn(X_and_context, state)
        output = self.dense(output).permute(1, 0, 2)
        return output, state


class EncoderDecoder(nn.Module):
    def __init__(self, encoder, decoder, **kwargs):
        super(EncoderDecoder, self).__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, enc_X, dec_X, *args):
        enc_outputs = self.encoder(enc_X, *args)
        dec_state = self.decoder.init_state(enc_outputs, *args)
        return self.decoder(dec_X, dec_state)


def sequence_mask(X, valid_len, value=0):
    maxlen = X.size(1)
    mask = torch.arange((maxlen), dtype=torch.float32, device=X.device)[None, :] < valid_len[:, None]
    X[~mask] = value
    return X


class MaskedSoftmaxCELoss(nn.CrossEntropyLoss):
    def forward(self, pred, label, valid_len):
        weights = torch.ones_like(label)
        weights = sequence_mask(weights, valid_len)
        self.reduction = 'none'
        unweighted_loss = super(MaskedSoftmaxCELoss, self).forward(pred.permute(0, 2, 1), label)
        weighted_loss = (unweighted_loss * weights).mean(dim=1)
        return weighted_loss


def xavier_init_weights(m):
    if type(m) == nn.Linear:
        nn.init.xavier_uniform_(m.weight)
    if type(m) == nn.GRU:
        for param in m._flat_weights_names:
            if "weight" in param:
                nn.init.xavier_uniform_(m._parameters[param])


def bleu(pred_seq, label_seq, k):
    pred_tokens, label_tokens = pred_seq.split(' '), label_seq.split(' ')
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    score = math.exp(min(0, 1 - len_label / len_pred))
    for n in range(1, k + 1):
        num_matches, label_subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            label_subs[' '.join(label_tokens[i: i + n])] += 1
        for i in range(len_pred - n + 1):
            if label_subs[' '.join(pred_tokens[i: i + n])] > 0:
                num_matches += 1
                label_subs[' '.join(pred_tokens[i: i + n])] -= 1
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score


def truncate_pad(line, num_steps, padding_token):
    if len(line) > num_steps:
        return line[:num_steps]
    return line + [padding_token] * (num_steps - len(line))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--init-out', default=None)
    parser.add_argument('--init-in', default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    device = torch.device('cpu')
    result = {}
    text = 'the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us '
    idx_to_token = sorted(set(text))
    vocab = {t: i for i, t in enumerate(idx_to_token)}
    corpus = [vocab[c] for c in text * 4]
    V = len(vocab)
    nets = {'rnn': RNNModel(nn.RNN(V, 32), V), 'lstm': RNNModel(nn.LSTM(V, 32), V),
            'birnn': RNNModel(nn.GRU(V, 16, bidirectional=True), V)}

    # toy translation: source words -> reversed words, with <pad>=0, <bos>=1, <eos>=2
    words = ['go', 'hi', 'run', 'wow', 'fire', 'help', 'jump', 'stop', 'wait', 'hello', 'i try', 'he ran']
    chars = sorted(set(''.join(words)))
    tok = {c: i + 3 for i, c in enumerate(chars)}
    inv = {i: c for c, i in tok.items()}
    num_steps = 8
    src = torch.tensor([truncate_pad([tok[c] for c in w] + [2], num_steps, 0) for w in words])
    tgt = torch.tensor([truncate_pad([tok[c] for c in w[::-1]] + [2], num_steps, 0) for w in words])
    src_valid = (src != 0).type(torch.int32).sum(1)
    tgt_valid = (tgt != 0).type(torch.int32).sum(1)
    Vt = len(chars) + 3
    encoder = Seq2SeqEncoder(Vt, 16, 32, 2)
    decoder = Seq2SeqDecoder(Vt, 16, 32, 2)
    s2s = EncoderDecoder(encoder, decoder)
    s2s.apply(xavier_init_weights)
    modules = dict(nets, s2s=s2s)
    if args.init_out:
        np.savez(args.init_out, **{f'{m}.{k}': v.numpy() for m, mod in modules.items()
                                   for k, v in mod.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            for m, mod in modules.items():
                mod.load_state_dict({k: torch.from_numpy(f[f'{m}.{k}']) for k in mod.state_dict()})

    for name, net in nets.items():
        updater = torch.optim.SGD(net.parameters(), 1)
        hist = []
        for epoch in range(3):
            hist += train_epoch_ch8(net, corpus, 4, 10, updater, device)
        result[name] = hist
        result[name + '_pred'] = len(predict_ch8('time ', 10, net, vocab, idx_to_token, device))
        result[name + '_ppl'] = math.exp(hist[-1])

    result['mask'] = sequence_mask(torch.ones(2, 3, 4), torch.tensor([1, 2]), value=-1).sum(axis=(1, 2)).tolist()
    loss = MaskedSoftmaxCELoss()
    result['masked_ce'] = loss(torch.ones(3, 4, 10), torch.ones((3, 4), dtype=torch.long),
                               torch.tensor([4, 2, 0])).tolist()
    optimizer = torch.optim.Adam(s2s.parameters(), lr=0.01)
    s2s.train()
    hist = []
    for epoch in range(15):
        optimizer.zero_grad()
        bos = torch.tensor([1] * tgt.shape[0], device=device).reshape(-1, 1)
        dec_input = torch.cat([bos, tgt[:, :-1]], 1)
        Y_hat, _ = s2s(src, dec_input, src_valid)
        l = loss(Y_hat, tgt, tgt_valid)
        l.sum().backward()
        grad_clipping(s2s, 1)
        num_tokens = tgt_valid.sum()
        optimizer.step()
        hist.append((l.sum() / num_tokens).item())
    result['s2s'] = hist
    s2s.eval()
    preds = []
    for w in words[:4]:
        enc_X = torch.unsqueeze(torch.tensor(truncate_pad([tok[c] for c in w] + [2], num_steps, 0),
                                             dtype=torch.long, device=device), dim=0)
        enc_outputs = s2s.encoder(enc_X, torch.tensor([len(w) + 1]))
        dec_state = s2s.decoder.init_state(enc_outputs)
        dec_X = torch.unsqueeze(torch.tensor([1], dtype=torch.long, device=device), dim=0)
        out = []
        for _ in range(num_steps):
            Y, dec_state = s2s.decoder(dec_X, dec_state)
            dec_X = Y.argmax(dim=2)
            pred = dec_X.squeeze(dim=0).type(torch.int32).item()
            if pred == 2:
                break
            out.append(pred)
        preds.append(' '.join(inv.get(i, '?') for i in out))
    result['preds'] = preds
    result['bleu'] = [bleu(p, ' '.join(w[::-1]), k=1) if p else 0.0 for p, w in zip(preds, words)]

    # BERT's masked-LM gather
    X = torch.arange(2 * 8 * 6, dtype=torch.float32).reshape(2, 8, 6)
    pred_positions = torch.tensor([[1, 5, 2], [6, 1, 5]])
    num_pred_positions = pred_positions.shape[1]
    pred_positions = pred_positions.reshape(-1)
    batch_size = X.shape[0]
    batch_idx = torch.arange(0, batch_size)
    batch_idx = torch.repeat_interleave(batch_idx, num_pred_positions)
    masked_X = X[batch_idx, pred_positions]
    masked_X = masked_X.reshape((batch_size, num_pred_positions, -1))
    result['mlm_gather'] = masked_X[:, :, 0].tolist()
    print('RESULT ' + json.dumps(result))


if __name__ == '__main__':
    main()
