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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..core.records import ExecutionRecord, FileMode
from .lineage import LineageGraph

__all__ = ["FileEvent", "FileLineage", "downstream", "upstream"]

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


class FileLineage:
    """Every file event of one run, by path and by execution, in ``seq`` order."""

    def __init__(self, records: Iterable[ExecutionRecord] = ()) -> None:
        self._by_path: dict[str, list[FileEvent]] = {}
        self._by_seq: dict[int, list[FileEvent]] = {}
        for record in records:
            self.add(record)

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


def _predecessors(graph: LineageGraph, files: FileLineage, seq: int) -> set[int]:
    node = graph.node(seq)
    preds = {v.seq for v in node.inputs.values() if v is not None} if node else set()
    preds |= {w.seq for w in files.file_inputs(seq).values() if w is not None}
    return preds


def _file_readers(files: FileLineage, seq: int) -> set[int]:
    succ: set[int] = set()
    for event in files.of_execution(seq):
        if event.writes:
            succ |= {r.seq for r in files.readers_after(event.path, seq)}
    return succ


def upstream(graph: LineageGraph, files: FileLineage, seq: int) -> list[int]:
    """Executions ``seq`` depended on through variables or files, transitively."""
    seen: set[int] = set()
    todo = [seq]
    while todo:
        for pred in _predecessors(graph, files, todo.pop()):
            if pred not in seen and pred != seq:
                seen.add(pred)
                todo.append(pred)
    return sorted(seen)


def downstream(graph: LineageGraph, files: FileLineage, seq: int) -> list[int]:
    """Executions that used what ``seq`` produced, through variables or files, transitively."""
    seen: set[int] = set()
    todo = [seq]
    while todo:
        current = todo.pop()
        found = set(graph.downstream(current)) | _file_readers(files, current)
        for succ in found:
            if succ not in seen and succ != seq:
                seen.add(succ)
                todo.append(succ)
    return sorted(seen)
