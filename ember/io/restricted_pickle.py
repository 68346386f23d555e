"""Read the plain-data subset of the pickle format without the ``pickle`` module.

Some public datasets exist only as pickles: the CIFAR "python version" batches (a dict of
bytes keys, a uint8 NumPy array and lists of ints) and the ragged ``dtype=object`` arrays
inside Keras's ``imdb.npz`` and ``reuters.npz`` (NumPy stores an object array as a pickle of
the array, whose items are lists of ints). :func:`loads` interprets the pickle opcodes
itself and can only ever build

* ``None``, ``bool``, ``int``, ``float``, ``bytes``, ``str``, ``tuple``, ``list``, ``dict``;
* NumPy arrays and dtypes, through the names NumPy's own ``ndarray.__reduce__`` uses
  (``numpy.ndarray``, ``numpy.dtype``, ``numpy.core.multiarray._reconstruct`` and, for
  protocol 5, ``numpy.core.numeric._frombuffer``; ``numpy._core`` too) and only in the
  shape it gives them: the array is made
  with ``np.frombuffer`` (numeric dtypes) or filled from a list (``object``), never by
  calling anything named in the file (and ``_codecs.encode(text, "latin1")``, the way
  protocols 0-2 spell ``bytes`` when Python 3 wrote them, done here as ``text.encode``, and ``bytes()`` for empty bytes).

Every other opcode (``INST``, ``OBJ``, ``NEWOBJ``, persistent ids, extension codes, out-of-band
buffers) and every other global is refused with :class:`RestrictedPickleError`, so a file
cannot run code, and sizes are checked against the input length before anything is allocated.
Protocol-2 ``str`` values (Python 2 pickles) come back as ``bytes``, as with
``pickle.load(f, encoding="bytes")``.

>>> loads(b"\\x80\\x02}q\\x00(U\\x01aq\\x01K\\x05U\\x01bq\\x02]q\\x03(K\\x01K\\x02eu.")
{b'a': 5, b'b': [1, 2]}
"""
import struct

import numpy as np

__all__ = ["loads", "load_at", "RestrictedPickleError"]

_MAX_DEPTH = 200
_DTYPE_KINDS = set("biufcO?")


class RestrictedPickleError(ValueError):
    """The data is not a pickle of plain data and NumPy arrays (or it is malformed)."""


class _Mark:
    pass


_MARK = _Mark()


class _Global:
    """A name the file asked for; only these three are ever accepted."""

    def __init__(self, kind):
        self.kind = kind


_GLOBALS = {("numpy", "ndarray"): "ndarray", ("numpy", "dtype"): "dtype",
            ("numpy.core.multiarray", "_reconstruct"): "reconstruct",
            ("numpy._core.multiarray", "_reconstruct"): "reconstruct",
            # protocol 5 spells a numeric array as _frombuffer(data, dtype, shape, order)
            ("numpy.core.numeric", "_frombuffer"): "frombuffer",
            ("numpy._core.numeric", "_frombuffer"): "frombuffer",
            # protocols 0-2 written by Python 3 spell bytes as _codecs.encode(text, "latin1")
            ("_codecs", "encode"): "encode",
            # ... and empty bytes as bytes()
            ("__builtin__", "bytes"): "bytes", ("builtins", "bytes"): "bytes"}


class _PolicyGlobal:
    """A name the reader's policy accepted; only REDUCE (through the policy) can use it."""

    def __init__(self, name):
        self.name = name


def _persistent(r):
    pid = r.pop()
    if r.policy is None:
        raise RestrictedPickleError("refusing a persistent id: only plain data and NumPy arrays are read "
                                    "from this file")
    r.stack.append(r.policy.persistent(pid))


class _DtypeStub:
    def __init__(self, name):
        self.dtype = _make_dtype(name)


class _ArrayStub:
    def __init__(self):
        self.value = None


