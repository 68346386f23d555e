"""torchtext's names in ember.text (``import torchtext`` under ember.compat): AG_NEWS and
WikiText2 fetched from a local HTTP server by their real code paths (md5 checked, nothing kept
on a mismatch, no second download), torchtext.data / functional / transforms semantics, and the
torchtext text-classification tutorial's pipeline run through ``python -m ember.torch_compat``."""
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile

import pytest

import ember
from ember.text import build_vocab_from_iterator
from ember.text import functional as TF
from ember.text import transforms as T
from ember.text.data import ngrams_iterator, numericalize_tokens_from_iterator, to_map_style_dataset
from ember.text.datasets import AG_NEWS, WikiText2, ag_news, wikitext
from ember.vision.datasets import DownloadError
from tests._http import FileServer

ROWS = [("3", "Wall St. Bears Claw Back", "Short-sellers, Wall Street's dwindling band, are seeing green again."),
        ("4", "Space probe, \"quoted\"", "A probe reached orbit,\nwith a newline in the field."),
        ("2", "Cup final", "The home side won 2-1.")]


def _csv(rows):
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode()


def _md5(data):
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def ag_server(monkeypatch):
    files = {"/train.csv": _csv(ROWS), "/test.csv": _csv(ROWS[:1])}
    with FileServer(files) as server:
        monkeypatch.setattr(ag_news, "URL", {s: server.url + f"/{s}.csv" for s in ("train", "test")})
        monkeypatch.setattr(ag_news, "MD5", {s: _md5(files[f"/{s}.csv"]) for s in ("train", "test")})
        yield server


def test_ag_news_downloads_checks_and_parses_like_torchtext(ag_server, tmp_path):
    train, test = AG_NEWS(root=str(tmp_path))
    assert os.path.isfile(tmp_path / "AG_NEWS" / "train.csv")
    # torchtext: (int label, title and description joined by one space); quoted commas, quotes
    # and newlines inside fields survive.
    expected = [(int(r[0]), r[1] + " " + r[2]) for r in ROWS]
    assert list(train) == expected and list(train) == expected  # every pass reads the file again
    assert len(train) == 3 and list(test) == expected[:1]
    assert sorted(ag_server.requests) == ["/test.csv", "/train.csv"]
    only = AG_NEWS(root=str(tmp_path), split="test")  # present with the right md5: not fetched again
    assert list(only) == expected[:1] and len(ag_server.requests) == 2
    assert [list(d) for d in AG_NEWS(root=str(tmp_path), split=("test", "train"))] == [expected[:1], expected]


def test_ag_news_bad_checksum_keeps_nothing_and_split_names_are_checked(ag_server, tmp_path, monkeypatch):
    monkeypatch.setattr(ag_news, "MD5", {"train": "0" * 32, "test": "0" * 32})
    with pytest.raises(DownloadError, match="checksum"):
        AG_NEWS(root=str(tmp_path), split="train")
    assert not os.path.exists(tmp_path / "AG_NEWS" / "train.csv")
    with pytest.raises(ValueError, match="AG_NEWS: split must be one of.*'valid'"):
        AG_NEWS(root=str(tmp_path), split="valid")


def _wikitext_zip():
    texts = {s: f" = Article {s} = \n \n The {s} text , with @-@ tokens . \n" for s in ("train", "valid", "test")}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for s, t in texts.items():
            z.writestr(f"wikitext-2/wiki.{s}.tokens", t)
        z.writestr("../outside.txt", "never written")
    return buf.getvalue(), texts


def test_wikitext2_downloads_unpacks_and_yields_lines_with_newlines(tmp_path, monkeypatch):
    archive, texts = _wikitext_zip()
    with FileServer({"/wikitext-2-v1.zip": archive}) as server:
        monkeypatch.setattr(wikitext, "URL", server.url + "/wikitext-2-v1.zip")
        monkeypatch.setattr(wikitext, "MD5", _md5(archive))
        train, valid, test = WikiText2(root=str(tmp_path))
        assert server.requests == ["/wikitext-2-v1.zip"]
    for ds, s in ((train, "train"), (valid, "valid"), (test, "test")):
        assert list(ds) == texts[s].splitlines(keepends=True)
    assert not os.path.exists(tmp_path / "outside.txt") and not os.path.exists(tmp_path / "WikiText2" / ".." / "outside.txt")
    # Unpacked files are reused without the server.
    assert list(WikiText2(root=str(tmp_path), split="valid")) == texts["valid"].splitlines(keepends=True)


