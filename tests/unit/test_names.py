"""Names a cell reads, writes, deletes and may mutate (``jupyter_ext.analysis.names``).

Each table row is one cell's code, the fields it must produce exactly, and (``lacks``)
names that must *not* appear in a field.  Field aliases keep the rows readable:
``mut`` = mutation_candidates, ``fr`` = function_globals_read,
``fw`` = function_globals_written; sets are written as space-separated names.
"""

from __future__ import annotations

import ast
import sys
import sysconfig
import timeit
import warnings
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest

from jupyter_ext.analysis import names as names_module
from jupyter_ext.analysis.names import CellNames, analyse

ALIASES = {
    "mut": "mutation_candidates",
    "fr": "function_globals_read",
    "fw": "function_globals_written",
}
LAZY_ANNOTATIONS = sys.version_info >= (3, 14)


def case(case_id: str, code: str, *, lacks: dict[str, str] | None = None, **expect: Any) -> Any:
    return pytest.param(code, expect, lacks or {}, id=case_id)


def check(code: str, expect: dict[str, Any], lacks: dict[str, str]) -> CellNames:
    result = analyse(code)
    assert result.syntax_error is None or "syntax_error" in expect, result.syntax_error
    for key, want in expect.items():
        field = ALIASES.get(key, key)
        got = getattr(result, field)
        if isinstance(got, frozenset):
            assert got == set(want.split()), f"{field}: got {sorted(got)}"
        else:
            assert got == want, f"{field}: got {got!r}"
    for key, unwanted in lacks.items():
        field = ALIASES.get(key, key)
        got = getattr(result, field)
        assert not got & set(unwanted.split()), f"{field} must not hold {sorted(got)}"
    return result


# ----------------------------------------------------------------- bindings and reads

BINDINGS = [
    case("empty", "", reads="", writes="", deletes="", mut="", calls="", dynamic=()),
    case("only-comments", "# nothing\n\n# here\n", reads="", writes="", dynamic=()),
    case("assign-constant", "x = 1", reads="", writes="x"),
    case("read-and-write", "x = x + 1", reads="x", writes="x", mut=""),
    case("bound-before-read", "x = 1; y = x", reads="", writes="x y"),
    case("read-before-bound", "y = x\nx = 1", reads="x", writes="x y"),
    case("chained", "a = b = f()", reads="f", writes="a b", calls="f"),
    case("nested-unpacking", "a, (b, *c) = xs", reads="xs", writes="a b c"),
    case("star-unpacking", "first, *rest = xs", reads="xs", writes="first rest"),
    case("list-target", "[p, q] = pair", reads="pair", writes="p q"),
    case("annotated-with-value", "x: int = 1", reads="" if LAZY_ANNOTATIONS else "int", writes="x"),
    case("annotated-no-value", "x: int", writes="", lacks={"reads": "x"}),
    case("annotated-attribute-no-value", "obj.a: int", writes="", mut="", lacks={"reads": "a"}),
    case("augmented-reads-writes", "x += 1", reads="x", writes="x", mut="x"),
    case("augmented-after-binding", "x = []\nx += [1]", reads="", writes="x", mut="x"),
    case("augmented-attribute", "x.a += 1", reads="x", writes="", mut="x"),
    case("augmented-subscript", "x[i] += 1", reads="x i", writes="", mut="x"),
    case("walrus-module", "(y := f())", reads="f", writes="y"),
    case(
        "walrus-then-used", "if (n := len(a)) > 3:\n    print(n)", reads="len a print", writes="n"
    ),
    case("walrus-under-and", "ok = c and (y := 1)\nprint(y)", reads="c print y", writes="ok y"),
    case("walrus-first-operand", "ok = (y := 1) and c\nprint(y)", reads="c print", writes="ok y"),
    case("walrus-in-ifexp", "v = (w := 1) if c else 0\nprint(w)", reads="c print w"),
    case("walrus-in-comparison-chain", "a < (b := 2) < (d := 3)\nprint(b, d)", reads="a print d"),
    case("for-target", "for i, (j, k) in pairs:\n    pass", reads="pairs", writes="i j k"),
    case("top-level-await", "x = await fetch()", reads="fetch", writes="x", calls="fetch"),
    case("builtins-not-filtered", "n = len(items)", reads="len items", calls="len"),
    case("fstring-reads", 'msg = f"{a}-{b!r:>{w}}"', reads="a b w", writes="msg", mut=""),
    case("slice-reads", "part = xs[lo:hi:step]", reads="xs lo hi step", mut=""),
    case("dict-display", "d = {k: v, **extra}", reads="k v extra", writes="d"),
]


@pytest.mark.parametrize(("code", "expect", "lacks"), BINDINGS)
def test_bindings(code: str, expect: dict[str, Any], lacks: dict[str, str]) -> None:
    check(code, expect, lacks)


# ------------------------------------------------------------------------- control flow

