"""Completes execution records in execution order, on the cell's path when it can.

The cell's reply should not wait for a 1 GB array to be hashed. ``post_run_cell``
digests small values inline (they must be read before the next cell can change them)
and hands big ones to this single worker thread; xxh3 releases the GIL on large
buffers, so hashing overlaps with the user's next cell. Correctness rests on one rule
the recorder enforces: a cell that may mutate a value still being hashed waits for the
worker first (:meth:`Finalizer.wait_idle`).

The "last known digest" table decides whether a name was mutated in place, so it must
be read and updated in execution order.  The worker owns it while it has jobs; when it
has none and a job has nothing big left (the usual case), the caller completes the
record itself (:meth:`Finalizer.finish_inline`), so that the record can be committed
before the kernel replies.  Otherwise the caller stores a *provisional* record
(:func:`provisional_record`: digests and verdicts still open are marked pending) and the
worker's complete record replaces it later.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..core.records import ExecutionRecord, FileAccess, Pending, Status, VariableState
from .file_state import FileBatch
from .files import quiet_thread
from .hashing import Digest, digest


@dataclass(slots=True)
class FinalizeJob:
    run_id: str
    seq: int
    cell_id: str | None
    execution_count: int | None
    source: str
    source_hash: str
    started_at: float
    duration: float
    status: Status
    error_type: str | None
    reads: frozenset[str]
    written: frozenset[str]
    deleted: frozenset[str]
    notes: tuple[str, ...]
    computed: dict[str, Digest] = field(default_factory=dict)
    """Digests taken inline by ``post_run_cell``."""
    large: dict[str, object] = field(default_factory=dict)
    """Values to digest here; the job holds them alive until then."""
    invalid: bool = False
    """Set when a later cell had to run before ``large`` was hashed (digest unreliable)."""
    files: FileBatch | None = None
    """Files the cell opened; big ones are digested here (each checks it is unchanged)."""
    built: ExecutionRecord | None = None
    """A record already completed by :meth:`Finalizer.finish_inline`: only delivered."""

    @property
    def has_large_work(self) -> bool:
        return bool(self.large) or (self.files is not None and bool(self.files.pending))


RecordSink = Callable[[ExecutionRecord, bool], None]
"""Receives each complete record in execution order, and whether it was already stored
complete (built inline) or still has to replace a provisional row."""


class Finalizer:
    """A FIFO worker turning :class:`FinalizeJob` into :class:`ExecutionRecord`."""

    def __init__(
        self,
        sink: RecordSink,
        on_error: Callable[[BaseException], None],
        quiet_period: float = 0.015,
    ) -> None:
        self._sink = sink
        self._quiet_period = quiet_period
        self._last_submit = 0.0
        self._urgent = 0
        self._on_error = on_error
        self._jobs: deque[FinalizeJob] = deque()
        self._cond = threading.Condition()
        self._unfinished = 0
        self._unbuilt = 0
        """Jobs whose record is still to be built: while any is, the worker owns the
        last known digests and :meth:`finish_inline` declines."""
        self._stopping = False
        self._known: dict[str, Digest] = {}
        self.completed = 0
        self._thread = threading.Thread(
            target=self._loop, name="jupyter-ext-finalizer", daemon=True
        )
        self._thread.start()

    def finish_inline(self, job: FinalizeJob) -> ExecutionRecord | None:
        """Complete ``job`` on the caller's thread if nothing is ahead of it and nothing
        in it is big; None otherwise (then :meth:`submit` it).

        The record is delivered to the sink later, in order, by the worker: the caller
        stores it first and the sink must not have to wait for that.
        """
        if job.has_large_work:
            return None
        with self._cond:
            if self._unbuilt:
                return None
            # No record is being built and only the caller submits: the table is ours.
            # (Jobs that only deliver a built record do not touch it.)
            files = job.files.finish() if job.files is not None else ()
            record = build_record(job, job.computed, self._known, files)
            job.built = record
            job.computed = {}
            job.files = None
        return record

    def submit(self, job: FinalizeJob) -> None:
        with self._cond:
            idle = not self._jobs
            self._jobs.append(job)
            self._unfinished += 1
            if job.built is None:
                self._unbuilt += 1
            self._last_submit = time.monotonic()
            # A worker with jobs is already timing its quiet period and will see this
            # one; waking it after every cell would have it compete with the next cell.
            if idle:
                self._cond.notify_all()

    @property
    def busy(self) -> bool:
        """Whether records are still being built (big values may be waiting for digests)."""
        return self._unbuilt > 0

    def pending_names(self) -> set[str]:
        """Names whose big values are still waiting to be hashed."""
        with self._cond:
            if not self._unbuilt:
                return set()
            return {name for job in self._jobs if job.built is None for name in job.large}

    def wait_idle(self, timeout: float) -> bool:
        """Block until every submitted job is done; False (and jobs marked) on timeout."""
        with self._cond:
            self._urgent += 1
            self._cond.notify_all()
            try:
                done = self._cond.wait_for(lambda: self._unfinished == 0, timeout)
            finally:
                self._urgent -= 1
            if not done:
                for job in self._jobs:
                    job.invalid = True
            return done

    def close(self, timeout: float) -> None:
        self.wait_idle(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout=1.0)

    def _settled(self) -> bool:
        return (
            self._urgent > 0
            or self._stopping
            or time.monotonic() - self._last_submit >= self._quiet_period
        )

    def _loop(self) -> None:
        with quiet_thread():  # the files this thread digests are not the notebook's reads
            self._work()

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._jobs) or self._stopping)
                if not self._jobs:
                    return
                # Let the kernel send its reply first: working right after a cell would
                # compete with the main thread for the GIL exactly when the user waits.
                while not self._settled():
                    remaining = self._quiet_period - (time.monotonic() - self._last_submit)
                    self._cond.wait(max(remaining, 0.001))
                job = self._jobs[0]
            try:
                if job.built is not None:
                    self._sink(job.built, True)
                else:
                    try:
                        record = self._finish(job)
                    finally:
                        with self._cond:
                            self._unbuilt -= 1
                    self._sink(record, False)
            except BaseException as exc:  # never let the worker die silently
                self._on_error(exc)
            finally:
                with self._cond:
                    self._jobs.popleft()
                    self._unfinished -= 1
                    self.completed += 1
                    self._cond.notify_all()

    def _finish(self, job: FinalizeJob) -> ExecutionRecord:
        computed = dict(job.computed)
        for name, value in job.large.items():
            computed[name] = digest(value)
        job.large.clear()
        if job.invalid:
            # A later cell ran while these were queued and may have changed them.
            computed = {
                name: Digest(None, d.type_name, "changed while being digested")
                for name, d in computed.items()
            }
        files = job.files.finish() if job.files is not None else ()
        return build_record(job, computed, self._known, files)


def provisional_record(job: FinalizeJob) -> ExecutionRecord:
    """What can be stored before the worker has caught up: everything but the open parts.

    Digests taken inline are kept; big values are listed as pending digests; whether any
    digested name was mutated in place is left pending (the last known digests belong
    to the worker); files still to be digested are listed as pending files.
    """
    variables = [
        VariableState(name=name, type_name="", digest=None, deleted=True)
        for name in sorted(job.deleted)
    ]
    for name in sorted(job.computed.keys() | job.large.keys()):
        fresh = job.computed.get(name)
        variables.append(
            VariableState(
                name=name,
                type_name=fresh.type_name if fresh is not None else type(job.large[name]).__name__,
                digest=fresh.value if fresh is not None else None,
                opaque=fresh.opaque if fresh is not None else "digest pending",
                written=name in job.written,
            )
        )
    digested = job.computed.keys() | job.large.keys()
    files = tuple(job.files.done) if job.files is not None else ()
    pending = Pending(
        digests=tuple(sorted(job.large)),
        mutated=tuple(sorted(digested - job.written)),
        files=tuple(sorted(p.path for p in job.files.pending)) if job.files else (),
    )
    return _assemble(
        job, variables, (), tuple(sorted(files, key=lambda f: (f.path, f.mode))), pending
    )


def _assemble(
    job: FinalizeJob,
    variables: list[VariableState],
    mutated: tuple[str, ...],
    files: tuple[FileAccess, ...],
    pending: Pending | None,
) -> ExecutionRecord:
    return ExecutionRecord(
        run_id=job.run_id,
        seq=job.seq,
        cell_id=job.cell_id,
        execution_count=job.execution_count,
        source_hash=job.source_hash,
        source=job.source,
        started_at=job.started_at,
        duration=job.duration,
        status=job.status,
        error_type=job.error_type,
        reads=tuple(sorted(job.reads)),
        writes=tuple(sorted(job.written)),
        mutated=mutated,
        deleted=tuple(sorted(job.deleted)),
        variables=tuple(variables),
        notes=job.notes,
        files=files,
        pending=pending or None,
    )


def build_record(
    job: FinalizeJob,
    computed: Mapping[str, Digest],
    known: dict[str, Digest],
    files: tuple[FileAccess, ...] = (),
) -> ExecutionRecord:
    """Compare fresh digests with the last known ones and assemble the record.

    A name whose digest changed without the cell binding it was mutated in place.
    Opaque digests never count as a change or as "unchanged": they are recorded as
    opaque so that the rules can say they cannot judge.
    """
    variables: list[VariableState] = []
    mutated: list[str] = []
    for name in sorted(job.deleted):
        known.pop(name, None)
        variables.append(VariableState(name=name, type_name="", digest=None, deleted=True))
    for name in sorted(computed):
        fresh = computed[name]
        previous = known.get(name)
        written = name in job.written
        changed = (
            previous is not None
            and previous.value is not None
            and fresh.value is not None
            and previous.value != fresh.value
        )
        is_mutated = changed and not written
        if is_mutated:
            mutated.append(name)
        known[name] = fresh
        variables.append(
            VariableState(
                name=name,
                type_name=fresh.type_name,
                digest=fresh.value,
                opaque=fresh.opaque,
                written=written,
                mutated=is_mutated,
            )
        )
    for name in sorted(job.reads - computed.keys() - job.deleted):
        last = known.get(name)
        if last is not None:
            variables.append(
                VariableState(
                    name=name, type_name=last.type_name, digest=last.value, opaque=last.opaque
                )
            )
    return _assemble(job, variables, tuple(mutated), files, None)
