"""Text that ships with ember: five works of Shakespeare (public domain; see ``_data/README.md``).

``load_shakespeare(work)`` returns one work's text, its sha256 checked. ``ShakespearePlays``
is a text-classification set built from the four plays: every speech, without its speaker's
name and stage directions, labelled with the play it comes from. Speeches are grouped in runs of
20 consecutive speeches and every fifth run is the test split (about 20%), so a test speech's
neighbours are not in the training split.

>>> text = load_shakespeare("sonnets")
>>> text[:11]
'THE SONNETS'
>>> train = ShakespearePlays("train")
>>> train.classes
['hamlet', 'macbeth', 'midsummer_nights_dream', 'romeo_and_juliet']
>>> speech, label = train[0]
>>> isinstance(speech, str), label
(True, 0)
"""
import gzip
import hashlib
import os
import re

from ember.data.dataset import Dataset

__all__ = ["WORKS", "PLAYS", "load_shakespeare", "shakespeare_speeches", "ShakespearePlays"]

_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_data", "shakespeare")

# sha256 of each work's uncompressed text (as in _data/README.md)
WORKS = {
    "hamlet": "bbe5635616c6e0e0bcf01b7b8c324be8b42451c51848f11c283bd2f4442b1e0a",
    "macbeth": "54e1d8055ffa2aec7e831ec43044dd646cacdfce5bf333fa81e6af9c0363c3b7",
    "midsummer_nights_dream": "fe198104bcbcfa38bbf24c21073844dcbc5be6b8b7cd1bb76a68099f12667152",
    "romeo_and_juliet": "6a5e0c9ee103a9bd95d8b045f5c53f66779b45b198788db458075f828a0425f4",
    "sonnets": "edb826e5a801c955ab21026b3660306838fbf29ec29ea01886b2854c6d639b55",
}
PLAYS = ("hamlet", "macbeth", "midsummer_nights_dream", "romeo_and_juliet")

# A speaker line: a short name in capitals or title case, perhaps with a final period
# ("Ham.", "FIRST WITCH.", "LADY CAPULET", "Lady M."), and nothing else on the line.
_SPEAKER = re.compile(r"^[A-Z][A-Za-z']*(?: [A-Z][A-Za-z']*\.?){0,3}\.?$")
_DIRECTION = re.compile(r"\[[^\]]*\]", re.S)


def load_shakespeare(work):
    """The text of ``work`` (one of ``WORKS``), checked against its sha256."""
    if work not in WORKS:
        raise ValueError(f"load_shakespeare: work must be one of {', '.join(WORKS)}, got {work!r}")
    path = os.path.join(_DIR, f"{work}.txt.gz")
    with gzip.open(path, "rb") as f:
        raw = f.read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != WORKS[work]:
        raise RuntimeError(f"load_shakespeare: {path} is damaged (sha256 {digest}, expected {WORKS[work]}); "
                           f"reinstall ember")
    return raw.decode("ascii")


def shakespeare_speeches(work, min_words=4):
    """The speeches of a play, in order, as strings without speaker names or stage directions."""
    text = _DIRECTION.sub(" ", load_shakespeare(work))
    speeches = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        if len(lines) < 2 or not _SPEAKER.match(lines[0]) or len(lines[0]) > 30:
            continue
        body = " ".join(lines[1:])
        if re.match(r"^(ACT|SCENE|Scene)\b", lines[0]) or len(body.split()) < min_words:
            continue
        speeches.append(body)
    return speeches


class ShakespearePlays(Dataset):
    """Which play is a speech from? ``ds[i]`` is ``(speech, label)`` with ``label`` in ``0..3``.

    Args:
        split (str): ``"train"`` or ``"test"``.
        min_words (int): speeches with fewer words are left out.

    Attributes:
        classes (list[str]): the plays, in label order.
        texts (list[str]), targets (list[int]): the speeches and their labels.
    """

    def __init__(self, split="train", min_words=4):
        if split not in ("train", "test"):
            raise ValueError(f"ShakespearePlays: split must be 'train' or 'test', got {split!r}")
        self.split = split
        self.classes = list(PLAYS)
        self.texts, self.targets = [], []
        for label, play in enumerate(PLAYS):
            for k, speech in enumerate(shakespeare_speeches(play, min_words)):
                if ((k // 20) % 5 == 4) == (split == "test"):
                    self.texts.append(speech)
                    self.targets.append(label)

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, index):
        return self.texts[index], self.targets[index]

    def __repr__(self):
        return f"Dataset ShakespearePlays\n    Number of speeches: {len(self)} (split={self.split})"
