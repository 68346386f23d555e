"""Whole programs on the advanced PyTorch API (autograd.Function styles, higher-order and
functional gradients, distributions and linear algebra, the Module/optimizer/scheduler API,
sparse embeddings, pruning and parametrizations, message passing), run on real torch and
through ``python -m ember.torch_compat`` with the harness of :mod:`tests.programs.test_programs`.
Where a program loads shared initial weights (``--init-in``) its losses must agree to float32
(or float64) round-off."""

import pytest

from tests.programs.test_programs import Run, close, get, run_spec, spec_for

RUNS = [
    Run("pinn", "pinn.py", [], shared_init=True),
    Run("maml", "maml.py", [], shared_init=True),
    Run("custom_function", "custom_function.py", [], shared_init=True),
    Run("flow_and_gp", "flow_and_gp.py", [], shared_init=True),
    Run("module_api", "module_api.py", [], shared_init=True),
    Run("schedulers", "schedulers.py", []),
    Run("sparse_embedding", "sparse_embedding.py", [], shared_init=True),
    Run("prune_and_parametrize", "prune_and_parametrize.py", [], shared_init=True),
    Run("gnn_message_passing", "gnn_message_passing.py", [], shared_init=True),
]


def _run_all(root, framework):
    return run_spec(root, spec_for(RUNS, root, framework), framework)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("programs_advanced"))
    return _run_all(root, "torch"), _run_all(root, "ember")


_get = get


def _same(e, t, keys):
    for key in keys:
        assert e[key] == t[key], (key, e[key], t[key])


def test_pinn(results):
    # float64 throughout: LBFGS's line search and the Adam steps agree to round-off.
    t, e = _get(results, "pinn")
    close(e["losses"], t["losses"], rtol=1e-9)
    close(e["pred"], t["pred"], rtol=1e-9)
    _same(e, t, ["grid_shape", "n_iter", "func_evals"])
    assert e["dtype"].split(".")[-1] == t["dtype"].split(".")[-1] == "float64"
    assert e["losses"][-1] < 0.2 * e["losses"][0]


def test_maml(results):
    t, e = _get(results, "maml")
    close(e["losses"], t["losses"], rtol=2e-5)
    assert e["meta_diff"] < 1e-6 and t["meta_diff"] < 1e-6   # inner-loop autograd == vmap(grad(...))
    assert e["meta_norm"] == pytest.approx(t["meta_norm"], rel=1e-5)
    assert e["jac_diff"] < 1e-12 and e["hess_diff"] < 1e-12 and e["hvp_diff"] < 1e-12
    for key in ("jac", "hess", "jvp", "vjp", "hvp", "out"):
        close(e[key], t[key], rtol=1e-12, atol=1e-14)
    _same(e, t, ["batched_jac_shape"])


def test_custom_function(results):
    t, e = _get(results, "custom_function")
    close(e["losses"], t["losses"], rtol=1e-5)
    _same(e, t, ["gradcheck", "calls", "idx_requires_grad", "values_requires_grad", "idx", "split_grad",
                 "split_seen", "dirty_same", "dirty_grad", "dirty_version_bumped", "first_order",
                 "once_differentiable_raised", "vmap", "vmap_grad", "grad_fn"])
    assert all(e["gradcheck"]) and e["once_differentiable_raised"] and e["dirty_same"]


def test_flow_and_gp(results):
    t, e = _get(results, "flow_and_gp")
    close(e["flow_losses"], t["flow_losses"], rtol=1e-4)
    assert e["inverse_err"] < 1e-6
    for key in ("td_log_prob", "td_manual", "lognormal", "lognormal_ref", "loc_grad", "mvn_log_prob"):
        close(e[key], t[key], rtol=1e-10)
    close(e["td_log_prob"], e["td_manual"], rtol=1e-10)
    close(e["lognormal"], e["lognormal_ref"], rtol=1e-10)
    assert e["mvn_entropy"] == pytest.approx(t["mvn_entropy"], rel=1e-12)
    _same(e, t, ["sample_shape", "sample_finite", "event_shape", "batch_shape", "rsample_shape",
                 "td_sample_in_range"])
    for key in ("gp_losses", "gp_mean", "gp_var", "gp_params"):
        close(e[key], t[key], rtol=1e-8, atol=1e-12)


