"""Hostile values: digest() must return, run no user code, consume nothing, and say
"opaque" where content cannot be read.

Every digest here runs under ``no_user_code()``, a profile hook that records any call of a
Python function defined in this file (methods, properties, metaclass hooks, ``__del__``
included), so a single stray call anywhere in the walk fails the test. The hostile classes
also count their own calls and raise once armed, for good measure.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import os
import queue
import socket
import sys
import threading
import types
import weakref
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from jupyter_ext.capture.hashing import (
    OPAQUE_ASYNC_GENERATOR,
    OPAQUE_BUDGET_DEPTH,
    OPAQUE_COROUTINE,
    OPAQUE_FILE,
    OPAQUE_FRAME,
    OPAQUE_GENERATOR,
    OPAQUE_ITERATOR,
    OPAQUE_LOCK,
    OPAQUE_MOCK,
    OPAQUE_NO_STATE,
    OPAQUE_QUEUE,
    OPAQUE_SOCKET,
    OPAQUE_THREAD,
    OPAQUE_TRACEBACK,
    OPAQUE_WEAKREF,
    Digest,
    digest,
    estimated_cost,
)

THIS_FILE = __file__
CALLS: list[str] = []
ARMED = [False]


def hit(name: str) -> Any:
    """Called by every hostile method: counts, and once armed, explodes."""
    if ARMED[0]:
        CALLS.append(name)
        raise RuntimeError(f"user code ran: {name}")
    return None


@contextlib.contextmanager
def no_user_code() -> Iterator[list[str]]:
    """Record every Python-level call into this file while the block runs."""
    seen: list[str] = []
    me = no_user_code.__wrapped__.__code__  # type: ignore[attr-defined]

    def profile(frame: types.FrameType, event: str, arg: object) -> None:
        code = frame.f_code
        if event == "call" and code.co_filename == THIS_FILE and code is not me:
            seen.append(code.co_qualname if hasattr(code, "co_qualname") else code.co_name)

    CALLS.clear()
    ARMED[0] = True
    old = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield seen
    finally:
        sys.setprofile(old)
        ARMED[0] = False
    assert seen == [], f"user code ran during digest: {seen}"
    assert CALLS == [], CALLS


def safe_digest(obj: object) -> Digest:
    with no_user_code():
        d = digest(obj)
        estimated_cost(obj)
    assert isinstance(d, Digest)
    assert (d.value is None) != (d.opaque is None)
    return d


# ---------------------------------------------------------------------------- hostile classes


class RaisingEq:
    def __init__(self) -> None:
        self.payload = [1, 2, {"k": "v"}]

    def __eq__(self, other: object) -> bool:
        return bool(hit("__eq__"))

    def __ne__(self, other: object) -> bool:
        return bool(hit("__ne__"))

    def __lt__(self, other: object) -> bool:
        return bool(hit("__lt__"))


class RaisingHash(RaisingEq):
    def __hash__(self) -> int:
        hit("__hash__")
        return 1


class RaisingRepr(RaisingEq):
    def __repr__(self) -> str:
        hit("__repr__")
        return "x"

    def __str__(self) -> str:
        hit("__str__")
        return "x"

    def __format__(self, spec: str) -> str:
        hit("__format__")
        return "x"


class RaisingLen(RaisingEq):
    def __len__(self) -> int:
        hit("__len__")
        return 0

    def __bool__(self) -> bool:
        hit("__bool__")
        return True


class RaisingIter(RaisingEq):
    def __iter__(self) -> Iterator[int]:
        hit("__iter__")
        return iter(())

    def __getitem__(self, key: object) -> object:
        return hit("__getitem__")

    def __contains__(self, key: object) -> bool:
        return bool(hit("__contains__"))


class RaisingGetattr(RaisingEq):
    def __getattr__(self, name: str) -> object:
        return hit(f"__getattr__:{name}")


class RaisingGetattribute:
    def __init__(self) -> None:
        object.__setattr__(self, "payload", [1, 2])

    def __getattribute__(self, name: str) -> object:
        hit(f"__getattribute__:{name}")
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: object) -> None:
        hit("__setattr__")

    def __delattr__(self, name: str) -> None:
        hit("__delattr__")


class RaisingPickle(RaisingEq):
    def __reduce__(self) -> Any:
        return hit("__reduce__")

    def __reduce_ex__(self, protocol: Any) -> Any:
        return hit("__reduce_ex__")

    def __getstate__(self) -> Any:
        return hit("__getstate__")

    def __setstate__(self, state: Any) -> None:
        hit("__setstate__")

    def __copy__(self) -> Any:
        return hit("__copy__")

    def __deepcopy__(self, memo: Any) -> Any:
        return hit("__deepcopy__")

    def __sizeof__(self) -> int:
        hit("__sizeof__")
        return 0

    def __dir__(self) -> Any:
        return hit("__dir__") or []


class RaisingProperty(RaisingEq):
    @property
    def value(self) -> object:
        return hit("property")

    @property
    def __dict_like__(self) -> object:
        return hit("property2")


class LyingClass(RaisingEq):
    @property  # type: ignore[misc]
    def __class__(self) -> type:
        hit("__class__")
        return int


class Everything(
    RaisingHash,
    RaisingRepr,
    RaisingLen,
    RaisingIter,
    RaisingGetattr,
    RaisingPickle,
    RaisingProperty,
):
    def __call__(self, *args: object) -> object:
        return hit("__call__")

    def __index__(self) -> int:
        hit("__index__")
        return 0

    def __int__(self) -> int:
        hit("__int__")
        return 0

    def __float__(self) -> float:
        hit("__float__")
        return 0.0

    def __del__(self) -> None:
        pass


class Meta(type):
    def __eq__(cls, other: object) -> bool:
        return bool(hit("Meta.__eq__"))

    def __hash__(cls) -> int:
        hit("Meta.__hash__")
        return 1

    def __repr__(cls) -> str:
        hit("Meta.__repr__")
        return "Meta"

    def __getattribute__(cls, name: str) -> Any:
        hit(f"Meta.__getattribute__:{name}")
        return type.__getattribute__(cls, name)

    def __instancecheck__(cls, obj: object) -> bool:
        return bool(hit("Meta.__instancecheck__"))

    def __subclasscheck__(cls, sub: type) -> bool:
        return bool(hit("Meta.__subclasscheck__"))

    def __len__(cls) -> int:
        hit("Meta.__len__")
        return 0

    def __iter__(cls) -> Iterator[int]:
        hit("Meta.__iter__")
        return iter(())


class WithMeta(RaisingEq, metaclass=Meta):
    attr = [1, 2]

    def method(self) -> object:
        return hit("method")


class Slotted:
    __slots__ = ("__private", "a", "b")

    def __init__(self) -> None:
        self.a = [1]

    def __getattribute__(self, name: str) -> Any:
        hit(f"Slotted.__getattribute__:{name}")
        return object.__getattribute__(self, name)


class ShadowedSlot(Slotted):
    """A property shadows the inherited slot ``a``; the slot's own descriptor still reads it."""

    __slots__ = ()
    a = property(lambda self: hit("shadow"))  # type: ignore[assignment]

    def __init__(self) -> None:
        Slotted.__dict__["a"].__set__(self, [1])


