"""``vmap``: map a function over a batch dimension of its inputs (``torch.func.vmap``).

ember runs the function once per batch element and stacks the results (PyTorch instead batches
each op): the values, gradients and nesting are the same; the cost is one Python call per element.
``chunk_size`` is accepted and changes nothing. ``randomness`` behaves as PyTorch's: ``"error"``
(default) raises if the function draws random numbers, ``"different"`` gives each element its
own draws, ``"same"`` gives every element the same draws.

>>> import ember
>>> from ember.func import vmap
>>> vmap(ember.dot)(ember.ones(3, 2), ember.arange(6.0).reshape(3, 2))
tensor([1., 5., 9.])
"""
import functools

from ..autograd.tensor import Tensor
from ._tree import flatten, unflatten


def _flat_dims(dims, tree, what):
    """One dim (or None) per leaf of ``tree``, from an int/None or a pytree prefix of ``tree``."""
    leaves, spec = flatten(tree)
    if dims is None or isinstance(dims, int):
        return [dims] * len(leaves)
    dim_leaves, dim_spec = flatten(dims)
    if dim_spec == spec:
        return dim_leaves
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)) and len(dims) == len(tree):
        return [d for sub_dims, sub in zip(dims, tree) for d in _flat_dims(sub_dims, sub, what)]
    if isinstance(dims, dict) and isinstance(tree, dict) and dims.keys() == tree.keys():
        return [d for k in tree for d in _flat_dims(dims[k], tree[k], what)]
    raise ValueError(f"vmap: {what}={dims!r} is not compatible with the structure of the "
                     f"{'inputs' if what == 'in_dims' else 'outputs'}")


def _check_in_dims(in_dims, args):
    if not isinstance(in_dims, (int, tuple)) and in_dims is not None:
        raise ValueError(f"vmap(f, in_dims={in_dims}, ...): expected `in_dims` to be int or a (potentially "
                         f"nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
    if isinstance(in_dims, tuple) and len(in_dims) != len(args):
        raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the structure "
                         f"of `inputs`. in_dims has structure with {len(in_dims)} entries but inputs has "
                         f"{len(args)} positional arguments.")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Vectorize ``func`` over dimension ``in_dims`` of its inputs; outputs get the batch dimension at ``out_dims``.

    Args:
        func: a function of tensors (pytrees of tensors) returning tensors (a pytree of tensors).
        in_dims (int, None or pytree): the mapped dimension of each input; None leaves an input unmapped.
        out_dims (int or pytree): where the batch dimension goes in each output.
        randomness (str): ``"error"``, ``"different"`` or ``"same"``.
        chunk_size (int, optional): accepted for compatibility.
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                           f"{randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        import ember
        _check_in_dims(in_dims, args)
        leaves, spec = flatten(list(args))
        dims = _flat_dims(list(in_dims) if isinstance(in_dims, tuple) else in_dims, list(args), "in_dims")
        sizes = set()
        for x, d in zip(leaves, dims):
            if d is None:
                continue
            if not isinstance(x, Tensor):
                raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but the "
                                 f"input is of type {type(x)}. We cannot vmap over non-Tensor arguments, please use "
                                 "None as the respective in_dim")
            if not -x.dim() <= d < max(x.dim(), 1) or x.dim() == 0:
                raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some input, but "
                                 f"that input is a Tensor of dimensionality {x.dim()} so expected in_dim to satisfy "
                                 f"-{x.dim()} <= in_dim < {x.dim()}.")
            sizes.add(x.shape[d])
        if not sizes:
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): at least one input must be a Tensor "
                             "mapped over a dimension (in_dims all None)")
        if len(sizes) > 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                             f"{sorted(sizes)} for the mapped dimension")
        batch = sizes.pop()
        state = ember.get_rng_state()
        results = []
        for i in range(batch):
            if randomness == "same":
                ember.set_rng_state(state)
            sliced = [x.select(d, i) if d is not None else x for x, d in zip(leaves, dims)]
            before = ember.get_rng_state() if randomness == "error" else None
            results.append(func(*unflatten(spec, sliced), **kwargs))
            if before is not None and not bool((ember.get_rng_state() == before).all()):
                raise RuntimeError("vmap: called random operation while in randomness error mode. Please either "
                                   "use the 'same' or 'different' randomness flags on vmap or perform the "
                                   "randomness operation out of vmap")
        out_leaves, out_spec = flatten(results[0])
        per_item = [flatten(r)[0] for r in results]
        odims = _flat_dims(out_dims, results[0], "out_dims")
        stacked = []
        for k, (first, d) in enumerate(zip(out_leaves, odims)):
            if not isinstance(first, Tensor):
                raise ValueError(f"vmap({getattr(func, '__name__', 'f')}, ...): `{getattr(func, '__name__', 'f')}`"
                                 f" must only return Tensors, got type {type(first)}. Did you mean to set "
                                 "out_dims= to None for output?")
            if d is None:
                stacked.append(first)
                continue
            if not -(first.dim() + 1) <= d <= first.dim():
                raise ValueError(f"vmap: Got out_dim={d} for an output of dimensionality {first.dim()}")
            stacked.append(ember.stack([items[k] for items in per_item], dim=d))
        return unflatten(out_spec, stacked)
    return wrapped
