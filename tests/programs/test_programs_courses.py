"""Whole programs in the style of university / course material written in plain PyTorch: fast.ai's
"Practical Deep Learning part 2" (miniai: the callback Learner, hooks / LSUV / hand-written norms,
DDPM and DDIM with a small UNet), Stanford CS231n (the PyTorch assignment's three API levels, network
visualization, transformer captioning, GANs) and Stanford CS224n (a3's neural dependency parser, a4's attentional NMT with beam search).
They run on real torch and through ``python -m ember.torch_compat`` with the harness of
:mod:`tests.programs.test_programs`; every one loads the initial weights the torch run wrote and takes
its data and noise from NumPy or Python's random, so the losses agree to float32 round-off."""
import pytest

from tests.programs.test_programs import MNIST, Run, close, get, run_spec, spec_for

RUNS = [
    Run("miniai_learner", "miniai_learner.py", ["--no-shuffle"], shared_init=True),
    Run("miniai_init", "miniai_init.py", [], shared_init=True),
    Run("miniai_ddpm", "miniai_ddpm.py", [], shared_init=True),
    Run("cs231n_pytorch", "cs231n_pytorch.py", ["--no-shuffle"], shared_init=True),
    Run("cs231n_netvis", "cs231n_netvis.py", [], shared_init=True),
    Run("cs231n_captioning", "cs231n_captioning.py", ["--dropout", "0"], shared_init=True),
    Run("cs231n_gan", "cs231n_gan.py", ["--data", MNIST], shared_init=True),
    Run("cs224n_parser", "cs224n_parser.py", ["--dropout", "0"], shared_init=True),
    Run("cs224n_nmt", "cs224n_nmt.py", ["--dropout", "0"], shared_init=True),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("programs_courses"))
    return (run_spec(root, spec_for(RUNS, root, "torch"), "torch"),
            run_spec(root, spec_for(RUNS, root, "ember"), "ember"))


def _same(e, t, keys):
    for key in keys:
        assert e[key] == t[key], (key, e[key], t[key])


def _flat(x):
    """The numbers of a nested list, in order (for close() on ragged results)."""
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _flat(item)]
    return [float(x)]


def _logs(log):
    return [[row[k] for k in sorted(row) if k not in ("epoch", "train")] for row in log]


def test_miniai_learner(results):
    t, e = get(results, "miniai_learner")
    _same(e, t, ["batch", "n_batches", "cbs_restored", "lrfind_lrs", "onecycle_lrs", "onecycle_moms",
                 "bn_batches", "cosine_lr", "to_cpu"])
    for key in ("learner_losses", "momentum_losses", "onecycle_losses"):
        close(e[key], t[key], rtol=1e-4)
    # The finder runs the lr up until the loss explodes; the losses near zero are held absolutely.
    close(e["lrfind_losses"], t["lrfind_losses"], rtol=2e-3)
    close(e["cosine_losses"], t["cosine_losses"], rtol=1e-4, atol=1e-6)
    for key in ("learner_log", "valid_only", "onecycle_log"):
        assert [(r["epoch"], r["train"]) for r in e[key]] == [(r["epoch"], r["train"]) for r in t[key]]
        close(_logs(e[key]), _logs(t[key]), rtol=2e-3)
    close(e["bn_running_mean"], t["bn_running_mean"], rtol=2e-3, atol=1e-5)
    assert e["tta"][:2] == t["tta"][:2]
    close(e["tta"][2:], t["tta"][2:], rtol=1e-4)
    assert len(e["lrfind_lrs"]) < 3 * 12  # CancelFitException ended the fit early
    assert e["single_batch"][1:] == t["single_batch"][1:] == [0, 0] and len(e["single_batch"][0]) == 1
    close(e["single_batch"][0], t["single_batch"][0], rtol=1e-6)


def test_miniai_init(results):
    t, e = get(results, "miniai_init")
    _same(e, t, ["gain", "hist_shape", "hist_last", "dead", "n_hooks", "removed", "lsuv_iters", "bn_buffers",
                 "res_pool_shape", "summary", "rand_erase", "lerp"])
    # kaiming_normal_'s spread from each framework's own draws (256*64*9 values).
    close(e["kaiming_std"], t["kaiming_std"], rtol=0.02)
    close(e["kaiming_fan_out_std"], t["kaiming_fan_out_std"], rtol=0.02)
    for key in ("plain_losses", "lsuv_losses", "bn_losses", "ln_losses", "res_losses", "stds", "hist_sum",
                "bn_vars", "ln_params", "norm"):
        close(e[key], t[key], rtol=1e-4)
    close(e["means"], t["means"], rtol=1e-3, atol=1e-5)
    close(e["bn_means"], t["bn_means"], rtol=1e-3, atol=1e-5)
    close(e["lsuv_stats"], t["lsuv_stats"], rtol=1e-3, atol=1e-4)
    for key in ("plain_eval", "bn_eval", "res_eval"):
        close(e[key], t[key], rtol=2e-3)
    close(e["rand_copy"], t["rand_copy"], rtol=1e-5)
    assert all(abs(m) < 1e-3 and abs(s - 1) < 1e-3 for m, s in e["lsuv_stats"])
    assert e["removed"] and e["n_hooks"] == 5


