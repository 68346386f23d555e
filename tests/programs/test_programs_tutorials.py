"""Whole programs in the style of the pytorch.org tutorials ("Learning PyTorch with Examples",
"What is torch.nn really?", FGSM and double backward, forward-mode AD, model ensembling / per-sample gradients /
NTK with torch.func, the DQN tutorial) and of popular repos' idioms (packed variable-length RNNs,
mixture density networks with torch.distributions, the torch.utils.data toolbox, an LR finder
with OneCycleLR and activation checkpointing, a set transformer / DGCNN with gather, scatter and
einsum), run on real torch and through ``python -m ember.torch_compat`` with the harness of
:mod:`tests.programs.test_programs`. Where a program loads shared initial weights (``--init-in``)
and its data do not come from torch's random stream, its losses must agree to float32 round-off."""
import math

import numpy as np
import pytest

from tests.programs.test_programs import MNIST, Run, close, get, run_spec, spec_for

RUNS = [
    Run("pytorch_with_examples", "pytorch_with_examples.py", [], shared_init=True),
    Run("nn_really", "nn_really.py", ["--data", MNIST], shared_init=True),
    Run("fgsm_double_backward", "fgsm_double_backward.py", ["--data", MNIST], shared_init=True),
    Run("func_ensembling_ntk", "func_ensembling_ntk.py", [], shared_init=True),
    Run("packed_rnn", "packed_rnn.py", [], shared_init=True),
    Run("dqn_replay", "dqn_replay.py", [], shared_init=True),
    Run("mdn_distributions", "mdn_distributions.py", [], shared_init=True),
    Run("data_utils_autoencoder", "data_utils_autoencoder.py", []),
    Run("lr_finder_amp_checkpoint", "lr_finder_amp_checkpoint.py", [], shared_init=True),
    Run("set_transformer_einsum", "set_transformer_einsum.py", [], shared_init=True),
    Run("forward_ad_tutorial", "forward_ad_tutorial.py", []),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("programs_tutorials"))
    return (run_spec(root, spec_for(RUNS, root, "torch"), "torch"),
            run_spec(root, spec_for(RUNS, root, "ember"), "ember"))


def _same(e, t, keys):
    for key in keys:
        assert e[key] == t[key], (key, e[key], t[key])


def test_pytorch_with_examples(results):
    t, e = get(results, "pytorch_with_examples")
    for key in ("manual", "autograd", "legendre", "nn", "rmsprop", "module", "dynamic"):
        close(e[key], t[key], rtol=2e-5)
    # The cubic's coefficients after 300 steps; d is ~5e-5, so it is held to an absolute bound.
    for key in ("manual_coef", "autograd_coef", "nn_coef"):
        close(e[key], t[key], rtol=1e-5, atol=1e-7)
    _same(e, t, ["xx_shape", "module_string_len", "legendre_grad_fn"])
    assert e["manual"] == e["autograd"]  # hand-written gradients == autograd's, in both
    assert e["manual"][-1] < 0.01 * e["manual"][0]


def test_nn_really(results):
    t, e = get(results, "nn_really")
    for key in ("scratch", "module", "linear", "cnn", "seq", "adaptive", "scratch_start", "scratch_end"):
        close(e[key], t[key], rtol=2e-5)
    _same(e, t, ["shape", "y_min_max", "len_dl", "cross_entropy_same", "valid_acc"])
    assert e["cross_entropy_same"] and e["scratch"][-1] < 0.5 * e["scratch"][0]


def test_fgsm_double_backward(results):
    t, e = get(results, "fgsm_double_backward")
    close(e["train"], t["train"], rtol=2e-5)
    _same(e, t, ["fgsm_acc", "gradgradcheck"])
    assert [[x[:2] for x in ex] for ex in e["fgsm_examples"]] == [[x[:2] for x in ex] for ex in t["fgsm_examples"]]
    close([x[2] for ex in e["fgsm_examples"] for x in ex], [x[2] for ex in t["fgsm_examples"] for x in ex], rtol=1e-5)
    assert e["fgsm_acc"][0] > e["fgsm_acc"][-1] and all(e["gradgradcheck"])
    close(e["pgd"], t["pgd"], rtol=1e-5)
    close(e["sinh_grads"], t["sinh_grads"], rtol=1e-12)
    close(e["gp"], t["gp"], rtol=1e-4)


