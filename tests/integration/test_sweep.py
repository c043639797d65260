"""``jupyter-ext sweep`` on local processes, run as a user runs it (the CLI, real kernels).

The helpers at the top are shared with the Dask tests.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from .commands import jupyter_ext as jx

pytestmark = pytest.mark.integration

PARAMETERS = "alpha = 1.0\nn = 1\nwait = 0.0\ncrash = False"
BODY = (
    "import os, time\n"
    "if crash:\n"
    "    os.kill(os.getppid(), 9)  # the kernel's parent: the worker running this point\n"
    "time.sleep(wait)\n"
    "score = alpha * n\n"
    "label = f'n{n}'"
)
CHECK = "if n == 3:\n    raise ValueError('n=3 is not allowed')"


def sweep_notebook(path: Path) -> Path:
    nb = new_notebook(cells=[new_code_cell(PARAMETERS), new_code_cell(BODY), new_code_cell(CHECK)])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def summary(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    assert data["schema"] == "jupyter_ext.sweep/1"
    return data


def record_of(path: Path) -> dict[str, Any]:
    record = nbformat.read(path, as_version=4).metadata["jupyter_ext"]
    assert record["schema"] == "jupyter_ext.run/1"
    return dict(record)


def stored_parameters(store: Path) -> list[dict[str, Any]]:
    from jupyter_ext.store.sqlite import RunStore

    with RunStore(store, create=False) as runs:
        return [runs.run_record(s.run_id)["parameters"] for s in runs.list_runs(limit=100)]


# -- local processes ------------------------------------------------------------------------


def test_sweep_runs_every_point_recorded_and_a_failing_point_does_not_stop_the_others(
    tmp_path: Path,
) -> None:
    store = tmp_path / "runs.sqlite"
    nb = sweep_notebook(tmp_path / "train.ipynb")
    (tmp_path / "grid.yaml").write_text("alpha: [0.5, 2]\nn: [1, 3]\nfixed:\n  wait: 0\n")
    done = jx(
        "sweep", str(nb), "-f", "grid.yaml", "--workers", "2", "-o", "out",
        "--collect", "score", "--collect", "label", "--collect", "os", "--collect", "nothing",
        "--summary-json", "summary.json", "--summary-csv", "summary.csv",
        store=store, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # two points fail (n=3)
    assert "Traceback" not in done.stderr
    data = summary(tmp_path / "summary.json")
    points = data["points"]
    assert [p["parameters"] for p in points] == [
        {"wait": 0.0, "alpha": 0.5, "n": 1},
        {"wait": 0.0, "alpha": 0.5, "n": 3},
        {"wait": 0.0, "alpha": 2.0, "n": 1},
        {"wait": 0.0, "alpha": 2.0, "n": 3},
    ]
    assert [p["status"] for p in points] == ["ok", "failed", "ok", "failed"]
    assert data["counts"] == {"ok": 2, "failed": 2, "not run": 0}
    assert points[1]["error"] == "ValueError: n=3 is not allowed"
    # the final values, from each point's own kernel; a module and an unbound name are no values
    assert [p["collected"]["score"] for p in points] == [0.5, 1.5, 2.0, 6.0]
    assert [p["collected"]["label"] for p in points] == ["n1", "n3", "n1", "n3"]
    assert points[0]["collect_problems"]["os"] == {"problem": "not_scalar", "type": "module"}
    assert points[0]["collect_problems"]["nothing"] == {"problem": "missing"}
    # one output notebook per point, named by index and parameters, carrying its record
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "train-1-alpha=0.5_n=1.ipynb", "train-2-alpha=0.5_n=3.ipynb",
        "train-3-alpha=2.0_n=1.ipynb", "train-4-alpha=2.0_n=3.ipynb",
    ]  # fmt: skip
    for point in points:
        record = record_of(Path(point["output"]))
        assert record["run_id"] == point["run_id"]
        assert record["parameters"] == point["parameters"]
        assert record["notebook"]["path"] == str(nb)
        # the collection request is silent: no extra execution, no extra cell
        assert len(record["executions"]) == 4
        cells = nbformat.read(Path(point["output"]), as_version=4).cells
        code = [c for c in cells if c.cell_type == "code"]
        assert len(code) == 4  # three cells and papermill's injected parameters
    failed = record_of(Path(points[1]["output"]))
    assert failed["executions"][-1]["error_type"] == "ValueError"
    assert sorted(map(json.dumps, stored_parameters(store))) == sorted(
        json.dumps(p["parameters"]) for p in points
    )
    # the table and the CSV say the same
    assert "point 2 failed: ValueError: n=3 is not allowed" in done.stdout
    rows = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert [(r["alpha"], r["n"], r["status"], r["score"]) for r in rows] == [
        ("0.5", "1", "ok", "0.5"), ("0.5", "3", "failed", "1.5"),
        ("2.0", "1", "ok", "2.0"), ("2.0", "3", "failed", "6.0"),
    ]  # fmt: skip


def test_a_grid_with_an_unknown_name_is_refused_before_any_kernel_starts(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    nb = sweep_notebook(tmp_path / "train.ipynb")
    (tmp_path / "grid.yaml").write_text("alpha: [0.5, 2]\nlayers: [1]\n")
    done = jx("sweep", str(nb), "-f", "grid.yaml", "-o", "out", store=store, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("jupyter-ext: grid.yaml: point 1 (alpha=0.5, layers=1): ")
    assert "layers" in lines[0]
    assert not store.exists() and not (tmp_path / "out").exists()


def test_a_value_that_does_not_convert_and_bad_files_are_usage_errors(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    nb = sweep_notebook(tmp_path / "train.ipynb")
    (tmp_path / "grid.yaml").write_text("n: [1, two]\n")
    done = jx("sweep", str(nb), "-f", "grid.yaml", store=store, cwd=tmp_path)
    assert done.returncode == 2 and "point 2 (n=two)" in done.stderr
    missing = jx("sweep", str(nb), "-f", "nope.yaml", store=store, cwd=tmp_path)
    assert missing.returncode == 2 and "nope.yaml: no such grid file" in missing.stderr
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    listed = jx("sweep", str(nb), "-f", "list.yaml", store=store, cwd=tmp_path)
    assert listed.returncode == 2 and "list.yaml" in listed.stderr
    assert "Traceback" not in done.stderr + missing.stderr + listed.stderr
    assert not store.exists()


def test_a_crashed_worker_leaves_its_points_not_run_and_keeps_completed_ones(
    tmp_path: Path,
) -> None:
    store = tmp_path / "runs.sqlite"
    nb = sweep_notebook(tmp_path / "train.ipynb")
    # one worker: point 1 completes, point 2 kills its worker, point 3 never starts
    (tmp_path / "grid.yaml").write_text(
        "points:\n  - {n: 1}\n  - {n: 2, crash: true}\n  - {n: 4}\n"
    )
    stale = tmp_path / "out" / "train-3-n=4.ipynb"  # left by an earlier sweep
    stale.parent.mkdir()
    stale.write_text("{}")
    done = jx(
        "sweep", str(nb), "-f", "grid.yaml", "--workers", "1", "-o", "out",
        "--summary-json", "summary.json", store=store, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    points = summary(tmp_path / "summary.json")["points"]
    assert [p["status"] for p in points] == ["ok", "not run", "not run"]
    assert "did not run" in done.stderr and "worker process died" in done.stderr
    assert record_of(Path(points[0]["output"]))["parameters"]["n"] == 1
    assert points[1]["run_id"] is None and points[2]["output"] is None
    assert not stale.exists()  # no old result next to a point that did not run


def _kernels_recording_into(store: Path) -> list[int]:
    import psutil

    found = []
    for process in psutil.process_iter(["pid"]):
        try:
            if process.environ().get("JUPYTER_EXT_STORE") == str(store):
                found.append(process.pid)
        except (psutil.Error, OSError):
            continue
    return found


def _recorded_executions(store: Path) -> int:
    """Executions recorded in ``store`` so far (0 while it does not exist yet)."""
    from jupyter_ext.store.sqlite import RunStore

    try:
        with RunStore(store, create=False) as runs:
            return sum(run.executions for run in runs.list_runs(limit=None))
    except Exception:  # not created yet, or still being created by the kernel
        return 0


def test_ctrl_c_stops_the_sweep_promptly_and_leaves_no_kernel_behind(tmp_path: Path) -> None:
    import psutil

    store = tmp_path / "runs.sqlite"
    nb = sweep_notebook(tmp_path / "train.ipynb")
    (tmp_path / "grid.yaml").write_text("n: [1, 2, 4]\nwait: [120]\n")
    env = dict(os.environ, JUPYTER_EXT_STORE=str(store))
    sweep = subprocess.Popen(
        [sys.executable, "-m", "jupyter_ext.cli.main", "sweep", str(nb), "-f", "grid.yaml",
         "--workers", "1", "-o", "out", "--summary-json", "summary.json"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )  # fmt: skip
    # Interrupt while the first point's kernel runs its long cell: it has recorded the
    # two cells before it (the parameters, then the injected ones). Nothing announces a
    # record to another process, so look at the store until it is there.
    deadline = time.monotonic() + 120
    while _recorded_executions(store) < 2:
        assert time.monotonic() < deadline, "the first point never reached its long cell"
        assert sweep.poll() is None, sweep.communicate()
        time.sleep(0.2)
    # The sweep, its worker and the point's kernel (all have the store in their environment).
    recording = [psutil.Process(pid) for pid in _kernels_recording_into(store)]
    assert recording, "no process records into the store"
    os.killpg(sweep.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = sweep.communicate(timeout=60)  # far less than the 120 s the point sleeps
    assert sweep.returncode == 1
    assert "interrupted" in err and "Traceback" not in err
    points = summary(tmp_path / "summary.json")["points"]
    assert [p["status"] for p in points] == ["not run", "not run", "not run"]
    # A kernel notices its parent is gone within a second: wait for them all to end.
    _, alive = psutil.wait_procs(recording, timeout=60)
    assert alive == [], alive
    assert _kernels_recording_into(store) == []


def test_local_workers_start_with_papermill_already_imported() -> None:
    """Workers share the parent's import (forked after it) or import it as they start,
    so no point pays for it: a point's time is its notebook's."""
    from jupyter_ext.sweep.executors import local_processes

    with local_processes(2) as handle:
        loaded = [handle.executor.submit(_papermill_loaded).result(timeout=120) for _ in range(4)]
    assert loaded == [True] * 4


def _papermill_loaded() -> bool:
    return "papermill" in sys.modules and "jupyter_ext.bridge.engine" in sys.modules
