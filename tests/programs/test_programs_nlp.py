"""NLP, sequence and audio programs (tutorial-style), run unchanged on real torch and on ember.

The harness is test_programs.py's: the torch runs go first in one subprocess, the ember runs
through ``python -m ember.torch_compat`` in another. Every program here loads the initial weights
the torch run wrote (``--init-out`` / ``--init-in``) and draws its data from NumPy, so the two runs
must give the same losses to float32 round-off, except where a program samples from torch's own
random stream (BERT's bernoulli masking): there the check is on the forward pass of fixed inputs,
the starting loss and how far it falls.
"""
import pytest

from tests.programs import test_programs as harness
from tests.programs.test_programs import Run, close, falls_alike

RUNS = [
    Run("annotated_transformer", "annotated_transformer.py", [], shared_init=True),
    Run("bert_mlm", "bert_mlm.py", [], shared_init=True),
    Run("sentiment_rnn", "sentiment_rnn.py", [], shared_init=True),
    Run("text_classification", "text_classification.py", [], shared_init=True),
    Run("char_rnn", "char_rnn.py", [], shared_init=True),
    Run("beam_search", "beam_search.py", [], shared_init=True),
    Run("ctc_speech", "ctc_speech.py", [], shared_init=True),
    Run("llama_lora", "llama_lora.py", [], shared_init=True),
    Run("timeseries_forecast", "timeseries_forecast.py", [], shared_init=True),
    Run("word2vec_sgns", "word2vec_sgns.py", [], shared_init=True),
    Run("transformer_translation", "transformer_translation.py", [], shared_init=True),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("programs_nlp"))
    theirs = harness.run_spec(root, harness.spec_for(RUNS, root, "torch"), "torch")
    ours = harness.run_spec(root, harness.spec_for(RUNS, root, "ember"), "ember")
    return theirs, ours


def _get(results, name):
    return harness.get(results, name)


def test_annotated_transformer(results):
    t, e = _get(results, "annotated_transformer")
    close(e["losses"], t["losses"], rtol=2e-4)
    close(e["lrs"], t["lrs"], rtol=1e-12)
    assert e["decoded"] == t["decoded"] and e["mask"] == t["mask"] and e["attn_shape"] == t["attn_shape"]
    close(e["smoothing_dist"], t["smoothing_dist"], rtol=1e-6)


def test_bert_mlm(results):
    # Masking is drawn from each framework's own stream; the fixed-mask evaluation is not.
    t, e = _get(results, "bert_mlm")
    assert e["eval_before"] == pytest.approx(t["eval_before"], rel=1e-5)
    # Naive mean pooling sees torch's zeros at the padded positions of a no-grad eval encoder.
    for key in ("naive_pooled", "masked_pooled", "sims"):
        close(e[key], t[key], rtol=1e-4, atol=1e-5)
    falls_alike(e["losses"], t["losses"], start_rtol=0.05, ratio_rtol=0.05)
    assert e["eval_after"] == pytest.approx(t["eval_after"], rel=0.03)
    close(e["lrs"], t["lrs"], rtol=1e-12)
    assert e["tied"] and t["tied"] and e["group_sizes"] == t["group_sizes"]


def test_sentiment_rnn(results):
    t, e = _get(results, "sentiment_rnn")
    close(e["losses"], t["losses"], rtol=2e-4, atol=1e-6)
    close(e["history"], t["history"], rtol=2e-4, atol=1e-6)
    for key in ("n_params", "vocab_size", "output_shape", "output_lengths", "lengths", "pad_zero"):
        assert e[key] == t[key], key
    assert e["output_sum"] == pytest.approx(t["output_sum"], rel=1e-4)


def test_text_classification(results):
    t, e = _get(results, "text_classification")
    close(e["losses"], t["losses"], rtol=2e-4)
    close(e["history"], t["history"], rtol=2e-4)
    close(e["lrs"], t["lrs"], rtol=1e-12)
    for key in ("vocab_size", "num_class", "predicted", "split_sizes"):
        assert e[key] == t[key], key


