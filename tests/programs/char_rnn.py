"""Character-level generation in the manner of char-rnn ports (spro/char-rnn.pytorch, the "generate
text" tutorials): a one-hot-free Embedding + LSTM trained with truncated BPTT (hidden states
detached between chunks, created with weight.new_zeros), RMSprop, clip_grad_value_, a checkpoint
saved and loaded with torch.save/torch.load, then sampling under torch.inference_mode with
temperature, top-k (torch.topk) and top-p (sort, cumsum, scatter) filtering and torch.multinomial
drawing from a seeded torch.Generator."""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TEXT = ("the quick brown fox jumps over the lazy dog. " * 3 + "a stitch in time saves nine. " * 3
        + "all that glitters is not gold. " * 3)


class CharRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size, n_layers=1):
        super().__init__()
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.encoder = nn.Embedding(input_size, hidden_size)
        self.rnn = nn.LSTM(hidden_size, hidden_size, n_layers)
        self.decoder = nn.Linear(hidden_size, output_size)

    def forward(self, input, hidden):
        batch_size = input.size(0)
        encoded = self.encoder(input)
        output, hidden = self.rnn(encoded.view(1, batch_size, -1), hidden)
        output = self.decoder(output.view(batch_size, -1))
        return output, hidden

    def init_hidden(self, batch_size):
        weight = next(self.parameters())
        return (weight.new_zeros(self.n_layers, batch_size, self.hidden_size),
                weight.new_zeros(self.n_layers, batch_size, self.hidden_size))


def top_k_top_p_filtering(logits, top_k=0, top_p=1.0, filter_value=-float("Inf")):
    if top_k > 0:
        top_k = min(top_k, logits.size(-1))
        indices_to_remove = logits < torch.topk(logits, top_k)[0][..., -1, None]
        logits = logits.masked_fill(indices_to_remove, filter_value)
    if top_p < 1.0:
        sorted_logits, sorted_indices = torch.sort(logits, descending=True)
        cumulative_probs = torch.cumsum(F.softmax(sorted_logits, dim=-1), dim=-1)
        sorted_indices_to_remove = cumulative_probs > top_p
        sorted_indices_to_remove[..., 1:] = sorted_indices_to_remove[..., :-1].clone()
        sorted_indices_to_remove[..., 0] = 0
        indices_to_remove = sorted_indices_to_remove.scatter(1, sorted_indices, sorted_indices_to_remove)
        logits = logits.masked_fill(indices_to_remove, filter_value)
    return logits


@torch.inference_mode()
def generate(model, char2idx, idx2char, prime_str="th", predict_len=40, temperature=0.8, top_k=0, top_p=1.0,
             generator=None):
    hidden = model.init_hidden(1)
    prime_input = torch.tensor([[char2idx[c] for c in prime_str]])
    for p in range(len(prime_str) - 1):
        _, hidden = model(prime_input[:, p], hidden)
    inp = prime_input[:, -1]
    predicted = prime_str
    for _ in range(predict_len):
        output, hidden = model(inp, hidden)
        logits = top_k_top_p_filtering(output / temperature, top_k=top_k, top_p=top_p)
        probs = F.softmax(logits, dim=-1)
        top_i = torch.multinomial(probs, num_samples=1, generator=generator)
        predicted += idx2char[top_i.item()]
        inp = top_i.view(1)
    return predicted, torch.is_inference_mode_enabled(), output.requires_grad


def main():
    parser = argparse.ArgumentParser(description="char-rnn")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--chunk-len", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    chars = sorted(set(TEXT))
    char2idx = {c: i for i, c in enumerate(chars)}
    idx2char = {i: c for i, c in enumerate(chars)}
    data = torch.tensor([char2idx[c] for c in TEXT], dtype=torch.long)
    model = CharRNN(len(chars), 48, len(chars), n_layers=2).to(device)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    optimizer = torch.optim.RMSprop(model.parameters(), lr=5e-3)
    criterion = nn.CrossEntropyLoss()
    rng = np.random.RandomState(0)

    losses = []
    for step in range(args.steps):
        starts = rng.randint(0, len(data) - args.chunk_len - 1, size=args.batch_size)
        inp = torch.stack([data[s:s + args.chunk_len] for s in starts]).to(device)
        target = torch.stack([data[s + 1:s + args.chunk_len + 1] for s in starts]).to(device)
        hidden = model.init_hidden(args.batch_size)
        model.zero_grad()
        loss = 0
        for c in range(args.chunk_len):
            if c == args.chunk_len // 2:  # truncated BPTT: cut the graph halfway
                hidden = tuple(h.detach() for h in hidden)
            output, hidden = model(inp[:, c], hidden)
            loss += criterion(output.view(args.batch_size, -1), target[:, c])
        loss.backward()
        nn.utils.clip_grad_value_(model.parameters(), clip_value=1.0)
        optimizer.step()
        losses.append(loss.item() / args.chunk_len)
        if step % 10 == 0:
            print(f"[step {step}] loss {losses[-1]:.4f}")

    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": args.steps},
               "char_rnn.pt")
    checkpoint = torch.load("char_rnn.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    model.eval()

    # Filtering a fixed row of logits is deterministic.
    logits = torch.tensor([[2.0, 1.0, 0.5, 3.0, -1.0, 0.0]])
    kept_k = torch.isfinite(top_k_top_p_filtering(logits, top_k=3)).tolist()
    kept_p = torch.isfinite(top_k_top_p_filtering(logits, top_p=0.8)).tolist()
    g = torch.Generator().manual_seed(7)
    samples = [generate(model, char2idx, idx2char, temperature=t, top_k=k, top_p=p, generator=g)
               for t, k, p in ((0.8, 0, 1.0), (1.0, 5, 1.0), (0.7, 0, 0.9))]
    greedy = torch.argmax(model(torch.tensor([char2idx["t"]]), model.init_hidden(1))[0], dim=-1).item()
    print("samples:", [s[0] for s in samples])
    print("RESULT " + json.dumps({"losses": losses, "kept_k": kept_k, "kept_p": kept_p,
                                  "sample_lens": [len(s[0]) for s in samples],
                                  "in_vocab": all(set(s[0]) <= set(chars) for s in samples),
                                  "inference_mode": [s[1] for s in samples], "requires_grad": [s[2] for s in samples],
                                  "step": checkpoint["step"], "greedy": idx2char[greedy],
                                  "saved": os.path.exists("char_rnn.pt"), "device": str(device)}))


if __name__ == "__main__":
    main()