class DictProperty:
    @property  # type: ignore[misc]
    def __dict__(self) -> Any:
        return hit("__dict__ property")


class HostileList(list):  # type: ignore[type-arg]
    def __iter__(self) -> Any:
        return hit("HostileList.__iter__")

    def __len__(self) -> int:
        hit("HostileList.__len__")
        return 0

    def __getitem__(self, i: Any) -> Any:
        return hit("HostileList.__getitem__")

    def __eq__(self, other: object) -> bool:
        return bool(hit("HostileList.__eq__"))

    __hash__ = None  # type: ignore[assignment]


class HostileDict(dict):  # type: ignore[type-arg]
    def __iter__(self) -> Any:
        return hit("HostileDict.__iter__")

    def items(self) -> Any:
        return hit("HostileDict.items")

    def keys(self) -> Any:
        return hit("HostileDict.keys")

    def __getitem__(self, k: Any) -> Any:
        return hit("HostileDict.__getitem__")

    def __len__(self) -> int:
        hit("HostileDict.__len__")
        return 0


class HostileSet(set):  # type: ignore[type-arg]
    def __iter__(self) -> Any:
        return hit("HostileSet.__iter__")


class HostileStr(str):
    def __hash__(self) -> int:
        hit("HostileStr.__hash__")
        return 1

    def __eq__(self, other: object) -> bool:
        return bool(hit("HostileStr.__eq__"))

    def __lt__(self, other: object) -> bool:
        return bool(hit("HostileStr.__lt__"))

    def __str__(self) -> str:
        hit("HostileStr.__str__")
        return ""

    def encode(self, *a: Any, **k: Any) -> bytes:  # type: ignore[override]
        hit("HostileStr.encode")
        return b""


class HostileInt(int):
    def __int__(self) -> int:
        hit("HostileInt.__int__")
        return 0

    def __index__(self) -> int:
        hit("HostileInt.__index__")
        return 0

    def bit_length(self) -> int:
        hit("HostileInt.bit_length")
        return 0


class HostileFloat(float):
    def __float__(self) -> float:
        hit("HostileFloat.__float__")
        return 0.0


