"""``import torch`` resolves to ember: an import alias for running PyTorch programs unchanged.

:func:`install` puts a finder at the front of ``sys.meta_path`` that maps module names:

============================  ===============================
imported as                   resolves to
============================  ===============================
``torch``                     ``ember``
``torch.X.Y``                 ``ember.X.Y``
``torchvision``               ``ember.vision``
``torchvision.X``             ``ember.vision.X``
``torchaudio(.X)``            ``ember.audio(.X)``
``torchtext(.X)``             ``ember.text(.X)``
============================  ===============================

The alias is only ever explicit: installing ember does not shadow a real PyTorch, which
keeps winning ``import torch`` until :func:`install` is called (or the program is run with
``python -m ember.torch_compat script.py``). A name ember does not have fails with
``ModuleNotFoundError`` naming both the requested and the mapped module, so
``try: import torch._dynamo except ImportError:`` fallbacks work.

Child processes inherit the alias: ``fork`` copies it, and while it is installed ``spawn``
children (DataLoader workers with ``multiprocessing_context="spawn"``, say) install it before
they re-import the main script. ``forkserver`` children do not.

>>> import ember.compat
>>> ember.compat.target_name("torch.nn.functional"), ember.compat.target_name("torchvision.transforms")
('ember.nn.functional', 'ember.vision.transforms')
>>> ember.compat.target_name("numpy") is None
True
"""
import importlib
import importlib.abc
import importlib.util
import sys
import types

__all__ = ["install", "uninstall", "is_installed", "target_name", "ALIASES"]

ALIASES = {"torch": "ember", "torchvision": "ember.vision", "torchaudio": "ember.audio",
           "torchtext": "ember.text"}


# torch submodules that live elsewhere in ember's layering (an optimizer sits above ember.distributed).
MOVED = {"torch.distributed.optim": "ember.optim.zero_redundancy_optimizer"}


def target_name(fullname):
    """The ember module that ``fullname`` resolves to under the alias, or None if it is not aliased."""
    for moved, target in MOVED.items():
        if fullname == moved or fullname.startswith(moved + "."):
            return target + fullname[len(moved):]
    head, _, rest = fullname.partition(".")
    base = ALIASES.get(head)
    if base is None:
        return None
    return base + "." + rest if rest else base


def _resolve(fullname, target):
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as e:
        # Only a missing ember module is the alias's business; a missing dependency of an
        # existing one (PIL, say) propagates unchanged.
        if not e.name or not (target + ".").startswith(e.name + "."):
            raise
        parent, _, child = target.rpartition(".")
        if parent:
            value = getattr(importlib.import_module(parent), child, None)
            if isinstance(value, types.ModuleType):
                return value
        raise ModuleNotFoundError(f"No module named '{fullname}' (ember.compat maps it to '{target}', "
                                  f"which ember does not have)", name=fullname) from None


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the aliased names (``torch``, ``torchvision``, ``torchaudio``, ``torchtext``) and loads
    them as the ember module already imported."""

    def find_spec(self, fullname, path=None, target=None):
        real = target_name(fullname)
        if real is None:
            return None
        module = _resolve(fullname, real)
        return importlib.util.spec_from_loader(fullname, self, is_package=hasattr(module, "__path__"))

    def create_module(self, spec):
        # find_spec imported it; this is a lookup in sys.modules.
        return _resolve(spec.name, target_name(spec.name))

    def exec_module(self, module):
        """The ember module is already executed; the alias only names it."""


_FINDER = _AliasFinder()


def _aliased(name):
    return target_name(name) is not None


def install():
    """Make ``import torch``, ``torchvision``, ``torchaudio`` and ``torchtext`` (and their submodules)
    resolve to ember.

    The finder goes first in ``sys.meta_path`` so it wins over an installed PyTorch. Calling it
    again moves it back to the front. It refuses when the real PyTorch is already imported
    (objects from the two could not be mixed).

    Raises:
        RuntimeError: naming the module if the real ``torch`` (or another aliased package) is imported.
    """
    for name in ALIASES:
        module = sys.modules.get(name)
        if module is not None and not getattr(module, "__name__", "").startswith("ember"):
            raise RuntimeError(f"ember.compat.install(): the real '{name}' is already imported (from "
                               f"{getattr(module, '__file__', '?')}); install the alias before anything "
                               f"imports {name}")
    uninstall(forget=False)
    sys.meta_path.insert(0, _FINDER)
    _spawned_children_install_it()


_CHILD_PRELUDE = "import ember.compat; ember.compat.install(); "
_PERSONA_PRELUDE = "ember.compat.present_as_torch(); "
_persona = [False]


def present_as_torch():
    """Show ember as the PyTorch it stands in for, for a program written for PyTorch (``ember.torch_compat``
    calls it): ``torch.__version__`` is ``"2.13.0+ember<version>"`` (a :class:`~ember.version.TorchVersion`,
    so ``torch.__version__ >= "2.0"`` holds as the program expects) and dtypes print as ``torch.float32``.
    Processes the program spawns present the same way."""
    import ember
    from ember import version
    from ember.backend import dtypes
    if not _persona[0]:
        _persona[0] = True
        ember.__version__ = version.__version__ = version.TorchVersion(f"2.13.0+ember{version.__version__}")
        dtypes.PREFIX[0] = "torch"


def presenting_as_torch():
    return _persona[0]


def _spawned_children_install_it():
    # A spawned child runs ``python -c "from multiprocessing.spawn import spawn_main; ..."`` and
    # then re-imports the main script; it installs the alias first while the parent has it.
    import multiprocessing.spawn as spawn
    original = spawn.get_command_line
    if getattr(original, "_ember_alias", False):
        return

    def get_command_line(**kwds):
        command = original(**kwds)
        if is_installed() and "-c" in command:
            i = command.index("-c") + 1
            command[i] = _CHILD_PRELUDE + (_PERSONA_PRELUDE if _persona[0] else "") + command[i]
        return command

    get_command_line._ember_alias = True
    spawn.get_command_line = get_command_line


def uninstall(forget=True):
    """Remove the alias; with ``forget`` also drop the ``torch*`` entries it put in ``sys.modules``."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    if forget:
        for name in [n for n, m in sys.modules.items() if _aliased(n)
                     and getattr(m, "__name__", "").startswith("ember")]:
            del sys.modules[name]


def is_installed():
    return _FINDER in sys.meta_path
