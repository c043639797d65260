"""Every cell that finished is in the store, however the kernel dies next.

A kernel ends without warning when the OOM killer or a user sends SIGKILL, when a C
extension segfaults, or when code calls ``os._exit``: nothing of ours runs afterwards.
The record of each execution is therefore committed before the kernel sends its reply,
and the start of each execution before the cell's code runs.  Each death below follows
40 fast cells, or 5 slow cells whose values are big enough to be digested in the
background (their records are stored first with those digests marked pending).

These tests fail if the record's commit moves off the cell's path.  The background
worker is held back on purpose (``finalize_delay``), which makes the race that lost
records (the reply goes out, the kernel dies before the worker has written) certain
instead of likely; the result must not change.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyter_ext.core.records import ExecutionRecord
from jupyter_ext.store.sqlite import RunStore
from tests.integration.commands import jupyter_ext
from tests.integration.kernels import Kernel

pytestmark = pytest.mark.integration

FAST = 40
SLOW = 5
RUN_ID = "0190ffffffff-crashtest0"


def _pid(kernel: Kernel) -> int:
    return int(kernel.km.provisioner.process.pid)  # type: ignore[union-attr]


def _run_cells(kernel: Kernel, cells: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Send every cell at once, as a notebook's Run All does, and return their replies.

    Queued back to back, the kernel runs them with no pause between one reply and the
    next cell: a record kept in memory for even a few milliseconds is still there when
    the last reply goes out.
    """
    return kernel.replies([_send(kernel, code, cell_id) for code, cell_id in cells], 300)


def _send(kernel: Kernel, code: str, cell_id: str) -> str:
    content = {"code": code, "silent": False, "store_history": True, "allow_stdin": False}
    return kernel.send(content, cell_id)


def _wait_dead(kernel: Kernel) -> int:
    process = kernel.km.provisioner.process  # type: ignore[union-attr]
    code = process.wait(60)
    kernel.kc.stop_channels()
    return int(code)


def _kill_from_outside(kernel: Kernel) -> None:
    os.kill(_pid(kernel), signal.SIGKILL)


def _killing_cell(code: str) -> Callable[[Kernel], None]:
    def die(kernel: Kernel) -> None:
        _send(kernel, code, "killer")

    return die


DEATHS: dict[str, tuple[Callable[[Kernel], None], bool]] = {
    # name: (how, whether a cell was running when the kernel died)
    "sigkill-outside-after-reply": (_kill_from_outside, False),
    "sigkill-inside": (
        _killing_cell("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"),
        True,
    ),
    "segfault": (_killing_cell("import ctypes; ctypes.string_at(0)"), True),
    "os-exit": (_killing_cell("import os; os._exit(1)"), True),
}

WORKLOADS: dict[str, tuple[int, Callable[[int], str]]] = {
    "40-fast": (FAST, lambda i: f"v{i} = {i}"),
    # 24 MB each: above the inline digest budget, so digested off the cell's path.
    "5-slow": (
        SLOW,
        lambda i: f"import numpy as np\nbig{i} = np.full(3_000_000, {i}.0)\nsmall{i} = {i}",
    ),
}


@pytest.mark.parametrize("death", sorted(DEATHS))
@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_every_finished_cell_survives_the_death_of_the_kernel(
    tmp_path: Path, death: str, workload: str
) -> None:
    how, during_cell = DEATHS[death]
    count, source = WORKLOADS[workload]
    store = tmp_path / "runs.sqlite"
    kernel = Kernel(
        extension=True,
        store=store,
        cwd=tmp_path,
        env={"JUPYTER_EXT_RUN_ID": RUN_ID},
        # The background worker is held back for a minute: whatever it would write comes
        # too late, so only what was committed on each cell's own path can survive.
        arguments=["--JupyterExt.finalize_delay=60"],
    )
    try:
        replies = _run_cells(kernel, [(source(i), f"c{i}") for i in range(count)])
        assert [r["status"] for r in replies] == ["ok"] * count
        how(kernel)
        exit_code = _wait_dead(kernel)
    finally:
        kernel.km.cleanup_resources()
    assert exit_code != 0

    with RunStore(store, create=False) as runs:
        assert runs.integrity_check() == "ok"
        records = runs.executions(RUN_ID)
        summary = runs.run_summary(RUN_ID)
    assert [r.cell_id for r in records] == [f"c{i}" for i in range(count)]
    assert [r.seq for r in records] == list(range(1, count + 1))
    assert all(r.status == "ok" for r in records)
    for i, record in enumerate(records):
        _assert_known_or_pending(record, written={f"v{i}"} if workload == "40-fast" else set())
        if workload == "5-slow":
            # Held back, the worker never digested the arrays: stored as pending.
            assert record.pending is not None and record.pending.digests == (f"big{i}",)
    assert summary is not None and summary.ended_at is None
    assert summary.state.status == "killed"
    if during_cell:
        assert summary.state.running is not None
        assert summary.state.running.cell_id == "killer"
        assert summary.state.running.seq == count + 1
        assert summary.state.running.execution_count == count + 1
    else:
        assert summary.state.running is None

    shown = jupyter_ext("show", RUN_ID, cwd=tmp_path, store=store)
    assert shown.returncode == 0, shown.stderr
    if workload == "5-slow":
        assert "[not known: digest of big0" in shown.stdout
    if during_cell:
        assert f"killed during cell [{count + 1}] (id killer)" in shown.stdout
    else:
        assert "killed after its last recorded cell" in shown.stdout
    listed = jupyter_ext("runs", cwd=tmp_path, store=store)
    assert "killed" in listed.stdout.splitlines()[1]


def _assert_known_or_pending(record: ExecutionRecord, written: set[str]) -> None:
    """Each digest is either known or marked pending: a crash never leaves one wrong."""
    pending = record.pending
    open_digests = set(pending.digests) if pending else set()
    for var in record.variables:
        if var.name in open_digests:
            assert var.digest is None and var.opaque == "digest pending"
        else:
            assert var.digest is not None or var.opaque is not None or var.deleted
    assert written <= set(record.writes)


def test_pending_digests_are_filled_in_once_the_worker_has_them(tmp_path: Path) -> None:
    """The provisional rows of big values become complete rows: pending is never final
    for a kernel that lives."""
    store = tmp_path / "runs.sqlite"
    kernel = Kernel(extension=True, store=store, cwd=tmp_path, env={"JUPYTER_EXT_RUN_ID": RUN_ID})
    try:
        replies = _run_cells(kernel, [(WORKLOADS["5-slow"][1](i), f"c{i}") for i in range(3)])
        assert [r["status"] for r in replies] == ["ok"] * 3
        flushed = kernel.execute(
            "from jupyter_ext.capture import extension\nprint(extension.flush(get_ipython(), 60))"
        )
        assert flushed.stdout.strip() == "True", flushed.stderr
    finally:
        kernel.shutdown()
    with RunStore(store, create=False) as runs:
        records = runs.executions(RUN_ID)
    big = [r for r in records if r.cell_id in ("c0", "c1", "c2")]
    assert len(big) == 3
    for i, record in enumerate(big):
        assert record.pending is None
        digests = {v.name: v.digest for v in record.variables}
        assert digests[f"big{i}"] is not None and digests[f"small{i}"] is not None
