"""``ember train --task wakeword`` and ``python -m ember.audio.detect`` as a user runs them (in process,
one short epoch and short recordings: the metrics themselves are checked in test_wakeword.py)."""
import numpy as np
import pytest

import ember
import ember.audio
from ember.audio import detect as detect_cli
from ember.audio.wakeword import KeywordSpotter, data
from ember.cli import main
from ember.cli.tasks import wakeword as task


def test_train_task_reports_and_saves_then_detect_prints_times(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(task, "STREAM_SECONDS", 30)
    out = tmp_path / "kws.safetensors"
    assert main(["train", "--task", "wakeword", "--epochs", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "test accuracy:" in text and "unseen speakers" in text
    assert "false alarms =" in text and "per hour" in text and "detected within 0.5 s" in text
    model = KeywordSpotter()
    model.load_state_dict(ember.load(str(out)))            # the saved file is the model's state_dict
    # an earlier run's file is not replaced without --overwrite
    with pytest.raises(SystemExit, match="--overwrite"):
        main(["train", "--task", "wakeword", "--epochs", "1", "--out", str(out)])
    with pytest.raises(SystemExit, match="--epochs must be >= 1"):
        main(["train", "--task", "wakeword", "--epochs", "0", "--out", str(tmp_path / "x.safetensors")])

    # the detector on a stereo 22.05 kHz WAV: channels averaged, resampled to 16 kHz, one line per detection
    stream, truth = data.make_stream(data.load_sample(), 12, np.random.default_rng(0), wake_every=5.0)
    wave = ember.from_numpy(np.stack([stream, stream]))
    wave22 = ember.audio.transforms.Resample(16000, 22050)(wave)
    path = tmp_path / "rec.wav"
    ember.audio.save(path, wave22, 22050, bits_per_sample=16)
    truth_file = tmp_path / "truth.txt"
    np.savetxt(truth_file, truth)
    assert detect_cli.main([str(out), str(path), "--truth", str(truth_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].split()[0].isdigit() and "detections in 12.0 s" in lines[-2]
    assert lines[-1].startswith(f"against {len(truth)} true times")
    assert all(line[2] == ":" and "ember  (p = " in line for line in lines[:-2])
