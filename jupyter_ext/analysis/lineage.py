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

Everything is incremental: :meth:`LineageGraph.add` costs O(size of the record),
amortised.

Bounded memory.  With a ``history_limit``, only the latest executions are held in full;
the run store has them all.  Older ones are forgotten in batches, except the *anchors*
the rules read now: each cell's last execution, each name's last writer and the producer
of each name's current version (bounded by cells and names, not executions).  Chains
such as ``x = x + 1`` make the upstream of a value as long as the session, so "keep what
is still referenced" would not be bounded; instead every walk says whether it reached
forgotten executions (:class:`~.horizon.Walk`), and :attr:`LineageGraph.horizon` says where
the memory begins.  Current versions, binders of every version a kept execution read,
and the facts above are all the rules use, so their findings do not depend on the limit.
"""

from __future__ import annotations

import bisect
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..core.records import ExecutionRecord
from .horizon import Horizon, Walk

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
    """Versions and read edges of one run, built record by record in ``seq`` order.

    ``history_limit``: executions held in full (None: all).  Forgetting happens once the
    window overflows by a tenth, so that its cost, O(what is held), is spread over that
    many executions.
    """

    def __init__(
        self,
        history_limit: int | None = None,
        on_forget: Callable[[ExecutionRecord], None] | None = None,
    ) -> None:
        """``on_forget`` is told each record the graph stops holding, oldest first, for
        owners that keep a summary of what forgotten executions did."""
        if history_limit is not None and history_limit < 1:
            raise ValueError(f"history_limit must be positive, not {history_limit}")
        self._limit = history_limit
        self._on_forget = on_forget
        self._slack = max(1, history_limit // 10) if history_limit is not None else 0
        self._window: deque[int] = deque()
        """Seqs of the executions at or after the horizon, oldest first."""
        self._horizon = 0
        self._lost_readers: set[int] = set()
        """Held executions some of whose readers were forgotten."""
        self._lost_history: set[str] = set()
        """Names some of whose older versions were forgotten."""
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
        if self._limit is not None:
            self._window.append(seq)
            if len(self._window) > self._limit + self._slack:
                self._forget()
        return node

    def _forget(self) -> None:
        """Drop what lies before the window and no rule needs (see the module doc)."""
        assert self._limit is not None
        window = self._window
        while len(window) > self._limit:
            window.popleft()
        horizon = self._horizon = window[0]
        nodes = self._nodes
        anchors = {node.seq for node in self._last_of_cell.values()}
        anchors.update(node.seq for node in self._last_writer.values())
        anchors.update(version.seq for version in self._current.values())
        old = list(itertools.takewhile(lambda s: s < horizon, nodes))
        for seq in old:
            if seq not in anchors:
                forgotten = nodes.pop(seq)
                if self._on_forget is not None:
                    self._on_forget(forgotten.record)
        for producer in [p for p in self._readers if p < horizon]:
            if producer not in nodes:
                del self._readers[producer]
                continue
            readers = self._readers[producer]
            kept = [r for r in readers if r in nodes]
            if len(kept) != len(readers):
                self._lost_readers.add(producer)
                self._readers[producer] = kept
        self._lost_readers.intersection_update(nodes)
        for name, versions in self._history.items():
            if len(versions) > 1 and versions[0].seq < horizon:
                start = bisect.bisect_left(versions, horizon, key=lambda v: v.seq)
                self._history[name] = versions[min(start, len(versions) - 1) :]
                self._lost_history.add(name)
        referenced: set[Version] = set()
        for versions in self._history.values():
            referenced.update(versions)
        for node in nodes.values():
            referenced.update(v for v in node.inputs.values() if v is not None)
        for version in [v for v in self._binders if v not in referenced]:
            del self._binders[version]

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
        """Every execution held in memory, in ``seq`` order."""
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
        """Every content change of the name held in memory, oldest first (the current one
        always; :meth:`history_complete` says whether older ones were forgotten)."""
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
        """Executions whose values ``seq`` depended on, transitively, in ``seq`` order
        (those still held: :meth:`upstream_walk` says whether that is all of them)."""
        return list(self.upstream_walk(seq).seqs)

    def downstream(self, seq: int) -> list[int]:
        """Executions that read values ``seq`` produced, transitively, in ``seq`` order
        (those still held: :meth:`downstream_walk` says whether that is all of them)."""
        return list(self.downstream_walk(seq).seqs)

    def upstream_walk(self, seq: int) -> Walk:
        seen: set[int] = set()
        complete = not self.forgotten(seq)
        todo = [seq]
        while todo:
            node = self._nodes.get(todo.pop())
            if node is None:
                continue
            for version in node.inputs.values():
                if version is None or version.seq in seen or version.seq == seq:
                    continue
                if version.seq not in self._nodes:
                    complete = False
                    continue
                seen.add(version.seq)
                todo.append(version.seq)
        return Walk(tuple(sorted(seen)), complete)

    def downstream_walk(self, seq: int) -> Walk:
        seen: set[int] = set()
        complete = True
        todo = [seq]
        while todo:
            at = todo.pop()
            if at in self._lost_readers or self.forgotten(at):
                complete = False
            for reader in self._readers.get(at, ()):
                if reader not in seen and reader != seq:
                    seen.add(reader)
                    todo.append(reader)
        return Walk(tuple(sorted(seen)), complete)

    # -- memory ------------------------------------------------------------------------

    @property
    def horizon(self) -> int:
        """The oldest execution held in full; 0 while nothing was forgotten."""
        return self._horizon

    @property
    def history_limit(self) -> int | None:
        return self._limit

    def forgotten(self, seq: int) -> bool:
        """Whether execution ``seq`` was recorded but is no longer held in memory."""
        return seq < self._horizon and seq not in self._nodes

    def history_complete(self, name: str) -> bool:
        """Whether :meth:`history` still holds every content change of ``name``."""
        return name not in self._lost_history

    def footprint(self) -> dict[str, int]:
        """Sizes of what grows with executions, so that the bound can be checked."""
        return {
            "nodes": len(self._nodes),
            "versions": sum(len(v) for v in self._history.values()),
            "readers": sum(len(r) for r in self._readers.values()),
            "binders": len(self._binders),
        }

    def horizon_info(self) -> Horizon | None:
        """Where memory begins, for reports to say so; None while nothing was forgotten."""
        node = self._nodes.get(self._horizon) if self._horizon else None
        if node is None or self._limit is None:
            return None
        record = node.record
        return Horizon(self._horizon, record.execution_count, self._limit, record.run_id)


def _changed(before: Version | None, fresh: str | None) -> bool:
    if before is None or before.kind == DELETED:
        return True
    return before.digest is None or fresh is None or before.digest != fresh