def _make_dtype(name):
    if isinstance(name, bytes):
        name = name.decode("ascii", "replace")
    if not isinstance(name, str):
        raise RestrictedPickleError(f"a NumPy dtype named by {type(name).__name__} is not accepted")
    try:
        dtype = np.dtype(name)
    except TypeError:
        raise RestrictedPickleError(f"unknown NumPy dtype {name!r}") from None
    if dtype.kind not in _DTYPE_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise RestrictedPickleError(f"NumPy dtype {name!r} is not a plain numeric or object dtype")
    return dtype


def _build_dtype(stub, state):
    if not isinstance(state, tuple) or len(state) < 5:
        raise RestrictedPickleError(f"malformed NumPy dtype state {state!r}")
    endian, subarray, names, fields = state[1], state[2], state[3], state[4]
    if subarray is not None or names is not None or fields is not None:
        raise RestrictedPickleError("structured or sub-array NumPy dtypes are not accepted")
    if isinstance(endian, bytes):
        endian = endian.decode("ascii", "replace")
    if endian not in ("<", ">", "|", "="):
        raise RestrictedPickleError(f"malformed NumPy dtype byte order {endian!r}")
    if endian in ("<", ">"):
        stub.dtype = stub.dtype.newbyteorder(endian)


def _build_array(stub, state, depth):
    if not isinstance(state, tuple) or len(state) not in (4, 5):
        raise RestrictedPickleError(f"malformed NumPy array state of type {type(state).__name__}")
    shape, dtype, fortran, data = state[-4:]
    if not isinstance(shape, tuple) or not all(type(d) is int and 0 <= d for d in shape):
        raise RestrictedPickleError(f"malformed NumPy array shape {shape!r}")
    if not isinstance(dtype, _DtypeStub):
        raise RestrictedPickleError("a NumPy array state without a dtype")
    dtype = dtype.dtype
    count = 1
    for d in shape:
        count *= d
    order = "F" if fortran else "C"
    if dtype.hasobject:
        if not isinstance(data, list) or len(data) != count:
            raise RestrictedPickleError(f"an object array of shape {shape} needs a list of {count} items, got "
                                        f"{len(data) if isinstance(data, list) else type(data).__name__}")
        out = np.empty(len(data), dtype=object)
        for i, item in enumerate(data):
            out[i] = _resolve(item, depth + 1)
        stub.value = out.reshape(shape, order=order)
        return
    if not isinstance(data, bytes) or len(data) != count * dtype.itemsize:
        got = len(data) if isinstance(data, bytes) else type(data).__name__
        raise RestrictedPickleError(f"a {dtype} array of shape {shape} needs {count * dtype.itemsize} bytes of "
                                    f"data, got {got}")
    # native byte order in the result, as NumPy's own unpickling gives for protocols 0-4
    stub.value = np.frombuffer(data, dtype=dtype).reshape(shape, order=order).astype(dtype.newbyteorder("="))


def _resolve(x, depth=0):
    """Replace the array and dtype stubs inside ``x`` by their values."""
    if depth > _MAX_DEPTH:
        raise RestrictedPickleError(f"data nested deeper than {_MAX_DEPTH} levels")
    if isinstance(x, _ArrayStub):
        if x.value is None:
            raise RestrictedPickleError("a NumPy array that was never given its data (no BUILD)")
        return x.value
    if isinstance(x, _DtypeStub):
        return x.dtype
    if isinstance(x, _Global):
        raise RestrictedPickleError("a bare NumPy name in the data")
    if isinstance(x, _PolicyGlobal):
        return x  # the policy's to judge (a dtype is a value; a function is not)
    if isinstance(x, list):
        return [_resolve(v, depth + 1) for v in x]
    if isinstance(x, tuple):
        return tuple(_resolve(v, depth + 1) for v in x)
    if isinstance(x, dict):
        return type(x)((_resolve(k, depth + 1), _resolve(v, depth + 1)) for k, v in x.items())
    return x


def _hashable(key):
    if isinstance(key, (list, dict, _ArrayStub, _DtypeStub, _Global, _PolicyGlobal)):
        raise RestrictedPickleError(f"a dict key of type {type(key).__name__}")
    if isinstance(key, tuple):
        for k in key:
            _hashable(k)
    return key


