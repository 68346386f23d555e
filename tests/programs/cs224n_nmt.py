"""Stanford CS224n assignment 4, the NMT system (bidirectional LSTM encoder, LSTMCell decoder with
multiplicative attention), on a tiny synthetic "translation" (the target is the source reversed, each word
mapped to its own target word): VocabEntry / Vocab with pad_sents and to_input_tensor (``torch.t``);
ModelEmbeddings with padding_idx; encode with a Conv1d over the embeddings (``padding="same"``),
pack_padded_sequence / pad_packed_sequence, ``permute`` and the h/c projections of the concatenated final
states; decode stepping through ``torch.split(Y, 1)`` and ``torch.squeeze(Y_t, dim=0)``; step with ``torch.bmm``
attention scores, ``masked_fill_`` of the padding with ``-inf``, softmax and the combined output; the loss by
``torch.gather`` of the gold words' log-probabilities under the target mask; training with Adam,
``clip_grad_norm_``, lr decay through param_groups and the perplexity on dev; ``torch.save`` of args and
state_dict, reloaded with ``map_location=lambda storage, loc: storage``; beam search with ``torch.topk`` over
the flattened hypothesis scores, ``//`` and ``%`` back to hypothesis and word ids, and ``expand``."""
import argparse
import json
import math
import os
import sys
from collections import Counter, namedtuple
from typing import List

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

Hypothesis = namedtuple("Hypothesis", ["value", "score"])


# ---- utils.py -------------------------------------------------------------------------------------------------
def pad_sents(sents, pad_token):
    max_len = max(len(s) for s in sents)
    return [s + [pad_token] * (max_len - len(s)) for s in sents]


def batch_iter(data, batch_size, shuffle=False):
    batch_num = math.ceil(len(data) / batch_size)
    index_array = list(range(len(data)))
    if shuffle:
        np.random.shuffle(index_array)
    for i in range(batch_num):
        indices = index_array[i * batch_size: (i + 1) * batch_size]
        examples = [data[idx] for idx in indices]
        examples = sorted(examples, key=lambda e: len(e[0]), reverse=True)
        yield [e[0] for e in examples], [e[1] for e in examples]


# ---- vocab.py -------------------------------------------------------------------------------------------------
class VocabEntry:
    def __init__(self, word2id=None):
        if word2id:
            self.word2id = word2id
        else:
            self.word2id = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3}
        self.unk_id = self.word2id["<unk>"]
        self.id2word = {v: k for k, v in self.word2id.items()}

    def __getitem__(self, word):
        return self.word2id.get(word, self.unk_id)

    def __contains__(self, word):
        return word in self.word2id

    def __len__(self):
        return len(self.word2id)

    def add(self, word):
        if word not in self:
            wid = self.word2id[word] = len(self)
            self.id2word[wid] = word
            return wid
        return self[word]

    def words2indices(self, sents):
        if type(sents[0]) is list:
            return [[self[w] for w in s] for s in sents]
        return [self[w] for w in sents]

    def to_input_tensor(self, sents: List[List[str]], device: torch.device) -> torch.Tensor:
        word_ids = self.words2indices(sents)
        sents_t = pad_sents(word_ids, self["<pad>"])
        sents_var = torch.tensor(sents_t, dtype=torch.long, device=device)
        return torch.t(sents_var)

    @staticmethod
    def from_corpus(corpus, size, freq_cutoff=1):
        vocab_entry = VocabEntry()
        word_freq = Counter(w for sent in corpus for w in sent)
        valid_words = [w for w, v in word_freq.items() if v >= freq_cutoff]
        top_k_words = sorted(valid_words, key=lambda w: (-word_freq[w], w))[:size]
        for word in top_k_words:
            vocab_entry.add(word)
        return vocab_entry


class Vocab:
    def __init__(self, src_vocab, tgt_vocab):
        self.src, self.tgt = src_vocab, tgt_vocab


