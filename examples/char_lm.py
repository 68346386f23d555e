"""A character-level language model (GRU) trained on ember's own documentation.

The corpus is every docstring in the ember package (about 200,000 characters, it ships
with ember); every tenth block of 1,024 characters is held out for validation. The model
embeds each character, runs a GRU over windows of 64 characters (dropout on its output)
and predicts the next character at every step, with the learning rate on a cosine
schedule; the validation perplexity (exp of the mean cross-entropy per character) falls
during training, and the model then writes text from a prompt.

Run: ``python examples/char_lm.py`` (a few minutes on a CPU; ``--steps 300`` for a quick look).
"""
import argparse
import ast
import math
import pathlib

import numpy as np

import ember as torch
from ember import nn, optim


def ember_docs():
    """The docstrings of every module, class and function in the ember package, joined."""
    root = pathlib.Path(torch.__file__).resolve().parent
    parts = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc:
                    parts.append(doc.strip())
    return "\n\n".join(parts)


class CharGRU(nn.Module):
    def __init__(self, vocab, embed=64, hidden=256, dropout=0.2):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.gru = nn.GRU(embed, hidden, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens, h=None):
        out, h = self.gru(self.embed(tokens), h)
        return self.head(self.drop(out)), h


def batches(data, seq_len, batch_size, rng):
    starts = rng.integers(0, len(data) - seq_len - 1, batch_size)
    x = np.stack([data[s:s + seq_len] for s in starts])
    y = np.stack([data[s + 1:s + seq_len + 1] for s in starts])
    return torch.from_numpy(x), torch.from_numpy(y)


def perplexity(model, data, seq_len, criterion):
    model.eval()
    n = (len(data) - 1) // seq_len
    x = torch.from_numpy(data[:n * seq_len].reshape(n, seq_len))
    y = torch.from_numpy(data[1:n * seq_len + 1].reshape(n, seq_len))
    total = 0.0
    with torch.no_grad():
        for i in range(0, n, 128):
            logits, _ = model(x[i:i + 128])
            total += criterion(logits.reshape(-1, logits.size(-1)), y[i:i + 128].reshape(-1)).item() * \
                y[i:i + 128].numel()
    model.train()
    return math.exp(total / y.numel())


def sample(model, stoi, itos, prompt, length=300, temperature=0.8):
    model.eval()
    with torch.no_grad():
        tokens = torch.tensor([[stoi[c] for c in prompt if c in stoi]])
        logits, h = model(tokens)
        out = list(prompt)
        for _ in range(length):
            probs = torch.softmax(logits[0, -1] / temperature, dim=-1)
            nxt = torch.multinomial(probs, 1)
            out.append(itos[int(nxt.item())])
            logits, h = model(nxt.view(1, 1), h)
    model.train()
    return "".join(out)


def main(steps=1500, seq_len=64, batch_size=32, lr=3e-3, eval_every=250, seed=0, verbose=True):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    text = ember_docs()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = np.array([stoi[c] for c in text], dtype=np.int64)
    blocks = np.arange(len(data)) // 1024
    train, val = data[blocks % 10 != 9], data[blocks % 10 == 9]
    if verbose:
        print(f"corpus: {len(text)} characters, vocabulary {len(chars)}; train {len(train)}, validation {len(val)}")
    model = CharGRU(len(chars))
    optimizer = optim.Adam(model.parameters(), lr=lr)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps, eta_min=lr / 10)
    criterion = nn.CrossEntropyLoss()
    history = [perplexity(model, val, 256, criterion)]
    if verbose:
        print(f"step 0: validation perplexity {history[-1]:.2f}")
    for step in range(1, steps + 1):
        x, y = batches(train, seq_len, batch_size, rng)
        logits, _ = model(x)
        loss = criterion(logits.reshape(-1, len(chars)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % eval_every == 0 or step == steps:
            history.append(perplexity(model, val, 256, criterion))
            if verbose:
                print(f"step {step}: train loss {loss.item():.3f}, validation perplexity {history[-1]:.2f}")
    if verbose:
        print("\n--- sample ---")
        print(sample(model, stoi, chars, "The "))
    return history


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    args = parser.parse_args()
    main(steps=args.steps)
