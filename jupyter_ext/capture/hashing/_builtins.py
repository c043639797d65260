"""Built-in scalars and containers, selected standard-library types, and the catalogue of
types that are opaque by nature.

Subclass instances are read through the *base* type's C slots (``list.__iter__(obj)``,
``dict.items(obj)``, ``str.__str__(obj)``...), never through methods the subclass may
override; the subclass label and its ``__dict__``/slots are added by the walker.
"""

from __future__ import annotations

import gc
import types
from typing import Any

from . import _types as T
from ._walk import (
    ASYNC_GENERATOR,
    CHUNK,
    COROUTINE,
    FILE,
    FRAME,
    GENERATOR,
    INLINE_CHARS,
    LOCK,
    MOCK,
    NO_STATE,
    QUEUE,
    SOCKET,
    THREAD,
    TRACEBACK,
    UNSET,
    WEAKREF,
    Opaque,
    Walker,
    c128,
    f64,
    hash16,
    new_hasher,
    register_cost,
    register_exact,
    register_lazy,
    register_opaque,
    register_scalar,
    register_semantic,
    tag,
    u64,
)

# ---------------------------------------------------------------------------- scalars
# Tags keep types apart: 1, 1.0, True, "1" and b"1" all differ.
# Floats are digested bit for bit: -0.0 differs from 0.0, a NaN equals itself when its
# bits are the same (content, not ``==``: the same rule numpy buffers follow).


def _none(w: Walker, x: Any) -> bytes:
    """``None``: a singleton, its tag is all there is."""
    return b"N"


def _bool(w: Walker, x: Any) -> bytes:
    """``True``/``False``: own tags, so ``True`` differs from ``1``."""
    return b"T" if x else b"F"


def _int_bytes(x: int) -> bytes:
    n = (int.bit_length(x) + 8) >> 3
    return u64(n) + int.to_bytes(x, n, "little", signed=True)


def _int(w: Walker, x: Any) -> bytes:
    """An ``int``: two's complement, little endian (fixed 8 bytes when it fits, so the
    common case needs no length computation)."""
    if -(1 << 62) < x < (1 << 62):
        return b"i" + u64(8) + int.to_bytes(x, 8, "little", signed=True)
    w.add_bytes(int.bit_length(x) >> 3)
    return b"I" + _int_bytes(x)


def _float(w: Walker, x: Any) -> bytes:
    """A ``float``: its IEEE-754 bits (see above for -0.0 and NaN)."""
    return b"f" + f64(x)


def _complex(w: Walker, x: Any) -> bytes:
    """A ``complex``: both parts' bits."""
    return b"c" + c128(x.real, x.imag)


def _ellipsis(w: Walker, x: Any) -> bytes:
    """``...``: a singleton."""
    return b"E"


def _notimplemented(w: Walker, x: Any) -> bytes:
    """``NotImplemented``: a singleton."""
    return b"X"


