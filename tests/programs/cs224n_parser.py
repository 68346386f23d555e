"""Stanford CS224n assignment 3, the neural transition-based dependency parser (Chen & Manning 2014), on a
tiny generated treebank: PartialParse with shift / left-arc / right-arc and minibatch_parse; the arc-standard
oracle and the 36 word + POS features of the stack, buffer and children; ParserModel with an
``nn.Parameter(torch.tensor(embeddings))`` table looked up by ``torch.index_select(...).view`` (and by plain
indexing, which must agree), ``nn.init.xavier_uniform_`` / ``nn.init.uniform_`` weights, ``torch.matmul``
layers and dropout; the run.py training loop (Adam, CrossEntropyLoss over ``train_y.nonzero()[1]``,
AverageMeter, the best dev UAS checkpoint through ``torch.save(state_dict)`` / ``torch.load``) and prediction
restricted to legal transitions, both the assignment's ``+ 10000 * legal`` NumPy argmax and a
``masked_fill(~legal, -inf)`` then ``torch.argmax``."""
import argparse
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

# ---- a tiny treebank ------------------------------------------------------------------------------------------
LEXICON = {"DET": ["the", "a", "every"], "ADJ": ["big", "red", "old", "small"],
           "NOUN": ["dog", "cat", "park", "tree", "man"], "VERB": ["saw", "chased", "liked"],
           "PREP": ["in", "near", "with"]}


def generate_sentence(rng):
    """NP VERB NP [PREP NP]; returns (words, pos, heads) with heads 1-based and 0 for ROOT."""
    words, pos, heads = [], [], []

    def np_phrase():
        start = len(words)
        parts = ["DET"] + ["ADJ"] * rng.randint(0, 3) + ["NOUN"]
        noun = start + len(parts)  # 1-based position of the noun
        for p in parts:
            words.append(LEXICON[p][rng.randint(len(LEXICON[p]))])
            pos.append(p)
            heads.append(noun if p != "NOUN" else None)
        return noun

    subj = np_phrase()
    words.append(LEXICON["VERB"][rng.randint(3)])
    pos.append("VERB")
    heads.append(0)
    verb = len(words)
    heads[subj - 1] = verb
    obj = np_phrase()
    heads[obj - 1] = verb
    if rng.rand() < 0.5:
        words.append(LEXICON["PREP"][rng.randint(3)])
        pos.append("PREP")
        heads.append(verb)
        prep = len(words)
        pobj = np_phrase()
        heads[pobj - 1] = prep
    return words, pos, heads


class AverageMeter:
    def __init__(self):
        self.reset()

    def reset(self):
        self.val = self.avg = self.sum = self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count


# ---- parser_transitions.py ------------------------------------------------------------------------------------
class PartialParse:
    def __init__(self, sentence):
        self.sentence = sentence
        self.stack = [0]
        self.buffer = sentence[:]
        self.dependencies = []

    def parse_step(self, transition):
        if transition == "S":
            self.stack.append(self.buffer.pop(0))
        elif transition == "LA":
            dependent = self.stack.pop(-2)
            self.dependencies.append((self.stack[-1], dependent))
        elif transition == "RA":
            dependent = self.stack.pop()
            self.dependencies.append((self.stack[-1], dependent))

    def parse(self, transitions):
        for transition in transitions:
            self.parse_step(transition)
        return self.dependencies


def minibatch_parse(sentences, model, batch_size):
    partial_parses = [PartialParse(s) for s in sentences]
    unfinished_parses = partial_parses[:]
    while unfinished_parses:
        minibatch = unfinished_parses[:batch_size]
        transitions = model.predict(minibatch)
        for pp, t in zip(minibatch, transitions):
            pp.parse_step(t)
            if len(pp.stack) == 1 and len(pp.buffer) == 0:
                unfinished_parses.remove(pp)
    return [pp.dependencies for pp in partial_parses]


