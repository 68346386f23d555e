"""TextClassifier and CharRNN against the same networks in PyTorch with the same weights:
outputs and every parameter's gradient; collate_bags' layout."""
import numpy as np
import pytest
import torch

import ember
from ember.text import CharRNN, TextClassifier, collate_bags


def copy_into_torch(model, tmodel):
    tmodel.load_state_dict({k: torch.tensor(v.numpy().copy()) for k, v in model.state_dict().items()})


def compare_grads(model, tmodel):
    tparams = dict(tmodel.named_parameters())
    assert set(tparams) == set(dict(model.named_parameters()))
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


class TorchClassifier(torch.nn.Module):
    def __init__(self, v, d, c):
        super().__init__()
        self.embedding = torch.nn.EmbeddingBag(v, d, mode="mean")
        self.dropout = torch.nn.Dropout(0.0)
        self.fc = torch.nn.Linear(d, c)

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))


def test_text_classifier_matches_torch():
    ember.manual_seed(0)
    model = TextClassifier(20, 6, 3)
    tmodel = TorchClassifier(20, 6, 3)
    copy_into_torch(model, tmodel)
    text, offsets = collate_bags([[1, 2, 3], [4, 4], [], [19, 0, 7, 7, 7]])
    labels = np.array([0, 2, 1, 2])
    out = model(text, offsets)
    tout = tmodel(torch.from_numpy(text.numpy()), torch.from_numpy(offsets.numpy()))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    ember.nn.functional.cross_entropy(out, ember.from_numpy(labels)).backward()
    torch.nn.functional.cross_entropy(tout, torch.from_numpy(labels)).backward()
    compare_grads(model, tmodel)


class TorchCharRNN(torch.nn.Module):
    def __init__(self, v, e, h, layers):
        super().__init__()
        self.embed = torch.nn.Embedding(v, e)
        self.gru = torch.nn.GRU(e, h, num_layers=layers, batch_first=True)
        self.drop = torch.nn.Dropout(0.0)
        self.head = torch.nn.Linear(h, v)

    def forward(self, x, h=None):
        out, h = self.gru(self.embed(x), h)
        return self.head(out), h


@pytest.mark.parametrize("layers", [1, 2])
def test_char_rnn_matches_torch(layers):
    ember.manual_seed(1)
    model = CharRNN(11, 5, 7, num_layers=layers)
    tmodel = TorchCharRNN(11, 5, 7, layers)
    copy_into_torch(model, tmodel)
    x = np.random.default_rng(0).integers(0, 11, (3, 6))
    y = np.random.default_rng(1).integers(0, 11, (3, 6))
    logits, h = model(ember.from_numpy(x))
    tlogits, th = tmodel(torch.from_numpy(x))
    np.testing.assert_allclose(logits.detach().numpy(), tlogits.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h.detach().numpy(), th.detach().numpy(), rtol=1e-4, atol=1e-5)
    ember.nn.functional.cross_entropy(logits.reshape(-1, 11), ember.from_numpy(y.reshape(-1))).backward()
    torch.nn.functional.cross_entropy(tlogits.reshape(-1, 11), torch.from_numpy(y.reshape(-1))).backward()
    compare_grads(model, tmodel)


def test_char_rnn_generate_is_seeded_and_continues_the_state():
    ember.manual_seed(2)
    model = CharRNN(9, 4, 8)
    a = model.generate([1, 2], 15, generator=np.random.default_rng(5))
    b = model.generate([1, 2], 15, generator=np.random.default_rng(5))
    assert a == b and a[:2] == [1, 2] and len(a) == 17 and all(0 <= t < 9 for t in a)
    # Greedy (temperature -> 0) generation equals feeding the whole sequence at once.
    g = model.generate([3], 6, temperature=1e-9, generator=np.random.default_rng(0))
    logits, _ = model(ember.tensor([g[:-1]]))
    assert logits[0].argmax(-1).tolist() == g[1:]
    with pytest.raises(ValueError, match="at least one token"):
        model.generate([], 3)


def test_collate_bags_layout_and_bigrams():
    text, offsets = collate_bags([[3, 4, 5], [6]], ngrams=2, vocab_size=10)
    assert offsets.tolist() == [0, 5]
    t = text.tolist()
    assert t[:3] == [3, 4, 5] and t[5] == 6 and all(10 <= x < 20 for x in t[3:5])
    with pytest.raises(ValueError, match="ngrams=2 needs vocab_size"):
        collate_bags([[1]], ngrams=2)
