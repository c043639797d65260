"""Content digests: API, builtins, containers, functions, classes, budgets, determinism."""

from __future__ import annotations

import array
import collections
import dataclasses
import datetime
import decimal
import enum
import fractions
import functools
import json
import math
import operator
import os
import pathlib
import re
import subprocess
import sys
import textwrap
import threading
import types
import uuid
from typing import Any

import pytest

from jupyter_ext.capture.hashing import (
    DEFAULT_BUDGET,
    OPAQUE_BUDGET_BYTES,
    OPAQUE_BUDGET_DEPTH,
    OPAQUE_BUDGET_ELEMENTS,
    OPAQUE_BUDGET_RECURSION,
    OPAQUE_GENERATOR,
    OPAQUE_INTERRUPTED,
    OPAQUE_LOCK,
    Budget,
    Digest,
    digest,
    estimated_cost,
    is_large,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]


def dv(obj: object, budget: Budget = DEFAULT_BUDGET) -> str:
    d = digest(obj, budget)
    assert d.value is not None, d.opaque
    assert len(d.value) == 32 and int(d.value, 16) >= 0
    return d.value


def assert_all_distinct(values: list[object]) -> None:
    digests = [dv(v) for v in values]
    assert len(set(digests)) == len(digests), [repr(v)[:40] for v in values]


# ---------------------------------------------------------------------------- API


def test_digest_api_shape() -> None:
    d = digest(1)
    assert isinstance(d, Digest)
    assert d.type_name == "int" and d.opaque is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.value = "x"  # type: ignore[misc]
    assert Budget() == DEFAULT_BUDGET
    assert (Budget().max_bytes, Budget().max_elements, Budget().max_depth) == (4 * 2**30, 10**6, 64)


def test_type_names() -> None:
    class Local:
        pass

    assert digest(None).type_name == "NoneType"
    assert digest(True).type_name == "bool"
    assert digest("s").type_name == "str"
    assert digest(lambda: 0).type_name == "function"
    assert digest(os).type_name == "module"
    assert digest(Local()).type_name == f"{__name__}.test_type_names.<locals>.Local"


# ---------------------------------------------------------------------------- scalars


def test_type_tags_keep_scalars_apart() -> None:
    assert_all_distinct([1, 1.0, True, "1", b"1", bytearray(b"1"), 1 + 0j, None, 0, False, ""])


def test_scalars_equal_content_equal_digest() -> None:
    assert dv(10**100) == dv(int("1" + "0" * 100))
    assert dv("é" * 3) == dv("".join(["é", "é", "é"]))
    assert dv(b"ab" * 5000) == dv(bytes(b"ab" * 5000))
    assert dv("x" * 100_000) == dv("".join("x" for _ in range(100_000)))
    assert dv(...) == dv(Ellipsis)
    assert dv(NotImplemented) != dv(...)


def test_ints() -> None:
    assert_all_distinct(
        [0, 1, -1, 2**62, -(2**62), 2**63, 2**64, -(2**64), 10**1000, 255, 256, -128]
    )


def test_float_bits() -> None:
    """Floats are digested bit for bit: -0.0 differs from 0.0, NaN equals itself."""
    assert dv(-0.0) != dv(0.0)
    assert dv(float("nan")) == dv(float("nan"))
    assert dv(math.inf) != dv(-math.inf)
    assert dv(0.1 + 0.2) != dv(0.3)
    assert dv(complex(1, -0.0)) != dv(complex(1, 0.0))


def test_strings_and_surrogates() -> None:
    assert_all_distinct(["a", "b", "\udc80", "a\x00", "a" * 4096, "a" * 4097, "é", "e\u0301"])
    long = "ab" * 100_000
    assert dv(long) != dv(long[:-1] + "c")


# ---------------------------------------------------------------------------- containers


def test_sequences() -> None:
    assert dv([1, 2, 3]) == dv(list(range(1, 4)))
    assert_all_distinct([[1, 2], [2, 1], (1, 2), [1, 2, 3], [[1, 2]], [1, [2]], []])
    nested = [1, [2, [3, {"a": (4, 5)}]]]
    changed = [1, [2, [3, {"a": (4, 6)}]]]
    assert dv(nested) != dv(changed)


