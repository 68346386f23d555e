import pytest

import ember.registry as registry
from ember.registry import _db


@pytest.fixture
def tracking(tmp_path, monkeypatch):
    """A fresh tracking database in tmp_path, current for the module-level API; no run left active."""
    monkeypatch.delenv("EMBER_TRACKING_URI", raising=False)
    uri = "sqlite:///" + str(tmp_path / "runs.db")
    registry.set_tracking_uri(uri)
    yield uri
    while registry.active_run() is not None:
        registry.end_run()
    registry.set_tracking_uri(None)
    _db.close_all()
