"""The sweep's grid file, collected scalars and summary: pure parts, no kernel."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_ext.sweep.grid import GridError, check_grid, expand_grid, load_grid, output_name
from jupyter_ext.sweep.point import PointResult
from jupyter_ext.sweep.scalars import scalar_entry, scalars_json
from jupyter_ext.sweep.summary import summary_csv, summary_json, summary_rows, summary_table


def notebook(path: Path, parameters: str | None = "alpha = 0.1\nlayers = 2\nname = 'x'") -> Path:
    nb = new_notebook(cells=[new_code_cell(parameters or "x = 1"), new_code_cell("y = 1")])
    if parameters is not None:
        nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)
    return path


def test_axes_give_the_cartesian_product_in_order_plus_fixed_and_points() -> None:
    grid = expand_grid(
        {"alpha": [0.1, 1.0], "layers": [1, 2], "fixed": {"name": "run"},
         "points": [{"alpha": 5.0, "layers": 9}]}
    )  # fmt: skip
    assert grid.points == (
        {"name": "run", "alpha": 0.1, "layers": 1},
        {"name": "run", "alpha": 0.1, "layers": 2},
        {"name": "run", "alpha": 1.0, "layers": 1},
        {"name": "run", "alpha": 1.0, "layers": 2},
        {"name": "run", "alpha": 5.0, "layers": 9},
    )
    assert grid.varied == ("alpha", "layers")


def test_a_scalar_is_one_value_and_a_list_of_lists_gives_list_values() -> None:
    grid = expand_grid({"alpha": 0.5, "sizes": [[1, 2], [3]]})
    assert grid.points == ({"alpha": 0.5, "sizes": [1, 2]}, {"alpha": 0.5, "sizes": [3]})


def test_reserved_names_go_under_grid() -> None:
    grid = expand_grid({"grid": {"points": [1, 2]}, "fixed": {"a": 0}})
    assert grid.points == ({"a": 0, "points": 1}, {"a": 0, "points": 2})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "the grid has no points"),
        ({"alpha": []}, "axis `alpha` has no values"),
        ({"alpha": [1], "fixed": {"alpha": 2}}, "`alpha` is both fixed and varied"),
        ({"fixed": [1]}, "`fixed` must be a mapping"),
        ({"points": [1, 2]}, "`points` must be a list of mappings"),
        ({"points": [{"not a name": 1}]}, "must be identifiers"),
        ({"grid": [1]}, "`grid` must be a mapping"),
    ],
)
def test_malformed_grids_are_one_line_naming_the_file(data: dict, message: str) -> None:
    with pytest.raises(GridError) as caught:
        expand_grid(data, "grid.yaml")
    text = str(caught.value)
    assert text.startswith("grid.yaml: ") and message in text and "\n" not in text


def test_load_grid_reads_yaml_and_reports_bad_yaml(tmp_path: Path) -> None:
    good = tmp_path / "grid.yaml"
    good.write_text("alpha: [0.1, 0.2]\nfixed:\n  day: 2024-01-01\n")
    assert load_grid(good).points[0] == {"day": "2024-01-01", "alpha": 0.1}  # dates stay text
    bad = tmp_path / "bad.yaml"
    bad.write_text("alpha: [0.1\n")
    with pytest.raises(GridError, match=r"bad\.yaml: not valid YAML"):
        load_grid(bad)


def test_check_grid_converts_to_declared_types(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "nb.ipynb")
    grid = check_grid(expand_grid({"alpha": [1, "2"], "layers": ["3"]}), nb, "grid.yaml")
    assert grid.points == ({"alpha": 1.0, "layers": 3}, {"alpha": 2.0, "layers": 3})
    assert all(isinstance(p["alpha"], float) for p in grid.points)


def test_check_grid_names_the_point_with_an_unknown_name_or_bad_value(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "nb.ipynb")
    with pytest.raises(GridError) as unknown:
        check_grid(expand_grid({"alpha": [0.1], "lyers": [1, 2]}), nb, "grid.yaml")
    assert str(unknown.value).startswith("grid.yaml: point 1 (alpha=0.1, lyers=1): ")
    assert "lyers" in str(unknown.value)
    with pytest.raises(GridError) as bad:
        check_grid(expand_grid({"layers": [1, "many"]}), nb, "grid.yaml")
    assert "point 2 (layers=many)" in str(bad.value) and "int" in str(bad.value)


def test_check_grid_reads_the_notebook_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_ext.pipeline import typed_params

    reads: list[object] = []
    real = typed_params.read_notebook_json

    def counted(path: str | Path) -> dict[str, Any]:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(typed_params, "read_notebook_json", counted)
    nb = notebook(tmp_path / "nb.ipynb")
    grid = check_grid(expand_grid({"alpha": [1, 2, 3], "layers": [1, 2]}), nb, "grid.yaml")
    assert len(grid.points) == 6 and len(reads) == 1


def test_check_grid_without_parameters_cell_says_how_to_add_one(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "nb.ipynb", parameters=None)
    with pytest.raises(GridError, match="to-pipeline"):
        check_grid(expand_grid({"alpha": [1]}), nb, "grid.yaml")


def test_output_names_sort_and_are_file_safe() -> None:
    names = ("alpha", "path")
    point = {"alpha": 0.5, "path": "data/raw file.csv", "seed": 1}
    assert (
        output_name("train", 3, 12, point, names)
        == "train-03-alpha=0.5_path=data-raw-file.csv.ipynb"
    )
    long = output_name("nb", 1, 1, {"text": "x" * 100}, ("text",))
    assert len(long) <= len("nb-1-") + 40 + len(".ipynb")
    assert output_name("nb", 1, 1, {}, ()) == "nb-1.ipynb"


class Hostile:
    def __repr__(self) -> str:
        raise AssertionError("user code ran")

    def __float__(self) -> float:
        raise AssertionError("user code ran")


class MyInt(int):
    pass


def test_scalars_accept_builtin_scalars_only_and_run_no_user_code() -> None:
    ns = {"a": 1, "b": 2.5, "c": True, "d": "text", "e": None, "f": [1], "g": Hostile(),
          "h": MyInt(3), "i": "x" * 500, "j": float("nan")}  # fmt: skip
    assert scalar_entry(ns, "a") == {"value": 1}
    assert scalar_entry(ns, "b") == {"value": 2.5}
    assert scalar_entry(ns, "c") == {"value": True}
    assert scalar_entry(ns, "d") == {"value": "text"}
    assert scalar_entry(ns, "e") == {"value": None}
    assert scalar_entry(ns, "f") == {"problem": "not_scalar", "type": "list"}
    assert scalar_entry(ns, "g") == {"problem": "not_scalar", "type": "Hostile"}
    assert scalar_entry(ns, "h") == {"problem": "not_scalar", "type": "MyInt"}
    assert scalar_entry(ns, "i")["problem"] == "not_scalar"
    assert scalar_entry(ns, "j") == {"value": "nan"}
    assert scalar_entry(ns, "zz") == {"problem": "missing"}
    assert json.loads(scalars_json(ns, ["a", "g"])) == {
        "a": {"value": 1},
        "g": {"problem": "not_scalar", "type": "Hostile"},
    }


def test_summary_keeps_not_run_points_and_problems_apart_from_values() -> None:
    grid = expand_grid({"alpha": [0.1, 0.2, 0.3]})
    results = [
        PointResult(1, "ok", 1.5, "run-1", "/out/1.ipynb", None, {"score": {"value": 0.9}}),
        PointResult(2, "failed", 0.5, "run-2", "/out/2.ipynb", "ValueError: bad",
                    {"score": {"problem": "missing"}}),
        PointResult(3, "not run"),
    ]  # fmt: skip
    rows = summary_rows(grid, results, ["score"])
    assert [r["status"] for r in rows] == ["ok", "failed", "not run"]
    assert [r["collected"]["score"] for r in rows] == [0.9, None, None]
    assert rows[1]["collect_problems"] == {"score": {"problem": "missing"}}
    table = summary_table(rows, grid.varied, ["score"])
    lines = table.splitlines()
    assert lines[0].split() == ["#", "alpha", "status", "time", "score"]
    assert lines[1].split() == ["1", "0.1", "ok", "1.5", "s", "0.9"]
    assert lines[3].split() == ["3", "0.3", "not", "run", "-", "-"]
    assert "point 2 failed: ValueError: bad" in table
    document = json.loads(summary_json(rows, notebook="nb", grid_file="g", executor="x"))
    assert document["counts"] == {"ok": 1, "failed": 1, "not run": 1}
    parsed = list(csv.DictReader(io.StringIO(summary_csv(rows, grid.varied, ["score"]))))
    assert parsed[0]["score"] == "0.9" and parsed[0]["alpha"] == "0.1"
    assert parsed[2]["status"] == "not run" and parsed[2]["duration_s"] == ""
