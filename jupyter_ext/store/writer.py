"""Writing to the run store off the kernel's main thread.

A daemon thread opens the store (opening a slow or locked file never blocks a cell) and
commits queued operations (:meth:`BackgroundWriter.submit`: a lock and a deque append)
as soon as they arrive.  What must survive a crash that follows at once, the record of a
finished cell and the note that a cell begins, is committed on the caller's thread
instead (:meth:`BackgroundWriter.commit_now`): one WAL commit, a fraction of a
millisecond, bounded so that another kernel holding the lock costs the cell at most a few
milliseconds.  When that bound is hit, or the store had to fall back to a rollback
journal, the operation is queued as before and the user is told once that a crash may
now lose the last records.

When the store cannot be written (a directory that cannot be created, a read-only file, a
full disk, a lock held beyond the busy timeout, a corrupt or too-new file) the user's work
goes on: the writer says so once per kind of problem through ``on_problem``, keeps the
newest ``max_pending`` operations, retries with backoff, and says once when recording
resumed.  Nothing here raises into the caller.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from ..core.records import ExecutionRecord, RunInfo
from .location import default_store_path
from .ops import (
    AddExecution,
    BeginRun,
    EndRun,
    SetEnvironment,
    SetNotebook,
    SetParameters,
    StartExecution,
    StoreOp,
)
from .problems import StoreProblem, classify
from .sqlite import RunStore, StoreBusy

_log = logging.getLogger("jupyter_ext.store")

CHECKPOINT_EVERY = 256
"""Operations committed between two WAL checkpoints run by the writer thread.

SQLite checkpoints automatically inside the commit that crosses 1,000 pages of WAL, which
would now be a commit on the cell's path: copying megabytes back into the database and
syncing them there would stall one cell in a few hundred.  The writer's connection turns
that off and checkpoints on its own thread instead, through a connection of its own so
that the cell's commits never wait for it (a passive checkpoint takes no write lock)."""

WAL_RESTART_FRAMES = 4096
"""Frames (about 16 MiB) past which a checkpoint briefly holds the store's connection so
that the WAL can start over even while cells commit back to back."""

_CHECKPOINT_RETRY_S = 0.05
"""When commits outpace a checkpoint, it is tried again this long after the last try."""

ProblemCallback = Callable[[str], None]


class WriterStatus(TypedDict):
    """A snapshot for ``%track`` and the panel: a plain dict, so it goes into JSON as is.

    ``path``: the store file.  ``journal_mode``: ``"wal"``, ``"delete"`` after a
    fallback, or None until the store was opened.  ``written``: operations committed so
    far.  ``pending``: accepted but not yet committed.  ``dropped``: lost (evicted from
    a full queue, unstorable, or still pending at close).  ``last_error``: the problem
    of the current outage, None while writes succeed.  ``running``: the writer thread
    is alive.
    """

    path: str
    journal_mode: str | None
    written: int
    pending: int
    dropped: int
    last_error: str | None
    running: bool
    committed_inline: int
    """Operations committed on the caller's thread by :meth:`BackgroundWriter.commit_now`."""
    degraded: str | None
    """Why the last :meth:`BackgroundWriter.commit_now` had to queue instead, or None."""
    checkpoints: int
    """WAL checkpoints the writer thread completed (see ``CHECKPOINT_EVERY``)."""


@dataclass(slots=True)
class _Attempt:
    done: int = 0
    """How many operations from the front of the batch are finished (written or bad)."""
    written: int = 0
    bad: list[StoreProblem] | None = None
    problem: StoreProblem | None = None