def test_func_ensembling_ntk(results):
    t, e = get(results, "func_ensembling_ntk")
    assert e["ens_diff"] < 1e-6 and e["ens_same"] < 1e-6 and e["psg_diff"] < 1e-6
    assert e["jac_fwd_diff"] < 1e-12 and e["hess_diff"] < 1e-12 and e["ntk_vps_diff"] < 1e-5
    _same(e, t, ["stacked", "requires_grad_stacked", "jw_shape", "ntk_shape"])
    close(e["ens_out"], t["ens_out"], rtol=1e-5, atol=1e-6)
    close(e["psg_norms"], t["psg_norms"], rtol=1e-5)
    for key in ("jac", "jw", "hess", "batch_jac"):
        close(e[key], t[key], rtol=1e-12, atol=1e-14)
    close(e["ntk"], t["ntk"], rtol=1e-4, atol=1e-6)
    close(e["ntk_trace"], t["ntk_trace"], rtol=1e-5)
    close(e["ens_losses"], t["ens_losses"], rtol=2e-5)


def test_packed_rnn(results):
    t, e = get(results, "packed_rnn")
    _same(e, t, ["batch_sizes", "sorted_indices", "unsorted_indices", "packed_data", "gru_padded_shape", "gru_lens",
                 "gru_last_equals_h", "test_acc", "emb_pad_row_zero"])
    assert e["gru_last_equals_h"] and e["sort_diff"] < 1e-6
    close(e["gru_h"], t["gru_h"], rtol=1e-5, atol=1e-7)
    close(e["losses"], t["losses"], rtol=2e-5)
    close(e["test_logits"], t["test_logits"], rtol=1e-4, atol=1e-6)


def test_dqn_replay(results):
    # Python's random drives the replay sampling and the epsilon-greedy draws in both runs.
    t, e = get(results, "dqn_replay")
    _same(e, t, ["returns", "actions", "steps"])
    close(e["losses"], t["losses"], rtol=2e-4, atol=1e-7)
    close(e["q"], t["q"], rtol=1e-4, atol=1e-6)


def test_mdn_distributions(results):
    t, e = get(results, "mdn_distributions")
    # Sixty Adam steps on a mixture likelihood: round-off grows to ~1e-4 of the loss late in the run.
    close(e["mdn_losses"], t["mdn_losses"], rtol=2e-3, atol=1e-4)
    close(e["mdn_losses"][:30], t["mdn_losses"][:30], rtol=1e-5)
    close(e["het"], t["het"], rtol=1e-4)
    assert all(abs(a - b) < 1e-4 for a, b in e["het"])  # GaussianNLLLoss(full=True) == -Normal.log_prob
    _same(e, t, ["batch_shape", "sample_shape", "gmm_event", "has_rsample"])
    for key in ("mix_mean", "mix_var", "mix_cdf", "mix_probs"):
        close(e[key], t[key], rtol=5e-3, atol=1e-5)
    for key in ("gmm_log_prob", "gmm_mean", "gmm_var", "kl_normal", "kl_cat", "kl_indep", "kl_mvn"):
        close(e[key], t[key], rtol=1e-5)
    # The ELBO's rsample noise comes from each framework's stream: the same start, the same optimum.
    assert math.isclose(e["elbo_first"], t["elbo_first"], rel_tol=0.15)
    assert e["elbo_last"] > e["elbo_first"] and math.isclose(e["elbo_last"], t["elbo_last"], rel_tol=0.02)
    assert math.isclose(e["vi_mu"], e["analytic_mu"], rel_tol=0.05)


