"""Several processes creating and writing one database at once lose no rows and never see 'database is locked';
an older schema is upgraded in place and keeps its rows; a newer one is refused."""
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from ember.registry import Client, RegistryError
from ember.registry.migrations import SCHEMA_VERSION, current_version, migrate

_WRITER = r"""
import os, sys, time
import ember.registry as registry
db, go, tag, model = sys.argv[1:]
registry.set_tracking_uri("sqlite:///" + db)
open(go + "." + tag, "w").close()                            # ready: imported
while not os.path.exists(go):
    time.sleep(0.001)
run = registry.start_run(run_name=tag)                       # both create and migrate the new file at once
other = "writer1" if tag == "writer0" else "writer0"
for step in range(500):
    if step == 250:                                          # halfway: wait for the other writer to be halfway,
        open(go + "." + tag + ".half", "w").close()          # so the two really overlap on a busy machine
        deadline = time.monotonic() + 60
        while not os.path.exists(go + "." + other + ".half") and time.monotonic() < deadline:
            time.sleep(0.001)
    registry.log_metric("loss", step / 500, step=step)      # one transaction per value
    if step % 100 == 0:
        registry.register_model(model, "shared")             # read-modify-write of the next version
registry.end_run()
print(run.info.run_id)
"""


def test_two_processes_logging_at_once_lose_no_rows(tmp_path):
    db, go, model = tmp_path / "runs.db", tmp_path / "go", tmp_path / "m.bin"
    model.write_bytes(b"weights")
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(db), str(go), f"writer{i}", str(model)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    deadline = time.monotonic() + 60
    while not all(os.path.exists(f"{go}.writer{i}") for i in range(2)):    # both at the start line
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "a writer did not start"
        time.sleep(0.01)
    go.write_text("go")
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0 and "locked" not in err, err
    con = sqlite3.connect(str(db))
    assert con.execute("SELECT COUNT(*) FROM metrics").fetchone()[0] == 1000
    for out, _ in outs:
        steps = [s for (s,) in con.execute("SELECT step FROM metrics WHERE run_id = ? ORDER BY step",
                                           (out.strip(),))]
        assert steps == list(range(500))
    # Ten registrations from two processes: versions 1..10, each exactly once.
    versions = [v for (v,) in con.execute("SELECT version FROM model_versions WHERE name = 'shared' ORDER BY version")]
    assert versions == list(range(1, 11))
    assert {s for (s,) in con.execute("SELECT status FROM runs")} == {"FINISHED"}
    assert con.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    assert con.execute("SELECT COUNT(*) FROM experiments").fetchone()[0] == 1
    # The writers really overlapped: each one's first value came before the other's last.
    spans = con.execute("SELECT MIN(metric_id), MAX(metric_id) FROM metrics GROUP BY run_id").fetchall()
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1], spans


def test_an_old_database_is_migrated_in_place_and_keeps_its_rows(tmp_path):
    path = str(tmp_path / "old.db")
    con = sqlite3.connect(path, isolation_level=None)
    assert migrate(con, target=1) == 1                       # a database as version 1 of ember wrote it
    con.execute("INSERT INTO runs (run_id, experiment_id, run_name, status, start_time, end_time) "
                "VALUES ('a' , 0, 'old-run', 'FINISHED', 1000, 2000)")
    con.execute("INSERT INTO params VALUES ('a', 'lr', '0.1')")
    con.execute("INSERT INTO metrics (run_id, key, value, step, timestamp) VALUES ('a', 'loss', 0.5, 3, 1500)")
    con.close()
    assert SCHEMA_VERSION == 3

    client = Client(path)
    run = client.get_run("a")
    assert (run.info.run_name, run.info.status, run.data.params, run.data.metrics) == (
        "old-run", "FINISHED", {"lr": "0.1"}, {"loss": 0.5})
    con = sqlite3.connect(path)
    assert current_version(con) == SCHEMA_VERSION
    assert con.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    # The version 2 and 3 additions are there and usable on the old file.
    assert "description" in [c[1] for c in con.execute("PRAGMA table_info(runs)")]
    model = tmp_path / "m.bin"
    model.write_bytes(b"x")
    assert client.create_model_version(client.create_registered_model("m").name, str(model)).version == "1"


def test_migrations_run_once_and_a_newer_database_is_refused(tmp_path):
    path = str(tmp_path / "new.db")
    con = sqlite3.connect(path, isolation_level=None)
    assert migrate(con) == SCHEMA_VERSION and migrate(con) == SCHEMA_VERSION
    con.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    con.close()
    with pytest.raises(RegistryError, match=f"schema version {SCHEMA_VERSION + 1}, newer than this ember's"):
        Client(path).search_runs()


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(RegistryError, match="the folder .* does not exist"):
        Client(str(tmp_path / "no" / "runs.db")).search_runs()


def test_threads_of_one_process_each_get_a_connection_and_lose_nothing(tmp_path):
    import threading
    client = Client(str(tmp_path / "runs.db"))
    run_id = client.create_run().info.run_id
    errors = []

    def log(k):
        try:
            for step in range(100):
                client.log_metric(run_id, f"m{k}", float(step), step=step)
        except Exception as e:          # noqa: BLE001 - reported below, with the thread's failure
            errors.append(e)
    threads = [threading.Thread(target=log, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    con = sqlite3.connect(str(tmp_path / "runs.db"))
    assert con.execute("SELECT key, COUNT(DISTINCT step) FROM metrics GROUP BY key ORDER BY key").fetchall() == [
        (f"m{k}", 100) for k in range(4)]
