"""Every collective under ``mpiexec -n 2`` (MPI) and ``ember.distributed.run`` (gloo over TCP), each result against NumPy applied to the ranks' inputs."""
import json
import os

import numpy as np
import pytest

from ._launch import LAUNCHERS

N = 2


def base(rank):   # the job's input on each rank
    return np.arange(6, dtype=np.float64).reshape(2, 3) * (rank + 1) + rank


def ints(rank):
    return np.array([5, 3, 12, 7], np.int64) + 3 * rank


@pytest.fixture(scope="module", params=list(LAUNCHERS))
def ranks(tmp_path_factory, request):
    tmp = str(tmp_path_factory.mktemp("collectives"))
    proc = LAUNCHERS[request.param]("collectives_job.py", tmp, n=N)
    assert proc.returncode == 0, proc.stderr[-3000:]
    backend = {"mpiexec": "mpi", "gloo": "gloo"}[request.param]
    return [dict(json.load(open(os.path.join(tmp, f"rank{r}.json"))), expected_backend=backend) for r in range(N)]


X = [base(r) for r in range(N)]
I = [ints(r) for r in range(N)]


@pytest.mark.parametrize("op,expected", [
    ("SUM", X[0] + X[1]), ("PRODUCT", X[0] * X[1]), ("MIN", np.minimum(X[0], X[1])),
    ("MAX", np.maximum(X[0], X[1])), ("AVG", (X[0] + X[1]) / 2)])
def test_all_reduce_float_ops(ranks, op, expected):
    for res in ranks:
        np.testing.assert_allclose(res[f"all_reduce_{op}"], expected, rtol=1e-12)


@pytest.mark.parametrize("op,expected", [("BAND", I[0] & I[1]), ("BOR", I[0] | I[1]), ("BXOR", I[0] ^ I[1]),
                                         ("SUM", I[0] + I[1])])
def test_all_reduce_integer_ops(ranks, op, expected):
    for res in ranks:
        assert res[f"all_reduce_int_{op}"] == expected.tolist()


def test_all_reduce_bool_half_view_and_async(ranks):
    for res in ranks:
        assert res["all_reduce_bool_SUM"] == np.logical_or([True, False, False, False],
                                                           [True, False, True, False]).tolist()
        assert res["all_reduce_half"][0] == "ember.float16"
        np.testing.assert_allclose(res["all_reduce_half"][1], (X[0].astype(np.float16) + X[1].astype(np.float16)))
        np.testing.assert_allclose(res["all_reduce_view_base"], X[0] + X[1])
        kind, waited, completed, value = res["async"]
        assert (kind, waited, completed) == ("Work", True, True)
        np.testing.assert_allclose(value, X[0] + X[1])


def test_broadcast_gather_scatter_family(ranks):
    for r, res in enumerate(ranks):
        assert (res["rank"], res["world"], res["backend"], res["initialized"]) == (r, N, res["expected_backend"], True)
        np.testing.assert_allclose(res["broadcast"], X[1])
        np.testing.assert_allclose(res["all_gather"], np.stack(X))
        np.testing.assert_allclose(res["all_gather_into_tensor"], np.concatenate(X))
        # input_list[k] of rank j is base(j) * (k + 1): rank r gets the sum over j of base(j) * (r + 1)
        np.testing.assert_allclose(res["reduce_scatter"], (X[0] + X[1]) * (r + 1))
        np.testing.assert_allclose(res["reduce_scatter_tensor_MAX"],
                                   np.maximum(X[0].reshape(-1), X[1].reshape(-1)).reshape(N, 3)[r])
        np.testing.assert_allclose(res["reduce"], X[0] + X[1] if r == 1 else X[r])
        np.testing.assert_allclose(res["scatter"], X[r] * 10)
        np.testing.assert_allclose(res["all_to_all"], [X[j][0] + 100 * r for j in range(N)])
    np.testing.assert_allclose(ranks[0]["gather"], np.stack(X))
    assert ranks[1]["gather"] is None
    assert ranks[1]["recv"][0] == 0
    np.testing.assert_allclose(ranks[1]["recv"][1], X[0])


def test_object_collectives_and_groups(ranks):
    for r, res in enumerate(ranks):
        assert res["all_gather_object"] == [{"rank": k, "name": f"r{k}", "tuple": [k, 1.5]} for k in range(N)]
        assert res["broadcast_object_list"] == [{"from": 1}, [1, 1]]
        assert res["scatter_object_list"] == f"for {r}"
        assert res["new_group"] == ([-1, -1] if r == 0 else [0, 1])
        assert res["after_destroy"] is False
    assert ranks[1]["gather_object"] == [0, 7] and ranks[0]["gather_object"] is None
    assert ranks[1]["new_group_all_reduce"] == [2.0]


def test_errors_name_the_function_and_the_values(ranks):
    errors = ranks[0]["errors"]
    assert errors["shape"] == ("ember.distributed.all_gather: tensor_list[0] has shape (3,), expected (2,) "
                               "(the shape of the local tensor)")
    assert errors["json"].startswith("ember.distributed.all_gather_object: objects are sent as JSON")
    assert errors["twice"] == "trying to initialize the default process group twice!"
