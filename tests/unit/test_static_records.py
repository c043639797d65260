"""Records derived from saved notebooks feed the same engine as the kernel: the example
notebook tells the same story statically as replayed live."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from jupyter_ext.analysis.hygiene import HygieneEngine
from jupyter_ext.bridge.static import check_notebook, records_from_notebook
from jupyter_ext.bridge.static_code import code_facts, python_code
from jupyter_ext.core.cell_ids import derived_cell_id

from .static_helpers import code, md, notebook

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "messy_analysis.ipynb"


def test_example_records_follow_the_execution_counts() -> None:
    records, snap = records_from_notebook(nbformat.read(EXAMPLE, as_version=4))
    assert [r.execution_count for r in records] == list(range(1, 9))
    assert [r.seq for r in records] == list(range(1, 9))
    by_cell = {r.cell_id: r for r in records}
    assert by_cell["filter-expensive"].reads == ("prices", "threshold")
    assert by_cell["add-outlier"].mutated == ("prices",)
    assert by_cell["add-outlier"].writes == ()
    assert by_cell["load-prices"].reads == ("random",)
    assert all(r.run_id == "static" and r.status == "ok" for r in records)
    assert [c.id for c in snap.cells][:3] == ["intro", "imports", "load-prices"]
    assert len(snap) == 9


def test_example_gives_the_live_demo_story() -> None:
    records, snap = records_from_notebook(nbformat.read(EXAMPLE, as_version=4))
    engine = HygieneEngine()
    engine.set_notebook(snap)
    for record in records:
        engine.add_execution(record)
    story = {(f.kind, f.cell_id, f.names) for f in engine.warnings()}
    assert story == {
        ("stale", "filter-expensive", ("prices", "threshold")),
        ("out_of_order", "filter-expensive", ("threshold",)),
    }


def test_check_of_the_example() -> None:
    result = check_notebook(EXAMPLE)
    assert result.error is None
    assert [(f["code"], f["cell_id"]) for f in result.findings] == [
        ("JX201", "set-threshold-30"),
        ("JX101", "filter-expensive"),
        ("JX102", "filter-expensive"),
        ("JX201", "set-threshold-20"),
    ]
    order = next(f for f in result.findings if f["code"] == "JX102")
    assert order["written_by"][0]["cell_id"] == "set-threshold-20"


def test_cells_without_ids_get_the_derived_ids() -> None:
    nb = notebook(md("t"), code("x = 1", 1), code("x", 2))
    for cell in nb["cells"]:
        del cell["id"]
    records, snap = records_from_notebook(nb)
    derived = [derived_cell_id("t"), derived_cell_id("x = 1"), derived_cell_id("x")]
    assert [c.id for c in snap.cells] == derived
    assert [r.cell_id for r in records] == derived[1:]


def test_duplicate_ids_keep_the_first_holder() -> None:
    nb = notebook(code("x = 1", 1, id="a"), code("y = 2", 2, id="a"))
    _, snap = records_from_notebook(nb)
    assert [c.id for c in snap.cells] == ["a", derived_cell_id("y = 2")]


def test_sanitised_notebooks_give_no_records() -> None:
    cleared = notebook(code("x = 1", 0), code("y = x"))
    assert records_from_notebook(cleared)[0] == []
    stripped = notebook(code("x = 1", 1, outputs=[]), code("y = x", 2, outputs=[]))
    assert records_from_notebook(stripped)[0] == []


def test_sources_as_lists_are_joined() -> None:
    nb = notebook(code("", 1))
    nb["cells"][0]["source"] = ["x = 1\n", "y = x\n"]
    records, snap = records_from_notebook(nb)
    assert snap.cells[0].source == "x = 1\ny = x\n"
    assert records[0].writes == ("x", "y")


def test_error_outputs_give_error_records() -> None:
    err = {"output_type": "error", "ename": "KeyError", "evalue": "'a'", "traceback": []}
    records, _ = records_from_notebook(notebook(code("d = {}\nd['a']", 1, outputs=[err])))
    assert (records[0].status, records[0].error_type) == ("error", "KeyError")


def test_function_calls_read_the_functions_globals_transitively() -> None:
    nb = notebook(
        code("base = 1\nrate = 2", 1),
        code("def inner():\n    return rate\n\ndef outer():\n    return base + inner()", 2),
        code("total = outer()", 3),
    )
    records, _ = records_from_notebook(nb)
    assert records[2].reads == ("base", "inner", "outer", "rate")


def test_ipython_syntax_is_transformed_before_analysis() -> None:
    assert python_code("x = 1") == "x = 1"
    assert "run_line_magic" in python_code("%time y = x + 1")
    facts = code_facts("files = !ls\n%matplotlib inline")
    assert "files" in facts.names.writes and facts.only_setup is False


@pytest.mark.parametrize(
    ("source", "mutated"),
    [
        ("xs.append(1)", {"xs"}),
        ("d['k'] = 1", {"d"}),
        ("obj.attr = 2", {"obj"}),
        ("del d['k']", {"d"}),
        ("d['k'] += 1", {"d"}),
        ("df.drop(columns=['a'], inplace=True)", {"df"}),
        ("np.add(a, b, out=c)", {"c", "np"}),  # np: dropped by the records (a module)
        ("s.add(1); s.discard(2)", {"s"}),
        ("df.head()", set()),
        ("df.drop(columns=['a'], inplace=False)", set()),
        ("print(xs)", set()),
        ("xs = [1]\nxs.append(2)", set()),  # rebound by the cell: a write, not a mutation
        ("def f():\n    xs.append(1)", set()),  # only when called
    ],
)
def test_static_mutations_are_conservative(source: str, mutated: set[str]) -> None:
    assert code_facts(source).mutated == mutated


def test_module_functions_named_like_list_methods_are_not_mutations() -> None:
    nb = notebook(
        code("import numpy as np", 1),
        code("a = np.zeros(3)", 2),
        code("b = np.append(a, 1)\nnp.sort(b)", 3),
    )
    records, _ = records_from_notebook(nb)
    assert records[2].mutated == ()


def test_static_digests_only_for_imports_and_literals_bound_once() -> None:
    facts = dict(code_facts("import numpy as np\nx = 30\ny = f()\nz = 1\nz = 2").digests)
    assert set(facts) == {"np", "x"}
    assert dict(code_facts("x = 30").digests)["x"] == facts["x"]
    assert dict(code_facts("x = 20").digests)["x"] != facts["x"]