def test_dicts_keep_insertion_order() -> None:
    """Insertion order is observable in Python, so it is part of a dict's content."""
    assert dv({"a": 1, "b": 2}) == dv(dict([("a", 1), ("b", 2)]))
    assert dv({"a": 1, "b": 2}) != dv({"b": 2, "a": 1})
    assert_all_distinct([{"a": 1}, {"a": 2}, {"b": 1}, {1: "a"}, {"a": [1]}, {}])


def test_sets_are_order_independent() -> None:
    a = {f"k{i}" for i in range(100)}
    b = set(sorted(a, reverse=True))
    assert dv(a) == dv(b)
    assert dv(frozenset(a)) == dv(frozenset(b))
    assert dv(a) != dv(frozenset(a))
    assert dv({1, 2}) != dv({1, 3})
    assert dv({(1, 2), frozenset({3})}) == dv({frozenset({3}), (1, 2)})


def test_range_slice_memoryview_bytearray() -> None:
    assert dv(range(0, 3, 2)) == dv(range(0, 4, 2))  # the same sequence
    assert dv(range(5, 5)) == dv(range(0))
    assert_all_distinct([range(3), range(1, 3), range(0, 3, 2), slice(1, 2), slice(1, 2, 3)])
    assert dv(memoryview(b"abc")) == dv(memoryview(bytearray(b"abc")))
    assert dv(memoryview(b"abcd")[::2]) == dv(memoryview(b"ac"))
    assert dv(memoryview(b"abc")) != dv(b"abc")
    ba = bytearray(b"x" * 3_000_000)
    before = dv(ba)
    ba[1_500_000] = ord("y")
    assert dv(ba) != before
    released = memoryview(b"abc")
    released.release()
    assert digest(released).value is None


def test_cycles_are_stable() -> None:
    a: list[Any] = [1]
    a.append(a)
    b: list[Any] = [1]
    b.append(b)
    assert dv(a) == dv(a) == dv(b)
    c: list[Any] = [2]
    c.append(c)
    assert dv(a) != dv(c)
    d: dict[str, Any] = {}
    d["self"] = d
    e: dict[str, Any] = {"x": d}
    assert dv(d) == dv(d)
    assert dv(e) != dv(d)
    # mutual recursion
    p: dict[str, Any] = {}
    q: dict[str, Any] = {"p": p}
    p["q"] = q
    assert dv(p) == dv(p)
    # a cycle reached through different paths stays consistent
    assert dv([a, a]) == dv([a, b])


def test_shared_references_hash_like_copies() -> None:
    x = [1, 2, 3]
    assert dv([x, x]) == dv([x, list(x)])


def test_instance_attribute_order_does_not_matter() -> None:
    class P:
        pass

    p, q = P(), P()
    p.a, p.b = 1, 2
    q.b, q.a = 2, 1
    assert dv(p) == dv(q)
    q.a = 3
    assert dv(p) != dv(q)


def test_slots_and_dict() -> None:
    class S:
        __slots__ = ("__hidden", "x", "y")

    class T(S):
        pass

    s, t = S(), S()
    s.x = t.x = 1
    assert dv(s) == dv(t)
    t.y = 2
    assert dv(s) != dv(t)
    u = T()
    u.x = 1
    u.extra = [1]
    assert dv(u) != dv(s)
    u.extra.append(2)
    before = dv(u)
    u.extra.append(3)
    assert dv(u) != before


def test_builtin_subclasses_carry_their_type_and_state() -> None:
    class L(list):  # type: ignore[type-arg]
        pass

    class D(dict):  # type: ignore[type-arg]
        pass

    class S(str):
        pass

    class I(int):  # noqa: E742
        pass

    assert dv(L([1])) != dv([1])
    assert dv(L([1])) == dv(L([1]))
    assert dv(L([1])) != dv(L([2]))
    lst = L([1])
    lst.tag = "x"
    assert dv(lst) != dv(L([1]))
    assert dv(D(a=1)) != dv({"a": 1}) and dv(D(a=1)) != dv(D(a=2))
    assert dv(S("a")) != dv("a") and dv(S("a")) != dv(S("b"))
    assert dv(I(1)) != dv(1) and dv(I(1)) != dv(I(2))
    Point = collections.namedtuple("Point", "x y")
    assert dv(Point(1, 2)) != dv((1, 2)) and dv(Point(1, 2)) != dv(Point(1, 3))


