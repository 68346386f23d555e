"""``ember train --task text-classify`` and ``--task char-lm`` end to end: metrics printed, model
and tokenizer saved and reloaded to the same predictions, options the tasks do not use refused."""
import re

import numpy as np
import pytest

import ember
from ember.cli import main
from ember.text import CharRNN, CharTokenizer, TextClassifier, WordTokenizer, collate_bags
from ember.text.datasets import ShakespearePlays


def test_text_classify_task(tmp_path, capsys):
    out_file = tmp_path / "clf.safetensors"
    assert main(["train", "--task", "text-classify", "--epochs", "2", "--out", str(out_file)]) == 0
    out = capsys.readouterr().out
    acc = float(re.search(r"test accuracy: ([0-9.]+)%", out).group(1))
    majority = float(re.search(r"majority class ([0-9.]+)%", out).group(1))
    assert acc > majority + 10
    tok = WordTokenizer.load(tmp_path / "clf.tokenizer.json")
    model = TextClassifier(len(tok), 32, 4)
    model.load_state_dict(ember.load(str(out_file)))
    model.eval()
    test = ShakespearePlays("test")
    pred = model(*collate_bags([tok.encode(t) for t in test.texts])).argmax(1).numpy()
    assert float(np.mean(pred == np.array(test.targets))) * 100 == pytest.approx(acc, abs=0.01)


def test_char_lm_task(tmp_path, capsys):
    out_file = tmp_path / "lm.safetensors"
    # One epoch of five large batches: the wiring, not the quality (test_text_training checks that).
    assert main(["train", "--task", "char-lm", "--epochs", "1", "--batch-size", "256", "--lr", "0.02", "--out",
                 str(out_file)]) == 0
    out = capsys.readouterr().out
    ppl = float(re.search(r"held-out perplexity: ([0-9.]+)", out).group(1))
    uniform = int(re.search(r"uniform ([0-9]+)\)", out).group(1))
    assert uniform == 63 and ppl < 0.6 * uniform
    assert "sample:\nShall I compare thee" in out
    tok = CharTokenizer.load(tmp_path / "lm.tokenizer.json")
    model = CharRNN(len(tok), 32, 128)
    model.load_state_dict(ember.load(str(out_file)))


@pytest.mark.parametrize("task", ["text-classify", "char-lm"])
def test_unused_options_are_refused(task, tmp_path):
    with pytest.raises(SystemExit, match="--data-root is not used"):
        main(["train", "--task", task, "--data-root", str(tmp_path)])
    with pytest.raises(SystemExit, match="--resume is not supported"):
        main(["train", "--task", task, "--resume"])
