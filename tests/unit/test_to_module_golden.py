"""``to-module``'s placement of statements, against checked-in modules (golden files).

Each notebook under ``tests/data/to_module/`` has the module the conversion must write
(``NAME.py``, before ``ruff format``) and the reports it must print
(``NAME.reports.txt``). After an intended change, regenerate them with
``JUPYTER_EXT_UPDATE_GOLDENS=1 pytest tests/unit/test_to_module_golden.py`` and review
the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from jupyter_ext.convert.export import code_cells, declared_types, order_findings
from jupyter_ext.convert.plan import ModulePlan, plan_module
from jupyter_ext.convert.render_module import render_module

DATA = Path(__file__).resolve().parents[1] / "data" / "to_module"
NOTEBOOKS = sorted(DATA.glob("*.ipynb"))
UPDATE = os.environ.get("JUPYTER_EXT_UPDATE_GOLDENS") == "1"


def convert(path: Path) -> tuple[ModulePlan, str, str]:
    nb = nbformat.read(path, as_version=4)
    plan = plan_module(code_cells(nb), order_findings(path), declared_types(nb))
    reports = "".join(r.message() + "\n" for r in plan.reports)
    return plan, render_module(plan, path.name), reports


def test_there_are_golden_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == ["definitions.ipynb", "magics.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_module_and_reports_match_golden(path: Path) -> None:
    _, module, reports = convert(path)
    expected_module = path.with_suffix(".py")
    expected_reports = path.with_suffix(".reports.txt")
    if UPDATE:
        expected_module.write_text(module, encoding="utf-8")
        expected_reports.write_text(reports, encoding="utf-8")
    assert module == expected_module.read_text(encoding="utf-8")
    assert reports == expected_reports.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_generated_module_compiles(path: Path) -> None:
    _, module, _ = convert(path)
    compile(module, str(path), "exec")


def test_definitions_placement() -> None:
    plan, _, _ = convert(DATA / "definitions.ipynb")
    module_level = {n for u in (*plan.imports, *plan.definitions) for n in u.binds}
    assert module_level == {"math", "st", "TOLERANCE", "NAMES", "area", "Point"}
    # a mutable literal, a function reading a parameter, a lambda stay in run()
    body = {n for u in plan.body for n in u.binds}
    assert {"buckets", "scaled", "square"} <= body
    assert [(p.name, p.default, p.annotation) for p in plan.parameters] == [
        ("n", "5", "int"),
        ("scale", "2.5", "float"),
        ("label", "'run'", "str"),
        ("limit", "None", None),
    ]
    assert plan.extra_imports == ("from IPython.display import display",)
    # modules, functions, lambdas, private and deleted names are not returned;
    # names bound only in a loop or a branch are returned when bound
    assert plan.returns == ("buckets", "values", "total", "query", "counter", "mean")
    assert plan.maybe_returns == ("i", "status")


def test_ipython_syntax_is_reported_never_dropped_silently() -> None:
    plan, module, _ = convert(DATA / "magics.ipynb")
    kinds = {(r.cell, r.kind, r.code) for r in plan.reports}
    assert (2, "left_out", "!pip install requests") in kinds
    assert (2, "left_out", "files = !ls") in kinds
    assert (3, "left_out", "%run helpers.py") in kinds
    assert (3, "left_out", "%cd /tmp") in kinds
    assert (4, "left_out", "%%bash") in kinds
    assert (7, "unparsed", "def broken(:") in kinds
    assert (1, "dropped", "%matplotlib inline") in kinds
    for report in plan.reports:
        assert f"# jupyter-ext: {report.kind.replace('_', ' ')}" in module or (
            report.kind == "unparsed" and "left out 'def broken(:'" in module
        )
    # %%time and %time run their code
    assert "    y = x + 1\n    z = y * 2\n" in module
    blocking = {r.kind for r in plan.reports if r.blocking}
    assert blocking == {"left_out", "unparsed"}
