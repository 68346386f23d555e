"""Classifying words by language with a bidirectional GRU over packed sequences: a custom Dataset,
random_split with a seeded Generator, a collate_fn that pads with pad_sequence and sorts by
length, pack_padded_sequence / pad_packed_sequence, Adam with ReduceLROnPlateau, nn.init on
named parameters, and a saved model reloaded for a final evaluation."""
import argparse
import json
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
from torch.utils.data import DataLoader, Dataset, random_split

LANGS = {
    "a": ("ka", "ta", "na", "ma", "ra", "sa"),
    "b": ("sch", "te", "ber", "ger", "mann", "el"),
    "c": ("ski", "ov", "ich", "va", "zy", "ko"),
}


class Words(Dataset):
    def __init__(self, n, seed=0):
        rng = random.Random(seed)
        self.samples = []
        for i in range(n):
            label = i % len(LANGS)
            parts = LANGS["abc"[label]]
            word = "".join(rng.choice(parts) for _ in range(rng.randint(1, 4)))
            self.samples.append((word, label))
        letters = sorted(set("".join(w for w, _ in self.samples)))
        self.vocab = {c: i + 1 for i, c in enumerate(letters)}

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        word, label = self.samples[i]
        return torch.tensor([self.vocab[c] for c in word], dtype=torch.long), label


def collate(batch):
    batch = sorted(batch, key=lambda item: len(item[0]), reverse=True)
    seqs = [s for s, _ in batch]
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(seqs, batch_first=True, padding_value=0), lengths, torch.tensor([y for _, y in batch])


class Classifier(nn.Module):
    def __init__(self, vocab_size, n_classes, emb=16, hidden=24):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb, padding_idx=0)
        self.rnn = nn.GRU(emb, hidden, num_layers=1, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, n_classes)
        for name, param in self.rnn.named_parameters():
            if "weight_ih" in name:
                nn.init.xavier_uniform_(param)
            elif "weight_hh" in name:
                nn.init.orthogonal_(param)
            elif "bias" in name:
                nn.init.constant_(param, 0.0)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(self.embedding(x), lengths, batch_first=True, enforce_sorted=True)
        out, h = self.rnn(packed)
        out, out_lengths = pad_packed_sequence(out, batch_first=True)
        assert torch.equal(out_lengths, lengths)
        feats = torch.cat([h[-2], h[-1]], dim=1)
        return self.head(feats)


def run_epoch(model, loader, optimizer=None):
    training = optimizer is not None
    model.train(training)
    total, correct, loss_sum = 0, 0, 0.0
    with torch.set_grad_enabled(training):
        for x, lengths, y in loader:
            logits = model(x, lengths)
            loss = F.cross_entropy(logits, y)
            if training:
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
                optimizer.step()
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            total += len(y)
    return loss_sum / total, correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--n", type=int, default=480)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()
    torch.manual_seed(0)
    data = Words(args.n)
    train_set, val_set = random_split(data, [0.75, 0.25], generator=torch.Generator().manual_seed(42))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, collate_fn=collate)
    val_loader = DataLoader(val_set, batch_size=64, collate_fn=collate)
    model = Classifier(len(data.vocab) + 1, len(LANGS))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1)
    history = []
    for epoch in range(args.epochs):
        train_loss, train_acc = run_epoch(model, train_loader, optimizer)
        val_loss, val_acc = run_epoch(model, val_loader)
        scheduler.step(val_loss)
        history.append([train_loss, val_loss, val_acc])
        print(f"epoch {epoch}: train {train_loss:.3f} ({train_acc:.2%}) val {val_loss:.3f} ({val_acc:.2%}) "
              f"lr {optimizer.param_groups[0]['lr']:.4f}")
    torch.save(model.state_dict(), "classifier.pt")
    fresh = Classifier(len(data.vocab) + 1, len(LANGS))
    fresh.load_state_dict(torch.load("classifier.pt", weights_only=True))
    reloaded = run_epoch(fresh, val_loader)
    print("RESULT " + json.dumps({"history": history, "reloaded": list(reloaded), "sizes": [len(train_set), len(val_set)]}))


if __name__ == "__main__":
    main()
