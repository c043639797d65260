"""The hygiene rules, one table row per situation: what ran, what the document looks like,
and exactly which findings (kind, cell, names) must come out -- no more, no fewer.

Rows are built with the :mod:`test_hygiene_sim` helpers: ``run(cell, reads=, writes=,
mutated=, deleted=)`` with hand-chosen digests (``"x=1"``: ``x`` bound to content ``1``;
``"x=?"``: opaque), ``cells(...)`` to declare document order, ``edit`` and ``snap`` for
the frontend's snapshots.  A cell id of ``None`` is code run outside the notebook.
"""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_ext.analysis.hygiene import CODES, KINDS, SEVERITIES, Finding, HygieneEngine
from jupyter_ext.analysis.names import CellNames, analyse

from .test_hygiene_sim import OUTSIDE, Sim, Step, cells, edit, play, run, snap

Expected = list[tuple[str, str | None, str]]


def row(case_id: str, steps: list[Step], expected: Expected) -> Any:
    return pytest.param(steps, expected, id=case_id)


STALE_ROWS = [
    row(
        "stale/rebound-by-another-cell",
        [run("a", writes="x=1"), run("b", reads="x", writes="y=1"), run("a", writes="x=2")],
        [("stale", "b", "x")],
    ),
    row(
        "stale/deleted-by-another-cell",
        [run("a", writes="x=1"), run("b", reads="x"), run("c", deleted="x")],
        [("stale", "b", "x")],
    ),
    row(
        "stale/list-append-elsewhere",
        [run("a", writes="xs=1"), run("b", reads="xs"), run("c", reads="xs", mutated="xs=2")],
        [("stale", "b", "xs")],
    ),
    row(
        "stale/changed-from-outside-the-notebook",
        [run("a", writes="x=1"), run("b", reads="x"), run(OUTSIDE, writes="x=2")],
        [("stale", "b", "x")],
    ),
    row(
        "stale/global-read-through-a-function",
        [
            run("a", writes="k=1 f=f1"),
            run("b", reads="f k", writes="y=1"),  # the recorder adds f's globals to reads
            run("c", writes="k=2"),
        ],
        [("stale", "b", "k")],
    ),
    row(
        "stale/two-names-changed-by-two-cells",
        [
            run("a", writes="x=1 y=1"),
            run("b", reads="x y"),
            run("c", writes="x=2"),
            run("d", reads="y", mutated="y=2"),
        ],
        [("stale", "b", "x y")],
    ),
    row(
        "stale/a-failed-execution-still-changes-what-it-changed",
        [run("a", writes="x=1"), run("b", reads="x"), run("c", writes="x=2", status="error")],
        [("stale", "b", "x")],
    ),
    row(
        "stale/a-failed-reader-is-still-judged",
        [run("a", writes="x=1"), run("b", reads="x", status="error"), run("c", writes="x=2")],
        [("stale", "b", "x")],
    ),
    row(
        "stale/name-bound-before-recording-then-changed",
        [run("b", reads="old"), run("a", writes="old=2")],
        [("stale", "b", "old")],
    ),
    row(
        "stale/opaque-values-are-assumed-changed",
        [run("a", writes="m=?"), run("b", reads="m"), run("a", writes="m=?")],
        [("stale", "b", "m")],
    ),
    row(
        "stale/changed-away-and-not-back",
        [
            run("a", writes="x=1"),
            run("b", reads="x"),
            run("c", writes="x=2"),
            run("d", writes="x=3"),
        ],
        [("stale", "b", "x")],
    ),
    row(
        "stale/only-the-last-execution-counts",
        [
            run("a", writes="x=1 y=1"),
            run("b", reads="x"),
            run("b", reads="y"),  # the cell was edited and re-run: it no longer reads x
            run("c", writes="x=2"),
        ],
        [],
    ),
    row(
        "stale/rerunning-the-reader-clears-it",
        [run("a", writes="x=1"), run("b", reads="x"), run("a", writes="x=2"), run("b", reads="x")],
        [],
    ),
    row(
        "stale/reader-of-a-mutated-value-downstream-of-a-writer",
        [
            run("a", writes="df=1"),
            run("b", reads="df", writes="model=1"),
            run("c", reads="model"),
            run("d", reads="model", mutated="model=2"),  # model.fit(...) elsewhere
        ],
        [("stale", "c", "model")],
    ),
]

