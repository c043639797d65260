"""Commits on the caller's thread (``BackgroundWriter.commit_now``): what makes a record
durable before the kernel replies, bounded when another process holds the lock, and
never a reason for the store's WAL to grow without end."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from jupyter_ext.core.records import ExecutionStart, Pending, RunInfo
from jupyter_ext.store import writer as writer_module
from jupyter_ext.store.ops import AddExecution, BeginRun, SetEnvironment, StartExecution
from jupyter_ext.store.sqlite import RunStore
from jupyter_ext.store.writer import BackgroundWriter
from tests.unit.test_store_writer import make_exec


def _read(path: Path, run_id: str = "r1") -> list[int]:
    """Read with a connection of its own, as another process would after a crash."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT seq FROM executions WHERE run_id = ? ORDER BY seq", (run_id,)
        ).fetchall()
    finally:
        conn.close()
    return [int(r[0]) for r in rows]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "runs.sqlite"


def test_commit_now_is_visible_to_another_connection_when_it_returns(path: Path) -> None:
    problems: list[str] = []
    w = BackgroundWriter(path, on_problem=problems.append)
    try:
        # Queued operations go in the same transaction, ahead of the committed one.
        assert w.submit(BeginRun(RunInfo("r1", 1.0)))
        assert w.submit(SetEnvironment("r1", {"python": "3"}))
        for seq in range(1, 6):
            assert w.commit_now(AddExecution(make_exec(seq=seq)))
            assert _read(path) == list(range(1, seq + 1))
        assert w.flush(10)
        status = w.status()
        assert status["committed_inline"] >= 5 and status["pending"] == 0
        assert status["degraded"] is None and problems == []
    finally:
        w.close()
    with RunStore(path) as store:
        assert store.get_environment("r1") == {"python": "3"}


def test_a_start_is_stored_and_names_the_unfinished_execution(path: Path) -> None:
    w = BackgroundWriter(path)
    try:
        assert w.commit_now(BeginRun(RunInfo("r1", 1.0)))
        assert w.commit_now(AddExecution(make_exec(seq=1)))
        assert w.commit_now(StartExecution(ExecutionStart("r1", 2, "c2", 2, 5.0)))
    finally:
        w.close()
    with RunStore(path) as store:
        summary = store.run_summary("r1")
    assert summary is not None and summary.state.running is not None
    assert summary.state.running.cell_id == "c2" and summary.state.running.seq == 2
    # No process identity was recorded: whether it still runs cannot be judged.
    assert summary.state.status == "unknown"


def test_a_provisional_record_is_replaced_by_the_complete_one(path: Path) -> None:
    w = BackgroundWriter(path)
    try:
        provisional = make_exec(seq=1, pending=Pending(digests=("big",), mutated=("x",)))
        assert w.commit_now(AddExecution(provisional))
        with RunStore(path) as store:
            assert store.executions("r1")[0].pending == Pending(digests=("big",), mutated=("x",))
        assert w.submit(AddExecution(make_exec(seq=1)))
        assert w.flush(10)
    finally:
        w.close()
    with RunStore(path) as store:
        records = store.executions("r1")
    assert len(records) == 1 and records[0].pending is None


def test_a_lock_held_by_another_process_costs_a_bounded_wait_and_one_notice(path: Path) -> None:
    problems: list[str] = []
    w = BackgroundWriter(path, on_problem=problems.append, retry_initial=0.05)
    other = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        assert w.commit_now(BeginRun(RunInfo("r1", 1.0)))
        assert w.commit_now(StartExecution(ExecutionStart("r1", 1, "c1", 1, 2.0)))
        other.execute("BEGIN IMMEDIATE")  # another kernel in the middle of a commit
        assert not w.commit_now(StartExecution(ExecutionStart("r1", 2, "c2", 2, 3.0)))
        assert not w.commit_now(AddExecution(make_exec(seq=1)))
        assert not w.commit_now(AddExecution(make_exec(seq=2)))
        assert w.status()["degraded"] == "busy"
        assert len([p for p in problems if "another kernel holds its lock" in p]) == 1
        other.execute("COMMIT")
        assert w.flush(30)  # the background writer wrote them once the lock was free
        assert _read(path) == [1, 2]
        assert w.commit_now(AddExecution(make_exec(seq=3)))
        assert w.status()["degraded"] is None
    finally:
        other.close()
        w.close()
    assert _read(path) == [1, 2, 3]
    with RunStore(path) as store:
        summary = store.run_summary("r1")
    # The start that waited in the queue was written too, in order.
    assert summary is not None and summary.state.running is None


