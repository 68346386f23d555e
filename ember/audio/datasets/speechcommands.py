"""``SPEECHCOMMANDS``: Google's Speech Commands, as torchaudio.datasets.SPEECHCOMMANDS.

Layout (torchaudio's): the archive ``root/speech_commands_v0.02.tar.gz`` unpacks into
``root/SpeechCommands/speech_commands_v0.02/``: one folder per label holding
``<speaker>_nohash_<utterance>.wav`` (16 kHz mono), plus ``_background_noise_/`` (never an item),
``validation_list.txt`` and ``testing_list.txt`` (paths relative to that folder, one per line).
``subset='validation'`` / ``'testing'`` are those lists, ``'training'`` every other clip, None all clips.
"""
import os
from pathlib import Path

from ember.data.dataset import Dataset

from ._common import fetch_and_extract, load_waveform

__all__ = ["SPEECHCOMMANDS"]

FOLDER_IN_ARCHIVE = "SpeechCommands"
URL = "speech_commands_v0.02"
HASH_DIVIDER = "_nohash_"
EXCEPT_FOLDER = "_background_noise_"
SAMPLE_RATE = 16000
_CHECKSUMS = {
    "http://download.tensorflow.org/data/speech_commands_v0.01.tar.gz":
        "743935421bb51cccdb6bdd152e04c5c70274e935c82119ad7faeec31780d811d",
    "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz":
        "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
}


def _load_list(root, *filenames):
    out = []
    for filename in filenames:
        with open(os.path.join(root, filename), encoding="utf-8") as f:
            out += [os.path.normpath(os.path.join(root, line.strip())) for line in f if line.strip()]
    return out


def _metadata(filepath, path):
    relpath = os.path.relpath(filepath, path)
    reldir, filename = os.path.split(relpath)
    label = os.path.basename(reldir)
    speaker = os.path.splitext(os.path.splitext(filename)[0])[0]  # some test-set names end in .wav.wav
    if HASH_DIVIDER not in speaker:
        raise ValueError(f"SPEECHCOMMANDS: {relpath} is not named <speaker>{HASH_DIVIDER}<utterance>.wav")
    speaker_id, utterance = speaker.split(HASH_DIVIDER)
    return relpath, SAMPLE_RATE, label, speaker_id, int(utterance)


class SPEECHCOMMANDS(Dataset):
    """Speech Commands keyword clips.

    Args:
        root (str or Path): the directory holding the archive / ``SpeechCommands/``.
        url (str): ``'speech_commands_v0.01'``, ``'speech_commands_v0.02'`` or a URL of such an archive.
        folder_in_archive (str): the top folder under ``root`` (``'SpeechCommands'``).
        download (bool): fetch (SHA-256 checked for the two official archives) and unpack if missing.
        subset (str, optional): None, ``'training'``, ``'validation'`` or ``'testing'``.

    ``ds[n]`` is ``(waveform (1, time) float32, 16000, label, speaker_id, utterance_number)``;
    ``ds.get_metadata(n)`` gives the relative path instead of the waveform.
    """

    def __init__(self, root, url=URL, folder_in_archive=FOLDER_IN_ARCHIVE, download=False, subset=None):
        if subset is not None and subset not in ("training", "validation", "testing"):
            raise ValueError(f"SPEECHCOMMANDS: subset must be None, 'training', 'validation' or 'testing', "
                             f"got {subset!r}")
        if url in ("speech_commands_v0.01", "speech_commands_v0.02"):
            url = "http://download.tensorflow.org/data/" + url + ".tar.gz"
        root = os.fspath(root)
        self._archive = os.path.join(root, folder_in_archive)
        basename = os.path.basename(url)
        archive = os.path.join(root, basename)
        self._path = os.path.join(root, folder_in_archive, basename.rsplit(".", 2)[0])
        if download:
            if not os.path.isdir(self._path):
                fetch_and_extract(url, archive, self._path, _CHECKSUMS.get(url), "SPEECHCOMMANDS")
        elif not os.path.exists(self._path):
            raise RuntimeError(f"SPEECHCOMMANDS: the path {self._path} doesn't exist; check root or pass "
                               f"download=True to download it")
        if subset == "validation":
            self._walker = _load_list(self._path, "validation_list.txt")
        elif subset == "testing":
            self._walker = _load_list(self._path, "testing_list.txt")
        else:
            walker = sorted(str(p) for p in Path(self._path).glob("*/*.wav"))
            walker = [w for w in walker if HASH_DIVIDER in w and EXCEPT_FOLDER not in w]
            if subset == "training":
                excludes = set(_load_list(self._path, "validation_list.txt", "testing_list.txt"))
                walker = [w for w in walker if os.path.normpath(w) not in excludes]
            self._walker = walker

    def get_metadata(self, n):
        """``(relative path, sample_rate, label, speaker_id, utterance_number)`` of item ``n``."""
        return _metadata(self._walker[n], self._archive)

    def __getitem__(self, n):
        metadata = self.get_metadata(n)
        return (load_waveform(self._archive, metadata[0], metadata[1]),) + metadata[1:]

    def __len__(self):
        return len(self._walker)
