"""``lock`` and ``repro`` on real kernels, and the comparison they rest on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_ext.bridge.lockfile import CellDigests
from jupyter_ext.bridge.repro import compare

from .commands import jupyter_ext as cli

pytestmark = pytest.mark.integration


def write_notebook(path: Path, *sources: str, ids: bool = True) -> Path:
    nb = new_notebook()
    nb.cells = [new_code_cell(s) for s in sources]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    if ids:
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"c{i}"
    else:  # an nbformat 4.4 notebook: no ids at all
        nb.nbformat_minor = 4
        for cell in nb.cells:
            del cell["id"]
    path.write_text(json.dumps(nb, indent=1))
    return path


DETERMINISTIC = ("n = 3", "xs = [i * i for i in range(n)]", "total = sum(xs)")


def test_deterministic_notebook_reproduces_with_parameters(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "det.ipynb", *DETERMINISTIC)
    done = cli("repro", str(nb), "-p", "n", "5", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["reproducible"] and report["compared"] >= 4 and not report["divergences"]
    # The two runs gave their injected-parameters cells different ids: matched by tag.
    from jupyter_ext.store.sqlite import RunStore

    with RunStore(tmp_path / "runs.sqlite") as store:
        ids = [store.executions(run_id)[1].cell_id for run_id in report["runs"]]
    assert ids[0] != ids[1] and None not in ids


def test_unseeded_randomness_is_named(tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "rand.ipynb",
        "n = 3",
        "import random",
        "xs = [random.random() for _ in range(n)]",
        "total = sum(xs)",
    )
    done = cli("repro", str(nb), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "not reproducible" in done.stdout
    first = next(line for line in done.stdout.splitlines() if "first divergence" in line)
    assert "cell 3 (id c2)" in first and "`xs`" in first
    assert "unseeded randomness" in done.stdout


def test_seeded_randomness_reproduces(tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "seeded.ipynb", "n = 3", "import random\nrandom.seed(1)",
        "xs = [random.random() for _ in range(n)]",
    )  # fmt: skip
    done = cli("repro", str(nb), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_lock_then_changed_notebook_diverges(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", *DETERMINISTIC)
    locked = cli("lock", str(nb), "-p", "n", "4", cwd=tmp_path)
    assert locked.returncode == 0, locked.stderr
    lock = json.loads((tmp_path / "nb.lock.json").read_text())
    assert lock["parameters"] == {"n": 4}
    assert [c["key"] for c in lock["cells"]] == [
        "id:c0",
        "tag:injected-parameters",
        "id:c1",
        "id:c2",
    ]
    assert lock["environment"]["python"]

    same = cli("repro", str(nb), "--lock", "nb.lock.json", cwd=tmp_path)
    assert same.returncode == 0, same.stdout + same.stderr

    cubes = "xs = [i * i * i for i in range(n)]"
    write_notebook(tmp_path / "nb.ipynb", "n = 3", cubes, "total = sum(xs)")
    changed = cli("repro", str(nb), "--lock", "nb.lock.json", cwd=tmp_path)
    assert changed.returncode == 1
    assert "cell 3 (id c1): variable `xs` differs" in changed.stdout
    assert "source changed" in changed.stdout

    against = cli("repro", str(nb), "--against", lock["run_id"][:14], cwd=tmp_path)
    assert against.returncode == 1 and "`xs`" in against.stdout


def test_notebooks_without_ids_match_by_position(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "old.ipynb", *DETERMINISTIC, ids=False)
    assert cli("lock", str(nb), cwd=tmp_path).returncode == 0
    keys = [c["key"] for c in json.loads((tmp_path / "old.lock.json").read_text())["cells"]]
    assert keys == ["pos:0", "pos:1", "pos:2"]
    done = cli("repro", str(nb), "--lock", "old.lock.json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_repro_input_errors(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", *DETERMINISTIC)
    (tmp_path / "broken.json").write_text("{}")
    for args, words in [
        (["repro", str(nb), "--lock", "broken.json"], "not a jupyter_ext.lock/1"),
        (["repro", "missing.ipynb"], "no such notebook"),
    ]:
        done = cli(*args, cwd=tmp_path)
        assert done.returncode == 2 and words in done.stderr, done.stderr


def _cell(
    key: str, variables: dict[str, str | None], source: str = "", **kw: object
) -> CellDigests:
    return CellDigests(key, 0, "h", "ok", variables, source=source, **kw)  # type: ignore[arg-type]


def test_causes_time_environment_and_upstream() -> None:
    ref = [_cell("id:a", {"t": "1"}), _cell("id:b", {"y": "1"})]
    now = [
        _cell("id:a", {"t": "2"}, "import time\nt = time.time()", writes=("t",)),
        _cell("id:b", {"y": "2"}, "y = t * 2", reads=("t",), writes=("y",)),
    ]
    found = compare(ref, now, {"packages": {"numpy": "1.0"}}, {"packages": {"numpy": "2.0"}})
    assert [d.variable for d in found.divergences] == ["t", "y"]
    causes = found.divergences[1].causes
    assert causes[0].startswith("time: cell 1 (id a)")  # found upstream, through `t`
    assert "environment difference: numpy 1.0 -> 2.0" in causes


def test_opaque_values_are_counted_not_compared() -> None:
    found = compare([_cell("id:a", {"g": None, "x": "1"})], [_cell("id:a", {"g": "9", "x": "1"})])
    assert found.reproducible and (found.compared, found.opaque) == (1, 1)


def test_randomness_that_is_only_displayed_is_not_reproducible(tmp_path: Path) -> None:
    """`np.random.rand(n)` on a cell's last line assigns nothing: only its output tells."""
    nb = write_notebook(
        tmp_path / "shown.ipynb", "n = 3", "import numpy as np", "np.random.rand(n)", "n * 2"
    )
    done = cli("repro", str(nb), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    first = next(line for line in done.stdout.splitlines() if "first divergence" in line)
    assert "cell 3 (id c2): its output differs" in first
    assert "likely cause      unseeded randomness: cell 3 (id c2)" in done.stdout

    assert cli("lock", str(nb), cwd=tmp_path).returncode == 0
    lock = json.loads((tmp_path / "shown.lock.json").read_text())
    assert all("output" in cell for cell in lock["cells"])
    locked = cli("repro", str(nb), "--lock", "shown.lock.json", cwd=tmp_path)
    assert locked.returncode == 1
    assert "cell 3 (id c2): its output differs from the reference's" in locked.stdout


def test_addresses_and_timings_in_outputs_still_reproduce(tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "steady.ipynb",
        "n = 3",
        "class Box:\n    pass\n\nBox()",
        "print(object(), len)",
        "%time total = sum(range(n))\ntotal",
    )
    done = cli("repro", str(nb), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["reproducible"] and report["outputs_compared"] == 4
