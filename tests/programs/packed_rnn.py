"""A variable-length sequence classifier the way RNN tutorials and repos batch it: a Dataset of
token lists, a collate_fn that pads with pad_sequence and returns lengths, an Embedding with
padding_idx, pack_padded_sequence(enforce_sorted=False) into a bidirectional LSTM, the final
hidden states of both directions concatenated, pad_packed_sequence for the per-step outputs with a
length mask for mean pooling; the classic sort-by-length variant (torch.sort(descending=True),
enforce_sorted=True, index_select back with the inverse permutation) must agree. Also a GRU over a
PackedSequence built with pack_sequence, and the packed data / batch_sizes themselves."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence
from torch.utils.data import DataLoader, Dataset

PAD = 0
VOCAB = 12


class ParityDataset(Dataset):
    """Label: does the sequence hold more tokens from the upper half of the vocabulary?"""

    def __init__(self, n, rng):
        self.items = []
        for _ in range(n):
            length = rng.randint(2, 11)
            seq = rng.randint(1, VOCAB, size=length)
            self.items.append((seq.tolist(), int((seq >= VOCAB // 2).sum() * 2 > length)))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        seq, label = self.items[i]
        return torch.tensor(seq, dtype=torch.long), label


def collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = pad_sequence(seqs, batch_first=True, padding_value=PAD)
    return padded, lengths, torch.tensor(labels)


class Classifier(nn.Module):
    def __init__(self, emb=8, hidden=16):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, emb, padding_idx=PAD)
        self.rnn = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(4 * hidden, 2)

    def forward(self, x, lengths, sort=False):
        embedded = self.embedding(x)
        if sort:
            lengths, perm = torch.sort(lengths, descending=True)
            embedded = embedded.index_select(0, perm)
            packed = pack_padded_sequence(embedded, lengths, batch_first=True)
        else:
            packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_out, (hidden, cell) = self.rnn(packed)
        out, out_lengths = pad_packed_sequence(packed_out, batch_first=True, padding_value=0.0)
        final = torch.cat((hidden[-2], hidden[-1]), dim=1)
        mask = (torch.arange(out.size(1))[None, :] < out_lengths[:, None]).unsqueeze(-1)
        mean = (out * mask).sum(1) / out_lengths[:, None].float()
        feats = torch.cat([final, mean], dim=1)
        if sort:
            _, inverse = torch.sort(perm)
            feats = feats.index_select(0, inverse)
        return self.fc(feats)


def main():
    parser = argparse.ArgumentParser(description="Packed-sequence RNN classifier")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    train = ParityDataset(96, rng)
    test = ParityDataset(32, rng)
    model = Classifier()
    gru = nn.GRU(3, 5)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()},
                 **{"gru." + k: v.detach().numpy() for k, v in gru.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files if not k.startswith("gru.")})
            gru.load_state_dict({k[4:]: torch.from_numpy(f[k]) for k in f.files if k.startswith("gru.")})
    result = {}

    # The packed layout itself.
    a, b, c = (torch.from_numpy(rng.randn(n, 3).astype(np.float32)) for n in (4, 2, 3))
    packed = pack_sequence([a, b, c], enforce_sorted=False)
    result["batch_sizes"] = packed.batch_sizes.tolist()
    result["sorted_indices"] = packed.sorted_indices.tolist()
    result["unsorted_indices"] = packed.unsorted_indices.tolist()
    result["packed_data"] = packed.data.reshape(-1).tolist()
    out, h = gru(packed)
    padded, lens = pad_packed_sequence(out, total_length=5)
    result["gru_padded_shape"] = list(padded.shape)
    result["gru_lens"] = lens.tolist()
    result["gru_h"] = h.reshape(-1).tolist()
    result["gru_last_equals_h"] = bool(torch.allclose(padded[lens - 1, torch.arange(3)], h[0]))

    loader = DataLoader(train, batch_size=args.batch_size, shuffle=False, collate_fn=collate)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(args.epochs):
        model.train()
        for x, lengths, y in loader:
            optimizer.zero_grad()
            logits = model(x, lengths)
            loss = criterion(logits, y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
    result["losses"] = losses

    model.eval()
    x, lengths, y = collate([test[i] for i in range(len(test))])
    with torch.no_grad():
        unsorted = model(x, lengths)
        sorted_ = model(x, lengths, sort=True)
    result["sort_diff"] = float((unsorted - sorted_).abs().max())
    result["test_logits"] = unsorted.reshape(-1).tolist()
    result["test_acc"] = (unsorted.argmax(1) == y).float().mean().item()
    result["emb_pad_row_zero"] = bool((model.embedding.weight[PAD] == 0).all())
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
