"""Declared parameter types from the parameters cell, and values checked against them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_ext.bridge.params import ParameterError
from jupyter_ext.pipeline.typed_params import (
    DeclaredParameter,
    check_parameters,
    declared_parameters,
)


def notebook(*sources: str, tagged: int | None = 0) -> dict[str, Any]:
    cells = []
    for i, source in enumerate(sources):
        tags = ["parameters"] if i == tagged else []
        cells.append(
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {"tags": tags},
                "source": source.splitlines(keepends=True),  # as stored on disk
                "outputs": [],
                "execution_count": None,
            }
        )
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


PARAMS = """\
import os
n_rows: int = 1000
rate = 0.5
flag = False
names = ["a"]
cfg = {"k": 1}
path = "data.csv"
limit: Optional[int] = None
cap: int | None = 5
day = None
when = os.environ.get("X")
scale: float = 1
a, b = 1, "two"
%matplotlib inline
"""


def test_types_come_from_annotations_then_literals() -> None:
    declared = declared_parameters(notebook("x = 1", PARAMS, "print(n_rows)", tagged=1))
    kinds = {name: p.type_name for name, p in declared.items()}
    assert kinds == {
        "n_rows": "int",
        "rate": "float",
        "flag": "bool",
        "names": "list",
        "cfg": "dict",
        "path": "str",
        "limit": "int",
        "cap": "int",
        "day": "NoneType",
        "when": "any",
        "scale": "float",
        "a": "int",
        "b": "str",
    }
    assert declared["n_rows"] == DeclaredParameter("n_rows", "int", 1000, "int")
    assert declared["limit"].annotation == "Optional[int]"
    assert declared["limit"].default is None and declared["limit"].accepts_none
    assert declared["cap"].accepts_none and not declared["rate"].accepts_none
    assert declared["cfg"].default == {"k": 1}
    assert list(declared)[:2] == ["n_rows", "rate"]  # document order


def test_no_parameters_cell_declares_nothing() -> None:
    assert declared_parameters(notebook("n = 1", tagged=None)) == {}


def test_last_assignment_declares_the_name() -> None:
    declared = declared_parameters(notebook("n = 1\nn = 'x'"))
    assert declared["n"].type_name == "str" and declared["n"].default == "x"


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("x: float = 0.0", "3", 3.0),
        ("x: float = 0.0", 3, 3.0),
        ("x = 0.5", "1e3", 1000.0),
        ("x = 1", "3", 3),
        ("x = 1", 4.0, 4),
        ("x = 1", " 7 ", 7),
        ("x = 'a'", 3, "3"),
        ("x = 'a'", "3.10", "3.10"),  # text stays text: papermill would give 3.1
        ("x = False", "true", True),
        ("x = False", "no", False),
        ("x = True", 0, False),
        ("x = []", "[1, 2]", [1, 2]),
        ("x = []", (1, 2), [1, 2]),
        ("x = {}", "{'k': 2}", {"k": 2}),
        ("x: Optional[int] = None", "5", 5),
        ("x: Optional[int] = None", "None", None),
        ("x: int | None = 3", None, None),
        ("x = None", "5", 5),  # no declared type: typed as papermill's -p types it
        ("x = None", "2024-01-01", "2024-01-01"),
        ("x = make()", [1], [1]),
    ],
)
def test_values_convert_to_the_declared_type(source: str, value: Any, expected: Any) -> None:
    converted = check_parameters(notebook(source), {"x": value})
    assert converted == {"x": expected}
    assert type(converted["x"]) is type(expected)


@pytest.mark.parametrize(
    ("source", "value", "words"),
    [
        ("x = 1", "yes", "expects an int"),
        ("x = 1", 3.5, "expects an int"),
        ("x = 1", True, "expects an int"),
        ("x = 1", None, "expects an int"),
        ("x = 0.5", "fast", "expects a float"),
        ("x = False", "maybe", "expects a bool"),
        ("x = False", 2, "expects a bool"),
        ("x = []", "abc", "expects a list"),
        ("x = {}", "[1]", "expects a dict"),
        ("x = 'a'", [1], "expects a str"),
        ("x: Optional[int] = None", "many", "expects an int or None"),
    ],
)
def test_values_that_do_not_convert_are_rejected_in_one_line(
    source: str, value: Any, words: str
) -> None:
    with pytest.raises(ParameterError) as caught:
        check_parameters(notebook(source), {"x": value}, label="nb.ipynb")
    message = str(caught.value)
    assert words in message
    assert message.startswith("nb.ipynb: parameter 'x'")
    assert repr(value) in message and "\n" not in message


def test_unknown_names_are_rejected_with_a_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "analysis.ipynb"
    path.write_text(json.dumps(notebook("n_rows = 10\nseed = 1", "print(n_rows)")))
    with pytest.raises(ParameterError) as caught:
        check_parameters(path, {"n_row": 5})
    message = str(caught.value)
    assert message.startswith(f"{path}: unknown parameter 'n_row'")
    assert "declared: n_rows, seed" in message and "did you mean 'n_rows'" in message


def test_notebook_without_parameters_cell_rejects_any_parameter(tmp_path: Path) -> None:
    path = tmp_path / "plain.ipynb"
    path.write_text(json.dumps(notebook("n = 1", tagged=None)))
    assert check_parameters(path, {}) == {}
    with pytest.raises(ParameterError) as caught:
        check_parameters(path, {"n": 2})
    assert "no cell tagged 'parameters'" in str(caught.value)
    assert f"jupyter-ext to-pipeline {path}" in str(caught.value)


def test_unreadable_notebook_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    with pytest.raises(ParameterError, match=r"bad\.ipynb: not a notebook"):
        check_parameters(bad, {"n": 1})
    with pytest.raises(ParameterError, match="cannot read the notebook"):
        check_parameters(tmp_path / "missing.ipynb", {"n": 1})


def test_parameters_cell_with_a_syntax_error_declares_nothing() -> None:
    nb = notebook("n = (1")
    assert declared_parameters(nb) == {}
    with pytest.raises(ParameterError, match="unknown parameter 'n'"):
        check_parameters(nb, {"n": 1})
