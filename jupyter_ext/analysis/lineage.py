"""The lineage graph: which execution produced which content of which name, and who read it.

Executions are the nodes.  A name's *versions* are the successive contents it held, each
produced by one execution; an execution's *inputs* are the versions current when it ran,
for every name it read.  Edges run from the execution that produced a version to the
executions that read it, so "what did this result depend on" (:meth:`upstream`) and "what
did this change affect" (:meth:`downstream`) are walks over recorded facts, not guesses.

What counts as a change (DESIGN, Semantics): content, not binding.  A name gets a new
version only when its digest differs from the current version's, when either digest is
unknown (``None``: an opaque value, or a record from the static checker, which has no
digests; assuming "changed" there errs towards a warning the user can see, never towards
silently missing one), when the name had no version yet, or when it is deleted.  Binding a
name to an equal value is recorded in :attr:`ExecutionNode.rebinds` and makes that
execution the name's :meth:`last_writer`, but creates no version: re-running
``import numpy as np`` or ``threshold = 30`` changes nothing anybody read.

Reads are taken from ``record.reads`` as given: the recorder already adds the globals that
called user functions read, transitively.

Everything is incremental: :meth:`LineageGraph.add` costs O(size of the record).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..core.records import ExecutionRecord

__all__ = ["ExecutionNode", "LineageGraph", "Version"]

WRITTEN = "written"
MUTATED = "mutated"
DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Version:
    """One content of one name, and the execution that produced it."""

    name: str
    seq: int
    """The execution that produced this content."""
    cell_id: str | None
    execution_count: int | None
    digest: str | None
    """``None``: unknown (opaque value, deletion, or a record without digests)."""
    kind: str
    """``"written"`` (bound), ``"mutated"`` (changed in place) or ``"deleted"``."""


@dataclass(frozen=True, slots=True)
class ExecutionNode:
    record: ExecutionRecord
    inputs: Mapping[str, Version | None]
    """For each name read: the version current when the execution ran; ``None`` when the
    value's origin is unknown (bound before recording started, or by nothing recorded)."""
    outputs: Mapping[str, Version]
    """Versions this execution created: names whose content changed, and deletions."""
    rebinds: frozenset[str]
    """Names it bound to a value equal to their current content (no new version)."""

    @property
    def seq(self) -> int:
        return self.record.seq

    @property
    def cell_id(self) -> str | None:
        return self.record.cell_id


