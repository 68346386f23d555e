"""Programs in the manner of Raschka's "Build a Large Language Model (From Scratch)" (chapters 2-7,
appendices D and E) and of the PyTorch chapters of Raschka et al.'s "Machine Learning with PyTorch
and Scikit-Learn" (12-15), run unchanged on real torch and through ``python -m ember.torch_compat``
with the harness of :mod:`tests.programs.test_programs`.

Every program loads the initial weights the torch run wrote (``--init-in``), draws its data and
any augmentation from NumPy and keeps dropout at zero, so the two runs must give the same losses,
accuracies and greedy generations to float32 round-off. Sampling (torch.multinomial,
Categorical.sample) follows each framework's own stream: there only shapes and vocabularies are
compared, and the distributions on fixed logits.
"""
import pytest

from tests.programs.test_programs import Run, close, get, run_spec, spec_for

RUNS = [
    Run("llms_attention", "llms_attention.py", [], shared_init=True),
    Run("llms_gpt_pretrain", "llms_gpt_pretrain.py", [], shared_init=True),
    Run("llms_spam_finetune", "llms_spam_finetune.py", [], shared_init=True),
    Run("llms_instruction_finetune", "llms_instruction_finetune.py", [], shared_init=True),
    Run("llms_training_loop_extras", "llms_training_loop_extras.py", [], shared_init=True),
    Run("llms_lora", "llms_lora.py", [], shared_init=True),
    Run("mlpt_tabular", "mlpt_tabular.py", [], shared_init=True),
    Run("mlpt_smile_cnn", "mlpt_smile_cnn.py", [], shared_init=True),
    Run("mlpt_char_rnn", "mlpt_char_rnn.py", [], shared_init=True),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("programs_llm_scratch"))
    return (run_spec(root, spec_for(RUNS, root, "torch"), "torch"),
            run_spec(root, spec_for(RUNS, root, "ember"), "ember"))


def _same(e, t, keys):
    for key in keys:
        assert e[key] == t[key], (key, e[key], t[key])


def test_llms_attention(results):
    t, e = get(results, "llms_attention")
    _same(e, t, ["word_ids", "word_decoded", "vocab_size", "first_batch", "second_inputs", "n_batches", "dtype",
                 "overlap_len", "overlap_last_shape", "mask_is_buffer", "state_keys", "input_embeddings_shape",
                 "rows_sum_to_one", "renorm_equals_inf", "batch_shape", "wrapper_shape", "mha_shape",
                 "dropout_values"])
    assert e["renorm_equals_inf"] and e["dropout_values"] == [0.0, 2.0]
    for key in ("input_embeddings", "simple", "sa_v1", "sa_v2", "masked_weights", "ca", "wrapper", "mha",
                "batched_matmul", "head_matmul"):
        close(e[key], t[key], rtol=1e-5, atol=2e-6)
    close(e["losses"], t["losses"], rtol=1e-4)


def test_llms_gpt_pretrain(results):
    t, e = get(results, "llms_gpt_pretrain")
    _same(e, t, ["ln_mean", "params", "loader_sizes", "untrained_greedy", "tokens_seen", "samples", "greedy_word",
                 "topk", "sample_in_vocab", "sample_mostly_top2", "greedy", "topk1_is_greedy", "sampled_shape",
                 "eos_stop", "reloaded_lr", "reloaded_step"])
    assert e["topk1_is_greedy"] and e["sample_mostly_top2"]
    close(e["ln_var"], t["ln_var"], rtol=1e-5)
    close(e["gelu"], t["gelu"], rtol=1e-5, atol=1e-6)
    assert e["gelu_vs_builtin"] < 1e-6
    close(e["grads_plain"] + e["grads_shortcut"], t["grads_plain"] + t["grads_shortcut"], rtol=1e-5)
    close(e["initial_losses"] + e["manual_ce"], t["initial_losses"] + t["manual_ce"], rtol=1e-5)
    close(e["temperatures"], t["temperatures"], rtol=1e-5, atol=1e-9)
    for key in ("batch_losses", "train_losses", "val_losses", "resumed_losses"):
        close(e[key], t[key], rtol=1e-4)


