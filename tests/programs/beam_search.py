"""Beam-search decoding in the manner of seq2seq tutorials and OpenNMT/fairseq-style batched beams:
an LSTM encoder-decoder trained with teacher forcing on a sequence-increment task, then greedy and
batched beam search over (batch * beam) hypotheses with log_softmax scores, topk over the
flattened (beam * vocab) scores, integer division and remainder to recover beam and token,
index_select / gather to reorder hidden states, masked_fill for finished beams and length
normalization."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BOS, EOS, PAD = 0, 1, 2
N_SYM = 10


class Seq2Seq(nn.Module):
    def __init__(self, vocab, emb=24, hidden=48):
        super().__init__()
        self.src_emb = nn.Embedding(vocab, emb)
        self.tgt_emb = nn.Embedding(vocab, emb)
        self.encoder = nn.LSTM(emb, hidden, batch_first=True)
        self.decoder = nn.LSTM(emb, hidden, batch_first=True)
        self.proj = nn.Linear(hidden, vocab)

    def encode(self, src):
        _, state = self.encoder(self.src_emb(src))
        return state

    def decode_step(self, tokens, state):
        out, state = self.decoder(self.tgt_emb(tokens).unsqueeze(1), state)
        return F.log_softmax(self.proj(out.squeeze(1)), dim=-1), state

    def forward(self, src, tgt_in):
        out, _ = self.decoder(self.tgt_emb(tgt_in), self.encode(src))
        return self.proj(out)


def make_pairs(rng, n, length=5):
    src = rng.randint(3, 3 + N_SYM, size=(n, length))
    tgt = 3 + (src - 3 + 1) % N_SYM  # each symbol incremented
    tgt_in = np.concatenate([np.full((n, 1), BOS), tgt], axis=1)
    tgt_out = np.concatenate([tgt, np.full((n, 1), EOS)], axis=1)
    return torch.from_numpy(src), torch.from_numpy(tgt_in), torch.from_numpy(tgt_out)


@torch.no_grad()
def greedy(model, src, max_len):
    state = model.encode(src)
    tokens = torch.full((src.size(0),), BOS, dtype=torch.long)
    out = []
    for _ in range(max_len):
        logp, state = model.decode_step(tokens, state)
        tokens = logp.argmax(dim=-1)
        out.append(tokens)
    return torch.stack(out, dim=1)


@torch.no_grad()
def beam_search(model, src, beam_size, max_len, alpha=0.7):
    batch = src.size(0)
    h, c = model.encode(src)
    # Expand each source to beam_size hypotheses: (layers, batch * beam, hidden).
    expand = torch.arange(batch).view(-1, 1).repeat(1, beam_size).view(-1)
    h, c = h.index_select(1, expand), c.index_select(1, expand)
    tokens = torch.full((batch * beam_size,), BOS, dtype=torch.long)
    scores = torch.zeros(batch, beam_size)
    scores[:, 1:] = float("-inf")  # all beams start identical: keep one
    finished = torch.zeros(batch * beam_size, dtype=torch.bool)
    history = torch.empty(batch * beam_size, 0, dtype=torch.long)
    lengths = torch.zeros(batch * beam_size)
    for _ in range(max_len):
        logp, (h, c) = model.decode_step(tokens, (h, c))
        vocab = logp.size(-1)
        # A finished hypothesis only extends with EOS at no cost.
        eos_only = torch.full_like(logp, float("-inf"))
        eos_only[:, EOS] = 0.0
        logp = torch.where(finished.unsqueeze(1), eos_only, logp)
        cand = (scores.view(-1, 1) + logp).view(batch, beam_size * vocab)
        top_scores, top_idx = cand.topk(beam_size, dim=1)
        beam_idx = torch.div(top_idx, vocab, rounding_mode="floor")
        token_idx = top_idx % vocab
        flat = (beam_idx + torch.arange(batch).unsqueeze(1) * beam_size).view(-1)
        h, c = h.index_select(1, flat), c.index_select(1, flat)
        history = torch.cat([history.index_select(0, flat), token_idx.view(-1, 1)], dim=1)
        was_finished = finished.index_select(0, flat)
        lengths = lengths.index_select(0, flat) + (~was_finished).float()
        finished = was_finished | (token_idx.view(-1) == EOS)
        scores = top_scores
        tokens = token_idx.view(-1)
        if finished.all():
            break
    penalty = ((5.0 + lengths) / 6.0).pow(alpha).view(batch, beam_size)
    normed = scores / penalty
    best = normed.argmax(dim=1)
    best_flat = best + torch.arange(batch) * beam_size
    hyps = history.index_select(0, best_flat)
    best_scores = normed.gather(1, best.unsqueeze(1)).squeeze(1)
    return hyps, best_scores, normed


def main():
    parser = argparse.ArgumentParser(description="LSTM seq2seq with beam search")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--beam", type=int, default=3)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    src, tgt_in, tgt_out = make_pairs(rng, 256)
    test_src, _, test_out = make_pairs(rng, 16)
    vocab = 3 + N_SYM
    model = Seq2Seq(vocab)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    criterion = nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=0.05)
    losses = []
    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for i in range(0, src.size(0), args.batch_size):
            logits = model(src[i:i + args.batch_size], tgt_in[i:i + args.batch_size])
            loss = criterion(logits.reshape(-1, vocab), tgt_out[i:i + args.batch_size].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / (src.size(0) // args.batch_size))
        print(f"epoch {epoch} loss {losses[-1]:.4f}")
    model.eval()
    g = greedy(model, test_src, max_len=6)
    hyps, best_scores, normed = beam_search(model, test_src, args.beam, max_len=8)
    greedy_acc = (g[:, :5] == test_out[:, :5]).float().mean().item()
    beam_acc = (hyps[:, :5] == test_out[:, :5]).float().mean().item()
    print("RESULT " + json.dumps({"losses": losses, "greedy_acc": greedy_acc, "beam_acc": beam_acc,
                                  "hyps": hyps.tolist(), "greedy": g.tolist(), "best_scores": best_scores.tolist(),
                                  "normed_shape": list(normed.shape)}))


if __name__ == "__main__":
    main()
