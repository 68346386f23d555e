"""AG_NEWS (torchtext's): news headlines with descriptions in 4 classes.

``AG_NEWS(root=".data", split=("train", "test"))`` downloads ``train.csv`` (120,000 rows) and
``test.csv`` (7,600 rows) into ``root/AG_NEWS`` from torchtext's URLs, checks their md5, and
yields ``(label, text)``: ``label`` is 1 World, 2 Sports, 3 Business, 4 Sci/Tech (as in the
file) and ``text`` is the title and description joined by a space, as torchtext gives them.

Example (with the files already in ``.data/AG_NEWS``)::

    train_iter = AG_NEWS(split="train")
    label, text = next(iter(train_iter))
"""
import csv
import os

from ember.text.datasets._common import TextIterable, fetch, splits

URL = {
    "train": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/train.csv",
    "test": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/test.csv",
}
MD5 = {"train": "b1a00f826fdfbd249f79597b59e1dc12", "test": "d52ea96a97a2d943681189a97654912d"}


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            if row:
                yield int(row[0]), " ".join(row[1:])


def AG_NEWS(root=".data", split=("train", "test")):
    """torchtext.datasets.AG_NEWS: iterable ``(label, text)`` datasets for ``split``."""
    folder = os.path.join(root, "AG_NEWS")

    def make(s):
        path = fetch("AG_NEWS", URL[s], MD5[s], os.path.join(folder, f"{s}.csv"))
        return TextIterable("AG_NEWS", s, path, _rows)
    return splits("AG_NEWS", split, ("train", "test"), make)
