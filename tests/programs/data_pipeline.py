"""A torch.utils.data pipeline of the kind text and tabular projects build: a map-style ``Dataset`` of
variable-length token sequences, an ``IterableDataset`` that shards itself by ``get_worker_info()`` across two
workers (with a ``worker_init_fn`` seeding NumPy from ``torch.initial_seed()``), ``ChainDataset``,
``ConcatDataset``, ``random_split`` with fractions and a seeded ``Generator``, ``Subset``, a
``WeightedRandomSampler`` balancing classes, a ``BatchSampler`` over a ``SubsetRandomSampler``, a bucketing
batch sampler of our own, a ``collate_fn`` padding with ``pad_sequence`` and returning a dict, ``default_collate``
of namedtuples and dicts, ``default_convert``; then a masked-mean-pooling classifier trained over it."""
import argparse
import collections
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset,
                              Sampler, Subset, SubsetRandomSampler, WeightedRandomSampler, get_worker_info,
                              random_split)
from torch.utils.data.dataloader import default_collate
from torch.utils.data._utils.collate import default_convert

Example = collections.namedtuple("Example", ["x", "y"])


class SeqDataset(Dataset):
    def __init__(self, n, rng, vocab=20):
        self.items = []
        for _ in range(n):
            label = int(rng.rand() < 0.3)
            length = rng.randint(3, 9)
            toks = rng.randint(2, vocab, length)
            if label:
                toks[rng.randint(length)] = 1
            self.items.append((torch.tensor(toks), label))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        return self.items[idx]


class RangeStream(IterableDataset):
    def __init__(self, start, end):
        super().__init__()
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            lo, hi = self.start, self.end
        else:
            per = int(np.ceil((self.end - self.start) / float(info.num_workers)))
            lo = self.start + info.id * per
            hi = min(lo + per, self.end)
        for i in range(lo, hi):
            yield torch.tensor([i, i * i])


class BucketBatchSampler(Sampler):
    def __init__(self, lengths, batch_size, generator):
        self.lengths, self.batch_size, self.generator = lengths, batch_size, generator

    def __iter__(self):
        order = torch.randperm(len(self.lengths), generator=self.generator).tolist()
        order.sort(key=lambda i: self.lengths[i])
        batches = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        for j in torch.randperm(len(batches), generator=self.generator).tolist():
            yield batches[j]

    def __len__(self):
        return (len(self.lengths) + self.batch_size - 1) // self.batch_size


def collate_batch(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = pad_sequence(seqs, batch_first=True, padding_value=0)
    return {"input_ids": padded, "attention_mask": padded != 0, "lengths": lengths, "labels": torch.tensor(labels)}


def worker_init_fn(worker_id):
    np.random.seed(torch.initial_seed() % 2 ** 32)


class MeanPoolClassifier(nn.Module):
    def __init__(self, vocab=20, dim=16):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim, padding_idx=0)
        self.out = nn.Linear(dim, 2)

    def forward(self, input_ids, attention_mask):
        h = self.emb(input_ids)
        m = attention_mask.unsqueeze(-1).type_as(h)
        return self.out((h * m).sum(1) / m.sum(1).clamp(min=1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    full = SeqDataset(80, rng)
    train, val, test = random_split(full, [0.6, 0.2, 0.2], generator=torch.Generator().manual_seed(42))
    splits = [len(train), len(val), len(test), train.indices[:5]]
    labels = [full[i][1] for i in train.indices]
    counts = np.bincount(labels)
    weights = [1.0 / counts[c] for c in labels]
    sampler = WeightedRandomSampler(weights, num_samples=len(train), replacement=True,
                                    generator=torch.Generator().manual_seed(1))
    drawn = list(sampler)
    loader = DataLoader(train, batch_size=8, sampler=sampler, collate_fn=collate_batch, drop_last=True)
    bucket = BucketBatchSampler([len(full[i][0]) for i in val.indices], 4, torch.Generator().manual_seed(2))
    val_loader = DataLoader(val, batch_sampler=bucket, collate_fn=collate_batch)
    model = MeanPoolClassifier()
    opt = torch.optim.AdamW(model.parameters(), lr=0.05)
    history = []
    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for batch in loader:
            logits = model(batch["input_ids"], batch["attention_mask"])
            loss = F.cross_entropy(logits, batch["labels"])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        model.eval()
        correct, widths = 0, []
        with torch.no_grad():
            for batch in val_loader:
                widths.append(batch["input_ids"].shape[1])
                pred = model(batch["input_ids"], batch["attention_mask"]).argmax(1)
                correct += (pred == batch["labels"]).sum().item()
        history.append({"train": total / len(loader), "val_acc": correct / len(val), "widths": widths})

    stream = DataLoader(RangeStream(0, 10), batch_size=3, num_workers=2, worker_init_fn=worker_init_fn)
    streamed = [b.tolist() for b in stream]
    chained = [int(t[0]) for t in ChainDataset([RangeStream(0, 3), RangeStream(10, 12)])]
    concat = ConcatDataset([Subset(full, [0, 1, 2]), test])
    index_sampler = BatchSampler(SubsetRandomSampler(list(range(10)), generator=torch.Generator().manual_seed(3)),
                                 batch_size=4, drop_last=False)
    nt = default_collate([Example(torch.ones(2), 1), Example(torch.zeros(2), 0)])
    dc = default_collate([{"a": np.array([1.0, 2.0]), "b": 3}, {"a": np.array([4.0, 5.0]), "b": 6}])
    conv = default_convert({"x": np.arange(3), "y": [np.float32(1.5)]})
    g = torch.Generator().manual_seed(5)
    shuffled = [b[1] for b in DataLoader(test, batch_size=5, shuffle=True, generator=g,
                                                  collate_fn=lambda b: (None, [y for _, y in b]))]
    print("RESULT " + json.dumps({
        "splits": splits, "drawn": drawn, "history": history, "streamed": streamed, "chained": chained,
        "concat": [len(concat), concat.cumulative_sizes, concat[4][1]], "batches": list(index_sampler),
        "namedtuple": [type(nt).__name__, nt.x.tolist(), nt.y.tolist()],
        "dict": [dc["a"].tolist(), str(dc["a"].dtype), dc["b"].tolist()],
        "convert": [type(conv["x"]).__name__, conv["x"].tolist(), type(conv["y"][0]).__name__],
        "shuffled": shuffled, "len_loader": [len(loader), len(val_loader)],
    }))


if __name__ == "__main__":
    main()
