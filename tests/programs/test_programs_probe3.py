"""A third set of programs written to find where unseen PyTorch code breaks on ember: a Fourier Neural Operator
with complex spectral weights, the BiLSTM-CRF tutorial with a batched masked CRF, Kipf's GCN on a sparse
adjacency, a RealNVP flow and torch.distributions transforms, metric learning (contrastive, batch-hard triplet,
ArcFace and the margin losses), a torch.utils.data pipeline (IterableDataset sharded over workers, samplers,
collate functions), a multi-label tagger logged with SummaryWriter and read back by tensorboard, Hamiltonian
neural networks with torch.autograd.functional and torch.func, a checkpointed / compiled / grad-scaled
transformer with EMA and SWA, PointNet, an SGLD-trained energy-based model with spectral norm, a capsule network
with dynamic routing, and a LLaMA-style model saved mid-run (dataclass config, argparse Namespace, RNG
states) and resumed, and STFT-mask speech enhancement (stft / istft, polar, a mel filterbank, SI-SDR, FFT
convolution, windows). Each runs on real torch and through ``python -m ember.torch_compat`` with the harness of
:mod:`tests.programs.test_programs`; the models start from ``torch.manual_seed`` initializations and draw
from torch's stream (or a ``torch.Generator``), which ember reproduces, so the numbers agree to float32
round-off."""
import numpy as np
import pytest

from tests.programs.test_programs import Run, close, get, run_spec, spec_for

RUNS = [
    Run("fno_spectral", "fno_spectral.py", []),
    Run("bilstm_crf", "bilstm_crf.py", []),
    Run("pygcn_sparse", "pygcn_sparse.py", []),
    Run("realnvp_flow", "realnvp_flow.py", []),
    Run("metric_learning", "metric_learning.py", []),
    Run("data_pipeline", "data_pipeline.py", []),
    Run("multilabel_tensorboard", "multilabel_tensorboard.py", []),
    Run("hamiltonian_nn", "hamiltonian_nn.py", []),
    # inductor draws dropout masks from its own generator: torch's run stays eager, ember's compiles
    Run("efficient_training", "efficient_training.py", [], torch_args=["--compile", "0"],
        ember_args=["--compile", "1"]),
    Run("pointnet_cls", "pointnet_cls.py", []),
    Run("ebm_langevin", "ebm_langevin.py", []),
    Run("capsnet", "capsnet.py", []),
    Run("resume_checkpoint", "resume_checkpoint.py", []),
    Run("speech_enhancement", "speech_enhancement.py", []),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("programs_probe3"))
    return (run_spec(root, spec_for(RUNS, root, "torch"), "torch"),
            run_spec(root, spec_for(RUNS, root, "ember"), "ember"))


def _same(e, t, keys):
    for key in keys:
        assert e[key] == t[key], (key, e[key], t[key])


def test_fno_spectral(results):
    # complex weights from torch.rand(dtype=cfloat), rfft/irfft and rfft2/irfft2, complex einsum; Adam steps the
    # complex parameters as pairs of reals (their einsum-made gradients are not C-contiguous)
    t, e = get(results, "fno_spectral")
    close(e["train"], t["train"], rtol=1e-4)
    close(e["test"], t["test"], rtol=1e-4)
    close([e["w_abs"], *e["w_grad"]], [t["w_abs"], *t["w_grad"]], rtol=1e-4, atol=1e-6)
    close(e["conv2"], t["conv2"], rtol=1e-5)
    close(e["conv2_grad"], t["conv2_grad"], rtol=1e-5)
    close(e["spec"][0] + e["spec"][1], t["spec"][0] + t["spec"][1], rtol=1e-6, atol=1e-6)
    close(e["angle"], t["angle"], rtol=1e-6)
    _same(e, t, ["n_params", "dtype", "lr"])
    assert e["spec"][2] == t["spec"][2]


def test_bilstm_crf(results):
    t, e = get(results, "bilstm_crf")
    close(e["losses"], t["losses"], rtol=1e-5)
    close([e["before"][0], e["after"][0]], [t["before"][0], t["after"][0]], rtol=1e-5)
    assert e["before"][1] == t["before"][1] and e["after"][1] == t["after"][1]   # the Viterbi paths
    close(e["batch_losses"], t["batch_losses"], rtol=1e-5)
    close(e["norms"], t["norms"], rtol=1e-5)
    close(e["trans"], t["trans"], rtol=1e-5)
    _same(e, t, ["out_lens", "mask"])


