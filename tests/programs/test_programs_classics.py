"""Whole programs in the style of well-known teaching code: Karpathy's "Neural Networks: Zero to
Hero" makemore notebooks (bigram counts, the MLP with a hand-written BatchNorm, the backprop ninja
exercise, the WaveNet), yunjey/pytorch-tutorial (basics, regressions, FFN, CNN, (bi)RNN, an LSTM
language model) and "Dive into Deep Learning" from scratch (softmax regression, dropout, weight decay,
LeNet / NiN / GoogLeNet blocks, batch norm, RNN / GRU / LSTM, attention, multi-head attention, a
Transformer encoder), run on real torch and through ``python -m ember.torch_compat`` with the harness
of :mod:`tests.programs.test_programs`. The torch run writes its initial weights (and the minibatch
indices it drew from its own Generator) for the ember run, so losses agree to float32 round-off;
what comes from torch's random stream in the program itself (dropout masks, samples) is checked by
what does not depend on it."""
import numpy as np
import pytest

from tests.programs.test_programs import Run, _write_data, close, falls_alike, get, run_spec, spec_for

RUNS = [
    Run("zero_to_hero_makemore", "zero_to_hero_makemore.py", ["--names", "{names}"], shared_init=True),
    Run("backprop_ninja_wavenet", "backprop_ninja_wavenet.py", ["--names", "{names}"], shared_init=True),
    Run("yunjey_tutorials", "yunjey_tutorials.py", ["--text", "{text}"], shared_init=True),
    Run("d2l_scratch", "d2l_scratch.py", [], shared_init=True),
    Run("d2l_more", "d2l_more.py", [], shared_init=True),
    Run("d2l_seq2seq", "d2l_seq2seq.py", [], shared_init=True),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("programs_classics"))
    paths = _write_data(root)
    return (run_spec(root, spec_for(RUNS, root, "torch", paths), "torch"),
            run_spec(root, spec_for(RUNS, root, "ember", paths), "ember"))


def _same(e, t, keys):
    for key in keys:
        assert e[key] == t[key], (key, e[key], t[key])


def test_zero_to_hero_makemore(results):
    t, e = get(results, "zero_to_hero_makemore")
    _same(e, t, ["N_sum", "N_row0", "P_rows_sum_to_one", "n_samples", "shapes", "n_params", "sample_lengths_ok"])
    assert e["P_rows_sum_to_one"] and e["sample_lengths_ok"]
    close(e["bigram_nll"], t["bigram_nll"], rtol=1e-6)
    close(e["net_losses"], t["net_losses"], rtol=2e-5)
    close(e["lossi"], t["lossi"], rtol=2e-5)
    close(e["ud_last"], t["ud_last"], rtol=1e-4)
    # Gradient means are ~1e-11 (batchnorm centres them): held to an absolute bound.
    close(e["tanh_stats"], t["tanh_stats"], rtol=1e-4, atol=1e-8)
    close(e["grad_stats"], t["grad_stats"], rtol=1e-4, atol=1e-8)
    close([e["dev_loss"]] + e["running_mean"] + e["running_var"],
          [t["dev_loss"]] + t["running_mean"] + t["running_var"], rtol=1e-5)
    assert e["lossi"][-1] < e["lossi"][0] and e["net_losses"][-1] < e["net_losses"][0]


def test_backprop_ninja_wavenet(results):
    t, e = get(results, "backprop_ninja_wavenet")
    en, tn = e["ninja"], t["ninja"]
    assert en["all_close"] and tn["all_close"]
    assert en["maxdiffs"].keys() == tn["maxdiffs"].keys()
    assert max(en["maxdiffs"].values()) < 1e-7
    close(en["loss"], tn["loss"], rtol=1e-6)
    assert abs(en["loss_fast_diff"]) < 1e-6 and en["hpreact_fast_diff"] < 1e-5
    close(en["grads"], tn["grads"], rtol=1e-5, atol=1e-6)
    ew, tw = e["wavenet"], t["wavenet"]
    _same(ew, tw, ["shapes", "n_params"])
    close(ew["lossi"], tw["lossi"], rtol=2e-5)
    close(ew["avg"] + [ew["dev"]], tw["avg"] + [tw["dev"]], rtol=2e-5)
    assert ew["avg"][-1] < 0.8 * ew["avg"][0]


