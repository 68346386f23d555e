"""Sequence-to-sequence translation with attention in the manner of the PyTorch tutorial "NLP From
Scratch: Translation with a Sequence to Sequence Network and Attention": a GRU encoder, a GRU
decoder with Bahdanau attention (bmm over the encoder outputs), teacher forcing, greedy decoding
with topk, NLLLoss over log_softmax, and Adam. The task: reverse a short digit sequence."""
import argparse
import json
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim
from torch.utils.data import DataLoader, TensorDataset

SOS_token, EOS_token = 0, 1


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super().__init__()
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input):
        embedded = self.dropout(self.embedding(input))
        return self.gru(embedded)


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
        scores = scores.squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)
        return context, weights


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, max_length, dropout_p=0.1):
        super().__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)
        self.max_length = max_length

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS_token)
        decoder_hidden = encoder_hidden
        decoder_outputs, attentions = [], []
        for i in range(self.max_length):
            decoder_output, decoder_hidden, attn_weights = self.forward_step(decoder_input, decoder_hidden,
                                                                             encoder_outputs)
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)
            if target_tensor is not None:
                decoder_input = target_tensor[:, i].unsqueeze(1)
            else:
                _, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()
        decoder_outputs = torch.cat(decoder_outputs, dim=1)
        decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
        return decoder_outputs, decoder_hidden, torch.cat(attentions, dim=1)

    def forward_step(self, input, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(input))
        query = hidden.permute(1, 0, 2)
        context, attn_weights = self.attention(query, encoder_outputs)
        input_gru = torch.cat((embedded, context), dim=2)
        output, hidden = self.gru(input_gru, hidden)
        return self.out(output), hidden, attn_weights


def make_pairs(n, length, seed):
    rng = random.Random(seed)
    src = np.zeros((n, length + 1), dtype=np.int64)
    tgt = np.zeros((n, length + 1), dtype=np.int64)
    for i in range(n):
        digits = [rng.randrange(2, 8) for _ in range(length)]
        src[i] = digits + [EOS_token]
        tgt[i] = digits[::-1] + [EOS_token]
    return torch.from_numpy(src), torch.from_numpy(tgt)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--length", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--teacher-forcing", type=float, default=1.0)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    src, tgt = make_pairs(256, args.length, 0)
    loader = DataLoader(TensorDataset(src, tgt), batch_size=args.batch_size, shuffle=args.init_in is None and
                        args.init_out is None)
    encoder = EncoderRNN(8, args.hidden, args.dropout)
    decoder = AttnDecoderRNN(args.hidden, 8, args.length + 1, args.dropout)
    if args.init_out:
        state = {"encoder." + k: v for k, v in encoder.state_dict().items()}
        state.update({"decoder." + k: v for k, v in decoder.state_dict().items()})
        np.savez(args.init_out, **{k: v.numpy() for k, v in state.items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            for prefix, net in (("encoder.", encoder), ("decoder.", decoder)):
                net.load_state_dict({k[len(prefix):]: torch.from_numpy(f[k]) for k in f.files if k.startswith(prefix)})
    encoder_optimizer = optim.Adam(encoder.parameters(), lr=0.01)
    decoder_optimizer = optim.Adam(decoder.parameters(), lr=0.01)
    criterion = nn.NLLLoss()
    losses = []
    for epoch in range(1, args.epochs + 1):
        total = 0
        for input_tensor, target_tensor in loader:
            encoder_optimizer.zero_grad()
            decoder_optimizer.zero_grad()
            encoder_outputs, encoder_hidden = encoder(input_tensor)
            decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)
            loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)), target_tensor.view(-1))
            loss.backward()
            encoder_optimizer.step()
            decoder_optimizer.step()
            total += loss.item()
        losses.append(total / len(loader))
        print(f"epoch {epoch} loss {losses[-1]:.4f}")
    encoder.eval()
    decoder.eval()
    with torch.no_grad():
        test_src, test_tgt = make_pairs(64, args.length, 1)
        outputs, _, attentions = decoder(*encoder(test_src))
        _, decoded = outputs.topk(1)
        accuracy = (decoded.squeeze(-1) == test_tgt).all(1).float().mean().item()
    print("RESULT " + json.dumps({"losses": losses, "accuracy": accuracy, "attention": list(attentions.shape),
                                  "attention_sums": attentions.sum(-1).mean().item()}))


if __name__ == "__main__":
    main()
