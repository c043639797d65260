"""Files in the lineage graph: which executions wrote a file, which read it (pure).

A file is a value that lives outside the kernel: an execution that reads ``data.csv``
depends on the execution that last wrote it, exactly as it depends on the cell that last
bound a variable it reads.  The variable graph (:mod:`.lineage`) and this index are
walked together by :func:`upstream` and :func:`downstream`, so "what did ``model``
come from" crosses ``df.to_csv(...)`` / ``pd.read_csv(...)`` boundaries.

Each event is what the recorder saw right after an execution: mode, size and content
digest.  A read whose digest differs from what a later execution wrote has been
overtaken: the reader used content the file no longer has (:meth:`FileLineage.overtaken`).
Unknown digests (``None``) count as a change, as for variables: a warning the user can
check beats a silent miss.

A kernel holds only its latest executions (``history_limit``).  :class:`ForgottenUses`
remembers, per path, the latest forgotten read and write (bounded by paths, not
executions), so each answer can say whether forgotten executions could have changed it,
and the walks report it (:class:`~.horizon.Walk`) rather than pass a partial lineage off
as whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..core.records import ExecutionRecord, FileMode
from .horizon import Walk
from .lineage import LineageGraph

__all__ = [
    "FileEvent",
    "FileLineage",
    "ForgottenUses",
    "downstream",
    "downstream_walk",
    "upstream",
    "upstream_walk",
]

READS: frozenset[FileMode] = frozenset({"read", "update"})
WRITES: frozenset[FileMode] = frozenset({"write", "update"})


@dataclass(frozen=True, slots=True)
class FileEvent:
    """One execution's use of one file, and the file's content right after it."""

    path: str
    seq: int
    cell_id: str | None
    execution_count: int | None
    mode: FileMode
    size: int | None
    digest: str | None
    opaque: str | None = None

    @property
    def reads(self) -> bool:
        return self.mode in READS

    @property
    def writes(self) -> bool:
        return self.mode in WRITES


@dataclass(slots=True)
class ForgottenUses:
    """Per path, the latest read and write among executions no longer held in memory."""

    reads: dict[str, int] = field(default_factory=dict)
    writes: dict[str, int] = field(default_factory=dict)

    def note(self, record: ExecutionRecord) -> None:
        for f in record.files:
            for uses, modes in ((self.reads, READS), (self.writes, WRITES)):
                if f.mode in modes and uses.get(f.path, 0) < record.seq:
                    uses[f.path] = record.seq

    def copy(self) -> ForgottenUses:
        return ForgottenUses(dict(self.reads), dict(self.writes))

    def last_use(self, path: str) -> int | None:
        uses = [u for u in (self.reads.get(path), self.writes.get(path)) if u is not None]
        return max(uses) if uses else None


class FileLineage:
    """Every file event of one run, by path and by execution, in ``seq`` order.

    ``forgotten``: uses by executions whose records are not among ``records`` (a kernel
    holding only its latest executions); None when ``records`` are the whole run.
    """

    def __init__(
        self, records: Iterable[ExecutionRecord] = (), forgotten: ForgottenUses | None = None
    ) -> None:
        self._by_path: dict[str, list[FileEvent]] = {}
        self._by_seq: dict[int, list[FileEvent]] = {}
        self._forgotten = forgotten or ForgottenUses()
        for record in records:
            self.add(record)

    def has_forgotten_uses(self, path: str) -> bool:
        """Whether executions no longer held in memory read or wrote ``path``."""
        return self._forgotten.last_use(path) is not None

    def writer_known(self, path: str, seq: int) -> bool:
        """Whether :meth:`writer_before` is sure: no forgotten write could be later."""
        last = self._forgotten.writes.get(path)
        if last is None:
            return True
        writer = self.writer_before(path, seq)
        return writer is not None and last < writer.seq

    def changes_known(self, path: str, seq: int) -> bool:
        """Whether every write of ``path`` after ``seq`` is held (for :meth:`overtaken`)."""
        return self._forgotten.writes.get(path, 0) < seq

    def readers_known(self, path: str, seq: int) -> bool:
        """Whether every use of ``path`` after ``seq`` is held (for :meth:`readers_after`)."""
        last = self._forgotten.last_use(path)
        return last is None or last < seq

    def add(self, record: ExecutionRecord) -> None:
        """Add the next execution's files (records must come in ``seq`` order)."""
        for f in record.files:
            event = FileEvent(
                path=f.path,
                seq=record.seq,
                cell_id=record.cell_id,
                execution_count=record.execution_count,
                mode=f.mode,
                size=f.size,
                digest=f.digest,
                opaque=f.opaque,
            )
            self._by_path.setdefault(f.path, []).append(event)
            self._by_seq.setdefault(record.seq, []).append(event)

    def __contains__(self, path: object) -> bool:
        return path in self._by_path

    def paths(self) -> list[str]:
        return sorted(self._by_path)

    def events(self, path: str) -> tuple[FileEvent, ...]:
        """Every use of ``path``, oldest first."""
        return tuple(self._by_path.get(path, ()))

    def of_execution(self, seq: int) -> tuple[FileEvent, ...]:
        return tuple(self._by_seq.get(seq, ()))

    def writer_before(self, path: str, seq: int) -> FileEvent | None:
        """The latest execution before ``seq`` that wrote ``path`` (None: none recorded;
        the file came from outside the run)."""
        found = None
        for event in self._by_path.get(path, ()):
            if event.seq >= seq:
                break
            if event.writes:
                found = event
        return found

    def file_inputs(self, seq: int) -> dict[str, FileEvent | None]:
        """For each file ``seq`` read: the write it read (None: from outside the run)."""
        return {
            e.path: self.writer_before(e.path, e.seq) for e in self.of_execution(seq) if e.reads
        }

    def readers_after(self, path: str, seq: int) -> list[FileEvent]:
        """Reads of ``path`` after ``seq`` and before the next write: those that used what
        ``seq`` wrote (an ``update`` both reads the old and writes the new content)."""
        out = []
        for event in self._by_path.get(path, ()):
            if event.seq <= seq:
                continue
            if event.reads:
                out.append(event)
            if event.writes:
                break
        return out

    def overtaken(self, event: FileEvent) -> FileEvent | None:
        """The first later write that changed the content ``event`` read, if any."""
        if not event.reads:
            return None
        for later in self._by_path.get(event.path, ()):
            if later.seq <= event.seq or not later.writes:
                continue
            if later.digest is None or event.digest is None or later.digest != event.digest:
                return later
        return None


