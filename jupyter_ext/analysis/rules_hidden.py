"""``hidden_state``: live names that running the notebook as it now stands would not recreate.

A name is hidden state when it is live (its current version is not a deletion) and its
latest *binding* (:meth:`LineageGraph.last_writer`, which counts rebinds to an equal value)
came from code the document no longer holds in that form:

* ``"deleted"``: the writer cell is gone from the document;
* ``"edited"``: the writer cell's current source (trailing whitespace ignored) is not the
  source that ran, or it is no longer a code cell;
* ``"outside"``: the writer had no cell id (console, ``%run`` from another client) while
  a document is known.  Without a document nothing is flagged at all: a plain console or
  a papermill run without ids would otherwise drown in warnings.

In-place mutations do not move the binding: a fresh run re-executes the mutating cell as
long as it exists, and if it does not, the readers of its change are stale instead.

Findings are grouped by writer (one per edited cell, anchored on it; one per deleted cell
and one for outside code, anchored on no cell), and kept name by name so an execution
only re-judges the names it bound or deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .lineage import DELETED, ExecutionNode, LineageGraph
from .rules_findings import EDITED, Finding, hidden_finding
from .wording import DELETED_CELL, OUTSIDE

__all__ = ["HiddenKey", "HiddenState", "hidden_key"]

HiddenKey = tuple[str, str | None]
"""(reason, writer cell id): ("edited", id), ("deleted", id) or ("outside", None)."""

CurrentOf = Callable[[str], tuple[str, str] | None]
"""Cell id -> (cell type, source hash) as the document now holds it, or None if gone."""


def hidden_key(
    graph: LineageGraph, name: str, current: CurrentOf, ignored: Callable[[str], bool]
) -> HiddenKey | None:
    """Why ``name`` is hidden state, or None if it is not (call only with a document)."""
    if ignored(name):
        return None
    now = graph.current(name)
    writer = graph.last_writer(name)
    if now is None or now.kind == DELETED or writer is None:
        return None
    cell = writer.cell_id
    if cell is None:
        return OUTSIDE, None
    held = current(cell)
    if held is None:
        return DELETED_CELL, cell
    if held != ("code", writer.record.source_hash):
        return EDITED, cell
    return None


class HiddenState:
    """The current ``hidden_state`` findings, maintained name by name."""

    def __init__(self) -> None:
        self._key: dict[str, HiddenKey] = {}
        self._groups: dict[HiddenKey, set[str]] = {}
        self._findings: dict[HiddenKey, Finding] = {}
        self._dirty: set[HiddenKey] = set()

    def update(self, name: str, key: HiddenKey | None) -> None:
        """Record the name's verdict; its group's finding is rebuilt by :meth:`rebuild`."""
        old = self._key.get(name)
        if old is not None:
            self._dirty.add(old)
        if key is not None:
            self._dirty.add(key)  # even if unchanged: its writer's prompt number may be new
        if key == old:
            return
        if old is not None:
            group = self._groups[old]
            group.discard(name)
            if not group:
                del self._groups[old]
            del self._key[name]
        if key is not None:
            self._groups.setdefault(key, set()).add(name)
            self._key[name] = key

    def rebuild(self, graph: LineageGraph) -> tuple[bool, set[str]]:
        """Rebuild the findings of the groups that changed.  Returns whether any finding
        changed and the cells whose ``hidden_state`` badge may have changed."""
        changed = False
        cells: set[str] = set()
        dirty, self._dirty = self._dirty, set()
        for key in dirty:
            reason, cell = key
            names = sorted(self._groups.get(key, ()))
            previous = self._findings.pop(key, None)
            finding = None
            if names:
                writers: dict[int, ExecutionNode] = {}
                for name in names:
                    writer = graph.last_writer(name)
                    if writer is not None:
                        writers[writer.seq] = writer
                ordered = [writers[seq] for seq in sorted(writers)]
                finding = hidden_finding(reason, cell, names, ordered)
                self._findings[key] = finding
            if finding != previous:
                changed = True
                if reason == EDITED and cell is not None:
                    cells.add(cell)
        return changed, cells

    def findings(self) -> Iterable[Finding]:
        return self._findings.values()

    def flags(self, cell: str) -> bool:
        """Whether the cell carries a ``hidden_state`` finding (as an edited writer)."""
        return (EDITED, cell) in self._groups