def test_yunjey_tutorials(results):
    t, e = get(results, "yunjey_tutorials")
    _same(e, t, ["basic_grads", "from_numpy", "ffn_acc", "cnn_acc", "birnn_acc", "reloaded_same", "lm_keys",
                 "n_sampled"])
    assert e["reloaded_same"] and e["basic_grads"] == [2.0, 1.0, 1.0]
    for key in ("linreg", "linreg_pred", "logreg", "ffn", "cnn", "rnn", "birnn", "lm", "lm_norms"):
        close(e[key], t[key], rtol=2e-4)
    assert e["lm"][-1] < e["lm"][0] and e["cnn"][-1] < e["cnn"][0]


def test_d2l_scratch(results):
    t, e = get(results, "d2l_scratch")
    _same(e, t, ["shapes", "softmax_acc", "encoder_attention_shape"])
    for key in ("softmax", "weight_decay", "w1_norm", "lenet", "nin", "googlenet", "bn_net", "bn_moving",
                "bn_gamma", "additive", "additive_weights", "masked_softmax", "dot", "mha", "pe", "encoder",
                "rnn", "rnn_norms", "gru", "gru_norms", "lstm", "lstm_norms"):
        close(e[key], t[key], rtol=2e-4, atol=1e-6)
    # Dropout masks come from each framework's own stream: half the units kept, scaled by 1/(1-p).
    kept, values = e["dropout_kept"]
    assert values == [0.0, 2.0] and 850 < kept < 1150
    assert np.isfinite(e["dropout"]).all() and np.mean(e["dropout"][-8:]) < 1.5 * np.mean(t["dropout"][-8:])
    assert e["softmax"][-1] < 0.7 * e["softmax"][0]


def test_d2l_more(results):
    t, e = get(results, "d2l_more")
    _same(e, t, ["autograd", "assign", "nms", "similar"])
    assert e["autograd"] == [True, True] and e["prelim"][1] is True
    for ours, theirs in zip(e["prelim"], t["prelim"]):
        close(ours, theirs, rtol=1e-6)
    for key in ("linreg", "linreg_error", "sgd_momentum", "adagrad", "rmsprop", "adam", "nw", "nw_w", "nw_pred",
                "iou", "conv", "conv_kernel", "pool", "multi", "skipgram"):
        close(e[key], t[key], rtol=2e-4, atol=1e-6)
    assert e["anchors"][0] == t["anchors"][0] == [1, 120, 4]
    close(e["anchors"][1], t["anchors"][1], rtol=1e-6)
    assert e["upsample"][0] == t["upsample"][0]
    close(e["upsample"][1], t["upsample"][1], rtol=1e-6)
    assert e["linreg"][-1] < 0.5 * e["linreg"][0] and e["conv"][-1] < 0.5 * e["conv"][0]


def test_d2l_seq2seq(results):
    t, e = get(results, "d2l_seq2seq")
    _same(e, t, ["rnn_pred", "lstm_pred", "birnn_pred", "mask", "mlm_gather"])
    for key in ("rnn", "lstm", "birnn", "rnn_ppl", "lstm_ppl", "birnn_ppl", "masked_ce", "s2s"):
        close(e[key], t[key], rtol=2e-4, atol=1e-6)
    assert e["s2s"][-1] < 0.5 * e["s2s"][0] and e["lstm"][-1] < e["lstm"][0]
    # Greedy decoding follows argmaxes, which round-off could flip; on these weights it does not.
    assert e["preds"] == t["preds"]
    close(e["bleu"], t["bleu"], rtol=1e-12)
