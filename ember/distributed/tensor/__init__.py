"""``ember.distributed.tensor`` (``torch.distributed.tensor``): DTensor, its placements and a device mesh.

See :mod:`._api` for what a DTensor is and computes. Factories ``zeros``, ``ones``, ``full`` and
``empty`` make a DTensor of a global ``size`` directly in pieces, without a collective.
"""
import numpy as np

from ember.distributed.device_mesh import DeviceMesh, init_device_mesh
from .placement_types import Placement, Shard, Replicate, Partial
from ._api import DTensor, distribute_tensor, _local_slices, _normalize, _default_mesh

__all__ = ["DTensor", "DeviceMesh", "init_device_mesh", "Placement", "Shard", "Replicate", "Partial",
           "distribute_tensor", "zeros", "ones", "full", "empty"]


def _factory(size, fill, dtype, device_mesh, placements, requires_grad):
    from ember.backend import dtypes as _dt
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    mesh = device_mesh if device_mesh is not None else _default_mesh()
    pl = _normalize(placements, mesh, len(shape))
    region = _local_slices(shape, mesh, pl, mesh.get_coordinate())
    local_shape = tuple(s.stop - s.start for s in region)
    d = (_dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)).numpy
    arr = np.empty(local_shape, d) if fill is None else np.full(local_shape, fill, d)
    return DTensor._make(arr, mesh, pl, shape, requires_grad)


def zeros(*size, requires_grad=False, dtype=None, layout=None, device_mesh=None, placements=None):
    return _factory(size, 0, dtype, device_mesh, placements, requires_grad)


def ones(*size, requires_grad=False, dtype=None, layout=None, device_mesh=None, placements=None):
    return _factory(size, 1, dtype, device_mesh, placements, requires_grad)


def full(size, fill_value, *, requires_grad=False, dtype=None, layout=None, device_mesh=None, placements=None):
    return _factory((size,), fill_value, dtype, device_mesh, placements, requires_grad)


def empty(*size, requires_grad=False, dtype=None, layout=None, device_mesh=None, placements=None):
    return _factory(size, None, dtype, device_mesh, placements, requires_grad)