MUST_NOT_FLAG_ROWS = [
    row(
        "quiet/rebinding-an-equal-value",
        [run("a", writes="x=1"), run("b", reads="x"), run("a", writes="x=1")],
        [],
    ),
    row(
        "quiet/reimporting-the-same-module",
        [run("a", writes="np=mod"), run("b", reads="np"), run("c", writes="np=mod")],
        [],
    ),
    row(
        "quiet/a-cell-updating-what-it-read",  # x = x + 1, twice
        [
            run("a", writes="x=1"),
            run("b", reads="x", writes="x=2"),
            run("b", reads="x", writes="x=3"),
        ],
        [],
    ),
    row(
        "quiet/a-cell-mutating-what-it-read",  # xs.append(1), twice
        [
            run("a", writes="xs=1"),
            run("b", reads="xs", mutated="xs=2"),
            run("b", reads="xs", mutated="xs=3"),
        ],
        [],
    ),
    row(
        "quiet/an-unrelated-name-changed",
        [run("a", writes="x=1 y=1"), run("b", reads="x"), run("c", writes="y=2")],
        [],
    ),
    row(
        "quiet/changed-and-changed-back",
        [
            run("a", writes="x=1"),
            run("b", reads="x"),
            run("c", writes="x=2"),
            run("d", writes="x=1"),
        ],
        [],
    ),
    row(
        "quiet/mutated-and-restored",
        [
            run("a", writes="xs=1"),
            run("b", reads="xs"),
            run("c", reads="xs", mutated="xs=2"),
            run("c", reads="xs", mutated="xs=1"),
        ],
        [],
    ),
    row(
        "quiet/bound-before-recording-rebound-equal",
        [run("b", reads="old"), run("a", writes="old=pre:old")],
        [],
    ),
    row(
        "quiet/a-mutation-that-changed-nothing",
        [run("a", writes="xs=1"), run("b", reads="xs"), run("c", reads="xs", mutated="xs=1")],
        [],
    ),
    row(
        "quiet/same-import-at-the-top-and-at-the-bottom",
        [
            cells("top", "mid", "bottom"),
            snap(),
            run("bottom", writes="pd=mod"),
            run("top", writes="pd=mod"),
            run("mid", reads="pd"),
        ],
        [],
    ),
    row(
        "quiet/nothing-ran",
        [cells("a", "b"), snap()],
        [],
    ),
]

ORDER_ROWS = [
    row(
        "order/read-from-a-cell-below",
        [cells("a", "b"), snap(), run("b", writes="x=1"), run("a", reads="x")],
        [("out_of_order", "a", "x")],
    ),
    row(
        "order/stale-and-out-of-order-give-two-findings",
        [
            cells("set30", "use", "set20"),
            snap(),
            run("set20", writes="t=20"),
            run("use", reads="t"),
            run("set30", writes="t=30"),
        ],
        [("stale", "use", "t"), ("out_of_order", "use", "t")],
    ),
    row(
        "order/a-mutation-below-counts",
        [
            cells("a", "b", "c"),
            snap(),
            run("a", writes="xs=1"),
            run("c", reads="xs", mutated="xs=2"),
            run("b", reads="xs"),
        ],
        [("out_of_order", "b", "xs")],
    ),
    row(
        "order/an-equal-rebind-above-puts-it-back-in-order",
        [
            cells("top", "mid", "bottom"),
            snap(),
            run("bottom", writes="pd=mod"),
            run("mid", reads="pd"),  # out of order until...
            run("top", writes="pd=mod"),  # ...the cell above binds the very same module
        ],
        [],
    ),
    row(
        "order/read-from-a-cell-above-is-fine",
        [cells("a", "b"), snap(), run("a", writes="x=1"), run("b", reads="x")],
        [],
    ),
    row(
        "order/without-a-document-first-execution-gives-the-order",
        [run("a", reads=""), run("b", writes="x=1"), run("a", reads="x")],
        [("out_of_order", "a", "x")],
    ),
    row(
        "order/without-a-document-running-top-down-is-fine",
        [run("a", writes="x=1"), run("b", reads="x"), run("a", writes="x=2"), run("b", reads="x")],
        [],
    ),
    row(
        "order/moving-the-writer-above-clears-it",
        [
            cells("a", "b"),
            snap(),
            run("b", writes="x=1"),
            run("a", reads="x"),
            snap("b", "a"),
        ],
        [],
    ),
    row(
        "order/deleted-writer-is-hidden-state-not-order",
        [
            cells("a", "b"),
            snap(),
            run("b", writes="x=1"),
            run("a", reads="x"),
            snap("a"),
        ],
        [("hidden_state", None, "x")],
    ),
    row(
        "order/value-from-outside-the-notebook-has-no-position",
        [cells("a"), snap(), run(OUTSIDE, writes="x=1"), run("a", reads="x")],
        [("hidden_state", None, "x")],
    ),
]

