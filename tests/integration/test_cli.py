"""The ``jupyter-ext`` command as a user runs it: a subprocess, real kernels, real store."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from .commands import code_notebook as write_notebook
from .commands import jupyter_ext as cli

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "messy_analysis.ipynb"


def test_run_records_cell_ids_and_writes_the_record_into_the_output(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    nb = write_notebook(tmp_path / "nb.ipynb", "xs = [1, 2]", "xs.append(3)", "total = sum(xs)")
    out = tmp_path / "out.ipynb"
    result = cli("run", str(nb), "-o", str(out), store=store, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "without encryption" not in result.stderr + result.stdout
    executed = nbformat.read(out, as_version=4)
    record = executed.metadata["jupyter_ext"]
    assert record["schema"] == "jupyter_ext.run/1"
    assert [e["cell_id"] for e in record["executions"]] == ["cell-0", "cell-1", "cell-2"]
    assert record["executions"][1]["mutated"] == ["xs"]
    assert "source" not in record["executions"][0]  # exports carry hashes, not code
    assert record["notebook"]["path"] == str(nb.resolve())
    assert record["run_id"] in result.stdout and str(store) in result.stdout

    listed = cli("runs", "--json", store=store, cwd=tmp_path)
    assert json.loads(listed.stdout)[0]["run_id"] == record["run_id"]
    shown = cli("show", "latest", "--json", store=store, cwd=tmp_path)
    assert json.loads(shown.stdout)["executions"] == record["executions"]
    text = cli("show", record["run_id"][:14], store=store, cwd=tmp_path)
    assert text.returncode == 0 and "cell-1" in text.stdout


def test_failing_notebook_exits_1_and_keeps_the_record(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    nb = write_notebook(tmp_path / "bad.ipynb", "a = 1", "1 / 0", "never = True")
    result = cli("run", str(nb), "--json", store=store, cwd=tmp_path)
    assert result.returncode == 1
    assert "ZeroDivisionError" in result.stderr
    record = json.loads(result.stdout)
    statuses = [(e["cell_id"], e["status"], e["error_type"]) for e in record["executions"]]
    assert statuses == [("cell-0", "ok", None), ("cell-1", "error", "ZeroDivisionError")]


@pytest.mark.parametrize(
    "args,message",
    [
        (["run", "missing.ipynb"], "no such notebook"),
        (["run", "garbage.ipynb"], "not a readable notebook"),
        (["show", "no-such-run"], "no run id"),
        (["runs", "--limit", "x"], "invalid int value"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    store = tmp_path / "runs.sqlite"
    (tmp_path / "garbage.ipynb").write_text("{not json")
    if args[0] == "show":
        write_notebook(tmp_path / "ok.ipynb", "x = 1")
        assert cli("run", "ok.ipynb", store=store, cwd=tmp_path).returncode == 0
    result = cli(*args, store=store, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_replays_the_example_in_recorded_order(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    result = cli("demo", str(EXAMPLE), "--json", store=store, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    nb = nbformat.read(EXAMPLE, as_version=4)
    by_count = sorted((c["execution_count"], c["id"]) for c in nb.cells if c.get("execution_count"))
    assert [e["cell_id"] for e in record["executions"]] == [cid for _, cid in by_count]
    outlier = next(e for e in record["executions"] if e["cell_id"] == "add-outlier")
    assert outlier["mutated"] == ["prices"]


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = cli("--help", store=tmp_path / "s.sqlite", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("run", "demo", "runs", "show"):
        assert command in result.stdout
    assert "Exit codes" in result.stdout


def test_demo_shows_the_live_warnings_of_the_messy_notebook(tmp_path: Path) -> None:
    result = cli("demo", str(EXAMPLE), store=tmp_path / "runs.sqlite", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stdout.splitlines() if line.strip().startswith("JX")]
    assert len(warnings) == 2
    stale, order = warnings
    assert "stale" in stale and "filter-expensive" in stale
    assert "`prices`" in stale and "[5]" in stale and "`threshold`" in stale and "[7]" in stale
    assert "out_of_order" in order and "[3]" in order
