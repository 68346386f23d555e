"""A text classifier trained by a hand-rolled loop in the shape of Hugging Face's ``Trainer`` and its examples:
a tokenizer-like encoder returning ``input_ids`` / ``attention_mask`` dicts, a ``Dataset`` of dict items, a
data collator that pads with ``pad_sequence`` and stacks labels, a ``DataLoader`` with ``num_workers=2`` and a
seeded ``generator``, a model whose ``forward(**batch)`` returns a ``ModelOutput``-style dataclass with
``loss`` and ``logits`` (an ``nn.TransformerEncoder`` with ``src_key_padding_mask``, mean pooling over the
mask), AdamW with decay / no-decay parameter groups, ``get_linear_schedule_with_warmup`` as a ``LambdaLR``,
gradient accumulation, ``clip_grad_norm_``, evaluation under ``torch.no_grad()`` with accuracy and macro-F1,
early stopping on the best eval loss, and the best weights kept by ``copy.deepcopy(state_dict())`` and saved
with ``torch.save`` / restored with ``load_state_dict``."""
import argparse
import copy
import io
import json
import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader, Dataset

WORDS = ["good", "great", "fine", "bad", "awful", "poor", "the", "a", "movie", "film", "plot", "was", "is", "very",
         "not", "really"]


class Tokenizer:
    def __init__(self):
        self.vocab = {"[PAD]": 0, "[CLS]": 1, "[UNK]": 2, **{w: i + 3 for i, w in enumerate(WORDS)}}
        self.pad_token_id = 0

    def __call__(self, text, max_length=12, truncation=True):
        ids = [1] + [self.vocab.get(w, 2) for w in text.split()]
        if truncation:
            ids = ids[:max_length]
        return {"input_ids": ids, "attention_mask": [1] * len(ids)}


def make_texts(n, rng):
    texts, labels = [], []
    for _ in range(n):
        label = rng.randint(0, 3)   # 0 negative, 1 positive, 2 neutral (no sentiment word)
        words = list(rng.choice(["the", "a", "movie", "film", "plot", "was", "is", "very", "really"], rng.randint(2, 7)))
        if label == 1:
            words.insert(rng.randint(len(words) + 1), str(rng.choice(["good", "great", "fine"])))
        elif label == 0:
            words.insert(rng.randint(len(words) + 1), str(rng.choice(["bad", "awful", "poor"])))
        texts.append(" ".join(words))
        labels.append(int(label))
    return texts, labels


class TextDataset(Dataset):
    def __init__(self, texts, labels, tokenizer):
        self.encodings = [tokenizer(t) for t in texts]
        self.labels = labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        item = {k: torch.tensor(v) for k, v in self.encodings[idx].items()}
        item["labels"] = torch.tensor(self.labels[idx])
        return item


class DataCollatorWithPadding:
    def __init__(self, pad_token_id):
        self.pad_token_id = pad_token_id

    def __call__(self, features):
        batch = {"input_ids": pad_sequence([f["input_ids"] for f in features], batch_first=True,
                                           padding_value=self.pad_token_id),
                 "attention_mask": pad_sequence([f["attention_mask"] for f in features], batch_first=True,
                                                padding_value=0)}
        batch["labels"] = torch.stack([f["labels"] for f in features])
        return batch


@dataclass
class SequenceClassifierOutput:
    loss: Optional[torch.Tensor] = None
    logits: torch.Tensor = None