def test_llms_spam_finetune(results):
    t, e = get(results, "llms_spam_finetune")
    _same(e, t, ["is_parameter", "requires_grad", "n_params", "mismatch", "next_byte", "max_length", "batch_shapes",
                 "trainable", "trainable_names", "outputs_shape", "train_accs", "val_accs", "examples_seen",
                 "final_acc", "frozen_unchanged", "reviews", "reloaded_acc"])
    assert e["mismatch"] == "Shape mismatch. Left: torch.Size([257, 32]), Right: (64, 32)"
    assert e["numpy_max_diff"] < 1e-4 and e["frozen_unchanged"]
    close(e["loaded_logits"], t["loaded_logits"], rtol=1e-5, atol=1e-6)
    close(e["last_token_logits"], t["last_token_logits"], rtol=1e-5, atol=1e-6)
    for key in ("initial", "batch_losses", "train_losses", "val_losses"):
        close(e[key], t[key], rtol=1e-4)
    assert e["final_acc"][0] > 0.8


def test_llms_instruction_finetune(results):
    t, e = get(results, "llms_instruction_finetune")
    _same(e, t, ["draft_1", "draft_2", "collate", "collate_truncated", "ignore_equal", "formatted", "batch_shapes",
                 "ignored_per_batch", "saved_keys", "responses"])
    assert e["collate"][1][1] == [6, 256, -100, -100, -100] and e["ignore_equal"]
    close(e["ignore_losses"], t["ignore_losses"], rtol=1e-6)
    for key in ("initial", "losses", "final"):
        close(e[key], t[key], rtol=1e-4)


def test_llms_training_loop_extras(results):
    t, e = get(results, "llms_training_loop_extras")
    _same(e, t, ["grads_cleared", "tokens_seen", "total_steps", "warmup_steps"])
    close(e["lrs"], t["lrs"], rtol=1e-12)
    close([e["highest_before"], e["clip_norm"], e["highest_after"], e["norm_after"]],
          [t["highest_before"], t["clip_norm"], t["highest_after"], t["norm_after"]], rtol=1e-5)
    assert e["norm_after"] == pytest.approx(min(1.0, e["clip_norm"]), rel=1e-5)
    for key in ("train_losses", "val_losses", "grad_norms"):
        close(e[key], t[key], rtol=1e-4)


def test_llms_lora(results):
    t, e = get(results, "llms_lora")
    _same(e, t, ["param_counts", "replaced", "lora_keys", "same_at_b_zero", "train_accs", "val_accs",
                 "examples_seen", "final_acc", "base_frozen"])
    assert e["same_at_b_zero"] and e["base_frozen"] and e["merged_max_diff"] < 1e-5
    for key in ("initial", "batch_losses", "train_losses", "val_losses", "b_norm"):
        close(e[key], t[key], rtol=1e-4)
    close(e["logits"], t["logits"], rtol=1e-4, atol=1e-5)


def test_mlpt_tabular(results):
    t, e = get(results, "mlpt_tabular")
    _same(e, t, ["iris_acc", "iris_test_acc", "reloaded_same", "weights_only_refused", "whole_model", "joint",
                 "split_sizes", "split_cover", "fraction_sizes", "buckets", "one_hot"])
    assert e["weights_only_refused"] and e["whole_model"] == ["Model", True]
    for key in ("scratch_losses", "scratch_params", "nn_params", "iris_loss", "mpg_hist", "mpg_test"):
        close(e[key], t[key], rtol=1e-4)
    close(e["nn_losses"], t["nn_losses"], rtol=1e-4, atol=1e-6)


def test_mlpt_smile_cnn(results):
    t, e = get(results, "mlpt_smile_cnn")
    _same(e, t, ["conv1d", "conv2d", "feature_shape", "output_shape", "sample", "acc_train", "acc_valid"])
    assert e["conv1d"][0] == e["conv1d"][1] and e["conv2d"][0] == e["conv2d"][1]
    for key in ("bce", "cce", "l2_penalty", "weight_decay_term", "loss_train", "loss_valid", "batch_losses",
                "probs"):
        close(e[key], t[key], rtol=1e-4)


def test_mlpt_char_rnn(results):
    t, e = get(results, "mlpt_char_rnn")
    _same(e, t, ["text_len", "vocab", "first_pair", "dataset_dtype", "rnn_shapes", "manual_matches", "hn_is_last",
                 "sample_shape", "sample_lens", "sample_in_vocab", "greedy_after_prompt"])
    assert e["dataset_dtype"] == ["torch.int32", "torch.int64"] and e["manual_matches"]
    for key in ("rnn_output", "uniform_probs", "probs", "log_prob", "entropy", "scaled"):
        close(e[key], t[key], rtol=1e-5, atol=1e-7)
    close(e["losses"], t["losses"], rtol=1e-4)
    close(e["prompt_logits"], t["prompt_logits"], rtol=1e-4, atol=1e-5)
