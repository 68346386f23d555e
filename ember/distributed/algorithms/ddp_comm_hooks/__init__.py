"""DDP communication hooks: ``model.register_comm_hook(state, hook)`` with a hook of :mod:`.default_hooks`."""
from . import default_hooks  # noqa: F401
