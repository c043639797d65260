"""Objects that break naive trackers leave the user's results exactly as without us.

Each case runs the same cells in a plain kernel and in a tracked kernel and compares
everything the user sees (stdout, stderr, results, errors). Every hostile method counts
its calls in ``CALLS``; the last cell prints the counts, so a single call made by the
tracker (a ``__repr__``, an ``__eq__``, a ``next()``) shows up as a difference.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.kernels import Kernel

pytestmark = pytest.mark.integration

PRELUDE = '''
import collections, itertools, socket, threading, unittest.mock
CALLS = collections.Counter()

def hostile(*names, raising=True):
    """A class whose listed dunders count their calls and raise."""
    def make(name):
        def method(self, *args, **kwargs):
            CALLS[name] += 1
            if raising:
                raise RuntimeError(f"{name} must not be called")
            return NotImplemented
        return method
    return type("Hostile", (), {name: make(name) for name in names})
'''

# (label, cells that build the object, cells that use it afterwards)
CASES: list[tuple[str, list[str], list[str]]] = [
    ("raising __eq__", ["obj = hostile('__eq__')()"], ["print(type(obj).__name__)"]),
    ("raising __hash__", ["obj = hostile('__hash__')()"], ["print('ok')"]),
    ("raising __repr__ and __str__", ["obj = hostile('__repr__', '__str__')()"], ["print(1)"]),
    ("raising __len__ and __bool__", ["obj = hostile('__len__', '__bool__')()"], ["x = 1"]),
    ("raising __iter__", ["obj = hostile('__iter__')()"], ["print('fine')"]),
    (
        "raising __reduce__ and __getstate__",
        ["obj = hostile('__reduce__', '__reduce_ex__', '__getstate__')()"],
        ["y = 2"],
    ),
    (
        "counting __getattr__",
        [
            "class Lazy:\n    def __getattr__(self, name):\n        CALLS['getattr:' + name] += 1\n        return 1\nobj = Lazy()"
        ],
        ["print(obj.anything)"],
    ),
    (
        "counting __getattribute__",
        [
            "class Spy:\n    def __getattribute__(self, name):\n        CALLS['getattribute:' + name] += 1\n        return object.__getattribute__(self, name)\nobj = Spy()"
        ],
        ["obj.__class__"],
    ),
    (
        "lying __class__",
        [
            "class Liar:\n    @property\n    def __class__(self):\n        CALLS['class'] += 1\n        return int\nobj = Liar()"
        ],
        ["print(isinstance(obj, int))"],
    ),
    (
        "MagicMock",
        ["m = unittest.mock.MagicMock()"],
        ["print(m.mock_calls, m.method_calls)", "print(len(m._mock_children))"],
    ),
    ("generator", ["g = (i * i for i in range(5))"], ["print(next(g))", "print(list(g))"]),
    ("list iterator", ["it = iter([10, 20, 30])"], ["print(next(it))"]),
    ("infinite iterator", ["counter = itertools.count(7)"], ["print(next(counter))"]),
    (
        "open file",
        ["f = open(PATH, 'w+')\nf.write('hello\\nworld\\n')\nf.seek(0)\nf.readline()"],
        ["print(f.tell(), f.readline())"],
    ),
    ("socket", ["s = socket.socket()"], ["print(s.fileno() > 0)\ns.close()"]),
    (
        "lock and thread",
        ["lock = threading.Lock()\nt = threading.Thread(target=lambda: None)"],
        ["print(lock.locked(), t.is_alive())"],
    ),
    (
        "self-referencing containers",
        ["l = []\nl.append(l)\nd = {}\nd['self'] = d"],
        ["print(len(l), list(d))"],
    ),
    (
        "deep nesting",
        ["deep = []\nfor _ in range(100_000):\n    deep = [deep]"],
        ["print(type(deep).__name__)"],
    ),
    (
        "exception object",
        ["try:\n    1/0\nexcept Exception as e:\n    err = e"],
        ["print(type(err).__name__)"],
    ),
    (
        "user-subclassed list",
        [
            "class L(list):\n    def __iter__(self):\n        CALLS['L.iter'] += 1\n        return iter([])\n    def __len__(self):\n        CALLS['L.len'] += 1\n        return 0\nobj = L([1, 2])"
        ],
        ["obj.append(3)"],
    ),
]


@pytest.fixture(scope="module")
def kernels(tmp_path_factory: pytest.TempPathFactory) -> tuple[Kernel, Kernel]:
    root = tmp_path_factory.mktemp("hostile")
    plain = Kernel(extension=False, cwd=root)
    tracked = Kernel(extension=True, store=root / "runs.sqlite", cwd=root)
    yield plain, tracked  # type: ignore[misc]
    plain.shutdown()
    tracked.shutdown()


@pytest.mark.parametrize("label,setup,use", CASES, ids=[c[0] for c in CASES])
def test_outputs_identical_with_and_without_tracking(
    kernels: tuple[Kernel, Kernel], tmp_path: Path, label: str, setup: list[str], use: list[str]
) -> None:
    plain, tracked = kernels
    cells = [
        PRELUDE,
        f"PATH = {str(tmp_path / 'file.txt')!r}",
        *setup,
        *use,
        "print(sorted(CALLS.items()))",
    ]
    for i, code in enumerate(cells):
        seen = [k.execute(code, cell_id=f"{label}-{i}").visible() for k in (plain, tracked)]
        assert seen[0] == seen[1], f"cell {i} of {label!r} differs: {code!r}"
    final = tracked.execute("print(sorted(CALLS.items()))").stdout
    assert final == plain.execute("print(sorted(CALLS.items()))").stdout


@pytest.mark.slow
def test_one_gigabyte_array(kernels: tuple[Kernel, Kernel]) -> None:
    pytest.importorskip("numpy")
    plain, tracked = kernels
    cells = [
        "import numpy as np\nhuge = np.ones(2**27)",  # 1 GiB of float64
        "huge[1] = 5.0\nprint(huge[:3].sum())",
        "del huge",
    ]
    for code in cells:
        a, b = (k.execute(code, timeout=300).visible() for k in (plain, tracked))
        assert a == b
