"""yunjey/pytorch-tutorial's basics and intermediate scripts in one program: autograd basics,
loading data from NumPy, linear and logistic regression, a feedforward net, a CNN with
BatchNorm2d, a (bidirectional) RNN classifier over image rows, and an LSTM language model whose
hidden states are detached between batches, with clip_grad_norm_ and a state_dict save/load."""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn


def make_digits(n, seed):
    # Small 1x14x14 "digit" images: a class-dependent bar pattern plus noise, made with NumPy.
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 10, n)
    images = rng.rand(n, 1, 14, 14).astype(np.float32) * 0.3
    for i, c in enumerate(labels):
        images[i, 0, c, :] += 1.0
        images[i, 0, :, (c * 3) % 14] += 0.5
    return torch.from_numpy(images), torch.from_numpy(labels)


class NeuralNet(nn.Module):
    def __init__(self, input_size, hidden_size, num_classes):
        super(NeuralNet, self).__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        out = self.fc1(x)
        out = self.relu(out)
        out = self.fc2(out)
        return out


class ConvNet(nn.Module):
    def __init__(self, num_classes=10):
        super(ConvNet, self).__init__()
        self.layer1 = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=5, stride=1, padding=2),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2))
        self.layer2 = nn.Sequential(
            nn.Conv2d(8, 16, kernel_size=5, stride=1, padding=2),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2))
        self.fc = nn.Linear(3 * 3 * 16, num_classes)

    def forward(self, x):
        out = self.layer1(x)
        out = self.layer2(out)
        out = out.reshape(out.size(0), -1)
        out = self.fc(out)
        return out


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers, num_classes, bidirectional=False):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.num_directions = 2 if bidirectional else 1
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True, bidirectional=bidirectional)
        self.fc = nn.Linear(hidden_size * self.num_directions, num_classes)

    def forward(self, x):
        h0 = torch.zeros(self.num_layers * self.num_directions, x.size(0), self.hidden_size)
        c0 = torch.zeros(self.num_layers * self.num_directions, x.size(0), self.hidden_size)
        out, _ = self.lstm(x, (h0, c0))
        out = self.fc(out[:, -1, :])
        return out


class RNNLM(nn.Module):
    def __init__(self, vocab_size, embed_size, hidden_size, num_layers):
        super(RNNLM, self).__init__()
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True)
        self.linear = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, h):
        x = self.embed(x)
        out, (h, c) = self.lstm(x, h)
        out = out.reshape(out.size(0) * out.size(1), out.size(2))
        out = self.linear(out)
        return out, (h, c)


class Dictionary(object):
    def __init__(self):
        self.word2idx = {}
        self.idx2word = {}
        self.idx = 0

    def add_word(self, word):
        if word not in self.word2idx:
            self.word2idx[word] = self.idx
            self.idx2word[self.idx] = word
            self.idx += 1

    def __len__(self):
        return len(self.word2idx)


class Corpus(object):
    def __init__(self):
        self.dictionary = Dictionary()

    def get_data(self, path, batch_size=20):
        with open(path, 'r') as f:
            tokens = 0
            for line in f:
                words = line.split() + ['<eos>']
                tokens += len(words)
                for word in words:
                    self.dictionary.add_word(word)
        ids = torch.LongTensor(tokens)
        token = 0
        with open(path, 'r') as f:
            for line in f:
                words = line.split() + ['<eos>']
                for word in words:
                    ids[token] = self.dictionary.word2idx[word]
                    token += 1
        num_batches = ids.size(0) // batch_size
        ids = ids[:num_batches * batch_size]
        return ids.view(batch_size, -1)