def test_locks_inside_objects_are_neutral_but_opaque_alone() -> None:
    class Guarded:
        def __init__(self, n: int) -> None:
            self.n = n
            self.lock = threading.Lock()
            self.rlock = threading.RLock()

    a, b = Guarded(1), Guarded(1)
    a.lock.acquire()
    assert dv(a) == dv(b)
    assert dv(Guarded(2)) != dv(b)
    a.lock.release()
    assert digest(threading.Lock()).opaque == OPAQUE_LOCK
    assert digest(threading.RLock()).opaque == OPAQUE_LOCK


def test_opaque_parts_make_the_whole_opaque_with_path() -> None:
    def gen() -> Any:
        yield 1

    class Holder:
        def __init__(self) -> None:
            self.source = gen()

    d = digest([0, {"k": Holder()}])
    assert d.value is None
    assert d.opaque is not None and d.opaque.startswith(OPAQUE_GENERATOR)
    assert "[1]['k'].source" in d.opaque


# ---------------------------------------------------------------------------- budgets


def test_element_budget() -> None:
    d = digest(list(range(100)), Budget(max_elements=50))
    assert (d.value, d.opaque) == (None, OPAQUE_BUDGET_ELEMENTS)
    assert digest(list(range(100)), Budget(max_elements=100)).value is not None


def test_byte_budget() -> None:
    d = digest("x" * 10_000, Budget(max_bytes=1000))
    assert (d.value, d.opaque) == (None, OPAQUE_BUDGET_BYTES)
    d = digest(["x" * 600, "y" * 600], Budget(max_bytes=1000))
    assert d.opaque == OPAQUE_BUDGET_BYTES


def test_depth_budget_and_deep_nesting() -> None:
    deep: list[Any] = []
    cur = deep
    for _ in range(100_000):
        nxt: list[Any] = []
        cur.append(nxt)
        cur = nxt
    d = digest(deep)
    assert (d.value, d.opaque) == (None, OPAQUE_BUDGET_DEPTH)
    d = digest(deep, Budget(max_depth=10**6))  # the interpreter's limit comes first
    assert (d.value, d.opaque) == (None, OPAQUE_BUDGET_RECURSION)
    shallow: list[Any] = [[[1]]]
    assert digest(shallow, Budget(max_depth=3)).value is not None
    assert digest(shallow, Budget(max_depth=2)).opaque == OPAQUE_BUDGET_DEPTH


# ---------------------------------------------------------------------------- functions


def _define(source: str, filename: str, first_line: int = 1) -> dict[str, Any]:
    ns: dict[str, Any] = {"__name__": "__main__"}
    code = compile(
        "\n" * (first_line - 1) + textwrap.dedent(source), filename, "exec", dont_inherit=True
    )
    exec(code, ns)
    return ns


FUNC = """
import math
SCALE = 3
def f(x, y=2, *, z=4):
    '''Docstring.'''
    def helper(v):
        return v * SCALE
    return helper(x) + y + z + math.pi
"""


def test_same_function_in_two_cells_hashes_equal() -> None:
    a = _define(FUNC, "<cell-1>", 1)["f"]
    b = _define(FUNC, "/some/file.py", 40)["f"]
    c = _define("from __future__ import annotations\n" + FUNC, "<cell-2>")["f"]
    assert a.__code__.co_filename != b.__code__.co_filename
    assert a.__code__.co_firstlineno != b.__code__.co_firstlineno
    assert dv(a) == dv(b) == dv(c)


@pytest.mark.parametrize(
    "edit",
    [
        ("v * SCALE", "v * SCALE2"),  # a global name (in a nested code object)
        ("v * SCALE", "v * 3"),  # a constant
        ("y=2", "y=5"),  # a default
        ("z=4", "z=5"),  # a keyword default
        ("'''Docstring.'''", "'''Other.'''"),
        ("math.pi", "math.e"),  # an attribute name
        ("def f(", "def g("),  # the name
        ("return helper(x) + y", "return helper(x) - y"),  # the bytecode
    ],
)
def test_function_changes_are_detected(edit: tuple[str, str]) -> None:
    old, new = edit
    assert old in FUNC
    a = _define(FUNC, "<a>")
    b = _define(FUNC.replace(old, new), "<b>")
    fa = a["f"]
    fb = b.get("f") or b["g"]
    assert dv(fa) != dv(fb)


