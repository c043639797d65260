"""``pytest --jx``: notebooks as tests, run as a user runs them (a pytest subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from .commands import code_notebook

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


write_notebook = partial(code_notebook, id_prefix="c")


def pytest_run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, JUPYTER_EXT_STORE=str(cwd / "runs.sqlite"))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(folder / "good.ipynb", "a = 2", "b = a * 21")
    write_notebook(folder / "bad.ipynb", "a = 2", "b = {}['missing']", "c = 3")
    return folder


def test_passing_and_failing_notebooks(notebooks: Path) -> None:
    done = pytest_run("--jx", "notebooks", "-rf", cwd=notebooks.parent)
    assert done.returncode == 1, done.stdout
    assert "1 failed, 1 passed" in done.stdout
    assert "cell 2 (id c1) raised KeyError: 'missing'" in done.stdout
    assert "b = {}['missing']" in done.stdout  # the failing line, from the cell's traceback
    assert "pytest_plugin.py" not in done.stdout  # no traceback of the plugin itself
    assert "without encryption" not in done.stdout


def test_without_jx_nothing_is_collected(notebooks: Path) -> None:
    done = pytest_run("notebooks", cwd=notebooks.parent)
    assert done.returncode == 5, done.stdout  # "no tests ran"


def test_findings_fail_at_the_chosen_level(tmp_path: Path) -> None:
    write_notebook(tmp_path / "paths.ipynb", "data = '/home/someone/data.csv'")
    failing = pytest_run("--jx", "paths.ipynb", cwd=tmp_path)
    assert failing.returncode == 1 and "JX206" in failing.stdout, failing.stdout
    assert pytest_run("--jx", "paths.ipynb", "--jx-fail-on", "error", cwd=tmp_path).returncode == 0
    ignored = pytest_run("--jx", "paths.ipynb", "--jx-ignore", "JX206", cwd=tmp_path)
    assert ignored.returncode == 0, ignored.stdout


def test_lock_mismatch_names_the_variable(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", "n = 3", "xs = list(range(n))")
    locked = subprocess.run(
        [sys.executable, "-m", "jupyter_ext.cli.main", "lock", str(nb)],
        capture_output=True,
        text=True,
        env=dict(os.environ, JUPYTER_EXT_STORE=str(tmp_path / "runs.sqlite")),
        timeout=300,
    )
    assert locked.returncode == 0, locked.stderr
    assert pytest_run("--jx", "nb.ipynb", cwd=tmp_path).returncode == 0
    write_notebook(tmp_path / "nb.ipynb", "n = 3", "xs = list(range(n + 1))")
    done = pytest_run("--jx", "nb.ipynb", cwd=tmp_path)
    assert done.returncode == 1
    assert "lock mismatch: cell 2 (id c1): variable `xs` differs" in done.stdout


def test_runs_in_parallel_with_xdist(notebooks: Path) -> None:
    write_notebook(notebooks / "third.ipynb", "z = 1")
    done = pytest_run("--jx", "notebooks", "-n", "2", cwd=notebooks.parent)
    assert "1 failed, 2 passed" in done.stdout, done.stdout
    assert "raised KeyError" in done.stdout


def test_the_clean_example_passes(tmp_path: Path) -> None:
    done = pytest_run("--jx", str(EXAMPLES / "clean_pipeline.ipynb"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    assert "1 passed" in done.stdout