def test_data_utils_autoencoder(results):
    # random_split / samplers / noise draw from each framework's own stream: structure must agree,
    # the class frequencies must be rebalanced and the validation loss must fall alike.
    t, e = get(results, "data_utils_autoencoder")
    _same(e, t, ["split_lens", "split_cover", "subset_types", "disjoint", "subset_item", "concat", "sampler_len",
                 "srs", "batch_sampler", "batch_sampler_drop", "pad_collate", "default_collate", "iterable",
                 "n_batches"])
    assert e["split_lens"] == [320, 80, 3, 3, 4] and e["split_cover"] and e["disjoint"]
    assert max(e["balanced_freq"]) < 0.36 and min(e["balanced_freq"]) > 0.14   # uniform 0.25, not the raw 0.05
    assert min(e["raw_freq"]) < 0.1
    assert math.isclose(e["val"][0], t["val"][0], rel_tol=0.25)
    assert e["val"][-1] < 0.6 * e["val"][0] and t["val"][-1] < 0.6 * t["val"][0]


def test_lr_finder_amp_checkpoint(results):
    t, e = get(results, "lr_finder_amp_checkpoint")
    _same(e, t, ["finder_iters", "suggested", "restored_lr", "restored", "scale"])
    close(e["finder_smoothed"], t["finder_smoothed"], rtol=5e-4)
    close(e["ckpt_loss"], t["ckpt_loss"], rtol=1e-6)
    assert e["ckpt_grad_diff"] < 1e-6 and max(e["ckpt_seq_diff"]) < 1e-6
    close(e["losses"], t["losses"], rtol=1e-4)
    close(e["lr_trace"], t["lr_trace"], rtol=1e-6)
    close(e["mom_trace"], t["mom_trace"], rtol=1e-6)
    close(e["three_phase"], t["three_phase"], rtol=1e-6)
    # CPU autocast runs the matmuls in bfloat16 in both (ember/amp/autocast_mode.py): the same error against
    # the float32 result, up to bfloat16 round-off.
    assert t["autocast_dtype"] == e["autocast_dtype"] == "bfloat16"
    close(e["autocast_err"], t["autocast_err"], rtol=0.1)
    assert 1e-4 < t["autocast_err"] < 0.05
    assert e["acc"] == t["acc"]


def test_set_transformer_einsum(results):
    t, e = get(results, "set_transformer_einsum")
    _same(e, t, ["state_keys", "knn", "gather_same", "bucketize", "w_shapes", "w_pool_pad", "acc"])
    assert e["gather_same"] and e["w_pool_pad"] == 0.0
    close(e["scatter"], t["scatter"], rtol=1e-5, atol=1e-6)
    close(e["einsum_outer"], t["einsum_outer"], rtol=1e-5, atol=1e-6)
    close(e["einsum_trace"], t["einsum_trace"], rtol=1e-5)
    close(e["w_sum"], t["w_sum"], rtol=1e-6)
    close(e["logits0"], t["logits0"], rtol=1e-4, atol=1e-6)
    close(e["losses"], t["losses"], rtol=2e-5)
    assert e["losses"][-1] < 0.7 * e["losses"][0]


def test_forward_ad_tutorial(results):
    # Inputs from NumPy: no random stream involved, so the products agree to round-off.
    t, e = get(results, "forward_ad_tutorial")
    _same(e, t, ["is_tangent", "alt_not", "plain_none", "primal_tangent_none", "after_none", "gradcheck_fwd"])
    assert e["is_tangent"] and e["after_none"] and e["gradcheck_fwd"]
    for key in ("jvp", "primal", "two", "chain", "functional_call", "module", "fn_jvp", "fn_after"):
        close(e[key], t[key], rtol=1e-5, atol=1e-6)
    close(e["hvp"], t["hvp"], rtol=1e-12)
    assert e["func_jvp_vs_dual"] < 1e-12 and e["hvp_diff"] < 1e-12
