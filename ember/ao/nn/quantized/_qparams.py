"""The output quantization of a quantized module, saved and loaded as torch does (``scale``, ``zero_point``)."""
import numpy as np

from ....autograd.tensor import make


class OutputQParams:
    """Mixin for a module whose output is quantized with ``self.scale`` / ``self.zero_point``: its state dict
    holds them as ``<prefix>scale`` (float32) and ``<prefix>zero_point`` (int64), after the module's own
    entries, as torch's quantized modules save them."""

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "scale"] = make(np.array(self.scale, np.float32))
        destination[prefix + "zero_point"] = make(np.array(self.zero_point, np.int64))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        if prefix + "scale" in state_dict:
            self.scale = float(state_dict.pop(prefix + "scale").item())
        if prefix + "zero_point" in state_dict:
            self.zero_point = int(state_dict.pop(prefix + "zero_point").item())
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys, unexpected_keys,
                                      error_msgs)