class _Reader:
    """The opcode interpreter. ``policy`` (see :mod:`ember.io.torch_pickle`) may accept more
    globals than NumPy's: ``policy.accepts(module, name)``, ``policy.call(name, args)`` for
    their REDUCE, ``policy.build(target, state)`` for BUILD on what it made, and
    ``policy.persistent(pid)`` for persistent ids; without one they are refused."""

    def __init__(self, data, policy=None, pos=0):
        self.data = data if isinstance(data, bytes) else bytes(data)
        self.policy = policy
        self.pos = pos
        self.stack = []
        self.marks = []
        self.memo = {}

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise RestrictedPickleError(f"truncated pickle: wanted {n} bytes at offset {self.pos} of "
                                        f"{len(self.data)}")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def line(self):
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            raise RestrictedPickleError(f"truncated pickle: no end of line after offset {self.pos}")
        return self.take(end + 1 - self.pos)[:-1]

    def u(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def pop(self):
        if not self.stack:
            raise RestrictedPickleError(f"malformed pickle: stack underflow at offset {self.pos}")
        return self.stack.pop()

    def pop_mark(self):
        if not self.marks:
            raise RestrictedPickleError(f"malformed pickle: no MARK before offset {self.pos}")
        start = self.marks.pop()
        if start > len(self.stack):
            raise RestrictedPickleError(f"malformed pickle: MARK beyond the stack at offset {self.pos}")
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def top(self, kind):
        if not self.stack or not isinstance(self.stack[-1], kind):
            raise RestrictedPickleError(f"malformed pickle: expected a {kind.__name__} on the stack at offset "
                                        f"{self.pos}")
        return self.stack[-1]

    def get(self, key):
        if key not in self.memo:
            raise RestrictedPickleError(f"malformed pickle: memo key {key} was never stored")
        self.stack.append(self.memo[key])

    def put(self, key):
        if not self.stack:
            raise RestrictedPickleError("malformed pickle: PUT with an empty stack")
        self.memo[key] = self.stack[-1]

    def global_(self, module, name):
        if self.policy is not None and self.policy.accepts(module, name):
            self.stack.append(_PolicyGlobal(f"{module}.{name}"))
            return
        kind = _GLOBALS.get((module, name))
        if kind is None:
            raise RestrictedPickleError(f"refusing the global {module}.{name}: only NumPy arrays and plain data "
                                        "are read from this file")
        self.stack.append(_Global(kind))

    def reduce(self):
        args = self.pop()
        func = self.pop()
        if isinstance(func, _PolicyGlobal) and isinstance(args, tuple):
            self.stack.append(self.policy.call(func.name, args))
            return
        if not isinstance(func, _Global) or not isinstance(args, tuple):
            raise RestrictedPickleError("malformed pickle: REDUCE of something that is not a NumPy name")
        if func.kind == "reconstruct":
            if len(args) != 3 or not (isinstance(args[0], _Global) and args[0].kind == "ndarray"):
                raise RestrictedPickleError("NumPy _reconstruct is only accepted for numpy.ndarray")
            self.stack.append(_ArrayStub())
        elif func.kind == "dtype":
            if len(args) not in (1, 3):
                raise RestrictedPickleError("malformed numpy.dtype arguments")
            self.stack.append(_DtypeStub(args[0]))
        elif func.kind == "frombuffer":
            if len(args) != 4 or args[3] not in ("C", "F"):
                raise RestrictedPickleError("malformed numpy _frombuffer arguments")
            stub = _ArrayStub()
            _build_array(stub, (args[2], args[1], args[3] == "F", args[0]), 0)
            self.stack.append(stub)
        elif func.kind == "bytes":
            if args != ():
                raise RestrictedPickleError("bytes() is only accepted without arguments")
            self.stack.append(b"")
        elif func.kind == "encode":
            if len(args) != 2 or not isinstance(args[0], str) or args[1] != "latin1":
                raise RestrictedPickleError("_codecs.encode is only accepted as encode(text, 'latin1')")
            try:
                self.stack.append(args[0].encode("latin1"))
            except UnicodeEncodeError:
                raise RestrictedPickleError("malformed latin1 bytes") from None
        else:
            raise RestrictedPickleError(f"refusing to call numpy.{func.kind}")

    def build(self, depth=0):
        state = self.pop()
        target = self.stack[-1] if self.stack else None
        if isinstance(target, _DtypeStub):
            _build_dtype(target, state)
        elif isinstance(target, _ArrayStub):
            _build_array(target, state, depth)
        elif self.policy is not None and self.policy.build(target, state):
            pass
        else:
            raise RestrictedPickleError("malformed pickle: BUILD of something that is not a NumPy array or dtype")

    def run(self):
        data_len = len(self.data)
        while True:
            op = self.take(1)
            if op == b".":
                if len(self.stack) != 1:
                    raise RestrictedPickleError("malformed pickle: STOP with a stack of size "
                                                f"{len(self.stack)}")
                return _resolve(self.stack[0])
            handler = _OPS.get(op)
            if handler is None:
                raise RestrictedPickleError(f"refusing pickle opcode {op!r} at offset {self.pos - 1}: only plain "
                                            "data and NumPy arrays are read from this file")
            handler(self)
            if len(self.memo) > data_len or len(self.stack) > data_len:
                raise RestrictedPickleError("malformed pickle: more objects than bytes")


def _push(value):
    return lambda r: r.stack.append(value)


def _setitems(r):
    items = r.pop_mark()
    target = r.top(dict)
    if len(items) % 2:
        raise RestrictedPickleError("malformed pickle: SETITEMS with an odd number of items")
    for k, v in zip(items[::2], items[1::2]):
        target[_hashable(k)] = v


def _setitem(r):
    v = r.pop()
    k = r.pop()
    r.top(dict)[_hashable(k)] = v


def _appends(r):
    items = r.pop_mark()
    r.top(list).extend(items)


def _tuple_n(n):
    def op(r):
        if len(r.stack) < n:
            raise RestrictedPickleError("malformed pickle: stack underflow in TUPLE")
        items = tuple(r.stack[len(r.stack) - n:]) if n else ()
        del r.stack[len(r.stack) - n:]
        r.stack.append(items)
    return op


def _int_text(r):
    text = r.line()
    if text == b"00":
        r.stack.append(False)
    elif text == b"01":
        r.stack.append(True)
    else:
        try:
            r.stack.append(int(text))
        except ValueError:
            raise RestrictedPickleError(f"malformed INT {text[:20]!r}") from None


def _long_text(r):
    text = r.line()
    try:
        r.stack.append(int(text[:-1] if text.endswith(b"L") else text))
    except ValueError:
        raise RestrictedPickleError(f"malformed LONG {text[:20]!r}") from None


def _long_n(fmt):
    def op(r):
        n = r.u(fmt)
        r.stack.append(int.from_bytes(r.take(n), "little", signed=True))
    return op


def _bytes_n(fmt, decode=False):
    def op(r):
        raw = r.take(r.u(fmt))
        if decode:
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise RestrictedPickleError("malformed pickle: a str that is not UTF-8") from None
        r.stack.append(raw)
    return op


def _string_text(r):
    text = r.line()
    if len(text) < 2 or text[:1] != text[-1:] or text[:1] not in (b"'", b'"'):
        raise RestrictedPickleError("malformed STRING")
    try:
        r.stack.append(text[1:-1].decode("ascii").encode("latin-1").decode("unicode_escape").encode("latin-1"))
    except (UnicodeDecodeError, UnicodeEncodeError):
        raise RestrictedPickleError("malformed STRING") from None


def _unicode_text(r):
    try:
        r.stack.append(r.line().decode("raw-unicode-escape"))
    except UnicodeDecodeError:
        raise RestrictedPickleError("malformed UNICODE") from None


def _global_text(r):
    module = r.line().decode("ascii", "replace")
    name = r.line().decode("ascii", "replace")
    r.global_(module, name)


def _stack_global(r):
    name = r.pop()
    module = r.pop()
    if not isinstance(module, str) or not isinstance(name, str):
        raise RestrictedPickleError("malformed STACK_GLOBAL")
    r.global_(module, name)


def _memoize(r):
    r.put(len(r.memo))


def _frame(r):
    r.u("<Q")  # frames only group opcodes; the reader works on the whole input already


def _proto(r):
    version = r.u("<B")
    if version > 5:
        raise RestrictedPickleError(f"unsupported pickle protocol {version}")


def _mark(r):
    r.marks.append(len(r.stack))


def _dict_mark(r):
    items = r.pop_mark()
    if len(items) % 2:
        raise RestrictedPickleError("malformed pickle: DICT with an odd number of items")
    r.stack.append({_hashable(k): v for k, v in zip(items[::2], items[1::2])})


def _append(r):
    v = r.pop()
    r.top(list).append(v)


def _float_text(r):
    try:
        r.stack.append(float(r.line()))
    except ValueError:
        raise RestrictedPickleError("malformed FLOAT") from None


def _pop(r):
    r.pop()


def _pop_mark(r):
    r.pop_mark()


def _dup(r):
    if not r.stack:
        raise RestrictedPickleError("malformed pickle: DUP with an empty stack")
    r.stack.append(r.stack[-1])


def _text_key(r):
    try:
        return int(r.line())
    except ValueError:
        raise RestrictedPickleError("malformed memo key") from None


_OPS = {
    b"\x80": _proto, b"\x95": _frame, b"(": _mark, b"0": _pop, b"1": _pop_mark, b"2": _dup,
    b"N": _push(None), b"\x88": _push(True), b"\x89": _push(False),
    b"I": _int_text, b"J": lambda r: r.stack.append(r.u("<i")), b"K": lambda r: r.stack.append(r.u("<B")),
    b"M": lambda r: r.stack.append(r.u("<H")), b"L": _long_text,
    b"\x8a": _long_n("<B"), b"\x8b": _long_n("<i"),
    b"F": _float_text, b"G": lambda r: r.stack.append(r.u(">d")),
    b"S": _string_text, b"V": _unicode_text, b"T": _bytes_n("<i"), b"U": _bytes_n("<B"),
    b"B": _bytes_n("<I"), b"C": _bytes_n("<B"), b"\x8e": _bytes_n("<Q"), b"\x96": _bytes_n("<Q"),
    b"X": _bytes_n("<I", decode=True), b"\x8c": _bytes_n("<B", decode=True), b"\x8d": _bytes_n("<Q", decode=True),
    b"}": lambda r: r.stack.append({}), b"d": _dict_mark, b"s": _setitem, b"u": _setitems,
    b"]": lambda r: r.stack.append([]), b"l": lambda r: r.stack.append(r.pop_mark()), b"a": _append,
    b"e": _appends,
    b")": _tuple_n(0), b"\x85": _tuple_n(1), b"\x86": _tuple_n(2), b"\x87": _tuple_n(3),
    b"t": lambda r: r.stack.append(tuple(r.pop_mark())),
    b"q": lambda r: r.put(r.u("<B")), b"r": lambda r: r.put(r.u("<I")), b"p": lambda r: r.put(_text_key(r)),
    b"h": lambda r: r.get(r.u("<B")), b"j": lambda r: r.get(r.u("<I")), b"g": lambda r: r.get(_text_key(r)),
    b"\x94": _memoize,
    b"c": _global_text, b"\x93": _stack_global, b"R": lambda r: r.reduce(), b"b": lambda r: r.build(),
    b"Q": _persistent,
}


def loads(data):
    """The value pickled in ``data`` (bytes), if it is plain data and NumPy arrays; else
    :class:`RestrictedPickleError`. See the module docstring for what is accepted."""
    return load_at(data)[0]


def load_at(data, pos=0, policy=None):
    """``(value, end)``: the pickle that starts at byte ``pos`` of ``data`` and where it ends
    (files such as PyTorch's legacy checkpoints hold several pickles in a row)."""
    reader = _Reader(data, policy, pos)
    try:
        return reader.run(), reader.pos
    except RecursionError:
        raise RestrictedPickleError("data nested too deeply") from None