def test_module_api(results):
    t, e = _get(results, "module_api")
    close(e["losses"], t["losses"], rtol=1e-5)
    assert e["resumed_losses"] == e["losses"][e["epoch"]:]   # resume from the checkpoint is exact
    close(e["running"], t["running"], rtol=1e-5, atol=1e-7)
    _same(e, t, ["modules", "modules_prefixed", "params", "params_top", "params_prefixed", "buffers", "state_keys",
                 "children", "n_params", "hooked_keys", "pre_calls", "keys_after_remove", "missing", "unexpected",
                 "size_mismatch_raised", "double_dtypes", "half_dtype", "group_lrs", "group_keys", "grad_none",
                 "epoch", "last_lr", "opt_state_keys", "ckpt_size_ok"])


def test_schedulers(results):
    t, e = _get(results, "schedulers")
    assert e["lr"].keys() == t["lr"].keys()
    for name in t["lr"]:
        close(e["lr"][name], t["lr"][name], rtol=1e-12, atol=1e-15)
    close(e["resume"], t["resume"], rtol=1e-12)
    assert e["cyclic_momentum"] == pytest.approx(t["cyclic_momentum"], rel=1e-12)
    _same(e, t, ["state_keys", "adam_defaults"])
    assert e["losses"].keys() == t["losses"].keys()
    for name in t["losses"]:
        close(e["losses"][name], t["losses"][name], rtol=1e-5)


def test_sparse_embedding(results):
    t, e = _get(results, "sparse_embedding")
    close(e["losses"], t["losses"], rtol=1e-5)
    close(e["weights_after"], t["weights_after"], rtol=1e-4, atol=1e-6)
    for key in ("coalesced_values", "dense_grad_row_sums", "context_row_sums", "context_padding_row",
                "accumulated_dense", "sgd_update", "sgd_momentum", "mixed_grad", "untouched_row0"):
        close(e[key], t[key], rtol=1e-5, atol=1e-7)
    _same(e, t, ["layout", "is_sparse", "nnz", "indices", "coalesced_rows", "bias_grad_sparse", "state_keys", "step",
                 "zeroed_nnz", "zeroed_sparse", "accumulated_sparse", "adam_refuses", "mixed_is_sparse"])
    assert e["is_sparse"] and e["adam_refuses"] and not e["mixed_is_sparse"]
    for key in ("sobol_plain", "sobol_scrambled", "sobol_reset", "sobol_negatives", "sobol_num_generated",
                "sobol_repr"):
        assert e[key] == t[key], key   # the same points, exactly
    assert e["sobol_loss"] == pytest.approx(t["sobol_loss"], rel=1e-5)


def test_prune_and_parametrize(results):
    t, e = _get(results, "prune_and_parametrize")
    close(e["losses"], t["losses"], rtol=1e-5)
    close(e["final_logits"], t["final_logits"], rtol=1e-4, atol=1e-6)
    for key in ("after_local", "iterative", "global", "per_layer_global", "custom", "still_sparse", "removed_sparse",
                "doubled", "sym_original", "sym_after_assign"):
        close(e[key], t[key], rtol=1e-6, atol=1e-7)
    _same(e, t, ["param_names", "buffer_names", "is_pruned", "hooks", "removed_names", "state_keys", "vec_len",
                 "orth_names", "orth_losses_fall", "is_parametrized", "sym", "cached_same", "sym_removed_names",
                 "wn_names", "wn_g_shape", "orig_grad_masked"])
    assert e["orth_err"] < 1e-5 and e["orth_err_after"] < 1e-5 and e["global"] >= 0.5


def test_gnn_message_passing(results):
    t, e = _get(results, "gnn_message_passing")
    close(e["losses"], t["losses"], rtol=1e-5)
    close(e["pooled"], t["pooled"], rtol=1e-4, atol=1e-6)
    close(e["adj_row_sums"], t["adj_row_sums"], rtol=1e-6)
    close(e["alpha_sums"], 1.0, rtol=1e-6)
    assert e["grad_norms"].keys() == t["grad_norms"].keys()
    for key in t["grad_norms"]:
        close(e["grad_norms"][key], t["grad_norms"][key], rtol=1e-4, atol=1e-7)
    _same(e, t, ["n_edges", "adj_nnz", "accuracy"])
