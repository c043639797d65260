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
