"""The shipped texts: checksums verified on load (a damaged file is refused), speeches parsed
without speaker names or stage directions, train and test splits disjoint."""
import gzip

import pytest

from ember.text import datasets
from ember.text.datasets import shakespeare
from ember.text.datasets import PLAYS, WORKS, ShakespearePlays, load_shakespeare, shakespeare_speeches


def test_every_work_loads_and_matches_its_readme():
    readme = open(datasets._DIR + "/../README.md", encoding="utf-8").read()
    for work, digest in WORKS.items():
        assert digest in readme
        assert len(load_shakespeare(work)) > 90_000


def test_damaged_file_is_refused(tmp_path, monkeypatch):
    (tmp_path / "macbeth.txt.gz").write_bytes(gzip.compress(b"Fair is foul", mtime=0))
    monkeypatch.setattr(shakespeare, "_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match="macbeth.txt.gz is damaged .*expected 54e1d805"):
        load_shakespeare("macbeth")
    with pytest.raises(ValueError, match="work must be one of hamlet"):
        load_shakespeare("king_lear")


def test_speeches_have_no_speakers_or_directions():
    speeches = shakespeare_speeches("macbeth")
    assert len(speeches) > 400
    assert "When shall we three meet again? In thunder, lightning, or in rain?" in speeches
    assert not any("[" in s or "]" in s or s.startswith("FIRST WITCH") for s in speeches)
    assert all(len(s.split()) >= 4 for s in speeches)


def test_splits_are_disjoint_and_labelled():
    train, test = ShakespearePlays("train"), ShakespearePlays("test")
    assert train.classes == list(PLAYS)
    assert 0.15 < len(test) / (len(train) + len(test)) < 0.25
    assert set(train.targets) == set(test.targets) == {0, 1, 2, 3}
    # Disjoint by construction (runs of speeches); only stock phrases can recur in both.
    shared = set(train.texts) & set(test.texts)
    assert len(shared) < 0.01 * len(test) and all(len(s) < 60 for s in shared)
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'val'"):
        ShakespearePlays("val")
