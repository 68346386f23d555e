"""torch.return_types against torch 2.13: each op with several results returns PyTorch's type for it (its name,
fields, tuple behaviour), printed as PyTorch prints it, both under ``python -m ember.torch_compat`` (as
``torch.return_types.max(...)``, dtypes as ``torch.*``) and in plain ember (``ember.return_types.max(...)``);
var_mean and std_mean stay plain tuples, as in PyTorch."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.return_types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
M = [[1.0, 3.0], [2.0, 0.0]]
SQ = [[2.0, 1.0], [1.0, 3.0]]

OPS = {
    "max": lambda L, x, s: L.max(x, 1), "max_kw": lambda L, x, s: L.max(x, dim=1, keepdim=True),
    "max_method": lambda L, x, s: x.max(0), "min": lambda L, x, s: L.min(x, 1), "sort": lambda L, x, s: L.sort(x),
    "sort_method": lambda L, x, s: x.sort(descending=True), "topk": lambda L, x, s: L.topk(x, 1),
    "kthvalue": lambda L, x, s: L.kthvalue(x, 1), "mode": lambda L, x, s: L.mode(x),
    "median": lambda L, x, s: L.median(x, 1), "nanmedian": lambda L, x, s: L.nanmedian(x, 1),
    "cummax": lambda L, x, s: L.cummax(x, 1), "cummin": lambda L, x, s: L.cummin(x, 1),
    "aminmax": lambda L, x, s: L.aminmax(x), "aminmax_dim": lambda L, x, s: L.aminmax(x, dim=1),
    "frexp": lambda L, x, s: L.frexp(x), "slogdet": lambda L, x, s: L.slogdet(s),
    "linalg_slogdet": lambda L, x, s: L.linalg.slogdet(s), "qr": lambda L, x, s: L.qr(s),
    "linalg_qr": lambda L, x, s: L.linalg.qr(s), "svd": lambda L, x, s: L.svd(s),
    "linalg_svd": lambda L, x, s: L.linalg.svd(s), "linalg_eig": lambda L, x, s: L.linalg.eig(s),
    "linalg_eigh": lambda L, x, s: L.linalg.eigh(s), "linalg_lu": lambda L, x, s: L.linalg.lu(s),
    "lu_unpack": lambda L, x, s: L.lu_unpack(*L.linalg.lu_factor(s)),
    "linalg_lu_factor": lambda L, x, s: L.linalg.lu_factor(s),
    "linalg_lu_factor_ex": lambda L, x, s: L.linalg.lu_factor_ex(s),
    "linalg_cholesky_ex": lambda L, x, s: L.linalg.cholesky_ex(s), "linalg_inv_ex": lambda L, x, s: L.linalg.inv_ex(s),
    "linalg_solve_ex": lambda L, x, s: L.linalg.solve_ex(s, s), "linalg_lstsq": lambda L, x, s: L.linalg.lstsq(s, s),
    "linalg_ldl_factor": lambda L, x, s: L.linalg.ldl_factor(s),
    "linalg_ldl_factor_ex": lambda L, x, s: L.linalg.ldl_factor_ex(s),
    "histogram": lambda L, x, s: L.histogram(x, 2), "histogramdd": lambda L, x, s: L.histogramdd(x, bins=2),
    "geqrf": lambda L, x, s: L.geqrf(s), "triangular_solve": lambda L, x, s: L.triangular_solve(s, s),
    "lu_with_info": lambda L, x, s: L.lu(s, get_infos=True),
    "var_mean": lambda L, x, s: L.var_mean(x), "std_mean": lambda L, x, s: L.std_mean(x, 1),
}


def _results(name):
    out = []
    for L in (ember, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(OPS[name](L, L.tensor(M), L.tensor(SQ)))
    return out


@pytest.mark.parametrize("name", list(OPS))
def test_type_fields_and_tuple_behaviour_match_torch(name):
    ours, theirs = _results(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert isinstance(ours, tuple) and len(ours) == len(theirs)
    if type(theirs) is tuple:
        assert type(ours) is tuple
        return
    assert type(ours) is getattr(ember.return_types, type(theirs).__name__)
    assert type(ours).__module__ == "ember.return_types"
    fields = type(theirs).__match_args__
    assert ours._fields == fields and type(ours).n_fields == type(theirs).n_fields
    first, *rest = ours                      # unpacks
    assert first is ours[0] is getattr(ours, fields[0]) and ours[-1] is getattr(ours, fields[-1])
    assert type(ours)(list(ours)) == ours and type(theirs)(list(theirs)) == theirs   # built from one sequence


def _repr_script(names):
    return ("import torch, warnings\nwarnings.simplefilter('ignore')\n"
            "from tests.compat.test_return_types import OPS, M, SQ\n"
            f"for name in {names!r}:\n"
            "    print(repr(OPS[name](torch, torch.tensor(M), torch.tensor(SQ))))\n")


EXACT = ["max", "max_kw", "sort", "topk", "kthvalue", "mode", "median", "nanmedian", "cummax", "cummin", "aminmax",
         "frexp", "histogram", "var_mean"]   # results that print the same digits in both


def test_repr_under_the_alias_is_torchs_text():
    script = _repr_script(EXACT)
    theirs = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    ours = subprocess.run([sys.executable, "-m", "ember.torch_compat", "-c", script], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert "torch.return_types.max(\nvalues=tensor([3., 2.]),\nindices=tensor([1, 0]))" in theirs.stdout
    assert ours.stdout == theirs.stdout
    assert "dtype=torch.int32" in ours.stdout   # frexp's exponent


def test_repr_in_plain_ember_names_ember():
    for name in EXACT:
        ours, theirs = _results(name)
        assert repr(ours) == repr(theirs).replace("torch.", "ember.")
        assert str(ours) == repr(ours)
    assert repr(ember.max(ember.tensor([1.0, 2.0]), 0)) == \
        "ember.return_types.max(\nvalues=tensor(2.),\nindices=tensor(1))"


def test_import_torch_return_types_under_the_alias():
    code = ("import torch.return_types\nfrom torch.return_types import max as M\n"
            "r = torch.max(torch.ones(2, 2), 1)\n"
            "assert isinstance(r, M) and isinstance(r, torch.return_types.max)\n"
            "assert torch.return_types.sort in torch.return_types.all_return_types\nprint('ok')\n")
    done = subprocess.run([sys.executable, "-m", "ember.torch_compat", "-c", code], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.stdout == "ok\n", done.stderr


def test_values_and_gradients_through_the_named_fields():
    def run(L):
        x = L.tensor(np.array(M), requires_grad=True)
        r = L.max(x, 1)
        (r.values * 2).sum().backward()
        return r.indices.tolist(), x.grad.tolist()
    assert run(ember) == run(torch)