class HostileBytes(bytes):
    def __bytes__(self) -> bytes:
        hit("HostileBytes.__bytes__")
        return b""

    def __getitem__(self, k: Any) -> Any:
        return hit("HostileBytes.__getitem__")


class HostileError(Exception):
    @property
    def args(self) -> Any:  # type: ignore[override]
        return hit("HostileError.args")

    def __str__(self) -> str:
        hit("HostileError.__str__")
        return ""


HOSTILE_FACTORIES = [
    RaisingEq,
    RaisingHash,
    RaisingRepr,
    RaisingLen,
    RaisingIter,
    RaisingGetattr,
    RaisingGetattribute,
    RaisingPickle,
    RaisingProperty,
    LyingClass,
    Everything,
    WithMeta,
    Slotted,
    ShadowedSlot,
    lambda: HostileList([1, 2]),
    lambda: HostileDict(a=1),
    lambda: HostileSet({1, 2}),
    lambda: HostileStr("abc"),
    lambda: HostileInt(5),
    lambda: HostileFloat(2.5),
    lambda: HostileBytes(b"abc"),
    lambda: HostileError("boom"),
    lambda: {HostileStr("k"): RaisingHash()},
    lambda: {RaisingHash(), RaisingHash()},
    lambda: [Everything(), [Everything()], (WithMeta(),)],
]


@pytest.mark.parametrize("factory", HOSTILE_FACTORIES)
def test_hostile_objects_get_real_digests_without_running_user_code(factory: Any) -> None:
    obj = factory()
    d = safe_digest(obj)
    assert d.value is not None, d.opaque
    again = safe_digest(obj)
    assert again == d


def test_hostile_classes_digest_too() -> None:
    for cls in (RaisingEq, Everything, WithMeta, Meta, HostileList, LyingClass, Slotted):
        assert safe_digest(cls).value is not None


def test_lying_class_is_hashed_by_its_true_type() -> None:
    d = safe_digest(LyingClass())
    assert d.type_name.endswith("LyingClass")
    assert d.value != safe_digest(0).value


def test_hostile_content_still_matters() -> None:
    a, b = RaisingGetattribute(), RaisingGetattribute()
    object.__setattr__(b, "payload", [1, 3])
    assert safe_digest(a).value != safe_digest(b).value
    s, t = Slotted(), Slotted()
    object.__setattr__(t, "a", [2])
    assert safe_digest(s).value != safe_digest(t).value
    assert safe_digest(HostileList([1])).value != safe_digest(HostileList([2])).value
    assert safe_digest(HostileDict(a=1)).value != safe_digest(HostileDict(a=2)).value
    assert safe_digest(HostileStr("a")).value != safe_digest(HostileStr("b")).value
    assert safe_digest(HostileError("a")).value != safe_digest(HostileError("b")).value


def test_replaced_instance_dict_is_opaque() -> None:
    d = safe_digest(DictProperty())
    assert d.value is None and d.opaque is not None and d.opaque.startswith(OPAQUE_NO_STATE)


# ---------------------------------------------------------------------------- mocks


@pytest.mark.parametrize(
    "factory", [mock.Mock, mock.MagicMock, mock.NonCallableMock, mock.AsyncMock]
)
def test_mocks_are_opaque_and_untouched(factory: Any) -> None:
    m = factory()
    m.configured.return_value = 3
    children = dict(m._mock_children)
    listing = dir(m)
    d = safe_digest(m)
    assert (d.value, d.opaque) == (None, OPAQUE_MOCK)
    assert m.mock_calls == []
    assert dict(m._mock_children) == children
    assert dir(m) == listing
    assert not m.called


def test_spec_mock_lying_about_its_class() -> None:
    m = mock.Mock(spec=dict)
    assert isinstance(m, dict)
    d = safe_digest([1, m])
    assert d.value is None and d.opaque == f"{OPAQUE_MOCK} (at [1])"
    assert m.mock_calls == []


# ---------------------------------------------------------------------------- iterators


def test_generator_is_not_consumed() -> None:
    g = (i for i in range(3))
    d = safe_digest(g)
    assert (d.value, d.opaque) == (None, OPAQUE_GENERATOR)
    assert next(g) == 0


@pytest.mark.parametrize(
    "factory",
    [
        lambda: iter([1, 2, 3]),
        lambda: iter((1, 2, 3)),
        lambda: iter({1: 1, 2: 2, 3: 3}),
        lambda: iter({1, 2, 3}),
        lambda: iter("123"),
        lambda: map(int, "123"),
        lambda: filter(None, [1, 2, 3]),
        lambda: zip([1, 2, 3], "abc", strict=True),
        lambda: enumerate([1, 2, 3], start=1),
        lambda: reversed([3, 2, 1]),
        lambda: itertools.count(1),
        lambda: itertools.chain([1], [2, 3]),
        lambda: itertools.islice(itertools.count(1), 5),
        lambda: iter(range(1, 4)),
    ],
)
def test_iterators_are_not_consumed(factory: Any) -> None:
    it = factory()
    d = safe_digest(it)
    assert (d.value, d.opaque) == (None, OPAQUE_ITERATOR)
    first = next(it)
    assert first in (1, "1", (1, "a"), (1, 1))


