"""Notebooks saved before cells had ids (nbformat 4.4), as most public notebooks are:
every command names a cell alike, and two runs compare cell by cell.

``tests/data/nbformat44/arrays.ipynb`` is shaped like the chapters of the Python Data
Science Handbook: no cell ids, saved outputs, a seeded generator, the same expression
shown in two cells, and a Markdown pairing in its jupytext metadata.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from jupyter_ext.bridge.static_notebook import load_notebook, notebook_cells

from .commands import jupyter_ext as cli

pytestmark = pytest.mark.integration

ARRAYS = Path(__file__).resolve().parents[1] / "data" / "nbformat44" / "arrays.ipynb"


def _run(nb: Path, out: Path, store: Path) -> dict[str, object]:
    done = cli("run", str(nb), "-o", str(out), "--json", store=store, cwd=nb.parent)
    assert done.returncode == 0, done.stderr
    record: dict[str, object] = json.loads(done.stdout)
    return record


def test_runs_of_an_old_notebook_record_the_ids_check_shows_and_diff_pairs_them(
    tmp_path: Path,
) -> None:
    nb = Path(shutil.copy(ARRAYS, tmp_path / "arrays.ipynb"))
    store = tmp_path / "runs.sqlite"
    static = {c.index: c.id for c in notebook_cells(load_notebook(nb))}
    first = _run(nb, tmp_path / "out1.ipynb", store)
    second = _run(nb, tmp_path / "out2.ipynb", store)
    ran = [e["cell_id"] for e in first["executions"]]  # type: ignore[union-attr, index]
    code = [static[i] for i, c in enumerate(nbformat.read(nb, as_version=4).cells)
            if c.cell_type == "code"]  # fmt: skip
    assert ran == code and len(set(ran)) == len(ran)  # the two `x1` cells differ
    assert [e["cell_id"] for e in second["executions"]] == ran  # type: ignore[union-attr, index]
    checked = cli("check", str(nb), "--format", "json", cwd=tmp_path)
    found = json.loads(checked.stdout)["files"][0]["findings"]
    assert found and {f["cell_id"] for f in found} <= set(code)

    same = cli("diff", str(tmp_path / "out1.ipynb"), str(tmp_path / "out2.ipynb"), cwd=tmp_path)
    assert same.returncode == 0, same.stdout
    assert "only in run" not in same.stdout and "no differences" in same.stdout

    # another seed: the first cell whose values differ is the one that draws them
    doc = json.loads(nb.read_text())
    seeded = next(c for c in doc["cells"] if "seed=1701" in "".join(c["source"]))
    seeded["source"] = [line.replace("1701", "42") for line in seeded["source"]]
    nb.write_text(json.dumps(doc))
    third = _run(nb, tmp_path / "out3.ipynb", store)
    diff = cli(
        "diff", str(first["run_id"]), str(third["run_id"]), "--json", store=store, cwd=tmp_path
    )
    assert diff.returncode == 1
    report = json.loads(diff.stdout)
    assert not any("only_in" in c for c in report["cells"]), report["cells"]
    divergence = report["first_divergence"]
    assert divergence["cell"] == f"cell:{code[0]}"
    assert divergence["source_changed"] and divergence["paired_by"] == "position"
    assert set(divergence["values"]) >= {"x1", "x2"}


def test_pytest_names_a_failing_cell_of_an_old_notebook_by_the_id_check_uses(
    tmp_path: Path,
) -> None:
    doc = json.loads(ARRAYS.read_text())
    doc["cells"].insert(
        -1,
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
         "source": ["x1[100]"]},
    )  # fmt: skip
    nb = tmp_path / "broken.ipynb"
    nb.write_text(json.dumps(doc))
    expected = notebook_cells(load_notebook(nb))[-2].id
    checked = cli("check", str(nb), "--format", "json", cwd=tmp_path)
    findings = json.loads(checked.stdout)["files"][0]["findings"]
    assert ("JX204", expected) in {(f["code"], f["cell_id"]) for f in findings}  # never run
    from .test_pytest_plugin import pytest_run

    done = pytest_run("--jx", "broken.ipynb", "--jx-fail-on", "error", cwd=tmp_path)
    assert done.returncode == 1, done.stdout
    assert f"cell {len(doc['cells']) - 1} (id {expected}) raised IndexError" in done.stdout