HIDDEN_ROWS = [
    row(
        "hidden/writer-cell-deleted",
        [cells("a", "b"), snap(), run("a", writes="model=1"), snap("b")],
        [("hidden_state", None, "model")],
    ),
    row(
        "hidden/writer-cell-edited",
        [
            cells("a", "b"),
            snap(),
            run("a", writes="model=1"),
            edit("a", "model = 2\n"),
            snap(),
        ],
        [("hidden_state", "a", "model"), ("edited", "a", "")],
    ),
    row(
        "hidden/console-execution-after-a-snapshot",
        [cells("a"), snap(), run(OUTSIDE, writes="x=1")],
        [("hidden_state", None, "x")],
    ),
    row(
        "hidden/a-failed-writer-still-counts",
        [cells("a", "b"), snap(), run("a", writes="x=1", status="error"), snap("b")],
        [("hidden_state", None, "x")],
    ),
    row(
        "hidden/console-execution-without-any-document",
        [run(OUTSIDE, writes="x=1"), run("a", reads="x")],
        [],
    ),
    row(
        "hidden/deleted-names-are-not-live",
        [cells("a", "b"), snap(), run("a", writes="x=1"), run("b", deleted="x"), snap("b")],
        [],
    ),
    row(
        "hidden/underscore-and-ipython-names-are-ignored",
        [cells("a"), snap(), run(OUTSIDE, writes="_tmp=1 In=2 display=3")],
        [],
    ),
    row(
        "hidden/rebound-by-a-current-cell",
        [
            cells("a", "b"),
            snap(),
            run("a", writes="x=1"),
            run("b", writes="x=1"),  # an equal value, but b now recreates it
            snap("b"),
        ],
        [],
    ),
    row(
        "hidden/mutation-does-not-move-the-binding",
        [
            cells("a", "b"),
            snap(),
            run("a", writes="xs=1"),
            run("b", reads="xs", mutated="xs=2"),
            snap("a"),  # b, which appended to xs, is deleted; a still recreates xs
        ],
        [],
    ),
    row(
        "hidden/grouped-by-writer",
        [
            cells("a", "b", "c"),
            snap(),
            run("a", writes="p=1 q=1"),
            run("b", writes="r=1"),
            run(OUTSIDE, writes="s=1"),
            snap("c"),
        ],
        [
            ("hidden_state", None, "p q"),
            ("hidden_state", None, "r"),
            ("hidden_state", None, "s"),
        ],
    ),
    row(
        "hidden/rerunning-the-edited-cell-clears-it",
        [
            cells("a"),
            snap(),
            run("a", writes="x=1"),
            edit("a", "x = 2\n"),
            snap(),
            run("a", writes="x=2", source="x = 2\n"),
        ],
        [],
    ),
    row(
        "hidden/edited-cell-that-no-longer-writes-the-name",
        [
            cells("a", "b"),
            snap(),
            run("a", writes="x=1 y=1"),
            run("b", reads="x"),
            edit("a", "y = 1\n"),
            snap(),
            run("a", writes="y=1", source="y = 1\n"),
        ],
        [("hidden_state", "a", "x")],
    ),
]