FLOW = [
    case("if-binds-then-read", "if c:\n    x = 1\nprint(x)", reads="c print x", writes="x"),
    case("if-else-both-bind", "if c:\n    x = 1\nelse:\n    x = 2\nprint(x)", reads="c print"),
    case(
        "elif-all-bind",
        "if a:\n    x = 1\nelif b:\n    x = 2\nelse:\n    x = 3\nx",
        reads="a b",
    ),
    case("elif-without-else", "if a:\n    x = 1\nelif b:\n    x = 2\nx", reads="a b x"),
    case("if-raise-else-bind", "if c:\n    raise E\nelse:\n    x = 1\nx", reads="c E"),
    case("loop-accumulates", "for i in range(3):\n    total += i", reads="range total"),
    case(
        "loop-read-before-bind",
        "for i in r:\n    print(last)\n    last = i",
        reads="r print last",
        writes="i last",
    ),
    case("loop-bind-before-read", "for i in r:\n    y = i\n    y", reads="r", writes="i y"),
    case("after-loop-maybe-unbound", "for i in r:\n    y = i\ny", reads="r y"),
    case("loop-target-after-loop", "for i in r:\n    pass\ni", reads="r i"),
    case("loop-delete-then-read", "x = 0\nfor i in r:\n    x\n    del x\n    x = i", reads="r x"),
    case("while-true-break", "while True:\n    x = f()\n    if x:\n        break\nx", reads="f"),
    case("while-condition", "while c:\n    x = 1\nx", reads="c x", writes="x"),
    case("while-walrus", "while (line := f()):\n    line\nline", reads="f", writes="line"),
    case("for-else", "for i in r:\n    break\nelse:\n    z = 1\nz", reads="r z", writes="i z"),
    case(
        "try-import-fallback",
        "try:\n    import a\nexcept ImportError:\n    a = None\na.f()",
        reads="ImportError",
        writes="a",
        mut="a",
    ),
    case(
        "handler-sees-partial-body",
        "try:\n    x = f()\n    y = g()\nexcept E:\n    x",
        reads="f g E x",
        writes="x y",
    ),
    case(
        "try-else-continues-body",
        "try:\n    x = f()\nexcept E:\n    raise\nelse:\n    x\nx",
        reads="f E",
    ),
    case("finally-normal-path", "try:\n    x = f()\nfinally:\n    done()\nx", reads="f done"),
    case("finally-exception-path", "try:\n    x = f()\nfinally:\n    x", reads="f x"),
    case(
        "nested-try-outer-handler",
        "try:\n    try:\n        x = 1\n        y = f()\n    finally:\n        pass\n"
        "except E:\n    y",
        reads="f E y",
    ),
    case("with-binds", "with open(p) as f:\n    data = f.read()\ndata", reads="open p"),
    case(
        "with-suppress",
        "with suppress(KeyError):\n    v = d['k']\nv",
        reads="suppress KeyError d v",
    ),
    case(
        "match-captures",
        "match cmd:\n    case [x, *rest]:\n        pass\n    case {'k': v, **kw}:\n        pass\n"
        "    case Point(x=px) as p:\n        pass\n    case a | a:\n        pass",
        reads="cmd Point",
        writes="x rest v kw px p a",
    ),
    case(
        "match-value-pattern",
        "match c:\n    case Color.RED:\n        hit = 1",
        reads="c Color",
        writes="hit",
    ),
    case(
        "match-guard",
        "match p:\n    case (a, b) if a > lim:\n        a",
        reads="p lim",
        writes="a b",
    ),
    case(
        "match-exhaustive",
        "match v:\n    case 1:\n        r = 'a'\n    case _:\n        r = 'b'\nr",
        reads="v",
    ),
    case("match-not-exhaustive", "match v:\n    case 1:\n        r = 'a'\nr", reads="v r"),
    case("raise-keeps-earlier-writes", "x = 1\nif bad:\n    raise ValueError\ny = 2", writes="x y"),
    case("assert-message-conditional", "assert ok, (m := 'no')\nm", reads="ok m", writes="m"),
    case(
        "break-out-of-handler-deletes-name",
        "for i in r:\n    try:\n        f()\n    except E as e:\n        break",
        deletes="e",
        writes="i",
    ),
    case(
        "break-runs-finally",
        "x = 1\nfor i in r:\n    try:\n        break\n    finally:\n        del x",
        deletes="x",
        writes="i x",
    ),
    case(
        "reraise-in-handler-deletes-name",
        "try:\n    f()\nexcept E as e:\n    raise",
        deletes="e",
        writes="",
    ),
    case(
        "raise-runs-finally",
        "try:\n    x = 1\n    raise ValueError\nfinally:\n    del y",
        deletes="y",
        writes="x",
    ),
    case("infinite-loop-still-writes", "x = 1\nwhile True:\n    y = 2", writes="x y"),
]


@pytest.mark.parametrize(("code", "expect", "lacks"), FLOW)
def test_control_flow(code: str, expect: dict[str, Any], lacks: dict[str, str]) -> None:
    check(code, expect, lacks)


# ----------------------------------------------------------------------- comprehensions

