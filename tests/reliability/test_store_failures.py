"""The background writer when the store cannot be written, with real causes.

Tests run as root, where file modes do not stop writes, so each cause is produced by
other real means: a store path under a regular file (its directory cannot be created),
SQLite's own ``max_page_count`` limit (``SQLITE_FULL``, exactly what a full disk gives),
a lock held by another connection, a file that is not a database, and a store stamped
by a newer schema.  Each time: ``submit`` stays fast and never raises, the problem is
reported once, and once the cause is gone the pending records are written and recovery
is reported once.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_ext.core.records import ExecutionRecord, RunInfo, VariableState
from jupyter_ext.store.schema import SCHEMA_VERSION
from jupyter_ext.store.sqlite import RunStore
from jupyter_ext.store.writer import BackgroundWriter


def fast_writer(path: Path, messages: Messages, **kw: Any) -> BackgroundWriter:
    """A writer that retries every few tens of milliseconds instead of seconds."""
    return BackgroundWriter(path, on_problem=messages, retry_initial=0.02, retry_max=0.1, **kw)


def make_exec(seq: int, source: str = "", run_id: str = "r1") -> ExecutionRecord:
    return ExecutionRecord(
        run_id=run_id,
        seq=seq,
        cell_id=f"c{seq}",
        execution_count=seq,
        source_hash="h",
        source=source or f"x = {seq}",
        started_at=100.0 + seq,
        duration=0.01,
        status="ok",
        variables=(VariableState("x", "int", f"d{seq}", written=True),),
    )


class Messages:
    """Collects on_problem calls; thread-safe, with waiting."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.items: list[str] = []

    def __call__(self, message: str) -> None:
        with self._changed:
            self.items.append(message)
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float = 30) -> None:
        with self._changed:
            met = self._changed.wait_for(lambda: predicate(list(self.items)), timeout)
        assert met, f"timed out; messages: {self.items}"

    def problems(self) -> list[str]:
        return [m for m in self.items if "cannot write" in m]

    def recoveries(self) -> list[str]:
        return [m for m in self.items if "writable again" in m]


def fails_again(w: BackgroundWriter, attempts: int = 3, timeout: float = 30) -> None:
    """Wait for ``attempts`` more write attempts, each of which must fail.

    ``flush`` starts a waiting retry at once and returns False as soon as an attempt
    fails (True would mean the store was written); returning before ``timeout`` tells a
    failed attempt from a flush that merely timed out.
    """
    for _ in range(attempts):
        started = time.monotonic()
        assert w.flush(timeout) is False, "the store was written during the outage"
        assert time.monotonic() - started < timeout, "no write attempt was made"


def submit_fast(w: BackgroundWriter, seqs: range, source: str = "") -> None:
    """Submit, asserting that no call waits on the broken store."""
    for seq in seqs:
        t0 = time.perf_counter()
        assert w.add_execution(make_exec(seq, source)) is True
        assert time.perf_counter() - t0 < 0.05


def stored(path: Path, run_id: str = "r1") -> list[int]:
    with RunStore(path) as s:
        assert s.integrity_check() == "ok"
        return [e.seq for e in s.executions(run_id)]


@pytest.fixture
def messages() -> Iterator[Messages]:
    yield Messages()


def test_unopenable_path_then_fixed(tmp_path: Path, messages: Messages) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a regular file")
    path = blocker / "runs.sqlite"
    w = fast_writer(path, messages)
    try:
        w.begin_run(RunInfo("r1", 1.0))
        submit_fast(w, range(1, 51))
        messages.wait_for(lambda m: len(m) >= 1)
        assert w.flush(5) is False  # fails fast instead of waiting out the timeout
        fails_again(w)
        assert len(messages.problems()) == 1 and len(messages.items) == 1
        problem = messages.items[0]
        assert str(path) in problem and "your cells still run" in problem
        st = w.status()
        assert st["pending"] == 51 and st["written"] == 0 and st["last_error"] == problem
        assert st["journal_mode"] is None

        blocker.unlink()  # the cause goes away
        messages.wait_for(lambda m: len(m) >= 2)
        assert w.flush(5)
        assert messages.recoveries() == [messages.items[1]]
        assert "dropped" not in messages.items[1]
        st = w.status()
        assert (st["pending"], st["written"], st["last_error"], st["journal_mode"]) == (
            0,
            51,
            None,
            "wal",
        )
    finally:
        w.close()
    assert stored(path) == list(range(1, 51))
    assert len(messages.items) == 2