# ---- parser_model.py ------------------------------------------------------------------------------------------
class ParserModel(nn.Module):
    def __init__(self, embeddings, n_features=36, hidden_size=200, n_classes=3, dropout_prob=0.5):
        super().__init__()
        self.n_features = n_features
        self.n_classes = n_classes
        self.dropout_prob = dropout_prob
        self.embed_size = embeddings.shape[1]
        self.hidden_size = hidden_size
        self.embeddings = nn.Parameter(torch.tensor(embeddings))
        self.embed_to_hidden_weight = nn.Parameter(torch.empty(self.n_features * self.embed_size, self.hidden_size))
        nn.init.xavier_uniform_(self.embed_to_hidden_weight)
        self.embed_to_hidden_bias = nn.Parameter(torch.empty(self.hidden_size))
        nn.init.uniform_(self.embed_to_hidden_bias)
        self.dropout = nn.Dropout(p=self.dropout_prob)
        self.hidden_to_logits_weight = nn.Parameter(torch.empty(self.hidden_size, self.n_classes))
        nn.init.xavier_uniform_(self.hidden_to_logits_weight)
        self.hidden_to_logits_bias = nn.Parameter(torch.empty(self.n_classes))
        nn.init.uniform_(self.hidden_to_logits_bias)

    def embedding_lookup(self, w):
        x = torch.index_select(self.embeddings, 0, w.view(-1)).view(w.shape[0], self.n_features * self.embed_size)
        return x

    def forward(self, w):
        x = self.embedding_lookup(w)
        h = F.relu(torch.matmul(x, self.embed_to_hidden_weight) + self.embed_to_hidden_bias)
        logits = torch.matmul(self.dropout(h), self.hidden_to_logits_weight) + self.hidden_to_logits_bias
        return logits