COMPREHENSIONS = [
    case("variable-is-local", "[x for x in xs]", reads="xs", writes="", lacks={"reads": "x"}),
    case("reads-global", "[x * k for x in xs]", reads="xs k"),
    case("shadows-bound-global", "x = 5\n[x for x in range(x)]", reads="range", writes="x"),
    case("first-iterable-outside", "[x for x in x]", reads="x", writes=""),
    case("nested", "[[y for y in x] for x in xss]", reads="xss"),
    case("later-iterables-inside", "[y for x in xs for y in x]", reads="xs"),
    case("dict", "{k: v for k, v in d.items()}", reads="d", mut="d"),
    case("set-with-condition", "{x for x in xs if x > t}", reads="xs t"),
    case("generator", "sum(x for x in xs)", reads="sum xs", calls="sum"),
    case("walrus-escapes", "[y for x in xs if (y := x)]", reads="xs", writes="y"),
    case("walrus-escapes-then-read", "[y := x for x in xs]\ny", reads="xs y", writes="y"),
    case(
        "class-scope-skipped",
        "class A:\n    k = 2\n    v = [k for _ in range(3)]",
        reads="range k",
        writes="A",
    ),
    case("class-first-iterable", "class A:\n    xs = [1]\n    ys = [x for x in xs]", reads=""),
    case("call-of-local", "[g() for g in funcs]", reads="funcs", calls=""),
]


@pytest.mark.parametrize(("code", "expect", "lacks"), COMPREHENSIONS)
def test_comprehensions(code: str, expect: dict[str, Any], lacks: dict[str, str]) -> None:
    check(code, expect, lacks)


# ---------------------------------------------------------------------------- functions

ANNOTATED = "def f(a: T, *args: A, **kw: K) -> R:\n    pass"
FUNCTIONS = [
    case(
        "default-read-body-deferred",
        "def f(a, b=c):\n    return a + d",
        writes="f",
        reads="c",
        fr="d",
        mut="",
        lacks={"reads": "a d"},
    ),
    case("local-is-not-global", "def f():\n    t = 1\n    return t", fr="", reads=""),
    case("param-shadows-global", "def f(x):\n    x.append(1)", fr="", mut=""),
    case("mutation-in-body-deferred", "def f():\n    data.append(1)", fr="data", mut=""),
    case(
        "global-declaration",
        "def f():\n    global counter\n    counter += 1",
        writes="f",
        fr="counter",
        fw="counter",
    ),
    case("global-read-only", "def f():\n    global g\n    return g", fr="g", fw=""),
    case("global-deleted", "def f():\n    global g\n    del g", fw="g", deletes=""),
    case(
        "nonlocal-closure",
        "def outer():\n    n = 0\n    def inner():\n        nonlocal n\n        n += 1\n"
        "        return n + k\n    return inner",
        fr="k",
        fw="",
        writes="outer",
    ),
    case(
        "closure-free-variable",
        "def outer():\n    v = 1\n    def inner():\n        return v\n    return inner",
        fr="",
    ),
    case(
        "global-through-nested-function",
        "def f():\n    global g\n    def h():\n        return g\n    g = 1",
        fr="g",
        fw="g",
    ),
    case("unbound-local", "def f():\n    print(x)\n    x = 1", fr="print", lacks={"fr": "x"}),
    case(
        "decorator-called",
        "@cache\ndef f():\n    pass",
        reads="cache",
        calls="cache",
        writes="f",
    ),
    case(
        "decorator-receiver",
        "@app.route('/')\ndef h():\n    pass",
        reads="app",
        mut="app",
        writes="h",
    ),
    case(
        "annotations-at-definition",
        ANNOTATED,
        reads="" if LAZY_ANNOTATIONS else "T A K R",
        fr="T A K R" if LAZY_ANNOTATIONS else "",
    ),
    case(
        "annotations-future",
        "from __future__ import annotations\n" + ANNOTATED,
        reads="",
        fr="T A K R",
        writes="annotations f",
    ),
    case(
        "local-annotation-not-evaluated",
        "def f():\n    v: Thing = 1\n    return v",
        fr="",
        reads="",
    ),
    case(
        "recursion",
        "def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)",
        fr="fact",
        reads="",
    ),
    case(
        "bare-annotation-makes-local",
        "def f():\n    x: int\n    return x",
        fr="",
    ),
    case(
        "parenthesised-annotation-stays-global",
        "def f():\n    (x): int\n    return x",
        fr="x",
    ),
    case("deferred-call", "def f():\n    g()", calls="", fr="g"),
    case("define-then-call", "def f():\n    return y\nf()", calls="f", reads="", fr="y"),
    case("async-def", "async def f():\n    await g(x)", writes="f", fr="g x", mut=""),
    case(
        "lambda",
        "g = lambda a, b=dflt: a + z",
        writes="g",
        reads="dflt",
        fr="z",
        lacks={"reads": "a z"},
    ),
    case("lambda-walrus-is-local", "h = lambda: (w := 1)", writes="h"),
    case(
        "function-comprehension-walrus",
        "def f():\n    [y for x in xs if (y := x)]\n    return y",
        writes="f",
        fr="xs",
    ),
    case(
        "nested-default-deferred",
        "def f():\n    def g(a=dv):\n        pass",
        fr="dv",
        reads="",
    ),
    case(
        "locals-in-function-not-dynamic",
        "def f():\n    return locals()",
        dynamic=(),
        fr="locals",
    ),
]


