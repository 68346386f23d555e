"""The ``torch`` -> ``ember`` import alias and ``python -m ember.torch_compat``, run in subprocesses
(the real PyTorch is installed here, so the alias must override it, and only when asked)."""
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(args, tmp_path, script=None, name="prog.py"):
    if script is not None:
        (tmp_path / name).write_text(textwrap.dedent(script))
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)


IMPORTS = """
    import sys
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader
    import torchvision
    from torchvision import datasets, transforms
    print(torch.__name__, nn.__name__, F.__name__, DataLoader.__module__.split(".")[0], torchvision.__name__,
          datasets.__name__, transforms.__name__)
    print(__name__, sys.argv)
"""


def test_runner_resolves_torch_and_torchvision_to_ember(tmp_path):
    r = run(["-m", "ember.torch_compat", "prog.py", "a", "--flag"], tmp_path, IMPORTS)
    assert r.returncode == 0, r.stderr
    names, main = r.stdout.splitlines()
    assert names.split() == ["ember", "ember.nn", "ember.nn.functional", "ember", "ember.vision",
                             "ember.vision.datasets", "ember.vision.transforms"]
    assert main == "__main__ ['prog.py', 'a', '--flag']"


def test_real_torch_wins_without_the_alias(tmp_path):
    r = run(["prog.py"], tmp_path, "import torch, ember\nprint(torch.__name__, 'site-packages' in torch.__file__)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["torch", "True"]


def test_explicit_install_overrides_the_real_torch(tmp_path):
    script = """
        import sys, ember.compat
        ember.compat.install()
        assert ember.compat.is_installed() and sys.meta_path[0] is ember.compat._FINDER
        import torch, torch.optim.lr_scheduler, torchvision.transforms.functional as TF
        import ember
        assert torch is ember and torch.optim.lr_scheduler is ember.optim.lr_scheduler
        assert TF is ember.vision.transforms.functional and sys.modules["torch.optim"] is ember.optim
        x = torch.ones(2, requires_grad=True)
        (x * 3).sum().backward()
        print(x.grad.tolist())
        ember.compat.uninstall()
        assert "torch" not in sys.modules and not ember.compat.is_installed()
        import torch
        print(torch.__name__, torch.__version__)
    """
    r = run(["prog.py"], tmp_path, script)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["[3.0, 3.0]", "torch 2.13.0+cpu"]


def test_install_refuses_when_the_real_torch_is_imported(tmp_path):
    r = run(["prog.py"], tmp_path, "import torch, ember.compat\nember.compat.install()")
    assert r.returncode == 1
    assert "the real 'torch' is already imported" in r.stderr


def test_missing_module_names_the_requested_and_the_mapped_name(tmp_path):
    script = """
        try:
            import torch.no_such_thing
        except ModuleNotFoundError as e:
            print(e.name, "|", e)
        from PIL import Image  # a dependency of an existing module still fails as itself
    """
    r = run(["-m", "ember.torch_compat", "prog.py"], tmp_path, script)
    assert r.stdout.splitlines()[0] == ("torch.no_such_thing | No module named 'torch.no_such_thing' (ember.compat "
                                        "maps it to 'ember.no_such_thing', which ember does not have)")


def test_traceback_and_exit_status_are_those_of_python_script(tmp_path):
    script = """
        import sys
        import json

        def fail():
            raise ValueError("boom")

        if sys.argv[1] == "fail":
            fail()
        sys.exit(int(sys.argv[1]))
    """
    ours = run(["-m", "ember.torch_compat", "prog.py", "fail"], tmp_path, script)
    plain = run(["prog.py", "fail"], tmp_path)
    assert ours.returncode == plain.returncode == 1
    assert ours.stderr == plain.stderr
    assert ours.stderr.startswith("Traceback (most recent call last):\n")
    assert f'File "{tmp_path / "prog.py"}", line 6, in fail' in ours.stderr
    assert ours.stderr.rstrip().endswith("ValueError: boom")
    assert run(["-m", "ember.torch_compat", "prog.py", "7"], tmp_path).returncode == 7
    missing = run(["-m", "ember.torch_compat", "nope.py"], tmp_path)
    assert missing.returncode == 2 and "can't open file" in missing.stderr


def test_runs_a_module_with_dash_m(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "train.py").write_text("import sys, torch\nprint(__name__, sys.argv[1:], torch.__name__)\n")
    r = run(["-m", "ember.torch_compat", "-m", "pkg.train", "x"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "__main__ ['x'] ember"


def test_runs_code_with_dash_c(tmp_path):
    r = run(["-m", "ember.torch_compat", "-c", "import sys, torch; print(sys.argv, __name__, torch.__name__)", "x"],
            tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['-c', 'x'] __main__ ember"
    failing = run(["-m", "ember.torch_compat", "-c", "1 / 0"], tmp_path)
    plain = run(["-c", "1 / 0"], tmp_path)
    assert failing.returncode == plain.returncode == 1 and failing.stderr == plain.stderr


@pytest.mark.parametrize("argv", [[], ["-m"], ["-c"]])
def test_usage(tmp_path, argv):
    r = run(["-m", "ember.torch_compat", *argv], tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("usage: python -m ember.torch_compat")


def test_a_pytorch_training_program_runs_unchanged(tmp_path):
    script = """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        from torch.utils.data import DataLoader, TensorDataset

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(4, 16)
                self.fc2 = nn.Linear(16, 3)

            def forward(self, x):
                return self.fc2(F.relu(self.fc1(x)))

        torch.manual_seed(0)
        if torch.accelerator.is_available():
            device = torch.accelerator.current_accelerator()
        elif torch.backends.mps.is_available():
            device = torch.device("mps")
        else:
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        x = torch.randn(256, 4)
        y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
        loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
        model = Net().to(device)
        opt = optim.Adam(model.parameters(), lr=0.05)
        scheduler = optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
        for epoch in range(15):
            for xb, yb in loader:
                opt.zero_grad()
                loss = F.cross_entropy(model(xb.to(device)), yb.to(device))
                loss.backward()
                opt.step()
            scheduler.step()
        model.eval()
        with torch.no_grad():
            acc = (model(x).argmax(1) == y).float().mean().item()
        torch.save(model.state_dict(), "net.pt")
        fresh = Net()
        fresh.load_state_dict(torch.load("net.pt", map_location=device, weights_only=True))
        torch.save(model, "whole.pt")
        torch.serialization.add_safe_globals([Net])
        whole = torch.load("whole.pt", weights_only=False)
        same = all(torch.equal(m(x), model(x)) for m in (fresh.eval(), whole.eval()))
        print(type(model).__mro__[1].__module__, round(acc, 2), same, opt.param_groups[0]["lr"])
    """
    r = run(["-m", "ember.torch_compat", "prog.py"], tmp_path, script)
    assert r.returncode == 0, r.stderr
    module, acc, same, lr = r.stdout.split()
    assert module.startswith("ember.nn") and float(acc) >= 0.9 and same == "True"
    assert float(lr) == pytest.approx(0.05 * 0.5 ** 3)


def test_pytorch_module_paths_import_through_the_alias(tmp_path):
    script = """
        import torch.backends.cudnn
        import torch.nn.modules.linear
        from torch.nn.modules.module import Module
        from torch.nn.parallel import DataParallel
        from torch.utils.data.distributed import DistributedSampler
        from torch.utils.data.dataloader import default_collate
        import torch.testing, torch.jit, torch.hub, torch.version, torch.accelerator, torch.multiprocessing
        torch.backends.cudnn.benchmark = True
        assert torch.nn.modules.linear.Linear is torch.nn.Linear and Module is torch.nn.Module
        print(torch.backends.cudnn.__name__, DistributedSampler.__module__, torch.version.cuda)
    """
    r = run(["-m", "ember.torch_compat", "prog.py"], tmp_path, script)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["ember.backends.cudnn", "ember.data.distributed", "None"]


def test_spawned_dataloader_workers_get_the_alias_too(tmp_path):
    script = """
        import torch
        from torch.utils.data import DataLoader, Dataset

        class Probe(Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, i):
                import sys
                return torch.tensor([float(i), float(sys.modules["torch"].__name__ == "ember")])

        if __name__ == "__main__":
            rows = [r for batch in DataLoader(Probe(), batch_size=2, num_workers=1, multiprocessing_context="spawn")
                    for r in batch.tolist()]
            print(type(rows).__name__, rows)
    """
    r = run(["-m", "ember.torch_compat", "prog.py"], tmp_path, script)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "list [[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0]]"
