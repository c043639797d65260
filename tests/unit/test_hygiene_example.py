"""The demo story: ``examples/messy_analysis.ipynb`` replayed in the order its execution
counts record must produce exactly the warnings the notebook was written to show.

``filter-expensive`` ran at [4] with ``threshold`` from ``set-threshold-20`` [3], which
sits below it (out of order); afterwards ``add-outlier`` [5] appended to ``prices`` and
``set-threshold-30`` [7] rebound ``threshold`` (stale on both).  Nothing else is wrong:
``summarise`` and ``report`` read values nobody changed after them.

Replayed twice: once running the real code (real analysis and digests), once from
hand-written records of what the recorder reports for each cell.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_ext.analysis.hygiene import Finding, HygieneEngine
from jupyter_ext.analysis.snapshot import parse_notebook_message

from .test_hygiene_sim import MiniKernel, Sim

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "messy_analysis.ipynb"

# What the recorder reports for each cell: reads, bound names with digests, mutations.
BY_HAND: dict[str, dict[str, Any]] = {
    "imports": {"writes": "random=m1 statistics=m2"},
    "load-prices": {"reads": "random", "writes": "rng=r1 prices=p1"},
    "set-threshold-20": {"writes": "threshold=20"},
    "filter-expensive": {"reads": "prices threshold", "writes": "expensive=e1"},
    "add-outlier": {"reads": "prices", "mutated": "prices=p2 rng=r1"},
    "summarise": {"reads": "expensive statistics", "writes": "summary=s1"},
    "set-threshold-30": {"writes": "threshold=30"},
    "report": {"reads": "summary threshold"},
}


@functools.cache
def notebook() -> Any:
    return nbformat.read(NOTEBOOK, as_version=4)


def notebook_message() -> dict[str, object]:
    nb = notebook()
    cells = [{"id": c.id, "cell_type": c.cell_type, "source": c.source} for c in nb.cells]
    return {"type": "notebook", "seq": 1, "path": str(NOTEBOOK.name), "cells": cells}


def in_count_order() -> list[tuple[str, str, int]]:
    nb = notebook()
    code = [c for c in nb.cells if c.cell_type == "code"]
    return sorted(((c.id, c.source, c.execution_count) for c in code), key=lambda t: t[2])


def replay_real() -> HygieneEngine:
    kernel = MiniKernel()
    kernel.engine.set_notebook(parse_notebook_message(notebook_message()))
    for cell_id, source, count in in_count_order():
        kernel.run(cell_id, source, count=count)
    return kernel.engine


def replay_by_hand() -> HygieneEngine:
    sim = Sim()
    sim.engine.set_notebook(parse_notebook_message(notebook_message()))
    for cell_id, source, count in in_count_order():
        sim.run(cell_id, source=source, count=count, **BY_HAND[cell_id])
    return sim.engine


@pytest.fixture(params=[replay_real, replay_by_hand], ids=["real-code", "by-hand"])
def findings(request: pytest.FixtureRequest) -> list[Finding]:
    engine: HygieneEngine = request.param()
    return engine.warnings()


def test_the_order_is_the_one_the_story_tells() -> None:
    assert [c for c, _, _ in in_count_order()] == [
        "imports",
        "load-prices",
        "set-threshold-20",
        "filter-expensive",
        "add-outlier",
        "summarise",
        "set-threshold-30",
        "report",
    ]


def test_filter_expensive_is_stale_and_out_of_order_and_nothing_else_is_flagged(
    findings: list[Finding],
) -> None:
    assert [(f.kind, f.cell_id, f.names) for f in findings] == [
        ("stale", "filter-expensive", ("prices", "threshold")),
        ("out_of_order", "filter-expensive", ("threshold",)),
    ]


def test_the_stale_warning_names_the_cells_that_changed_its_inputs(findings: list[Finding]) -> None:
    stale = findings[0]
    changed_by = {(c["cell_id"], c["execution_count"]) for c in stale.extra["changed_by"]}  # type: ignore[attr-defined]
    assert changed_by == {("add-outlier", 5), ("set-threshold-30", 7)}
    assert stale.message == (
        "reads `prices`, which cell [5] changed and `threshold`, which cell [7] changed, "
        "after this cell ran"
    )


def test_the_order_warning_names_the_cell_below(findings: list[Finding]) -> None:
    order = findings[1]
    assert order.extra["written_by"] == [
        {"cell_id": "set-threshold-20", "execution_count": 3, "seq": 3, "names": ["threshold"]}
    ]
    assert "`threshold` from cell [3], which sits below it" in order.message
