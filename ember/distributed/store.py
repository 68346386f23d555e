"""Key-value stores for rendezvous, with ``torch.distributed``'s ``Store`` API.

A store is where the processes of a job meet before they can talk to each other: rank 0 serves a
:class:`TCPStore` at ``MASTER_ADDR:MASTER_PORT``, the others connect to it, and each writes what the
others need (``ember.distributed`` writes every rank's listening address). Values are bytes;
``get`` and ``wait`` block until the keys exist or the store's timeout passes
(:class:`DistStoreError`).

- :class:`HashStore`: in one process (threads share it);
- :class:`TCPStore`: over TCP, served by the process made with ``is_master=True``;
- :class:`FileStore`: in a file that every process can open (``init_method="file://..."``);
- :class:`PrefixStore`: a namespace inside another store.

Example::

    >>> from ember.distributed import HashStore
    >>> s = HashStore()
    >>> s.set("epoch", "3"); s.add("done", 1); s.add("done", 1)
    2
    >>> s.get("epoch")
    b'3'
"""
import datetime
import fcntl
import os
import socket
import struct
import threading
import time

__all__ = ["DistError", "DistStoreError", "DistNetworkError", "Store", "HashStore", "TCPStore", "FileStore",
           "PrefixStore"]

_DEFAULT_TIMEOUT = datetime.timedelta(seconds=300)


class DistError(RuntimeError):
    """An error of ``ember.distributed`` (as ``torch.distributed.DistError``)."""


class DistStoreError(DistError):
    """A store operation failed or timed out."""


class DistNetworkError(DistError):
    """A connection could not be made or was lost."""


def _seconds(timeout):
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    return float(timeout)


def _as_bytes(value):
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (list, tuple)):          # torch accepts a list of byte values too
        return bytes(value)
    raise TypeError(f"Store: a value must be str or bytes, got {type(value).__name__}")


class Store:
    """The interface every store offers (``set``, ``get``, ``add``, ``compare_set``, ``wait``, ``check``,
    ``delete_key``, ``num_keys``, ``set_timeout``)."""

    def __init__(self, timeout=_DEFAULT_TIMEOUT):
        self._timeout = timeout if isinstance(timeout, datetime.timedelta) else \
            datetime.timedelta(seconds=float(timeout))

    @property
    def timeout(self):
        return self._timeout

    def set_timeout(self, timeout):
        self._timeout = timeout if isinstance(timeout, datetime.timedelta) else \
            datetime.timedelta(seconds=float(timeout))

    def multi_get(self, keys):
        return [self.get(k) for k in keys]

    def multi_set(self, keys, values):
        for k, v in zip(keys, values):
            self.set(k, v)

    def has_extended_api(self):
        return False


class _Table:
    """The dictionary behind HashStore and TCPStore's server: bytes under str keys, and waiting for keys."""

    def __init__(self):
        self.data = {}
        self.cond = threading.Condition()

    def set(self, key, value):
        with self.cond:
            self.data[key] = value
            self.cond.notify_all()

    def wait(self, keys, seconds):
        """True once every key exists; False if ``seconds`` pass first."""
        deadline = time.monotonic() + seconds
        with self.cond:
            while not all(k in self.data for k in keys):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def get(self, key, seconds):
        with self.cond:
            if not self.wait([key], seconds):
                return None
            return self.data[key]

    def add(self, key, amount):
        with self.cond:
            old = self.data.get(key, b"0")
            try:
                value = int(old.decode()) + int(amount)
            except ValueError:
                raise ValueError(f"Store.add: the value of {key!r} is not an integer ({old!r})") from None
            self.data[key] = str(value).encode()
            self.cond.notify_all()
            return value

    def compare_set(self, key, expected, desired):
        with self.cond:
            if key not in self.data:
                if expected == b"":
                    self.data[key] = desired
                    self.cond.notify_all()
                    return desired
                return expected
            if self.data[key] == expected:
                self.data[key] = desired
                self.cond.notify_all()
            return self.data[key]

    def delete(self, key):
        with self.cond:
            return self.data.pop(key, None) is not None

    def num_keys(self):
        with self.cond:
            return len(self.data)