def test_data_utils_and_functional_follow_torchtext():
    assert list(ngrams_iterator(["a", "b", "c", "d"], 3)) == ["a", "b", "c", "d", "a b", "b c", "c d", "a b c", "b c d"]
    assert list(ngrams_iterator(["a"], 2)) == ["a"]
    ds = to_map_style_dataset((i, str(i)) for i in range(5))
    assert len(ds) == 5 and ds[3] == (3, "3")
    vocab = {"a": 0, "b": 1, "c": 2}
    assert [list(ids) for ids in numericalize_tokens_from_iterator(vocab, [["a", "c"], ["b", "a"]], ["a"])] == [[2], [1]]


def test_functional_and_transforms():
    t = TF.to_tensor([[5, 6, 7], [8]], padding_value=1)
    assert t.dtype == ember.long and t.tolist() == [[5, 6, 7], [8, 1, 1]]
    assert TF.to_tensor([1, 2]).tolist() == [1, 2]
    with pytest.raises(ValueError, match="to_tensor: rows of different lengths need a padding_value"):
        TF.to_tensor([[1, 2], [3]])
    assert TF.add_token([[1], [2, 3]], 9, begin=False) == [[1, 9], [2, 3, 9]]
    vocab = build_vocab_from_iterator([["x", "y", "y"]], specials=["<pad>", "<bos>", "<unk>"])
    vocab.set_default_index(vocab["<unk>"])
    pipe = T.Sequential(T.VocabTransform(vocab), T.Truncate(3), T.AddToken(vocab["<bos>"]), T.ToTensor(0))
    out = pipe([["y", "x", "zzz", "x"], ["x"]])
    assert out.tolist() == [[1, vocab["y"], vocab["x"], 2], [1, vocab["x"], 0, 0]]
    assert T.PadTransform(6, -1)(out).shape == (2, 6) and T.PadTransform(6, -1)(out)[0, 4:].tolist() == [-1, -1]
    assert T.StrToIntTransform()(["1", "22"]) == [1, 22]


TUTORIAL = r"""
import json, sys
import torch, torchtext, torchaudio
from torch import nn
from torch.utils.data import DataLoader
from torchtext.data.utils import get_tokenizer
from torchtext.vocab import build_vocab_from_iterator
from torchtext.data.functional import to_map_style_dataset
from torchtext.datasets import AG_NEWS
import torchtext.datasets.ag_news as ag

root, url, md5 = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
ag.URL, ag.MD5 = url, md5
tokenizer = get_tokenizer("basic_english")
train_iter = AG_NEWS(root=root, split="train")
vocab = build_vocab_from_iterator((tokenizer(t) for _, t in train_iter), specials=["<unk>"])
vocab.set_default_index(vocab["<unk>"])
text_pipeline = lambda x: vocab(tokenizer(x))
label_pipeline = lambda x: int(x) - 1

def collate_batch(batch):
    label_list, text_list, offsets = [], [], [0]
    for _label, _text in batch:
        label_list.append(label_pipeline(_label))
        processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
        text_list.append(processed_text)
        offsets.append(processed_text.size(0))
    return torch.tensor(label_list, dtype=torch.int64), torch.cat(text_list), torch.tensor(offsets[:-1]).cumsum(dim=0)

class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))

torch.manual_seed(0)
ds = to_map_style_dataset(train_iter)
model = TextClassificationModel(len(vocab), 8, 4)
opt = torch.optim.SGD(model.parameters(), lr=5.0)
losses = []
for epoch in range(30):
    for label, text, offsets in DataLoader(ds, batch_size=8, shuffle=False, collate_fn=collate_batch):
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(text, offsets), label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        opt.step()
        losses.append(loss.item())
mel = torchaudio.transforms.MelSpectrogram(sample_rate=8000, n_fft=64, n_mels=8)(torch.zeros(1, 400))
print("RESULT " + json.dumps({"torch": torch.__name__, "torchtext": torchtext.__name__, "torchaudio": torchaudio.__name__,
                              "losses": losses, "n": len(ds), "mel": list(mel.shape)}))
"""


def test_torchtext_tutorial_pipeline_runs_through_the_alias(ag_server, tmp_path):
    url = json.dumps({s: ag_server.url + f"/{s}.csv" for s in ("train", "test")})
    md5 = json.dumps(ag_news.MD5)
    proc = subprocess.run([sys.executable, "-m", "ember.torch_compat", "-c", TUTORIAL, str(tmp_path), url, md5],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.split("RESULT ", 1)[1])
    assert (result["torch"], result["torchtext"], result["torchaudio"]) == ("ember", "ember.text", "ember.audio")
    assert result["n"] == 3 and result["mel"] == [1, 8, 400 // 32 + 1]
    assert result["losses"][-1] < 0.5 * result["losses"][0]  # three news items: learned by heart
