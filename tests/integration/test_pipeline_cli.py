"""``to-pipeline`` and ``pipeline run`` as a user runs them: the CLI on real notebooks and
real kernels, with the data lineage recorded by the kernel deciding inputs and outputs.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml

from jupyter_ext.pipeline.typed_params import declared_parameters
from jupyter_ext.schemas import validate

from .commands import code_notebook
from .commands import jupyter_ext as cli

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


write_notebook = partial(code_notebook, id_prefix=None, parameters=True, language=True)


def write_spec(path: Path, steps: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"schema": "jupyter_ext.pipeline/1", "steps": steps}))
    return path


def statuses(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """``step: status (...)`` lines -> {step: status}, the final line of each step."""
    found = {}
    for line in done.stdout.splitlines():
        name, sep, rest = line.partition(": ")
        if sep and " (" in rest and not line.startswith(" "):
            status = rest.split(" (", 1)[0]
            if status != "running":
                found[name] = status
    return found


def run_count(store: Path) -> int:
    with sqlite3.connect(store) as db:
        count: int = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    return count


def test_example_notebooks_convert_run_and_then_skip(tmp_path: Path) -> None:
    for item in (EXAMPLES / "pipeline").iterdir():
        shutil.copy(item, tmp_path / item.name)
    done = cli("to-pipeline", "make_data.ipynb", "clean.ipynb", "report.ipynb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "`days` (int, 30) → parameter: read by cell 4" in done.stdout
    assert "`max_celsius` (float, 30.0) → parameter: read by cell 3" in done.stdout
    spec = yaml.safe_load((tmp_path / "pipeline.yaml").read_text())
    validate(spec, "pipeline")
    steps = {s["name"]: s for s in spec["steps"]}
    assert steps["make_data"]["inputs"] == ["stations.csv"]
    assert steps["make_data"]["outputs"] == ["data/raw.csv"]
    assert steps["clean"]["inputs"] == ["data/raw.csv"]
    assert steps["clean"]["outputs"] == ["data/clean.csv"]
    assert steps["report"]["inputs"] == ["data/clean.csv"]
    assert steps["report"]["outputs"] == ["report.md"]
    assert steps["clean"]["parameters"] == {"max_celsius": 30.0}
    clean = nbformat.read(tmp_path / "clean.ipynb", as_version=4)
    assert set(declared_parameters(clean)) == {"max_celsius"}
    ids = [c.id for c in clean.cells]
    assert ids[:1] + ids[2:] == ["clean-0", "clean-1", "clean-2", "clean-3"]  # ids kept
    assert clean.cells[1].source == "max_celsius = 30.0"
    assert clean.cells[2].source == "import csv"

    first = cli("pipeline", "run", "pipeline.yaml", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert statuses(first) == {"make_data": "ran", "clean": "ran", "report": "ran"}
    assert "mean" in (tmp_path / "report.md").read_text()
    executed = nbformat.read(tmp_path / "pipeline-runs" / "clean.ipynb", as_version=4)
    assert executed.metadata["jupyter_ext"]["parameters"] == {"max_celsius": 30.0}
    runs = run_count(tmp_path / "runs.sqlite")

    again = cli("pipeline", "run", "pipeline.yaml", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert statuses(again) == {"make_data": "skipped", "clean": "skipped", "report": "skipped"}
    assert "unchanged since run" in again.stdout
    assert run_count(tmp_path / "runs.sqlite") == runs  # no kernel started
    probe = (
        "import sys\nfrom jupyter_ext.cli.main import main\n"
        "code = main(['pipeline', 'run', 'pipeline.yaml'])\n"
        "print(code, sorted(m for m in ('papermill', 'nbclient', 'jupyter_client', 'nbformat')"
        " if m in sys.modules))"
    )
    light = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert light.stdout.splitlines()[-1] == "0 []", light.stdout + light.stderr

    (tmp_path / "stations.csv").write_text("station\nnorth\nharbour\nairport\nridge\n")
    dry = cli("pipeline", "run", "pipeline.yaml", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "make_data: would run (reason: input changed: stations.csv)" in dry.stdout
    assert statuses(dry)["clean"] == "may run"
    assert run_count(tmp_path / "runs.sqlite") == runs


@pytest.mark.timeout(900)
def test_changes_rerun_exactly_the_steps_they_affect(tmp_path: Path) -> None:
    write_notebook(tmp_path / "write.ipynb", "n = 3", "open('raw.txt', 'w').write(str(n))")
    write_notebook(
        tmp_path / "transform.ipynb",
        "factor = 2",
        "value = int(open('raw.txt').read()) * factor\nopen('clean.txt', 'w').write(str(value))",
    )
    write_notebook(
        tmp_path / "report.ipynb",
        "label = 'total'",
        "text = open('template.txt').read().format(label=label, value=open('clean.txt').read())\n"
        "open('report.txt', 'w').write(text)",
    )
    (tmp_path / "template.txt").write_text("{label}: {value}\n")
    steps = [
        {"name": "write", "notebook": "write.ipynb", "parameters": {"n": 3},
         "outputs": ["raw.txt"]},
        {"name": "transform", "notebook": "transform.ipynb", "parameters": {"factor": 2},
         "inputs": ["raw.txt"], "outputs": ["clean.txt"]},
        {"name": "report", "notebook": "report.ipynb", "inputs": ["clean.txt", "template.txt"],
         "outputs": ["report.txt"]},
    ]  # fmt: skip
    spec = write_spec(tmp_path / "pipeline.yaml", steps)

    def run() -> dict[str, str]:
        done = cli("pipeline", "run", spec.name, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        return statuses(done)

    assert run() == {"write": "ran", "transform": "ran", "report": "ran"}
    assert (tmp_path / "report.txt").read_text() == "total: 6\n"

    steps[1]["parameters"] = {"factor": 5}  # a parameter: that step and what it feeds
    write_spec(spec, steps)
    done = cli("pipeline", "run", spec.name, cwd=tmp_path)
    assert "transform: ran (reason: parameters changed: factor 2→5;" in done.stdout
    assert statuses(done) == {"write": "skipped", "transform": "ran", "report": "ran"}
    assert (tmp_path / "report.txt").read_text() == "total: 15\n"

    (tmp_path / "report.txt").unlink()  # a deleted output: its producer only
    done = cli("pipeline", "run", spec.name, cwd=tmp_path)
    assert "report: ran (reason: output missing: report.txt;" in done.stdout
    assert statuses(done) == {"write": "skipped", "transform": "skipped", "report": "ran"}

    (tmp_path / "template.txt").write_text("{label} = {value}\n")  # an input: its readers
    assert run() == {"write": "skipped", "transform": "skipped", "report": "ran"}
    assert (tmp_path / "report.txt").read_text() == "total = 15\n"

    # The producer reruns and writes the same bytes: nothing downstream has to.
    (tmp_path / "raw.txt").unlink()
    assert run() == {"write": "ran", "transform": "skipped", "report": "skipped"}
    assert run() == {"write": "skipped", "transform": "skipped", "report": "skipped"}


def test_a_failing_step_stops_its_dependants_only(tmp_path: Path) -> None:
    write_notebook(tmp_path / "a.ipynb", "fail = True", "assert not fail\nopen('a.txt', 'w')")
    write_notebook(tmp_path / "b.ipynb", "x = 1", "open('a.txt').read()")
    write_notebook(tmp_path / "c.ipynb", "y = 1", "open('c.txt', 'w').write('c')")
    steps = [
        {"name": "a", "notebook": "a.ipynb", "outputs": ["a.txt"]},
        {"name": "b", "notebook": "b.ipynb", "inputs": ["a.txt"]},
        {"name": "c", "notebook": "c.ipynb", "outputs": ["c.txt"]},
    ]
    spec = write_spec(tmp_path / "pipeline.yaml", steps)
    done = cli("pipeline", "run", spec.name, cwd=tmp_path)
    assert done.returncode == 1
    assert statuses(done) == {"a": "failed", "b": "blocked", "c": "ran"}
    assert "AssertionError" in done.stdout
    state = json.loads((tmp_path / "pipeline.state.json").read_text())
    assert set(state["steps"]) == {"c"} and set(state["failures"]) == {"a"}

    steps[0]["parameters"] = {"fail": False}
    write_spec(spec, steps)
    done = cli("pipeline", "run", spec.name, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert statuses(done) == {"a": "ran", "b": "ran", "c": "skipped"}
    state = json.loads((tmp_path / "pipeline.state.json").read_text())
    assert set(state["steps"]) == {"a", "b", "c"} and state["failures"] == {}

    done = cli("pipeline", "run", spec.name, "--step", "c", "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert statuses(done) == {"c": "ran"}
    assert "c: ran (reason: --force;" in done.stdout


def test_step_selection_errors(tmp_path: Path) -> None:
    write_notebook(tmp_path / "a.ipynb", "n = 1", "open('a.txt', 'w')")
    write_notebook(tmp_path / "b.ipynb", "m = 1", "open('a.txt').read()")
    steps = [
        {"name": "a", "notebook": "a.ipynb", "outputs": ["a.txt"]},
        {"name": "b", "notebook": "b.ipynb", "inputs": ["a.txt"]},
    ]
    write_spec(tmp_path / "pipeline.yaml", steps)
    done = cli("pipeline", "run", "pipeline.yaml", "--step", "nope", cwd=tmp_path)
    assert done.returncode == 2 and "no step named 'nope' (steps: a, b)" in done.stderr
    done = cli("pipeline", "run", "pipeline.yaml", "--step", "b", cwd=tmp_path)
    assert done.returncode == 2
    assert "step 'b' reads a.txt, which does not exist; step 'a' writes it" in done.stderr
    (tmp_path / "pipeline.state.json").write_text("{broken")
    done = cli("pipeline", "run", "pipeline.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "delete it to rerun every step" in done.stderr
    assert not (tmp_path / "runs.sqlite").exists()


def test_clean_example_keeps_its_parameters_cell(tmp_path: Path) -> None:
    nb = tmp_path / "clean_pipeline.ipynb"
    shutil.copy(EXAMPLES / "clean_pipeline.ipynb", nb)
    before = nb.read_bytes()
    done = cli("to-pipeline", nb.name, "-o", "sales.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "cell 3 is already tagged 'parameters'; notebook left unchanged" in done.stdout
    assert nb.read_bytes() == before
    spec = yaml.safe_load((tmp_path / "sales.yaml").read_text())
    assert spec["steps"] == [
        {
            "name": "clean_pipeline",
            "notebook": "clean_pipeline.ipynb",
            "parameters": {"region": "north", "months": 6, "seed": 42},
            "inputs": [],
            "outputs": [],
        }
    ]
    done = cli("pipeline", "run", "sales.yaml", "--dry-run", cwd=tmp_path)
    assert "clean_pipeline: would run (reason: no successful run recorded)" in done.stdout


def bad_spec(tmp_path: Path, steps: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    write_spec(tmp_path / "pipeline.yaml", steps)
    return cli("pipeline", "run", "pipeline.yaml", cwd=tmp_path)


@pytest.mark.parametrize(
    ("steps", "words"),
    [
        ([{"name": "a", "notebook": "a.ipynb", "inputs": ["gone.csv"]}],
         "step 'a' reads gone.csv, which does not exist and no step writes it"),
        ([{"name": "a", "notebook": "a.ipynb", "parameters": {"m": 1}}],
         "unknown parameter 'm' (declared: n)"),
        ([{"name": "a", "notebook": "a.ipynb", "parameters": {"n": "many"}}],
         "parameter 'n' expects an int"),
        ([{"name": "p", "notebook": "plain.ipynb", "parameters": {"n": 1}}],
         "jupyter-ext to-pipeline plain.ipynb"),
        ([{"name": "a", "notebook": "missing.ipynb"}], "notebook missing.ipynb does not exist"),
        ([{"name": "a", "notebook": "a.ipynb", "inputs": ["x"], "outputs": ["y"]},
          {"name": "b", "notebook": "a.ipynb", "inputs": ["y"], "outputs": ["x"]}], "cycle"),
        ([{"name": "a", "notebook": "a.ipynb", "colour": "red"}], "colour"),
    ],
)  # fmt: skip
def test_bad_specs_exit_2_before_any_kernel(
    tmp_path: Path, steps: list[dict[str, Any]], words: str
) -> None:
    write_notebook(tmp_path / "a.ipynb", "n = 1", "print(n)")
    write_notebook(tmp_path / "plain.ipynb", "n = 1", parameters=False)
    done = bad_spec(tmp_path, steps)
    assert done.returncode == 2, done.stdout + done.stderr
    assert words in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "runs.sqlite").exists()
    assert not (tmp_path / "pipeline.state.json").exists()


def test_to_pipeline_input_errors_write_nothing(tmp_path: Path) -> None:
    good = write_notebook(tmp_path / "good.ipynb", "k = 1", "print(k)", parameters=False)
    bad = write_notebook(tmp_path / "bad.ipynb", "n = 3", "n = 'x'", "print(n)", parameters=False)
    before = good.read_bytes(), bad.read_bytes()
    done = cli("to-pipeline", "good.ipynb", "bad.ipynb", cwd=tmp_path)
    assert done.returncode == 2
    assert "bad.ipynb: conflicting types for parameter 'n'" in done.stderr
    assert (good.read_bytes(), bad.read_bytes()) == before  # the good one is untouched too
    assert not (tmp_path / "pipeline.yaml").exists()

    (tmp_path / "pipeline.yaml").write_text("mine")
    done = cli("to-pipeline", "good.ipynb", cwd=tmp_path)
    assert done.returncode == 2 and "pass --force" in done.stderr
    assert (tmp_path / "pipeline.yaml").read_text() == "mine"

    done = cli("to-pipeline", "good.ipynb", "--dry-run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "`k` (int, 1) → parameter: read by cell 2" in done.stdout
    assert good.read_bytes() == before[0] and not (tmp_path / "runs.sqlite").exists()


def test_run_rejects_a_parameter_of_the_wrong_type_before_a_kernel_starts(tmp_path: Path) -> None:
    write_notebook(tmp_path / "nb.ipynb", "rate: float = 0.5", "print(rate)")
    done = cli("run", "nb.ipynb", "-p", "rate", "fast", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "jupyter-ext: nb.ipynb: parameter 'rate' expects a float "
        "(declared `rate: float = 0.5`), got 'fast'"
    )
    assert not (tmp_path / "runs.sqlite").exists()


def test_a_failing_recording_run_writes_no_spec(tmp_path: Path) -> None:
    write_notebook(tmp_path / "a.ipynb", "fail = True", "assert not fail, 'fail is set'")
    done = cli("to-pipeline", "a.ipynb", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "jupyter-ext: a.ipynb: the recording run failed (AssertionError: fail is set); fix the "
        "notebook (run `jupyter-ext run a.ipynb` to see it fail) or pass --no-run; no spec "
        "written"
    ]
    assert not (tmp_path / "pipeline.yaml").exists()

    done = cli("to-pipeline", "a.ipynb", "--kernel", "no-such-kernel", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "jupyter-ext: a.ipynb: no such kernel: no-such-kernel"
    ]
    assert not (tmp_path / "pipeline.yaml").exists()


def test_output_dir_and_notes_on_files_the_spec_does_not_list(tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "a.ipynb",
        "n = 1",
        "open('a.txt', 'w').write('a')\nopen('extra.txt', 'w').write('x')",
    )
    (tmp_path / "in.txt").write_text("i")
    write_notebook(tmp_path / "b.ipynb", "m = 1", "open('in.txt').read()")
    steps = [
        {"name": "a", "notebook": "a.ipynb", "outputs": ["a.txt"]},
        {"name": "b", "notebook": "b.ipynb"},
    ]
    spec = write_spec(tmp_path / "pipeline.yaml", steps)
    done = cli("pipeline", "run", spec.name, "--output-dir", "executed", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "  note: a wrote extra.txt, which is not among its outputs in the spec" in done.stdout
    assert "  note: b read in.txt, which is not among its inputs in the spec" in done.stdout
    assert "note: a wrote a.txt" not in done.stdout
    assert sorted(p.name for p in (tmp_path / "executed").iterdir()) == ["a.ipynb", "b.ipynb"]
    assert not (tmp_path / "pipeline-runs").exists()