EDITED_ROWS = [
    row(
        "edited/source-changed-since-it-ran",
        [cells("a"), snap(), run("a"), edit("a", "x = 2\n"), snap()],
        [("edited", "a", "")],
    ),
    row(
        "edited/trailing-whitespace-is-no-edit",
        [cells("a"), edit("a", "x = 1\n"), snap(), run("a"), edit("a", "x = 1   \n\n"), snap()],
        [],
    ),
    row(
        "edited/executed-source-is-newest-until-a-higher-seq",
        [
            cells("a"),
            snap(),  # seq 1: "# cell a"
            run("a", source="x = 2\n"),  # ran newer code than the snapshot shows
        ],
        [],
    ),
    row(
        "edited/older-snapshot-arriving-late-is-ignored",
        [
            cells("a"),
            snap(seq=5),
            run("a"),
            edit("a", "x = 99\n"),
            snap(seq=3),
        ],
        [],
    ),
    row(
        "edited/same-seq-is-ignored-too",
        [cells("a"), snap(seq=2), run("a"), edit("a", "x = 99\n"), snap(seq=2)],
        [],
    ),
    row(
        "edited/turned-into-markdown",
        [cells("a"), snap(), run("a"), lambda sim: sim.types.__setitem__("a", "markdown"), snap()],
        [("edited", "a", "")],
    ),
    row(
        "edited/not-judged-without-a-document",
        [run("a", source="x = 1\n"), run("b")],
        [],
    ),
    row(
        "edited/a-cell-that-never-ran-is-not-edited",
        [cells("a"), snap(), edit("a", "x = 1\n"), snap()],
        [],
    ),
]


@pytest.mark.parametrize(
    ("steps", "expected"),
    STALE_ROWS + MUST_NOT_FLAG_ROWS + ORDER_ROWS + HIDDEN_ROWS + EDITED_ROWS,
)
def test_findings(steps: list[Step], expected: Expected) -> None:
    assert play(steps).found() == expected


# ------------------------------------------------------------------ undefined_in_order


def order_rows() -> list[Any]:
    def case(case_id: str, sources: list[str], expected: Expected, **unjudgeable: str) -> Any:
        return pytest.param(sources, expected, unjudgeable, id=case_id)

    return [
        case(
            "undefined/read-before-any-definition",
            ["print(rate)", "rate = 1"],
            [("undefined_in_order", "c0", "rate")],
        ),
        case("undefined/defined-above", ["rate = 1", "print(rate)"], []),
        case(
            "undefined/several-names-sorted", ["y = b + a"], [("undefined_in_order", "c0", "a b")]
        ),
        case(
            "undefined/builtins-and-ipython-names",
            ["display(len(In), _, _5, _i3, __name__, get_ipython, Out)"],
            [],
        ),
        case("undefined/defined-earlier-in-the-same-cell", ["x = 1\nprint(x)"], []),
        case(
            "undefined/read-then-bound-in-the-same-cell",
            ["x = x + 1"],
            [("undefined_in_order", "c0", "x")],
        ),
        case("undefined/comprehension-variable", ["ys = [v for v in range(3)]"], []),
        case("undefined/function-parameter", ["def f(v):\n    return v\n", "f(1)"], []),
        case(
            "undefined/global-declared-in-a-function-above",
            ["def setup():\n    global cfg\n    cfg = 1\n", "print(cfg)"],
            [],
        ),
        case("undefined/function-body-is-not-judged", ["def f():\n    return later\n"], []),
        case(
            "undefined/star-import-above-makes-cells-below-unjudgeable",
            ["from math import *", "print(pi, mystery)"],
            [],
            c0="this cell uses `from ... import *`, so the names it defines are unknown",
            c1="a cell above uses `from ... import *`, so the names it defines are unknown",
        ),
        case(
            "undefined/cells-above-a-star-import-are-still-judged",
            ["print(early)", "from math import *", "print(late)"],
            [("undefined_in_order", "c0", "early")],
            c1="this cell uses `from ... import *`, so the names it defines are unknown",
            c2="a cell above uses `from ... import *`, so the names it defines are unknown",
        ),
        case(
            "undefined/syntax-error",
            ["x = (", "print(y)"],
            [],
            c0="this cell does not parse",
            c1="a cell above does not parse",
        ),
        case(
            "undefined/exec-in-the-cell-itself",
            ["exec('x = 1')\nprint(x)"],
            [],
            c0="this cell uses `exec`, so the names it defines are unknown",
        ),
        case(
            "undefined/globals-write-above",
            ["globals()['k'] = 1", "print(k)"],
            [],
            c0="this cell uses `globals()`, so the names it defines are unknown",
            c1="a cell above uses `globals()`, so the names it defines are unknown",
        ),
        case(
            "undefined/reload-does-not-block",
            ["importlib.reload(m)", "print(z)"],
            [
                ("undefined_in_order", "c0", "importlib m"),
                ("undefined_in_order", "c1", "z"),
            ],
        ),
    ]


