"""The run store: runs, executions and variable states in one SQLite file.

SQLite in WAL mode is what lets a kernel commit every execution (cheaply, with
``synchronous=NORMAL``: a commit survives a killed process) while the CLI, the server and
other kernels read and write the same file.  Where WAL cannot work (network file
systems) the store falls back to the rollback journal and says so in
:attr:`RunStore.journal_mode`.

Writers are idempotent: an execution is keyed by ``(run_id, seq)``, so a record retried
after a failure, or written twice, is stored once.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.records import (
    ExecutionRecord,
    ExecutionStart,
    FileAccess,
    Pending,
    RunInfo,
    RunState,
    VariableState,
    run_record,
)
from .connection import file_identity, is_memory, open_connection, store_path
from .liveness import judge_run
from .schema import migrate


class StoreBusy(RuntimeError):
    """A bounded transaction could not start in time (see :meth:`RunStore.bounded_transaction`)."""


class RunLookupError(LookupError):
    """A run id (or prefix) names no run, or more than one."""


class UnknownRunError(RunLookupError):
    """No run matches."""


class AmbiguousRunError(RunLookupError):
    """Several runs match a prefix; ``candidates`` lists (some of) them."""

    def __init__(self, message: str, candidates: Sequence[str]) -> None:
        super().__init__(message)
        self.candidates = tuple(candidates)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One line of run history: enough to list runs without loading their executions."""

    run_id: str
    started_at: float
    ended_at: float | None
    notebook_path: str | None
    executions: int
    errors: int
    kernel: str | None
    state: RunState
    """Ended, still running, or killed (and during which cell): see ``store.liveness``."""


@dataclass(frozen=True, slots=True)
class FileUse:
    """One execution's use of one file, across runs (``jupyter-ext file PATH``)."""

    run_id: str
    seq: int
    cell_id: str | None
    execution_count: int | None
    started_at: float | None
    notebook_path: str | None
    mode: str
    size: int | None
    digest: str | None
    opaque: str | None


