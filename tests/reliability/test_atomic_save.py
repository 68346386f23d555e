"""Saving keeps permissions, writes through symlinks, and never leaves or trusts temp files."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import torch

import ember
from ember import nn
from ember.io.atomic import atomic_write


def _state():
    return nn.Linear(3, 2).state_dict()


def test_keeps_the_destinations_permission_bits(tmp_path):
    path = tmp_path / "w.safetensors"
    ember.save(_state(), path)
    os.chmod(path, 0o640)
    ember.save(_state(), path)
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o640)


def test_new_file_gets_the_umask_mode_as_open_would(tmp_path):
    old = os.umask(0o027)
    try:
        ember.save(_state(), tmp_path / "a.safetensors")
        with open(tmp_path / "b", "wb"):
            pass
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "a.safetensors").st_mode & 0o777 == os.stat(tmp_path / "b").st_mode & 0o777


def test_writes_through_a_symlink_as_torch_save_does(tmp_path):
    real = tmp_path / "real.pt"
    link = tmp_path / "latest.pt"
    ember.save(_state(), real)
    os.symlink(real, link)
    sd = {"w": ember.ones(4)}
    ember.save(sd, link)
    assert os.path.islink(link), "the link must stay a link"
    assert ember.load(real)["w"].tolist() == [1.0] * 4
    # torch does the same with its own format
    torch.save({"w": torch.ones(1)}, link)
    assert os.path.islink(link)


def test_failure_leaves_the_old_file_and_no_temp_file(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as f:
            f.write(b"partial")
            raise RuntimeError("boom")
    assert path.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["x.bin"]


def test_temp_file_of_a_killed_writer_is_ignored_and_cleaned(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    ember.save({"w": ember.zeros(2)}, path)
    code = textwrap.dedent(f"""
        import os, signal
        from ember.io.atomic import atomic_write
        with atomic_write({str(path)!r}) as f:
            f.write(b"half a checkpoint")
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    r = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert r.returncode == -signal.SIGKILL
    orphans = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(orphans) == 1 and orphans[0].startswith(".ckpt.safetensors.")
    assert ember.load(path)["w"].tolist() == [0.0, 0.0]           # the old file is intact
    ember.save({"w": ember.ones(2)}, path)
    assert sorted(os.listdir(tmp_path)) == ["ckpt.safetensors"]    # the orphan is gone
    assert ember.load(path)["w"].tolist() == [1.0, 1.0]


def test_a_live_writers_temp_file_is_left_alone(tmp_path):
    path = tmp_path / "f.bin"
    live = tmp_path / f".f.bin.{os.getppid()}.abcd.tmp"   # our parent is alive
    live.write_bytes(b"in progress")
    with atomic_write(path) as f:
        f.write(b"new")
    assert live.exists() and path.read_bytes() == b"new"
