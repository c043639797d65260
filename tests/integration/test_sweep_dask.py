"""``jupyter-ext sweep --scheduler`` on a real Dask ``LocalCluster`` (worker processes).

The cluster lives in the test process; the sweep is the CLI in a subprocess, connected
by the scheduler's address as a user would connect to a remote cluster.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import socket
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from distributed import LocalCluster

from .test_sweep import jx, record_of, summary, sweep_notebook

pytestmark = pytest.mark.integration


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as running:
        yield running


def test_sweep_on_a_dask_cluster_records_every_point(tmp_path: Path, cluster: LocalCluster) -> None:
    store = tmp_path / "runs.sqlite"
    nb = sweep_notebook(tmp_path / "train.ipynb")
    (tmp_path / "grid.yaml").write_text("alpha: [0.5, 2]\nn: [1, 3]\n")
    done = jx(
        "sweep", str(nb), "-f", "grid.yaml", "--scheduler", cluster.scheduler_address,
        "-o", "out", "--collect", "score", "--summary-json", "summary.json",
        store=store, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # n=3 fails by design
    assert "Traceback" not in done.stderr
    assert f"on dask {cluster.scheduler_address} (2 workers)" in done.stderr
    data = summary(tmp_path / "summary.json")
    assert data["executor"].startswith("dask ")
    points = data["points"]
    assert [p["status"] for p in points] == ["ok", "failed", "ok", "failed"]
    assert [p["collected"]["score"] for p in points] == [0.5, 1.5, 2.0, 6.0]
    for point in points:
        record = record_of(Path(point["output"]))
        assert record["parameters"] == point["parameters"]
        assert record["run_id"] == point["run_id"]


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = tmp_path / "runs.sqlite"
    nb = sweep_notebook(tmp_path / "train.ipynb")
    (tmp_path / "grid.yaml").write_text("n: [1, 2]\n")
    done = jx(
        "sweep", str(nb), "-f", "grid.yaml", "--scheduler", f"tcp://127.0.0.1:{port}",
        "--connect-timeout", "2", "-o", "out", store=store, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"jupyter-ext: no Dask scheduler answered at tcp://127.0.0.1:{port}")
    assert not store.exists()
    assert not list((tmp_path / "out").glob("*.ipynb"))


def _finished(path: Path) -> bool:
    """The output notebook carries its run record: papermill wrote it after the last cell."""
    try:
        record = nbformat.read(path, as_version=4).metadata.get("jupyter_ext", {})
    except Exception:
        return False
    return isinstance(record, dict) and "schema" in record


def test_a_scheduler_dying_mid_sweep_keeps_completed_points_and_reports_the_rest(
    tmp_path: Path, cluster: LocalCluster
) -> None:
    store = tmp_path / "runs.sqlite"
    nb = sweep_notebook(tmp_path / "train.ipynb")
    # point 1 is quick; the others sleep long enough to be running or queued at the close
    (tmp_path / "grid.yaml").write_text(
        "points:\n  - {n: 1, wait: 0}\n  - {n: 2, wait: 120}\n  - {n: 4, wait: 120}\n"
    )
    first = tmp_path / "out" / "train-1-n=1_wait=0.0.ipynb"

    # On a terminal the sweep's progress bar names each point whose result has come back:
    # close the scheduler once it names point 1, not a while after its output appeared.
    main, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))
    started = time.monotonic()
    sweep = subprocess.Popen(
        [sys.executable, "-m", "jupyter_ext.cli.main", "sweep", str(nb), "-f", "grid.yaml",
         "--scheduler", cluster.scheduler_address, "--connect-timeout", "5", "-o", "out",
         "--summary-json", "summary.json"],
        cwd=tmp_path, env=dict(os.environ, JUPYTER_EXT_STORE=str(store)),
        stdout=subprocess.PIPE, stderr=terminal, text=True,
    )  # fmt: skip
    os.close(terminal)
    try:
        shown = _read_terminal(main, until=b"point 1: ok", timeout=200)
        cluster.close()
        shown += _read_terminal(main, until=None, timeout=120)  # until the sweep exits
        sweep.communicate(timeout=60)
    finally:
        if sweep.poll() is None:
            sweep.kill()
            sweep.wait()
        os.close(main)
    err = shown.decode(errors="replace")
    assert sweep.returncode == 1, err
    assert time.monotonic() - started < 110  # it did not wait for the sleeping points
    assert "Traceback" not in err
    points = summary(tmp_path / "summary.json")["points"]
    assert [p["status"] for p in points] == ["ok", "not run", "not run"]
    assert "2 point(s) did not run" in err
    assert _finished(first)
    assert record_of(first)["run_id"] == points[0]["run_id"]


def _read_terminal(main: int, until: bytes | None, timeout: float) -> bytes:
    """What the program on the other side of ``main`` writes, until it writes ``until``
    or (``until=None``) until it closes its terminal; ``timeout`` fails the test."""
    shown = b""
    deadline = time.monotonic() + timeout
    while until is None or until not in shown:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out; the terminal showed {shown!r}"
        ready, _, _ = select.select([main], [], [], remaining)
        if not ready:
            continue
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: every process holding the terminal has closed it
            chunk = b""
        if not chunk:
            assert until is None, f"the terminal closed; it showed {shown!r}"
            break
        shown += chunk
    return shown
