"""torchaudio.datasets SPEECHCOMMANDS and YESNO: download=True from a local HTTP server serving tar.gz
archives laid out as the real ones (built here with tarfile and 16-bit PCM WAVs written by the standard
library's wave module), SHA-256 checked, unpacked where torchaudio puts them, and read back: waveforms
compared with the int16 samples / 32768, metadata with the file names, subsets with the list files."""
import hashlib
import io
import tarfile
import wave

import numpy as np
import pytest

import ember
from ember.audio.datasets import SPEECHCOMMANDS, YESNO, speechcommands, yesno
from ember.vision.datasets import DownloadError
from tests._http import FileServer


def wav_bytes(samples, rate):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, "<i2").tobytes())
    return buffer.getvalue()


def tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def clip(seed, n=160):
    return np.random.default_rng(seed).integers(-30000, 30000, n).astype(np.int16)


def test_speechcommands_download_layout_subsets_and_items(tmp_path, monkeypatch):
    clips = {"yes/aaa_nohash_0.wav": clip(1), "yes/bbb_nohash_1.wav": clip(2), "no/aaa_nohash_3.wav": clip(3),
             "no/ccc_nohash_2.wav": clip(4)}
    members = {f"./{name}": wav_bytes(s, 16000) for name, s in clips.items()}
    members["./_background_noise_/white_noise.wav"] = wav_bytes(clip(5), 16000)  # never an item
    members["./up/ddd_nohash_0.wav"] = wav_bytes(clip(6), 8000)                  # wrong rate: an error on load
    members["./validation_list.txt"] = b"no/aaa_nohash_3.wav\n"
    members["./testing_list.txt"] = b"yes/bbb_nohash_1.wav\nup/ddd_nohash_0.wav\n"
    members["../outside.txt"] = b"must not be written"
    archive = tar_gz(members)
    with FileServer({"/data/speech_commands_v0.02.tar.gz": archive}) as server:
        url = server.url + "/data/speech_commands_v0.02.tar.gz"
        monkeypatch.setitem(speechcommands._CHECKSUMS, url, hashlib.sha256(archive).hexdigest())
        full = SPEECHCOMMANDS(tmp_path / "root", url=url, download=True)
        training = SPEECHCOMMANDS(tmp_path / "root", url=url, subset="training", download=True)
        assert server.requests == ["/data/speech_commands_v0.02.tar.gz"]
    folder = tmp_path / "root" / "SpeechCommands" / "speech_commands_v0.02"
    assert (folder / "yes" / "aaa_nohash_0.wav").read_bytes() == members["./yes/aaa_nohash_0.wav"]
    assert (tmp_path / "root" / "speech_commands_v0.02.tar.gz").read_bytes() == archive
    assert not (tmp_path / "outside.txt").exists() and not (tmp_path / "root" / "outside.txt").exists()
    assert len(full) == 5  # four clips and the 8 kHz one; no background noise
    assert [training.get_metadata(i)[0] for i in range(len(training))] == [
        "speech_commands_v0.02/no/ccc_nohash_2.wav", "speech_commands_v0.02/yes/aaa_nohash_0.wav"]
    waveform, rate, label, speaker, utterance = training[1]
    assert (rate, label, speaker, utterance) == (16000, "yes", "aaa", 0)
    assert waveform.dtype == ember.float32 and tuple(waveform.shape) == (1, 160)
    np.testing.assert_allclose(waveform.numpy()[0], clips["yes/aaa_nohash_0.wav"] / 32768.0, rtol=0, atol=1e-7)
    validation = SPEECHCOMMANDS(tmp_path / "root", url=url, subset="validation")
    assert len(validation) == 1 and validation[0][2:] == ("no", "aaa", 3)
    testing = SPEECHCOMMANDS(tmp_path / "root", url=url, subset="testing")
    assert testing[0][2:] == ("yes", "bbb", 1)
    with pytest.raises(ValueError, match="sample rate should be 16000, but got 8000"):
        testing[1]
    with pytest.raises(ValueError, match="subset must be None, 'training', 'validation' or 'testing', got 'train'"):
        SPEECHCOMMANDS(tmp_path / "root", url=url, subset="train")


def test_speechcommands_wrong_sha256_and_missing_folder(tmp_path, monkeypatch):
    archive = tar_gz({"./validation_list.txt": b""})
    with FileServer({"/d/speech_commands_v0.01.tar.gz": archive}) as server:
        url = server.url + "/d/speech_commands_v0.01.tar.gz"
        official = speechcommands._CHECKSUMS["http://download.tensorflow.org/data/speech_commands_v0.01.tar.gz"]
        monkeypatch.setitem(speechcommands._CHECKSUMS, url, official)
        with pytest.raises(DownloadError, match=f"sha256 {hashlib.sha256(archive).hexdigest()}, expected {official}"):
            SPEECHCOMMANDS(tmp_path, url=url, download=True)
    assert not (tmp_path / "speech_commands_v0.01.tar.gz").exists()
    with pytest.raises(RuntimeError, match="SpeechCommands/speech_commands_v0.02 doesn't exist"):
        SPEECHCOMMANDS(tmp_path)


def test_yesno_download_and_items(tmp_path, monkeypatch):
    names = ["1_1_0_0_1_0_1_1", "0_1_0_0_1_0_1_1"]
    clips = {n: clip(i, 80) for i, n in enumerate(names)}
    members = {f"waves_yesno/{n}.wav": wav_bytes(s, 8000) for n, s in clips.items()}
    members["waves_yesno/README"] = b"yes/no"
    archive = tar_gz(members)
    with FileServer({"/r/1/waves_yesno.tar.gz": archive}) as server:
        url = server.url + "/r/1/waves_yesno.tar.gz"
        with pytest.raises(DownloadError, match=f"expected {yesno._RELEASE_CONFIGS['release1']['checksum']}"):
            YESNO(tmp_path, url=url, download=True)
        monkeypatch.setitem(yesno._RELEASE_CONFIGS["release1"], "checksum", hashlib.sha256(archive).hexdigest())
        ds = YESNO(tmp_path, url=url, download=True)
        assert len(server.requests) == 2
    assert len(ds) == 2
    waveform, rate, labels = ds[0]  # sorted by name: 0_1_... first
    assert rate == 8000 and labels == [0, 1, 0, 0, 1, 0, 1, 1]
    np.testing.assert_allclose(waveform.numpy()[0], clips[names[1]] / 32768.0, rtol=0, atol=1e-7)
    assert ds[1][2] == [1, 1, 0, 0, 1, 0, 1, 1]
    assert len(YESNO(tmp_path)) == 2  # the unpacked folder is found without download
    with pytest.raises(RuntimeError, match="dataset not found"):
        YESNO(tmp_path / "empty")
