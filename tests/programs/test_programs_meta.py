"""LLM-style loading through the meta device (gpt-fast, torchtitan, accelerate's init_empty_weights, skip_init),
one program run on real torch and through ``python -m ember.torch_compat`` (:mod:`tests.programs.meta_init`)."""
import pytest

from tests.programs.test_programs import Run, close, get, run_spec, spec_for

RUNS = [Run("meta_init", "meta_init.py", [])]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("programs_meta"))
    return tuple(run_spec(root, spec_for(RUNS, root, fw), fw) for fw in ("torch", "ember"))


def test_meta_init(results):
    t, e = get(results, "meta_init")
    # built on meta: nothing drawn (the next seeded draws are torch's), shapes through a meta forward
    for key in ("draws_after_meta_build", "meta_params", "param_count", "meta_logits", "meta_caches", "load",
                "devices_after_load", "buffers", "hf_devices", "hf_draw", "hf_requires_grad"):
        assert e[key] == t[key], (key, e[key], t[key])
    assert t["meta_params"] == ["meta"] and t["devices_after_load"] == ["cpu"]
    # the checkpoint assigned (gpt-fast, accelerate), then decoded with the KV cache: torch's tokens
    assert e["tokens"] == t["tokens"]
    close(e["prefill_logits"], t["prefill_logits"], rtol=1e-4, atol=1e-5)
    close(e["hf_logits"], t["hf_logits"], rtol=1e-4, atol=1e-5)
    # to_empty then a seeded init_weights (torchtitan), skip_init then reset_parameters: torch's values
    assert sorted(e["titan_sums"]) == sorted(t["titan_sums"])
    close([e["titan_sums"][k] for k in sorted(t["titan_sums"])], [t["titan_sums"][k] for k in sorted(t["titan_sums"])],
          rtol=1e-4, atol=1e-4)
    close(e["skip_init"], t["skip_init"], rtol=1e-6)