# ---- parser_utils.py ------------------------------------------------------------------------------------------
class Parser:
    def __init__(self, dataset, embed_size=16):
        words = sorted({w for ex in dataset for w in ex["words"]})
        tags = sorted(LEXICON)
        self.tok2id = {w: i for i, w in enumerate(words)}
        self.NULL, self.ROOT = len(self.tok2id), len(self.tok2id) + 1
        self.tok2id.update({"<NULL>": self.NULL, "<ROOT>": self.ROOT})
        for t in tags:
            self.tok2id["<p>:" + t] = len(self.tok2id)
        self.P_NULL, self.P_ROOT = len(self.tok2id), len(self.tok2id) + 1
        self.tok2id.update({"<p>:<NULL>": self.P_NULL, "<p>:<ROOT>": self.P_ROOT})
        self.n_tokens = len(self.tok2id)
        self.n_features = 36
        self.n_trans = 3
        self.trans = ["LA", "RA", "S"]
        self.embed_size = embed_size

    def vectorize(self, ex):
        return {"word": [self.ROOT] + [self.tok2id[w] for w in ex["words"]],
                "pos": [self.P_ROOT] + [self.tok2id["<p>:" + p] for p in ex["pos"]],
                "head": [-1] + ex["heads"]}

    def extract_features(self, stack, buf, arcs, ex):
        def get_lc(k):
            return sorted([arc[1] for arc in arcs if arc[0] == k and arc[1] < k])

        def get_rc(k):
            return sorted([arc[1] for arc in arcs if arc[0] == k and arc[1] > k], reverse=True)

        features = [self.NULL] * (3 - len(stack)) + [ex["word"][x] for x in stack[-3:]]
        features += [ex["word"][x] for x in buf[:3]] + [self.NULL] * (3 - len(buf))
        p_features = [self.P_NULL] * (3 - len(stack)) + [ex["pos"][x] for x in stack[-3:]]
        p_features += [ex["pos"][x] for x in buf[:3]] + [self.P_NULL] * (3 - len(buf))
        for i in range(2):
            if i < len(stack):
                k = stack[-i - 1]
                lc, rc = get_lc(k), get_rc(k)
                llc = get_lc(lc[0]) if len(lc) > 0 else []
                rrc = get_rc(rc[0]) if len(rc) > 0 else []
                picks = [lc[0] if len(lc) > 0 else None, rc[0] if len(rc) > 0 else None,
                         lc[1] if len(lc) > 1 else None, rc[1] if len(rc) > 1 else None,
                         llc[0] if len(llc) > 0 else None, rrc[0] if len(rrc) > 0 else None]
                features += [ex["word"][j] if j is not None else self.NULL for j in picks]
                p_features += [ex["pos"][j] if j is not None else self.P_NULL for j in picks]
            else:
                features += [self.NULL] * 6
                p_features += [self.P_NULL] * 6
        features += p_features
        assert len(features) == self.n_features
        return features

    def get_oracle(self, stack, buf, ex):
        if len(stack) < 2:
            return self.n_trans - 1
        i0, i1 = stack[-1], stack[-2]
        h0, h1 = ex["head"][i0], ex["head"][i1]
        if i1 > 0 and h1 == i0:
            return 0
        if i1 >= 0 and h0 == i1 and not any(ex["head"][x] == i0 for x in buf):
            return 1
        return None if len(buf) == 0 else 2

    def create_instances(self, examples):
        all_instances = []
        for ex in examples:
            n_words = len(ex["word"]) - 1
            stack, buf, arcs = [0], [i + 1 for i in range(n_words)], []
            instances = []
            for _ in range(n_words * 2):
                gold_t = self.get_oracle(stack, buf, ex)
                if gold_t is None:
                    break
                legal_labels = self.legal_labels(stack, buf)
                assert legal_labels[gold_t] == 1
                instances.append((self.extract_features(stack, buf, arcs, ex), legal_labels, gold_t))
                if gold_t == 2:
                    stack.append(buf[0])
                    buf = buf[1:]
                elif gold_t == 0:
                    arcs.append((stack[-1], stack[-2]))
                    stack = stack[:-2] + [stack[-1]]
                else:
                    arcs.append((stack[-2], stack[-1]))
                    stack = stack[:-1]
            all_instances += instances
        return all_instances

    def legal_labels(self, stack, buf):
        labels = [1] if len(stack) > 2 else [0]
        labels += [1] if len(stack) >= 2 else [0]
        labels += [1] if len(buf) > 0 else [0]
        return labels

    def parse(self, dataset, eval_batch_size=16, masked="numpy"):
        sentences = []
        sentence_id_to_idx = {}
        for i, example in enumerate(dataset):
            n_words = len(example["word"]) - 1
            sentence = [j + 1 for j in range(n_words)]
            sentences.append(sentence)
            sentence_id_to_idx[id(sentence)] = i
        model = ModelWrapper(self, dataset, sentence_id_to_idx, masked)
        dependencies = minibatch_parse(sentences, model, eval_batch_size)
        UAS = all_tokens = 0.0
        for i, ex in enumerate(dataset):
            head = [-1] * len(ex["word"])
            for h, t in dependencies[i]:
                head[t] = h
            for pred_h, gold_h in zip(head[1:], ex["head"][1:]):
                UAS += 1 if pred_h == gold_h else 0
                all_tokens += 1
        return UAS / all_tokens, dependencies


class ModelWrapper:
    def __init__(self, parser, dataset, sentence_id_to_idx, masked):
        self.parser, self.dataset, self.sentence_id_to_idx, self.masked = parser, dataset, sentence_id_to_idx, masked

    def predict(self, partial_parses):
        mb_x = [self.parser.extract_features(p.stack, p.buffer, p.dependencies,
                                             self.dataset[self.sentence_id_to_idx[id(p.sentence)]])
                for p in partial_parses]
        mb_x = np.array(mb_x).astype("int32")
        mb_x = torch.from_numpy(mb_x).long()
        mb_l = [self.parser.legal_labels(p.stack, p.buffer) for p in partial_parses]
        pred = self.parser.model(mb_x)
        if self.masked == "numpy":
            pred = pred.detach().numpy()
            pred = np.argmax(pred + 10000 * np.array(mb_l).astype("float32"), 1)
        else:
            legal = torch.tensor(mb_l, dtype=torch.bool)
            pred = torch.argmax(pred.masked_fill(~legal, -float("inf")), dim=1).tolist()
        return ["S" if p == 2 else ("LA" if p == 0 else "RA") for p in pred]


def minibatches(data, batch_size):
    x = np.array([d[0] for d in data])
    y = np.array([d[2] for d in data])
    one_hot = np.zeros((y.size, 3))
    one_hot[np.arange(y.size), y] = 1
    indices = np.arange(len(x))
    np.random.shuffle(indices)
    for start in range(0, len(x), batch_size):
        idx = indices[start:start + batch_size]
        yield x[idx], one_hot[idx]


