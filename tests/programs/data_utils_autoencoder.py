"""A denoising autoencoder fed through the torch.utils.data toolbox the way projects combine it:
a map-style Dataset, random_split with a seeded Generator (and fractional lengths), Subset,
ConcatDataset, SubsetRandomSampler and WeightedRandomSampler (class-balancing weights) with
replacement, BatchSampler over a SequentialSampler, a custom collate_fn padding variable-length
sequences and returning a dict, default_collate on nested structures, an IterableDataset with
worker_info, drop_last, and a train/validation loop with an nn.Sequential encoder/decoder."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, SequentialSampler,
                              Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate,
                              get_worker_info, random_split)


class Blobs(Dataset):
    """16-d points around four centres; class 3 is rare."""

    def __init__(self, n, rng):
        centres = rng.randn(4, 16).astype(np.float32) * 2
        self.labels = rng.choice(4, size=n, p=[0.4, 0.3, 0.25, 0.05])
        self.x = (centres[self.labels] + 0.3 * rng.randn(n, 16)).astype(np.float32)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return torch.from_numpy(self.x[idx]), int(self.labels[idx])


class Sequences(Dataset):
    def __init__(self, rng):
        self.seqs = [rng.randint(1, 9, size=rng.randint(1, 6)).tolist() for _ in range(10)]

    def __len__(self):
        return len(self.seqs)

    def __getitem__(self, i):
        return {"ids": torch.tensor(self.seqs[i]), "idx": i}


def pad_collate(batch):
    lengths = [len(b["ids"]) for b in batch]
    out = torch.zeros(len(batch), max(lengths), dtype=torch.long)
    for i, b in enumerate(batch):
        out[i, :lengths[i]] = b["ids"]
    return {"ids": out, "lengths": torch.tensor(lengths), "idx": torch.tensor([b["idx"] for b in batch])}


class Counter(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        assert info is None
        return iter(range(self.n))


def main():
    parser = argparse.ArgumentParser(description="Autoencoder over torch.utils.data")
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--noise", type=float, default=0.2)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    full = Blobs(args.n, rng)
    result = {}

    train_set, val_set = random_split(full, [0.8, 0.2], generator=torch.Generator().manual_seed(42))
    a, b, c = random_split(range(10), [3, 3, 4], generator=torch.Generator().manual_seed(1))
    result["split_lens"] = [len(train_set), len(val_set), len(a), len(b), len(c)]
    result["split_cover"] = sorted(list(a) + list(b) + list(c)) == list(range(10))
    result["subset_types"] = [type(train_set).__name__, type(train_set.dataset).__name__]
    result["disjoint"] = len(set(train_set.indices) & set(val_set.indices)) == 0

    sub = Subset(full, [0, 5, 7])
    result["subset_item"] = [sub[1][1], int(full.labels[5])]
    concat = ConcatDataset([sub, Subset(full, [1, 2])])
    result["concat"] = [len(concat), concat[3][1], int(full.labels[1]), list(concat.cumulative_sizes)]

    # Class-balanced sampling of the training subset.
    train_labels = torch.tensor([int(full.labels[i]) for i in train_set.indices])
    class_count = torch.bincount(train_labels, minlength=4)
    weights = (1.0 / class_count.float())[train_labels]
    sampler = WeightedRandomSampler(weights, num_samples=len(weights), replacement=True,
                                    generator=torch.Generator().manual_seed(0))
    drawn = torch.tensor([int(train_labels[i]) for i in sampler])
    result["balanced_freq"] = (torch.bincount(drawn, minlength=4).float() / len(drawn)).tolist()
    result["raw_freq"] = (class_count.float() / class_count.sum()).tolist()
    result["sampler_len"] = len(sampler)

    srs = SubsetRandomSampler(list(range(0, args.n, 4)), generator=torch.Generator().manual_seed(3))
    seen = list(srs)
    result["srs"] = [len(srs), sorted(seen) == list(range(0, args.n, 4))]
    bs = BatchSampler(SequentialSampler(range(10)), batch_size=4, drop_last=False)
    result["batch_sampler"] = list(bs)
    result["batch_sampler_drop"] = list(BatchSampler(range(10), 4, True))

    seq_loader = DataLoader(Sequences(rng), batch_size=4, collate_fn=pad_collate)
    batches = [{k: v.tolist() for k, v in batch.items()} for batch in seq_loader]
    result["pad_collate"] = batches
    nested = default_collate([{"a": torch.ones(2), "b": (1, 2.0), "c": "x"},
                              {"a": torch.zeros(2), "b": (3, 4.0), "c": "y"}])
    result["default_collate"] = [nested["a"].tolist(), nested["b"][0].tolist(), nested["b"][1].dtype == torch.float64,
                                 nested["c"]]
    result["iterable"] = [b.tolist() for b in DataLoader(Counter(10), batch_size=4, drop_last=True)]

    # The autoencoder, trained on the balanced sampler, validated on the held-out split.
    model = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3), nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 16))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=64, shuffle=False)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    result["n_batches"] = [len(train_loader), len(val_loader)]

    def val_loss():
        model.eval()
        with torch.no_grad():
            tot, n = 0.0, 0
            for xb, _ in val_loader:
                tot += F.mse_loss(model(xb), xb, reduction="sum").item()
                n += xb.numel()
        model.train()
        return tot / n

    history = [val_loss()]
    train_losses = []
    for epoch in range(args.epochs):
        for xb, yb in train_loader:
            noisy = xb + args.noise * torch.randn_like(xb)
            loss = F.mse_loss(model(noisy), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            train_losses.append(loss.item())
        history.append(val_loss())
    result["val"] = history
    result["train_losses"] = train_losses
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
