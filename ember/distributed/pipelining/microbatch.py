"""Splitting a whole batch into microbatches and merging the last stage's outputs back, as torch's pipelining.

Every tensor argument (at any depth of tuples, lists and dicts) is cut along its chunk dimension (0 unless a
:class:`TensorChunkSpec` says otherwise) with ``tensor_split``, so a batch of 10 in 4 microbatches gives
sizes 3, 3, 2, 2; other values are passed whole to every microbatch. When a tensor's chunk dimension is
shorter than the number of chunks, every argument is cut into that many fewer chunks (the schedule then
refuses the step: it expects ``n_microbatches``).

>>> import ember
>>> args, kwargs = split_args_kwargs_into_chunks((ember.arange(10),), None, 4)
>>> [a[0].tolist() for a in args]
[[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]
>>> merge_chunks([a[0] for a in args], None).tolist()
[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
"""
from ember.autograd.tensor import Tensor
from ember.utils._pytree import tree_flatten, tree_unflatten

__all__ = ["TensorChunkSpec", "split_args_kwargs_into_chunks", "merge_chunks"]

DEFAULT_CHUNK_DIM = 0


class TensorChunkSpec:
    """Cut this argument along dimension ``split_dim``."""

    def __init__(self, split_dim):
        self.split_dim = split_dim

    def __repr__(self):
        return f"{type(self).__module__}.{type(self).__name__}({self.split_dim})"

    def __str__(self):
        return f"TensorChunkSpec({self.split_dim})"

    @staticmethod
    def from_tuple(chunk_dims):
        """``(0, 0, 1)`` -> a tuple of specs, one per positional argument."""
        return tuple(TensorChunkSpec(d) for d in chunk_dims)

    @staticmethod
    def from_dict(chunk_dims):
        """``{"ids": 0, "mask": 1}`` -> a dict of specs, one per keyword argument."""
        return {k: TensorChunkSpec(d) for k, d in chunk_dims.items()}


class _Replicate:
    """Give the whole value to every microbatch."""


def _split_tensor(tensor, spec, num_chunks):
    import ember
    size = tensor.shape[spec.split_dim]
    if size < num_chunks:
        raise AssertionError(f"Tensor size {size} is smaller than num_chunks")
    return ember.tensor_split(tensor, num_chunks, spec.split_dim)


def _default_spec(value):
    return TensorChunkSpec(DEFAULT_CHUNK_DIM) if isinstance(value, Tensor) else _Replicate()


def _spec_leaves(values, spec, where):
    if spec is None:
        return [_default_spec(v) for v in values]
    leaves, _ = tree_flatten(spec)
    if len(leaves) != len(values):
        raise AssertionError(f"{where}: {len(values)} values but {len(leaves)} chunk specs ({spec})")
    return leaves


def _shard(values, specs, num_chunks):
    """Cut each leaf; the number of chunks is the least of ``num_chunks`` and every tensor's chunk size."""
    sizes = [num_chunks]
    for v, spec in zip(values, specs):
        if isinstance(spec, TensorChunkSpec):
            if not isinstance(v, Tensor):
                raise ValueError(f"Unsupported chunk spec: {spec} and value: {v!r} combination.")
            sizes.append(v.shape[spec.split_dim])
    n = min(sizes)
    columns = [_split_tensor(v, spec, n) if isinstance(spec, TensorChunkSpec) else [v] * n
               for v, spec in zip(values, specs)]
    return n, [[col[i] for col in columns] for i in range(n)]


def split_args_kwargs_into_chunks(args, kwargs, chunks, args_chunk_spec=None, kwargs_chunk_spec=None):
    """``(args_split, kwargs_split)``: lists of per-microbatch argument tuples and keyword dicts."""
    kwargs = kwargs or {}
    arg_leaves, arg_tree = tree_flatten(tuple(args))
    arg_specs = (_spec_leaves(arg_leaves, tuple(args_chunk_spec), "args_chunk_spec")
                 if args_chunk_spec is not None else _spec_leaves(arg_leaves, None, ""))
    kw_leaves, kw_tree = tree_flatten(dict(kwargs))
    kw_specs = (_spec_leaves(kw_leaves, kwargs_chunk_spec, "kwargs_chunk_spec")
                if kwargs_chunk_spec is not None else _spec_leaves(kw_leaves, None, ""))
    n_args, arg_chunks = _shard(arg_leaves, arg_specs, chunks)
    n_kw, kw_chunks = _shard(kw_leaves, kw_specs, n_args)
    if n_kw < n_args:
        n_args, arg_chunks = _shard(arg_leaves, arg_specs, n_kw)
    args_split = [tuple(tree_unflatten(c, arg_tree)) for c in arg_chunks]
    kwargs_split = [tree_unflatten(c, kw_tree) for c in kw_chunks] if kw_leaves else [{} for _ in args_split]
    return args_split, kwargs_split


def merge_chunks(chunks, chunk_spec):
    """Concatenate the tensors of ``chunks`` (one output per microbatch) along their spec's dimension (0 by
    default); values without a spec must be equal in every chunk."""
    import ember
    first, tree = tree_flatten(chunks[0])
    specs = ([TensorChunkSpec(DEFAULT_CHUNK_DIM)] * len(first) if chunk_spec is None
             else tree_flatten(chunk_spec)[0])
    flat = []
    for chunk in chunks:
        leaves, _ = tree_flatten(chunk)
        if len(leaves) != len(specs):
            raise ValueError(f"Chunk {chunk} did not match chunk spec {chunk_spec}")
        flat.append(leaves)
    merged = []
    for i, spec in enumerate(specs):
        column = [leaves[i] for leaves in flat]
        if isinstance(spec, TensorChunkSpec):
            merged.append(ember.cat(column, dim=spec.split_dim))
        else:
            if any(v != column[0] for v in column[1:]):
                raise AssertionError(f"Expected {column[0]}, got {column}")
            merged.append(column[0])
    return tree_unflatten(merged, tree)
