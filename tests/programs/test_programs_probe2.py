"""Programs written to find where unseen PyTorch code breaks on ember: a Hugging Face style GPT-2 with
generation, a mixture-of-experts Swin stage, PPO with GAE, a weight-normalized TCN with a ConvLSTM, CLIP
contrastive training, a class-conditional diffusion UNet, a VQ-VAE with a Gumbel-softmax head, NeRF volume
rendering with hierarchical sampling, the hooks / checkpointing / tracing tooling around a CNN, and a Hugging
Face Trainer-style loop over dict batches from two DataLoader workers, and a mamba-minimal selective-scan
language model with checkpoint_sequential, a DLRM with EmbeddingBag offsets and a graph attention network with
an edge softmax by scatter_reduce, and a timm-style ViT recipe (DropPath, LayerScale, Mixup/CutMix with a Beta
draw, layer-wise lr decay, warmup + cosine, EMA). Each runs
on real torch and through ``python -m ember.torch_compat`` with the harness of
:mod:`tests.programs.test_programs`, on shared initial weights, so the numbers must agree to float32
round-off (the random draws they make come from ``torch.manual_seed`` or a ``torch.Generator``, which
ember reproduces)."""
import numpy as np
import pytest

from tests.programs.test_programs import Run, close, get, run_spec, spec_for

RUNS = [
    Run("hf_gpt2_generate", "hf_gpt2_generate.py", [], shared_init=True),
    Run("moe_swin", "moe_swin.py", [], shared_init=True),
    Run("ppo_gae", "ppo_gae.py", [], shared_init=True),
    Run("tcn_convlstm", "tcn_convlstm.py", [], shared_init=True),
    Run("clip_contrastive", "clip_contrastive.py", [], shared_init=True),
    Run("diffusion_unet_cfg", "diffusion_unet_cfg.py", [], shared_init=True),
    Run("vqvae_gumbel", "vqvae_gumbel.py", [], shared_init=True),
    Run("nerf_volume", "nerf_volume.py", [], shared_init=True),
    Run("hooks_tooling", "hooks_tooling.py", [], shared_init=True),
    Run("trainer_loop", "trainer_loop.py", [], shared_init=True),
    Run("mamba_ssm", "mamba_ssm.py", [], shared_init=True),
    Run("dlrm_gat", "dlrm_gat.py", [], shared_init=True),
    Run("timm_style_vit", "timm_style_vit.py", [], shared_init=True),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("programs_probe2"))
    return run_spec(root, spec_for(RUNS, root, "torch"), "torch"), run_spec(root, spec_for(RUNS, root, "ember"), "ember")


def _same(e, t, keys):
    for key in keys:
        assert e[key] == t[key], (key, e[key], t[key])


def test_hf_gpt2_generate(results):
    # baddbmm(torch.empty(...), beta=0) attention, finfo(dtype).min masks, KV-cache generation with top-k/top-p
    t, e = get(results, "hf_gpt2_generate")
    close(e["losses"], t["losses"], rtol=1e-5)
    close([e["logits_sum"], e["nomask_sum"]], [t["logits_sum"], t["nomask_sum"]], rtol=1e-5)
    assert e["sdpa_diff"] < 1e-5 and t["sdpa_diff"] < 1e-5   # the SDPA path equals the eager one
    _same(e, t, ["state_keys", "kept", "greedy", "sampled", "sampled_shape", "requires_grad", "finfo_min",
                 "finfo_bf16", "finfo_eps16", "iinfo", "tied"])
    assert "h.0.attn.bias" not in e["state_keys"]   # persistent=False buffers stay out of the state_dict


def test_moe_swin(results):
    t, e = get(results, "moe_swin")
    close(e["losses"], t["losses"], rtol=1e-5)
    close(e["aux"], t["aux"], rtol=1e-5)
    close(e["gate_grad"], t["gate_grad"], rtol=1e-4)
    close(e["bias_grad"], t["bias_grad"], rtol=1e-4)
    _same(e, t, ["loads", "acc", "checks", "selected"])


