"""The BiLSTM-CRF of PyTorch's "Advanced: Making Dynamic Decisions" tutorial, as people copy it: ``argmax``
via ``torch.max(vec, 1)``, ``log_sum_exp`` with a broadcast max, the forward algorithm over ``torch.full``
initial alphas, the gold path score from ``torch.cat`` of a ``torch.tensor`` start tag, Viterbi decoding with
backpointers, a bidirectional ``nn.LSTM`` fed ``view(len(sentence), 1, -1)`` embeddings with ``torch.randn``
initial states; then a batched CRF (as in pytorch-crf) with a ``mask``, ``torch.logsumexp`` recursions,
``torch.where`` on the mask, ``gather`` of emissions, ``pack_padded_sequence`` into the BiLSTM, and
``torch.nn.utils.clip_grad_norm_``."""
import argparse
import json

import torch
import torch.nn as nn
import torch.optim as optim
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

START_TAG, STOP_TAG = "<START>", "<STOP>"


def argmax(vec):
    _, idx = torch.max(vec, 1)
    return idx.item()


def prepare_sequence(seq, to_ix):
    return torch.tensor([to_ix[w] for w in seq], dtype=torch.long)


def log_sum_exp(vec):
    max_score = vec[0, argmax(vec)]
    max_score_broadcast = max_score.view(1, -1).expand(1, vec.size()[1])
    return max_score + torch.log(torch.sum(torch.exp(vec - max_score_broadcast)))


