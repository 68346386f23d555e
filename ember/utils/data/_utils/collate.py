"""PyTorch's ``torch.utils.data._utils.collate`` path for :mod:`ember.data.collate`."""
from ember.data.collate import (collate, collate_float_fn, collate_int_fn, collate_numpy_array_fn,  # noqa: F401
                                collate_numpy_scalar_fn, collate_str_fn, collate_tensor_fn, default_collate,
                                default_convert)

__all__ = ["collate", "default_collate", "default_convert", "collate_tensor_fn", "collate_numpy_array_fn",
           "collate_numpy_scalar_fn", "collate_float_fn", "collate_int_fn", "collate_str_fn"]
