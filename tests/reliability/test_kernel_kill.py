"""A killed kernel loses at most the record of the cell that was running."""

from __future__ import annotations

import json
import os
import queue
import signal
import time
from pathlib import Path

import pytest

from jupyter_ext.store.sqlite import RunStore
from tests.integration.commands import jupyter_ext
from tests.integration.kernels import Kernel

pytestmark = pytest.mark.integration


def _kill(kernel: Kernel) -> None:
    pid = kernel.km.provisioner.process.pid  # type: ignore[union-attr]
    os.kill(pid, signal.SIGKILL)
    kernel.km.provisioner.process.wait(10)  # type: ignore[union-attr]
    kernel.kc.stop_channels()


def test_completed_cells_survive_sigkill_during_a_running_cell(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    kernel = Kernel(extension=True, store=store, cwd=tmp_path)
    try:
        for i in range(5):
            assert kernel.execute(f"v{i} = {i}", cell_id=f"c{i}").ok
        run_id = json.loads(kernel.execute("%track --json").stdout)["run_id"]
        # Start a long cell and kill the kernel once the cell has visibly begun.
        # A cell that never finishes by itself: it waits on an event nobody sets.
        code = "import threading\nprint('begun', flush=True)\nthreading.Event().wait()"
        kernel.send({"code": code, "silent": False}, "long")
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, "the long cell never began"
            try:
                io = kernel.kc.get_iopub_msg(timeout=deadline - time.monotonic())
            except queue.Empty:
                continue
            if io["msg_type"] == "stream" and "begun" in io["content"]["text"]:
                break
        # Alive and busy: a run still being recorded, with the cell it is executing.
        shown = jupyter_ext("show", run_id, cwd=tmp_path, store=store)
        assert "still running (cell [7] (id long) is executing)" in shown.stdout, shown.stdout
        _kill(kernel)
    finally:
        kernel.km.cleanup_resources()
    with RunStore(store) as runs:
        assert runs.integrity_check() == "ok"
        cells = [r.cell_id for r in runs.executions(run_id)]
        summary = runs.run_summary(run_id)
    assert cells[:5] == [f"c{i}" for i in range(5)]
    assert "long" not in cells
    assert summary is not None and summary.state.status == "killed"
    assert summary.state.running is not None and summary.state.running.cell_id == "long"
    shown = jupyter_ext("show", run_id, cwd=tmp_path, store=store)
    assert "killed during cell [7] (id long)" in shown.stdout, shown.stdout