@pytest.mark.parametrize(("sources", "expected", "unjudgeable"), order_rows())
def test_undefined_in_order(
    sources: list[str], expected: Expected, unjudgeable: dict[str, str]
) -> None:
    sim = Sim()
    for i, source in enumerate(sources):
        sim.edit(f"c{i}", source)
    sim.snapshot()
    assert sim.found() == expected
    status = sim.engine.cell_status()
    got = {cell: entry["unjudgeable"] for cell, entry in status.items() if entry["unjudgeable"]}
    assert got == unjudgeable


def test_undefined_in_order_skips_markdown_and_needs_a_document() -> None:
    sim = Sim()
    sim.edit("md", "print(not_code)")
    sim.types["md"] = "markdown"
    sim.edit("c", "print(rate)")
    sim.run("c", reads="rate")  # rate existed in the kernel: the run itself was fine
    assert sim.found() == []  # no document yet: the rule is skipped
    sim.snapshot()
    assert sim.found() == [("undefined_in_order", "c", "rate")]


def test_run_magic_makes_cells_below_unjudgeable_with_a_transforming_analyser() -> None:
    def transformed(source: str) -> CellNames:  # what the kernel adapter does with IPython
        if source.startswith("%run "):
            source = f"get_ipython().run_line_magic('run', {source[5:].strip()!r})"
        return analyse(source)

    sim = Sim(HygieneEngine(analyse_source=transformed))
    sim.edit("a", "%run setup.py").edit("b", "print(params)").snapshot()
    assert sim.found() == []
    status = sim.engine.cell_status()
    assert (
        status["b"]["unjudgeable"]
        == "a cell above uses `%run`, so the names it defines are unknown"
    )


def test_a_failing_analyser_makes_cells_unjudgeable_instead_of_failing() -> None:
    def broken(source: str) -> CellNames:
        raise RuntimeError("transformer crashed")

    sim = Sim(HygieneEngine(analyse_source=broken))
    sim.edit("a", "x = 1").snapshot()
    sim.run("a", writes="x=1")
    assert sim.found() == []
    assert "analysis failed" in str(sim.engine.cell_status()["a"]["unjudgeable"])


def test_analyses_are_cached_by_source_so_an_edit_reanalyses_one_cell() -> None:
    seen: list[str] = []

    def counting(source: str) -> CellNames:
        seen.append(source)
        return analyse(source)

    sim = Sim(HygieneEngine(analyse_source=counting))
    for i in range(20):
        sim.edit(f"c{i}", f"v{i} = {i}")
    sim.snapshot()
    sim.found()
    assert len(seen) == 20
    sim.edit("c7", "v7 = 'changed'").snapshot()
    sim.found()
    assert seen[20:] == ["v7 = 'changed'"]


# ---------------------------------------------------------------------------- wording


def only(sim: Sim, kind: str) -> Finding:
    matches = [f for f in sim.engine.warnings() if f.kind == kind]
    assert len(matches) == 1, matches
    return matches[0]


def test_stale_message_names_the_variable_and_the_prompt_of_the_changing_cell() -> None:
    sim = play([run("a", writes="df=1"), run("b", reads="df"), run("c", writes="df=2")])
    finding = only(sim, "stale")
    assert finding.message == "reads `df`, which cell [3] changed after this cell ran"
    assert finding.extra["changed_by"] == [
        {"cell_id": "c", "execution_count": 3, "seq": 3, "names": ["df"], "change": "changed"}
    ]