def test_closures_defaults_and_attributes() -> None:
    def make(k: Any) -> Any:
        def inner(a: int) -> Any:
            return a + k

        return inner

    assert dv(make(1)) == dv(make(1))
    assert dv(make(1)) != dv(make(2))
    assert dv(make([1, 2])) != dv(make([1, 3]))

    def with_default(x: Any = (1, 2)) -> Any:
        return x

    before = dv(with_default)
    with_default.__defaults__ = ((1, 3),)
    assert dv(with_default) != before
    with_default.__defaults__ = ((1, 2),)
    assert dv(with_default) == before
    with_default.marker = 1  # type: ignore[attr-defined]
    assert dv(with_default) != before


def test_recursive_closure_and_lambda() -> None:
    def outer() -> Any:
        def rec(n: int) -> int:
            return 1 if n == 0 else n * rec(n - 1)

        return rec

    assert dv(outer()) == dv(outer())
    assert dv(lambda x: x + 1) == dv(lambda x: x + 1)
    assert dv(lambda x: x + 1) != dv(lambda x: x + 2)
    assert digest(lambda: 0).type_name == "function"


def test_closure_over_generator_is_opaque() -> None:
    g = iter(range(3))

    def uses() -> Any:
        return next(g)

    d = digest(uses)
    assert d.value is None and d.opaque is not None and "__closure__" in d.opaque


def test_wrapped_partial_and_methods() -> None:
    def base(a: int, b: int) -> int:
        return a + b

    @functools.wraps(base)
    def wrapper(*args: Any) -> int:
        return base(*args)

    assert dv(wrapper) != dv(base)
    assert dv(functools.partial(base, 1)) == dv(functools.partial(base, 1))
    assert dv(functools.partial(base, 1)) != dv(functools.partial(base, 2))
    assert dv(functools.partial(base, b=1)) != dv(functools.partial(base, 1))

    class Counter:
        def __init__(self) -> None:
            self.n = 0

        def bump(self) -> None:
            self.n += 1

    c = Counter()
    m = c.bump
    before = dv(m)
    c.bump()
    assert dv(m) != before  # a bound method covers its receiver
    assert dv(Counter().bump) == dv(Counter().bump)

    cached = functools.lru_cache(maxsize=None)(base)
    before = dv(cached)
    cached(1, 2)  # filling the cache is not a change
    assert dv(cached) == before


def test_builtin_callables() -> None:
    assert_all_distinct([len, abs, [].append, [1].append, str.join, (1).__add__, int.real])
    assert dv(len) == dv(len)
    assert dv(operator.attrgetter("a")) != dv(operator.attrgetter("b"))
    assert dv(list[int]) != dv(list[str])
    assert dv(int | str) != dv(int | None)


# ---------------------------------------------------------------------------- classes, modules

CLASS = """
class Shape:
    sides = 4
    def area(self, w, h):
        return w * h
    @property
    def name(self):
        return "shape"
    @staticmethod
    def unit():
        return 1
    @classmethod
    def make(cls):
        return cls()
"""


def test_same_class_in_two_cells_hashes_equal() -> None:
    a = _define(CLASS, "<cell-1>")["Shape"]
    b = _define(CLASS, "mod.py", 10)["Shape"]
    assert dv(a) == dv(b)


@pytest.mark.parametrize(
    "edit",
    [
        ("sides = 4", "sides = 5"),
        ("return w * h", "return w + h"),
        ('return "shape"', 'return "square"'),
        ("return 1", "return 2"),
        ("class Shape:", "class Shape(dict):"),
        ("    sides = 4\n", "    sides = 4\n    extra = None\n"),
    ],
)
def test_class_changes_are_detected(edit: tuple[str, str]) -> None:
    old, new = edit
    assert old in CLASS
    assert dv(_define(CLASS, "<a>")["Shape"]) != dv(
        _define(CLASS.replace(old, new), "<b>")["Shape"]
    )


def test_instances_carry_the_class_label_not_its_content() -> None:
    a = _define(CLASS, "<a>")["Shape"]
    b = _define(CLASS.replace("sides = 4", "sides = 5"), "<b>")["Shape"]
    assert dv(a()) == dv(b())  # same label, same (empty) state