@pytest.mark.parametrize(("code", "expect", "lacks"), FUNCTIONS)
def test_functions(code: str, expect: dict[str, Any], lacks: dict[str, str]) -> None:
    check(code, expect, lacks)


# ------------------------------------------------------------------------------ classes

CLASSES = [
    case(
        "body-immediate-methods-deferred",
        "class A(Base):\n    x = y\n    def m(self):\n        return z",
        writes="A",
        reads="Base y",
        fr="z",
        lacks={"writes": "x m"},
    ),
    case("attribute-reused-in-body", "class A:\n    x = 1\n    y = x + 1", reads="", writes="A"),
    case(
        "method-skips-class-scope",
        "class A:\n    x = 1\n    def m(self):\n        return x",
        fr="x",
    ),
    case(
        "dunder-class-and-super",
        "class A(B):\n    def m(self):\n        return __class__, super().m()",
        reads="B",
        fr="super",
    ),
    case("metaclass-keyword", "class A(metaclass=Meta):\n    pass", reads="Meta", writes="A"),
    case(
        "class-decorator",
        "@dataclass\nclass P:\n    x: int = 0",
        reads="dataclass" if LAZY_ANNOTATIONS else "dataclass int",
        calls="dataclass",
        writes="P",
    ),
    case("own-name-not-yet-bound", "class A:\n    ref = A", reads="A", writes="A"),
    case("global-in-class-body", "class A:\n    global g\n    g = 1", writes="A g"),
    case(
        "conditional-class-attribute", "class A:\n    if c:\n        x = 1\n    y = x", reads="c x"
    ),
    case(
        "class-in-function-deferred",
        "def f():\n    class B(Base):\n        q = w\n    return B",
        reads="",
        fr="Base w",
    ),
]


@pytest.mark.parametrize(("code", "expect", "lacks"), CLASSES)
def test_classes(code: str, expect: dict[str, Any], lacks: dict[str, str]) -> None:
    check(code, expect, lacks)


# ---------------------------------------------------------------------- imports, deletes

IMPORTS_AND_DELETES = [
    case("import-dotted", "import os.path", writes="os", reads=""),
    case("import-as", "import a.b as c", writes="c"),
    case("from-import-as", "from x import y as z", writes="z", lacks={"writes": "x y"}),
    case("relative-import", "from . import x", writes="x"),
    case("star-import", "from m import *", star_import=True, writes=""),
    case("no-star-import", "import m", star_import=False),
    case("import-in-function", "def f():\n    import os", writes="f", fr=""),
    case("del", "del x", deletes="x", reads="", writes=""),
    case("bind-then-del", "x = 1\ndel x", deletes="x", writes=""),
    case("del-then-bind", "del x\nx = 1", deletes="", writes="x"),
    case("conditional-del", "x = 1\nif c:\n    del x", deletes="x", writes="x"),
    case("del-several", "del a, (b, c)", deletes="a b c"),
    case("del-subscript-is-mutation", "del x[0]", deletes="", mut="x", reads="x"),
    case("del-attribute-is-mutation", "del x.attr", deletes="", mut="x"),
    case("read-after-del", "x = 1\ndel x\nprint(x)", reads="print x"),
    case(
        "except-as-deleted",
        "try:\n    f()\nexcept E as e:\n    log(e)",
        deletes="e",
        lacks={"writes": "e", "reads": "e"},
    ),
    case("del-in-function-is-local", "def f():\n    x = 1\n    del x", deletes="", fw=""),
]


@pytest.mark.parametrize(("code", "expect", "lacks"), IMPORTS_AND_DELETES)
def test_imports_and_deletes(code: str, expect: dict[str, Any], lacks: dict[str, str]) -> None:
    check(code, expect, lacks)


# ------------------------------------------------------------------ mutation candidates

MUTATIONS = [
    case("method-receiver", "x.append(1)", mut="x", reads="x", calls=""),
    case("chained-receiver", "x.a.b()", mut="x"),
    case("keyword-and-positional-args", "np.add(a, b, out=c)", mut="np a b c", reads="np a b c"),
    case("inplace-method", "df.fillna(0, inplace=True)", mut="df"),
    case("subscript-store", "x[0] = 1", mut="x", reads="x", writes=""),
    case("attribute-store", "x.attr = 2", mut="x", writes=""),
    case("deep-store", "x.a[k].b = v", mut="x", reads="x k v"),
    case("pure-expression", "b = a * 2", mut="", reads="a"),
    case("plain-read", "y = x[0]", mut=""),
    case("starred-args", "f(*args, **kwargs)", mut="args kwargs", calls="f"),
    case("containers-and-boolops", "f([a, b], c or d, e if t else g)", mut="a b c d e g"),
    case("argument-attribute", "f(x.y[0])", mut="x"),
    case("argument-of-inner-call", "f(g(x))", mut="x", calls="f g"),
    case("fstring-argument", 'print(f"{x}")', mut="", calls="print"),
    case("returned-object-receiver", "obj.method().other()", mut="obj"),
    case("for-attribute-target", "for x.attr in xs:\n    pass", mut="x", writes=""),
    case("with-context", "with lock:\n    pass", mut="lock"),
    case("with-attribute-context", "with x.y:\n    pass", mut="x"),
    case("alias-assignment", "y = x\ny.append(1)", mut="x y"),
    case("alias-of-part", "y = x['k']\ny.append(1)", mut="x y"),
    case("loop-alias", "for row in rows:\n    row.append(1)", mut="row rows"),
    case("comprehension-alias", "[r.clear() for r in rows]", mut="rows"),
    case("comprehension-alias-chain", "[c.pop() for r in rows for c in r]", mut="rows"),
    case("comprehension-variable-not-candidate", "[x.strip() for x in lines]", lacks={"mut": "x"}),
    case("param-not-candidate", "f = lambda x: x.append(1)", mut=""),
    case("walrus-receiver", "(y := x).append(1)", mut="x", writes="y"),
]