class BackgroundWriter:
    """Queue store operations from any thread; one daemon thread writes them.

    ``store_factory`` builds the :class:`RunStore` inside the writer thread, and again
    after every failure (a fresh connection is the simplest cure for most failures).
    It defaults to ``RunStore(path, pragmas=pragmas)``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        on_problem: ProblemCallback | None = None,
        pragmas: Mapping[str, int | str] | None = None,
        store_factory: Callable[[], RunStore] | None = None,
        max_pending: int = 10_000,
        batch_size: int = 256,
        retry_initial: float = 2.0,
        retry_max: float = 30.0,
        inline_lock_wait: float = 0.05,
        inline_busy_ms: int = 5,
        inline_open_wait: float = 2.0,
    ) -> None:
        self.path = Path(path).absolute() if path is not None else default_store_path()
        self._on_problem = on_problem
        self._factory: Callable[[], RunStore] = store_factory or (
            lambda: RunStore(self.path, pragmas=pragmas)
        )
        self._max_pending = max(1, max_pending)
        self._batch_size = max(1, batch_size)
        self._retry_initial = retry_initial
        self._retry_max = max(retry_max, retry_initial)
        self._inline_lock_wait = inline_lock_wait
        self._inline_busy_ms = inline_busy_ms
        self._inline_open_wait = inline_open_wait

        # Shared state, guarded by _cond.
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[StoreOp] = deque()
        self._inflight = 0
        self._submitted = 0
        self._processed = 0  # written + dropped: every accepted op ends up counted here
        self._written = 0
        self._dropped = 0
        self._evicted_unreported = 0
        self._failures = 0
        self._retry_at: float | None = None
        self._wake = False
        self._idle = False
        self._accepting = True
        self._closing = False
        self._failures_at_close = 0
        self._stopped = False
        self._left_at_close = 0
        self._journal_mode: str | None = None
        self._last_error: str | None = None
        self._opened = False  # the first attempt to open the store is over
        self._committed_inline = 0
        self._degraded: str | None = None
        self._degraded_told: set[str] = set()
        self._since_checkpoint = 0
        self._checkpoint_due = False
        self._flushers = 0
        self._checkpoints = 0
        self._checkpoint_retry_at: float | None = None
        self._checkpoint_requests = 0
        self._checkpoint_served = 0

        # Writer-thread state.
        self._store: RunStore | None = None
        self._backoff = retry_initial
        self._reported: set[str] = set()
        self._reported_bad: set[str] = set()
        self._episode_dropped = 0
        self._evictions_reported = False

        self._thread = threading.Thread(target=self._run, name="jupyter-ext-store", daemon=True)
        self._thread.start()
        _forget_in_forked_children(self)

    # -- the hot path ------------------------------------------------------------------

    def submit(self, op: StoreOp) -> bool:
        """Queue one operation; returns at once, False if the writer is closed."""
        try:
            with self._cond:
                if not self._accepting:
                    return False
                self._queue.append(op)
                self._submitted += 1
                if len(self._queue) > self._max_pending:
                    self._evict()
                if self._idle:
                    self._idle = False
                    self._cond.notify_all()
            return True
        except Exception:  # never into the user's cell
            return False

    def commit_now(self, op: StoreOp) -> bool:
        """Commit ``op``, and everything queued before it, before returning.

        True once committed.  False when it was queued for the writer thread instead:
        the store is not open (yet, or failing), not in WAL mode, or its lock is held by
        another thread or process beyond the bounds given to the constructor.  Never
        raises; a degraded commit is reported once per reason through ``on_problem``.
        """
        try:
            return self._commit_now(op)
        except Exception:
            return self.submit(op) and False

    def _commit_now(self, op: StoreOp) -> bool:
        with self._cond:
            if not self._accepting:
                return False
            if not self._opened:
                self._cond.wait_for(lambda: self._opened or self._stopped, self._inline_open_wait)
            store = self._store if self._last_error is None else None
            mode = self._journal_mode
        if store is None:
            # Failing stores are reported by the writer thread; nothing more to say here.
            self.submit(op)
            return False
        if mode not in ("wal", "memory"):
            self.submit(op)
            return self._degrade(
                "journal",
                f"jupyter-ext: the run store at {self.path} cannot use WAL on this file system "
                f"(journal mode {mode}); records are written in the background, so a crash "
                "may lose the last ones",
            )
        batch: list[StoreOp] = []
        try:
            if isinstance(op, StartExecution) and not self._queue:
                # The usual case before a cell: one statement, its own transaction.
                with self._cond:
                    batch = [op]
                    self._submitted += 1
                store.start_execution_bounded(
                    op.start, self._inline_lock_wait, self._inline_busy_ms
                )
            else:
                with store.bounded_transaction(self._inline_lock_wait, self._inline_busy_ms):
                    with self._cond:
                        batch = [*self._queue, op]
                        self._queue.clear()
                        self._submitted += 1
                    for item in batch:
                        item.apply(store)
        except Exception as exc:
            if batch:
                with self._cond:  # the writer thread retries, or isolates a bad record
                    self._queue.extendleft(reversed(batch))
                    self._wake = True
                    self._cond.notify_all()
            else:
                self.submit(op)
            if isinstance(exc, StoreBusy):
                return self._degrade(
                    "busy",
                    f"jupyter-ext: the run store at {self.path} is busy (another kernel holds "
                    "its lock); records are written in the background meanwhile, so a crash "
                    "may lose the last ones",
                )
            return False
        with self._cond:
            self._processed += len(batch)
            self._written += len(batch)
            self._committed_inline += len(batch)
            self._degraded = None
            self._count_for_checkpoint(len(batch))
            # Wake only who waits for this: waking the idle writer thread after every
            # commit would make it compete for the interpreter on the cell's path.
            if self._flushers or self._checkpoint_due:
                self._cond.notify_all()
        return True

    def _count_for_checkpoint(self, written: int) -> None:
        """Called with the lock held after a commit."""
        self._since_checkpoint += written
        if self._since_checkpoint >= CHECKPOINT_EVERY:
            self._since_checkpoint = 0
            self._checkpoint_due = True

    def _degrade(self, kind: str, message: str) -> bool:
        with self._cond:
            self._degraded = kind
            first = kind not in self._degraded_told
            self._degraded_told.add(kind)
        if first:
            self._notify(message)
        return False

    def wait_checkpoints(self, count: int, timeout: float) -> bool:
        """Wait until the writer thread has completed ``count`` WAL checkpoints."""
        with self._cond:
            return self._cond.wait_for(lambda: self._checkpoints >= count, timeout)

    def checkpoint_now(self, timeout: float) -> bool:
        """Ask the writer thread for a checkpoint and wait until one that began after the
        request has copied every frame back (False on timeout or a store without WAL)."""
        with self._cond:
            self._checkpoint_requests += 1
            request = self._checkpoint_requests
            self._checkpoint_due = True
            self._cond.notify_all()
            return self._cond.wait_for(lambda: self._checkpoint_served >= request, timeout)

    def begin_run(self, run: RunInfo) -> bool:
        return self.submit(BeginRun(run))

    def add_execution(self, record: ExecutionRecord) -> bool:
        return self.submit(AddExecution(record))

    def set_environment(self, run_id: str, environment: Mapping[str, Any]) -> bool:
        # Copied: the caller may keep filling its dict while the writer serialises it.
        return self.submit(SetEnvironment(run_id, dict(environment)))

    def set_parameters(self, run_id: str, parameters: Mapping[str, Any]) -> bool:
        return self.submit(SetParameters(run_id, dict(parameters)))

    def set_notebook(self, run_id: str, path: str | None, content_hash: str | None) -> bool:
        return self.submit(SetNotebook(run_id, path, content_hash))

    def end_run(self, run_id: str, ended_at: float) -> bool:
        return self.submit(EndRun(run_id, ended_at))

    def _evict(self) -> None:
        """Drop the oldest execution (not a run's own row) to keep the queue bounded.

        Called with the lock held.
        """
        while len(self._queue) > self._max_pending:
            for i, op in enumerate(self._queue):
                if isinstance(op, AddExecution):
                    del self._queue[i]
                    break
            else:
                self._queue.popleft()
            self._dropped += 1
            self._processed += 1
            self._evicted_unreported += 1

    # -- waiting -----------------------------------------------------------------------

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every operation submitted so far is committed.

        Returns False when ``timeout`` passes first, or as soon as a write attempt fails
        (a broken store should not make ``%unload_ext`` or exit hang); a waiting retry is
        started at once rather than after its backoff.
        """
        try:
            if threading.current_thread() is self._thread:
                return False
            deadline = time.monotonic() + timeout
            with self._cond:
                target = self._submitted
                failures = self._failures
                if self._processed < target:
                    self._wake = True
                    self._cond.notify_all()
                self._flushers += 1
                try:
                    while self._processed < target:
                        if self._failures > failures or self._stopped:
                            return False
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            return False
                        self._cond.wait(remaining)
                finally:
                    self._flushers -= 1
                return True
        except Exception:
            return False

    def close(self, timeout: float = 5.0) -> bool:
        """Flush, stop the thread and close the store; True if nothing was left behind.

        Later submissions are refused.  If the store cannot be written, one more attempt
        is made and the remaining operations are counted as dropped.
        """
        try:
            with self._cond:
                self._accepting = False
                if not self._closing:
                    self._closing = True
                    self._failures_at_close = self._failures
                self._wake = True
                self._cond.notify_all()
            if threading.current_thread() is not self._thread:
                self._thread.join(timeout)
            with self._cond:
                return self._stopped and self._left_at_close == 0
        except Exception:
            return False

    def status(self) -> WriterStatus:
        with self._cond:
            return WriterStatus(
                path=str(self.path),
                journal_mode=self._journal_mode,
                written=self._written,
                pending=self._submitted - self._processed,
                dropped=self._dropped,
                last_error=self._last_error,
                running=not self._stopped,
                committed_inline=self._committed_inline,
                degraded=self._degraded,
                checkpoints=self._checkpoints,
            )

    # -- the writer thread -------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._open_eagerly()
            while True:
                batch = self._next_batch()
                if batch is None:
                    break
                if not batch:
                    self._checkpoint()
                    continue
                attempt = self._write(batch)
                self._settle(batch, attempt)
        except BaseException as exc:  # pragma: no cover - a bug; never kill silently
            _log.exception("jupyter-ext store writer stopped: %s", exc)
        finally:
            self._shutdown()

    def _open_eagerly(self) -> None:
        """Open at start so that problems and the journal mode are known early."""
        try:
            self._ensure_store()
        except Exception as exc:
            problem = classify(exc)
            with self._cond:
                self._failures += 1
                self._schedule_retry()
                self._last_error = self._problem_message(problem)
                self._opened = True
                self._cond.notify_all()
            self._report_problem(problem)
        else:
            with self._cond:
                self._opened = True
                self._cond.notify_all()

    def _next_batch(self) -> list[StoreOp] | None:
        """Wait for work (honouring a pending retry's backoff); None means stop."""
        with self._cond:
            while True:
                if self._closing and (not self._queue or self._failures > self._failures_at_close):
                    return None
                if self._queue:
                    now = time.monotonic()
                    if self._retry_at is None or self._wake or now >= self._retry_at:
                        break
                    self._cond.wait(self._retry_at - now)
                elif self._checkpoint_due:
                    self._checkpoint_due = False
                    return []
                elif self._checkpoint_retry_at is not None:
                    wait = self._checkpoint_retry_at - time.monotonic()
                    if wait <= 0:
                        self._checkpoint_retry_at = None
                        return []
                    self._cond.wait(wait)
                else:
                    self._idle = True
                    self._cond.wait()
                    self._idle = False
            self._wake = False
            n = min(self._batch_size, len(self._queue))
            batch = [self._queue.popleft() for _ in range(n)]
            self._inflight = n
            return batch

    def _ensure_store(self) -> RunStore:
        if self._store is not None and not self._store.is_current():
            self._drop_store()  # deleted or replaced under us: write where users look
        if self._store is None:
            store = self._factory()
            if store.journal_mode == "wal":
                store.set_autocheckpoint(0)  # see CHECKPOINT_EVERY
            self._store = store
            with self._cond:
                self._journal_mode = store.journal_mode
        return self._store

    def _checkpoint(self) -> None:
        """A passive WAL checkpoint on a connection of its own (see CHECKPOINT_EVERY).

        The WAL starts over at the first commit after a checkpoint that left no frame
        behind.  Cells that commit back to back (a long Run All of quick cells) append
        frames while the checkpoint copies, so it never starts over by itself; once the
        WAL passes ``WAL_RESTART_FRAMES`` the last pass holds the store's connection,
        which makes the next commit start it over (the cell that waits for that pass
        waits for a copy of the few frames added since the previous one).
        """
        if self._journal_mode != "wal":
            return
        with self._cond:
            serving = self._checkpoint_requests
        try:
            conn = sqlite3.connect(str(self.path), timeout=0, isolation_level=None)
            try:
                frames = done = 0
                for _ in range(3):
                    _busy, frames, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if frames == done:
                        break
                store = self._store
                if frames > WAL_RESTART_FRAMES and store is not None:
                    with store.held():
                        _busy, frames, done = conn.execute(
                            "PRAGMA wal_checkpoint(PASSIVE)"
                        ).fetchone()
                if frames == done:
                    with self._cond:
                        self._checkpoints += 1
                        self._checkpoint_served = max(self._checkpoint_served, serving)
                        self._checkpoint_retry_at = None
                        self._cond.notify_all()
                    return
                # Commits keep coming: try again when they pause.
                with self._cond:
                    self._checkpoint_retry_at = time.monotonic() + _CHECKPOINT_RETRY_S
            finally:
                conn.close()
        except sqlite3.Error:
            _log.debug("checkpoint skipped", exc_info=True)

    def _drop_store(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(Exception):
                store.close()

    def _write(self, batch: list[StoreOp]) -> _Attempt:
        """Commit the batch in one transaction; isolate unstorable records if one fails."""
        attempt = _Attempt()
        try:
            store = self._ensure_store()
        except Exception as exc:
            # Whatever stops the store from opening is the store's problem, not a record's.
            problem = classify(exc)
            attempt.problem = StoreProblem(problem.kind, problem.reason, True)
            return attempt
        try:
            with store.transaction():
                for op in batch:
                    op.apply(store)
            attempt.done = attempt.written = len(batch)
            return attempt
        except Exception as exc:
            problem = classify(exc)
            if problem.retryable:
                attempt.problem = problem
                return attempt
        # A record is at fault: write one by one, skipping those that cannot be stored.
        bad: list[StoreProblem] = []
        attempt.bad = bad
        for op in batch:
            try:
                op.apply(store)
                attempt.written += 1
            except Exception as exc:
                problem = classify(exc)
                if problem.retryable:
                    attempt.problem = problem
                    return attempt
                bad.append(problem)
            attempt.done += 1
        return attempt

    def _settle(self, batch: list[StoreOp], attempt: _Attempt) -> None:
        """Account for an attempt and put back what is still to be written."""
        bad = attempt.bad or []
        with self._cond:
            self._inflight = 0
            self._written += attempt.written
            self._dropped += len(bad)
            self._processed += attempt.done
            self._count_for_checkpoint(attempt.written)
            if attempt.problem is None:
                self._retry_at = None
                self._backoff = self._retry_initial
                recovered = self._last_error is not None
                self._last_error = None
            else:
                self._queue.extendleft(reversed(batch[attempt.done :]))
                self._failures += 1
                self._schedule_retry()
                self._last_error = self._problem_message(attempt.problem)
                recovered = False
                if len(self._queue) > self._max_pending:
                    self._evict()
            evicted, self._evicted_unreported = self._evicted_unreported, 0
            self._cond.notify_all()
        self._episode_dropped += evicted + len(bad)
        if attempt.problem is not None:
            self._drop_store()
            self._report_problem(attempt.problem)
        if evicted and not self._evictions_reported:
            self._evictions_reported = True
            self._notify(
                f"jupyter-ext: the run store at {self.path} is still not writable; keeping "
                f"the newest {self._max_pending} pending records and dropping older ones"
            )
        for problem in bad:
            if problem.kind not in self._reported_bad:
                self._reported_bad.add(problem.kind)
                self._notify(
                    f"jupyter-ext: a record could not be stored in {self.path} and was "
                    f"skipped ({problem.reason})"
                )
        if recovered:
            self._report_recovery()

    def _schedule_retry(self) -> None:
        """Called with the lock held after a failure."""
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self._retry_max)

    def _problem_message(self, problem: StoreProblem) -> str:
        return (
            f"jupyter-ext: cannot write the run store at {self.path} ({problem.reason}); "
            "your cells still run, recording resumes when it can be written"
        )

    def _report_problem(self, problem: StoreProblem) -> None:
        if problem.kind in self._reported:
            return
        self._reported.add(problem.kind)
        self._notify(self._problem_message(problem))

    def _report_recovery(self) -> None:
        if not self._reported:
            return
        lost = self._episode_dropped
        self._reported.clear()
        self._episode_dropped = 0
        self._evictions_reported = False
        suffix = f" ({lost} records were dropped meanwhile)" if lost else ""
        self._notify(
            f"jupyter-ext: the run store at {self.path} is writable again; "
            f"recording resumed{suffix}"
        )

    def _notify(self, message: str) -> None:
        callback = self._on_problem
        try:
            if callback is None:
                _log.warning("%s", message)
            else:
                callback(message)
        except Exception:
            _log.debug("on_problem callback failed", exc_info=True)

    def _shutdown(self) -> None:
        self._drop_store()
        with self._cond:
            left = len(self._queue) + self._inflight
            self._queue.clear()
            self._inflight = 0
            self._dropped += left
            self._processed += left
            self._left_at_close = left
            self._accepting = False
            self._stopped = True
            self._opened = True
            self._cond.notify_all()


def _forget_in_forked_children(writer: BackgroundWriter) -> None:
    """A forked child has the writer's state but not its thread: make it inert there.

    Otherwise the child's submissions would queue forever, and a lock held by the
    writer thread at fork time would stay held in the child.
    """
    ref = weakref.ref(writer)

    def after_in_child() -> None:
        w = ref()
        if w is not None:
            w._cond = threading.Condition(threading.Lock())
            w._accepting = False
            w._stopped = True
            w._store = None  # the parent's connection must not be used or closed here

    os.register_at_fork(after_in_child=after_in_child)
