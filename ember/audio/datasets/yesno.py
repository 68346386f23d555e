"""``YESNO``: the OpenSLR "yes/no" corpus, as torchaudio.datasets.YESNO.

Layout (torchaudio's): ``root/waves_yesno.tar.gz`` unpacks into ``root/waves_yesno/`` holding 60 files
``<l1>_<l2>_..._<l8>.wav`` (8 kHz), each label 0 ("no") or 1 ("yes"), items sorted by file name.
"""
import os
from pathlib import Path

from ember.data.dataset import Dataset

from ._common import fetch_and_extract

__all__ = ["YESNO"]

_RELEASE_CONFIGS = {
    "release1": {
        "folder_in_archive": "waves_yesno",
        "url": "http://www.openslr.org/resources/1/waves_yesno.tar.gz",
        "checksum": "c3f49e0cca421f96b75b41640749167b52118f232498667ca7a5f9416aef8e73",
    }
}


class YESNO(Dataset):
    """The YesNo recordings.

    Args:
        root (str or Path): the directory holding the archive / ``waves_yesno/``.
        url (str): where to download from.
        folder_in_archive (str): the folder the archive unpacks into.
        download (bool): fetch (SHA-256 checked) and unpack if the folder is missing.

    ``ds[n]`` is ``(waveform (1, time) float32, sample_rate, labels)`` with ``labels`` a list of 8 ints.
    """

    def __init__(self, root, url=_RELEASE_CONFIGS["release1"]["url"],
                 folder_in_archive=_RELEASE_CONFIGS["release1"]["folder_in_archive"], download=False):
        root = os.fspath(root)
        archive = os.path.join(root, os.path.basename(url))
        self._path = os.path.join(root, folder_in_archive)
        if download and not os.path.isdir(self._path):
            fetch_and_extract(url, archive, root, _RELEASE_CONFIGS["release1"]["checksum"], "YESNO")
        if not os.path.isdir(self._path):
            raise RuntimeError(f"YESNO: dataset not found in {self._path}; pass download=True to download it")
        self._walker = sorted(p.stem for p in Path(self._path).glob("*.wav"))

    def _load_item(self, fileid, path):
        from .._wav import load
        labels = [int(c) for c in fileid.split("_")]
        waveform, sample_rate = load(os.path.join(path, fileid + ".wav"))
        return waveform, sample_rate, labels

    def __getitem__(self, n):
        return self._load_item(self._walker[n], self._path)

    def __len__(self):
        return len(self._walker)