def test_a_rollback_journal_degrades_to_the_background_writer_once(path: Path) -> None:
    problems: list[str] = []
    w = BackgroundWriter(
        path,
        on_problem=problems.append,
        store_factory=lambda: RunStore(path, vfs="unix-dotfile"),
    )
    try:
        assert not w.commit_now(BeginRun(RunInfo("r1", 1.0)))
        assert not w.commit_now(AddExecution(make_exec(seq=1)))
        assert w.flush(10)
        assert w.status()["journal_mode"] != "wal" and w.status()["degraded"] == "journal"
    finally:
        w.close()
    assert len([p for p in problems if "cannot use WAL" in p]) == 1
    assert _read(path) == [1]


def _wal_frames(path: Path) -> int:
    """Frames in the WAL now, asked through a connection of another "process"."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        conn.close()


def test_commits_on_the_cells_path_never_checkpoint_by_themselves(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite checkpoints inside the commit that crosses 1,000 pages of WAL: a commit on
    the cell's path.  The writer's connection turns that off, so with the writer
    thread's own checkpoints disabled too the WAL keeps every frame of 1,500 records."""
    monkeypatch.setattr(writer_module, "CHECKPOINT_EVERY", 10**9)
    w = BackgroundWriter(path)
    try:
        assert w.commit_now(BeginRun(RunInfo("r1", 1.0)))
        for seq in range(1, 1501):
            assert w.commit_now(AddExecution(make_exec(seq=seq)))
        assert w.flush(10) and w.status()["checkpoints"] == 0
        wal = path.with_name(path.name + "-wal").stat().st_size
    finally:
        w.close()
    assert wal > 1500 * 4096  # at least a page per record, none checkpointed away


def test_the_writer_thread_checkpoints_and_the_wal_starts_over(path: Path) -> None:
    w = BackgroundWriter(path)
    try:
        assert w.commit_now(BeginRun(RunInfo("r1", 1.0)))
        for seq in range(1, 3 * writer_module.CHECKPOINT_EVERY + 1):
            assert w.commit_now(AddExecution(make_exec(seq=seq)))
        # Every CHECKPOINT_EVERY operations the writer thread checkpoints by itself.
        assert w.wait_checkpoints(1, 30), "no checkpoint completed"
        # Once one has caught up with the last commit, the next commit starts the WAL over.
        assert w.checkpoint_now(30)
        assert w.commit_now(AddExecution(make_exec(seq=10_000)))
        frames = _wal_frames(path)
    finally:
        w.close()
    # Everything before was back in the database file, so the WAL started over with
    # the one record committed since.
    assert frames < 50
    assert len(_read(path)) == 3 * writer_module.CHECKPOINT_EVERY + 1


def test_the_wal_starts_over_even_while_commits_never_pause(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long Run All of quick cells commits back to back: a checkpoint beside them never
    leaves the WAL empty, so past WAL_RESTART_FRAMES one holds the connection for its
    last pass.  Without that the WAL grew by every record (190 MB after 6,000 cells)."""
    monkeypatch.setattr(writer_module, "WAL_RESTART_FRAMES", 1024)
    w = BackgroundWriter(path)
    wal = path.with_name(path.name + "-wal")
    largest = 0
    try:
        assert w.commit_now(BeginRun(RunInfo("r1", 1.0)))
        for seq in range(1, 8001):
            assert w.commit_now(AddExecution(make_exec(seq=seq), fresh=True))
            if seq % 500 == 0:
                largest = max(largest, wal.stat().st_size)
        assert w.flush(30) and w.status()["checkpoints"] > 0
    finally:
        w.close()
    # 8,000 records are about 40,000 frames (160 MB) of WAL if it never starts over.
    assert largest < 48 * 2**20, f"the WAL reached {largest} bytes"
    assert len(_read(path)) == 8000