def test_stale_message_with_several_changers() -> None:
    sim = play(
        [
            run("a", writes="x=1 y=1"),
            run("b", reads="x y"),
            run("c", writes="x=2"),
            run(OUTSIDE, deleted="y"),
        ]
    )
    assert only(sim, "stale").message == (
        "reads `x`, which cell [3] changed and `y`, which code run outside the notebook [4] "
        "deleted, after this cell ran"
    )


def test_stale_message_mentions_a_changer_that_was_deleted_since() -> None:
    sim = play([cells("a", "b", "c"), snap(), run("a", writes="x=1"), run("b", reads="x")])
    sim.run("c", writes="x=2")
    sim.snapshot("a", "b")
    assert only(sim, "stale").message == (
        "reads `x`, which a since-deleted cell [3] changed after this cell ran"
    )


def test_out_of_order_message() -> None:
    sim = play(
        [cells("a", "b"), snap(), run("b", writes="threshold=20"), run("a", reads="threshold")]
    )
    assert only(sim, "out_of_order").message == (
        "reads `threshold` from cell [1], which sits below it: "
        "running top to bottom gives a different result"
    )


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        pytest.param(
            [cells("a", "b"), snap(), run("a", writes="model=1"), snap("b")],
            "`model` was last set by cell [1], which has since been deleted: "
            "a fresh run of the notebook would not recreate it",
            id="deleted",
        ),
        pytest.param(
            [cells("a"), snap(), run("a", writes="m=1 n=1"), edit("a", "m = 2"), snap()],
            "`m` and `n` were last set by an earlier version of this cell ([1]): "
            "a fresh run of the notebook would not recreate them",
            id="edited",
        ),
        pytest.param(
            [cells("a"), snap(), run(OUTSIDE, writes="rate=1")],
            "`rate` was last set by code run outside the notebook [1]: "
            "a fresh run of the notebook would not recreate it",
            id="outside",
        ),
    ],
)
def test_hidden_state_messages(steps: list[Step], message: str) -> None:
    assert only(play(steps), "hidden_state").message == message


def test_edited_and_undefined_messages() -> None:
    sim = play([cells("a"), snap(), run("a"), edit("a", "print(rate)"), snap()])
    assert (
        only(sim, "edited").message == "edited since it ran: its outputs no longer match its code"
    )
    assert only(sim, "undefined_in_order").message == (
        "reads `rate`, which no cell above defines: Restart & Run All would raise NameError"
    )


# ------------------------------------------------------------------- shape and order


def test_codes_and_severities_are_stable() -> None:
    assert CODES == {
        "stale": "JX101",
        "out_of_order": "JX102",
        "hidden_state": "JX103",
        "edited": "JX104",
        "undefined_in_order": "JX105",
    }
    assert {k for k, v in SEVERITIES.items() if v == "info"} == {"edited"}
    assert KINDS == ("stale", "out_of_order", "hidden_state", "edited", "undefined_in_order")


def test_to_json_carries_the_contract_keys_and_extras() -> None:
    sim = play([run("a", writes="x=1"), run("b", reads="x"), run("a", writes="x=2")])
    data = only(sim, "stale").to_json()
    assert list(data)[:6] == ["kind", "code", "severity", "cell_id", "names", "message"]
    assert data["code"] == "JX101" and data["names"] == ["x"] and "changed_by" in data
    hash(only(sim, "stale"))  # findings can go in sets


def test_findings_follow_document_order_then_kind_with_cell_less_ones_last() -> None:
    sim = play(
        [
            cells("a", "b", "c"),
            edit("c", "t = u = 1"),
            snap(),
            run("c", writes="t=1 u=1"),
            run("b", reads="t"),
            run("a", reads="u"),
            run("c", writes="t=2 u=2"),
            run(OUTSIDE, writes="z=1"),
            edit("b", "print(t)"),
            snap(),
        ]
    )
    assert sim.found() == [
        ("stale", "a", "u"),
        ("out_of_order", "a", "u"),
        ("stale", "b", "t"),
        ("out_of_order", "b", "t"),
        ("edited", "b", ""),
        ("undefined_in_order", "b", "t"),  # t comes from c, below
        ("hidden_state", None, "z"),
    ]


