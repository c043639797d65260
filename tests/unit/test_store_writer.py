"""The background writer on a healthy store: prompt, ordered, cheap to call, closable."""

from __future__ import annotations

import os
import sqlite3
import statistics
import threading
import time
from pathlib import Path

import pytest

from jupyter_ext.core.records import ExecutionRecord, RunInfo, VariableState
from jupyter_ext.store.ops import AddExecution
from jupyter_ext.store.problems import classify
from jupyter_ext.store.schema import StoreVersionError
from jupyter_ext.store.sqlite import RunStore
from jupyter_ext.store.writer import BackgroundWriter


def make_exec(run_id: str = "r1", seq: int = 1, **kw: object) -> ExecutionRecord:
    fields: dict[str, object] = {
        "cell_id": f"c{seq}",
        "execution_count": seq,
        "source_hash": "h",
        "source": f"x = {seq}",
        "started_at": 100.0 + seq,
        "duration": 0.01,
        "status": "ok",
        "variables": (VariableState("x", "int", f"d{seq}", written=True),),
    }
    fields.update(kw)
    return ExecutionRecord(run_id=run_id, seq=seq, **fields)  # type: ignore[arg-type]


def stored_seqs(path: Path, run_id: str = "r1") -> list[int]:
    with RunStore(path) as s:
        return [e.seq for e in s.executions(run_id)]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "runs.sqlite"


def test_writes_everything_in_order_and_reports_status(path: Path) -> None:
    problems: list[str] = []
    w = BackgroundWriter(path, on_problem=problems.append)
    try:
        assert w.begin_run(RunInfo("r1", 1.0, kernel="k"))
        for seq in range(1, 201):
            assert w.add_execution(make_exec(seq=seq))
        assert w.set_environment("r1", {"python": "3"})
        assert w.set_parameters("r1", {"a": 1})
        assert w.set_notebook("r1", "nb.ipynb", "nbh")
        assert w.end_run("r1", 50.0)
        assert w.flush(10)
        st = w.status()
        assert (st["written"], st["pending"], st["dropped"], st["last_error"]) == (205, 0, 0, None)
        assert st["journal_mode"] == "wal" and st["running"] and st["path"] == str(path)
        assert st == {
            "path": str(path),
            "journal_mode": "wal",
            "written": 205,
            "pending": 0,
            "dropped": 0,
            "last_error": None,
            "running": True,
            "committed_inline": 0,
            "degraded": None,
            "checkpoints": 0,
        }
    finally:
        assert w.close(10)
    assert problems == []
    assert stored_seqs(path) == list(range(1, 201))
    with RunStore(path) as s:
        summary = s.run_summary("r1")
        assert summary is not None and summary.ended_at == 50.0
        assert summary.notebook_path == "nb.ipynb" and summary.kernel == "k"
        assert s.get_environment("r1") == {"python": "3"}


def test_each_execution_is_committed_promptly_without_flush(path: Path) -> None:
    w = BackgroundWriter(path)
    try:
        w.begin_run(RunInfo("r1", 1.0))
        assert w.flush(10)
        reader = RunStore(path)
        for seq in (1, 2, 3):
            w.add_execution(make_exec(seq=seq))
            # No flush: the writer commits on its own. Nothing signals another
            # connection, so look until the record is there (a generous deadline).
            deadline = time.monotonic() + 10.0
            while reader.count_executions("r1") < seq:
                assert time.monotonic() < deadline, "not visible to another connection in 10 s"
                time.sleep(0.005)
        reader.close()
    finally:
        w.close()


def test_submit_is_cheap(path: Path) -> None:
    w = BackgroundWriter(path)
    try:
        ops = [AddExecution(make_exec(seq=seq)) for seq in range(1, 3001)]
        costs = []
        for op in ops:
            t0 = time.perf_counter()
            w.submit(op)
            costs.append(time.perf_counter() - t0)
        assert w.flush(20)
    finally:
        w.close()
    # Microseconds per call; generous bounds for a loaded CI machine.
    assert statistics.median(costs) < 50e-6
    assert sum(costs) < 0.5


