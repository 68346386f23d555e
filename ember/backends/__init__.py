"""``ember.backends``: the switches PyTorch programs set (``torch.backends.cudnn.deterministic = True``).

ember's ops are deterministic and run on the CPU; these flags are accepted and change nothing.
"""
import types

cudnn = types.SimpleNamespace(deterministic=False, benchmark=False, enabled=False,
                              is_available=lambda: False)
mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
mkldnn = types.SimpleNamespace(enabled=False, is_available=lambda: False)
