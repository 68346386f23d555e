"""Masked-language-model pretraining in the manner of BERT tutorials (and Hugging Face's
run_mlm.py): nn.TransformerEncoder(batch_first=True) with src_key_padding_mask, 80/10/10 token
masking drawn with torch.bernoulli, CrossEntropyLoss(ignore_index=-100), the output projection
tied to the token embedding, AdamW with no weight decay on bias and LayerNorm weights,
get_linear_schedule_with_warmup written with LambdaLR, and clip_grad_norm_."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import LambdaLR

PAD, CLS, SEP, MASK = 0, 1, 2, 3


class BertForMaskedLM(nn.Module):
    def __init__(self, vocab_size, hidden=32, heads=4, layers=2, max_len=32, dropout=0.1):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab_size, hidden, padding_idx=PAD)
        self.pos_emb = nn.Embedding(max_len, hidden)
        self.emb_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(d_model=hidden, nhead=heads, dim_feedforward=4 * hidden,
                                           dropout=dropout, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=layers)
        self.transform = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.LayerNorm(hidden, eps=1e-12))
        self.decoder = nn.Linear(hidden, vocab_size)
        self.decoder.weight = self.tok_emb.weight  # weight tying
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            module.weight.data.normal_(mean=0.0, std=0.02)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.data.normal_(mean=0.0, std=0.02)
            if module.padding_idx is not None:
                module.weight.data[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            module.bias.data.zero_()
            module.weight.data.fill_(1.0)

    def encode(self, input_ids, attention_mask):
        positions = torch.arange(input_ids.size(1), device=input_ids.device).unsqueeze(0).expand_as(input_ids)
        x = self.dropout(self.emb_norm(self.tok_emb(input_ids) + self.pos_emb(positions)))
        return self.encoder(x, src_key_padding_mask=attention_mask == 0)

    def forward(self, input_ids, attention_mask):
        return self.decoder(self.transform(self.encode(input_ids, attention_mask)))


def mask_tokens(inputs, attention_mask, vocab_size, mlm_probability=0.15):
    labels = inputs.clone()
    probability_matrix = torch.full(labels.shape, mlm_probability)
    special = (inputs == PAD) | (inputs == CLS) | (inputs == SEP)
    probability_matrix.masked_fill_(special, value=0.0)
    masked_indices = torch.bernoulli(probability_matrix).bool()
    labels[~masked_indices] = -100
    indices_replaced = torch.bernoulli(torch.full(labels.shape, 0.8)).bool() & masked_indices
    inputs = inputs.clone()
    inputs[indices_replaced] = MASK
    indices_random = torch.bernoulli(torch.full(labels.shape, 0.5)).bool() & masked_indices & ~indices_replaced
    random_words = torch.randint(vocab_size, labels.shape, dtype=torch.long)
    inputs[indices_random] = random_words[indices_random]
    return inputs, labels


def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps, last_epoch=-1):
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        return max(0.0, float(num_training_steps - current_step)
                   / float(max(1, num_training_steps - num_warmup_steps)))
    return LambdaLR(optimizer, lr_lambda, last_epoch)


def make_corpus(rng, n, vocab_size, max_len):
    """Sentences in which every token is followed by one of two tokens: something to learn."""
    ids = np.full((n, max_len), PAD, dtype=np.int64)
    mask = np.zeros((n, max_len), dtype=np.int64)
    for i in range(n):
        length = rng.randint(6, max_len - 1)
        tok = [rng.randint(4, vocab_size)]
        for _ in range(length - 1):
            tok.append(4 + (tok[-1] * 3 + rng.randint(0, 2)) % (vocab_size - 4))
        row = [CLS] + tok[: max_len - 2] + [SEP]
        ids[i, :len(row)] = row
        mask[i, :len(row)] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


def main():
    parser = argparse.ArgumentParser(description="BERT-style masked LM")
    parser.add_argument("--vocab", type=int, default=40)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    input_ids, attention_mask = make_corpus(rng, 256, args.vocab, 16)
    model = BertForMaskedLM(args.vocab, max_len=16, dropout=0.0)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    tied = model.decoder.weight.data_ptr() == model.tok_emb.weight.data_ptr()

    no_decay = ["bias", "LayerNorm.weight", "norm", "emb_norm.weight"]
    optimizer_grouped_parameters = [
        {"params": [p for n, p in model.named_parameters() if not any(nd in n for nd in no_decay)],
         "weight_decay": args.weight_decay},
        {"params": [p for n, p in model.named_parameters() if any(nd in n for nd in no_decay)],
         "weight_decay": 0.0},
    ]
    group_sizes = [len(g["params"]) for g in optimizer_grouped_parameters]
    optimizer = torch.optim.AdamW(optimizer_grouped_parameters, lr=args.lr, eps=1e-8)
    scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=5, num_training_steps=args.steps)
    loss_fct = nn.CrossEntropyLoss()

    # A fixed masking (every 4th real token), to compare the forward pass on shared weights.
    fixed_labels = input_ids[:32].clone()
    pick = (torch.arange(16) % 4 == 2).unsqueeze(0) & (attention_mask[:32] == 1) & (input_ids[:32] > SEP)
    fixed_labels[~pick] = -100
    fixed_inputs = input_ids[:32].masked_fill(pick, MASK)
    model.eval()
    with torch.no_grad():
        logits = model(fixed_inputs, attention_mask[:32])
        eval_before = loss_fct(logits.view(-1, args.vocab), fixed_labels.view(-1)).item()
        # Sentence embeddings on the shared weights by mean pooling, the naive way (over every position) and masked.
        hidden = model.encode(input_ids[:8], attention_mask[:8])
        naive_pooled = hidden.mean(dim=1)
        m = attention_mask[:8].unsqueeze(-1).float()
        masked_pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
        sims = F.cosine_similarity(masked_pooled.unsqueeze(1), masked_pooled.unsqueeze(0), dim=-1)
    model.train()

    losses, lrs = [], []
    n = input_ids.size(0)
    for step in range(args.steps):
        start = (step * args.batch_size) % n
        batch_ids = input_ids[start:start + args.batch_size]
        batch_mask = attention_mask[start:start + args.batch_size]
        inputs, labels = mask_tokens(batch_ids, batch_mask, args.vocab)
        logits = model(inputs, batch_mask)
        loss = loss_fct(logits.view(-1, args.vocab), labels.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        lrs.append(scheduler.get_last_lr()[0])
        if step % 10 == 0:
            print(f"step {step} loss {loss.item():.4f} lr {lrs[-1]:.2e}")

    model.eval()
    with torch.no_grad():
        logits = model(fixed_inputs, attention_mask[:32])
        eval_after = loss_fct(logits.view(-1, args.vocab), fixed_labels.view(-1)).item()
        accuracy = (logits.argmax(-1)[pick] == input_ids[:32][pick]).float().mean().item()
    print("RESULT " + json.dumps({"losses": losses, "lrs": lrs, "eval_before": eval_before,
                                  "eval_after": eval_after, "accuracy": accuracy, "tied": tied,
                                  "group_sizes": group_sizes, "ppl": math.exp(eval_after),
                                  "naive_pooled": naive_pooled.tolist(), "masked_pooled": masked_pooled.tolist(),
                                  "sims": sims.tolist()}))


if __name__ == "__main__":
    main()