def test_pygcn_sparse(results):
    t, e = get(results, "pygcn_sparse")
    close(e["history"], t["history"], rtol=1e-4, atol=1e-6)   # dropout masks from torch's stream
    close(e["test"], t["test"], rtol=1e-4)
    close(e["dense_rows"], t["dense_rows"], rtol=1e-6)
    close(e["mm_grad"], t["mm_grad"], rtol=1e-6)
    close(e["sm"], t["sm"], rtol=1e-6)
    close(e["values_sum"], t["values_sum"], rtol=1e-6)
    _same(e, t, ["repr", "nnz", "is_sparse", "layout", "indices_shape", "v_grad", "sparse_sum"])


def test_realnvp_flow(results):
    t, e = get(results, "realnvp_flow")
    close(e["losses"], t["losses"], rtol=1e-4)
    close(e["logdet"], t["logdet"], rtol=1e-4, atol=1e-6)
    close(e["samples"], t["samples"], rtol=1e-4, atol=1e-6)
    assert e["recon"] < 1e-5 and t["recon"] < 1e-5
    for key in ("td_sample", "td_logp", "loc_grad", "chain_ladj", "cube_lp", "tanh_lp", "tanh_sample",
                "sigmoid_inv", "prior_entropy"):
        close(e[key], t[key], rtol=1e-5, atol=1e-6)
    close(e["lognormal"][0] + e["lognormal"][1] + [e["lognormal"][2]],
          t["lognormal"][0] + t["lognormal"][1] + [t["lognormal"][2]], rtol=1e-6)
    assert e["chain_inv"] < 1e-5 and t["chain_inv"] < 1e-5
    _same(e, t, ["cube_support", "event_shape", "support"])


def test_metric_learning(results):
    t, e = get(results, "metric_learning")
    close(e["history"], t["history"], rtol=1e-4, atol=1e-6)
    close(e["dist_mean"], t["dist_mean"], rtol=1e-4)
    close(e["prelu"], t["prelu"], rtol=1e-4)
    for key, value in t["extras"].items():
        close(e["extras"][key], value, rtol=1e-5, atol=1e-6)
    close(e["score_grad"], t["score_grad"], rtol=1e-6)
    close(e["extras_loss"], t["extras_loss"], rtol=1e-6)
    _same(e, t, ["recall", "angle"])


def test_data_pipeline(results):
    t, e = get(results, "data_pipeline")
    _same(e, t, ["splits", "drawn", "streamed", "chained", "concat", "batches", "namedtuple", "dict", "convert",
                 "shuffled", "len_loader"])
    for ours, theirs in zip(e["history"], t["history"]):
        close(ours["train"], theirs["train"], rtol=1e-5)
        assert ours["val_acc"] == theirs["val_acc"] and ours["widths"] == theirs["widths"]


def test_multilabel_tensorboard(results):
    # the event files ember's SummaryWriter wrote are read back by tensorboard's EventAccumulator
    t, e = get(results, "multilabel_tensorboard")
    close(e["history"], t["history"], rtol=1e-5)
    close(e["lrs"], t["lrs"], rtol=1e-9)
    close(e["logged_losses"], t["logged_losses"], rtol=1e-5)
    close([e["micro"], e["macro"], e["map"]], [t["micro"], t["macro"], t["map"]], rtol=1e-5)
    close(e["thresholds"], t["thresholds"], rtol=1e-5)
    _same(e, t, ["steps", "scalar_tags", "histograms", "tensors", "sub_runs"])


def test_hamiltonian_nn(results):
    t, e = get(results, "hamiltonian_nn")
    close(e["losses"], t["losses"], rtol=1e-4)
    close(e["test_loss"], t["test_loss"], rtol=1e-4)
    close(e["traj"], t["traj"], rtol=1e-4, atol=1e-6)
    close(e["energy"], t["energy"], rtol=1e-4)
    for key in ("M", "jac", "jac_vec", "hess", "vjp", "jvp", "hvp", "jacrev", "jacfwd", "func_hess"):
        close(e[key], t[key], rtol=1e-5, atol=1e-6)
    assert e["hh_grad_fn"] == t["hh_grad_fn"]
    for key, (shape, total) in t["per_sample"].items():
        assert e["per_sample"][key][0] == shape
        close(e["per_sample"][key][1], total, rtol=1e-4)


