"""Registered models: versions numbered 1, 2, ..., aliases, and models:/ and runs:/ URIs resolved to
files whose bytes and sha256 (checked with hashlib) are those registered."""
import hashlib
import os
import sqlite3

import pytest

import ember.registry as registry
from ember.registry import NotFoundError, RegistryError


def _file(path, data):
    path.write_bytes(data)
    return str(path)


def test_register_versions_aliases_and_resolve(tracking, tmp_path):
    v1 = registry.register_model(_file(tmp_path / "a.safetensors", b"first"), "mnist-cnn")
    v2 = registry.register_model(_file(tmp_path / "b.safetensors", b"second"), "mnist-cnn")
    assert (v1.version, v2.version) == ("1", "2")
    assert v2.sha256 == hashlib.sha256(b"second").hexdigest() and v2.size == 6
    # The registry keeps its own copy: changing the source afterwards changes nothing.
    (tmp_path / "a.safetensors").write_bytes(b"changed")
    assert open(registry.resolve_model_uri("models:/mnist-cnn/1"), "rb").read() == b"first"
    assert open(registry.resolve_model_uri("models:/mnist-cnn/latest"), "rb").read() == b"second"

    registry.set_registered_model_alias("mnist-cnn", "production", 1)
    path = registry.resolve_model_uri("models:/mnist-cnn@production")
    assert open(path, "rb").read() == b"first" and os.path.isabs(path)
    assert registry.get_model_version_by_alias("mnist-cnn", "production").aliases == ("production",)
    registry.set_registered_model_alias("mnist-cnn", "production", "2")       # moving an alias
    assert open(registry.resolve_model_uri("models:/mnist-cnn@production"), "rb").read() == b"second"
    assert registry.get_model_version("mnist-cnn", 1).aliases == ()
    model = registry.search_registered_models()[0]
    assert (model.name, model.latest_version, model.aliases) == ("mnist-cnn", "2", {"production": "2"})
    registry.delete_registered_model_alias("mnist-cnn", "production")
    with pytest.raises(NotFoundError, match="has no alias 'production'"):
        registry.resolve_model_uri("models:/mnist-cnn@production")


def test_register_a_run_artifact_by_runs_uri(tracking, tmp_path):
    with registry.start_run() as run:
        info = registry.log_artifact(_file(tmp_path / "model.safetensors", b"weights"), artifact_path="model")
    assert info.path == "model/model.safetensors" and info.sha256 == hashlib.sha256(b"weights").hexdigest()
    uri = f"runs:/{run.info.run_id}/model/model.safetensors"
    assert open(registry.resolve_model_uri(uri), "rb").read() == b"weights"
    mv = registry.register_model(uri, "net")
    assert mv.run_id == run.info.run_id and mv.source == uri
    assert registry.resolve_model_uri("models:/net/1") == registry.resolve_model_uri(uri)


def test_unknown_names_versions_and_aliases_say_what_exists(tracking, tmp_path):
    registry.register_model(_file(tmp_path / "m.bin", b"x"), "known")
    registry.set_registered_model_alias("known", "staging", 1)
    with pytest.raises(NotFoundError, match=r"no registered model named 'nope'.*registered: known"):
        registry.resolve_model_uri("models:/nope@production")
    with pytest.raises(LookupError, match=r"no alias 'production' \(aliases: staging -> 1\)"):
        registry.resolve_model_uri("models:/known@production")
    with pytest.raises(NotFoundError, match=r"no version 7 \(versions: 1\)"):
        registry.resolve_model_uri("models:/known/7")
    with pytest.raises(NotFoundError, match="no run with id 'feed'"):
        registry.resolve_model_uri("runs:/feed/model.bin")
    with pytest.raises(RegistryError, match="stages are not supported"):
        registry.resolve_model_uri("models:/known/Production")
    for bad in ["models:/", "models:/known", "models:known/1", "models:/a/b/c"]:
        with pytest.raises(RegistryError, match="a model URI is models:/NAME/VERSION"):
            registry.resolve_model_uri(bad)
    with pytest.raises(RegistryError, match="not a file"):
        registry.resolve_model_uri(str(tmp_path / "missing.bin"))
    with pytest.raises(NotFoundError, match="has no version 2"):
        registry.set_registered_model_alias("known", "prod", 2)


@pytest.mark.parametrize("alias", ["latest", "v1", "V12", "a b", "x/y", ""])
def test_aliases_that_would_read_as_versions_are_refused(tracking, tmp_path, alias):
    registry.register_model(_file(tmp_path / "m.bin", b"x"), "m")
    with pytest.raises(RegistryError, match="an alias is"):
        registry.set_registered_model_alias("m", alias, 1)


@pytest.mark.parametrize("name", ["a/b", "a@b", "a:b", "..", " lead", ""])
def test_model_names_that_break_uris_are_refused(tracking, tmp_path, name):
    with pytest.raises(RegistryError, match="a registered model name is"):
        registry.register_model(_file(tmp_path / "m.bin", b"x"), name)


def test_a_corrupted_file_is_refused_on_resolve(tracking, tmp_path):
    registry.register_model(_file(tmp_path / "m.bin", b"good"), "m")
    path = registry.resolve_model_uri("models:/m/1")
    with open(path, "r+b") as f:
        f.write(b"evil")
    with pytest.raises(RegistryError, match="is corrupt.*sha256"):
        registry.resolve_model_uri("models:/m/1")


def test_rows_as_sqlite_sees_them(tracking, tmp_path):
    registry.register_model(_file(tmp_path / "m.bin", b"abc"), "m")
    registry.set_registered_model_alias("m", "production", 1)
    db = sqlite3.connect(tracking[len("sqlite:///"):])
    assert db.execute("SELECT name, version, sha256, size FROM model_versions").fetchall() == [
        ("m", 1, hashlib.sha256(b"abc").hexdigest(), 3)]
    assert db.execute("SELECT name, alias, version FROM model_aliases").fetchall() == [("m", "production", 1)]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    stored = db.execute("SELECT storage_path FROM model_versions").fetchone()[0]
    assert stored == "models/m/1/m.bin" and (tmp_path / "ember-artifacts" / stored).read_bytes() == b"abc"
