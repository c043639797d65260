"""``jupyter-ext check`` as a user runs it: a subprocess, real files, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_ext.schemas import validate

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data" / "check"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "messy_analysis.ipynb"


def check(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jupyter_ext.cli.main", "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ, **(env or {})),
        timeout=120,
    )


@pytest.fixture
def data(tmp_path: Path) -> Path:
    for name in ("clean.ipynb", "messy.ipynb"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def test_clean_notebook_exits_0(data: Path) -> None:
    result = check("clean.ipynb", cwd=data)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "0 findings in 1 notebook\n",
        "",
    )


def test_findings_exit_1_with_one_line_each(data: Path) -> None:
    result = check("messy.ipynb", "clean.ipynb", cwd=data)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "8 findings in 2 notebooks"
    assert "messy.ipynb:cell 5 [c4]: JX102 reads `limit` from cell [3]" in result.stdout
    assert "messy.ipynb:cell 6 [c5] line 2: JX206 hard-codes" in result.stdout
    codes = sorted(line.split(": ")[1].split()[0] for line in lines[:-1])
    assert codes == sorted(["JX201", "JX101", "JX102", "JX205", "JX206", "JX207", "JX201", "JX204"])


def test_bad_files_exit_2_and_the_others_are_still_checked(data: Path) -> None:
    (data / "binary.ipynb").write_bytes(b"\x00\x01\x02PK")
    (data / "truncated.ipynb").write_text('{"nbformat": 4, "cells": [')
    result = check(".", "missing.ipynb", cwd=data)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "binary.ipynb: error: binary file, not a notebook" in lines
    assert "missing.ipynb: error: no such file or directory" in lines
    assert any(
        line.startswith("truncated.ipynb: error: not valid JSON (truncated?)") for line in lines
    )
    assert any(line.startswith("messy.ipynb:") for line in lines)
    assert lines[-1] == "8 findings in 2 notebooks (3 files could not be read)"


def test_select_ignore_and_usage_errors(data: Path) -> None:
    only = check("messy.ipynb", "--select", "JX20", "--ignore", "JX205,JX207", cwd=data)
    assert only.returncode == 1
    found = {line.split(": ")[1].split()[0] for line in only.stdout.splitlines()[:-1]}
    assert found == {"JX201", "JX204", "JX206"}
    bad = check("messy.ipynb", "--select", "E501", cwd=data)
    assert bad.returncode == 2 and "unknown rule code 'E501'" in bad.stderr
    assert check(cwd=data).returncode == 2  # no path: argparse's usage error


def _severities(path: Path, *severities: str) -> Path:
    """A notebook whose findings have the given severities: ``info`` an import below the
    first cell (JX207), ``warning`` an absolute path (JX206), ``error`` a saved error
    (JX205)."""
    sources = {
        "info": "import math",
        "warning": "data = '/home/someone/data.csv'",
        "error": "1 / 0",
    }
    nb = new_notebook(cells=[new_code_cell("x = 1", execution_count=1)])
    for n, severity in enumerate(severities, start=2):
        cell = new_code_cell(sources[severity], execution_count=n)
        if severity == "error":
            error = {"ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": []}
            cell.outputs = [nbformat.v4.new_output("error", **error)]
        nb.cells.append(cell)
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "1"})]
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize(
    ("severities", "fail_on", "code"),
    [
        (["info"], None, 0),  # what pytest --jx passes, check passes
        (["info"], "info", 1),
        (["info", "warning"], None, 1),
        (["warning"], "error", 0),
        (["warning", "error"], "error", 1),
        (["warning", "error"], "none", 0),
        ([], "info", 0),
    ],
)
def test_exit_codes_follow_the_severities(
    tmp_path: Path, severities: list[str], fail_on: str | None, code: int
) -> None:
    _severities(tmp_path / "nb.ipynb", *severities)
    args = ["nb.ipynb", "--format", "json"] + (["--fail-on", fail_on] if fail_on else [])
    result = check(*args, cwd=tmp_path)
    assert result.returncode == code, result.stdout + result.stderr
    found = json.loads(result.stdout)["files"][0]["findings"]
    assert sorted(f["severity"] for f in found) == sorted(severities)  # all reported


def test_unreadable_files_exit_2_whatever_fail_on_says(data: Path) -> None:
    (data / "bad.ipynb").write_text("nope")
    assert check("bad.ipynb", "--fail-on", "none", cwd=data).returncode == 2
    assert check("clean.ipynb", "--fail-on", "fatal", cwd=data).returncode == 2


def test_help_states_the_exit_codes(data: Path) -> None:
    shown = " ".join(check("--help", cwd=data).stdout.split())
    assert "--fail-on {info,warning,error,none}" in shown
    assert "Exit codes: 0 no finding at or above --fail-on" in shown


def test_json_report_validates_and_names_errors(data: Path) -> None:
    (data / "bad.ipynb").write_text("nope")
    result = check(".", "--format", "json", cwd=data)
    assert result.returncode == 2
    document = json.loads(result.stdout)
    validate(document, "check")
    by_path = {f["path"]: f for f in document["files"]}
    assert by_path["bad.ipynb"]["error"].startswith("not valid JSON")
    assert by_path["clean.ipynb"] == {"path": "clean.ipynb", "findings": [], "error": None}
    assert "jupyter-ext: bad.ipynb: not valid JSON" in result.stderr


def test_github_and_junit_formats(data: Path) -> None:
    github = check("messy.ipynb", "--format", "github", cwd=data)
    assert github.returncode == 1
    assert "::error file=messy.ipynb,title=JX205 error_output::cell 6 [c5] line 2: " in (
        github.stdout
    )
    out = data / "report.xml"
    junit = check("messy.ipynb", "clean.ipynb", "--format", "junit", "-o", str(out), cwd=data)
    assert junit.returncode == 1 and junit.stdout == ""
    assert '<testsuite name="jupyter-ext check" tests="2" failures="1" errors="0">' in (
        out.read_text()
    )


def test_the_example_notebook_tells_the_demo_story(tmp_path: Path) -> None:
    result = check(str(EXAMPLE), "--select", "JX1", "--format", "json", cwd=tmp_path)
    findings = json.loads(result.stdout)["files"][0]["findings"]
    assert [(f["code"], f["cell_id"], f["names"]) for f in findings] == [
        ("JX101", "filter-expensive", ["prices", "threshold"]),
        ("JX102", "filter-expensive", ["threshold"]),
    ]


def test_an_executed_run_output_carries_a_valid_run_record_and_checks_clean(
    tmp_path: Path,
) -> None:
    nb = new_notebook()
    nb.cells = [new_code_cell("import math"), new_code_cell("r = math.sqrt(2)\nr")]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, tmp_path / "nb.ipynb")
    run = subprocess.run(
        [sys.executable, "-m", "jupyter_ext.cli.main", "run", "nb.ipynb", "-o", "out.ipynb"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ, JUPYTER_EXT_STORE=str(tmp_path / "runs.sqlite")),
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    record = json.loads((tmp_path / "out.ipynb").read_text())["metadata"]["jupyter_ext"]
    validate(record, "run")
    result = check("out.ipynb", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