def test_ppo_gae(results):
    # Categorical/Normal sampling from torch's stream, randperm minibatches, GAE, clipped losses
    t, e = get(results, "ppo_gae")
    for key in t["check"]:
        close(e["check"][key], t["check"][key], rtol=1e-5, atol=1e-7)
    assert e["ortho"] < 1e-5 and t["ortho"] < 1e-5
    for run in ("discrete", "continuous"):
        for ours, theirs in zip(e[run], t[run]):
            for key in ("loss", "pg", "v", "ent", "kl", "old_kl", "grad_norm", "reward", "ev"):
                close(ours[key], theirs[key], rtol=1e-3, atol=1e-5)
            assert ours["clipfrac"] == pytest.approx(theirs["clipfrac"], abs=0.02)
            assert ours["lr"] == theirs["lr"]


def test_tcn_convlstm(results):
    t, e = get(results, "tcn_convlstm")
    for key in ("tcn", "legacy", "video", "pred"):
        close(e[key], t[key], rtol=1e-5)
    close(e["g_grad"], t["g_grad"], rtol=1e-5)
    _same(e, t, ["keys", "info"])   # parametrization names, and remove_parametrizations under no_grad


def test_clip_contrastive(results):
    t, e = get(results, "clip_contrastive")
    close(e["losses"], t["losses"], rtol=1e-5)
    close(e["scales"], t["scales"], rtol=1e-6)
    close(e["mha_out"], t["mha_out"], rtol=1e-5)
    close(e["attn_row_sum"], t["attn_row_sum"], rtol=1e-6)
    _same(e, t, ["acc", "attn_shape", "padded_shape", "lengths", "w_avg_shape", "w_heads_shape", "w_none",
                 "need_weights_same", "sampler_len", "sampler_draws", "drawn", "lr"])
    assert e["w_masked"] == t["w_masked"] == 0.0
    # CPU autocast computes the logits in bfloat16 in both (ember/amp/autocast_mode.py): both within
    # bfloat16 round-off of the float32 ones
    assert 0.0 < e["bf_diff"] < 0.2 and 0.0 < t["bf_diff"] < 0.2


def test_diffusion_unet_cfg(results):
    t, e = get(results, "diffusion_unet_cfg")
    for key in ("linear_acp", "cos_acp", "post_var", "emb"):
        close(e["sched"][key], t["sched"][key], rtol=1e-6, atol=1e-7)
    assert e["sched"]["buffers"] == t["sched"]["buffers"]
    close(e["losses"], t["losses"], rtol=1e-5)
    close(e["ema_diff"], t["ema_diff"], rtol=1e-5)
    assert e["n_averaged"] == t["n_averaged"]
    for key in ("samples", "ddim", "ddim_eta"):
        close(e[key], t[key], rtol=1e-4, atol=1e-5)


def test_vqvae_gumbel(results):
    t, e = get(results, "vqvae_gumbel")
    for name in ("ema", "vq"):
        close(e[name]["hist"], t[name]["hist"], rtol=1e-5, atol=1e-7)
        _same(e[name], t[name], ["codes", "counts", "inverse_ok"])
    close(e["usage"], t["usage"], rtol=1e-6)
    assert e["usage_same"] and t["usage_same"]   # index_add_ and scatter_add_ accumulate alike
    close(e["ema_cluster"], t["ema_cluster"], rtol=1e-5)
    close(e["gumbel"], t["gumbel"], rtol=1e-5)
    for key in ("hard_sums", "hard_max", "soft_sums", "kl", "entropy", "log_prob", "relaxed_sum", "mean"):
        close(e["dist"][key], t["dist"][key], rtol=1e-5, atol=1e-7)
    _same(e["dist"], t["dist"], ["relaxed_shape", "relaxed_lp_finite", "sample_shape"])