def test_full_database_then_space_again(tmp_path: Path, messages: Messages) -> None:
    path = tmp_path / "runs.sqlite"
    with RunStore(path) as s:
        base_pages = s._conn.execute("PRAGMA page_count").fetchone()[0]
    limits: dict[str, int | str] = {"max_page_count": base_pages + 4}
    w = fast_writer(
        path,
        messages,
        store_factory=lambda: RunStore(path, pragmas=dict(limits)),
        batch_size=1,  # commit one by one, so what fits is written before it is full
    )
    try:
        w.begin_run(RunInfo("r1", 1.0))
        submit_fast(w, range(1, 101), source="y" * 3000)  # one page-ish each
        messages.wait_for(lambda m: len(m) >= 1)
        fails_again(w)
        assert len(messages.items) == 1
        assert "database or disk is full" in messages.items[0]
        st = w.status()
        assert 0 < st["written"] < 101 and st["pending"] == 101 - st["written"]
        assert st["last_error"] is not None and "full" in st["last_error"]

        limits["max_page_count"] = 1_000_000  # space again
        messages.wait_for(lambda m: len(m) >= 2)
        assert w.flush(5)
        assert len(messages.recoveries()) == 1
    finally:
        w.close()
    assert stored(path) == list(range(1, 101))


def test_lock_held_beyond_busy_timeout_then_released(tmp_path: Path, messages: Messages) -> None:
    path = tmp_path / "runs.sqlite"
    with RunStore(path):
        pass
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    w = fast_writer(path, messages, pragmas={"busy_timeout": 50})
    try:
        w.begin_run(RunInfo("r1", 1.0))
        submit_fast(w, range(1, 21))
        messages.wait_for(lambda m: len(m) >= 1)
        fails_again(w)  # each attempt waits out the busy timeout
        assert len(messages.items) == 1 and "database is locked" in messages.items[0]
        assert w.status()["pending"] == 21
        submit_fast(w, range(21, 31))

        holder.execute("COMMIT")
        messages.wait_for(lambda m: len(m) >= 2)
        assert w.flush(5)
        assert len(messages.recoveries()) == 1
    finally:
        holder.close()
        w.close()
    assert stored(path) == list(range(1, 31))


def test_store_deleted_while_open_is_recreated(tmp_path: Path, messages: Messages) -> None:
    path = tmp_path / "runs.sqlite"
    w = fast_writer(path, messages)
    try:
        submit_fast(w, range(1, 4))
        assert w.flush(5)
        for suffix in ("", "-wal", "-shm"):  # the user clears the history
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        submit_fast(w, range(4, 6))
        assert w.flush(5)
    finally:
        w.close()
    assert stored(path) == [4, 5]  # not written into the unreachable old file
    assert messages.items == []


def test_corrupt_file_then_replaced(tmp_path: Path, messages: Messages) -> None:
    path = tmp_path / "runs.sqlite"
    path.write_bytes(b"this is not an SQLite database, just bytes " * 200)
    w = fast_writer(path, messages)
    try:
        submit_fast(w, range(1, 11))
        messages.wait_for(lambda m: len(m) >= 1)
        fails_again(w)
        assert len(messages.items) == 1 and "not a database" in messages.items[0]
        path.unlink()  # the user moves the broken file away
        messages.wait_for(lambda m: len(m) >= 2)
        assert w.flush(5)
        assert len(messages.recoveries()) == 1
    finally:
        w.close()
    assert stored(path) == list(range(1, 11))