@pytest.mark.parametrize(("code", "expect", "lacks"), MUTATIONS)
def test_mutation_candidates(code: str, expect: dict[str, Any], lacks: dict[str, str]) -> None:
    check(code, expect, lacks)


# -------------------------------------------------------------------------------- calls

CALLS = [
    case("bare-call", "f(1)", calls="f", reads="f"),
    case("method-is-not-call-of-receiver", "f.g(1)", calls="", mut="f"),
    case("immediately-invoked-lambda", "(lambda: 1)()", calls=""),
    case("nested-calls", "print(len(x))", calls="print len"),
    case("call-in-class-body", "class A:\n    v = make()", calls="make"),
    case("call-in-default", "def f(a=make()):\n    pass", calls="make"),
    case("call-of-class-attribute", "class A:\n    def g(): pass\n    v = g()", calls=""),
]


@pytest.mark.parametrize(("code", "expect", "lacks"), CALLS)
def test_calls(code: str, expect: dict[str, Any], lacks: dict[str, str]) -> None:
    check(code, expect, lacks)


# ------------------------------------------------------------------ dynamic and magics

DYNAMIC = [
    case("exec", "exec('y=1')", dynamic=("exec",), writes=""),
    case("eval", "v = eval(expr)", dynamic=("eval",)),
    case("globals-store", "globals()['z'] = 1", dynamic=("globals()",), writes=""),
    case("locals-at-module", "locals()['z'] = 1", dynamic=("locals()",)),
    case("vars-without-arguments", "vars()['z'] = 1", dynamic=("vars()",)),
    case("vars-of-object", "vars(obj)", dynamic=()),
    case("dunder-import", "m = __import__('os')", dynamic=("__import__",)),
    case(
        "importlib-reload", "import importlib\nimportlib.reload(m)", dynamic=("importlib.reload",)
    ),
    case("bare-reload", "from importlib import reload\nreload(m)", dynamic=("importlib.reload",)),
    case(
        "setattr-main-module",
        "import sys\nsetattr(sys.modules[__name__], 'x', 1)",
        dynamic=("setattr on module",),
    ),
    case("setattr-on-object", "setattr(obj, 'x', 1)", dynamic=(), mut="obj"),
    case("main-attribute-store", "import __main__\n__main__.x = 1", dynamic=("setattr on module",)),
    case("user-ns", "get_ipython().user_ns['x'] = 1", dynamic=("get_ipython().user_ns",)),
    case("shell-push", "get_ipython().push({'x': 1})", dynamic=("get_ipython().push",)),
    case("exec-in-function", "def f():\n    exec(src)", dynamic=("exec",), fr="exec src"),
    case("builtins-exec", "import builtins\nbuiltins.exec(src)", dynamic=("exec",)),
    case("order-of-reasons", "eval(a)\nexec(b)\neval(c)", dynamic=("eval", "exec")),
]