def _timeout_error(seconds, keys):
    return DistStoreError(f"wait timeout after {int(seconds * 1000)}ms, keys: {', '.join('/' + k for k in keys)}")


class HashStore(Store):
    """A store in this process's memory, shared by its threads."""

    def __init__(self):
        super().__init__()
        self._t = _Table()

    def set(self, key, value):
        self._t.set(key, _as_bytes(value))

    def get(self, key):
        value = self._t.get(key, _seconds(self._timeout))
        if value is None:
            raise DistStoreError("Wait timeout")
        return value

    def add(self, key, amount):
        return self._t.add(key, amount)

    def compare_set(self, key, expected_value, desired_value):
        return self._t.compare_set(key, _as_bytes(expected_value), _as_bytes(desired_value))

    def wait(self, keys, timeout=None):
        seconds = _seconds(self._timeout if timeout is None else timeout)
        if not self._t.wait(list(keys), seconds):
            raise DistStoreError("Wait timeout")

    def check(self, keys):
        with self._t.cond:
            return all(k in self._t.data for k in keys)

    def delete_key(self, key):
        return self._t.delete(key)

    def num_keys(self):
        return self._t.num_keys()


# -- TCPStore: a _Table served over TCP ------------------------------------------------------------
# A request is an op byte and its arguments, each a 4-byte length and its bytes; the reply is a
# status byte (0 ok, 1 timed out, 2 error) and arguments in the same form.

_SET, _GET, _ADD, _CAS, _WAIT, _CHECK, _DEL, _NUM = range(8)


def _send_frame(sock, head, args):
    parts = [struct.pack("<BI", head, len(args))]
    for a in args:
        parts.append(struct.pack("<I", len(a)))
        parts.append(a)
    sock.sendall(b"".join(parts))


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("the store's connection closed")
        buf += chunk
    return bytes(buf)


def _recv_frame(sock):
    head, count = struct.unpack("<BI", _recv_exact(sock, 5))
    args = []
    for _ in range(count):
        (n,) = struct.unpack("<I", _recv_exact(sock, 4))
        args.append(_recv_exact(sock, n))
    return head, args


class _Server:
    """Rank 0's side of a TCPStore: one thread per connected client, all on one _Table."""

    def __init__(self, host, port):
        self.table = _Table()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.listener.bind((host, port))
        except OSError as e:
            self.listener.close()
            raise DistNetworkError(f"The server socket has failed to listen on any local network address. "
                                   f"port: {port}, useIpv6: false, code: {e.errno}, name: "
                                   f"{os.strerror(e.errno or 0)}") from None
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True, name="ember-store-server").start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True, name="ember-store-client").start()

    def _serve(self, conn):
        t = self.table
        try:
            while True:
                op, args = _recv_frame(conn)
                status, out = 0, []
                try:
                    if op == _SET:
                        t.set(args[0].decode(), args[1])
                    elif op == _GET:
                        value = t.get(args[0].decode(), float(args[1]))
                        status, out = (1, []) if value is None else (0, [value])
                    elif op == _ADD:
                        out = [str(t.add(args[0].decode(), int(args[1]))).encode()]
                    elif op == _CAS:
                        out = [t.compare_set(args[0].decode(), args[1], args[2])]
                    elif op == _WAIT:
                        keys = [a.decode() for a in args[1:]]
                        status = 0 if t.wait(keys, float(args[0])) else 1
                    elif op == _CHECK:
                        with t.cond:
                            out = [b"1" if all(a.decode() in t.data for a in args) else b"0"]
                    elif op == _DEL:
                        out = [b"1" if t.delete(args[0].decode()) else b"0"]
                    elif op == _NUM:
                        out = [str(t.num_keys()).encode()]
                except ValueError as e:
                    status, out = 2, [str(e).encode()]
                _send_frame(conn, status, out)
        except (OSError, ConnectionError, struct.error):
            conn.close()

    def close(self):
        self.listener.close()