# ---- model_embeddings.py --------------------------------------------------------------------------------------
class ModelEmbeddings(nn.Module):
    def __init__(self, embed_size, vocab):
        super().__init__()
        self.embed_size = embed_size
        src_pad_token_idx = vocab.src["<pad>"]
        tgt_pad_token_idx = vocab.tgt["<pad>"]
        self.source = nn.Embedding(len(vocab.src), embed_size, padding_idx=src_pad_token_idx)
        self.target = nn.Embedding(len(vocab.tgt), embed_size, padding_idx=tgt_pad_token_idx)


# ---- nmt_model.py ---------------------------------------------------------------------------------------------
class NMT(nn.Module):
    def __init__(self, embed_size, hidden_size, vocab, dropout_rate=0.2):
        super().__init__()
        self.model_embeddings = ModelEmbeddings(embed_size, vocab)
        self.hidden_size = hidden_size
        self.dropout_rate = dropout_rate
        self.vocab = vocab
        self.post_embed_cnn = nn.Conv1d(embed_size, embed_size, kernel_size=2, padding="same")
        self.encoder = nn.LSTM(embed_size, hidden_size, bias=True, bidirectional=True)
        self.decoder = nn.LSTMCell(embed_size + hidden_size, hidden_size, bias=True)
        self.h_projection = nn.Linear(2 * hidden_size, hidden_size, bias=False)
        self.c_projection = nn.Linear(2 * hidden_size, hidden_size, bias=False)
        self.att_projection = nn.Linear(2 * hidden_size, hidden_size, bias=False)
        self.combined_output_projection = nn.Linear(3 * hidden_size, hidden_size, bias=False)
        self.target_vocab_projection = nn.Linear(hidden_size, len(vocab.tgt), bias=False)
        self.dropout = nn.Dropout(p=dropout_rate)

    def forward(self, source: List[List[str]], target: List[List[str]]) -> torch.Tensor:
        source_lengths = [len(s) for s in source]
        source_padded = self.vocab.src.to_input_tensor(source, device=self.device)
        target_padded = self.vocab.tgt.to_input_tensor(target, device=self.device)
        enc_hiddens, dec_init_state = self.encode(source_padded, source_lengths)
        enc_masks = self.generate_sent_masks(enc_hiddens, source_lengths)
        combined_outputs = self.decode(enc_hiddens, enc_masks, dec_init_state, target_padded)
        P = F.log_softmax(self.target_vocab_projection(combined_outputs), dim=-1)
        target_masks = (target_padded != self.vocab.tgt["<pad>"]).float()
        target_gold_words_log_prob = torch.gather(P, index=target_padded[1:].unsqueeze(-1), dim=-1).squeeze(
            -1) * target_masks[1:]
        scores = target_gold_words_log_prob.sum(dim=0)
        return scores

    def encode(self, source_padded, source_lengths):
        X = self.model_embeddings.source(source_padded)
        X = self.post_embed_cnn(X.permute(1, 2, 0)).permute(2, 0, 1)
        X = pack_padded_sequence(X, source_lengths)
        enc_hiddens, (last_hidden, last_cell) = self.encoder(X)
        enc_hiddens, _ = pad_packed_sequence(enc_hiddens)
        enc_hiddens = enc_hiddens.permute(1, 0, 2)
        init_decoder_hidden = self.h_projection(torch.cat((last_hidden[0], last_hidden[1]), 1))
        init_decoder_cell = self.c_projection(torch.cat((last_cell[0], last_cell[1]), 1))
        return enc_hiddens, (init_decoder_hidden, init_decoder_cell)

    def decode(self, enc_hiddens, enc_masks, dec_init_state, target_padded):
        target_padded = target_padded[:-1]
        dec_state = dec_init_state
        batch_size = enc_hiddens.size(0)
        o_prev = torch.zeros(batch_size, self.hidden_size, device=self.device)
        combined_outputs = []
        enc_hiddens_proj = self.att_projection(enc_hiddens)
        Y = self.model_embeddings.target(target_padded)
        for Y_t in torch.split(Y, 1, dim=0):
            Y_t = torch.squeeze(Y_t, dim=0)
            Ybar_t = torch.cat((Y_t, o_prev), dim=1)
            dec_state, o_t, e_t = self.step(Ybar_t, dec_state, enc_hiddens, enc_hiddens_proj, enc_masks)
            combined_outputs.append(o_t)
            o_prev = o_t
        combined_outputs = torch.stack(combined_outputs, dim=0)
        return combined_outputs

    def step(self, Ybar_t, dec_state, enc_hiddens, enc_hiddens_proj, enc_masks):
        dec_state = self.decoder(Ybar_t, dec_state)
        dec_hidden, dec_cell = dec_state
        e_t = torch.bmm(enc_hiddens_proj, dec_hidden.unsqueeze(2)).squeeze(2)
        if enc_masks is not None:
            e_t.data.masked_fill_(enc_masks.bool(), -float("inf"))
        alpha_t = F.softmax(e_t, dim=1)
        a_t = torch.bmm(alpha_t.unsqueeze(1), enc_hiddens).squeeze(1)
        U_t = torch.cat((a_t, dec_hidden), dim=1)
        V_t = self.combined_output_projection(U_t)
        O_t = self.dropout(torch.tanh(V_t))
        combined_output = O_t
        return dec_state, combined_output, e_t

    def generate_sent_masks(self, enc_hiddens, source_lengths):
        enc_masks = torch.zeros(enc_hiddens.size(0), enc_hiddens.size(1), dtype=torch.float)
        for e_id, src_len in enumerate(source_lengths):
            enc_masks[e_id, src_len:] = 1
        return enc_masks.to(self.device)

    def beam_search(self, src_sent, beam_size=5, max_decoding_time_step=70):
        src_sents_var = self.vocab.src.to_input_tensor([src_sent], self.device)
        src_encodings, dec_init_vec = self.encode(src_sents_var, [len(src_sent)])
        src_encodings_att_linear = self.att_projection(src_encodings)
        h_tm1 = dec_init_vec
        att_tm1 = torch.zeros(1, self.hidden_size, device=self.device)
        hypotheses = [["<s>"]]
        hyp_scores = torch.zeros(len(hypotheses), dtype=torch.float, device=self.device)
        completed_hypotheses = []
        t = 0
        while len(completed_hypotheses) < beam_size and t < max_decoding_time_step:
            t += 1
            hyp_num = len(hypotheses)
            exp_src_encodings = src_encodings.expand(hyp_num, src_encodings.size(1), src_encodings.size(2))
            exp_src_encodings_att_linear = src_encodings_att_linear.expand(
                hyp_num, src_encodings_att_linear.size(1), src_encodings_att_linear.size(2))
            y_tm1 = torch.tensor([self.vocab.tgt[hyp[-1]] for hyp in hypotheses], dtype=torch.long,
                                 device=self.device)
            y_t_embed = self.model_embeddings.target(y_tm1)
            x = torch.cat([y_t_embed, att_tm1], dim=-1)
            (h_t, cell_t), att_t, _ = self.step(x, h_tm1, exp_src_encodings, exp_src_encodings_att_linear,
                                                enc_masks=None)
            log_p_t = F.log_softmax(self.target_vocab_projection(att_t), dim=-1)
            live_hyp_num = beam_size - len(completed_hypotheses)
            continuing_hyp_scores = (hyp_scores.unsqueeze(1).expand_as(log_p_t) + log_p_t).view(-1)
            top_cand_hyp_scores, top_cand_hyp_pos = torch.topk(continuing_hyp_scores, k=live_hyp_num)
            prev_hyp_ids = top_cand_hyp_pos // len(self.vocab.tgt)
            hyp_word_ids = top_cand_hyp_pos % len(self.vocab.tgt)
            new_hypotheses, live_hyp_ids, new_hyp_scores = [], [], []
            for prev_hyp_id, hyp_word_id, cand_new_hyp_score in zip(prev_hyp_ids, hyp_word_ids, top_cand_hyp_scores):
                prev_hyp_id = prev_hyp_id.item()
                hyp_word_id = hyp_word_id.item()
                cand_new_hyp_score = cand_new_hyp_score.item()
                hyp_word = self.vocab.tgt.id2word[hyp_word_id]
                new_hyp_sent = hypotheses[prev_hyp_id] + [hyp_word]
                if hyp_word == "</s>":
                    completed_hypotheses.append(Hypothesis(value=new_hyp_sent[1:-1], score=cand_new_hyp_score))
                else:
                    new_hypotheses.append(new_hyp_sent)
                    live_hyp_ids.append(prev_hyp_id)
                    new_hyp_scores.append(cand_new_hyp_score)
            if len(completed_hypotheses) == beam_size:
                break
            live_hyp_ids = torch.tensor(live_hyp_ids, dtype=torch.long, device=self.device)
            h_tm1 = (h_t[live_hyp_ids], cell_t[live_hyp_ids])
            att_tm1 = att_t[live_hyp_ids]
            hypotheses = new_hypotheses
            hyp_scores = torch.tensor(new_hyp_scores, dtype=torch.float, device=self.device)
        if len(completed_hypotheses) == 0:
            completed_hypotheses.append(Hypothesis(value=hypotheses[0][1:], score=hyp_scores[0].item()))
        completed_hypotheses.sort(key=lambda hyp: hyp.score, reverse=True)
        return completed_hypotheses

    @property
    def device(self) -> torch.device:
        return self.model_embeddings.source.weight.device

    @staticmethod
    def load(model_path: str, vocab):
        params = torch.load(model_path, map_location=lambda storage, loc: storage)
        model = NMT(vocab=vocab, **params["args"])
        model.load_state_dict(params["state_dict"])
        return model

    def save(self, path: str):
        params = {"args": dict(embed_size=self.model_embeddings.embed_size, hidden_size=self.hidden_size,
                               dropout_rate=self.dropout_rate),
                  "state_dict": self.state_dict()}
        torch.save(params, path)