class LineageGraph:
    """Versions and read edges of one run, built record by record in ``seq`` order."""

    def __init__(self) -> None:
        self._nodes: dict[int, ExecutionNode] = {}
        self._current: dict[str, Version] = {}
        self._history: dict[str, list[Version]] = {}
        self._last_writer: dict[str, ExecutionNode] = {}
        self._last_of_cell: dict[str, ExecutionNode] = {}
        self._readers: dict[int, list[int]] = {}
        self._binders: dict[Version, dict[str | None, None]] = {}
        self._last_seq = 0

    def __len__(self) -> int:
        return len(self._nodes)

    def add(self, record: ExecutionRecord) -> ExecutionNode:
        """Add the next execution.  ``record.seq`` must be greater than every earlier one
        (a record is a fact about the past; replaying one out of order would rewrite
        history other nodes were built on), else :class:`ValueError`."""
        seq = record.seq
        if seq <= self._last_seq:
            raise ValueError(f"execution seq {seq} is not after the last one ({self._last_seq})")
        current = self._current
        inputs = {name: current.get(name) for name in record.reads}
        digests = {v.name: v.digest for v in record.variables if not v.deleted}
        deleted = set(record.deleted)
        writes = set(record.writes) - deleted
        outputs: dict[str, Version] = {}
        rebinds: set[str] = set()
        for name in sorted(writes | (set(record.mutated) - deleted)):
            fresh = digests.get(name)
            before = current.get(name)
            if _changed(before, fresh):
                kind = WRITTEN if name in writes else MUTATED
                outputs[name] = self._new_version(record, name, fresh, kind)
            elif name in writes:
                assert before is not None
                rebinds.add(name)
                self._binders[before].setdefault(record.cell_id)
        for name in sorted(deleted):
            before = current.get(name)
            if before is None or before.kind != DELETED:
                outputs[name] = self._new_version(record, name, None, DELETED)
        node = ExecutionNode(
            record=record,
            inputs=MappingProxyType(inputs),
            outputs=MappingProxyType(outputs),
            rebinds=frozenset(rebinds),
        )
        self._nodes[seq] = node
        self._last_seq = seq
        for name in writes:
            self._last_writer[name] = node
        if record.cell_id is not None:
            self._last_of_cell[record.cell_id] = node
        producers = {v.seq for v in inputs.values() if v is not None}
        for producer in sorted(producers):
            self._readers.setdefault(producer, []).append(seq)
        return node

    def _new_version(
        self, record: ExecutionRecord, name: str, digest: str | None, kind: str
    ) -> Version:
        version = Version(
            name=name,
            seq=record.seq,
            cell_id=record.cell_id,
            execution_count=record.execution_count,
            digest=digest,
            kind=kind,
        )
        self._current[name] = version
        self._history.setdefault(name, []).append(version)
        self._binders[version] = {record.cell_id: None} if kind == WRITTEN else {}
        return version

    # -- queries -----------------------------------------------------------------------

    def node(self, seq: int) -> ExecutionNode | None:
        return self._nodes.get(seq)

    def nodes(self) -> Iterator[ExecutionNode]:
        """Every execution, in ``seq`` order."""
        return iter(self._nodes.values())

    def names(self) -> Iterable[str]:
        """Every name that has at least one version."""
        return self._current.keys()

    def current(self, name: str) -> Version | None:
        """The name's current content.  For a deleted name this is the ``"deleted"``
        version (kind tells), so callers can say who deleted it; ``None`` only for a name
        no recorded execution ever changed."""
        return self._current.get(name)

    def history(self, name: str) -> tuple[Version, ...]:
        """Every content change of the name, oldest first."""
        return tuple(self._history.get(name, ()))

    def last_writer(self, name: str) -> ExecutionNode | None:
        """The latest execution that bound the name, even to an equal value.

        Deletions and in-place mutations do not count: this answers "which code would
        recreate the binding", and a later deletion is visible from :meth:`current`.
        """
        return self._last_writer.get(name)

    def binder_cells(self, version: Version) -> tuple[str | None, ...]:
        """Cells (None: code outside the notebook) that bound the name to exactly this
        content: its producer if it was written, then those that rebound it to an equal
        value, each once, in order of first binding.  Bounded by the number of cells, so
        re-running ``import numpy as np`` a thousand times costs nothing here."""
        return tuple(self._binders.get(version, ()))

    def last_execution_of(self, cell_id: str) -> ExecutionNode | None:
        return self._last_of_cell.get(cell_id)

    def executed_cells(self) -> Iterable[str]:
        """Ids of every cell executed at least once, in order of first execution."""
        return self._last_of_cell.keys()

    def upstream(self, seq: int) -> list[int]:
        """Executions whose values ``seq`` depended on, transitively, in ``seq`` order."""
        seen: set[int] = set()
        todo = [seq]
        while todo:
            node = self._nodes.get(todo.pop())
            if node is None:
                continue
            for version in node.inputs.values():
                if version is not None and version.seq not in seen and version.seq != seq:
                    seen.add(version.seq)
                    todo.append(version.seq)
        return sorted(seen)

    def downstream(self, seq: int) -> list[int]:
        """Executions that read values ``seq`` produced, transitively, in ``seq`` order."""
        seen: set[int] = set()
        todo = [seq]
        while todo:
            for reader in self._readers.get(todo.pop(), ()):
                if reader not in seen and reader != seq:
                    seen.add(reader)
                    todo.append(reader)
        return sorted(seen)


def _changed(before: Version | None, fresh: str | None) -> bool:
    if before is None or before.kind == DELETED:
        return True
    return before.digest is None or fresh is None or before.digest != fresh