def _encode(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


def _long_str(w: Walker, s: str) -> bytes:
    n = len(s)
    w.add_bytes(n)
    h = new_hasher(b"str")
    for i in range(0, n, CHUNK):  # bounded memory: encode a slice at a time
        h.update(_encode(s[i : i + CHUNK]))
    return h.digest()


def _str(w: Walker, x: Any) -> bytes:
    """A ``str``: its UTF-8 bytes (lone surrogates kept). Long strings become memoised
    leaf nodes, encoded a chunk at a time."""
    if len(x) > INLINE_CHARS:
        return w.leaf(x, lambda: _long_str(w, x))
    raw = _encode(x)
    w.add_bytes(len(raw))
    return b"s" + u64(len(raw)) + raw


def _long_bytes(w: Walker, b: bytes) -> bytes:
    w.add_bytes(len(b))
    h = new_hasher(b"bytes")
    h.update(memoryview(b))  # immutable: no copy, no export that could block a writer
    return h.digest()


def _bytes(w: Walker, x: Any) -> bytes:
    """``bytes``: the bytes themselves; long ones are streamed without a copy."""
    if len(x) > INLINE_CHARS:
        return w.leaf(x, lambda: _long_bytes(w, x))
    w.add_bytes(len(x))
    return b"b" + u64(len(x)) + bytes(x)


_cls: Any
for _cls, _enc in (
    (type(None), _none),
    (bool, _bool),
    (int, _int),
    (float, _float),
    (complex, _complex),
    (str, _str),
    (bytes, _bytes),
    (type(...), _ellipsis),
    (type(NotImplemented), _notimplemented),
):
    register_scalar(_cls, _enc)


# ---------------------------------------------------------------------------- base readers
# Each ``*_content`` is what the digest of that builtin covers. They are also the base
# readers for subclasses, so they only use the builtin's own slots.


def int_content(w: Walker, x: Any, depth: int) -> bytes:
    """An ``int`` subclass: its integer value."""
    return hash16(b"int" + _int(w, int.__int__(x)))


def float_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``float`` subclass: its IEEE-754 bits."""
    return hash16(b"float" + _float(w, float.__float__(x)))


_complex_real = complex.__dict__["real"].__get__
_complex_imag = complex.__dict__["imag"].__get__


def complex_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``complex`` subclass: both IEEE-754 parts."""
    return hash16(b"complex" + c128(_complex_real(x), _complex_imag(x)))


def str_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``str`` subclass: its characters (``str.__str__`` returns an exact copy)."""
    return hash16(b"strsub" + _str(w, str.__str__(x)))


def bytes_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``bytes`` subclass: its bytes (a full slice is an exact ``bytes``)."""
    return hash16(b"bytessub" + _bytes(w, bytes.__getitem__(x, slice(None))))


def bytearray_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``bytearray``: its bytes, copied a chunk at a time. No buffer is exported, so a
    concurrent resize in user code can never fail because of us."""
    n = bytearray.__len__(x)
    w.add_bytes(n)
    h = new_hasher(b"bytearray" + u64(n))
    for i in range(0, n, CHUNK):
        h.update(bytearray.__getitem__(x, slice(i, i + CHUNK)))
    return h.digest()


def list_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``list``: its items in order."""
    return w.sequence(b"list", list.__iter__(x), list.__len__(x), depth)


def tuple_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``tuple``: its items in order."""
    return w.sequence(b"tuple", tuple.__iter__(x), tuple.__len__(x), depth)


def dict_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``dict``: key/value pairs in insertion order (observable in Python, and free of
    hash seeds)."""
    return w.mapping(b"dict", list(dict.items(x)), depth)


def set_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``set``: its elements' tokens, sorted (independent of hash seeds)."""
    return w.unordered(b"set", list(set.__iter__(x)), depth)


def frozenset_content(w: Walker, x: Any, depth: int) -> bytes:
    """A ``frozenset``: like ``set``, with its own tag."""
    return w.unordered(b"frozenset", list(frozenset.__iter__(x)), depth)


def _range(w: Walker, x: Any, depth: int) -> bytes:
    """A ``range``: the sequence it denotes (``range(0, 3, 2) == range(0, 4, 2)``)."""
    start, stop, step = x.start, x.stop, x.step
    if step > 0:
        n = (stop - start + step - 1) // step if stop > start else 0
    else:
        n = (start - stop - step - 1) // -step if start > stop else 0
    if n == 0:
        start, step = 0, 1
    elif n == 1:
        step = 1
    return hash16(b"range" + _int(w, start) + _int(w, step) + _int(w, n))


def _slice(w: Walker, x: Any, depth: int) -> bytes:
    """A ``slice``: start, stop and step."""
    t = w.token
    return hash16(b"slice" + t(x.start, depth + 1) + t(x.stop, depth + 1) + t(x.step, depth + 1))


def _memoryview(w: Walker, x: Any, depth: int) -> bytes:
    """A ``memoryview``: format, shape and the bytes it shows (C order)."""
    try:
        fmt, shape, nbytes = x.format, x.shape, x.nbytes
    except ValueError as e:  # released
        raise Opaque("released memoryview") from e
    w.add_bytes(nbytes)
    h = new_hasher(b"memoryview" + tag(fmt) + u64(len(shape)) + b"".join(u64(s) for s in shape))
    if x.c_contiguous:
        h.update(x)
    else:
        h.update(x.tobytes())
    return h.digest()


def _mappingproxy(w: Walker, x: Any, depth: int) -> bytes:
    """A ``mappingproxy`` over a real dict: that dict's content. Over anything else its
    methods would be user code, so it is opaque."""
    referents = gc.get_referents(x)
    if len(referents) == 1 and T.has_base(type(referents[0]), dict):
        return w.mapping(b"mappingproxy", list(dict.items(referents[0])), depth)
    raise Opaque(f"{NO_STATE}: mappingproxy over a non-dict")


_ns_dict = types.SimpleNamespace.__dict__["__dict__"].__get__


def _simplenamespace(w: Walker, x: Any, depth: int) -> bytes:
    """A ``SimpleNamespace``: its attributes, sorted by name."""
    items = list(dict.items(_ns_dict(x)))
    if not all(type(k) is str for k, _ in items):
        return w.mapping(b"namespace*", items, depth)
    items.sort(key=lambda kv: kv[0])
    return hash16(b"namespace" + w.attributes(items, depth))


_args_get = BaseException.__dict__["args"].__get__


def exception_content(w: Walker, x: Any, depth: int) -> bytes:
    """An exception: its class label and ``args`` (traceback and chaining are execution
    history, not content)."""
    return hash16(b"exception" + tag(T.label(type(x))) + w.token(_args_get(x), depth + 1))


def _cell(w: Walker, x: Any, depth: int) -> bytes:
    """A closure cell: its content, or a marker when empty."""
    try:
        value = x.cell_contents
    except ValueError:
        return hash16(b"cell" + b"u")
    try:
        return hash16(b"cell" + w.token(value, depth + 1))
    except Opaque as e:
        e.where.append(".cell_contents")
        raise


_EXACT_CONTENT: tuple[tuple[type, Any], ...] = (
    (bytearray, bytearray_content),
    (list, list_content),
    (tuple, tuple_content),
    (dict, dict_content),
    (set, set_content),
    (frozenset, frozenset_content),
    (range, _range),
    (slice, _slice),
    (memoryview, _memoryview),
    (types.MappingProxyType, _mappingproxy),
    (types.SimpleNamespace, _simplenamespace),
    (types.CellType, _cell),
)
for _cls, _handler in _EXACT_CONTENT:
    register_exact(_cls, _handler)

for _cls, _handler in (
    (int, int_content),
    (float, float_content),
    (complex, complex_content),
    (str, str_content),
    (bytes, bytes_content),
    (bytearray, bytearray_content),
    (list, list_content),
    (tuple, tuple_content),
    (dict, dict_content),
    (set, set_content),
    (frozenset, frozenset_content),
):
    register_semantic(_cls, _handler, 90)  # exact scalars never get here: they are inline

register_semantic(BaseException, exception_content, 80)


def _len16(x: Any) -> int:
    return 16 * len(x)


for _cls in (list, tuple, dict, set, frozenset):
    register_cost(_cls, _len16)
for _cls in (str, bytes, bytearray):
    register_cost(_cls, len)
register_cost(memoryview, lambda x: int(x.nbytes))

# ---------------------------------------------------------------------------- opaque by nature
# Matched by (module, qualname) anywhere in the MRO, so nothing needs importing and a
# Mock's per-instance subclass is caught without touching the instance.

for _mod, _name, _reason in (
    ("builtins", "generator", GENERATOR),
    ("builtins", "coroutine", COROUTINE),
    ("builtins", "async_generator", ASYNC_GENERATOR),
    ("builtins", "frame", FRAME),
    ("builtins", "traceback", TRACEBACK),
    ("weakref", "ReferenceType", WEAKREF),
    ("weakref", "ProxyType", WEAKREF),
    ("weakref", "CallableProxyType", WEAKREF),
    ("weakref", "WeakValueDictionary", WEAKREF),
    ("weakref", "WeakKeyDictionary", WEAKREF),
    ("_weakrefset", "WeakSet", WEAKREF),
    ("_io", "_IOBase", FILE),
    ("_socket", "socket", SOCKET),
    ("_ssl", "_SSLSocket", SOCKET),
    ("_thread", "lock", LOCK),
    ("_thread", "RLock", LOCK),
    ("threading", "_RLock", LOCK),
    ("threading", "Condition", LOCK),
    ("threading", "Semaphore", LOCK),
    ("threading", "Event", LOCK),
    ("threading", "Barrier", LOCK),
    ("threading", "Thread", THREAD),
    ("_thread", "_local", "thread-local"),
    ("_threading_local", "local", "thread-local"),
    ("queue", "Queue", QUEUE),
    ("_queue", "SimpleQueue", QUEUE),
    ("asyncio.queues", "Queue", QUEUE),
    ("multiprocessing.queues", "Queue", QUEUE),
    ("unittest.mock", "NonCallableMock", MOCK),
    ("mmap", "mmap", "memory map"),
    ("subprocess", "Popen", "process"),
    ("_asyncio", "Future", "future"),
    ("asyncio.futures", "Future", "future"),
    ("concurrent.futures._base", "Future", "future"),
    ("asyncio.events", "AbstractEventLoop", "event loop"),
    ("sqlite3", "Connection", "database connection"),
    ("sqlite3", "Cursor", "database connection"),
    ("_contextvars", "Context", "context"),
    ("select", "epoll", "selector"),
):
    register_opaque(_mod, _name, _reason)

# ---------------------------------------------------------------------------- stdlib (lazy)
# Registered when a type of that module is first met (its module is then imported).


def _register_datetime() -> None:
    import datetime as dt

    def reduced(cls: type, reader: Any) -> Any:
        def content(w: Walker, x: Any, depth: int) -> bytes:
            # The base class's C pickle state: fields, fold bit and tzinfo, in one read.
            args = reader(x)[1]
            tz = w.token(args[1], depth + 1) if len(args) > 1 else b"N"
            state = args[0]
            if type(state) is not bytes:
                raise Opaque(f"{NO_STATE}: {T.label(type(x))}")
            return hash16(b"dt" + tag(cls.__name__) + _bytes(w, state) + tz)

        return content

    def timedelta_content(w: Walker, x: Any, depth: int) -> bytes:
        """A ``timedelta``: days, seconds, microseconds."""
        reduced: Any = dt.timedelta.__reduce__(x)
        days, seconds, micros = reduced[1]
        return hash16(b"timedelta" + _int(w, days) + _int(w, seconds) + _int(w, micros))

    initargs = dt.timezone.__dict__["__getinitargs__"]

    def timezone_content(w: Walker, x: Any, depth: int) -> bytes:
        """A fixed-offset ``timezone``: offset and explicit name."""
        return hash16(b"timezone" + w.token(initargs(x), depth + 1))

    datetime_reduce = dt.datetime.__dict__["__reduce_ex__"]
    time_reduce = dt.time.__dict__["__reduce_ex__"]
    date_reduce = dt.date.__dict__["__reduce__"]
    register_semantic(dt.datetime, reduced(dt.datetime, lambda x: datetime_reduce(x, 4)), 50)
    register_semantic(dt.date, reduced(dt.date, date_reduce), 51)
    register_semantic(dt.time, reduced(dt.time, lambda x: time_reduce(x, 4)), 52)
    register_semantic(dt.timedelta, timedelta_content, 53)
    register_exact(dt.timezone, timezone_content)


def _register_zoneinfo() -> None:
    import zoneinfo

    key_get = zoneinfo.ZoneInfo.__dict__["key"].__get__

    def content(w: Walker, x: Any, depth: int) -> bytes:
        """A ``ZoneInfo``: its IANA key (one built from a file has none: opaque)."""
        key = key_get(x)
        if type(key) is not str:
            raise Opaque(f"{NO_STATE}: ZoneInfo without a key")
        return hash16(b"zoneinfo" + tag(key))

    register_semantic(zoneinfo.ZoneInfo, content, 55)


def _register_decimal() -> None:
    import decimal

    def content(w: Walker, x: Any, depth: int) -> bytes:
        """A ``Decimal``: sign, digits and exponent (``as_tuple``; ``str`` depends on the
        context's ``capitals`` setting)."""
        parts: Any = tuple(tuple.__iter__(decimal.Decimal.as_tuple(x)))
        sign, digits, exponent = parts
        exp = _int(w, exponent) if type(exponent) is int else b"s" + tag(str(exponent))
        return hash16(b"decimal" + _int(w, sign) + tag("".join(map(str, digits))) + exp)

    register_semantic(decimal.Decimal, content, 56)


def _register_collections() -> None:
    import collections

    deque_maxlen = collections.deque.__dict__["maxlen"].__get__
    factory_get = collections.defaultdict.__dict__["default_factory"].__get__

    def deque_content(w: Walker, x: Any, depth: int) -> bytes:
        """A ``deque``: ``maxlen`` and its items in order."""
        items = list(collections.deque.__iter__(x))
        head = b"deque" + w.token(deque_maxlen(x), depth + 1)
        return w.sequence(head, items, len(items), depth)

    def ordered_content(w: Walker, x: Any, depth: int) -> bytes:
        """An ``OrderedDict``: pairs in its own (linked-list) order."""
        return w.mapping(b"odict", list(collections.OrderedDict.items(x)), depth)

    def default_content(w: Walker, x: Any, depth: int) -> bytes:
        """A ``defaultdict``: ``default_factory`` and pairs in insertion order."""
        head = b"defaultdict" + w.token(factory_get(x), depth + 1)
        return w.mapping(head, list(dict.items(x)), depth)

    register_semantic(collections.deque, deque_content, 60)
    register_semantic(collections.OrderedDict, ordered_content, 61)
    register_semantic(collections.defaultdict, default_content, 62)


def _register_tuplegetter() -> None:
    import collections

    factory: Any = collections.namedtuple
    getter_type: Any = type(factory("P", "a").a)

    def content(w: Walker, x: Any, depth: int) -> bytes:
        """A namedtuple field accessor: its index and docstring."""
        return hash16(b"tuplegetter" + w.token(getter_type.__reduce__(x)[1], depth + 1))

    register_exact(getter_type, content)


def _register_operator() -> None:
    import operator

    def reducer(cls: Any) -> Any:
        reduce = cls.__reduce__

        def content(w: Walker, x: Any, depth: int) -> bytes:
            """``attrgetter``/``itemgetter``/``methodcaller``: what their C ``__reduce__``
            reports (names, keys, arguments)."""
            return hash16(b"operator" + tag(T.qualname(cls)) + w.token(reduce(x)[1:], depth + 1))

        return content

    for cls in (operator.attrgetter, operator.itemgetter, operator.methodcaller):
        register_exact(cls, reducer(cls))


def _register_struct() -> None:
    import struct

    def content(w: Walker, x: Any, depth: int) -> bytes:
        """A ``struct.Struct``: its format."""
        return hash16(b"struct" + w.token(x.format, depth + 1))

    register_exact(struct.Struct, content)


def _register_random() -> None:
    import _random
    import random

    getstate = _random.Random.getstate

    def content(w: Walker, x: Any, depth: int) -> bytes:
        """A ``random.Random``: its Mersenne Twister state (changes with every draw) and
        the cached Gaussian, read through the C base class."""
        from ._walk import instance_dict

        d = instance_dict(x)
        gauss = d.get("gauss_next") if d is not None else None
        return hash16(b"random" + w.token(getstate(x), depth + 1) + w.token(gauss, depth + 1))

    register_exact(random.Random, content)


def _register_re() -> None:
    import re

    def content(w: Walker, x: Any, depth: int) -> bytes:
        """A compiled pattern: source and flags."""
        return hash16(b"re" + w.token(x.pattern, depth + 1) + _int(w, x.flags))

    register_exact(re.Pattern, content)


def _register_array() -> None:
    import array

    def content(w: Walker, x: Any, depth: int) -> bytes:
        """An ``array.array``: typecode and bytes (copied in chunks: no buffer export)."""
        n = array.array.__len__(x)
        size = n * x.itemsize
        w.add_bytes(size)
        h = new_hasher(b"array" + tag(x.typecode) + u64(n))
        step = max(1, CHUNK // max(1, x.itemsize))
        for i in range(0, n, step):
            h.update(array.array.tobytes(array.array.__getitem__(x, slice(i, i + step))))
        return h.digest()

    register_exact(array.array, content)


def _register_pathlib() -> None:
    import pathlib

    def content(w: Walker, x: Any, depth: int) -> bytes:
        """A path of an exact ``pathlib`` class: its class and string form."""
        return hash16(b"path" + tag(T.qualname(type(x))) + _str(w, pathlib.PurePath.__str__(x)))

    for cls in (
        pathlib.PurePath,
        pathlib.PurePosixPath,
        pathlib.PureWindowsPath,
        pathlib.Path,
        pathlib.PosixPath,
        pathlib.WindowsPath,
    ):
        register_exact(cls, content)


def _register_enum() -> None:
    import enum

    def content(w: Walker, x: Any, depth: int) -> bytes:
        """An enum member: its class label, name and value (read from the member's
        ``__dict__``; no enum machinery runs)."""
        from ._walk import instance_dict

        d = instance_dict(x)
        if d is None:
            raise Opaque(f"{NO_STATE}: enum member without __dict__")
        name = d.get("_name_", UNSET)
        value = d.get("_value_", UNSET)
        head = b"enum" + tag(T.label(type(x)))
        return hash16(head + w.attributes((("_name_", name), ("_value_", value)), depth))

    register_semantic(enum.Enum, content, 5, state=False, exact=False, complete=True)


def _register_functools() -> None:
    import functools

    from ._code import lru_content, partial_content

    register_semantic(functools.partial, partial_content, 70)
    register_exact(functools._lru_cache_wrapper, lru_content)


for _root, _registrar in (
    ("datetime", _register_datetime),
    ("zoneinfo", _register_zoneinfo),
    ("decimal", _register_decimal),
    ("collections", _register_collections),
    ("re", _register_re),
    ("random", _register_random),
    ("_collections", _register_tuplegetter),
    ("operator", _register_operator),
    ("_struct", _register_struct),
    ("array", _register_array),
    ("pathlib", _register_pathlib),
    ("enum", _register_enum),
    ("functools", _register_functools),
):
    register_lazy(_root, _registrar)