MAGICS = [
    case(
        "line-time",
        "get_ipython().run_line_magic('time', 'x = 1')",
        dynamic=("%time",),
        reads="get_ipython",
        writes="x",
        calls="get_ipython",
    ),
    case(
        "cell-time",
        "get_ipython().run_cell_magic('time', '', 'y = f(q)\\n')",
        dynamic=("%%time",),
        reads="get_ipython f q",
        writes="y",
        calls="get_ipython f",
        mut="q",
    ),
    case(
        "cell-time-reads-after-binding",
        "q = 1\nget_ipython().run_cell_magic('time', '', 'y = q\\n')",
        reads="get_ipython",
        writes="q y",
    ),
    case(
        "cell-time-untransformed-body",
        "get_ipython().run_cell_magic('time', '', 'y = 2\\n!ls\\n')",
        dynamic=("%%time",),
        writes="",
    ),
    case(
        "timeit-reads-only",
        "get_ipython().run_line_magic('timeit', '-n 3 z = f(x)')",
        dynamic=("%timeit",),
        reads="get_ipython f x",
        writes="",
    ),
    case(
        "cell-timeit-setup",
        "get_ipython().run_cell_magic('timeit', 's = make()', 'use(s)\\n')",
        reads="get_ipython make use",
        writes="",
    ),
    case(
        "prun-options",
        "get_ipython().run_line_magic('prun', '-s cumulative r = work(d)')",
        dynamic=("%prun",),
        writes="r",
        reads="get_ipython work d",
    ),
    case(
        "capture-output-name",
        "get_ipython().run_cell_magic('capture', '--no-stderr out', 'v = 1\\n')",
        dynamic=("%%capture",),
        writes="out v",
    ),
    case("run", "get_ipython().run_line_magic('run', 'script.py')", dynamic=("%run",), writes=""),
    case("store", "get_ipython().run_line_magic('store', '-r x')", dynamic=("%store",)),
    case(
        "pylab-star-import",
        "get_ipython().run_line_magic('pylab', 'inline')",
        dynamic=("%pylab",),
        star_import=True,
    ),
    case("matplotlib-harmless", "get_ipython().run_line_magic('matplotlib', 'inline')", dynamic=()),
    case("pinfo-harmless", "get_ipython().run_line_magic('pinfo', 'x')", dynamic=(), writes=""),
    case("system-harmless", "get_ipython().system('ls')", dynamic=(), reads="get_ipython"),
    case(
        "getoutput-assignment", "files = get_ipython().getoutput('ls')", writes="files", dynamic=()
    ),
    case(
        "script-out",
        "get_ipython().run_cell_magic('bash', '--out v', 'echo hi\\n')",
        writes="v",
        dynamic=(),
    ),
    case(
        "computed-magic-name",
        "get_ipython().run_line_magic(name, 'x')",
        dynamic=("run_line_magic with a computed magic name",),
    ),
    case("legacy-magic", "get_ipython().magic('time x = 1')", dynamic=("%time",), writes="x"),
    case(
        "magic-in-function-deferred",
        "def f():\n    get_ipython().run_line_magic('time', 'x = g()')",
        writes="f",
        fw="x",
        fr="get_ipython g",
        dynamic=("%time",),
    ),
]


@pytest.mark.parametrize(("code", "expect", "lacks"), DYNAMIC + MAGICS)
def test_dynamic(code: str, expect: dict[str, Any], lacks: dict[str, str]) -> None:
    check(code, expect, lacks)


# ----------------------------------------------------------------------- newer syntax


@pytest.mark.skipif(sys.version_info < (3, 11), reason="PEP 654 syntax")
def test_except_star() -> None:
    code = "try:\n    f()\nexcept* ValueError as eg:\n    g = 1\ng"
    check(code, {"reads": "f ValueError g", "deletes": "eg", "writes": "g"}, {})


@pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 syntax")
@pytest.mark.parametrize(
    ("code", "expect", "lacks"),
    [
        case(
            "type-alias",
            "type Pair[T] = tuple[T, Other]",
            writes="Pair",
            reads="",
            fr="tuple Other",
        ),
        case("generic-function", "def f[T: Bound](x: T) -> T:\n    return x", reads="", fr="Bound"),
        case("generic-class", "class C[T](Base[T]):\n    attr: T", reads="Base", writes="C"),
    ],
)
def test_type_parameters(code: str, expect: dict[str, Any], lacks: dict[str, str]) -> None:
    check(code, expect, lacks)


# ------------------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("x = (", id="unclosed"),
        pytest.param("def f(:\n    pass", id="bad-def"),
        pytest.param("x = 1\n  y = 2", id="bad-indent"),
        pytest.param("a\0b", id="null-byte"),
        pytest.param("(" * 1000 + ")" * 1000, id="too-many-parentheses"),
    ],
)
def test_unparseable_code_reports_syntax_error(code: str) -> None:
    result = analyse(code)
    assert result.syntax_error
    assert result == CellNames(syntax_error=result.syntax_error)


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("a+" * 100_000 + "a", id="deep-binop"),
        pytest.param("a" + "()" * 100_000, id="deep-calls"),
        pytest.param("a" + ".b" * 100_000, id="deep-attributes"),
        pytest.param("-" * 100_000 + "a", id="deep-unary"),
        pytest.param("v = " + "lambda: " * 100_000 + "a", id="deep-lambdas"),
    ],
)
def test_pathologically_deep_code_never_raises(code: str) -> None:
    """Depending on the interpreter the parser refuses these (RecursionError or
    MemoryError inside ``ast.parse``) or builds a 100 000-deep tree; either way the
    answer is a syntax error or a correct analysis, never an exception."""
    result = analyse(code)
    if result.syntax_error is None:
        assert "a" in result.reads | result.function_globals_read
        assert not result.dynamic
    else:
        assert result == CellNames(syntax_error=result.syntax_error)


def test_syntax_error_message_names_the_line() -> None:
    assert analyse("ok = 1\nx = (").syntax_error == "'(' was never closed (line 2)"


