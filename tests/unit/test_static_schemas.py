"""``jupyter_ext/schemas/run.schema.json`` describes the run record the store exports (a
real one here; ``tests/integration/test_check_cli.py`` validates one from ``jupyter-ext
run -o``), including records derived statically from a saved notebook."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import nbformat
import pytest

from jupyter_ext.bridge.static import records_from_notebook
from jupyter_ext.capture.environment import capture_environment
from jupyter_ext.core.records import ExecutionRecord, RunInfo, VariableState, run_record
from jupyter_ext.schemas import SCHEMAS, load_schema, validate
from jupyter_ext.store.sqlite import RunStore

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "messy_analysis.ipynb"


def recorded(tmp_path: Path) -> dict[str, Any]:
    run = RunInfo(
        run_id="018f-abc",
        started_at=1716000000.0,
        notebook_path="nb.ipynb",
        notebook_hash="h",
        kernel="ipykernel 7",
        parameters={"alpha": 0.5},
    )
    execution = ExecutionRecord(
        run_id=run.run_id,
        seq=1,
        cell_id="c1",
        execution_count=1,
        source_hash="sh",
        source="xs = [1]\nxs.sort()",
        started_at=1716000001.0,
        duration=0.01,
        status="error",
        error_type="ValueError",
        reads=("load",),
        writes=("xs",),
        mutated=("big",),
        deleted=("gone",),
        variables=(
            VariableState("xs", "list", "d1", written=True),
            VariableState("big", "ndarray", None, opaque="over budget", mutated=True),
            VariableState("gone", "int", None, deleted=True),
        ),
        notes=("star import",),
    )
    with RunStore(tmp_path / "runs.sqlite") as store:
        store.begin_run(run)
        store.set_environment(run.run_id, capture_environment(tmp_path))
        store.add_execution(execution)
        store.end_run(run.run_id, 1716000002.0)
        record: dict[str, Any] = store.run_record(run.run_id, include_source=True)
    return json.loads(json.dumps(record))


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return recorded(tmp_path_factory.mktemp("store"))


def test_a_stored_run_record_validates(stored: dict[str, Any]) -> None:
    record = copy.deepcopy(stored)
    validate(record, "run")
    assert record["environment"]["python"]  # a real environment section was checked


def test_records_derived_from_a_notebook_validate() -> None:
    records, _ = records_from_notebook(nbformat.read(EXAMPLE, as_version=4))
    run = RunInfo(run_id="static", started_at=0.0, notebook_path=str(EXAMPLE))
    validate(json.loads(json.dumps(run_record(run, records, None))), "run")


def test_a_hand_made_minimal_record_validates() -> None:
    validate(
        {
            "schema": "jupyter_ext.run/1",
            "run_id": "r",
            "started_at": 0,
            "ended_at": None,
            "notebook": {"path": None, "content_hash": None},
            "kernel": None,
            "parameters": {},
            "environment": {},
            "executions": [],
        },
        "run",
    )


@pytest.mark.parametrize(
    "breakage",
    [
        lambda r: r.update(schema="jupyter_ext.run/2"),
        lambda r: r.pop("run_id"),
        lambda r: r["executions"][0].update(status="crashed"),
        lambda r: r["executions"][0].update(seq=0),
        lambda r: r["executions"][0].update(reads="load"),
        lambda r: r["executions"][0]["variables"][0].pop("digest"),
        lambda r: r["environment"].update(env={"HOME": 1}),
        lambda r: r["notebook"].pop("content_hash"),
    ],
)
def test_broken_run_records_are_rejected(stored: dict[str, Any], breakage: Any) -> None:
    record = copy.deepcopy(stored)
    breakage(record)
    with pytest.raises(jsonschema.ValidationError):
        validate(record, "run")


def test_schemas_are_valid_draft_2020_12() -> None:
    for name in SCHEMAS:
        jsonschema.Draft202012Validator.check_schema(load_schema(name))
    with pytest.raises(ValueError, match="unknown schema"):
        load_schema("nope")
