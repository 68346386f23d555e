"""The process group: ``init_process_group``, ranks, groups and the fail-fast watchdog.

Two transports carry the collectives:

- MPI, through mpi4py (``pip install "ember[mpi]"`` installs mpi4py and the MPICH wheel; its
  ``mpiexec`` starts the processes). mpi4py is imported here only, inside ``init_process_group``
  and ``new_group``, so ``import ember`` never pays for it. ``init_process_group("mpi")`` takes the
  rank and world size from MPI (``mpiexec -n N`` or ``ember run -n N``); so does ``"gloo"`` (PyTorch's
  CPU backend, which CPU programs usually name) in processes an MPI launcher started.
- ``"gloo"`` in processes that no MPI launcher started (``torch.multiprocessing.spawn`` with
  ``MASTER_ADDR``/``MASTER_PORT``, ``python -m ember.distributed.run``, torchrun's environment, an
  explicit ``store=``): ember's own TCP transport (:mod:`ember.distributed.tcp`), standard library
  only, with the rendezvous at ``init_method`` (``env://``, ``tcp://host:port``, ``file://path``).

``"nccl"`` is refused: ember has no GPUs.

Fail fast, never hang: every collective waits by polling its non-blocking MPI request against
the group's ``timeout``; past it the job is aborted (``MPI_Abort``) with a message naming the
rank, the operation and the timeout. A rank that dies ends the whole job within about a second:
MPICH's ``mpiexec`` kills the other ranks (silently: SIGKILL); under ``ember run`` (which passes
``-disable-auto-cleanup``) it signals them instead, and each one says on stderr which rank died
(the ranks' pids are exchanged at initialization) and exits. An uncaught exception on one rank
aborts the job at once, with its traceback, instead of leaving the others waiting.

>>> import ember.distributed as dist
>>> dist.is_initialized()
False
"""
import datetime
import importlib.util
import os
import signal
import socket
import sys
import time

__all__ = ["ProcessGroup", "GroupMember", "Backend", "is_available", "is_mpi_available", "is_gloo_available",
           "is_nccl_available", "is_ucc_available", "is_xccl_available", "is_initialized",
           "is_torchelastic_launched", "init_process_group", "destroy_process_group", "get_rank",
           "get_world_size", "get_backend", "new_group", "get_process_group_ranks", "get_global_rank",
           "get_group_rank", "get_node_local_rank", "get_default_group", "default_pg_timeout", "launched_under_mpi",
           "is_backend_available", "get_default_backend_for_device", "get_pg_count", "new_subgroups",
           "new_subgroups_by_enumeration"]

default_pg_timeout = datetime.timedelta(minutes=30)   # PyTorch's default_pg_timeout

_MPI_EXTRA = 'pip install "ember[mpi]"'


_MPI = None


def _mpi():
    """The transport's names (mpi4py's ``MPI`` module, or the TCP transport's stand-in for it)."""
    global _MPI
    if _state.transport is not None:
        return _state.transport
    if _MPI is None:
        try:
            from mpi4py import MPI
        except ImportError as e:
            raise ImportError(f"ember.distributed needs mpi4py and an MPI library for its 'mpi' backend: "
                              f"{_MPI_EXTRA} (mpi4py with the MPICH wheel) [{e}]") from e
        _MPI = MPI
    return _MPI


def is_available():
    """True when the MPI backend can be used (mpi4py is installed); nothing is imported to answer."""
    return importlib.util.find_spec("mpi4py") is not None


is_mpi_available = is_available


def is_gloo_available():
    """True: "gloo" runs over ember's TCP transport (or over MPI under an MPI launcher)."""
    return True


def is_nccl_available():
    return False


def is_ucc_available():
    return False


def is_xccl_available():
    return False


def is_backend_available(backend):
    """Whether ``backend`` ("gloo", "mpi", a "cpu:gloo,cuda:nccl" map ...) can be used here."""
    name = str(backend).lower()
    if ":" in name:
        return all(is_backend_available(part.split(":")[-1]) for part in name.split(","))
    return {"gloo": is_gloo_available, "mpi": is_mpi_available}.get(name, lambda: False)()