def _predecessors(graph: LineageGraph, files: FileLineage, seq: int) -> tuple[set[int], bool]:
    """Held executions ``seq`` read from, and whether those are all of them."""
    node = graph.node(seq)
    complete = not graph.forgotten(seq)
    preds: set[int] = set()
    for version in node.inputs.values() if node is not None else ():
        if version is None:
            continue
        if graph.forgotten(version.seq):
            complete = False
        else:
            preds.add(version.seq)
    for path, writer in files.file_inputs(seq).items():
        if not files.writer_known(path, seq):
            complete = False
        if writer is not None:
            preds.add(writer.seq)
    return preds, complete


def _file_readers(files: FileLineage, seq: int) -> tuple[set[int], bool]:
    succ: set[int] = set()
    complete = True
    for event in files.of_execution(seq):
        if event.writes:
            succ |= {r.seq for r in files.readers_after(event.path, seq)}
            complete = complete and files.readers_known(event.path, seq)
    return succ, complete


def upstream(graph: LineageGraph, files: FileLineage, seq: int) -> list[int]:
    """Executions ``seq`` depended on through variables or files, transitively."""
    return list(upstream_walk(graph, files, seq).seqs)


def downstream(graph: LineageGraph, files: FileLineage, seq: int) -> list[int]:
    """Executions that used what ``seq`` produced, through variables or files, transitively."""
    return list(downstream_walk(graph, files, seq).seqs)


def upstream_walk(graph: LineageGraph, files: FileLineage, seq: int) -> Walk:
    """:func:`upstream`, and whether it reached executions no longer held in memory."""
    seen: set[int] = set()
    complete = True
    todo = [seq]
    while todo:
        preds, whole = _predecessors(graph, files, todo.pop())
        complete = complete and whole
        for pred in preds:
            if pred not in seen and pred != seq:
                seen.add(pred)
                todo.append(pred)
    return Walk(tuple(sorted(seen)), complete)


def downstream_walk(graph: LineageGraph, files: FileLineage, seq: int) -> Walk:
    """:func:`downstream`, and whether it reached executions no longer held in memory."""
    seen: set[int] = set()
    complete = True
    todo = [seq]
    while todo:
        current = todo.pop()
        walk = graph.downstream_walk(current)
        readers, whole = _file_readers(files, current)
        complete = complete and walk.complete and whole
        for succ in set(walk.seqs) | readers:
            if succ not in seen and succ != seq:
                seen.add(succ)
                todo.append(succ)
    return Walk(tuple(sorted(seen)), complete)
