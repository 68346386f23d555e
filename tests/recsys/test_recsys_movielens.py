"""MovieLens100K's download path against a local HTTP server on 127.0.0.1 serving a small
archive with the real layout: md5 verified, bad checksums refused (nothing is kept), an intact
archive is not fetched again, and the files parse as the real ones (tabs, '|' and Latin-1)."""
import hashlib
import io
import zipfile

import numpy as np
import pytest

from ember.recsys.datasets import MovieLens100K
from ember.vision.datasets import DownloadError
from tests._http import FileServer


def fake_archive():
    rng = np.random.default_rng(0)
    rows = [(u, i, int(rng.integers(1, 6)), 874965758 + k) for k, (u, i) in
            enumerate([(1, 1), (1, 3), (2, 2), (3, 1), (3, 4), (4, 4)])]
    data = "".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in rows)
    genres = "|".join(["0"] * 18)
    items = "".join(f"{i}|{title}|01-Jan-1995||http://example/{i}|1|{genres}\n"
                    for i, title in enumerate(["Toy Story (1995)", "Amélie (2001)", "Se7en (1995)",
                                               "Kolya (1996)"], start=1))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("ml-100k/u.data", data)
        z.writestr("ml-100k/u.item", items.encode("latin-1"))
        z.writestr("ml-100k/u1.base", "".join(data.splitlines(True)[:4]))
        z.writestr("ml-100k/u1.test", "".join(data.splitlines(True)[4:]))
        z.writestr("ml-100k/README", "fake")
        z.writestr("../evil", "never written")
    return buf.getvalue(), rows


def Server(files):
    return FileServer(files, max_requests=20)


def local(url, md5):
    return type("MovieLens100K", (MovieLens100K,), {"url": url, "md5": md5, "timeout": 5.0})


def test_real_source_is_grouplens_with_its_published_md5():
    assert MovieLens100K.url == "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
    assert MovieLens100K.md5 == "0e33842e24a9c977be4e0107933c0723"


def test_download_checks_md5_and_parses(tmp_path):
    body, rows = fake_archive()
    with Server({"/ml-100k.zip": body}) as srv:
        cls = local(srv.url + "/ml-100k.zip", hashlib.md5(body).hexdigest())
        ds = cls(tmp_path, download=True)
        assert srv.requests == ["/ml-100k.zip"]
        assert len(ds) == 6 and (ds.num_users, ds.num_items) == (4, 4)
        assert ds[0] == (0, 0, rows[0][2])
        assert ds.users.tolist() == [u - 1 for u, _, _, _ in rows]
        assert ds.timestamps.tolist() == [t for *_, t in rows]
        assert ds.titles[1] == "Amélie (2001)" and ds.genres.shape == (4, 19)
        assert not (tmp_path / "evil").exists() and not (tmp_path.parent / "evil").exists()
        train, test = cls(tmp_path, fold="u1"), cls(tmp_path, fold="u1", train=False)
        assert len(train) == 4 and len(test) == 2 and test.num_items == 4
        # Present files: no second request; a fresh root with the archive in place: none either.
        cls(tmp_path, download=True)
        (tmp_path / "again").mkdir()
        (tmp_path / "again" / "ml-100k.zip").write_bytes(body)
        cls(tmp_path / "again", download=True)
        assert srv.requests == ["/ml-100k.zip"]


def test_bad_checksum_is_refused_and_nothing_is_kept(tmp_path):
    body, _ = fake_archive()
    with Server({"/ml-100k.zip": body}) as srv:
        with pytest.raises(DownloadError, match="checksum is wrong.*expected 0{32}"):
            local(srv.url + "/ml-100k.zip", "0" * 32)(tmp_path, download=True)
    assert not (tmp_path / "ml-100k.zip").exists() and not (tmp_path / "ml-100k").exists()


def test_missing_files_and_bad_fold(tmp_path):
    with pytest.raises(RuntimeError, match=r"MovieLens100K: u.data, u.item not found in .*ml-100k; use download=True"):
        MovieLens100K(tmp_path)
    with pytest.raises(ValueError, match="fold must be None or one of u1"):
        MovieLens100K(tmp_path, fold="u9")
