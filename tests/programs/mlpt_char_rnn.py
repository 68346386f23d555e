"""Chapter 15 of Raschka et al.'s "Machine Learning with PyTorch and Scikit-Learn": an nn.RNN
checked by hand (weight_ih_l0 / weight_hh_l0 / bias_ih_l0 / bias_hh_l0, tanh of the two affine
maps), then the character-level language model: the text encoded with a char2int dict and a
NumPy char_array, chunks of seq_length + 1 turned into one tensor, a TextDataset, an
Embedding -> LSTM(batch_first) -> Linear RNN stepped one character at a time with
init_hidden / (hidden, cell), and sampling with torch.distributions.categorical.Categorical over
logits scaled by a factor (indexing the NumPy char_array with the sampled tensor)."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
from torch.distributions.categorical import Categorical
from torch.utils.data import DataLoader, Dataset, Sampler

device = torch.device("cpu")


class TextDataset(Dataset):
    def __init__(self, text_chunks):
        self.text_chunks = text_chunks

    def __len__(self):
        return len(self.text_chunks)

    def __getitem__(self, idx):
        text_chunk = self.text_chunks[idx]
        return text_chunk[:-1].long(), text_chunk[1:].long()


class NumpyRandomSampler(Sampler):
    """Shuffles with NumPy so that the batches do not depend on torch's random stream."""

    def __init__(self, n, seed):
        self.n = n
        self.rng = np.random.RandomState(seed)

    def __iter__(self):
        return iter(self.rng.permutation(self.n).tolist())

    def __len__(self):
        return self.n