def test_dataclass_enum_and_library_classes() -> None:
    @dataclasses.dataclass
    class Cfg:
        lr: float = 0.1
        layers: tuple[int, ...] = (1, 2)

    assert dv(Cfg()) == dv(Cfg()) and dv(Cfg()) != dv(Cfg(lr=0.2))
    assert dv(Cfg) == dv(Cfg)

    class Color(enum.Enum):
        RED = 1
        BLUE = 2

    class Flag(enum.IntFlag):
        A = 1
        B = 2

    assert_all_distinct([Color.RED, Color.BLUE, Flag.A, Flag.B, Flag.A | Flag.B, 1])
    assert dv(Color) == dv(Color)
    assert dv(re.IGNORECASE) != dv(re.MULTILINE)
    assert dv(int) != dv(float)


def test_modules_by_name_and_version() -> None:
    assert dv(json) == dv(sys.modules["json"])
    assert dv(json) != dv(os)
    fake = types.ModuleType("fake")
    fake.__version__ = "1.0"  # type: ignore[attr-defined]
    other = types.ModuleType("fake")
    other.__version__ = "2.0"  # type: ignore[attr-defined]
    other.payload = list(range(10))  # type: ignore[attr-defined]
    assert dv(fake) != dv(other)
    del other.__version__  # type: ignore[attr-defined]
    assert dv(other) == dv(types.ModuleType("fake"))


# ---------------------------------------------------------------------------- stdlib values


def test_stdlib_values() -> None:
    utc = datetime.timezone.utc
    values = [
        datetime.datetime(2020, 1, 2, 3, 4, 5, 6),
        datetime.datetime(2020, 1, 2, 3, 4, 5, 7),
        datetime.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=utc),
        datetime.datetime(2020, 1, 2, 3, 4, 5, 6, fold=1),
        datetime.date(2020, 1, 2),
        datetime.time(3, 4),
        datetime.timedelta(days=1),
        datetime.timedelta(seconds=1),
        datetime.timezone(datetime.timedelta(hours=1)),
        decimal.Decimal("1.5"),
        decimal.Decimal("1.50"),
        decimal.Decimal("NaN"),
        fractions.Fraction(1, 3),
        fractions.Fraction(2, 3),
        uuid.UUID(int=1),
        uuid.UUID(int=2),
        pathlib.PurePosixPath("/a/b"),
        pathlib.PurePosixPath("/a/c"),
        pathlib.Path("/a/b"),
        collections.deque([1, 2]),
        collections.deque([1, 2], maxlen=5),
        collections.OrderedDict(a=1),
        collections.defaultdict(list, a=1),
        collections.defaultdict(int, a=1),
        collections.Counter("aab"),
        re.compile("a+"),
        re.compile("a+", re.I),
        array.array("i", [1, 2]),
        array.array("l", [1, 2]),
        types.SimpleNamespace(a=1),
        types.MappingProxyType({"a": 1}),
        ValueError("x"),
        KeyError("x"),
    ]
    assert_all_distinct(values)
    assert dv(types.SimpleNamespace(a=1, b=2)) == dv(types.SimpleNamespace(b=2, a=1))
    assert dv(datetime.datetime(2020, 1, 2)) == dv(datetime.datetime(2020, 1, 2))
    assert dv(collections.OrderedDict(a=1, b=2)) != dv(collections.OrderedDict(b=2, a=1))
    assert dv(decimal.Decimal("1.5")) == dv(decimal.Decimal("1.5"))


def test_zoneinfo() -> None:
    # The tz database comes from the system or from `tzdata` (a pandas dependency, so
    # always installed with the test extras): a missing one is a broken setup, not a skip.
    import zoneinfo

    paris = zoneinfo.ZoneInfo("Europe/Paris")
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    when = datetime.datetime(2020, 1, 1)
    assert dv(when.replace(tzinfo=paris)) != dv(when.replace(tzinfo=tokyo))
    assert dv(paris) == dv(zoneinfo.ZoneInfo("Europe/Paris"))


def test_random_state_changes_with_draws() -> None:
    import random

    r = random.Random(7)
    before = dv(r)
    assert before == dv(random.Random(7))
    r.random()
    assert dv(r) != before


# ---------------------------------------------------------------------------- cost


def test_estimated_cost_and_is_large() -> None:
    assert estimated_cost("abc") == 3
    assert estimated_cost(b"x" * 10) == 10
    assert estimated_cost([1, 2]) == 32
    assert estimated_cost(object()) == 0
    assert estimated_cost(1) == 0
    assert not is_large("x")
    assert is_large(b"x" * (1 << 20))
    assert is_large(b"x" * 10, threshold=10)


