"""``DeviceMesh``: the ranks of a job laid out as an n-dimensional array (``torch.distributed.device_mesh``).

A mesh of shape ``(2, 4)`` over 8 ranks is ``[[0, 1, 2, 3], [4, 5, 6, 7]]``: along dimension 1 a rank
shares its row (4 ranks: a shard group), along dimension 0 its column (2 ranks: a replica group).
Each dimension has a process group per slice; ``get_group(dim)`` is this rank's. DTensors place
their data over a mesh (:mod:`ember.distributed.tensor`); ``fully_shard`` shards parameters over one.

Example (every rank of a 2-rank job)::

    mesh = init_device_mesh("cpu", (2,))          # DeviceMesh((2,), 'cpu', stride=(1,))
    mesh.size(), mesh.get_local_rank()            # (2, this rank)
"""
import numpy as np

__all__ = ["DeviceMesh", "init_device_mesh"]


def _strides(shape):
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= n
    return tuple(reversed(out))


class DeviceMesh:
    """The ranks ``mesh`` (an n-d array of global ranks) of ``device_type`` ("cpu"), with optional dim names.

    Every rank of the job must build the same mesh, in the same order as other collectives: making the
    per-dimension groups is collective over the default group."""

    def __init__(self, device_type, mesh, *, mesh_dim_names=None, _init_backend=True, _groups=None):
        from ember.autograd.tensor import Tensor
        from ember.distributed import process_group as pgm
        if not pgm.is_initialized():       # as PyTorch: the default group, from torchrun's environment
            pgm.init_process_group()
        arr = np.asarray(mesh._data if isinstance(mesh, Tensor) else mesh, dtype=np.int64)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if str(device_type) not in ("cpu",):
            raise RuntimeError(f"DeviceMesh: ember runs on the CPU only; device_type must be 'cpu', got "
                               f"{device_type!r}")
        if mesh_dim_names is not None and len(mesh_dim_names) != arr.ndim:
            raise RuntimeError(f"DeviceMesh: mesh_dim_names {tuple(mesh_dim_names)} must name each of the mesh's "
                               f"{arr.ndim} dimensions")
        if len(set(arr.ravel().tolist())) != arr.size:
            raise RuntimeError(f"DeviceMesh: the mesh's ranks must be distinct, got {arr.tolist()}")
        self.device_type = str(device_type)
        self._mesh = arr
        self.mesh_dim_names = tuple(mesh_dim_names) if mesh_dim_names is not None else None
        self._rank = pgm.get_rank()
        where = np.argwhere(arr == self._rank)
        self._coordinate = [int(c) for c in where[0]] if len(where) else None
        self._groups = _groups if _groups is not None else self._make_groups(pgm)

    def _make_groups(self, pgm):
        """One group per 1-d slice of each dimension (every rank makes all of them, in one order); keep ours."""
        world = pgm.get_world_size()
        groups = []
        for dim in range(self._mesh.ndim):
            moved = np.moveaxis(self._mesh, dim, -1).reshape(-1, self._mesh.shape[dim])
            mine = None
            for ranks in moved.tolist():
                if sorted(ranks) == list(range(world)) and ranks == sorted(ranks):
                    g = pgm.get_default_group()
                else:
                    g = pgm.new_group(ranks)
                if self._rank in ranks:
                    mine = g
            groups.append(mine)
        return groups

    # -- what a mesh is -------------------------------------------------------------------------
    @property
    def mesh(self):
        from ember.autograd.tensor import make
        return make(self._mesh.copy())

    @property
    def shape(self):
        return tuple(self._mesh.shape)

    @property
    def ndim(self):
        return self._mesh.ndim

    def size(self, mesh_dim=None):
        return self._mesh.size if mesh_dim is None else self._mesh.shape[self._dim(mesh_dim)]

    def _dim(self, mesh_dim):
        if isinstance(mesh_dim, str):
            if not self.mesh_dim_names or mesh_dim not in self.mesh_dim_names:
                raise KeyError(f"Mesh dimension '{mesh_dim}' does not exist. Available mesh dimensions are: "
                               f"mesh_dim_names={self.mesh_dim_names}")
            return self.mesh_dim_names.index(mesh_dim)
        return int(mesh_dim)

    def get_group(self, mesh_dim=None):
        """This rank's process group along ``mesh_dim`` (required for a mesh of more than one dimension)."""
        if mesh_dim is None:
            if self.ndim != 1:
                raise RuntimeError(f"Found the DeviceMesh have {self.ndim} dimensions. Optional kwarg `mesh_dim` "
                                   f"needs to be specified when device_mesh.ndim > 1.")
            mesh_dim = 0
        return self._groups[self._dim(mesh_dim)]

    def get_all_groups(self):
        return list(self._groups)

    def get_rank(self):
        return self._rank

    def get_local_rank(self, mesh_dim=None):
        """This rank's index along ``mesh_dim``."""
        if mesh_dim is None:
            if self.ndim != 1:
                raise RuntimeError("Optional kwarg `mesh_dim` needs to be specified when device_mesh.ndim > 1.")
            mesh_dim = 0
        return self._coordinate[self._dim(mesh_dim)]

    def get_coordinate(self):
        """This rank's index in every dimension, or None for a rank outside the mesh."""
        return list(self._coordinate) if self._coordinate is not None else None

    def __getitem__(self, names):
        """The sub-mesh along the named dimension(s) through this rank (``mesh["dp"]``)."""
        names = (names,) if isinstance(names, str) else tuple(names)
        dims = [self._dim(n) for n in names]
        index = tuple(slice(None) if d in dims else self._coordinate[d] for d in range(self.ndim))
        sub = self._mesh[index]
        order = sorted(range(len(dims)), key=lambda i: dims[i])
        sub = np.transpose(sub, np.argsort([dims[i] for i in order])) if len(dims) > 1 else sub
        groups = [self._groups[d] for d in dims]
        return DeviceMesh(self.device_type, sub, mesh_dim_names=names, _groups=groups)

    def _all_ranks_group(self):
        """A group over every rank of the mesh (the default group when the mesh is the whole job)."""
        if self.ndim == 1:
            return self._groups[0]
        from ember.distributed import process_group as pgm
        if self._mesh.size == pgm.get_world_size():
            return pgm.get_default_group()
        raise NotImplementedError("DeviceMesh: a multi-dimensional mesh over part of the job's ranks")

    def __repr__(self):
        dims = self.shape if not self.mesh_dim_names else \
            "(" + ", ".join(f"{n}={s}" for n, s in zip(self.mesh_dim_names, self.shape)) + ("," if self.ndim == 1
                                                                                             else "") + ")"
        return f"DeviceMesh({dims}, '{self.device_type}', stride={_strides(self.shape)})"

    def __eq__(self, other):
        return (isinstance(other, DeviceMesh) and self.device_type == other.device_type
                and np.array_equal(self._mesh, other._mesh) and self.mesh_dim_names == other.mesh_dim_names)

    def __hash__(self):
        return hash((self.device_type, tuple(self._mesh.ravel().tolist()), self._mesh.shape, self.mesh_dim_names))


def init_device_mesh(device_type, mesh_shape, *, mesh_dim_names=None, backend_override=None):
    """A mesh of ``mesh_shape`` over the job's ranks in order (ranks ``0 .. prod(mesh_shape) - 1``); the product
    of the shape must be the world size. Without ``init_process_group`` it joins the default group first (from
    torchrun's environment), as PyTorch does."""
    from ember.distributed import process_group as pgm
    if not pgm.is_initialized():
        pgm.init_process_group()
    shape = tuple(int(s) for s in mesh_shape)
    world = pgm.get_world_size()
    if int(np.prod(shape)) != world:
        raise RuntimeError(f"init_device_mesh: mesh_shape {shape} holds {int(np.prod(shape))} ranks but the world "
                           f"size is {world}")
    return DeviceMesh(device_type, np.arange(world).reshape(shape), mesh_dim_names=mesh_dim_names)
