"""A sequence classifier with ``Embedding`` + ``LSTM`` over padded, packed batches of different lengths.

The task (generated here, no download): is a string of brackets such as ``(()(()))`` balanced?
Strings have 2 to 40 characters, always as many ``(`` as ``)``: half are well formed, the
other half are well-formed strings rotated at a cut between ``)`` and ``(`` inside a bracket
group (``(()())`` cut after 3 gives ``())(()``), which makes the depth drop below zero
somewhere. Both classes start with ``(`` and end with ``)`` and counting brackets cannot tell
them apart: the model must follow the nesting depth over the whole string. Each batch is
padded with ``pad_sequence`` and packed with ``pack_padded_sequence(enforce_sorted=False)``,
so the LSTM's final state is each string's state after its own last character.

Run: ``python examples/text_classifier.py`` (about a minute on a CPU).
"""
import numpy as np

import ember as torch
from ember import nn, optim
from ember.nn.utils.rnn import pad_sequence, pack_padded_sequence

PAD, OPEN, CLOSE = 0, 1, 2


def balanced(rng, pairs):
    """A uniformly shuffled well-formed string of ``pairs`` bracket pairs (as token ids)."""
    out, depth, opens = [], 0, pairs
    while opens or depth:
        if opens and (depth == 0 or rng.random() < opens / (opens + depth)):
            out.append(OPEN)
            opens -= 1
            depth += 1
        else:
            out.append(CLOSE)
            depth -= 1
    return out


def is_balanced(seq):
    depth = 0
    for t in seq:
        depth += 1 if t == OPEN else -1
        if depth < 0:
            return False
    return depth == 0


def make_dataset(n, rng, max_pairs=20):
    seqs, labels = [], []
    while len(seqs) < n:
        s = balanced(rng, int(rng.integers(1, max_pairs + 1)))
        if len(seqs) % 2:
            depth = np.cumsum([1 if t == OPEN else -1 for t in s])
            cuts = [k for k in range(1, len(s)) if depth[k - 1] > 0 and s[k - 1] == CLOSE and s[k] == OPEN]
            if not cuts:
                continue
            k = cuts[int(rng.integers(len(cuts)))]
            s = s[k:] + s[:k]
        seqs.append(s)
        labels.append(int(is_balanced(s)))
    return seqs, np.array(labels, dtype=np.int64)


class BracketClassifier(nn.Module):
    def __init__(self, embed=16, hidden=64):
        super().__init__()
        self.embed = nn.Embedding(3, embed, padding_idx=PAD)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 2)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(self.embed(padded), lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        return self.fc(h_n[-1])


def batchify(seqs, labels, idx):
    padded = pad_sequence([torch.tensor(seqs[i]) for i in idx], batch_first=True, padding_value=PAD)
    lengths = torch.tensor([len(seqs[i]) for i in idx])
    return padded, lengths, torch.from_numpy(labels[idx])


def accuracy(model, seqs, labels, batch_size=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for s in range(0, len(seqs), batch_size):
            idx = np.arange(s, min(s + batch_size, len(seqs)))
            padded, lengths, y = batchify(seqs, labels, idx)
            correct += (model(padded, lengths).argmax(1) == y).sum().item()
    model.train()
    return correct / len(seqs)


def main(epochs=4, n_train=8000, n_test=2000, batch_size=64, lr=3e-3, seed=0, verbose=True):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    train_x, train_y = make_dataset(n_train, rng)
    test_x, test_y = make_dataset(n_test, rng)
    model = BracketClassifier()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    acc = 0.0
    for epoch in range(epochs):
        order = rng.permutation(n_train)
        total = 0.0
        for s in range(0, n_train, batch_size):
            padded, lengths, y = batchify(train_x, train_y, order[s:s + batch_size])
            loss = criterion(model(padded, lengths), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * y.size(0)
        acc = accuracy(model, test_x, test_y)
        if verbose:
            print(f"epoch {epoch + 1}: train loss {total / n_train:.4f}, test accuracy {acc:.4f}")
    return acc


if __name__ == "__main__":
    main()