def test_nerf_volume(results):
    # stratified and importance samples from torch.rand; cumsum/cumprod accumulate as ATen's (in double)
    t, e = get(results, "nerf_volume")
    close(e["losses"], t["losses"], rtol=1e-5)
    close(e["psnr"], t["psnr"], rtol=1e-5)
    close(e["rgb"], t["rgb"], rtol=1e-5)
    close(e["depth"], t["depth"], rtol=1e-4)
    close(e["acc"], t["acc"], rtol=1e-4)
    # u = 1 falls on the CDF's last bin edge, where a last-bit difference in the weights' sum picks the bin
    close([r[:-1] for r in e["det_pdf"]], [r[:-1] for r in t["det_pdf"]], rtol=1e-5)
    close(e["rays_d"], t["rays_d"], rtol=1e-6)
    _same(e, t, ["rays_shape"])
    close(e["target_sum"], t["target_sum"], rtol=1e-6)


def test_hooks_tooling(results):
    t, e = get(results, "hooks_tooling")
    for name, (shape, total) in t["activations"].items():
        assert e["activations"][name][0] == shape
        close(e["activations"][name][1], total, rtol=1e-5)
    _same(e, t, ["seen_kwargs", "after_remove", "n_params", "trainable", "reinit", "opt_state_keys", "ckpt_keys",
                 "sd_hook"])
    for key in ("cam", "input_grad", "tensor_hook", "losses", "norms", "penalties", "half_norm"):
        close(e[key], t[key], rtol=1e-5, atol=1e-7)
    assert e["traced_diff"] == e["scripted_diff"] == e["reload_diff"] == 0.0
    assert e["jacobian"][0] == t["jacobian"][0]
    close(e["jacobian"][1], t["jacobian"][1], rtol=1e-5)


def test_trainer_loop(results):
    # dict batches from 2 workers with a seeded shuffle, dataclass outputs, warmup-linear LambdaLR, early stopping
    t, e = get(results, "trainer_loop")
    assert len(e["history"]) == len(t["history"])
    for ours, theirs in zip(e["history"], t["history"]):
        close([ours[k] for k in ("train", "eval")], [theirs[k] for k in ("train", "eval")], rtol=1e-5)
        assert ours["acc"] == theirs["acc"] and ours["f1"] == pytest.approx(theirs["f1"])
    close(e["lrs"], t["lrs"], rtol=1e-12)
    close(e["best"], t["best"], rtol=1e-5)
    close(e["final_logits"], t["final_logits"], rtol=1e-4, atol=1e-6)
    _same(e, t, ["shapes", "final_loss_none"])


def test_mamba_ssm(results):
    t, e = get(results, "mamba_ssm")
    close(e["losses"], t["losses"], rtol=1e-5)
    close(e["logits"], t["logits"], rtol=1e-5)
    close(e["A_log"], t["A_log"], rtol=1e-6)
    for key in t["grads"]:
        close(e["grads"][key], t["grads"][key], rtol=1e-4)
    _same(e, t, ["generated", "n_params"])


def test_dlrm_gat(results):
    t, e = get(results, "dlrm_gat")
    close(e["ctr"], t["ctr"], rtol=1e-5)
    close(e["gat"], t["gat"], rtol=1e-5)
    close(e["scores"], t["scores"], rtol=1e-5)
    close(e["alpha_sums"], t["alpha_sums"], rtol=1e-6)
    assert e["auc"] == pytest.approx(t["auc"], abs=1e-6)
    _same(e, t, ["acc", "n_edges", "triu"])


def test_timm_style_vit(results):
    # DropPath's bernoulli_ masks and the Mixup Beta draws come from torch's stream: the same on ember
    t, e = get(results, "timm_style_vit")
    close(e["losses"], t["losses"], rtol=1e-5)
    close(e["lams"], t["lams"], rtol=1e-6)
    close(e["lrs"], t["lrs"], rtol=1e-9)
    close(e["norms"], t["norms"], rtol=1e-5)
    close(e["ema"], t["ema"], rtol=1e-5)
    close(e["big"], t["big"], rtol=1e-5, atol=1e-7)
    _same(e, t, ["acc", "groups", "repr"])