_DEVICE_BACKEND = {"cpu": "gloo", "cuda": "nccl", "xpu": "xccl", "mps": "gloo"}   # PyTorch's default map


def get_default_backend_for_device(device):
    """The backend PyTorch uses by default for ``device`` (a string or device): "gloo" for the CPU."""
    kind = getattr(device, "type", None) or str(device).split(":")[0]
    if kind not in _DEVICE_BACKEND:
        raise ValueError(f"Default backend not registered for device : {kind}")
    return _DEVICE_BACKEND[kind]


def is_torchelastic_launched():
    """True when launched by torchrun (which sets ``TORCHELASTIC_RUN_ID``), as in PyTorch."""
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def launched_under_mpi():
    """``(rank, world_size)`` from the environment an MPI launcher sets (MPICH/Intel ``PMI_*``, Open MPI
    ``OMPI_COMM_WORLD_*``, PMIx), or None when not launched by one. Reads the environment only."""
    env = os.environ
    for rank_key, size_key in (("PMI_RANK", "PMI_SIZE"), ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
                               ("PMIX_RANK", "PMIX_SIZE")):
        if rank_key in env and size_key in env:
            try:
                return int(env[rank_key]), int(env[size_key])
            except ValueError:
                return None
    return None


class Backend(str):
    """A backend name, lower-cased (``Backend("GLOO") == Backend.GLOO == "gloo"``)."""
    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend name must be a string, but got: {name!r}")
        value = name.lower()
        if value.startswith("cpu:"):
            value = value[4:]
        return str.__new__(cls, value)


class ProcessGroup:
    """Ranks that run collectives together: an MPI communicator and the global ranks it holds.

    ``rank()`` and ``size()`` are this process's rank in the group and the group's size, as in PyTorch.
    """

    def __init__(self, comm, ranks, timeout, name, backend="mpi"):
        self.backend = backend
        self.comm = comm
        self.ranks = list(ranks)
        self.timeout = timeout
        self.group_name = name
        self._rank = comm.Get_rank()
        self._size = comm.Get_size()

    def rank(self):
        return self._rank

    def size(self):
        return self._size

    def name(self):
        return self.backend

    def __repr__(self):
        return f"ProcessGroup(backend={self.backend!r}, ranks={self.ranks}, name={self.group_name!r})"


class GroupMember:
    """``GroupMember.WORLD`` (the default group once initialized) and ``NON_GROUP_MEMBER``."""
    WORLD = None
    NON_GROUP_MEMBER = -100


class _State:
    world = None              # the default ProcessGroup
    peers = []                # per global rank: {"host":..., "pid":...}
    op = None                 # the collective this rank is waiting in, for the failure messages
    groups = 0
    transport = None          # the TCP transport's namespace while a "gloo" group over TCP is up
    store = None
    previous_excepthook = None


_state = _State()


def is_initialized():
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return _state.world is not None


def _not_initialized():
    raise ValueError("Default process group has not been initialized, please make sure to call "
                     "init_process_group.")


def get_default_group():
    if _state.world is None:
        _not_initialized()
    return _state.world


def resolve_group(group):
    """The ProcessGroup to run on (``None`` or ``GroupMember.WORLD``: the default group)."""
    if _state.world is None:
        _not_initialized()
    if group is None or group is GroupMember.WORLD:
        return _state.world
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"ember.distributed: group must be a ProcessGroup from new_group() or None, got "
                        f"{type(group).__name__}")
    return group