@pytest.mark.parametrize(
    ("code", "name"),
    [
        pytest.param("v = " + "+".join(["a"] * 400), "a", id="long-sum"),
        pytest.param("v = a" + ".b" * 400, "a", id="attribute-chain"),
        pytest.param("v = " + "lambda: " * 300 + "a", "a", id="nested-lambdas"),
        pytest.param("v = " + "not " * 400 + "a", "a", id="nested-not"),
        pytest.param("v = " + "[" * 150 + "a" + "]" * 150, "a", id="nested-lists"),
        pytest.param("if a: pass\n" + "elif b: v = 1\n" * 400 + "a", "a", id="elif-chain"),
    ],
)
def test_deep_but_parseable_code_is_analysed(code: str, name: str) -> None:
    result = analyse(code)
    try:
        ast.parse(code)
    except (RecursionError, MemoryError, SyntaxError):
        # Parser limits differ between Python versions; where this one refuses the
        # input, the analysis must say so instead of crashing or guessing.
        assert result.syntax_error is not None
        assert not result.reads and not result.writes
        return
    assert result.syntax_error is None
    assert name in result.reads | result.function_globals_read
    assert not result.dynamic


def test_deeply_indented_code() -> None:
    code = "".join(" " * i + "if a:\n" for i in range(90)) + " " * 90 + "x = y\n"
    result = analyse(code)
    assert result.reads == {"a", "y"}
    assert result.writes == {"x"}


def test_non_string_input_does_not_raise() -> None:
    assert analyse(None).syntax_error  # type: ignore[arg-type]


def test_internal_failure_degrades_to_dynamic(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: object) -> CellNames:
        raise RuntimeError("bug")

    monkeypatch.setattr(names_module._Analyser, "run", explode)
    names_module._analyse_cached.cache_clear()
    try:
        result = analyse("x = 1")
    finally:
        names_module._analyse_cached.cache_clear()
    assert result.syntax_error is None
    assert result.dynamic == ("analysis failed (RuntimeError)",)


def test_parse_warnings_are_not_shown_twice() -> None:
    code = "pattern = '\\d+'  # an invalid escape: IPython's compile warns about it"
    names_module._analyse_cached.cache_clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = analyse(code)
    assert result.writes == {"pattern"}
    assert caught == []


def test_results_are_cached_and_immutable() -> None:
    code = "cached = compute(arg)"
    first = analyse(code)
    assert analyse(code) is first
    with pytest.raises(FrozenInstanceError):
        first.reads = frozenset()  # type: ignore[misc]


def _stdlib_sources() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    names = ["ast.py", "dataclasses.py", "functools.py", "typing.py", "argparse.py", "json"]
    files: list[Path] = []
    for name in names:
        path = root / name
        files += sorted(path.glob("*.py")) if path.is_dir() else [path]
    return [f for f in files if f.exists()]


@pytest.mark.parametrize("path", _stdlib_sources(), ids=lambda p: p.name)
def test_real_modules_analyse_cleanly(path: Path) -> None:
    result = analyse(path.read_text(encoding="utf-8"))
    assert result.syntax_error is None
    assert not [r for r in result.dynamic if r.startswith("analysis failed")]
    assert result.writes  # every module binds something


def test_typical_cell_is_fast() -> None:
    code = "\n".join(
        [
            "import numpy as np",
            "import pandas as pd",
            "frames = [pd.read_csv(p) for p in sorted(data_dir.glob('*.csv'))]",
            "df = pd.concat(frames, ignore_index=True)",
            "df['ratio'] = df['a'] / df['b'].replace(0, np.nan)",
            "df.fillna(0, inplace=True)",
            "def summarise(group, cols=COLUMNS):",
            "    out = {c: group[c].mean() for c in cols}",
            "    out['n'] = len(group)",
            "    return out",
            "if VERBOSE:",
            "    print(df.shape)",
            "stats = {k: summarise(g) for k, g in df.groupby('key')}",
            "threshold = np.percentile(df['ratio'], 95)",
            "outliers = df[df['ratio'] > threshold]",
            "print(f'{len(outliers)} outliers above {threshold:.3f}')",
        ]
    )
    uncached = names_module._analyse_cached.__wrapped__
    per_call = min(timeit.repeat(lambda: uncached(code), number=20, repeat=5)) / 20
    assert per_call < 0.005  # typically well under a millisecond; generous for slow CI


# ------------------------------------------------- soundness against real executions


class _RecordingLocals(dict[str, Any]):
    """A module namespace that sees every lookup: module-level code run with
    ``exec(code, globals, this)`` reads, binds and deletes names through it."""

    def __init__(self, before: dict[str, Any]) -> None:
        super().__init__(before)
        self.bound_by_cell: set[str] = set()
        self.deleted_by_cell: set[str] = set()
        self.reads: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        if name not in self.bound_by_cell:
            self.reads.add(name)  # a value from before the cell
        return super().__getitem__(name)

    def __setitem__(self, name: str, value: Any) -> None:
        self.bound_by_cell.add(name)
        self.deleted_by_cell.discard(name)
        super().__setitem__(name, value)

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self.bound_by_cell.discard(name)
        self.deleted_by_cell.add(name)