def test_store_is_opened_in_the_writer_thread(path: Path) -> None:
    opened_in: list[str] = []

    def factory() -> RunStore:
        opened_in.append(threading.current_thread().name)
        time.sleep(0.3)  # a slow file system
        return RunStore(path)

    t0 = time.perf_counter()
    w = BackgroundWriter(path, store_factory=factory)
    w.add_execution(make_exec())
    assert time.perf_counter() - t0 < 0.1
    assert w.flush(10)
    w.close()
    assert opened_in == ["jupyter-ext-store"]


def test_close_flushes_stops_and_refuses_more(path: Path) -> None:
    w = BackgroundWriter(path)
    for seq in range(1, 51):
        w.add_execution(make_exec(seq=seq))
    assert w.close(10)
    assert not w.status()["running"]
    assert w.add_execution(make_exec(seq=99)) is False
    assert w.close(1)  # twice is harmless
    assert w.flush(1)  # nothing pending
    assert stored_seqs(path) == list(range(1, 51))


def test_unstorable_record_is_skipped_once_reported_and_others_kept(path: Path) -> None:
    problems: list[str] = []
    w = BackgroundWriter(path, on_problem=problems.append)
    try:
        w.add_execution(make_exec(seq=1))
        w.add_execution(make_exec(seq=2, execution_count=2**80))  # no SQLite integer holds it
        w.add_execution(make_exec(seq=3, execution_count=2**81))
        w.add_execution(make_exec(seq=4))
        assert w.flush(10)
        st = w.status()
        assert (st["written"], st["dropped"], st["last_error"]) == (2, 2, None)
    finally:
        w.close()
    assert stored_seqs(path) == [1, 4]
    assert len(problems) == 1 and "skipped" in problems[0] and "OverflowError" in problems[0]


def test_a_raising_callback_does_not_stop_the_writer(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    called = threading.Event()

    def callback(message: str) -> None:
        called.set()
        raise RuntimeError("bad callback")

    w = BackgroundWriter(blocker / "runs.sqlite", on_problem=callback, retry_initial=0.02)
    try:
        w.add_execution(make_exec())
        assert called.wait(30), "the problem was never reported"
        blocker.unlink()
        assert w.flush(10)
        assert w.status()["running"]
    finally:
        w.close()


def test_flush_from_the_callback_does_not_deadlock(tmp_path: Path) -> None:
    results: list[bool] = []
    holder: list[BackgroundWriter] = []
    ready = threading.Event()

    flushed = threading.Event()

    def callback(message: str) -> None:
        ready.wait(5)
        results.append(holder[0].flush(5))
        flushed.set()

    blocker = tmp_path / "file"
    blocker.write_text("")
    w = BackgroundWriter(blocker / "runs.sqlite", on_problem=callback)
    holder.append(w)
    ready.set()
    try:
        assert flushed.wait(30), "the callback's flush never returned"
        assert results == [False]
    finally:
        w.close(1)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_writer_is_inert(path: Path) -> None:
    w = BackgroundWriter(path)
    try:
        w.add_execution(make_exec(seq=1))
        assert w.flush(10)
        pid = os.fork()
        if pid == 0:  # child: must neither hang nor write
            code = 0
            try:
                t0 = time.monotonic()
                if w.add_execution(make_exec(seq=2)) is not False:
                    code = 1
                w.flush(5)  # nothing was accepted here, so nothing to wait for
                if time.monotonic() - t0 > 1:
                    code = 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        w.add_execution(make_exec(seq=3))
        assert w.flush(10)
    finally:
        w.close()
    assert stored_seqs(path) == [1, 3]


def test_problem_classification() -> None:
    def op_error(msg: str) -> sqlite3.OperationalError:
        return sqlite3.OperationalError(msg)

    assert classify(op_error("database or disk is full")).kind == "full"
    assert classify(op_error("database is locked")).kind == "locked"
    assert classify(op_error("attempt to write a readonly database")).kind == "readonly"
    assert classify(op_error("unable to open database file")).kind == "unopenable"
    assert classify(sqlite3.DatabaseError("file is not a database")).kind == "corrupt"
    assert classify(NotADirectoryError(20, "Not a directory")).kind == "unopenable"
    assert classify(StoreVersionError(9)).kind == "newer_schema"
    bad = classify(OverflowError("Python int too large to convert to SQLite INTEGER"))
    assert bad.kind == "bad_record" and not bad.retryable
    assert not classify(sqlite3.IntegrityError("x")).retryable