class BiLSTM_CRF(nn.Module):
    def __init__(self, vocab_size, tag_to_ix, embedding_dim, hidden_dim):
        super().__init__()
        self.hidden_dim, self.tag_to_ix, self.tagset_size = hidden_dim, tag_to_ix, len(tag_to_ix)
        self.word_embeds = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim // 2, num_layers=1, bidirectional=True)
        self.hidden2tag = nn.Linear(hidden_dim, self.tagset_size)
        self.transitions = nn.Parameter(torch.randn(self.tagset_size, self.tagset_size))
        self.transitions.data[tag_to_ix[START_TAG], :] = -10000
        self.transitions.data[:, tag_to_ix[STOP_TAG]] = -10000
        self.hidden = self.init_hidden()

    def init_hidden(self):
        return (torch.randn(2, 1, self.hidden_dim // 2), torch.randn(2, 1, self.hidden_dim // 2))

    def _forward_alg(self, feats):
        init_alphas = torch.full((1, self.tagset_size), -10000.)
        init_alphas[0][self.tag_to_ix[START_TAG]] = 0.
        forward_var = init_alphas
        for feat in feats:
            alphas_t = []
            for next_tag in range(self.tagset_size):
                emit_score = feat[next_tag].view(1, -1).expand(1, self.tagset_size)
                trans_score = self.transitions[next_tag].view(1, -1)
                next_tag_var = forward_var + trans_score + emit_score
                alphas_t.append(log_sum_exp(next_tag_var).view(1))
            forward_var = torch.cat(alphas_t).view(1, -1)
        terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
        return log_sum_exp(terminal_var)

    def _get_lstm_features(self, sentence):
        self.hidden = self.init_hidden()
        embeds = self.word_embeds(sentence).view(len(sentence), 1, -1)
        lstm_out, self.hidden = self.lstm(embeds, self.hidden)
        return self.hidden2tag(lstm_out.view(len(sentence), self.hidden_dim))

    def _score_sentence(self, feats, tags):
        score = torch.zeros(1)
        tags = torch.cat([torch.tensor([self.tag_to_ix[START_TAG]], dtype=torch.long), tags])
        for i, feat in enumerate(feats):
            score = score + self.transitions[tags[i + 1], tags[i]] + feat[tags[i + 1]]
        return score + self.transitions[self.tag_to_ix[STOP_TAG], tags[-1]]

    def _viterbi_decode(self, feats):
        backpointers = []
        init_vvars = torch.full((1, self.tagset_size), -10000.)
        init_vvars[0][self.tag_to_ix[START_TAG]] = 0
        forward_var = init_vvars
        for feat in feats:
            bptrs_t, viterbivars_t = [], []
            for next_tag in range(self.tagset_size):
                next_tag_var = forward_var + self.transitions[next_tag]
                best_tag_id = argmax(next_tag_var)
                bptrs_t.append(best_tag_id)
                viterbivars_t.append(next_tag_var[0][best_tag_id].view(1))
            forward_var = (torch.cat(viterbivars_t) + feat).view(1, -1)
            backpointers.append(bptrs_t)
        terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
        best_tag_id = argmax(terminal_var)
        path_score = terminal_var[0][best_tag_id]
        best_path = [best_tag_id]
        for bptrs_t in reversed(backpointers):
            best_tag_id = bptrs_t[best_tag_id]
            best_path.append(best_tag_id)
        start = best_path.pop()
        assert start == self.tag_to_ix[START_TAG]
        best_path.reverse()
        return path_score, best_path

    def neg_log_likelihood(self, sentence, tags):
        feats = self._get_lstm_features(sentence)
        return self._forward_alg(feats) - self._score_sentence(feats, tags)

    def forward(self, sentence):
        return self._viterbi_decode(self._get_lstm_features(sentence))


class BatchCRF(nn.Module):
    """A batch-first CRF with a mask (pytorch-crf's recursions)."""

    def __init__(self, num_tags):
        super().__init__()
        self.start_transitions = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.end_transitions = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags).uniform_(-0.1, 0.1))

    def forward(self, emissions, tags, mask):
        b, t, _ = emissions.shape
        maskf = mask.float()
        score = self.start_transitions[tags[:, 0]] + emissions[:, 0].gather(1, tags[:, :1]).squeeze(1)
        for i in range(1, t):
            step = self.transitions[tags[:, i - 1], tags[:, i]] + emissions[:, i].gather(1, tags[:, i:i + 1]).squeeze(1)
            score = score + step * maskf[:, i]
        seq_ends = mask.long().sum(dim=1) - 1
        score = score + self.end_transitions[tags.gather(1, seq_ends.unsqueeze(1)).squeeze(1)]
        alpha = self.start_transitions + emissions[:, 0]
        for i in range(1, t):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.transitions + emissions[:, i].unsqueeze(1), dim=1)
            alpha = torch.where(mask[:, i].unsqueeze(1), nxt, alpha)
        denominator = torch.logsumexp(alpha + self.end_transitions, dim=1)
        return (denominator - score).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    torch.manual_seed(1)
    training_data = [("the wall street journal reported today that apple corporation made money".split(),
                      "B I I I O O O B I O O".split()),
                     ("georgia tech is a university in georgia".split(), "B I O O O O B".split())]
    word_to_ix = {}
    for sentence, tags in training_data:
        for word in sentence:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)
    tag_to_ix = {"B": 0, "I": 1, "O": 2, START_TAG: 3, STOP_TAG: 4}
    model = BiLSTM_CRF(len(word_to_ix), tag_to_ix, 5, 4)
    optimizer = optim.SGD(model.parameters(), lr=0.01, weight_decay=1e-4)
    with torch.no_grad():
        before = model(prepare_sequence(training_data[0][0], word_to_ix))
    losses = []
    for _ in range(args.epochs):
        for sentence, tags in training_data:
            model.zero_grad()
            loss = model.neg_log_likelihood(prepare_sequence(sentence, word_to_ix),
                                            torch.tensor([tag_to_ix[t] for t in tags], dtype=torch.long))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with torch.no_grad():
        after = model(prepare_sequence(training_data[0][0], word_to_ix))

    # batched: padded sentences through a packed BiLSTM and a masked CRF
    seqs = [prepare_sequence(s, word_to_ix) for s, _ in training_data]
    tags = [torch.tensor([tag_to_ix[t] for t in ts]) for _, ts in training_data]
    lengths = torch.tensor([len(s) for s in seqs])
    x, y = pad_sequence(seqs, batch_first=True), pad_sequence(tags, batch_first=True, padding_value=2)
    mask = torch.arange(x.size(1))[None, :] < lengths[:, None]
    emb, lstm, proj, crf = nn.Embedding(len(word_to_ix), 6), nn.LSTM(6, 4, batch_first=True, bidirectional=True), \
        nn.Linear(8, 3), BatchCRF(3)
    params = [*emb.parameters(), *lstm.parameters(), *proj.parameters(), *crf.parameters()]
    opt = optim.Adam(params, lr=0.05)
    batch_losses, norms = [], []
    for _ in range(5):
        opt.zero_grad()
        packed = pack_padded_sequence(emb(x), lengths, batch_first=True, enforce_sorted=False)
        out, _ = lstm(packed)
        out, out_lens = pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
        loss = crf(proj(out), y, mask)
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, 1.0)))
        opt.step()
        batch_losses.append(loss.item())
    print("RESULT " + json.dumps({
        "losses": losses, "before": [before[0].item(), before[1]], "after": [after[0].item(), after[1]],
        "batch_losses": batch_losses, "norms": norms, "out_lens": out_lens.tolist(), "mask": mask.sum(1).tolist(),
        "trans": model.transitions.detach()[:3, :3].tolist(),
    }))


if __name__ == "__main__":
    main()
