"""Stale or not, with real code: each way Python code changes a value, as the recorder
sees it (real AST analysis, real digests), and the look-alikes that change nothing.

Every row runs ``setup`` in cell ``s``, the ``reader`` in cell ``r``, then the ``change``
in cell ``m`` (or in ``r`` itself when ``same_cell``), and lists the names ``r`` must be
stale on -- an empty list means it must not be flagged at all.
"""

from __future__ import annotations

from typing import Any

import pytest

from .test_hygiene_sim import MiniKernel, triples


def case(
    case_id: str, setup: str, reader: str, change: str, stale: str, *, same_cell: bool = False
) -> Any:
    return pytest.param(setup, reader, change, stale, same_cell, id=case_id)


ROWS = [
    case("list-append", "xs = [1, 2]", "n = len(xs)", "xs.append(3)", "xs"),
    case("dict-key", "d = {'a': 1}", "v = d['a']", "d['b'] = 2", "d"),
    case(
        "attribute",
        "class C:\n    pass\nobj = C()\nobj.v = 1",
        "w = obj.v",
        "obj.v = 2",
        "obj",
    ),
    case(
        "numpy-in-place-operator",
        "import numpy as np\na = np.zeros(3)",
        "s = a.sum()",
        "a += 1",
        "a",
    ),
    case(
        "numpy-out-argument",
        "import numpy as np\na = np.zeros(3)",
        "s = a.sum()",
        "np.add(a, 1, out=a)",
        "a",
    ),
    case(
        "pandas-inplace",
        "import pandas as pd\ndf = pd.DataFrame({'x': [1.0, None]})",
        "m = df['x'].mean()",
        "df.fillna(0, inplace=True)",
        "df",
    ),
    case(
        "helper-mutating-its-argument",
        "data = [1]\ndef grow(xs):\n    xs.append(0)",
        "total = sum(data)",
        "grow(data)",
        "data",
    ),
    case(
        "alias-mutated-through-the-other-name", "a = [1]\nb = a", "n = len(a)", "b.append(2)", "a"
    ),
    case("globals-write", "x = 1", "y = x * 2", "globals()['x'] = 5", "x"),
    case("del", "x = 1", "y = x", "del x", "x"),
    case(
        "global-read-through-a-function",
        "k = 2\ndef f():\n    return k",
        "y = f()",
        "k = 3",
        "k",
    ),
    # --- must not flag
    case("rebinding-an-equal-value", "x = 1", "y = x", "x = 1", ""),
    case("reimporting-a-module", "import math", "r = math.sqrt(4)", "import math", ""),
    case(
        "comprehension-variable-shadows-a-global",
        "x = 1",
        "ys = [x for x in range(3)]",
        "x = 2",
        "",
    ),
    case(
        "parameter-shadows-a-global",
        "x = 1\ndef f(x):\n    return x * 2",
        "y = f(3)",
        "x = 2",
        "",
    ),
    case("updating-what-it-read-twice", "x = 1", "x = x + 1", "x = x + 1", "", same_cell=True),
    case(
        "mutating-what-it-read-twice", "xs = []", "xs.append(1)", "xs.append(1)", "", same_cell=True
    ),
    case("an-unrelated-name", "x = 1\ny = 1", "z = x", "y = 5", ""),
    case(
        "mutated-and-restored-in-one-cell", "xs = [1]", "n = len(xs)", "xs.append(3)\nxs.pop()", ""
    ),
    case(
        "identical-function-redefined",
        "def f():\n    return 1",
        "y = f()",
        "def f():\n    return 1",
        "",
    ),
]


@pytest.mark.parametrize(("setup", "reader", "change", "stale", "same_cell"), ROWS)
def test_change_paths(setup: str, reader: str, change: str, stale: str, same_cell: bool) -> None:
    kernel = MiniKernel()
    kernel.run("s", setup)
    kernel.run("r", reader)
    kernel.run("r" if same_cell else "m", change)
    expected = [("stale", "r", stale)] if stale else []
    assert triples(kernel.engine.warnings()) == expected


def test_aliases_mutated_together_make_readers_of_either_stale() -> None:
    kernel = MiniKernel()
    kernel.run("s", "a = [1]\nb = a")
    kernel.run("ra", "n = len(a)")
    kernel.run("rb", "m = len(b)")
    record = kernel.run("m", "a.append(2)")
    assert set(record.mutated) == {"a", "b"}
    assert triples(kernel.engine.warnings()) == [("stale", "ra", "a"), ("stale", "rb", "b")]