# ---- run.py ---------------------------------------------------------------------------------------------------
def train_for_epoch(parser, train_data, dev_data, optimizer, loss_func, batch_size, losses):
    parser.model.train()
    loss_meter = AverageMeter()
    for i, (train_x, train_y) in enumerate(minibatches(train_data, batch_size)):
        optimizer.zero_grad()
        train_x = torch.from_numpy(train_x).long()
        train_y = torch.from_numpy(train_y.nonzero()[1]).long()
        logits = parser.model(train_x)
        loss = loss_func(logits, train_y)
        loss.backward()
        optimizer.step()
        loss_meter.update(loss.item())
        losses.append(loss.item())
    parser.model.eval()
    dev_UAS, _ = parser.parse(dev_data)
    return dev_UAS, loss_meter.avg


def train(parser, train_data, dev_data, output_path, batch_size=64, n_epochs=3, lr=0.0005):
    best_dev_UAS = 0
    optimizer = optim.Adam(parser.model.parameters(), lr=lr)
    loss_func = nn.CrossEntropyLoss()
    history, losses = [], []
    for epoch in range(n_epochs):
        dev_UAS, avg = train_for_epoch(parser, train_data, dev_data, optimizer, loss_func, batch_size, losses)
        history.append([dev_UAS, avg])
        if dev_UAS > best_dev_UAS:
            best_dev_UAS = dev_UAS
            torch.save(parser.model.state_dict(), output_path)
    return history, losses, best_dev_UAS


def main():
    parser_ = argparse.ArgumentParser(description="CS224n a3 neural dependency parser")
    parser_.add_argument("--dropout", type=float, default=0.5)
    parser_.add_argument("--epochs", type=int, default=3)
    parser_.add_argument("--init-out", default=None)
    parser_.add_argument("--init-in", default=None)
    args = parser_.parse_args()
    np.random.seed(0)
    torch.manual_seed(0)
    rng = np.random.RandomState(1)
    raw = [dict(zip(("words", "pos", "heads"), generate_sentence(rng))) for _ in range(90)]
    parser = Parser(raw)
    train_set = [parser.vectorize(ex) for ex in raw[:60]]
    dev_set = [parser.vectorize(ex) for ex in raw[60:75]]
    test_set = [parser.vectorize(ex) for ex in raw[75:]]
    train_data = parser.create_instances(train_set)
    result = {"n_tokens": parser.n_tokens, "n_instances": len(train_data), "first_features": train_data[0][0],
              "oracle": [t[2] for t in train_data[:20]]}

    # The oracle's transitions rebuild every gold tree.
    pp = PartialParse([1, 2, 3])
    result["partial_parse"] = pp.parse(["S", "S", "LA", "S", "RA", "RA"])

    embeddings_matrix = np.asarray(np.random.normal(0, 0.9, (parser.n_tokens, parser.embed_size)), dtype="float32")
    parser.model = ParserModel(embeddings_matrix, hidden_size=32, dropout_prob=args.dropout)
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in parser.model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            parser.model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    w = torch.tensor([t[0] for t in train_data[:4]])
    result["lookup_same"] = bool(torch.equal(parser.model.embedding_lookup(w),
                                             parser.model.embeddings[w].view(4, -1)))
    result["n_params"] = sum(p.numel() for p in parser.model.parameters())

    output_path = os.path.join(os.getcwd(), "model.weights")
    history, losses, best = train(parser, train_data, dev_set, output_path, n_epochs=args.epochs, lr=5e-3)
    result["history"], result["losses"], result["best_dev_UAS"] = history, losses, best
    parser.model.load_state_dict(torch.load(output_path))
    parser.model.eval()
    test_UAS, deps = parser.parse(test_set)
    test_UAS_masked, deps_masked = parser.parse(test_set, masked="torch")
    result["test_UAS"] = [test_UAS, test_UAS_masked]
    result["same_deps"] = deps == deps_masked
    result["deps0"] = deps[0]
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