def _dumps(value: Any) -> str:
    # sort_keys: equal content gives equal text (diffable, hashable); default=str: an
    # odd value in an environment or parameter dict must not lose the whole record.
    return json.dumps(value, sort_keys=True, default=str)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock."""
    return "locked" in str(exc) or "busy" in str(exc)


def _loads_tuple(text: str | None) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text else ()


class RunStore:
    """A connection to one store file, usable from several threads.

    One connection is shared under a lock (``check_same_thread=False`` is safe only
    because of that lock).  Each public writer is one transaction; several writers can
    be grouped into one commit with :meth:`transaction`.

    ``pragmas`` are applied after the defaults, so callers (and tests) can tune or
    constrain the connection: ``{"busy_timeout": 100}`` fails fast on a lock,
    ``{"max_page_count": 50}`` makes SQLite report a full database.  ``vfs`` picks an
    SQLite VFS by name (``"unix-dotfile"`` where a file system's locks are unreliable;
    WAL is then unavailable and the rollback journal is used).  ``create=False`` refuses
    to create a missing store (readers that should not leave empty files behind).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        pragmas: Mapping[str, int | str] | None = None,
        create: bool = True,
        vfs: str | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._conn, self.journal_mode = open_connection(
            path, pragmas=pragmas, create=create, vfs=vfs
        )
        self.path: Path = store_path(path)
        try:
            self._busy_ms = int(self._conn.execute("PRAGMA busy_timeout").fetchone()[0])
            self._busy_now = self._busy_ms
            self._runs_known: set[str] = set()
            self._runs_ensured: set[str] = set()
            migrate(self._conn)
            self._identity = None if is_memory(path) else file_identity(self.path)
        except BaseException:
            self._conn.close()
            raise

    # -- transactions ------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one commit; nested uses join the outer transaction.

        ``BEGIN IMMEDIATE`` takes the write lock up front, waiting up to the busy
        timeout, rather than failing later when a read lock would need upgrading.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._set_busy_timeout(self._busy_ms)
            with self._outermost(busy=None):
                yield

    def _set_busy_timeout(self, ms: int) -> None:
        """Change the busy timeout only when it differs: cheap on the cell's path, where
        every commit is bounded and nothing else runs in between."""
        if self._busy_now != ms:
            self._conn.execute(f"PRAGMA busy_timeout = {int(ms)}")
            self._busy_now = ms

    @contextmanager
    def _outermost(self, busy: type[Exception] | None) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` with the lock held and no transaction open;
        with ``busy``, a write lock held elsewhere past the busy timeout raises that."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if busy is not None and _is_busy(exc):
                raise busy("another process holds the store's write lock") from exc
            raise
        self._depth = 1
        try:
            yield
            self._conn.execute("COMMIT")
            self._runs_known |= self._runs_ensured
        except BaseException:
            self._rollback()
            raise
        finally:
            self._runs_ensured = set()
            self._depth = 0

    @contextmanager
    def bounded_transaction(self, lock_wait: float, busy_ms: int) -> Iterator[None]:
        """One transaction that waits at most ``lock_wait`` seconds for this connection
        (another thread may be committing on it) and ``busy_ms`` for another process's
        write lock; :class:`StoreBusy` if either is held longer.

        The kernel commits each record on the cell's path with it: a record must be
        durable before the reply, but a cell must never wait long for another kernel.
        """
        with self._bounded(lock_wait, busy_ms), self._outermost(busy=StoreBusy):
            yield

    @contextmanager
    def _bounded(self, lock_wait: float, busy_ms: int) -> Iterator[None]:
        """This connection within ``lock_wait`` seconds, its busy timeout ``busy_ms``."""
        if not self._lock.acquire(timeout=lock_wait):
            raise StoreBusy("the store's connection is busy in another thread")
        try:
            if self._depth:
                raise StoreBusy("a transaction is already open on this connection")
            self._set_busy_timeout(busy_ms)
            yield
        finally:
            self._lock.release()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold this connection: no transaction of it starts until the block ends."""
        with self._lock:
            yield

    def set_autocheckpoint(self, pages: int) -> None:
        """SQLite's automatic WAL checkpoint threshold for this connection (0: off)."""
        with self._lock:
            self._conn.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            # If even ROLLBACK fails the connection is unusable; the caller's error says why.
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")

    # -- writers -----------------------------------------------------------------------

    def begin_run(self, run: RunInfo) -> None:
        """Record a run; a second call for the same run changes nothing.

        A row that an execution created before its run was begun (``complete = 0``) is
        filled in.
        """
        with self.transaction():
            self._conn.execute(
                """
                INSERT INTO runs (run_id, started_at, notebook_path, notebook_hash, kernel,
                                  pid, parameters, host, process, complete)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                ON CONFLICT (run_id) DO UPDATE SET
                    started_at = excluded.started_at,
                    notebook_path = excluded.notebook_path,
                    notebook_hash = excluded.notebook_hash,
                    kernel = excluded.kernel,
                    pid = excluded.pid,
                    parameters = excluded.parameters,
                    host = excluded.host,
                    process = excluded.process,
                    complete = 1
                WHERE runs.complete = 0
                """,
                (
                    run.run_id,
                    run.started_at,
                    run.notebook_path,
                    run.notebook_hash,
                    run.kernel,
                    run.pid,
                    _dumps(run.parameters),
                    run.host,
                    run.process,
                ),
            )

    _START_SQL = """
        UPDATE runs SET running_seq = ?, running_cell_id = ?,
            running_execution_count = ?, running_started_at = ?
        WHERE run_id = ?
    """

    def start_execution(self, start: ExecutionStart) -> None:
        """Note the execution that begins now: after a crash, the cell that was running."""
        with self.transaction():
            self._ensure_run(start.run_id, start.started_at)
            self._conn.execute(self._START_SQL, self._start_params(start))

    @staticmethod
    def _start_params(start: ExecutionStart) -> tuple[Any, ...]:
        return (start.seq, start.cell_id, start.execution_count, start.started_at, start.run_id)

    def start_execution_bounded(
        self, start: ExecutionStart, lock_wait: float, busy_ms: int
    ) -> None:
        """:meth:`start_execution` within the bounds of :meth:`bounded_transaction`.

        Once the run's row is known to exist this is one statement in autocommit mode,
        its own transaction: the commit before every cell is one call into SQLite.
        """
        if start.run_id not in self._runs_known:
            with self.bounded_transaction(lock_wait, busy_ms):
                self.start_execution(start)
            return
        with self._bounded(lock_wait, busy_ms):
            try:
                self._conn.execute(self._START_SQL, self._start_params(start))
            except sqlite3.OperationalError as exc:
                if _is_busy(exc):
                    raise StoreBusy("another process holds the store's write lock") from exc
                raise

    def _ensure_run(self, run_id: str, started_at: float) -> None:
        # Runs are never deleted, so one committed on this connection need not be
        # checked again: a statement less in every commit on the cell's path.
        if run_id in self._runs_known:
            return
        self._conn.execute(
            "INSERT OR IGNORE INTO runs (run_id, started_at, complete) VALUES (?, ?, 0)",
            (run_id, started_at),
        )
        self._runs_ensured.add(run_id)

    def set_environment(self, run_id: str, environment: Mapping[str, Any]) -> None:
        """Attach the run's environment (captured once per run, off the cell's path)."""
        with self.transaction():
            self._ensure_run(run_id, time.time())
            self._conn.execute(
                "UPDATE runs SET environment = ? WHERE run_id = ?",
                (_dumps(dict(environment)), run_id),
            )

    def set_parameters(self, run_id: str, parameters: Mapping[str, Any]) -> None:
        """Replace the run's parameters (papermill injects them after the run began)."""
        with self.transaction():
            self._ensure_run(run_id, time.time())
            self._conn.execute(
                "UPDATE runs SET parameters = ? WHERE run_id = ?",
                (_dumps(dict(parameters)), run_id),
            )

    def set_notebook(self, run_id: str, path: str | None, content_hash: str | None) -> None:
        """Record the notebook a run belongs to, learnt when the frontend says so."""
        with self.transaction():
            self._ensure_run(run_id, time.time())
            self._conn.execute(
                "UPDATE runs SET notebook_path = ?, notebook_hash = ? WHERE run_id = ?",
                (path, content_hash, run_id),
            )

    def add_execution(self, rec: ExecutionRecord, *, fresh: bool = False) -> None:
        """Store one execution, its variable states and its files in one transaction.

        Writing the same ``(run_id, seq)`` again replaces it, variables and files
        included, so a retry never duplicates.  ``fresh`` says the caller writes this
        execution for the first time (the kernel, before its reply): the variables and
        files of an earlier version need not be deleted, two statements fewer; a retry
        of the same record still lands on the same keys.
        """
        with self.transaction():
            conn = self._conn
            self._ensure_run(rec.run_id, rec.started_at)
            conn.execute(
                """
                INSERT OR REPLACE INTO executions (
                    run_id, seq, cell_id, execution_count, source_hash, source, started_at,
                    duration, status, error_type, reads, writes, mutated, deleted, notes,
                    pending)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    rec.run_id,
                    rec.seq,
                    rec.cell_id,
                    rec.execution_count,
                    rec.source_hash,
                    rec.source,
                    rec.started_at,
                    rec.duration,
                    rec.status,
                    rec.error_type,
                    _dumps(list(rec.reads)),
                    _dumps(list(rec.writes)),
                    _dumps(list(rec.mutated)),
                    _dumps(list(rec.deleted)),
                    _dumps(list(rec.notes)),
                    _dumps(rec.pending.to_json()) if rec.pending else None,
                ),
            )
            if not fresh:
                conn.execute(
                    "DELETE FROM variables WHERE run_id = ? AND seq = ?", (rec.run_id, rec.seq)
                )
            conn.executemany(
                """
                INSERT OR REPLACE INTO variables (run_id, seq, name, position, type_name,
                    digest, opaque, written, mutated, deleted)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    (
                        rec.run_id,
                        rec.seq,
                        v.name,
                        i,
                        v.type_name,
                        v.digest,
                        v.opaque,
                        int(v.written),
                        int(v.mutated),
                        int(v.deleted),
                    )
                    for i, v in enumerate(rec.variables)
                ],
            )
            if not fresh:
                conn.execute(
                    "DELETE FROM files WHERE run_id = ? AND seq = ?", (rec.run_id, rec.seq)
                )
            if not rec.files:
                return
            conn.executemany(
                """
                INSERT OR REPLACE INTO files (run_id, seq, path, mode, size, digest, opaque)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    (rec.run_id, rec.seq, f.path, f.mode, f.size, f.digest, f.opaque)
                    for f in rec.files
                ],
            )

    def end_run(self, run_id: str, ended_at: float) -> None:
        """Mark the run finished (kernel shutdown, ``%unload_ext``, end of a headless run)."""
        with self.transaction():
            self._conn.execute("UPDATE runs SET ended_at = ? WHERE run_id = ?", (ended_at, run_id))

    # -- readers -----------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    _SUMMARY_SQL = """
        SELECT r.run_id, r.started_at, r.ended_at, r.notebook_path,
               (SELECT count(*) FROM executions e WHERE e.run_id = r.run_id),
               (SELECT count(*) FROM executions e
                 WHERE e.run_id = r.run_id AND e.status = 'error'),
               r.kernel, r.host, r.process, r.running_seq, r.running_cell_id,
               r.running_execution_count, r.running_started_at,
               (SELECT max(seq) FROM executions e WHERE e.run_id = r.run_id)
        FROM runs r
    """

    @staticmethod
    def _summary(row: tuple[Any, ...]) -> RunSummary:
        (run_id, started, ended, path, executions, errors, kernel, host, process,
         r_seq, r_cell, r_count, r_start, last_seq) = row  # fmt: skip
        state = judge_run(
            run_id=run_id,
            ended_at=ended,
            host=host,
            process=process,
            running=(r_seq, r_cell, r_count, r_start),
            last_seq=last_seq,
        )
        return RunSummary(run_id, started, ended, path, executions, errors, kernel, state)

    def list_runs(
        self, notebook_path: str | None = None, limit: int | None = 50
    ) -> list[RunSummary]:
        """Most recent runs first, optionally only those of one notebook (exact path).

        ``limit=None`` lists every run.
        """
        sql = self._SUMMARY_SQL
        params: list[Any] = []
        if notebook_path is not None:
            sql += " WHERE r.notebook_path = ?"
            params.append(notebook_path)
        sql += " ORDER BY r.started_at DESC, r.run_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        return [self._summary(row) for row in self._query(sql, params)]

    def run_summary(self, run_id: str) -> RunSummary | None:
        """The :class:`RunSummary` of one run, or None."""
        rows = self._query(self._SUMMARY_SQL + " WHERE r.run_id = ?", (run_id,))
        return self._summary(rows[0]) if rows else None

    def get_run(self, run_id: str) -> RunInfo | None:
        """The run as begun (``ended_at`` is in :meth:`run_summary`), or None."""
        rows = self._query(
            """
            SELECT run_id, started_at, notebook_path, notebook_hash, kernel, pid, parameters,
                   host, process
            FROM runs WHERE run_id = ?
            """,
            (run_id,),
        )
        if not rows:
            return None
        rid, started, path, nb_hash, kernel, pid, parameters, host, process = rows[0]
        return RunInfo(
            run_id=rid,
            started_at=started,
            notebook_path=path,
            notebook_hash=nb_hash,
            kernel=kernel,
            pid=pid,
            parameters=json.loads(parameters) if parameters else {},
            host=host,
            process=process,
        )

    def get_environment(self, run_id: str) -> dict[str, Any] | None:
        """The environment attached to the run, or None if none was (yet) recorded."""
        rows = self._query("SELECT environment FROM runs WHERE run_id = ?", (run_id,))
        if not rows or rows[0][0] is None:
            return None
        env = json.loads(rows[0][0])
        return env if isinstance(env, dict) else None

    def count_executions(self, run_id: str) -> int:
        return int(self._query("SELECT count(*) FROM executions WHERE run_id = ?", (run_id,))[0][0])

    def executions(self, run_id: str) -> list[ExecutionRecord]:
        """Every stored execution of the run, in ``seq`` order, with its variables."""
        with self._lock:
            rows = self._conn.execute(
                """
                SELECT seq, cell_id, execution_count, source_hash, source, started_at,
                       duration, status, error_type, reads, writes, mutated, deleted, notes,
                       pending
                FROM executions WHERE run_id = ? ORDER BY seq
                """,
                (run_id,),
            ).fetchall()
            var_rows = self._conn.execute(
                """
                SELECT seq, name, type_name, digest, opaque, written, mutated, deleted
                FROM variables WHERE run_id = ? ORDER BY seq, position
                """,
                (run_id,),
            ).fetchall()
            file_rows = self._conn.execute(
                """
                SELECT seq, path, mode, size, digest, opaque
                FROM files WHERE run_id = ? ORDER BY seq, path, mode
                """,
                (run_id,),
            ).fetchall()
        files: dict[int, list[FileAccess]] = {}
        for seq, path, mode, size, digest, opaque in file_rows:
            files.setdefault(seq, []).append(
                FileAccess.from_json(
                    {"path": path, "mode": mode, "size": size, "digest": digest, "opaque": opaque}
                )
            )
        variables: dict[int, list[VariableState]] = {}
        for seq, name, type_name, digest, opaque, written, mutated, deleted in var_rows:
            variables.setdefault(seq, []).append(
                VariableState(
                    name=name,
                    type_name=type_name,
                    digest=digest,
                    opaque=opaque,
                    written=bool(written),
                    mutated=bool(mutated),
                    deleted=bool(deleted),
                )
            )
        out = []
        for row in rows:
            (seq, cell_id, count, src_hash, source, started, duration, status, error_type,
             reads, writes, mutated, deleted, notes, pending) = row  # fmt: skip
            out.append(
                ExecutionRecord(
                    run_id=run_id,
                    seq=seq,
                    cell_id=cell_id,
                    execution_count=count,
                    source_hash=src_hash,
                    source=source,
                    started_at=started,
                    duration=duration,
                    status="error" if status == "error" else "ok",
                    error_type=error_type,
                    reads=_loads_tuple(reads),
                    writes=_loads_tuple(writes),
                    mutated=_loads_tuple(mutated),
                    deleted=_loads_tuple(deleted),
                    variables=tuple(variables.get(seq, ())),
                    notes=_loads_tuple(notes),
                    files=tuple(files.get(seq, ())),
                    pending=Pending.from_json(json.loads(pending)) if pending else None,
                )
            )
        return out

    def file_history(self, path: str, limit: int | None = 50) -> list[FileUse]:
        """Every recorded use of the file at ``path`` (absolute, resolved), newest first."""
        sql = """
            SELECT f.run_id, f.seq, e.cell_id, e.execution_count, e.started_at,
                   r.notebook_path, f.mode, f.size, f.digest, f.opaque
            FROM files f
            LEFT JOIN executions e ON e.run_id = f.run_id AND e.seq = f.seq
            LEFT JOIN runs r ON r.run_id = f.run_id
            WHERE f.path = ?
            ORDER BY e.started_at DESC, f.run_id DESC, f.seq DESC
        """
        params: list[Any] = [path]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        return [FileUse(*row) for row in self._query(sql, params)]

    def run_record(self, run_id: str, *, include_source: bool = False) -> dict[str, Any]:
        """The public ``jupyter_ext.run/1`` document of a run (see ``core.records``).

        Raises :class:`UnknownRunError` if the run is not in the store.
        """
        with self._lock:  # one consistent view of the run and its executions
            run = self.get_run(run_id)
            summary = self.run_summary(run_id)
            if run is None or summary is None:
                raise UnknownRunError(f"no run {run_id!r} in the store at {self.path}")
            return run_record(
                run,
                self.executions(run_id),
                self.get_environment(run_id),
                ended_at=summary.ended_at,
                include_source=include_source,
                state=summary.state,
            )

    def resolve_run_id(self, prefix: str) -> str:
        """Turn what a user typed into a run id: a unique prefix, or ``"latest"``.

        Raises :class:`UnknownRunError` when nothing matches and
        :class:`AmbiguousRunError` when several runs share the prefix.
        """
        prefix = prefix.strip()
        if prefix == "latest":
            rows = self._query(
                "SELECT run_id FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1"
            )
            if not rows:
                raise UnknownRunError(f"no runs recorded yet in the store at {self.path}")
            return str(rows[0][0])
        if not prefix:
            raise UnknownRunError("empty run id")
        exact = self._query("SELECT run_id FROM runs WHERE run_id = ?", (prefix,))
        if exact:
            return str(exact[0][0])
        rows = self._query(
            "SELECT run_id FROM runs WHERE substr(run_id, 1, ?) = ? ORDER BY run_id LIMIT 11",
            (len(prefix), prefix),
        )
        if not rows:
            raise UnknownRunError(f"no run id starts with {prefix!r} in the store at {self.path}")
        if len(rows) > 1:
            ids = [str(r[0]) for r in rows]
            shown = ", ".join(ids[:10]) + (", ..." if len(ids) > 10 else "")
            raise AmbiguousRunError(
                f"run id prefix {prefix!r} is ambiguous: {shown}; type more characters", ids
            )
        return str(rows[0][0])

    # -- maintenance -------------------------------------------------------------------

    def is_current(self) -> bool:
        """Whether the path still names the file this connection has open.

        A user may delete or replace the store while a kernel runs; the open connection
        would then go on writing into a file nobody can reach.  Long-lived writers check
        this (one ``stat``) and reopen when it turns False.
        """
        if self._identity is None:
            return True
        try:
            return file_identity(self.path) == self._identity
        except OSError:
            return False

    def integrity_check(self) -> str:
        """SQLite's own verdict on the file: ``"ok"`` or the first problems found."""
        rows = self._query("PRAGMA integrity_check")
        return "; ".join(str(r[0]) for r in rows)

    def close(self) -> None:
        """Close the connection; further use raises ``sqlite3.ProgrammingError``."""
        with self._lock:
            self._rollback()
            self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
