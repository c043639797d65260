"""The pipeline spec: schema, paths, dependency order and the errors a user can make."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from jupyter_ext.pipeline.spec import (
    SpecError,
    dump_spec,
    load_spec,
    spec_document,
    validate_spec,
)
from jupyter_ext.schemas import load_schema, validate


def step(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "notebook": f"{name}.ipynb", **extra}


def write(tmp_path: Path, steps: list[dict[str, Any]], **top: Any) -> Path:
    path = tmp_path / "pipeline.yaml"
    path.write_text(dump_spec({**spec_document(steps), **top}))
    return path


def test_steps_are_ordered_by_the_files_they_share(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            step("report", inputs=["data/clean.csv"], outputs=["report.txt"]),
            step("make", outputs=["data/raw.csv"], parameters={"n": 3}),
            step("transform", inputs=["data/raw.csv"], outputs=["data/clean.csv"]),
            step("lint", after=["make"]),
        ],
    )
    pipeline = load_spec(path)
    assert [s.name for s in pipeline.steps] == ["make", "transform", "lint", "report"]
    assert pipeline.upstream == {
        "make": frozenset(),
        "transform": {"make"},
        "report": {"transform"},
        "lint": {"make"},
    }
    make = pipeline.step("make")
    assert make.notebook == tmp_path.resolve() / "make.ipynb"
    assert make.outputs == (tmp_path.resolve() / "data" / "raw.csv",)
    assert make.parameters == {"n": 3}
    assert pipeline.output_dir == tmp_path.resolve() / "pipeline-runs"
    assert pipeline.relative(make.outputs[0]) == "data/raw.csv"


def test_written_specs_match_the_published_schema(tmp_path: Path) -> None:
    document = spec_document([step("a", parameters={"x": 1.5, "names": ["a"]}, inputs=["i.csv"])])
    validate(document, "pipeline")  # jsonschema, as users' CI would
    loaded = yaml.safe_load(dump_spec(document))
    assert loaded == document
    jsonschema.Draft7Validator.check_schema(load_schema("pipeline"))


BAD = [
    ({"schema": "jupyter_ext.pipeline/1", "steps": []}, "steps"),
    ({"schema": "other/1", "steps": [step("a")]}, "schema"),
    ({"schema": "jupyter_ext.pipeline/1", "steps": [{"name": "a"}]}, "notebook"),
    ({"schema": "jupyter_ext.pipeline/1", "steps": [step("a", inputs="x.csv")]}, "inputs"),
    ({"schema": "jupyter_ext.pipeline/1", "steps": [step("a", colour="red")]}, "colour"),
    ({"schema": "jupyter_ext.pipeline/1", "steps": [step("1a")]}, "name"),
    ({"schema": "jupyter_ext.pipeline/1", "steps": [step("a", parameters={"1x": 1})]}, "1x"),
]


@pytest.mark.parametrize(("document", "words"), BAD)
def test_invalid_specs_fail_both_validators_with_one_line(
    document: dict[str, Any], words: str
) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate(document, "pipeline")
    with pytest.raises(SpecError) as caught:
        validate_spec(document, "p.yaml")
    message = str(caught.value)
    assert message.startswith("p.yaml: ") and "\n" not in message
    assert words in message


@pytest.mark.parametrize(
    ("steps", "words"),
    [
        ([step("a", outputs=["x"]), step("b", outputs=["x"])], "both write x"),
        ([step("a"), step("a")], "two steps are named 'a'"),
        ([step("a", after=["zz"])], "`after` names no step 'zz'"),
        (
            [
                step("a", inputs=["y"], outputs=["x"]),
                step("b", inputs=["x"], outputs=["y"]),
            ],
            "cycle",
        ),
    ],
)
def test_structural_errors_name_the_steps(
    tmp_path: Path, steps: list[dict[str, Any]], words: str
) -> None:
    path = write(tmp_path, steps)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert words in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_unreadable_spec_files(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the pipeline spec"):
        load_spec(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: [\n")
    with pytest.raises(SpecError, match="not valid YAML at line"):
        load_spec(bad)


def test_dates_in_a_spec_stay_text_as_papermill_reads_them(tmp_path: Path) -> None:
    from jupyter_ext.pipeline.typed_params import check_parameters

    path = tmp_path / "pipeline.yaml"
    path.write_text(
        "schema: jupyter_ext.pipeline/1\n"
        "steps:\n"
        "  - {name: a, notebook: a.ipynb, parameters: {start: 2024-01-01}}\n"
    )
    parameters = load_spec(path).step("a").parameters
    assert parameters == {"start": "2024-01-01"}
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": 'start = "x"'}
        ]
    }
    assert check_parameters(notebook, parameters) == {"start": "2024-01-01"}


def test_a_step_that_updates_its_own_input_does_not_depend_on_itself(tmp_path: Path) -> None:
    pipeline = load_spec(write(tmp_path, [step("a", inputs=["log.txt"], outputs=["log.txt"])]))
    assert pipeline.upstream == {"a": frozenset()}
