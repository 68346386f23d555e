"""A program run by ``ember.torch_compat`` sees ember as the PyTorch it follows: ``torch.__version__`` compares
as a version of 2.13 (so version checks take the current code paths) and dtypes print as ``torch.float32`` (layouts,
memory formats and sparse tensors as torch's too),
in the program and in the processes it spawns; ember imported as itself keeps its own version and names."""
import os
import subprocess
import sys

import torch

import ember
from ember.version import TorchVersion

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROGRAM = """
import torch, torch.multiprocessing as mp
from packaging import version

def child(i, q):
    q.put([str(torch.float16), torch.__version__ >= "2.0"])

if __name__ == "__main__":
    print(torch.__version__.split("+")[0], torch.__version__ >= "1.6", torch.__version__ >= (2, 13),
          torch.__version__ < "2.14", version.parse(torch.__version__) >= version.parse("2.1"))
    print(str(torch.float32), torch.ones(2, dtype=torch.int64).dtype, repr(torch.quint8), repr(torch.channels_last))
    # layouts and memory formats print as torch's (str too), and so does a sparse tensor
    print(str(torch.strided), torch.ones(1).layout, f"{torch.sparse_csr}", torch.preserve_format)
    s = torch.sparse_coo_tensor([[0, 1], [1, 0]], [1., 2.], (2, 2), dtype=torch.float64)
    print(s, s.layout, s.to_sparse_csr())
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    mp.spawn(child, args=(q,), nprocs=1)
    print(q.get())
"""


def _run(args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env=dict(os.environ, PYTHONPATH=ROOT))


def test_a_torch_program_sees_torchs_version_and_dtype_names(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(PROGRAM)
    ours, theirs = _run(["-m", "ember.torch_compat", str(script)]), _run([str(script)])
    assert ours.returncode == 0, ours.stderr
    assert theirs.returncode == 0, theirs.stderr
    assert ours.stdout.splitlines()[1:] == theirs.stdout.splitlines()[1:]
    assert ours.stdout.splitlines()[0] == "2.13.0 True True True True"
    assert theirs.stdout.splitlines()[0].startswith(torch.__version__.split("+")[0][:4])


def test_ember_keeps_its_own_version_and_names_in_process():
    assert ember.__version__ == "0.1.0" and repr(ember.float32) == "ember.float32"


def test_torch_version_compares_as_torchs_does():
    ours = TorchVersion("2.13.0+ember0.1.0")
    theirs = torch.torch_version.TorchVersion("2.13.0+cpu")
    for other in ("2.0", "2.13", "2.13.0", "2.13.1", "1.13.1", (2, 13), (2, 12, 9), (3,)):
        assert (ours >= other, ours < other, ours > other) == (theirs >= other, theirs < other, theirs > other), other
    assert TorchVersion("2.13.0") == "2.13" and TorchVersion("2.13.0+a") != "2.13.0"