def test_miniai_ddpm(results):
    t, e = get(results, "miniai_ddpm")
    _same(e, t, ["n_params", "ddpm_sample_len"])
    for key in ("alphabar", "cos_abar", "temb", "noisify", "bilinear"):
        close(_flat(e[key]), _flat(t[key]), rtol=1e-5, atol=1e-7)
    close(e["inv_abar"], t["inv_abar"], rtol=1e-4)
    close(e["ddpm_losses"], t["ddpm_losses"], rtol=1e-4)
    close(e["ddim_losses"], t["ddim_losses"], rtol=1e-4)
    close(e["ddpm_sample"], t["ddpm_sample"], rtol=2e-3, atol=1e-5)
    close(e["ddim_sample"], t["ddim_sample"], rtol=2e-3, atol=1e-5)


def test_cs231n_pytorch(results):
    t, e = get(results, "cs231n_pytorch")
    _same(e, t, ["random_split_is_perm", "two_layer_shape", "conv_shape", "random_weight_std", "zero_weight",
                 "bare_fc_acc", "bare_conv_acc", "bare_conv_grad_zeroed", "two_acc", "three_acc", "seq_acc",
                 "seq_conv_keys", "best_val", "best_test", "best_repr"])
    close(e["batch"][1], t["batch"][1], rtol=1e-6)
    assert e["batch"][::2] == t["batch"][::2] and e["batch"][3] == t["batch"][3]
    for key in ("bare_fc_losses", "bare_conv_losses", "two_losses", "three_losses", "seq_losses", "seq_conv_losses",
                "best_losses"):
        close(e[key], t[key], rtol=1e-5)
    assert e["random_split_is_perm"]


def test_cs231n_netvis(results):
    t, e = get(results, "cs231n_netvis")
    _same(e, t, ["saliency_shape", "params_frozen", "pretrain_acc", "roll"])
    for key in ("X", "deprocess", "pretrain_losses", "saliency"):
        close(_flat(e[key]), _flat(t[key]), rtol=1e-5, atol=1e-7)
    assert e["fooling"][:2] == t["fooling"][:2] and e["fooling"][1] == 3
    close(e["fooling"][2:], t["fooling"][2:], rtol=1e-4)
    for key in ("classvis_roll0", "classvis_roll1"):
        close(e[key], t[key], rtol=1e-4, atol=1e-6)
    assert e["roll_equals_cat"] == 0 and e["fooling_grad_is_zero"] == 0


def test_cs231n_captioning(results):
    t, e = get(results, "cs231n_captioning")
    _same(e, t, ["pe_buffer", "n_params", "layers_distinct", "train_samples", "train_gt", "val_samples", "val_gt",
                 "single"])
    for key in ("pe", "attn_self", "attn_masked", "attn_cross", "pos_enc_out"):
        close(e[key], t[key], rtol=1e-5, atol=1e-7)
    close(e["losses"], t["losses"], rtol=1e-4)
    assert e["layers_distinct"] and e["losses"][-1] < 0.3 * e["losses"][0]
    assert e["single"] == "<START> a blue <END>"


def test_cs231n_gan(results):
    t, e = get(results, "cs231n_gan")
    _same(e, t, ["loader", "noise", "params"])
    close(e["loss_checks"], t["loss_checks"], rtol=1e-6)
    for key in ("history", "history_ls", "history_dc"):
        assert [len(r) for r in e[key]] == [len(r) for r in t[key]] and len(e[key]) == 8
        close(_flat(e[key]), _flat(t[key]), rtol=1e-4, atol=1e-6)
    close(_flat(e["dc_fake"]), _flat(t["dc_fake"]), rtol=1e-4, atol=1e-6)


def test_cs224n_parser(results):
    t, e = get(results, "cs224n_parser")
    _same(e, t, ["n_tokens", "n_instances", "first_features", "oracle", "partial_parse", "lookup_same", "n_params",
                 "best_dev_UAS", "test_UAS", "same_deps", "deps0"])
    close(e["losses"], t["losses"], rtol=1e-4, atol=1e-6)
    close(e["history"], t["history"], rtol=1e-4, atol=1e-6)
    assert e["lookup_same"] and e["same_deps"] and e["partial_parse"] == [[2, 1], [2, 3], [0, 2]]


def test_cs224n_nmt(results):
    t, e = get(results, "cs224n_nmt")
    _same(e, t, ["vocab", "n_params", "input_tensor", "enc_pad_zero", "lrs", "optim_step", "hyps", "exact", "topk"])
    close(_flat(e["enc"]), _flat(t["enc"]), rtol=1e-5, atol=1e-6)
    close(e["losses"], t["losses"], rtol=1e-4)
    close(e["grad_norms"], t["grad_norms"], rtol=2e-3)
    close(e["dev_ppls"], t["dev_ppls"], rtol=1e-4)
    close(e["hyp_scores"], t["hyp_scores"], rtol=1e-4)
    assert e["enc_pad_zero"] == 0 and e["lrs"][-1] == e["lrs"][0] / 2
    assert e["dev_ppls"][-2] < e["dev_ppls"][0]