# ---------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (ValueError("bug"), "error: ValueError"),
        (MemoryError(), "budget exceeded: memory"),
        (KeyboardInterrupt(), OPAQUE_INTERRUPTED),
        (SystemExit(1), "error: SystemExit"),
    ],
)
def test_digest_never_raises(
    monkeypatch: pytest.MonkeyPatch, error: BaseException, reason: str
) -> None:
    from jupyter_ext.capture.hashing import _walk

    def broken(cls: type) -> Any:
        raise error

    monkeypatch.setattr(_walk, "resolve", broken)
    assert digest(1).value is not None  # scalars never reach a handler
    assert digest([1]) == Digest(None, "list", reason)


# ---------------------------------------------------------------------------- threads


def test_thread_safety() -> None:
    values: list[Any] = [
        {"a": [1, 2, {"b": frozenset({1, 2})}]},
        list(range(5000)),
        {str(i): i for i in range(2000)},
        FUNC,
        datetime.datetime(2020, 1, 1),
    ]
    expected = [dv(v) for v in values]
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                results.append([dv(v) for v in values])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 80 and all(r == expected for r in results)


# ---------------------------------------------------------------------------- processes

DETERMINISM_SCRIPT = """
import datetime, decimal, json, sys
import numpy as np
import pandas as pd
from jupyter_ext.capture.hashing import digest

GLOBAL = [1]

def f(x, y=2, *, z=3):
    return x + y + z + len(GLOBAL)

def make():
    k = {"closure", "set"}
    def inner(a):
        return a in k
    return inner

class C:
    attr = {"x", "y", "z"}
    def m(self):
        return self.attr

class P:
    def __init__(self):
        self.b = 1
        self.a = {"s", "t", "u"}

cycle = [1, "a"]
cycle.append(cycle)
values = {
    "dict": {"b": 1, "a": [1, 2.5, "x"], "c": {"nested": (1, None)}},
    "set": {"alpha", "beta", "gamma", "delta", 1, 2.0, b"z"},
    "frozenset": frozenset({"a", "b", frozenset({"c", "d"})}),
    "function": f,
    "closure": make(),
    "class": C,
    "instance": P(),
    "dataframe": pd.DataFrame(
        {
            "a": [1, 2, 3],
            "s": ["x", "y", None],
            "c": pd.Categorical(["u", "v", "u"]),
            "t": pd.date_range("2020", periods=3, tz="UTC"),
            "o": [{"k"}, None, 1.5],
        }
    ),
    "array": np.arange(12.0).reshape(3, 4).T,
    "cycle": cycle,
    "datetime": datetime.datetime(2020, 1, 2, tzinfo=datetime.timezone.utc),
    "decimal": decimal.Decimal("1.50"),
}
"""


def _values_in_process() -> dict[str, list[Any]]:
    ns = _define(DETERMINISM_SCRIPT, "<in-process>")
    return {
        k: [d.value, d.type_name, d.opaque]
        for k, d in ((k, digest(v)) for k, v in ns["values"].items())
    }


def _values_in_subprocess(seed: str) -> dict[str, list[Any]]:
    script = DETERMINISM_SCRIPT + textwrap.dedent(
        """
        out = {}
        for k, v in values.items():
            d = digest(v)
            out[k] = [d.value, d.type_name, d.opaque]
        print(json.dumps(out))
        """
    )
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, list[Any]] = json.loads(proc.stdout)
    return result


def test_deterministic_across_processes_and_hash_seeds() -> None:
    pytest.importorskip("pandas")
    one = _values_in_subprocess("1")
    two = _values_in_subprocess("4242")
    here = _values_in_process()
    assert one == two == here
    assert all(v[0] is not None for v in one.values()), one


def test_import_is_light() -> None:
    script = (
        "import sys; import jupyter_ext.capture.hashing as h; "
        "h.digest([1, 'a', {2.0}]); h.estimated_cost(3); "
        "Fake = type('Fake', (), {'__module__': 'pandas.core.frame'}); "
        "h.digest(Fake()); h.estimated_cost(Fake()); "
        "print(sorted(m for m in ('numpy', 'pandas', 'pyarrow') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.strip() == "[]"
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert not {"numpy", "pandas", "pyarrow"} & imported
