"""Notebook hygiene: the one rules engine behind ``%hygiene``, the panel and the CLI.

Fed execution records (live from the recorder, or derived from a saved notebook by the
static checker) and, when a frontend is connected, snapshots of the document, it keeps the
current findings up to date.  Pure: no IPython, no SQLite, no I/O.

Findings (DESIGN contract 4).  Codes are stable; new kinds get new codes:

======== ====================== ======== =================================================
code     kind                   severity what it says
======== ====================== ======== =================================================
JX101    ``stale``              warning  an input of the cell's last run changed since
JX102    ``out_of_order``       warning  an input came from a cell below it
JX103    ``hidden_state``       warning  a live name was set by code the notebook no longer
                                         holds (deleted cell, edited cell, console)
JX104    ``edited``             info     the cell's source changed since it ran
JX105    ``undefined_in_order`` warning  top to bottom, the cell reads a name no cell above
                                         defines
======== ====================== ======== =================================================

``edited`` is ``info``: an edit is the normal way of working, and its consequences (stale
readers, hidden state) are reported as warnings of their own.

Decisions (see also :mod:`.rules_cells` and :mod:`.rules_order`):

* Document order comes from the latest snapshot.  Without one (no frontend: console,
  classic frontends, papermill), a cell's position is the order of its first execution,
  ``hidden_state``/``edited`` cannot be known and are not reported, and
  ``undefined_in_order`` is skipped.
* An executed source is the cell's newest source until a snapshot with a higher ``seq``
  arrives (DESIGN, Protocol): no spurious ``edited`` between running a cell and the next
  snapshot, and a cell run before the frontend reported it is not taken for deleted.
* ``hidden_state`` is grouped by writer: one finding per edited cell (``cell_id`` = that
  cell), one per deleted cell and one for code run outside the notebook (``cell_id`` null).
  Names starting with ``_`` and names Python or IPython provide are never flagged.
* Cells deleted from the document get no findings of their own.
* ``cell_status()`` covers the cells of the document that ran, plus cells that never ran
  but have a finding or cannot be judged (so the panel can say why).

Cost: ``add_execution`` marks what the record can affect (the cell itself, the cells whose
last run read a name whose content it changed or rebound, the names it bound or deleted)
and the next ``warnings()``/``cell_status()`` re-judges only those.  A snapshot costs
O(cells) comparisons; when only sources changed it re-judges the edited cells, and
``undefined_in_order`` from analyses cached by source (an edit re-analyses one cell).
Memory: with a ``history_limit`` the graph forgets executions older than its window,
except what these rules read (each cell's last execution, each name's last writer and
current version, the binders of what those executions read), so findings are the same
as with the whole history.  Everything else kept here is bounded by cells and names.

Not thread-safe: the caller serialises records, snapshots and queries.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

from ..core.ids import source_hash
from ..core.records import ExecutionRecord
from . import wording
from .lineage import ExecutionNode, LineageGraph, Version
from .names import CellNames, analyse
from .rules_cells import out_of_order_inputs, stale_inputs
from .rules_findings import (
    CODES,
    HIDDEN_STATE,
    KIND_RANK,
    KINDS,
    OUT_OF_ORDER,
    SEVERITIES,
    UNDEFINED_IN_ORDER,
    Finding,
    edited_finding,
    order_finding,
    stale_finding,
    undefined_finding,
)
from .rules_hidden import HiddenState, hidden_key
from .rules_order import DEFAULT_KNOWN_GLOBALS, OrderJudge, ipython_generated
from .snapshot import NotebookSnapshot

__all__ = [
    "CODES",
    "DEFAULT_KNOWN_GLOBALS",
    "KINDS",
    "SEVERITIES",
    "Finding",
    "HygieneEngine",
]


class HygieneEngine:
    """Current findings for one kernel (or one saved notebook), updated incrementally."""

    def __init__(
        self,
        analyse_source: Callable[[str], CellNames] = analyse,
        known_globals: frozenset[str] = DEFAULT_KNOWN_GLOBALS,
        history_limit: int | None = None,
        hash_source: Callable[[str], str] = source_hash,
        on_forget: Callable[[ExecutionRecord], None] | None = None,
    ) -> None:
        """``hash_source`` must agree with :func:`~jupyter_ext.core.ids.source_hash`;
        the static checker passes the hashes it already computed with each cell's
        analysis."""
        self._known = known_globals
        self._hash_source = hash_source
        self._graph = LineageGraph(history_limit, on_forget)
        self._snapshot: NotebookSnapshot | None = None
        self._snap_hash: dict[str, str] = {}
        self._override: dict[str, tuple[str, str]] = {}
        """Cell id -> (source, hash) executed after the latest snapshot, differing from it."""
        self._rank: dict[str, int] = {}
        self._readers: dict[str, set[str]] = {}
        """Name -> cells whose last execution read it."""
        self._written_by: dict[str, set[str]] = {}
        """Cell id -> names whose last writer is an execution of that cell."""
        self._cell_findings: dict[str, tuple[Finding, ...]] = {}
        self._out_of_order: dict[str, set[str]] = {}
        """Name -> cells flagged out of order on it."""
        self._undefined: dict[str, Finding] = {}
        self._unjudgeable: dict[str, str] = {}
        # A function of the known names, not a bound method: the engine must not be in a
        # reference cycle, or every engine the static checker makes (one per notebook)
        # waits for the cyclic collector instead of being freed when it is done.
        self._order = OrderJudge(analyse_source, partial(_is_provided, known_globals))
        self._hidden = HiddenState()
        self._dirty_cells: set[str] = set()
        self._dirty_names: set[str] = set()
        self._dirty_status: set[str] = set()
        self._order_dirty = False
        self._warnings: list[Finding] | None = []
        self._status: dict[str, dict[str, object]] = {}

    # -- inputs --------------------------------------------------------------------------

    @property
    def graph(self) -> LineageGraph:
        return self._graph

    @property
    def notebook(self) -> NotebookSnapshot | None:
        return self._snapshot

    @property
    def notebook_seq(self) -> int | None:
        return self._snapshot.seq if self._snapshot is not None else None

    def add_execution(self, record: ExecutionRecord) -> ExecutionNode:
        """Take the next execution into account.  ``record.seq`` must increase (else
        :class:`ValueError` from the graph, and nothing changes).  Returns its node."""
        graph = self._graph
        cell = record.cell_id
        previous = graph.last_execution_of(cell) if cell is not None else None
        writers_before = {name: graph.last_writer(name) for name in record.writes}
        node = graph.add(record)
        if cell is not None:
            self._rank.setdefault(cell, len(self._rank))
            if previous is not None:
                for name in previous.record.reads:
                    readers = self._readers.get(name)
                    if readers is not None:
                        readers.discard(cell)
                        if not readers:
                            del self._readers[name]
            for name in record.reads:
                self._readers.setdefault(name, set()).add(cell)
            self._dirty_cells.add(cell)
            self._dirty_status.add(cell)
            if self._snapshot is not None:
                self._note_executed_source(cell, record)
        for name in node.outputs:  # new content: every reader may be stale now
            self._dirty_cells |= self._readers.get(name, set())
        for name in node.rebinds:  # same content bound above a reader may put it in order
            self._dirty_cells |= self._out_of_order.get(name, set())
        for name, before in writers_before.items():
            if graph.last_writer(name) is not node:
                continue  # bound and deleted by the same execution
            if before is not None and before.cell_id is not None:
                names = self._written_by.get(before.cell_id)
                if names is not None:
                    names.discard(name)
            if cell is not None:
                self._written_by.setdefault(cell, set()).add(name)
        self._dirty_names.update(record.writes)
        self._dirty_names.update(node.outputs)  # deletions, and a deleted name coming back
        return node

    def set_notebook(self, snapshot: NotebookSnapshot) -> bool:
        """Apply a newer document snapshot; False (and nothing changes) unless its ``seq``
        is higher than the applied one's.

        O(cells) to compare with the previous snapshot.  When only sources changed (the
        usual snapshot: someone typed), only the edited cells and the names they wrote are
        re-judged, plus ``undefined_in_order`` from cached analyses; a structural change
        (cells added, removed, moved or retyped) re-judges everything.
        """
        old = self._snapshot
        if old is not None and snapshot.seq <= old.seq:
            return False
        hashes: dict[str, str] = {}
        edited: set[str] = set()
        same_layout = old is not None and len(old.cells) == len(snapshot.cells)
        for i, cell in enumerate(snapshot.cells):
            before = old.cell(cell.id) if old is not None else None
            if before is not None and before.source == cell.source:
                hashes[cell.id] = self._snap_hash[cell.id]
            else:
                # Only code cells are ever compared with an executed source's hash.
                code = cell.cell_type == "code"
                hashes[cell.id] = self._hash_source(cell.source) if code else ""
                edited.add(cell.id)
            if same_layout and old is not None:
                was = old.cells[i]
                same_layout = was.id == cell.id and was.cell_type == cell.cell_type
        overridden = set(self._override)
        self._snapshot = snapshot
        self._snap_hash = hashes
        self._override.clear()
        if same_layout and overridden <= hashes.keys():
            self._rejudge_sources(edited | overridden)
        else:
            self._rejudge_everything()
        return True

    def clear_notebook(self) -> None:
        """Forget the document (its frontend went away, or a new one will start counting
        ``seq`` from scratch): back to judging without a snapshot until the next one."""
        self._snapshot = None
        self._snap_hash = {}
        self._override.clear()
        self._rejudge_everything()

    # -- outputs -------------------------------------------------------------------------

    def warnings(self) -> list[Finding]:
        """Current findings: document order of their cell (findings without a cell, or on
        a cell the document does not hold, last), then kind in :data:`KINDS` order."""
        self._flush()
        if self._warnings is None:
            items: list[Finding] = [f for fs in self._cell_findings.values() for f in fs]
            items += self._undefined.values()
            items += self._hidden.findings()
            items.sort(key=self._sort_key)
            self._warnings = items
        return list(self._warnings)

    def cell_status(self) -> dict[str, dict[str, object]]:
        """Per cell: ``{"status": "ok"|"error"|None, "execution_count", "seq", "kinds",
        "unjudgeable"}``.  ``status``/``execution_count``/``seq`` describe the cell's last
        execution (None if it never ran).  The inner dicts are shared with the engine's
        cache: treat them as read-only."""
        self._flush()
        if self._dirty_status:  # built only when asked: the static checker never asks
            cells, self._dirty_status = self._dirty_status, set()
            for cell in cells:
                self._build_status(cell)
        return dict(self._status)

    # -- bookkeeping ---------------------------------------------------------------------

    def _note_executed_source(self, cell: str, record: ExecutionRecord) -> None:
        """The executed source stays the cell's source until a newer snapshot arrives."""
        snapshot = self._snapshot
        assert snapshot is not None
        before = self._current(cell)
        listed = snapshot.cell(cell)
        if before is None:
            # A cell the document did not hold yet: messages calling it "since-deleted"
            # must change.  Rare (the frontend flushes its snapshot before executing).
            self._dirty_cells.update(self._cell_findings)
        if (
            listed is not None
            and listed.cell_type == "code"
            and self._snap_hash[cell] == record.source_hash
        ):
            self._override.pop(cell, None)
        else:
            self._override[cell] = (record.source, record.source_hash)
        if self._current(cell) != before:
            if listed is not None:
                self._order_dirty = True
            self._dirty_names |= self._written_by.get(cell, set())

    def _rejudge_sources(self, cells: set[str]) -> None:
        """After a snapshot that changed only these cells' sources."""
        if not cells:
            return
        self._order_dirty = True
        self._dirty_cells |= cells
        self._dirty_status |= cells
        for cell in cells:
            self._dirty_names |= self._written_by.get(cell, set())

    def _rejudge_everything(self) -> None:
        self._order_dirty = True
        self._dirty_cells.update(self._graph.executed_cells())
        self._dirty_names.update(self._graph.names())
        self._dirty_status.update(self._status)
        self._dirty_status.update(self._graph.executed_cells())
        self._warnings = None

    def _current(self, cell: str) -> tuple[str, str] | None:
        """(cell type, source hash) of the cell as the notebook now holds it; None if the
        document does not hold it.  Only meaningful with a snapshot."""
        executed = self._override.get(cell)
        if executed is not None:
            return "code", executed[1]
        snapshot = self._snapshot
        listed = snapshot.cell(cell) if snapshot is not None else None
        if listed is None:
            return None
        return listed.cell_type, self._snap_hash[cell]

    def _exists(self, cell: str) -> bool:
        return self._snapshot is None or cell in self._override or cell in self._snapshot

    def _position(self, cell: str) -> int | None:
        if self._snapshot is None:
            return self._rank.get(cell)
        return self._snapshot.position(cell)

    def _not_user_name(self, name: str) -> bool:
        return name.startswith("_") or name in self._known

    def _sort_key(self, finding: Finding) -> tuple[float, str, int, tuple[str, ...], str]:
        """Document position, then (for findings off the document) cell id, then kind."""
        cell = finding.cell_id
        position = self._position(cell) if cell is not None else None
        where = math.inf if position is None else float(position)
        kind = KIND_RANK.get(finding.kind, len(KINDS))
        return where, cell or "", kind, finding.names, finding.message

    def _flush(self) -> None:
        if self._order_dirty:
            self._order_dirty = False
            self._judge_order()
        if self._dirty_names:
            names, self._dirty_names = self._dirty_names, set()
            for name in names:
                key = None
                if self._snapshot is not None:
                    key = hidden_key(self._graph, name, self._current, self._not_user_name)
                self._hidden.update(name, key)
            changed, cells = self._hidden.rebuild(self._graph)
            if changed:
                self._warnings = None
            self._dirty_status |= cells
        if self._dirty_cells:
            cells, self._dirty_cells = self._dirty_cells, set()
            for cell in cells:
                self._judge_cell(cell)

    # -- per-cell rules: stale, out_of_order, edited -------------------------------------

    def _judge_cell(self, cell: str) -> None:
        node = self._graph.last_execution_of(cell)
        found: list[Finding] = []
        if node is not None and self._exists(cell):
            stale = stale_inputs(self._graph, node)
            if stale:
                found.append(stale_finding(cell, stale, self._actor))
            disordered = out_of_order_inputs(self._graph, node, self._position)
            if disordered:
                found.append(order_finding(cell, disordered, self._actor))
            current = self._current(cell) if self._snapshot is not None else None
            if current is not None and current != ("code", node.record.source_hash):
                found.append(edited_finding(cell, current[0], node))
        result = tuple(found)
        before = self._cell_findings.get(cell, ())
        if before != result:
            self._index_out_of_order(cell, before, result)
            if result:
                self._cell_findings[cell] = result
            else:
                self._cell_findings.pop(cell, None)
            self._warnings = None
            self._dirty_status.add(cell)

    def _index_out_of_order(
        self, cell: str, before: tuple[Finding, ...], after: tuple[Finding, ...]
    ) -> None:
        for finding in before:
            if finding.kind == OUT_OF_ORDER:
                for name in finding.names:
                    cells = self._out_of_order[name]
                    cells.discard(cell)
                    if not cells:
                        del self._out_of_order[name]
        for finding in after:
            if finding.kind == OUT_OF_ORDER:
                for name in finding.names:
                    self._out_of_order.setdefault(name, set()).add(cell)

    def _actor(self, version: Version) -> wording.Actor:
        cell = version.cell_id
        if cell is None:
            where = wording.OUTSIDE
        elif self._exists(cell):
            where = wording.IN_NOTEBOOK
        else:
            where = wording.DELETED_CELL
        return wording.Actor(where, version.execution_count)

    # -- undefined_in_order --------------------------------------------------------------

    def _judge_order(self) -> None:
        snapshot = self._snapshot
        undefined: dict[str, Finding] = {}
        unjudgeable: dict[str, str] = {}
        if snapshot is not None:
            cells = [
                (c.id, self._override[c.id][0] if c.id in self._override else c.source)
                for c in snapshot.cells
                if c.cell_type == "code" or c.id in self._override
            ]
            verdict = self._order.judge(cells)
            unjudgeable = verdict.unjudgeable
            for cell, names in verdict.undefined.items():
                undefined[cell] = undefined_finding(cell, names)
        for cell in {*undefined, *self._undefined, *unjudgeable, *self._unjudgeable}:
            if undefined.get(cell) != self._undefined.get(cell):
                self._warnings = None
                self._dirty_status.add(cell)
            elif unjudgeable.get(cell) != self._unjudgeable.get(cell):
                self._dirty_status.add(cell)
        self._undefined = undefined
        self._unjudgeable = unjudgeable

    # -- cell status ---------------------------------------------------------------------

    def _build_status(self, cell: str) -> None:
        node = self._graph.last_execution_of(cell)
        kinds = [f.kind for f in self._cell_findings.get(cell, ())]
        if self._hidden.flags(cell):
            kinds.append(HIDDEN_STATE)
        if cell in self._undefined:
            kinds.append(UNDEFINED_IN_ORDER)
        unjudgeable = self._unjudgeable.get(cell)
        if not self._exists(cell) or (node is None and not kinds and unjudgeable is None):
            self._status.pop(cell, None)
            return
        kinds.sort(key=KIND_RANK.__getitem__)
        record = node.record if node is not None else None
        self._status[cell] = {
            "status": record.status if record is not None else None,
            "execution_count": record.execution_count if record is not None else None,
            "seq": record.seq if record is not None else None,
            "kinds": kinds,
            "unjudgeable": unjudgeable,
        }


def _is_provided(known: frozenset[str], name: str) -> bool:
    """Names the kernel or IPython provide: never "undefined" in document order."""
    return name in known or ipython_generated(name)
