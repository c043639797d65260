"""Property-based fuzzing of the static checker: no crash, no hang, one clear error.

Three kinds of input, drawn by hypothesis: notebooks nbformat itself validates (random
cells, sources full of awkward code, counts, outputs, metadata), arbitrary JSON
documents, and real notebooks with their bytes mutated. For every file the checker must
return within a time bound either findings (each a well-formed finding with a known
code) or exactly one error line naming the problem; a valid notebook must be judged,
never refused; and the command line must answer with one line per bad file, naming
it, and exit code 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_ext.bridge.static import ALL_CODES, CheckResult, check_notebook
from jupyter_ext.cli.main import main

from .bounds import time_bound
from .notebook_strategies import json_documents, mutated_notebooks, valid_notebooks

SECONDS_PER_FILE = 10
EXAMPLES = int(os.environ.get("JX_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
)


def check_bytes(tmp: Path, data: bytes) -> CheckResult:
    path = tmp / "fuzzed.ipynb"
    path.write_bytes(data)
    with time_bound(SECONDS_PER_FILE):
        result = check_notebook(path)
    assert_well_formed(result, str(path))
    return result


def assert_well_formed(result: CheckResult, path: str) -> None:
    assert result.path == path
    if result.error is not None:
        assert result.findings == ()
        assert result.error.strip() and "\n" not in result.error, repr(result.error)
        assert "internal error" not in result.error, result.error  # a bug, not bad input
        return
    for finding in result.findings:
        assert finding["code"] in ALL_CODES
        assert {"kind", "code", "severity", "cell_id", "names", "message"} <= finding.keys()
        assert isinstance(finding["message"], str) and finding["message"]
        json.dumps(finding)  # reports are JSON: every finding must serialise


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(nb=valid_notebooks())
def test_valid_notebooks_are_judged(scratch: Path, nb: dict[str, Any]) -> None:
    result = check_bytes(scratch, json.dumps(nb).encode())
    assert result.error is None, result.error


@FUZZ
@given(data=json_documents())
def test_arbitrary_json_gets_findings_or_one_error(scratch: Path, data: bytes) -> None:
    check_bytes(scratch, data)


@FUZZ
@given(data=mutated_notebooks())
def test_mutated_notebooks_get_findings_or_one_error(scratch: Path, data: bytes) -> None:
    check_bytes(scratch, data)


@settings(max_examples=max(10, EXAMPLES // 5), deadline=None)
@given(data=st.one_of(mutated_notebooks(), json_documents(), st.binary(max_size=2000)))
def test_command_line_reports_one_line_per_bad_file(scratch: Path, data: bytes) -> None:
    path = scratch / "cli.ipynb"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), time_bound(30):
        code = main(["check", str(path), "--format", "json"])
    assert code in (0, 1, 2)
    errors = [line for line in err.getvalue().splitlines() if line.strip()]
    report = json.loads(out.getvalue())  # the machine report is always valid JSON
    assert report is not None
    if code == 2:
        assert len(errors) == 1 and str(path) in errors[0], errors
    else:
        assert errors == [], errors


def test_command_line_on_a_directory_of_broken_notebooks(tmp_path: Path) -> None:
    """What a user sees running ``jupyter-ext check`` on a folder of damaged files."""
    drawn: list[bytes] = []

    @settings(max_examples=60, deadline=None, database=None)
    @given(data=st.one_of(mutated_notebooks(), json_documents(), st.binary(max_size=500)))
    def collect(data: bytes) -> None:
        drawn.append(data)

    collect()
    for i, data in enumerate(drawn):
        (tmp_path / f"nb{i:03d}.ipynb").write_bytes(data)
    bad = {str(p) for p in tmp_path.glob("*.ipynb") if check_notebook(p).error is not None}
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_ext.cli.main", "check", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode == 2 if bad else done.returncode in (0, 1)
    # The text report gives each unreadable file one line: "PATH: error: WHY".
    errors = [line for line in done.stdout.splitlines() if ": error: " in line]
    assert len(errors) == len(bad)
    assert {line.split(": error: ")[0] for line in errors} == bad
    assert f"{len(bad)} files could not be read" in done.stdout or len(bad) < 2
