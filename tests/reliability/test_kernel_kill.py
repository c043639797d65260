"""A killed kernel loses at most the record of the cell that was running."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from jupyter_ext.store.sqlite import RunStore
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
        time.sleep(1.0)  # "durable within about a second"
        # Start a long cell, then kill the kernel while it runs.
        content = {"code": "import time; time.sleep(30)", "silent": False}
        msg = kernel.kc.session.msg("execute_request", content, metadata={"cellId": "long"})
        kernel.kc.shell_channel.send(msg)
        time.sleep(0.5)
        _kill(kernel)
    finally:
        kernel.km.cleanup_resources()
    with RunStore(store) as runs:
        assert runs.integrity_check() == "ok"
        cells = [r.cell_id for r in runs.executions(run_id)]
    assert cells[:5] == [f"c{i}" for i in range(5)]
    assert "long" not in cells