def test_cell_status_reports_each_document_cell_that_ran() -> None:
    sim = play(
        [
            cells("a", "b", "c"),
            snap(),
            run("a", writes="x=1"),
            run("b", reads="x", status="error"),
            run("a", writes="x=2"),
        ]
    )
    assert sim.engine.cell_status() == {
        "a": {"status": "ok", "execution_count": 3, "seq": 3, "kinds": [], "unjudgeable": None},
        "b": {
            "status": "error",
            "execution_count": 2,
            "seq": 2,
            "kinds": ["stale"],
            "unjudgeable": None,
        },
    }


def test_cell_status_drops_deleted_cells_and_lists_unexecuted_flagged_ones() -> None:
    sim = play([cells("a", "b"), snap(), run("a", writes="x=1")])
    sim.edit("b", "print(nope)")
    sim.snapshot("b")
    assert sim.engine.cell_status() == {
        "b": {
            "status": None,
            "execution_count": None,
            "seq": None,
            "kinds": ["undefined_in_order"],
            "unjudgeable": None,
        }
    }


def test_cell_status_lists_every_kind_on_the_cell_in_order() -> None:
    sim = play(
        [
            cells("a", "b"),
            snap(),
            run("b", writes="t=1"),
            run("a", reads="t", writes="w=1"),
            run("b", writes="t=2"),
            edit("a", "print(q)"),
            snap(),
        ]
    )
    kinds = sim.engine.cell_status()["a"]["kinds"]
    assert kinds == ["stale", "out_of_order", "hidden_state", "edited", "undefined_in_order"]


def test_set_notebook_reports_whether_it_applied() -> None:
    sim = Sim()
    sim.cells("a")
    assert sim.snapshot(seq=4) is True
    assert sim.snapshot(seq=4) is False
    assert sim.snapshot(seq=3) is False
    assert sim.engine.notebook_seq == 4
    assert sim.snapshot(seq=9) is True and sim.engine.notebook_seq == 9


def test_clear_notebook_returns_to_judging_without_a_document() -> None:
    sim = play([cells("a"), snap(seq=7), run(OUTSIDE, writes="x=1")])
    assert sim.found() == [("hidden_state", None, "x")]
    sim.engine.clear_notebook()
    assert sim.found() == [] and sim.engine.notebook is None
    assert sim.snapshot(seq=1) is True  # a new frontend counts from scratch
    assert sim.found() == [("hidden_state", None, "x")]


def test_executed_source_override_lasts_until_a_higher_seq_snapshot() -> None:
    sim = play([cells("a"), snap(seq=1), run("a", source="x = 2\n")])
    assert sim.found() == []  # the kernel saw newer code than the snapshot
    sim.edit("a", "x = 2\n")
    assert sim.snapshot(seq=2) is True
    assert sim.found() == []  # the frontend caught up
    sim.edit("a", "x = 3\n")
    sim.snapshot(seq=3)
    assert sim.found() == [("edited", "a", "")]


def test_a_cell_run_before_the_frontend_reported_it_is_not_deleted() -> None:
    sim = play([cells("a"), snap(), run("new", writes="x=1")])
    assert sim.found() == []
    sim.snapshot("a")  # a newer snapshot without it: now it really is gone
    assert sim.found() == [("hidden_state", None, "x")]


def test_records_must_arrive_in_seq_order() -> None:
    sim = play([run("a", writes="x=1")])
    with pytest.raises(ValueError, match="not after"):
        sim.engine.add_execution(sim.records[0])
    assert sim.found() == []


def test_an_engine_is_freed_as_soon_as_it_is_dropped() -> None:
    """The static checker makes one engine per notebook: one held in a reference cycle
    would wait, with its graph and records, for the cyclic collector (which used to take
    a tenth of a directory check)."""
    import gc
    import weakref

    steps = [cells("a", "b", "c"), snap(), run("a", writes="df=1"), run("b", reads="df")]
    sim = play([*steps, run("c", writes="df=2")])
    assert sim.engine.warnings()  # judged: every part of the engine has been built
    assert sim.engine.cell_status()
    gone = weakref.ref(sim.engine)
    gc.disable()
    try:
        del sim
        assert gone() is None, "the engine is kept alive by a reference cycle"
    finally:
        gc.enable()