def test_coroutines_and_async_generators() -> None:
    async def co() -> int:
        return 1

    async def agen() -> Any:
        yield 1

    c = co()
    try:
        assert safe_digest(c).opaque == OPAQUE_COROUTINE
        assert asyncio.run(_await(c)) == 1
    finally:
        c.close()
    a = agen()
    assert safe_digest(a).opaque == OPAQUE_ASYNC_GENERATOR


async def _await(c: Any) -> Any:
    return await c


# ---------------------------------------------------------------------------- resources


def test_open_files_keep_their_position(tmp_path: Any) -> None:
    path = tmp_path / "data.txt"
    path.write_text("hello world")
    with open(path) as text, open(path, "rb") as raw, open(path, "rb", buffering=0) as unbuf:
        for f in (text, raw, unbuf):
            f.read(3)
            pos = f.tell()
            assert safe_digest(f).opaque == OPAQUE_FILE
            assert f.tell() == pos
            assert f.read(2) in ("lo", b"lo")
    for f in (io.StringIO("abc"), io.BytesIO(b"abc")):
        f.read(1)
        assert safe_digest(f).opaque == OPAQUE_FILE
        assert f.tell() == 1


def test_system_resources_are_opaque() -> None:
    lock = threading.Lock()
    lock.acquire()
    sock = socket.socket()
    try:
        cases: list[tuple[object, str]] = [
            (sock, OPAQUE_SOCKET),
            (lock, OPAQUE_LOCK),
            (threading.RLock(), OPAQUE_LOCK),
            (threading.Condition(), OPAQUE_LOCK),
            (threading.Event(), OPAQUE_LOCK),
            (threading.Semaphore(), OPAQUE_LOCK),
            (threading.Thread(target=print), OPAQUE_THREAD),
            (queue.Queue(), OPAQUE_QUEUE),
            (queue.SimpleQueue(), OPAQUE_QUEUE),
            (weakref.ref(RaisingEq), OPAQUE_WEAKREF),
            (weakref.WeakValueDictionary(), OPAQUE_WEAKREF),
            (sys._getframe(), OPAQUE_FRAME),
        ]
        try:
            raise ValueError("x")
        except ValueError as e:
            cases.append((e.__traceback__, OPAQUE_TRACEBACK))
        for obj, reason in cases:
            d = safe_digest(obj)
            assert (d.value, d.opaque) == (None, reason), obj
        assert lock.locked()
        assert sock.fileno() >= 0
    finally:
        lock.release()
        sock.close()


def test_unknown_compiled_objects_have_no_readable_state() -> None:
    r, w = os.pipe()
    try:
        import select

        if hasattr(select, "poll"):
            d = safe_digest(select.poll())
            assert d.value is None and d.opaque is not None
            assert d.opaque.startswith(OPAQUE_NO_STATE)
    finally:
        os.close(r)
        os.close(w)


# ---------------------------------------------------------------------------- structure


def test_self_references() -> None:
    lst: list[Any] = [RaisingEq()]
    lst.append(lst)
    dct: dict[str, Any] = {"x": Everything()}
    dct["me"] = dct
    obj = RaisingEq()
    obj.payload.append(obj)
    for value in (lst, dct, obj):
        first = safe_digest(value)
        assert first.value is not None
        assert safe_digest(value) == first


def test_deep_nesting_gives_budget_not_recursion_error() -> None:
    deep: list[Any] = []
    cur = deep
    for _ in range(100_000):
        nxt: list[Any] = [Everything()]
        cur.append(nxt)
        cur = nxt
    d = safe_digest(deep)
    assert (d.value, d.opaque) == (None, OPAQUE_BUDGET_DEPTH)


def test_generator_in_instance_state_is_reported_with_path() -> None:
    holder = RaisingGetattr()
    g = (i for i in range(2))
    holder.payload.append({"stream": g})
    d = safe_digest(holder)
    assert d.value is None
    assert d.opaque == f"{OPAQUE_GENERATOR} (at .payload[3]['stream'])"
    assert next(g) == 0


def test_the_guard_itself_detects_user_code() -> None:
    with pytest.raises(AssertionError, match="user code ran"), no_user_code():
        RaisingEq()  # runs __init__, defined in this file
