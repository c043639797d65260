"""``jupyter-ext diff`` on real runs: from the store and from output notebooks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_cli import cli, write_notebook

pytestmark = pytest.mark.integration


def test_diff_names_the_cell_and_value_that_diverged(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        "import random",
        "stable = [1, 2, 3]",
        "noisy = random.random()\nprint(noisy)",
    )
    outs = []
    for i in range(2):
        out = tmp_path / f"out{i}.ipynb"
        result = cli("run", str(nb), "-o", str(out), "--json", store=store, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        outs.append((out, json.loads(result.stdout)["run_id"]))
    (out_a, run_a), (out_b, run_b) = outs

    by_id = cli("diff", run_a, run_b, "--json", store=store, cwd=tmp_path)
    assert by_id.returncode == 1
    diff = json.loads(by_id.stdout)
    assert diff["first_divergence"]["cell"] == "cell:cell-2"
    assert list(diff["first_divergence"]["values"]) == ["noisy"]
    assert diff["outputs"] is None

    by_file = cli("diff", str(out_a), str(out_b), store=store, cwd=tmp_path)
    assert by_file.returncode == 1
    assert "`noisy`" in by_file.stdout
    assert "outputs differ in cells: cell-2" in by_file.stdout

    same = cli("diff", str(out_a), str(out_a), store=store, cwd=tmp_path)
    assert same.returncode == 0 and "no differences" in same.stdout


def test_diff_rejects_a_notebook_without_a_record(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "plain.ipynb", "x = 1")
    result = cli("diff", str(nb), str(nb), store=tmp_path / "s.sqlite", cwd=tmp_path)
    assert result.returncode == 2
    assert "carries no run record" in result.stderr