class RNN(nn.Module):
    def __init__(self, vocab_size, embed_dim, rnn_hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn_hidden_size = rnn_hidden_size
        self.rnn = nn.LSTM(embed_dim, rnn_hidden_size, batch_first=True)
        self.fc = nn.Linear(rnn_hidden_size, vocab_size)

    def forward(self, x, hidden, cell):
        out = self.embedding(x).unsqueeze(1)
        out, (hidden, cell) = self.rnn(out, (hidden, cell))
        out = self.fc(out).reshape(out.size(0), -1)
        return out, hidden, cell

    def init_hidden(self, batch_size):
        hidden = torch.zeros(1, batch_size, self.rnn_hidden_size)
        cell = torch.zeros(1, batch_size, self.rnn_hidden_size)
        return hidden.to(device), cell.to(device)


def make_text(seed=0):
    rng = np.random.RandomState(seed)
    sentences = ["THE MYSTERIOUS ISLAND. ", "The balloon rose over the sea. ", "Captain Harding looked at the shore. ",
                 "They found fire on the island. ", "The engineer built a kiln. "]
    return "".join(sentences[i] for i in rng.randint(0, len(sentences), 40))


def main():
    parser = argparse.ArgumentParser(description="ML with PyTorch, chapter 15: character-level RNN")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    out = {}

    torch.manual_seed(1)
    rnn_layer = nn.RNN(input_size=5, hidden_size=2, num_layers=1, batch_first=True)

    text = make_text()
    char_set = set(text)
    chars_sorted = sorted(char_set)
    char2int = {ch: i for i, ch in enumerate(chars_sorted)}
    char_array = np.array(chars_sorted)
    text_encoded = np.array([char2int[ch] for ch in text], dtype=np.int32)
    out["text_len"], out["vocab"] = len(text), len(char_array)
    seq_length = 20
    chunk_size = seq_length + 1
    text_chunks = [text_encoded[i:i + chunk_size] for i in range(len(text_encoded) - chunk_size + 1)]
    seq_dataset = TextDataset(torch.tensor(np.array(text_chunks)))
    x0, y0 = seq_dataset[0]
    out["first_pair"] = ["".join(char_array[x0]), "".join(char_array[y0])]
    out["dataset_dtype"] = [str(seq_dataset.text_chunks.dtype), str(x0.dtype)]
    batch_size = 16
    seq_dl = DataLoader(seq_dataset, batch_size=batch_size, sampler=NumpyRandomSampler(len(seq_dataset), 1),
                        drop_last=True)

    vocab_size = len(char_array)
    embed_dim = 16
    rnn_hidden_size = 48
    torch.manual_seed(1)
    model = RNN(vocab_size, embed_dim, rnn_hidden_size)
    both = nn.ModuleDict({"rnn_layer": rnn_layer, "model": model})
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in both.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            both.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})

    w_xh = rnn_layer.weight_ih_l0
    w_hh = rnn_layer.weight_hh_l0
    b_xh = rnn_layer.bias_ih_l0
    b_hh = rnn_layer.bias_hh_l0
    out["rnn_shapes"] = [list(w_xh.shape), list(w_hh.shape), list(b_xh.shape), list(b_hh.shape)]
    x_seq = torch.tensor([[1.0] * 5, [2.0] * 5, [3.0] * 5]).float()
    output, hn = rnn_layer(torch.reshape(x_seq, (1, 3, 5)))
    out_man = []
    for t in range(3):
        xt = torch.reshape(x_seq[t], (1, 5))
        ht = torch.matmul(xt, torch.transpose(w_xh, 0, 1)) + b_xh
        prev_h = out_man[t - 1] if t > 0 else torch.zeros((ht.shape))
        ot = ht + torch.matmul(prev_h, torch.transpose(w_hh, 0, 1)) + b_hh
        ot = torch.tanh(ot)
        out_man.append(ot)
    out["rnn_output"] = output.detach().flatten().tolist()
    out["manual_matches"] = all(torch.allclose(output[:, t], out_man[t], atol=1e-6) for t in range(3))
    out["hn_is_last"] = bool(torch.equal(hn[0], output[:, -1]))

    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)
    losses = []
    for epoch in range(args.epochs):
        hidden, cell = model.init_hidden(batch_size)
        seq_batch, target_batch = next(iter(seq_dl))
        seq_batch = seq_batch.to(device)
        target_batch = target_batch.to(device)
        optimizer.zero_grad()
        loss = 0
        for c in range(seq_length):
            pred, hidden, cell = model(seq_batch[:, c], hidden, cell)
            loss += loss_fn(pred, target_batch[:, c])
        loss.backward()
        optimizer.step()
        loss = loss.item() / seq_length
        losses.append(loss)
        if epoch % 10 == 0:
            print(f"Epoch {epoch} loss: {loss:.4f}")
    out["losses"] = losses

    torch.manual_seed(1)
    logits = torch.tensor([[1.0, 1.0, 1.0]])
    out["uniform_probs"] = nn.functional.softmax(logits, dim=1).numpy()[0].tolist()
    m = Categorical(logits=logits)
    samples = m.sample((10,))
    out["sample_shape"] = list(samples.shape)
    logits = torch.tensor([[1.0, 1.0, 3.0]])
    m = Categorical(logits=logits)
    out["probs"] = m.probs.tolist()
    out["log_prob"] = m.log_prob(torch.tensor([0, 2])).tolist()
    out["entropy"] = m.entropy().tolist()
    out["scaled"] = [nn.functional.softmax(logits * s, dim=1).tolist() for s in (0.5, 1.0, 2.0)]

    def sample(model, starting_str, len_generated_text=60, scale_factor=1.0):
        encoded_input = torch.tensor([char2int[s] for s in starting_str])
        encoded_input = torch.reshape(encoded_input, (1, -1))
        generated_str = starting_str
        model.eval()
        hidden, cell = model.init_hidden(1)
        hidden = hidden.to("cpu")
        cell = cell.to("cpu")
        for c in range(len(starting_str) - 1):
            _, hidden, cell = model(encoded_input[:, c].view(1), hidden, cell)
        last_char = encoded_input[:, -1]
        for i in range(len_generated_text):
            logits, hidden, cell = model(last_char.view(1), hidden, cell)
            logits = torch.squeeze(logits, 0)
            scaled_logits = logits * scale_factor
            m = Categorical(logits=scaled_logits)
            last_char = m.sample()
            generated_str += str(char_array[last_char])
        return generated_str, torch.softmax(logits, dim=-1)

    torch.manual_seed(1)
    text_1, last_probs = sample(model, starting_str="The island")
    text_2, _ = sample(model, starting_str="The island", scale_factor=2.0)
    print(text_1)
    out["sample_lens"] = [len(text_1), len(text_2)]
    out["sample_in_vocab"] = set(text_1 + text_2) <= char_set
    with torch.no_grad():
        hidden, cell = model.init_hidden(1)
        for ch in "The island":
            logits, hidden, cell = model(torch.tensor([char2int[ch]]), hidden, cell)
        out["greedy_after_prompt"] = str(char_array[torch.argmax(logits, dim=1)])
        out["prompt_logits"] = logits[0].tolist()
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