def test_store_from_newer_version_is_not_written(tmp_path: Path, messages: Messages) -> None:
    path = tmp_path / "runs.sqlite"
    with RunStore(path) as s:
        s._conn.execute("PRAGMA user_version = 7")
    w = fast_writer(path, messages)
    try:
        submit_fast(w, range(1, 6))
        messages.wait_for(lambda m: len(m) >= 1)
        fails_again(w)
        assert len(messages.items) == 1
        assert "schema version 7" in messages.items[0] and "upgrade" in messages.items[0]
        conn = sqlite3.connect(path)
        assert conn.execute("SELECT count(*) FROM executions").fetchone()[0] == 0
        # e.g. the newer package migrated back to the version this one writes
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.commit()
        conn.close()
        messages.wait_for(lambda m: len(m) >= 2)
        assert w.flush(5)
    finally:
        w.close()
    assert stored(path) == list(range(1, 6))


def test_two_kinds_of_problem_each_reported_once(tmp_path: Path, messages: Messages) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    path = blocker / "runs.sqlite"
    w = fast_writer(path, messages, pragmas={"busy_timeout": 50})
    try:
        submit_fast(w, range(1, 6))
        messages.wait_for(lambda m: len(m) >= 1)
        blocker.unlink()
        blocker.mkdir()
        path.write_bytes(b"garbage" * 1000)  # now a different problem
        messages.wait_for(lambda m: len(m) >= 2)
        fails_again(w)
        assert len(messages.problems()) == 2
        assert "directory" in messages.items[0] and "not a database" in messages.items[1]
        path.unlink()
        messages.wait_for(lambda m: len(m) >= 3)
        assert w.flush(5)
        assert len(messages.recoveries()) == 1
        # A new outage after recovery is news again.
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        submit_fast(w, range(6, 8))
        messages.wait_for(lambda m: len(m) >= 4)
        assert "locked" in messages.items[3]
        holder.execute("COMMIT")
        holder.close()
        messages.wait_for(lambda m: len(m) >= 5)
        assert w.flush(5)
    finally:
        w.close()
    assert [len(messages.problems()), len(messages.recoveries())] == [3, 2]
    assert stored(path) == list(range(1, 8))


def test_bounded_queue_drops_oldest_executions_and_counts(
    tmp_path: Path, messages: Messages
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    path = blocker / "runs.sqlite"
    w = fast_writer(path, messages, max_pending=10)
    try:
        w.begin_run(RunInfo("r1", 1.0, kernel="k"))
        submit_fast(w, range(1, 31))
        st = w.status()
        assert st["pending"] == 10 and st["dropped"] == 21
        messages.wait_for(lambda m: any("dropping older" in x for x in m))
        submit_fast(w, range(31, 33))  # more evictions, reported by the next attempt
        fails_again(w)
        assert sum("dropping older" in x for x in messages.items) == 1
        blocker.unlink()
        messages.wait_for(lambda m: any("writable again" in x for x in m))
        assert w.flush(5)
        (recovery,) = [m for m in messages.items if "writable again" in m]
        assert "23 records were dropped" in recovery
        assert w.status()["dropped"] == 23
    finally:
        w.close()
    # The run's own row survived; the newest executions did.
    with RunStore(path) as s:
        run = s.get_run("r1")
        assert run is not None and run.kernel == "k"
    assert stored(path) == list(range(24, 33))


def test_close_during_an_outage_returns_promptly(tmp_path: Path, messages: Messages) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    w = BackgroundWriter(blocker / "runs.sqlite", on_problem=messages)  # default 2 s backoff
    submit_fast(w, range(1, 6))
    messages.wait_for(lambda m: len(m) >= 1)
    t0 = time.monotonic()
    assert w.close(10) is False  # records were left behind...
    assert time.monotonic() - t0 < 1.5  # ...but nobody waited for the backoff
    st = w.status()
    assert not st["running"] and st["dropped"] == 5 and st["pending"] == 0
    assert w.add_execution(make_exec(6)) is False
