"""``jupyter-ext to-module`` end to end: real kernels record the notebook, and the
generated test files run under pytest in a subprocess, as a user (or CI) runs them."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "clean_pipeline.ipynb"
REAL_WORLD = ROOT / "tests" / "data" / "real_world"


def to_module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jupyter_ext.cli.main", "to-module", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ, JUPYTER_EXT_STORE=str(cwd / "runs.sqlite")),
        timeout=600,
    )


def run_pytest(test_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file.name],
        capture_output=True,
        text=True,
        cwd=test_file.parent,
        timeout=600,
    )


def constants(test_file: Path) -> dict[str, object]:
    """The literal constants the generated test file embeds (EXPECTED, RETURNED, ...)."""
    found: dict[str, object] = {}
    for node in ast.parse(test_file.read_text()).body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            target = node.targets[0]
        if isinstance(target, ast.Name) and node.value is not None:  # type: ignore[union-attr]
            try:
                found[target.id] = ast.literal_eval(node.value)  # type: ignore[union-attr]
            except ValueError:
                continue
    return found


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example pipeline converted once: module and test under ``pipeline/``."""
    work = tmp_path_factory.mktemp("clean")
    shutil.copy(EXAMPLE, work / EXAMPLE.name)
    done = to_module(EXAMPLE.name, "-o", "pipeline/clean_module.py", cwd=work)
    assert done.returncode == 0, done.stderr
    assert "wrote pipeline/test_clean_module.py: 5 value digests" in done.stdout
    return work


def test_example_pipeline_generated_test_passes(clean: Path) -> None:
    test_file = clean / "pipeline" / "test_clean_module.py"
    found = constants(test_file)
    assert set(found["EXPECTED"]) == {"rng", "rows", "sales", "summary", "report"}  # type: ignore[arg-type]
    text = test_file.read_text()
    assert "#   buffer: opaque (open file)" in text  # listed, not compared
    assert "#   writer: opaque" in text
    done = run_pytest(test_file)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 passed" in done.stdout
    assert (clean / "clean_pipeline.py").read_text().startswith("# ---\n# jupyter:")


def test_changed_module_fails_naming_the_variable(clean: Path, tmp_path: Path) -> None:
    copy = tmp_path / "pipeline"
    shutil.copytree(clean / "pipeline", copy)
    shutil.copy(clean / EXAMPLE.name, tmp_path / EXAMPLE.name)
    module = copy / "clean_module.py"
    text = module.read_text()
    assert "seed: int = 42," in text
    module.write_text(text.replace("seed: int = 42,", "seed: int = 43,"))
    done = run_pytest(copy / "test_clean_module.py")
    assert done.returncode == 1, done.stdout
    assert "`rows` differs from the notebook's value in run" in done.stdout
    assert "`report` differs from the notebook's value in run" in done.stdout
    assert "5 failed, 1 passed" in done.stdout  # every value depends on the seed


def test_real_world_notebook_round_trips(tmp_path: Path) -> None:
    for path in REAL_WORLD.iterdir():
        shutil.copy(path, tmp_path / path.name)
    done = to_module("bike_demand.ipynb", "-o", "bike_module.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "cell 10: kept in run: `def plot_daily(frame):`: reads `plt`, `rolling`" in done.stdout
    test_file = tmp_path / "test_bike_module.py"
    found = constants(test_file)
    # every returned value is compared: none opaque, none differing between runs
    assert set(found["EXPECTED"]) == set(found["RETURNED"])  # type: ignore[arg-type]
    assert {"trips", "daily", "warm", "slope", "summary"} <= set(found["RETURNED"])  # type: ignore[arg-type]
    assert "not compared" not in test_file.read_text()
    done = run_pytest(test_file)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(found['EXPECTED']) + 1} passed" in done.stdout  # type: ignore[arg-type]
    # a changed module-level constant: the values computed from it are named
    module = tmp_path / "bike_module.py"
    text = module.read_text()
    assert "PEAK_HOURS = (7, 8, 9, 16, 17, 18)" in text
    module.write_text(text.replace("PEAK_HOURS = (7, 8, 9, 16, 17, 18)", "PEAK_HOURS = (8, 17)"))
    done = run_pytest(test_file)
    assert done.returncode == 1, done.stdout
    assert "`peak_share` differs from the notebook's value" in done.stdout
    assert "test_value_matches_notebook[daily] PASSED" not in done.stdout
    failed = {line.split("[")[1].split("]")[0] for line in done.stdout.splitlines()
              if line.startswith("FAILED")}  # fmt: skip
    assert failed == {"peak_share", "summary", "trips"}


def test_parameters_and_testbook(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    args = [EXAMPLE.name, "-o", "small.py", "-p", "months", "3", "--testbook", "--runs", "1"]
    done = to_module(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    test_file = tmp_path / "test_small.py"
    assert constants(test_file)["PARAMETERS"] == {"months": 3}
    done = run_pytest(test_file)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "7 passed" in done.stdout  # 5 values, the returned names, testbook


def test_values_that_differ_between_runs_are_listed_not_compared(tmp_path: Path) -> None:
    nb = new_notebook(
        cells=[
            new_code_cell("import random\nimport time"),
            new_code_cell("draw = random.random()\nstamp = time.time()\nfixed = [1, 2, 3]"),
            # names bound only on paths the run did not take: returned when bound
            new_code_cell("for step in []:\n    pass\nif draw > 2:\n    never = 1"),
        ]
    )
    nbformat.write(nb, tmp_path / "noisy.ipynb")
    done = to_module("noisy.ipynb", "-o", "noisy_mod.py", "--no-pair", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    test_file = tmp_path / "test_noisy_mod.py"
    assert constants(test_file)["EXPECTED"].keys() == {"fixed"}  # type: ignore[attr-defined]
    text = test_file.read_text()
    assert "#   draw: differs between two runs of the notebook" in text
    assert "#   stamp: differs between two runs of the notebook" in text
    assert constants(test_file)["RETURNED"] == ("draw", "stamp", "fixed")
    assert "#   never: no digest recorded in the notebook run" in text
    done = run_pytest(test_file)
    assert done.returncode == 0, done.stdout + done.stderr


def test_failing_notebook_writes_the_module_but_no_test(tmp_path: Path) -> None:
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("y = x / 0")])
    nbformat.write(nb, tmp_path / "broken.ipynb")
    done = to_module("broken.ipynb", "-o", "broken_mod.py", "--no-pair", cwd=tmp_path)
    assert done.returncode == 1
    assert "no test written: broken.ipynb: the recorded run failed" in done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "broken_mod.py").exists()
    assert not (tmp_path / "test_broken_mod.py").exists()


def test_messy_example_reports_out_of_order_and_its_module_matches_document_order(
    tmp_path: Path,
) -> None:
    messy = ROOT / "examples" / "messy_analysis.ipynb"
    shutil.copy(messy, tmp_path / messy.name)
    done = to_module(messy.name, "-o", "messy.py", "--runs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "cell 5: out of order: the saved run read `threshold` from a cell below" in done.stdout
    # the module follows document order, and so does the recorded run it is checked against
    done = run_pytest(tmp_path / "test_messy.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 passed" in done.stdout  # rng, prices, threshold, expensive, summary