def _as_seconds(timeout):
    if timeout is None:
        return default_pg_timeout.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    return float(timeout)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the job's default process group.

    Args:
        backend (str): ``"gloo"`` (the default): under an MPI launcher, the MPI world; otherwise ember's
            TCP transport, the ranks meeting at ``init_method``. ``"mpi"``: the MPI world always.
            ``"nccl"`` is refused (no GPUs).
        init_method (str): for gloo over TCP, ``"env://"`` (the default: ``MASTER_ADDR``,
            ``MASTER_PORT``, ``RANK``, ``WORLD_SIZE`` from the environment), ``"tcp://host:port"`` or
            ``"file:///path"``; for MPI, ``None`` or ``"env://"`` (MPI itself tells each process its rank).
        timeout (timedelta or seconds): how long the rendezvous and each collective may wait before the
            job is aborted (default 30 minutes, PyTorch's ``default_pg_timeout``).
        world_size, rank (int): this job's size and this process's rank; under MPI they must equal MPI's.
        store (Store): a rendezvous store to use instead of ``init_method`` (needs rank and world_size).

    Example (the PyTorch tutorial's setup, in each process ``torch.multiprocessing.spawn`` starts)::

        import os, ember.distributed as dist
        os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", "29500"
        dist.init_process_group("gloo", rank=rank, world_size=2)
        print(dist.get_rank(), dist.get_world_size())
    """
    if _state.world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = Backend("gloo" if backend is None else backend)
    if name not in ("mpi", "gloo"):
        raise ValueError(f"ember.distributed.init_process_group(backend={backend!r}): ember's backends are 'gloo' "
                         f"(TCP, or MPI under an MPI launcher) and 'mpi', on the CPU; {backend!r} needs GPUs")
    if name == "gloo" and launched_under_mpi() is None:
        return _init_tcp(init_method, timeout, world_size, rank, store, group_name)
    if init_method not in (None, "env://"):
        raise ValueError(f"ember.distributed.init_process_group: init_method must be None or 'env://' (MPI gives "
                         f"each process its rank; start them with `ember run -n N` or mpiexec), got {init_method!r}")
    MPI = _mpi()
    world = MPI.COMM_WORLD
    mpi_rank, mpi_size = world.Get_rank(), world.Get_size()
    # torchrun's WORLD_SIZE (which `ember run` also sets) must agree with MPI: a script started with
    # plain `python` under such an environment would otherwise train alone, silently.
    wanted = int(world_size) if world_size not in (-1, None) else int(os.environ.get("WORLD_SIZE", mpi_size))
    if wanted != mpi_size:
        raise ValueError(f"ember.distributed.init_process_group: world_size {wanted} was asked for (argument or "
                         f"WORLD_SIZE), but MPI started {mpi_size} process(es); launch with "
                         f"`ember run -n {wanted} script.py` (or mpiexec -n {wanted})")
    if rank not in (-1, None) and int(rank) != mpi_rank:
        raise ValueError(f"ember.distributed.init_process_group: rank {rank} was given, but MPI says this process is "
                         f"rank {mpi_rank}")
    comm = world.Dup()
    comm.Set_errhandler(MPI.ERRORS_RETURN)
    _join(ProcessGroup(comm, range(mpi_size), _as_seconds(timeout), group_name or "0"))


def _join(group):
    _state.world = group
    GroupMember.WORLD = group
    from .objects import allgather_json
    _state.peers = allgather_json(group, {"host": socket.gethostname(), "pid": os.getpid()})
    if group.size() > 1:
        _install_fail_fast()


def _env_int(key, where):
    value = os.environ.get(key)
    if value is None:
        raise ValueError(f"Error initializing torch.distributed using {where} rendezvous: environment variable "
                         f"{key} expected, but not set")
    return int(value)


def _rendezvous(init_method, world_size, rank, seconds):
    """``(store, world_size, rank)`` for gloo over TCP from ``init_method`` and the environment."""
    from urllib.parse import urlparse, parse_qs
    from .store import FileStore, TCPStore
    method = init_method or "env://"
    url = urlparse(method)
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    if rank is None and "rank" in query:
        rank = int(query["rank"])
    if world_size is None and "world_size" in query:
        world_size = int(query["world_size"])
    if url.scheme == "env":
        if world_size is None and rank is None and "WORLD_SIZE" not in os.environ and "RANK" not in os.environ:
            return None, 1, 0            # a lone process: no peers to meet
        world_size = _env_int("WORLD_SIZE", "env://") if world_size is None else world_size
        rank = _env_int("RANK", "env://") if rank is None else rank
        if world_size == 1:
            return None, 1, rank
        host, port = os.environ.get("MASTER_ADDR"), os.environ.get("MASTER_PORT")
        if host is None:
            _env_int("MASTER_ADDR", "env://")
        if port is None:
            _env_int("MASTER_PORT", "env://")
        port = int(port)
    elif url.scheme == "tcp":
        if world_size is None or rank is None:
            raise ValueError(f"ember.distributed.init_process_group: init_method {method!r} needs rank and "
                             f"world_size (arguments or ?rank=&world_size= in the URL)")
        host, port = url.hostname, url.port
        if host is None or port is None:
            raise ValueError(f"ember.distributed.init_process_group: init_method {method!r} must be tcp://host:port")
        if world_size == 1:
            return None, 1, rank
    elif url.scheme == "file":
        if world_size is None or rank is None:
            raise ValueError(f"ember.distributed.init_process_group: init_method {method!r} needs rank and "
                             f"world_size")
        store = FileStore(url.path, world_size)
        store.set_timeout(seconds)
        return store, world_size, rank
    else:
        raise ValueError(f"ember.distributed.init_process_group: init_method must be env://, tcp://host:port or "
                         f"file:///path, got {method!r}")
    store = TCPStore(host, port, world_size, rank == 0, timeout=seconds, wait_for_workers=False)
    return store, world_size, rank


def _init_tcp(init_method, timeout, world_size, rank, store, group_name):
    """gloo over ember's TCP transport: meet at the store, connect every pair of ranks, join."""
    from . import tcp
    from .store import PrefixStore
    seconds = _as_seconds(timeout)
    world_size = None if world_size in (-1, None) else int(world_size)
    rank = None if rank in (-1, None) else int(rank)
    if store is not None:
        if world_size is None or rank is None:
            raise ValueError("ember.distributed.init_process_group: world_size and rank must be given with store=")
    else:
        store, world_size, rank = _rendezvous(init_method, world_size, rank, seconds)
    if not 0 <= rank < world_size:
        raise ValueError(f"ember.distributed.init_process_group: rank {rank} is outside [0, {world_size}) "
                         f"(world_size {world_size})")
    if world_size == 1:
        comm = tcp.single_process_comm()
    else:
        try:
            mesh = tcp.connect_mesh(PrefixStore(f"ember/gloo/{group_name or 0}", store), rank, world_size, seconds)
        except tcp.TransportError as e:
            raise RuntimeError(f"ember.distributed.init_process_group: rank {rank} of {world_size}: {e}") from None
        comm = tcp.Comm(mesh, range(world_size), 1)
    tcp.namespace.mesh = comm.mesh
    _state.transport = tcp.namespace
    _state.store = store
    _join(ProcessGroup(comm, range(world_size), seconds, group_name or "0", backend="gloo"))


def destroy_process_group(group=None):
    """Leave the default group (``group=None``) or free one made by ``new_group``."""
    if _state.world is None:
        raise AssertionError("Process group cannot be None")   # PyTorch's error, before any init
    pg = resolve_group(group)
    if pg is None:
        return
    pg.comm.Free()
    if pg is _state.world:
        _uninstall_fail_fast()
        _state.world = None
        GroupMember.WORLD = None
        _state.peers = []
        _state.groups = 0
        if _state.transport is not None:
            pg.comm.mesh.close()
            _state.transport.mesh = None
            _state.transport = None
            _state.store = None


def get_rank(group=None):
    """This process's rank in ``group`` (the default group: its global rank); -1 if not a member."""
    pg = resolve_group(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None):
    """The number of processes in ``group``; -1 if this process is not a member."""
    pg = resolve_group(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None):
    """``"gloo"`` over ember's TCP transport, ``"mpi"`` over MPI."""
    return Backend(resolve_group(group).backend)


def get_process_group_ranks(group):
    """The global ranks in ``group``, in group-rank order."""
    pg = resolve_group(group)
    return list(pg.ranks) if pg is not None else []


def get_global_rank(group, group_rank):
    pg = resolve_group(group)
    if not 0 <= group_rank < len(pg.ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {pg.ranks}")
    return pg.ranks[group_rank]


def get_group_rank(group, global_rank):
    pg = resolve_group(group)
    if global_rank not in pg.ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg.ranks}")
    return pg.ranks.index(global_rank)


def get_node_local_rank(fallback_rank=None):
    """``LOCAL_RANK`` (``ember run`` and torchrun set it; MPICH's ``MPI_LOCALRANKID`` too)."""
    for key in ("LOCAL_RANK", "MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK"):
        if key in os.environ:
            return int(os.environ[key])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment. Consider passing fallback_rank to allow "
                       "`get_node_local_rank` to work, assuming you are not running in a multi-device context "
                       "and want the code to run locally instead.")


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of the global ``ranks`` (all of them by default). Every rank of the default group must
    call it, in the same order; a process outside ``ranks`` gets ``GroupMember.NON_GROUP_MEMBER``."""
    world = get_default_group()
    MPI = _mpi()
    n = world.size()
    ranks = list(range(n)) if ranks is None else sorted(int(r) for r in ranks)
    bad = [r for r in ranks if not 0 <= r < n]
    if bad or len(set(ranks)) != len(ranks):
        raise ValueError(f"ember.distributed.new_group: ranks must be distinct global ranks in [0, {n}), got {ranks}")
    sub = world.comm.Create(world.comm.Get_group().Incl(ranks))   # collective over the default group
    _state.groups += 1
    if sub == MPI.COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    sub.Set_errhandler(MPI.ERRORS_RETURN)
    seconds = world.timeout if timeout is None else _as_seconds(timeout)
    return ProcessGroup(sub, ranks, seconds, str(_state.groups), backend=world.backend)


def get_pg_count():
    """The number of process groups made since ``init_process_group`` (the default group and each
    ``new_group``, whether this rank is in it or not)."""
    return 0 if _state.world is None else 1 + _state.groups


def new_subgroups(group_size=None, group=None, timeout=None, backend=None, pg_options=None, group_desc=None):
    """Split ``group`` (default: the world) into consecutive groups of ``group_size`` ranks; returns
    ``(this rank's subgroup, all subgroups)``. Every rank must call it."""
    if group_size is None:
        raise ValueError("Default group size only takes effect when CUDA is available.If your subgroup using a "
                         "backend that does not depend on CUDA,please pass in 'group_size' correctly.")
    if group_size <= 0:
        raise ValueError(f"The arg 'group_size' ({group_size}) must be positive")
    world_size = get_world_size(group=group)
    if world_size < group_size:
        raise ValueError(f"The arg 'group_size' ({group_size}) must not exceed the world size ({world_size})")
    if world_size % group_size != 0:
        raise ValueError(f"The world size ({world_size}) must be divisible by 'group_size={group_size}'")
    ranks = get_process_group_ranks(group if group is not None else get_default_group())
    return new_subgroups_by_enumeration([ranks[i:i + group_size] for i in range(0, len(ranks), group_size)],
                                        timeout=timeout, backend=backend, pg_options=pg_options, group_desc=group_desc)


def new_subgroups_by_enumeration(ranks_per_subgroup_list, timeout=None, backend=None, pg_options=None,
                                 group_desc=None):
    """One group per list of global ranks in ``ranks_per_subgroup_list`` (which must not overlap); returns
    ``(this rank's subgroup or None, all subgroups)``. Every rank must call it."""
    if ranks_per_subgroup_list is None or len(ranks_per_subgroup_list) == 0:
        raise ValueError("The arg 'ranks_per_subgroup_list' cannot be empty")
    subgroups, current, owner = [], None, {}
    me = get_rank()
    for ranks in ranks_per_subgroup_list:
        subgroup = new_group(ranks=ranks, timeout=timeout, backend=backend, pg_options=pg_options,
                             group_desc=group_desc)
        subgroups.append(subgroup)
        for rank in ranks:
            if rank in owner:
                raise ValueError(f"Rank {rank} has appeared in both subgroup {owner[rank]} and {ranks}")
            owner[rank] = ranks
            if rank == me:
                current = subgroup
    return current, subgroups


# -- waiting, with the watchdog --------------------------------------------------------------

def wait(request, pg, op, status=None):
    """Wait for an MPI request by polling it; past ``pg.timeout`` seconds, abort the job with a message.

    Polling (rather than a blocking ``Wait``) is what lets a rank give up: a blocking MPI call
    never returns if a peer stops calling. The first second spins (MPI makes progress only while
    called, and small messages finish in microseconds); then it sleeps 1 ms between polls.
    """
    try:
        if request.Test(status):
            return
        _state.op = op
        if hasattr(request, "wait_for"):       # the TCP transport's requests block on an event: no polling
            if not request.wait_for(pg.timeout, status):
                abort(f"ember.distributed.{op}: rank {_global_rank()} of {_world_size()} waited "
                      f"{pg.timeout:g} s (the process group's timeout) for the other ranks of "
                      f"{pg.ranks}; one of them is stuck or gone. Aborting the job.")
            _state.op = None
            return
        start = time.monotonic()
        spin_until = start + 1.0
        deadline = start + pg.timeout
        while not request.Test(status):
            now = time.monotonic()
            if now > spin_until:
                if now > deadline:
                    abort(f"ember.distributed.{op}: rank {_global_rank()} of {_world_size()} waited "
                          f"{pg.timeout:g} s (the process group's timeout) for the other ranks of "
                          f"{pg.ranks}; one of them is stuck or gone. Aborting the job.")
                time.sleep(0.001)
        _state.op = None
    except _mpi().Exception as e:
        transport = "MPI" if _state.transport is None else "the TCP transport"
        if _state.transport is not None:
            time.sleep(0.25)     # a peer's connection closed: let the rank that failed end first
        abort(f"ember.distributed.{op}: {transport} failed on rank {_global_rank()} of {_world_size()}: {e}")


def _global_rank():
    return _state.world.rank() if _state.world is not None else 0


def _world_size():
    return _state.world.size() if _state.world is not None else 1


def abort(message, code=1):
    """Print ``message`` on stderr and end every rank of the job (``MPI_Abort``)."""
    sys.stderr.write(message.rstrip() + "\n")
    sys.stderr.flush()
    _mpi().COMM_WORLD.Abort(code)
    os._exit(code)   # Abort does not return; this is for an MPI that lets it


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rpartition(")")[2].split()[0]
        return state not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True


def dead_peers():
    """Global ranks on this machine whose processes have exited (pids exchanged at initialization)."""
    host = socket.gethostname()
    return [r for r, p in enumerate(_state.peers) if p["host"] == host and p["pid"] != os.getpid()
            and not _alive(p["pid"])]


def _on_sigterm(signum, frame):
    # The MPI launcher stops (SIGTERM) or warns (SIGUSR1, MPICH's mpiexec -disable-auto-cleanup, which
    # `ember run` passes) every rank when one dies: say which died, instead of vanishing silently.
    dead = dead_peers()
    where = f" while waiting in {_state.op}" if _state.op else ""
    who = (f"rank {', '.join(map(str, dead))} (pid {', '.join(str(_state.peers[r]['pid']) for r in dead)}) "
           f"exited" if dead else "another rank exited or the job was cancelled")
    launcher = "the MPI launcher" if _state.transport is None else "the launcher"
    sys.stderr.write(f"ember.distributed: rank {_global_rank()} of {_world_size()} stops (signal "
                     f"{signal.Signals(signum).name} from {launcher}{where}): {who}; a rank that dies ends "
                     f"the whole job.\n")
    sys.stderr.flush()
    os._exit(128 + signum)


def _excepthook(kind, value, tb):
    previous = _state.previous_excepthook or sys.__excepthook__
    previous(kind, value, tb)
    if _state.world is not None and not issubclass(kind, KeyboardInterrupt):
        abort(f"ember.distributed: rank {_global_rank()} of {_world_size()} raised {kind.__name__}: {value}; "
              f"aborting the job so that the other ranks do not wait for it.")


_SIGNALS = (signal.SIGTERM, signal.SIGUSR1)


def _install_fail_fast():
    for sig in _SIGNALS:
        try:
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _on_sigterm)
        except ValueError:          # not the main thread: leave signals alone
            pass
    if sys.excepthook is not _excepthook:
        _state.previous_excepthook = sys.excepthook
        sys.excepthook = _excepthook


def _uninstall_fail_fast():
    for sig in _SIGNALS:
        if signal.getsignal(sig) is _on_sigterm:
            try:
                signal.signal(sig, signal.SIG_DFL)
            except ValueError:
                pass
    if sys.excepthook is _excepthook:
        sys.excepthook = _state.previous_excepthook or sys.__excepthook__
