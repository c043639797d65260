"""Objects that break naive trackers leave the user's results exactly as without us.

Each case runs the same cells in a plain kernel and in a tracked kernel and compares
everything the user sees (stdout, stderr, results, errors). Every hostile method counts
its calls in ``CALLS``; the last cell prints the counts, so a single call made by the
tracker (a ``__repr__``, an ``__eq__``, a ``next()``, a lazy computation) shows up as a
difference. The tracked kernel must also have recorded every one of those cells with no
internal error, and no tracked cell may take more than a few seconds longer than its
plain twin (the "slow" dunders sleep far longer than that).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.kernels import Execution, Kernel

pytestmark = pytest.mark.integration

EXTRA_SECONDS_PER_CELL = 3.0
"""How much longer a tracked cell may take than the same cell in a plain kernel."""

PRELUDE = '''
import collections, itertools, socket, threading, time, unittest.mock, weakref
CALLS = collections.Counter()

def hostile(*names, raising=True, sleep=0.0):
    """A class whose listed dunders count their calls, then sleep and/or raise."""
    def make(name):
        def method(self, *args, **kwargs):
            CALLS[name] += 1
            if sleep:
                time.sleep(sleep)
            if raising:
                raise RuntimeError(f"{name} must not be called")
            return NotImplemented
        return method
    return type("Hostile", (), {name: make(name) for name in names})

EVERYTHING = ('__eq__', '__ne__', '__hash__', '__repr__', '__str__', '__len__', '__bool__',
              '__iter__', '__getstate__', '__reduce__', '__reduce_ex__', '__sizeof__',
              '__getattr__', '__copy__', '__deepcopy__', '__format__', '__dir__')
'''

# (label, cells that build the object, cells that use it afterwards)
CASES: list[tuple[str, list[str], list[str]]] = [
    # -- raising dunders -----------------------------------------------------------
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
    ("raising __sizeof__", ["obj = hostile('__sizeof__')()\nobj.x = [1, 2]"], ["obj.x.append(3)"]),
    ("every dunder raising", ["obj = hostile(*EVERYTHING)()"], ["obj.attr = 1"]),
    (
        "raising __getattribute__",
        [
            "class Wall:\n    def __getattribute__(self, name):\n        CALLS['getattribute:' + name] += 1\n        raise AttributeError(name)\nobj = Wall()"
        ],
        ["print(type(obj).__name__)"],
    ),
    (
        "raising __dict__ property",
        [
            "class NoDict:\n    @property\n    def __dict__(self):\n        CALLS['__dict__'] += 1\n        raise RuntimeError('no')\nobj = NoDict()"
        ],
        ["print('ok')"],
    ),
    (
        "raising property in __slots__ class",
        [
            "class Slotted:\n    __slots__ = ('a',)\n    @property\n    def b(self):\n        CALLS['b'] += 1\n        raise RuntimeError('b')\nobj = Slotted()\nobj.a = [1]"
        ],
        ["obj.a.append(2)"],
    ),
    (
        "len beyond sys.maxsize",
        [
            "class Huge:\n    def __len__(self):\n        CALLS['len'] += 1\n        return 2**80\nobj = Huge()"
        ],
        ["print('ok')"],
    ),
    # -- slow dunders: a tracker calling one would hang the cell -------------------------
    (
        "slow __eq__ and __hash__",
        ["obj = hostile('__eq__', '__hash__', raising=False, sleep=30)()"],
        ["z = 3"],
    ),
    (
        "slow __repr__",
        ["obj = hostile('__repr__', '__str__', raising=False, sleep=30)()"],
        ["print('ok')"],
    ),
    (
        "slow __getstate__ and __reduce_ex__",
        ["obj = hostile('__getstate__', '__reduce_ex__', raising=False, sleep=30)()"],
        ["print('ok')"],
    ),
    # -- attribute hooks, proxies and liars -----------------------------------------------
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
        "__class__ claiming dict",
        [
            "class FakeDict:\n    __class__ = property(lambda self: dict)\n    def keys(self):\n        CALLS['keys'] += 1\n        raise RuntimeError\n    def items(self):\n        CALLS['items'] += 1\n        raise RuntimeError\nobj = FakeDict()"
        ],
        ["print(isinstance(obj, dict))"],
    ),
    (
        "forwarding proxy",
        [
            "class Proxy:\n    def __init__(self, target):\n        object.__setattr__(self, '_t', target)\n    def __getattribute__(self, name):\n        CALLS['proxy:' + name] += 1\n        return getattr(object.__getattribute__(self, '_t'), name)\n    def __setattr__(self, name, value):\n        CALLS['proxy-set'] += 1\nobj = Proxy([1, 2, 3])"
        ],
        ["print(obj.count(2))"],
    ),
    (
        "dead weakref.proxy",
        ["class Target:\n    pass\nt = Target()\nobj = weakref.proxy(t)\ndel t"],
        ["print(type(obj).__name__)"],
    ),
    (
        "metaclass with hostile hooks",
        [
            "class Meta(type):\n    def __eq__(cls, other):\n        CALLS['meta.eq'] += 1\n        raise RuntimeError\n    __hash__ = type.__hash__\n    def __repr__(cls):\n        CALLS['meta.repr'] += 1\n        raise RuntimeError\n    def __instancecheck__(cls, obj):\n        CALLS['meta.instancecheck'] += 1\n        raise RuntimeError\n    def __getattr__(cls, name):\n        CALLS['meta.getattr:' + name] += 1\n        raise AttributeError(name)\nclass C(metaclass=Meta):\n    x = 1\nobj = C()"
        ],
        ["print(C.x)"],
    ),
    (
        "module subclass with __getattr__",
        [
            "import types\nclass LazyModule(types.ModuleType):\n    def __getattr__(self, name):\n        CALLS['module:' + name] += 1\n        raise AttributeError(name)\nmod = LazyModule('lazy')"
        ],
        ["print(mod.__name__)"],
    ),
    # -- mocks --------------------------------------------------------------------------
    (
        "MagicMock",
        ["m = unittest.mock.MagicMock()"],
        ["print(m.mock_calls, m.method_calls)", "print(len(m._mock_children))"],
    ),
    (
        "MagicMock pretending to be a list",
        ["m = unittest.mock.MagicMock(spec=list)"],
        ["print(isinstance(m, list), m.mock_calls)"],
    ),
    (
        "NonCallableMagicMock and sentinel",
        ["m = unittest.mock.NonCallableMagicMock()\ns = unittest.mock.sentinel.thing"],
        ["print(m.mock_calls, s.name)"],
    ),
    # -- builtin subclasses overriding their protocols ------------------------------------
    (
        "user-subclassed list",
        [
            "class L(list):\n    def __iter__(self):\n        CALLS['L.iter'] += 1\n        return iter([])\n    def __len__(self):\n        CALLS['L.len'] += 1\n        return 0\nobj = L([1, 2])"
        ],
        ["obj.append(3)"],
    ),
    (
        "dict subclass with raising accessors",
        [
            "class D(dict):\n    def __getitem__(self, k):\n        CALLS['D.getitem'] += 1\n        raise KeyError(k)\n    def items(self):\n        CALLS['D.items'] += 1\n        raise RuntimeError\n    def keys(self):\n        CALLS['D.keys'] += 1\n        raise RuntimeError\n    def __iter__(self):\n        CALLS['D.iter'] += 1\n        raise RuntimeError\nobj = D(a=1)"
        ],
        ["dict.__setitem__(obj, 'b', 2)"],
    ),
    (
        "str and int subclasses with raising dunders",
        [
            "class S(str):\n    def __str__(self):\n        CALLS['S.str'] += 1\n        raise RuntimeError\n    def __eq__(self, o):\n        CALLS['S.eq'] += 1\n        raise RuntimeError\n    __hash__ = str.__hash__\nclass I(int):\n    def __index__(self):\n        CALLS['I.index'] += 1\n        raise RuntimeError\n    def __int__(self):\n        CALLS['I.int'] += 1\n        raise RuntimeError\ns, i = S('abc'), I(5)"
        ],
        ["print(str.upper(s), int.__add__(i, 1))"],
    ),
    # -- containers holding hostile objects -------------------------------------------------
    (
        "containers of hostile objects",
        [
            "H = hostile('__eq__', '__repr__', '__reduce_ex__', '__getstate__')\nbox = {'a': H(), 'b': [H(), (H(),)]}"
        ],
        ["box['c'] = 1"],
    ),
    (
        "function with hostile default and closure",
        [
            "def make():\n    captured = hostile('__eq__', '__repr__', '__reduce_ex__')()\n    def f(x=hostile('__eq__', '__repr__')()):\n        return captured\n    return f\nfn = make()"
        ],
        ["print(fn.__name__)"],
    ),
    (
        "exception with hostile __str__",
        [
            "class Boom(Exception):\n    def __str__(self):\n        CALLS['Boom.str'] += 1\n        return 'boom'\nerr = Boom()"
        ],
        ["print(type(err).__name__)"],
    ),
    (
        "exception object",
        ["try:\n    1/0\nexcept Exception as e:\n    err = e"],
        ["print(type(err).__name__)"],
    ),
    # -- iterators and generators: never advanced ----------------------------------------
    ("generator", ["g = (i * i for i in range(5))"], ["print(next(g))", "print(list(g))"]),
    ("list iterator", ["it = iter([10, 20, 30])"], ["print(next(it))"]),
    ("infinite iterator", ["counter = itertools.count(7)"], ["print(next(counter))"]),
    (
        "map over a counting function",
        [
            "def double(x):\n    CALLS['double'] += 1\n    return 2 * x\nlazy = map(double, [1, 2, 3])"
        ],
        ["print(next(lazy))"],
    ),
    (
        "tee and islice",
        ["a, b = itertools.tee(itertools.count())\nsl = itertools.islice(a, 5)"],
        ["print(next(b), list(sl))"],
    ),
    (
        "generator with finally",
        [
            "def gen():\n    try:\n        yield 1\n        yield 2\n    finally:\n        CALLS['gen.finally'] += 1\ng = gen()\nnext(g)"
        ],
        ["print(next(g))"],
    ),
    (
        "custom iterator counting __next__",
        [
            "class Ticker:\n    n = 0\n    def __iter__(self):\n        return self\n    def __next__(self):\n        CALLS['next'] += 1\n        self.n += 1\n        return self.n\nt = Ticker()"
        ],
        ["print(next(t))"],
    ),
    (
        "coroutine never awaited",
        ["async def work():\n    CALLS['work'] += 1\nco = work()"],
        ["co.close()\nprint('closed')"],
    ),
    # -- handles to the outside world ------------------------------------------------------
    (
        "open file",
        ["f = open(PATH, 'w+')\nf.write('hello\\nworld\\n')\nf.seek(0)\nf.readline()"],
        ["print(f.tell(), f.readline())"],
    ),
    (
        "binary file read half-way",
        [
            "with open(PATH, 'wb') as w:\n    w.write(bytes(range(256)))\nbf = open(PATH, 'rb')\nbf.read(10)"
        ],
        ["print(bf.tell(), bf.read(3))"],
    ),
    ("socket", ["s = socket.socket()"], ["print(s.fileno() > 0)\ns.close()"]),
    (
        "pipe file objects",
        ["import os\nr, w = os.pipe()\nrf, wf = os.fdopen(r, 'rb'), os.fdopen(w, 'wb')"],
        ["wf.write(b'x')\nwf.flush()\nprint(rf.read(1))"],
    ),
    (
        "lock and thread",
        ["lock = threading.Lock()\nt = threading.Thread(target=lambda: None)"],
        ["print(lock.locked(), t.is_alive())"],
    ),
    (
        "running thread, held lock and queue",
        [
            "import queue\nev = threading.Event()\nrl = threading.RLock()\nrl.acquire()\nq = queue.Queue()\nq.put(1)\nworker = threading.Thread(target=ev.wait, daemon=True)\nworker.start()"
        ],
        ["print(q.qsize(), worker.is_alive())\nev.set()\nworker.join()\nrl.release()"],
    ),
    (
        "sqlite connection and cursor",
        [
            "import sqlite3\nconn = sqlite3.connect(':memory:')\ncur = conn.execute('select 1 union select 2')"
        ],
        ["print(cur.fetchone())"],
    ),
    (
        "frame and traceback",
        [
            "import sys\nframe = sys._getframe()\ntry:\n    raise ValueError\nexcept ValueError as e:\n    tb = e.__traceback__"
        ],
        ["print(type(frame).__name__, type(tb).__name__)"],
    ),
    # -- C-extension objects whose state Python cannot see ----------------------------------
    (
        "C objects without readable state",
        [
            "import hashlib, zlib, re, decimal, array, mmap\nh = hashlib.sha256(b'a')\nz = zlib.compressobj()\npat = re.compile('a+')\nctx = decimal.Context(prec=5)\narr = array.array('d', [1.0, 2.0])\nmm = mmap.mmap(-1, 4096)"
        ],
        ["h.update(b'b')\nmm[0] = 7\nprint(h.hexdigest()[:8], mm[0], arr[1])"],
    ),
    (
        "memoryview of a bytearray",
        ["buf = bytearray(b'abcdef')\nview = memoryview(buf)[1:4]"],
        ["view[0] = 0x5a\nprint(bytes(buf))"],
    ),
    # -- shapes that break recursion -------------------------------------------------------
    (
        "self-referencing containers",
        ["l = []\nl.append(l)\nd = {}\nd['self'] = d\nclass Node:\n    pass\nn = Node()\nn.me = n"],
        ["print(len(l), list(d))"],
    ),
    (
        "a million levels deep",
        ["deep = []\nfor _ in range(1_000_000):\n    deep = [deep]"],
        ["print(type(deep).__name__)"],
    ),
    (
        "a million levels of dicts",
        ["deepd = {}\nfor _ in range(1_000_000):\n    deepd = {'k': deepd}"],
        ["print(list(deepd))"],
    ),
    # -- arrays and lazily evaluated objects -------------------------------------------------
    (
        "numpy object array of hostile objects",
        [
            "import numpy as np\nH = hostile('__eq__', '__repr__', '__reduce_ex__', '__getstate__', '__hash__')\noa = np.array([H(), H()], dtype=object)"
        ],
        ["print(oa.shape)"],
    ),
    (
        "pandas frame with a hostile column",
        [
            "import pandas as pd\nH = hostile('__eq__', '__repr__', '__reduce_ex__', '__getstate__', '__hash__')\ndf = pd.DataFrame({'a': [1, 2], 'h': [H(), H()]})"
        ],
        ["df['b'] = df['a'] * 2\nprint(df.shape)"],
    ),
    (
        "lazy dask array over a counting function",
        [
            "import dask, dask.array as da\ndask.config.set(scheduler='synchronous')\ndef touch(block):\n    CALLS['dask.block'] += 1\n    return block + 1\nlazy_arr = da.ones(10_000, chunks=1_000).map_blocks(touch, dtype=float)\nCALLS.clear()"
        ],
        ["total = lazy_arr[:1_000].sum()\nprint(type(total).__name__)"],
    ),
    (
        "dask delayed",
        [
            "import dask\n@dask.delayed\ndef compute(x):\n    CALLS['delayed'] += 1\n    return x + 1\npending = compute(1)"
        ],
        ["print(type(pending).__name__)"],
    ),
]


@pytest.fixture(scope="module")
def kernels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Kernel, Kernel]]:
    root = tmp_path_factory.mktemp("hostile")
    plain = Kernel(extension=False, cwd=root)
    tracked = Kernel(extension=True, store=root / "runs.sqlite", cwd=root)
    yield plain, tracked
    plain.shutdown()
    tracked.shutdown()


def timed(kernel: Kernel, code: str, cell_id: str, timeout: float = 120) -> tuple[Execution, float]:
    t0 = time.monotonic()
    execution = kernel.execute(code, cell_id=cell_id, timeout=timeout)
    return execution, time.monotonic() - t0


def track_status(kernel: Kernel) -> dict[str, object]:
    status: dict[str, object] = json.loads(kernel.execute("%track --json").stdout)
    return status


def run_side_by_side(
    kernels: tuple[Kernel, Kernel], label: str, cells: list[str], timeout: float = 120
) -> None:
    """Every cell in both kernels: same visible output, bounded extra time, all recorded."""
    plain, tracked = kernels
    before = track_status(tracked)
    for i, code in enumerate(cells):
        (a, ta), (b, tb) = (timed(k, code, f"{label}-{i}", timeout) for k in (plain, tracked))
        assert a.visible() == b.visible(), f"cell {i} of {label!r} differs: {code!r}"
        assert tb < ta + EXTRA_SECONDS_PER_CELL, f"cell {i} of {label!r}: {tb:.1f}s vs {ta:.1f}s"
    after = track_status(tracked)
    assert after["recording"] is True
    assert after["internal_errors"] == before["internal_errors"] == 0
    # Every cell was recorded (the %track cell itself counts once).
    assert after["executions"] == int(before["executions"]) + len(cells) + 1  # type: ignore[call-overload]


@pytest.mark.parametrize("label,setup,use", CASES, ids=[c[0] for c in CASES])
def test_outputs_identical_with_and_without_tracking(
    kernels: tuple[Kernel, Kernel], tmp_path: Path, label: str, setup: list[str], use: list[str]
) -> None:
    cells = [
        PRELUDE,
        f"PATH = {str(tmp_path / 'file.txt')!r}",
        *setup,
        *use,
        "print(sorted(CALLS.items()))",
    ]
    run_side_by_side(kernels, label, cells)


def test_catalogue_has_at_least_forty_objects() -> None:
    assert len(CASES) >= 40


@pytest.mark.slow
def test_two_gigabyte_array(kernels: tuple[Kernel, Kernel]) -> None:
    cells = [
        "import numpy as np\nhuge = np.ones(2**28)",  # 2 GiB of float64
        "huge[1] = 5.0\nprint(huge[:3].sum())",
        "huge *= 2\nprint(huge[:3].sum())",
        "del huge",
    ]
    run_side_by_side(kernels, "2 GiB array", cells, timeout=300)


@pytest.mark.slow
def test_two_gigabyte_memory_mapped_array(kernels: tuple[Kernel, Kernel], tmp_path: Path) -> None:
    cells = [
        f"import numpy as np\nPATH = {str(tmp_path / 'sparse.bin')!r}",
        # A sparse file: 2 GiB of address space, almost no disk or memory.
        "mapped = np.memmap(PATH, dtype='float64', mode='w+', shape=(2**28,))",
        "mapped[7] = 3.0\nprint(float(mapped[:8].sum()))",
        "del mapped",
    ]
    run_side_by_side(kernels, "2 GiB memmap", cells, timeout=300)
