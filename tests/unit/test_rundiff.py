"""Comparing two run records (pure)."""

from __future__ import annotations

from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from jupyter_ext.bridge.rundiff import diff_outputs, diff_records, format_diff, is_same


def record(run_id: str, *, params: dict[str, Any], packages: dict[str, str], x: str) -> dict:
    return {
        "schema": "jupyter_ext.run/1",
        "run_id": run_id,
        "parameters": params,
        "environment": {"python": {"version": "3.11.7"}, "packages": packages},
        "executions": [
            {
                "seq": 1,
                "cell_id": "load",
                "source_hash": "s1",
                "status": "ok",
                "variables": [{"name": "data", "digest": "d1"}],
            },
            {
                "seq": 2,
                "cell_id": "model",
                "source_hash": "s2",
                "status": "ok",
                "variables": [{"name": "x", "digest": x}],
            },
        ],
    }


def test_identical_runs_have_no_differences() -> None:
    a = record("A", params={"n": 1}, packages={"numpy": "2.0"}, x="d2")
    b = record("B", params={"n": 1}, packages={"numpy": "2.0"}, x="d2")
    diff = diff_records(a, b)
    assert is_same(diff)
    assert "no differences" in format_diff(diff, None)


def test_parameters_packages_and_the_first_diverging_value() -> None:
    a = record("A", params={"n": 1}, packages={"numpy": "2.0", "old": "1"}, x="d2")
    b = record("B", params={"n": 2}, packages={"numpy": "2.1", "new": "3"}, x="d3")
    diff = diff_records(a, b)
    assert diff["parameters"]["changed"] == {"n": [1, 2]}
    assert diff["packages"] == {
        "added": {"new": "3"},
        "removed": {"old": "1"},
        "changed": {"numpy": ["2.0", "2.1"]},
    }
    assert diff["cells"] == [{"cell": "cell:model", "values": {"x": ["d2", "d3"]}}]
    assert diff["first_divergence"]["cell"] == "cell:model"
    text = format_diff(diff, None)
    assert "parameter n: 1 -> 2" in text and "package changed numpy 2.0 -> 2.1" in text
    assert "`x` d2 -> d3" in text and not is_same(diff)


def test_output_differences_come_from_nbdime() -> None:
    def nb(text: str) -> Any:
        cell = new_code_cell("print(v)", outputs=[new_output("stream", name="stdout", text=text)])
        cell["id"] = "printer"
        other = new_code_cell("v = 1")
        other["id"] = "setter"
        return new_notebook(cells=[other, cell])

    assert diff_outputs(nb("1\n"), nb("1\n")) == []
    changed = diff_outputs(nb("1\n"), nb("2\n"))
    assert changed == [{"index": 1, "cell_id": "printer"}]
    nbformat.validate(nb("1\n"))


def _run(run_id: str, *cells: tuple[str | None, str, str]) -> dict[str, Any]:
    """A record whose executions are (cell id, source hash, digest of the one variable
    the cell writes, named after its source: `v_<source hash>`)."""
    executions = [
        {
            "seq": seq,
            "cell_id": cell_id,
            "source_hash": source,
            "status": "ok",
            "variables": [{"name": f"v_{source}", "digest": digest}],
        }
        for seq, (cell_id, source, digest) in enumerate(cells, start=1)
    ]
    return {"schema": "jupyter_ext.run/1", "run_id": run_id, "executions": executions}


def test_runs_whose_ids_all_differ_pair_by_position_and_find_the_true_divergence() -> None:
    """Two runs of a notebook without cell ids, recorded when such cells got a random id
    per run: every cell used to be "only in run ...", and the first divergence was the
    first cell."""
    a = _run("A", ("r1", "s1", "d1"), ("r2", "s2", "d2"), ("r3", "s3", "d3"), ("r4", "s4", "d4"))
    b = _run("B", ("q1", "s1", "d1"), ("q2", "s2", "d2"), ("q3", "s3", "XX"), ("q4", "s4", "d4"))
    diff = diff_records(a, b)
    assert diff["cells"] == [
        {
            "cell": "cell:r3",
            "cell_b": "cell:q3",
            "paired_by": "position",
            "values": {"v_s3": ["d3", "XX"]},
        }
    ]
    assert diff["first_divergence"]["cell"] == "cell:r3"
    text = format_diff(diff, None)
    assert "only in run" not in text
    assert "cell:r3 (paired by position with cell:q3 of run B): `v_s3` d3 -> XX" in text
    assert "first divergence: cell:r3" in text
    assert is_same(diff_records(a, _run("C", *[(f"z{i}", f"s{i}", f"d{i}") for i in range(1, 5)])))


def test_the_injected_parameters_cell_pairs_and_an_added_cell_stays_where_it_ran() -> None:
    # papermill gives its parameters cell a fresh id every run (p-a, p-b)
    a = _run(
        "A", ("params", "s0", "d0"), ("p-a", "inj", "n1"), ("load", "s1", "d1"), ("fit", "s2", "d2")
    )
    b = _run(
        "B",
        ("params", "s0", "d0"),
        ("p-b", "inj", "n1"),
        ("load", "s1", "d1"),
        ("new", "s9", "d9"),
        ("fit", "s2", "XX"),
    )
    diff = diff_records(a, b)
    assert [c["cell"] for c in diff["cells"]] == ["cell:new", "cell:fit"]
    assert diff["cells"][0] == {"cell": "cell:new", "only_in": "b"}
    assert diff["first_divergence"]["cell"] == "cell:new"


def test_executions_without_a_cell_id_pair_by_order_and_a_rerun_counts_where_it_last_ran() -> None:
    a = _run("A", (None, "s1", "d1"), (None, "s2", "d2"))
    b = _run("B", (None, "s1", "d1"), (None, "s2", "d2"))
    assert is_same(diff_records(a, b))
    rerun = _run("C", ("x", "s1", "d1"), ("y", "s2", "d2"), ("x", "s1", "d1"))
    diff = diff_records(_run("D", ("y", "s2", "d2"), ("x", "s1", "d1")), rerun)
    assert diff["cells"] == []