class _CellGenerator:
    """Random module-level cells over a few names: assignments, walrus (also under
    ``and``/``if``-expressions), ``del``, branches, loops with ``break``/``continue``,
    ``try``/``except ... as``/``else``/``finally``, ``raise``, ``match`` and ``with``."""

    NAMES = ("a", "b", "c", "d")
    FLAGS = ("c0", "c1", "c2")

    def __init__(self, seed: int) -> None:
        import random

        self.rng = random.Random(seed)

    def name(self) -> str:
        return self.rng.choice(self.NAMES)

    def flag(self) -> str:
        return self.rng.choice(self.FLAGS)

    def expr(self, depth: int = 0) -> str:
        roll = self.rng.random()
        if roll < 0.35 or depth > 2:
            return self.name()
        if roll < 0.5:
            return str(self.rng.randint(0, 3))
        if roll < 0.65:
            return f"({self.name()} := {self.expr(depth + 1)})"
        if roll < 0.75:
            return f"({self.expr(depth + 1)} and {self.expr(depth + 1)})"
        if roll < 0.85:
            return f"({self.expr(depth + 1)} if {self.flag()} else {self.expr(depth + 1)})"
        if roll < 0.92:  # comprehension globals bypass the recording namespace: keep local
            return "sum([i * j for i in range(2) for j in range(i)])"
        return f"({self.expr(depth + 1)} + {self.expr(depth + 1)})"

    def block(self, indent: int, depth: int, loop: str | None) -> str:
        return "".join(self.stmt(indent, depth, loop) for _ in range(self.rng.randint(1, 3)))

    def stmt(self, indent: int, depth: int, loop: str | None) -> str:
        pad = " " * indent
        roll = self.rng.random() * (0.45 if depth >= 3 else 1.0)
        inner = indent + 4
        if roll < 0.2:
            return f"{pad}{self.name()} = {self.expr()}\n"
        if roll < 0.27:
            return f"{pad}{self.name()} += 1\n"
        if roll < 0.33:
            return f"{pad}del {self.name()}\n"
        if roll < 0.4:
            return f"{pad}_ = {self.expr()}\n"
        if roll < 0.45:
            jumps = {"for": ["break", "continue"], "while": ["break"]}.get(loop or "", [])
            jump = self.rng.choice(jumps) if jumps else "raise ValueError"
            return f"{pad}if {self.flag()}:\n{pad}    {jump}\n"
        if roll < 0.6:
            code = f"{pad}if {self.flag()}:\n" + self.block(inner, depth + 1, loop)
            if self.rng.random() < 0.6:
                code += f"{pad}else:\n" + self.block(inner, depth + 1, loop)
            return code
        if roll < 0.7:
            code = f"{pad}for {self.name()} in range({self.rng.randint(0, 2)}):\n"
            code += self.block(inner, depth + 1, "for")
            if self.rng.random() < 0.3:
                code += f"{pad}else:\n" + self.block(inner, depth + 1, loop)
            return code
        if roll < 0.77:
            return (
                f"{pad}while True:\n" + self.block(inner, depth + 1, "while") + f"{pad}    break\n"
            )
        if roll < 0.9:
            code = f"{pad}try:\n" + self.block(inner, depth + 1, loop)
            code += (
                f"{pad}except (NameError, ValueError) as {self.rng.choice([*self.NAMES, 'e'])}:\n"
            )
            code += self.block(inner, depth + 1, loop)
            if self.rng.random() < 0.4:
                code += f"{pad}else:\n" + self.block(inner, depth + 1, loop)
            if self.rng.random() < 0.4:
                code += f"{pad}finally:\n" + self.block(inner, depth + 1, loop)
            return code
        if roll < 0.95:
            code = f"{pad}match {self.name()}:\n{pad}    case 0:\n" + self.block(
                inner + 4, depth + 1, loop
            )
            if self.rng.random() < 0.5:
                code += f"{pad}    case {self.name()}:\n" + self.block(inner + 4, depth + 1, loop)
            return code
        return f"{pad}with nullcontext(0) as {self.name()}:\n" + self.block(inner, depth + 1, loop)

    def cell(self) -> str:
        return "".join(self.stmt(0, 0, None) for _ in range(self.rng.randint(1, 5)))


@pytest.mark.parametrize("seed", range(4))
def test_static_view_covers_real_executions(seed: int) -> None:
    """Run random cells for real, under random branch outcomes, and check that every
    name the run read from before the cell is in ``reads``, and that what a completed
    run (or one stopped by an explicit ``raise``) left bound or deleted is in ``writes``
    or ``deletes``."""
    import builtins
    import contextlib

    generator = _CellGenerator(seed)
    for _ in range(80):
        code = generator.cell()
        static = analyse(code)
        assert static.syntax_error is None, code
        compiled = compile(code, "<cell>", "exec")
        for _ in range(3):
            before = {name: 0 for name in _CellGenerator.NAMES}
            before.update({flag: generator.rng.random() < 0.5 for flag in _CellGenerator.FLAGS})
            namespace = _RecordingLocals(before)
            env = {"__builtins__": builtins, "nullcontext": contextlib.nullcontext}
            completed = True
            try:
                exec(compiled, env, namespace)
            except ValueError:
                pass  # an explicit `raise`: the final state is still described
            except Exception:
                completed = False  # e.g. NameError: a name the cell itself deleted
            context = f"\n{code}\nflags: { {f: before[f] for f in _CellGenerator.FLAGS} }"
            assert namespace.reads <= static.reads, context
            if completed:
                assert namespace.bound_by_cell <= static.writes, context
                assert namespace.deleted_by_cell <= static.deletes, context