def test_char_rnn(results):
    # Sampling follows each framework's generator; training and filtering do not.
    t, e = _get(results, "char_rnn")
    close(e["losses"], t["losses"], rtol=2e-4)
    for key in ("kept_k", "kept_p", "sample_lens", "in_vocab", "inference_mode", "requires_grad", "step",
                "greedy", "saved", "device"):
        assert e[key] == t[key], key
    assert e["in_vocab"] and e["inference_mode"] == [True] * 3 and e["requires_grad"] == [False] * 3


def test_beam_search(results):
    t, e = _get(results, "beam_search")
    close(e["losses"], t["losses"], rtol=2e-4)
    assert e["hyps"] == t["hyps"] and e["greedy"] == t["greedy"] and e["normed_shape"] == t["normed_shape"]
    close(e["best_scores"], t["best_scores"], rtol=1e-4)
    assert e["beam_acc"] == t["beam_acc"] and e["greedy_acc"] == t["greedy_acc"]


def test_ctc_speech(results):
    t, e = _get(results, "ctc_speech")
    close(e["losses"], t["losses"], rtol=2e-4)
    close(e["lrs"], t["lrs"], rtol=1e-9)
    close(e["per_utt"], t["per_utt"], rtol=5e-3, atol=1e-4)
    assert e["test_loss"] == pytest.approx(t["test_loss"], rel=2e-3)
    assert e["decoded"] == t["decoded"] and e["feat_shape"] == t["feat_shape"]
    assert e["input_lengths"] == t["input_lengths"] and e["cer"] == t["cer"] < 0.5


def test_llama_lora(results):
    t, e = _get(results, "llama_lora")
    close(e["losses"], t["losses"], rtol=2e-4)
    close(e["lora_losses"], t["lora_losses"], rtol=2e-4)
    assert e["no_cache"] == e["with_cache"] == t["with_cache"] == t["no_cache"]
    # Left-padded prompts: the pad queries attend to nothing (zero rows in SDPA, not NaN).
    assert e["masked_no_cache"] == e["masked_cache"] == t["masked_cache"] == t["masked_no_cache"]
    assert e["prefill_finite"] and t["prefill_finite"]
    close(e["prefill_last"], t["prefill_last"], rtol=1e-4, atol=1e-5)
    for key in ("n_params", "n_lora", "is_param", "frozen_same", "merged_same", "keys", "parametrized_keys"):
        assert e[key] == t[key], key


def test_timeseries_forecast(results):
    t, e = _get(results, "timeseries_forecast")
    close(e["history"], t["history"], rtol=2e-4)
    assert e["lrs"] == t["lrs"] and e["stopped"] == t["stopped"] and e["n_windows"] == t["n_windows"]
    close([e["best_val"], e["mse"], e["mae"]], [t["best_val"], t["mse"], t["mae"]], rtol=2e-4)
    close(e["rollout"], t["rollout"], rtol=1e-4)


def test_word2vec_sgns(results):
    t, e = _get(results, "word2vec_sgns")
    close(e["losses"], t["losses"], rtol=2e-4)
    assert e["grad"] == pytest.approx(t["grad"]) and e["grad"]["is_sparse"]
    assert e["neighbours"] == t["neighbours"] and e["same_group"] == t["same_group"] == 1.0
    close(e["final_emb"], t["final_emb"], rtol=1e-3, atol=1e-5)


def test_transformer_translation(results):
    # Sequence-first nn.Transformer: no nested-tensor path (and the same warning) in both.
    t, e = _get(results, "transformer_translation")
    close(e["history"], t["history"], rtol=2e-4)
    assert e["translations"] == t["translations"] and e["correct"] == t["correct"]
    assert e["mask"] == t["mask"] and e["nested"] is t["nested"] is False