# ---- run.py ---------------------------------------------------------------------------------------------------
def evaluate_ppl(model, dev_data, batch_size=32):
    was_training = model.training
    model.eval()
    cum_loss = 0.
    cum_tgt_words = 0.
    with torch.no_grad():
        for src_sents, tgt_sents in batch_iter(dev_data, batch_size):
            loss = -model(src_sents, tgt_sents).sum()
            cum_loss += loss.item()
            tgt_word_num_to_predict = sum(len(s[1:]) for s in tgt_sents)
            cum_tgt_words += tgt_word_num_to_predict
        ppl = np.exp(cum_loss / cum_tgt_words)
    if was_training:
        model.train()
    return ppl


def make_corpus(n, rng):
    """Source sentences of 3-7 words; the target is the reversed source, word i mapped to 'T<i>'."""
    src, tgt = [], []
    for _ in range(n):
        words = [f"s{w}" for w in rng.randint(0, 10, size=rng.randint(3, 8))]
        src.append(words)
        tgt.append(["<s>"] + [f"t{w[1:]}" for w in reversed(words)] + ["</s>"])
    return list(zip(src, tgt))


def main():
    parser = argparse.ArgumentParser(description="CS224n a4 NMT")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--shuffle", type=int, default=1)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    np.random.seed(0)
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    train_data = make_corpus(96, rng)
    dev_data = make_corpus(24, rng)
    vocab = Vocab(VocabEntry.from_corpus([s for s, _ in train_data], 50),
                  VocabEntry.from_corpus([t for _, t in train_data], 50))
    model = NMT(embed_size=16, hidden_size=24, dropout_rate=args.dropout, vocab=vocab)
    model.train()
    uniform_init = 0.1
    for p in model.parameters():
        p.data.uniform_(-uniform_init, uniform_init)
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    vocab_mask = torch.ones(len(vocab.tgt))
    vocab_mask[vocab.tgt["<pad>"]] = 0
    result = {"vocab": [len(vocab.src), len(vocab.tgt)], "n_params": sum(p.numel() for p in model.parameters()),
              "input_tensor": vocab.src.to_input_tensor([["s1", "s2", "s3"], ["s4"]], model.device).tolist()}

    src_sents, tgt_sents = next(batch_iter(train_data, 4))
    source_padded = vocab.src.to_input_tensor(src_sents, model.device)
    enc_hiddens, (h0, c0) = model.encode(source_padded, [len(s) for s in src_sents])
    enc_masks = model.generate_sent_masks(enc_hiddens, [len(s) for s in src_sents])
    result["enc"] = [list(enc_hiddens.shape), enc_hiddens.sum().item(), h0.sum().item(), c0.sum().item(),
                     enc_masks.sum().item()]
    # The padded steps of the encoder output are zero.
    result["enc_pad_zero"] = float(enc_hiddens[-1, len(src_sents[-1]):].abs().sum())

    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    clip_grad = 5.0
    batch_size = 16
    losses, grad_norms, dev_ppls, lrs = [], [], [], []
    hist_valid_scores = []
    model_save_path = os.path.join(os.getcwd(), "model.bin")
    for epoch in range(args.epochs):
        for src_sents, tgt_sents in batch_iter(train_data, batch_size=batch_size, shuffle=bool(args.shuffle)):
            optimizer.zero_grad()
            example_losses = -model(src_sents, tgt_sents)
            batch_loss = example_losses.sum()
            loss = batch_loss / batch_size
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
            optimizer.step()
            losses.append(loss.item())
            grad_norms.append(grad_norm.item())
        dev_ppl = evaluate_ppl(model, dev_data, batch_size=16)
        dev_ppls.append(float(dev_ppl))
        valid_metric = -dev_ppl
        is_better = len(hist_valid_scores) == 0 or valid_metric > max(hist_valid_scores)
        hist_valid_scores.append(valid_metric)
        if is_better:
            model.save(model_save_path)
            torch.save(optimizer.state_dict(), model_save_path + ".optim")
        elif epoch >= 4:
            lr = optimizer.param_groups[0]["lr"] * 0.5
            params = torch.load(model_save_path, map_location=lambda storage, loc: storage)
            model.load_state_dict(params["state_dict"])
            optimizer.load_state_dict(torch.load(model_save_path + ".optim"))
            for param_group in optimizer.param_groups:
                param_group["lr"] = lr
        lrs.append(optimizer.param_groups[0]["lr"])
    # run.py's patience branch: back to the best checkpoint and its optimizer state, the lr halved.
    lr = optimizer.param_groups[0]["lr"] * 0.5
    params = torch.load(model_save_path, map_location=lambda storage, loc: storage)
    model.load_state_dict(params["state_dict"])
    model = model.to(torch.device("cpu"))
    optimizer.load_state_dict(torch.load(model_save_path + ".optim"))
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr
    for src_sents, tgt_sents in batch_iter(train_data, batch_size=batch_size):
        optimizer.zero_grad()
        loss = -model(src_sents, tgt_sents).sum() / batch_size
        loss.backward()
        grad_norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad).item())
        optimizer.step()
        losses.append(loss.item())
    lrs.append(optimizer.param_groups[0]["lr"])
    dev_ppls.append(float(evaluate_ppl(model, dev_data, batch_size=16)))
    model.save(model_save_path)
    result.update(losses=losses, grad_norms=grad_norms, dev_ppls=dev_ppls, lrs=lrs,
                  optim_step=int(optimizer.state_dict()["state"][0]["step"]))

    model = NMT.load(model_save_path, vocab)
    model.eval()
    hyps, scores, exact = [], [], 0
    with torch.no_grad():
        for src_sent, tgt_sent in dev_data[:6]:
            example_hyps = model.beam_search(src_sent, beam_size=3, max_decoding_time_step=12)
            hyps.append([h.value for h in example_hyps])
            scores.append([h.score for h in example_hyps])
            exact += example_hyps[0].value == tgt_sent[1:-1]
    result.update(hyps=hyps, hyp_scores=scores, exact=exact)
    flat = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.05, 0.9]]).view(-1)
    top_scores, top_pos = torch.topk(flat, k=3)
    result["topk"] = [top_scores.tolist(), (top_pos // 3).tolist(), (top_pos % 3).tolist()]
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
