"""Programs whose only link to torch is ``torch.manual_seed``: with ember's generator equal to torch's
(MT19937 and ATen's transforms, see ember/random.py), they draw the same initial weights, batches,
dropout masks and samples, so their losses agree to float32 round-off, not just "fall alike".

Uses the harness of test_programs.py; each program runs once on torch and once on ember.
"""
import pytest

from tests.programs.test_programs import MNIST, Run, _write_data, close, get, run_spec, spec_for

RUNS = [
    Run("seeded_mingpt_sort", "mingpt_sort.py", []),
    Run("seeded_makemore_gru", "makemore.py", ["-i", "{names}", "--type", "gru"]),
    Run("seeded_vae", "vae.py", ["--data", MNIST]),
    Run("seeded_nanogpt", "nanogpt_train.py", ["--compile", "0"]),
    Run("seeded_reinforce", "reinforce.py", []),
    Run("seeded_forward_forward", "forward_forward.py", ["--data", MNIST]),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("seeded_programs"))
    paths = _write_data(root)
    theirs = run_spec(root, spec_for(RUNS, root, "torch", paths), "torch")
    ours = run_spec(root, spec_for(RUNS, root, "ember", paths), "ember")
    return theirs, ours


def test_mingpt_sort_matches_torch_step_for_step(results):
    # test_programs.py checks only that the loss "falls alike" (start within 5%, ratio within 25%)
    t, e = get(results, "seeded_mingpt_sort")
    close(e["losses"][:20], t["losses"][:20], rtol=1e-4)  # then float32 round-off grows (AdamW on a tiny GPT)
    close(e["losses"], t["losses"], rtol=0.08)
    assert e["accuracy"] == pytest.approx(t["accuracy"], abs=0.05)  # greedy decoding on round-off-close logits


def test_makemore_gru_matches_torch_step_for_step(results):
    # random_split by randperm, shuffled DataLoader, default init, multinomial sampling: all torch's draws
    t, e = get(results, "seeded_makemore_gru")
    close(e["losses"], t["losses"], rtol=1e-4)
    close(e["best"], t["best"], rtol=1e-4)
    assert e["samples"] == t["samples"]


def test_vae_matches_torch_without_shared_weights(results):
    # own init, randn_like reparameterization noise and shuffled batches, all from manual_seed
    t, e = get(results, "seeded_vae")
    close(e["train"], t["train"], rtol=1e-5)
    close(e["test"], t["test"], rtol=1e-5)
    close(e["sample_range"], t["sample_range"], rtol=1e-5)


def test_nanogpt_matches_torch_step_for_step(results):
    # batches from torch.randint and init from manual_seed(1337); both runs eager here
    t, e = get(results, "seeded_nanogpt")
    close(e["train"], t["train"], rtol=1e-4)
    close(e["evals"], t["evals"], rtol=1e-4)
    for key in ("sample_len", "resumed_iter", "tied", "n_params"):
        assert e[key] == t[key], key


def test_reinforce_plays_torch_episodes(results):
    # Categorical.sample is torch's multinomial: the same actions, so the same episode lengths
    t, e = get(results, "seeded_reinforce")
    assert e["lengths"] == t["lengths"]
    close(e["losses"], t["losses"], rtol=1e-3)
    assert e["running_reward"] == pytest.approx(t["running_reward"], rel=1e-5)


def test_forward_forward_matches_torch_step_for_step(results):
    # test_programs.py: "falls alike"; here the positive/negative data and init are torch's draws
    t, e = get(results, "seeded_forward_forward")
    close(e["losses"], t["losses"], rtol=1e-5)
    assert e["train_error"] == pytest.approx(t["train_error"], abs=1e-6)
    assert e["test_error"] == pytest.approx(t["test_error"], abs=1e-6)
