"""Sentiment classification of variable-length sentences in the manner of bentrevett's
pytorch-sentiment-analysis and the "packed padded sequences" tutorials: a vocabulary from a
Counter, a collate_fn that pads with pad_sequence, pack_padded_sequence(enforce_sorted=False)
into a 2-layer bidirectional LSTM, pad_packed_sequence, the last forward and backward hidden
states joined with torch.cat((hidden[-2], hidden[-1]), dim=1), BCEWithLogitsLoss and Adam."""
import argparse
import json
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
from torch.utils.data import DataLoader, Dataset

POSITIVE = "good great fine nice love best happy fun".split()
NEGATIVE = "bad awful poor hate worst sad boring dull".split()
NEUTRAL = "the a movie film plot was is it and very so this acting story".split()


def make_reviews(rng, n):
    reviews = []
    for _ in range(n):
        label = rng.randint(0, 2)
        words = list(rng.choice(NEUTRAL, rng.randint(3, 12)))
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randint(0, len(words) + 1), rng.choice(POSITIVE if label else NEGATIVE))
        reviews.append((" ".join(words), float(label)))
    return reviews


class ReviewDataset(Dataset):
    def __init__(self, reviews, vocab):
        self.reviews = reviews
        self.vocab = vocab

    def __len__(self):
        return len(self.reviews)

    def __getitem__(self, idx):
        text, label = self.reviews[idx]
        ids = [self.vocab.get(w, self.vocab["<unk>"]) for w in text.split()]
        return torch.tensor(ids, dtype=torch.long), torch.tensor(label)


def collate_batch(batch):
    texts, labels = zip(*batch)
    lengths = torch.tensor([len(t) for t in texts])
    padded = pad_sequence(texts, batch_first=True, padding_value=0)
    return padded, lengths, torch.stack(labels)


class RNN(nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_dim, output_dim, n_layers, bidirectional, dropout,
                 pad_idx):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
        self.rnn = nn.LSTM(embedding_dim, hidden_dim, num_layers=n_layers, bidirectional=bidirectional,
                           dropout=dropout, batch_first=True)
        self.fc = nn.Linear(hidden_dim * 2, output_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, text, text_lengths):
        embedded = self.dropout(self.embedding(text))
        packed_embedded = pack_padded_sequence(embedded, text_lengths.to("cpu"), batch_first=True,
                                               enforce_sorted=False)
        packed_output, (hidden, cell) = self.rnn(packed_embedded)
        output, output_lengths = pad_packed_sequence(packed_output, batch_first=True)
        hidden = self.dropout(torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1))
        return self.fc(hidden), output, output_lengths


def binary_accuracy(preds, y):
    rounded_preds = torch.round(torch.sigmoid(preds))
    correct = (rounded_preds == y).float()
    return correct.sum() / len(correct)


def main():
    parser = argparse.ArgumentParser(description="Packed bidirectional LSTM sentiment classifier")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(1234)
    rng = np.random.RandomState(0)
    train_reviews, valid_reviews = make_reviews(rng, 160), make_reviews(rng, 48)
    counter = Counter()
    for text, _ in train_reviews:
        counter.update(text.split())
    itos = ["<pad>", "<unk>"] + [w for w, c in counter.most_common() if c >= 1]
    vocab = {w: i for i, w in enumerate(itos)}
    train_loader = DataLoader(ReviewDataset(train_reviews, vocab), batch_size=args.batch_size, shuffle=False,
                              collate_fn=collate_batch)
    valid_loader = DataLoader(ReviewDataset(valid_reviews, vocab), batch_size=args.batch_size,
                              collate_fn=collate_batch)

    model = RNN(len(vocab), 16, 24, 1, n_layers=2, bidirectional=True, dropout=args.dropout, pad_idx=0)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    criterion = nn.BCEWithLogitsLoss()

    losses, history = [], []
    for epoch in range(args.epochs):
        model.train()
        for text, lengths, label in train_loader:
            optimizer.zero_grad()
            predictions, _, _ = model(text, lengths)
            loss = criterion(predictions.squeeze(1), label)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        epoch_loss, epoch_acc = 0.0, 0.0
        with torch.no_grad():
            for text, lengths, label in valid_loader:
                predictions, output, output_lengths = model(text, lengths)
                predictions = predictions.squeeze(1)
                epoch_loss += criterion(predictions, label).item()
                epoch_acc += binary_accuracy(predictions, label).item()
        history.append([epoch_loss / len(valid_loader), epoch_acc / len(valid_loader)])
        print(f"Epoch {epoch}: val loss {history[-1][0]:.3f} acc {history[-1][1] * 100:.1f}%")

    # Padded positions of the unpacked output are zeros, and the lengths come back in input order.
    text, lengths, _ = next(iter(valid_loader))
    with torch.no_grad():
        _, output, output_lengths = model(text, lengths)
    pad_zero = all(bool((output[i, l:] == 0).all()) for i, l in enumerate(output_lengths.tolist()))
    print("RESULT " + json.dumps({"losses": losses, "history": history, "n_params": n_params,
                                  "vocab_size": len(vocab), "output_shape": list(output.shape),
                                  "output_lengths": output_lengths.tolist(), "lengths": lengths.tolist(),
                                  "pad_zero": pad_zero, "output_sum": output.sum().item()}))


if __name__ == "__main__":
    main()
