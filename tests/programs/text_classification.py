"""News-topic classification in the manner of the torchtext tutorial "Text classification with the
torchtext library": a basic_english-style tokenizer, a vocabulary built with collections.Counter,
text and label pipelines, a collate_batch that concatenates token ids and builds offsets with
torch.tensor(offsets[:-1]).cumsum(dim=0), nn.EmbeddingBag(mode="mean"), weights initialized with
uniform_, SGD at lr 5 with StepLR(optimizer, 1.0, gamma=0.1) and clip_grad_norm_(0.1), an
IterableDataset for training and random_split for validation."""
import argparse
import json
import re
import time
from collections import Counter, OrderedDict

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, IterableDataset, random_split

TOPICS = {1: "world", 2: "sports", 3: "business", 4: "scitech"}
WORDS = {
    1: "war president election minister country government peace treaty".split(),
    2: "game team season coach win score player league".split(),
    3: "stock market price company profit shares bank trade".split(),
    4: "software computer internet space research phone chip data".split(),
}
COMMON = "the a of in to and on for with said new today has".split()


def make_news(rng, n):
    rows = []
    for _ in range(n):
        label = rng.randint(1, 5)
        words = list(rng.choice(COMMON, rng.randint(4, 10))) + list(rng.choice(WORDS[label], rng.randint(1, 4)))
        rng.shuffle(words)
        rows.append((label, " ".join(words).capitalize() + "."))
    return rows


def basic_english(line):
    line = line.lower()
    line = re.sub(r"([.,!?])", r" \1 ", line)
    return line.split()


class NewsIterable(IterableDataset):
    def __init__(self, rows):
        self.rows = rows

    def __iter__(self):
        return iter(self.rows)


class Vocab:
    def __init__(self, ordered, specials=("<unk>",)):
        self.itos = list(specials) + [t for t in ordered if t not in specials]
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        self.default_index = 0

    def __len__(self):
        return len(self.itos)

    def __call__(self, tokens):
        return [self.stoi.get(t, self.default_index) for t in tokens]


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        embedded = self.embedding(text, offsets)
        return self.fc(embedded)


def main():
    parser = argparse.ArgumentParser(description="EmbeddingBag text classification")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5.0)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    train_iter, test_rows = make_news(rng, 320), make_news(rng, 80)

    counter = Counter()
    for _, text in train_iter:
        counter.update(basic_english(text))
    sorted_by_freq = sorted(counter.items(), key=lambda x: (-x[1], x[0]))
    vocab = Vocab(OrderedDict(sorted_by_freq))
    text_pipeline = lambda x: vocab(basic_english(x))  # noqa: E731 - as the tutorial writes it
    label_pipeline = lambda x: int(x) - 1  # noqa: E731

    def collate_batch(batch):
        label_list, text_list, offsets = [], [], [0]
        for _label, _text in batch:
            label_list.append(label_pipeline(_label))
            processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
            text_list.append(processed_text)
            offsets.append(processed_text.size(0))
        label_list = torch.tensor(label_list, dtype=torch.int64)
        offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
        text_list = torch.cat(text_list)
        return label_list, text_list, offsets

    num_class = len(set(label for (label, _) in train_iter))
    model = TextClassificationModel(len(vocab), 16, num_class)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})

    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
    split_train, split_valid = random_split(test_rows, [0.75, 0.25], generator=torch.Generator().manual_seed(42))
    train_dataloader = DataLoader(NewsIterable(train_iter), batch_size=args.batch_size, collate_fn=collate_batch)
    test_dataloader = DataLoader(test_rows, batch_size=args.batch_size, shuffle=False, collate_fn=collate_batch)

    def evaluate(dataloader):
        model.eval()
        total_acc, total_count, total_loss = 0, 0, 0.0
        with torch.no_grad():
            for idx, (label, text, offsets) in enumerate(dataloader):
                predicted_label = model(text, offsets)
                total_loss += criterion(predicted_label, label).item() * label.size(0)
                total_acc += (predicted_label.argmax(1) == label).sum().item()
                total_count += label.size(0)
        return total_acc / total_count, total_loss / total_count

    losses, history, lrs = [], [], []
    total_accu = None
    for epoch in range(1, args.epochs + 1):
        epoch_start_time = time.time()
        model.train()
        for idx, (label, text, offsets) in enumerate(train_dataloader):
            optimizer.zero_grad()
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            losses.append(loss.item())
        accu_val, loss_val = evaluate(test_dataloader)
        if total_accu is not None and total_accu > accu_val:
            scheduler.step()
        else:
            total_accu = accu_val
        lrs.append(scheduler.get_last_lr()[0])
        history.append([accu_val, loss_val])
        print(f"| end of epoch {epoch:3d} | time: {time.time() - epoch_start_time:5.2f}s | "
              f"valid accuracy {accu_val:8.3f} ")

    ex_text_str = "The team won the game with a late score by their best player in the league."
    with torch.no_grad():
        text = torch.tensor(text_pipeline(ex_text_str))
        predicted = model(text, torch.tensor([0])).argmax(1).item() + 1
    print("RESULT " + json.dumps({"losses": losses, "history": history, "lrs": lrs, "vocab_size": len(vocab),
                                  "num_class": num_class, "predicted": TOPICS[predicted],
                                  "split_sizes": [len(split_train), len(split_valid)]}))


if __name__ == "__main__":
    main()