def test_efficient_training(results):
    # SDPA dropout, checkpoint recomputation and the GradScaler on torch's stream; ember under ember.compile
    t, e = get(results, "efficient_training")
    close(e["losses"], t["losses"], rtol=1e-5)
    close(e["norms"], t["norms"], rtol=1e-5)
    close([e["eval"], e["ema_eval"]], [t["eval"], t["ema_eval"]], rtol=1e-5)
    close(e["bn"], t["bn"], rtol=1e-5)
    close(e["swa_out"], t["swa_out"], rtol=1e-5, atol=1e-6)
    close(e["swa_lrs"], t["swa_lrs"], rtol=1e-9)
    _same(e, t, ["scales", "n_averaged", "log_scale"])
    assert e["ckpt_same"] == t["ckpt_same"] == 0.0


def test_pointnet_cls(results):
    # max-pooling over points: once float32 round-off flips which point is a channel's max, the gradients jump
    # (in float64 the runs agree to 1e-12 throughout), so only the first steps are compared tightly
    t, e = get(results, "pointnet_cls")
    close([h[0] for h in e["history"][:3]], [h[0] for h in t["history"][:3]], rtol=2e-5)
    assert [h[1] for h in e["history"][:3]] == [h[1] for h in t["history"][:3]]
    close(e["eval_nll"], t["eval_nll"], rtol=0.05)
    assert e["eval_acc"] == pytest.approx(t["eval_acc"], abs=0.15)
    close(e["fro"], t["fro"], rtol=0.05)
    _same(e, t, ["lr"])


def test_ebm_langevin(results):
    t, e = get(results, "ebm_langevin")
    close(e["history"], t["history"], rtol=1e-4, atol=1e-6)
    close(e["buffer"], t["buffer"], rtol=1e-4)
    close([e["sigma"], e["u_norm"]], [t["sigma"], t["u_norm"]], rtol=1e-4)
    close(e["dsm"], t["dsm"], rtol=1e-5)
    close(e["div"], t["div"], rtol=1e-5, atol=1e-6)
    close(e["score_grad"], t["score_grad"], rtol=1e-5)
    _same(e, t, ["keys"])


def test_capsnet(results):
    t, e = get(results, "capsnet")
    close(e["history"], t["history"], rtol=1e-4)
    close(e["lengths"], t["lengths"], rtol=1e-4)
    close(e["coupling"], t["coupling"], rtol=1e-5)
    close([e["recon"], e["lr"], e["W_grad"]], [t["recon"], t["lr"], t["W_grad"]], rtol=1e-4)
    _same(e, t, ["acc"])


def test_resume_checkpoint(results):
    # a checkpoint with a dataclass config, an argparse Namespace and RNG states, resumed after to_empty +
    # load_state_dict(assign=True): the resumed run repeats the uninterrupted one exactly, as torch's does
    t, e = get(results, "resume_checkpoint")
    close(e["straight"], t["straight"], rtol=1e-5)
    assert e["resume_exact"] and t["resume_exact"]
    close(e["logits"], t["logits"], rtol=1e-4, atol=1e-6)
    close(e["freqs"][1], t["freqs"][1], rtol=1e-6)
    close(e["lr"], t["lr"], rtol=1e-9)
    _same(e, t, ["default_load", "allowed", "margs", "best", "missing", "tied", "state_keys", "rng_state"])
    assert e["default_load"] is True
    assert np.isfinite(e["best"])


def test_speech_enhancement(results):
    t, e = get(results, "speech_enhancement")
    close(e["losses"], t["losses"], rtol=1e-4)
    close(e["norms"], t["norms"], rtol=1e-4)
    close(e["eval_sisdr"], t["eval_sisdr"], rtol=1e-4)
    close(e["noisy_sisdr"], t["noisy_sisdr"], rtol=1e-5)
    close(e["mask_mean"], t["mask_mean"], rtol=1e-5)
    close(e["fb"][0], t["fb"][0], rtol=1e-5)
    close(e["pre"], t["pre"], rtol=1e-5, atol=1e-7)
    close(e["fft_conv"], t["fft_conv"], rtol=1e-4, atol=1e-5)
    for ours, theirs in zip(e["windows"], t["windows"]):
        close(ours, theirs, rtol=1e-6, atol=1e-7)
    assert e["roundtrip"] < 1e-5 and t["roundtrip"] < 1e-5
    assert e["fft_vs_direct"] < 1e-4 and t["fft_vs_direct"] < 1e-4
    _same(e, t, ["spec_shape"])
    assert e["fb"][1] == t["fb"][1]