class TinyBertForSequenceClassification(nn.Module):
    def __init__(self, vocab_size, hidden=16, num_labels=3, max_len=16):
        super().__init__()
        self.embeddings = nn.Embedding(vocab_size, hidden, padding_idx=0)
        self.position_embeddings = nn.Embedding(max_len, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        layer = nn.TransformerEncoderLayer(hidden, 2, 32, dropout=0.0, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.classifier = nn.Linear(hidden, num_labels)
        self.num_labels = num_labels

    def forward(self, input_ids, attention_mask=None, labels=None):
        pos = torch.arange(input_ids.size(1), device=input_ids.device).unsqueeze(0)
        h = self.LayerNorm(self.embeddings(input_ids) + self.position_embeddings(pos))
        h = self.encoder(h, src_key_padding_mask=attention_mask == 0)
        mask = attention_mask.unsqueeze(-1).type_as(h)
        pooled = (h * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        logits = self.classifier(pooled)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.view(-1, self.num_labels), labels.view(-1))
        return SequenceClassifierOutput(loss=loss, logits=logits)


def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps, last_epoch=-1):
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        return max(0.0, float(num_training_steps - current_step) / float(max(1, num_training_steps - num_warmup_steps)))
    return LambdaLR(optimizer, lr_lambda, last_epoch)


def macro_f1(preds, labels, n):
    f1s = []
    for c in range(n):
        tp = ((preds == c) & (labels == c)).sum().item()
        fp = ((preds == c) & (labels != c)).sum().item()
        fn = ((preds != c) & (labels == c)).sum().item()
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(f1s) / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--accum", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(42)
    tok = Tokenizer()
    model = TinyBertForSequenceClassification(len(tok.vocab))
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    rng = np.random.RandomState(0)
    train_ds = TextDataset(*make_texts(96, rng), tok)
    eval_ds = TextDataset(*make_texts(48, rng), tok)
    collator = DataCollatorWithPadding(tok.pad_token_id)
    train_loader = DataLoader(train_ds, batch_size=8, shuffle=True, collate_fn=collator, num_workers=args.workers,
                              generator=torch.Generator().manual_seed(0), persistent_workers=args.workers > 0)
    eval_loader = DataLoader(eval_ds, batch_size=16, collate_fn=collator)
    no_decay = ["bias", "LayerNorm.weight", "norm1.weight", "norm2.weight"]
    grouped = [{"params": [p for n, p in model.named_parameters() if not any(nd in n for nd in no_decay)],
                "weight_decay": 0.01},
               {"params": [p for n, p in model.named_parameters() if any(nd in n for nd in no_decay)],
                "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(grouped, lr=5e-3, eps=1e-8)
    steps_per_epoch = math.ceil(len(train_loader) / args.accum)
    scheduler = get_linear_schedule_with_warmup(optimizer, 2, steps_per_epoch * args.epochs)
    first_batch = next(iter(train_loader))
    shapes = {k: list(v.shape) for k, v in first_batch.items()}
    history, lrs, best, best_state, patience = [], [], float("inf"), None, 0
    for epoch in range(args.epochs):
        model.train()
        running = 0.0
        for step, batch in enumerate(train_loader):
            outputs = model(**batch)
            loss = outputs.loss / args.accum
            loss.backward()
            running += loss.item()
            if (step + 1) % args.accum == 0 or step + 1 == len(train_loader):
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                lrs.append(scheduler.get_last_lr()[0])
        model.eval()
        eval_loss, preds, labels = 0.0, [], []
        with torch.no_grad():
            for batch in eval_loader:
                out = model(**batch)
                eval_loss += out.loss.item() * batch["labels"].size(0)
                preds.append(out.logits.argmax(dim=-1))
                labels.append(batch["labels"])
        preds, labels = torch.cat(preds), torch.cat(labels)
        eval_loss /= len(eval_ds)
        history.append({"train": running, "eval": eval_loss, "acc": (preds == labels).float().mean().item(),
                        "f1": macro_f1(preds, labels, 3)})
        if eval_loss < best:
            best, patience = eval_loss, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            patience += 1
            if patience >= 2:
                break
    buf = io.BytesIO()
    torch.save(best_state, buf)
    buf.seek(0)
    model.load_state_dict(torch.load(buf))
    model.eval()
    with torch.no_grad():
        batch = collator([eval_ds[i] for i in range(4)])
        final = model(**{k: v for k, v in batch.items() if k != "labels"})
    print("RESULT " + json.dumps({"history": history, "lrs": lrs, "shapes": shapes, "best": best,
                                  "final_loss_none": final.loss is None, "final_logits": final.logits.tolist()}))


if __name__ == "__main__":
    main()
