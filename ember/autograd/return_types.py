"""``torch.return_types``: the named tuples that ops with several results return.

``torch.max(x, 1)`` returns a ``return_types.max`` with fields ``values`` and ``indices``: a tuple (index
it, unpack it, compare it with a plain tuple) whose fields also have names, printed as PyTorch prints it::

    torch.return_types.max(
    values=tensor([3., 2.]),
    indices=tensor([1, 0]))

(``ember.return_types.max(...`` outside a PyTorch program, as ``ember.Size`` prints). As PyTorch's, a type
may be built from one sequence, ``return_types.max([values, indices])``; ember's take the fields as
arguments too.

>>> import ember
>>> v, i = ember.max(ember.tensor([[1.0, 3.0], [2.0, 0.0]]), 1)
>>> type(ember.sort(ember.tensor([2.0, 1.0]))).__name__, i.tolist()
('sort', [1, 0])
"""
import collections

from ..backend import dtypes as _dt

# PyTorch's fields for each type (its structseq types' ``__match_args__``).
FIELDS = {
    "aminmax": ("min", "max"), "cummax": ("values", "indices"), "cummin": ("values", "indices"),
    "frexp": ("mantissa", "exponent"), "geqrf": ("a", "tau"), "histogram": ("hist", "bin_edges"),
    "histogramdd": ("hist", "bin_edges"), "kthvalue": ("values", "indices"),
    "linalg_cholesky_ex": ("L", "info"), "linalg_eig": ("eigenvalues", "eigenvectors"),
    "linalg_eigh": ("eigenvalues", "eigenvectors"), "linalg_inv_ex": ("inverse", "info"),
    "linalg_ldl_factor": ("LD", "pivots"), "linalg_ldl_factor_ex": ("LD", "pivots", "info"),
    "linalg_lstsq": ("solution", "residuals", "rank", "singular_values"), "linalg_lu": ("P", "L", "U"),
    "linalg_lu_factor": ("LU", "pivots"), "linalg_lu_factor_ex": ("LU", "pivots", "info"),
    "linalg_qr": ("Q", "R"), "linalg_slogdet": ("sign", "logabsdet"), "linalg_solve_ex": ("result", "info"),
    "linalg_svd": ("U", "S", "Vh"), "lu_unpack": ("P", "L", "U"), "max": ("values", "indices"),
    "median": ("values", "indices"), "min": ("values", "indices"), "mode": ("values", "indices"),
    "nanmedian": ("values", "indices"), "qr": ("Q", "R"), "slogdet": ("sign", "logabsdet"),
    "sort": ("values", "indices"), "svd": ("U", "S", "V"), "topk": ("values", "indices"),
    "triangular_solve": ("solution", "cloned_coefficient"), "_lu_with_info": ("LU", "pivots", "info"),
    "_unpack_dual": ("primal", "tangent"),
}


def _repr(self):
    body = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"{_dt.PREFIX[0]}.return_types.{type(self).__name__}(\n{body})"


def _new(cls, *args, **kwargs):
    if len(args) == 1 and not kwargs and not hasattr(args[0], "_data"):   # a sequence, not a tensor
        args = tuple(args[0])   # PyTorch's form: one sequence of all the fields
        if len(args) != len(cls._fields):
            raise TypeError(f"{_dt.PREFIX[0]}.return_types.{cls.__name__}() takes a {len(cls._fields)}-sequence "
                            f"({len(args)}-sequence given)")
    return cls._tuple_new(cls, *args, **kwargs)


def _make_type(name, fields):
    base = collections.namedtuple(name, fields)
    return type(name, (base,), {"__slots__": (), "__repr__": _repr, "__new__": _new, "_tuple_new": base.__new__,
                                "__module__": "ember.return_types", "__qualname__": name,
                                "n_fields": len(fields), "n_sequence_fields": len(fields), "n_unnamed_fields": 0,
                                "__doc__": f"``{name}({', '.join(fields)})``, as ``torch.return_types.{name}``."})


for _name, _fields in FIELDS.items():
    globals()[_name] = _make_type(_name, _fields)
del _name, _fields

all_return_types = [globals()[n] for n in FIELDS]

__all__ = [n for n in FIELDS if not n.startswith("_")] + ["all_return_types"]


def as_type(cls, result):
    """``result`` (a tuple of the fields) as ``cls``; anything else (a plain tensor) unchanged."""
    if isinstance(result, tuple) and type(result) is not cls:
        return cls(*result)
    return result