def train_classifier(model, images, labels, batch_size, epochs, lr, reshape=None, optimizer='adam'):
    criterion = nn.CrossEntropyLoss()
    if optimizer == 'adam':
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    dataset = torch.utils.data.TensorDataset(images, labels)
    loader = torch.utils.data.DataLoader(dataset=dataset, batch_size=batch_size, shuffle=False)
    losses = []
    for epoch in range(epochs):
        for i, (x, y) in enumerate(loader):
            if reshape is not None:
                x = x.reshape(*reshape)
            outputs = model(x)
            loss = criterion(outputs, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


def accuracy(model, images, labels, reshape=None):
    model.eval()
    with torch.no_grad():
        x = images if reshape is None else images.reshape(*reshape)
        outputs = model(x)
        _, predicted = torch.max(outputs.data, 1)
        total = labels.size(0)
        correct = (predicted == labels).sum().item()
    model.train()
    return 100 * correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--text', required=True)
    parser.add_argument('--init-out', default=None)
    parser.add_argument('--init-in', default=None)
    args = parser.parse_args()
    result = {}

    # ---- basics: autograd
    x = torch.tensor(1., requires_grad=True)
    w = torch.tensor(2., requires_grad=True)
    b = torch.tensor(3., requires_grad=True)
    y = w * x + b
    y.backward()
    result['basic_grads'] = [x.grad.item(), w.grad.item(), b.grad.item()]
    torch.manual_seed(0)
    x = torch.randn(10, 3)
    y = torch.randn(10, 2)
    linear = nn.Linear(3, 2)
    models = {'linear0': linear}
    # ---- loading data from numpy
    a = np.array([[1, 2], [3, 4]])
    t = torch.from_numpy(a)
    result['from_numpy'] = [t.dtype == torch.int64, t.numpy().tolist()]

    images, labels = make_digits(240, 0)
    test_images, test_labels = make_digits(100, 1)
    models['ffn'] = NeuralNet(14 * 14, 64, 10)
    models['cnn'] = ConvNet(10)
    models['rnn'] = RNN(14, 32, 2, 10)
    models['birnn'] = RNN(14, 32, 1, 10, bidirectional=True)
    models['linreg'] = nn.Linear(1, 1)
    models['logreg'] = nn.Linear(14 * 14, 10)
    corpus = Corpus()
    ids = corpus.get_data(os.path.join(args.text, 'train.txt'), 4)
    vocab_size = len(corpus.dictionary)
    models['lm'] = RNNLM(vocab_size, 16, 32, 1)
    if args.init_out:
        np.savez(args.init_out, **{f'{m}.{k}': v.numpy() for m, model in models.items()
                                   for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            for m, model in models.items():
                model.load_state_dict({k: torch.from_numpy(f[f'{m}.{k}']) for k in model.state_dict()})

    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(linear.parameters(), lr=0.01)
    pred = linear(x)
    loss = criterion(pred, y)
    loss.backward()
    result['basic_dL_dw'] = linear.weight.grad.tolist()
    optimizer.step()
    result['basic_after_step'] = criterion(linear(x), y).item()

    # ---- linear regression
    x_train = np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168], [9.779], [6.182], [7.59], [2.167],
                        [7.042], [10.791], [5.313], [7.997], [3.1]], dtype=np.float32)
    y_train = np.array([[1.7], [2.76], [2.09], [3.19], [1.694], [1.573], [3.366], [2.596], [2.53], [1.221],
                        [2.827], [3.465], [1.65], [2.904], [1.3]], dtype=np.float32)
    model = models['linreg']
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001)
    linreg = []
    for epoch in range(60):
        inputs = torch.from_numpy(x_train)
        targets = torch.from_numpy(y_train)
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        linreg.append(loss.item())
    result['linreg'] = linreg
    result['linreg_pred'] = model(torch.from_numpy(x_train)).detach().numpy()[:3, 0].tolist()

    # ---- logistic regression, feedforward, CNN, RNNs
    result['logreg'] = train_classifier(models['logreg'], images, labels, 40, 2, 0.5, reshape=(-1, 14 * 14),
                                        optimizer='sgd')
    result['ffn'] = train_classifier(models['ffn'], images, labels, 40, 2, 0.01, reshape=(-1, 14 * 14))
    result['ffn_acc'] = accuracy(models['ffn'], test_images, test_labels, reshape=(-1, 14 * 14))
    result['cnn'] = train_classifier(models['cnn'], images, labels, 40, 2, 0.01)
    result['cnn_acc'] = accuracy(models['cnn'], test_images, test_labels)
    result['rnn'] = train_classifier(models['rnn'], images, labels, 40, 2, 0.01, reshape=(-1, 14, 14))
    result['birnn'] = train_classifier(models['birnn'], images, labels, 40, 2, 0.01, reshape=(-1, 14, 14))
    result['birnn_acc'] = accuracy(models['birnn'], test_images, test_labels, reshape=(-1, 14, 14))

    # ---- language model with truncated backprop
    model = models['lm']
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)

    def detach(states):
        return [state.detach() for state in states]

    seq_length = 10
    lm = []
    norms = []
    for epoch in range(2):
        states = (torch.zeros(1, 4, 32), torch.zeros(1, 4, 32))
        for i in range(0, ids.size(1) - seq_length, seq_length):
            inputs = ids[:, i:i + seq_length]
            targets = ids[:, (i + 1):(i + 1) + seq_length]
            states = detach(states)
            outputs, states = model(inputs, states)
            loss = criterion(outputs, targets.reshape(-1))
            model.zero_grad()
            loss.backward()
            norms.append(nn.utils.clip_grad_norm_(model.parameters(), 0.5).item())
            optimizer.step()
            lm.append(loss.item())
    result['lm'] = lm
    result['lm_norms'] = norms
    result['lm_ppl'] = float(np.exp(lm[-1]))

    torch.save(model.state_dict(), 'model.ckpt')
    reloaded = RNNLM(vocab_size, 16, 32, 1)
    reloaded.load_state_dict(torch.load('model.ckpt'))
    with torch.no_grad():
        state = (torch.zeros(1, 1, 32), torch.zeros(1, 1, 32))
        inp = ids[:1, :5]
        a, _ = model(inp, state)
        b, _ = reloaded(inp, state)
    result['reloaded_same'] = bool(torch.equal(a, b))
    result['lm_keys'] = list(reloaded.state_dict().keys())
    # Sampling as the tutorial does, with torch.multinomial on the exp of the logits.
    with torch.no_grad():
        state = (torch.zeros(1, 1, 32), torch.zeros(1, 1, 32))
        prob = torch.ones(vocab_size)
        inp = torch.multinomial(prob, num_samples=1).unsqueeze(1)
        words = []
        for i in range(20):
            output, state = model(inp, state)
            prob = output.exp()
            word_id = torch.multinomial(prob, num_samples=1).item()
            inp.fill_(word_id)
            words.append(corpus.dictionary.idx2word[word_id])
    result['n_sampled'] = len(words)
    print('RESULT ' + json.dumps(result))


if __name__ == '__main__':
    main()