class TCPStore(Store):
    """A store served over TCP by the process that makes it with ``is_master=True``.

    Args:
        host_name (str): the master's address (``MASTER_ADDR``).
        port (int): its port (``MASTER_PORT``); 0 on the master picks a free one (see ``.port``).
        world_size (int): processes that will connect; with ``wait_for_workers`` the master waits for them.
        is_master (bool): serve the store from this process.
        timeout (timedelta): how long ``get``/``wait`` (and connecting) may take.

    Example::

        >>> from ember.distributed import TCPStore
        >>> master = TCPStore("127.0.0.1", 0, 1, True)
        >>> master.set("x", "1"); master.get("x")
        b'1'
    """

    def __init__(self, host_name, port, world_size=None, is_master=False, timeout=_DEFAULT_TIMEOUT,
                 wait_for_workers=True, multi_tenant=False, master_listen_fd=None, use_libuv=True):
        super().__init__(timeout)
        self.host = host_name
        self.libuvBackend = bool(use_libuv)
        # The master listens on every interface, as torch's does: peers may name it by any address.
        self._server = _Server("", int(port)) if is_master else None
        self.port = self._server.port if self._server is not None else int(port)
        self._lock = threading.Lock()
        self._sock = self._connect(_seconds(self._timeout))
        if world_size is not None and int(world_size) > 0:
            self.add("__ember_store_workers__", 1)
            if is_master and wait_for_workers:
                self._wait_workers(int(world_size))

    def _connect(self, seconds):
        deadline = time.monotonic() + seconds
        last = None
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=max(0.1, min(5.0, seconds)))
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return sock
            except OSError as e:
                last = e
            if time.monotonic() > deadline:
                raise DistNetworkError(f"Failed to connect to the store at {self.host}:{self.port} within "
                                       f"{seconds:g} s (is rank 0 running, and MASTER_ADDR/MASTER_PORT the same "
                                       f"on every rank?): {last}")
            time.sleep(0.05)

    def _wait_workers(self, n):
        deadline = time.monotonic() + _seconds(self._timeout)
        while int(self.get("__ember_store_workers__")) < n:
            if time.monotonic() > deadline:
                raise DistStoreError(f"Timed out after {_seconds(self._timeout):g} s waiting for {n} clients "
                                     f"to join the store")
            time.sleep(0.01)

    def _call(self, op, args):
        with self._lock:
            try:
                _send_frame(self._sock, op, args)
                status, out = _recv_frame(self._sock)
            except (OSError, ConnectionError) as e:
                raise DistNetworkError(f"the connection to the store at {self.host}:{self.port} failed: {e}") \
                    from None
        if status == 2:
            raise ValueError(out[0].decode())
        return status, out

    def local_address(self):
        """The address this process reaches the store from: where its peers can reach it too."""
        return self._sock.getsockname()[0]

    def set(self, key, value):
        self._call(_SET, [key.encode(), _as_bytes(value)])

    def get(self, key):
        seconds = _seconds(self._timeout)
        status, out = self._call(_GET, [key.encode(), repr(seconds).encode()])
        if status == 1:
            raise _timeout_error(seconds, [key])
        return out[0]

    def add(self, key, amount):
        return int(self._call(_ADD, [key.encode(), str(int(amount)).encode()])[1][0])

    def compare_set(self, key, expected_value, desired_value):
        return self._call(_CAS, [key.encode(), _as_bytes(expected_value), _as_bytes(desired_value)])[1][0]

    def wait(self, keys, timeout=None):
        seconds = _seconds(self._timeout if timeout is None else timeout)
        status, _ = self._call(_WAIT, [repr(seconds).encode()] + [k.encode() for k in keys])
        if status == 1:
            raise _timeout_error(seconds, list(keys))

    def check(self, keys):
        return self._call(_CHECK, [k.encode() for k in keys])[1][0] == b"1"

    def delete_key(self, key):
        return self._call(_DEL, [key.encode()])[1][0] == b"1"

    def num_keys(self):
        return int(self._call(_NUM, [])[1][0])


