"""``ember train --task recommend`` end to end: it trains both models, prints RMSE, HR@10 and
NDCG@10, saves them, refuses to overwrite an earlier run and reads MovieLens from --data-root."""
import re

import numpy as np
import pytest

import ember
from ember.cli import main
from ember.recsys import MatrixFactorization, NeuMF, predict, synthetic_ratings


def metric(out, name):
    return float(re.search(rf"{name}: ([0-9.]+)", out).group(1))


def test_recommend_task_on_synthetic_data(tmp_path, capsys):
    out_file = tmp_path / "rec.safetensors"
    assert main(["train", "--task", "recommend", "--epochs", "3", "--batch-size", "256", "--out", str(out_file)]) == 0
    out = capsys.readouterr().out
    rmse, baseline = metric(out, "MF test RMSE"), metric(out, r"global mean")
    assert rmse < 0.6 * baseline
    assert metric(out, "HR@10") > 0.4 and 0 < metric(out, "NDCG@10") < metric(out, "HR@10")
    state = ember.load(str(out_file))
    mf = MatrixFactorization(300, 400, embedding_dim=4)
    mf.load_state_dict(state["mf"])
    neumf = NeuMF(300, 400, gmf_dim=16, mlp_layers=(32, 16, 8))
    neumf.load_state_dict(state["neumf"])
    assert np.isfinite(predict(mf, np.array([0, 1]), np.array([2, 3]))).all()
    with pytest.raises(SystemExit, match="is from an earlier run"):
        main(["train", "--task", "recommend", "--epochs", "1", "--out", str(out_file)])


def test_recommend_task_reads_movielens_from_data_root(tmp_path, capsys):
    # A MovieLens-format folder: synthetic ratings rounded to 1..5, ids from 1, a u.item in Latin-1.
    u, i, r = synthetic_ratings(120, 150, rank=3, density=0.1, noise=0.3, seed=0)
    stars = np.clip(np.round(r), 1, 5).astype(int)
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    (folder / "u.data").write_text("".join(f"{a + 1}\t{b + 1}\t{c}\t{880000000 + k}\n"
                                           for k, (a, b, c) in enumerate(zip(u, i, stars))))
    (folder / "u.item").write_bytes("".join(f"{k}|Film {k} (1996)|01-Jan-1996||x|" + "|".join(["0"] * 19) + "\n"
                                            for k in range(1, 151)).encode("latin-1"))
    with pytest.raises(SystemExit, match="not found in"):
        main(["train", "--task", "recommend", "--data-root", str(folder), "--out", ""])
    assert main(["train", "--task", "recommend", "--epochs", "2", "--batch-size", "256", "--data-root",
                 str(tmp_path), "--out", ""]) == 0
    out = capsys.readouterr().out
    assert f"recommendation on MovieLens-100k in {folder}" in out
    assert "on 180 held-out ratings" in out and "on 120 users" in out
    assert 0 <= metric(out, "HR@10") <= 1 and 0 < metric(out, "MF test RMSE") < 4
