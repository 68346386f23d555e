"""WikiText2 (torchtext's): Wikipedia articles for language modelling, tokenized, one line per item.

``WikiText2(root=".data", split=("train", "valid", "test"))`` downloads ``wikitext-2-v1.zip``
into ``root/WikiText2`` from torchtext's URL, checks its md5, unpacks ``wiki.{split}.tokens``
and yields its lines with their newline, as torchtext does (the language-modelling tutorial
tokenizes them and builds its vocabulary from them).

Example (with the archive already in ``.data/WikiText2``)::

    train_iter = WikiText2(split="train")
    vocab = build_vocab_from_iterator(map(get_tokenizer("basic_english"), train_iter), specials=["<unk>"])
"""
import os
import zipfile

from ember.io.atomic import write_atomic
from ember.text.datasets._common import TextIterable, fetch, splits

URL = "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip"
MD5 = "542ccefacc6c27f945fb54453812b3cd"
_MEMBER = "wikitext-2/wiki.{}.tokens"


def _lines(path):
    with open(path, encoding="utf-8", newline="") as f:
        yield from f


def WikiText2(root=".data", split=("train", "valid", "test")):
    """torchtext.datasets.WikiText2: iterable datasets of lines for ``split``."""
    folder = os.path.join(root, "WikiText2")

    def make(s):
        path = os.path.join(folder, _MEMBER.format(s))
        if not os.path.isfile(path):
            archive = fetch("WikiText2", URL, MD5, os.path.join(folder, "wikitext-2-v1.zip"))
            # Only the known member is read and written under its own name: no path stored in
            # the archive can point elsewhere.
            with zipfile.ZipFile(archive) as z:
                if _MEMBER.format(s) not in z.namelist():
                    raise RuntimeError(f"WikiText2: {archive} has no {_MEMBER.format(s)}")
                os.makedirs(os.path.dirname(path), exist_ok=True)
                write_atomic(path, z.read(_MEMBER.format(s)))
        return TextIterable("WikiText2", s, path, _lines)
    return splits("WikiText2", split, ("train", "valid", "test"), make)