class FileStore(Store):
    """A store in a file every process opens (a local or shared file system), locked with ``flock``.

    The file holds one line per write (``key<TAB>hex value``); the last write of a key wins.
    """

    def __init__(self, file_name, world_size=-1):
        super().__init__()
        self.path = file_name
        self.world_size = world_size
        open(self.path, "a").close()

    @staticmethod
    def _parse(f):
        data = {}
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            if value == "-":
                data.pop(key, None)
            else:
                data[key] = bytes.fromhex(value)
        return data

    def _read(self):
        with open(self.path, "r") as f:
            fcntl.flock(f, fcntl.LOCK_SH)
            return self._parse(f)

    def _append(self, key, value):
        """Under the file's lock: ``value`` (bytes, or a function of the current data giving bytes, _DELETE
        or None for no write) appended for ``key``; returns (the data before, what was written)."""
        with open(self.path, "r+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            data = self._parse(f)
            new = value(data) if callable(value) else value
            if new is not None:
                f.seek(0, os.SEEK_END)
                f.write(f"{key}\t{'-' if new is _DELETE else new.hex()}\n")
            return data, new

    def set(self, key, value):
        self._append(key, _as_bytes(value))

    def _poll(self, keys, seconds):
        deadline = time.monotonic() + seconds
        while True:
            data = self._read()
            if all(k in data for k in keys):
                return data
            if time.monotonic() > deadline:
                raise _timeout_error(seconds, keys)
            time.sleep(0.01)

    def get(self, key):
        return self._poll([key], _seconds(self._timeout))[key]

    def add(self, key, amount):
        _, new = self._append(key, lambda d: str(int(d.get(key, b"0").decode()) + int(amount)).encode())
        return int(new.decode())

    def compare_set(self, key, expected_value, desired_value):
        expected, desired = _as_bytes(expected_value), _as_bytes(desired_value)

        def swap(data):
            current = data.get(key)
            if current is None:
                return desired if expected == b"" else None
            return desired if current == expected else None
        data, new = self._append(key, swap)
        if new is not None:
            return new
        return data.get(key, expected)

    def wait(self, keys, timeout=None):
        self._poll(list(keys), _seconds(self._timeout if timeout is None else timeout))

    def check(self, keys):
        data = self._read()
        return all(k in data for k in keys)

    def delete_key(self, key):
        """Remove ``key``; True (torch's FileStore answers True whether or not the key was there)."""
        self._append(key, lambda d: _DELETE if key in d else None)
        return True

    def num_keys(self):
        return len(self._read())

    def local_address(self):
        """This machine's address (the file may be on a file system the machines share)."""
        try:
            return socket.gethostbyname(socket.gethostname())
        except OSError:
            return "127.0.0.1"


_DELETE = object()


class PrefixStore(Store):
    """Every key of ``store`` under ``prefix + "/"``."""

    def __init__(self, prefix, store):
        super().__init__(store.timeout)
        self.prefix, self.underlying_store = prefix, store

    @property
    def timeout(self):
        return self.underlying_store.timeout

    def set_timeout(self, timeout):
        self.underlying_store.set_timeout(timeout)

    def _k(self, key):
        return f"{self.prefix}/{key}"

    def set(self, key, value):
        self.underlying_store.set(self._k(key), value)

    def get(self, key):
        return self.underlying_store.get(self._k(key))

    def add(self, key, amount):
        return self.underlying_store.add(self._k(key), amount)

    def compare_set(self, key, expected_value, desired_value):
        return self.underlying_store.compare_set(self._k(key), expected_value, desired_value)

    def wait(self, keys, timeout=None):
        self.underlying_store.wait([self._k(k) for k in keys], timeout)

    def check(self, keys):
        return self.underlying_store.check([self._k(k) for k in keys])

    def delete_key(self, key):
        return self.underlying_store.delete_key(self._k(key))

    def num_keys(self):
        return self.underlying_store.num_keys()

    def local_address(self):
        return self.underlying_store.local_address()
