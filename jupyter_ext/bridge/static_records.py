"""Execution records and a document snapshot derived from a saved notebook.

This is how the static checker reuses the kernel's rules engine (DESIGN: "one rules
engine serves the live kernel and the static checker"): the records below are what the
recorder would have written had it watched the notebook's executions, as far as a saved
file can tell.

* Order: code cells with an execution count, by count (a saved 0 means "not
  executed").  Equal counts (several kernel sessions) are ordered by document position;
  the order is then a guess, which is why the checker reports duplicate counts and does
  not judge order there.
* Evidence of execution: a notebook counts as executed only when some code cell holds an
  output.  Counts without a single output anywhere are what output strippers that keep
  counts leave behind (``nbstripout --keep-count``), and the outputs are what a reader
  trusts; with no outputs there is nothing a stale input could have produced.  Such a
  notebook gives no records, like one whose counts were cleared.
* Reads and writes: :func:`~.static_code.code_facts` of the cell's current source (the
  saved source *is* the executed one as far as the file knows).  A call to a function
  defined by an earlier execution adds the globals that function reads (and binds),
  transitively, like the recorder does from the function's bytecode.  Reads are kept
  only for names an earlier execution bound (the recorder only reports names in the
  namespace).  Mutations (conservative, see ``static_code``) never count for names an
  import bound: ``np.append(a, 1)`` leaves ``np`` alone.
* Digests: none, except the static ones for imports and literals (``static_code``);
  ``None`` is "unknown", which the engine treats as "changed".
* Status: ``error`` when the cell holds an error output (``error_type`` is its
  ``ename``).  Timing is unknown: ``started_at`` and ``duration`` are 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..analysis.snapshot import CellSnapshot, NotebookSnapshot
from ..core.records import ExecutionRecord, Status, VariableState
from .static_code import CodeFacts, code_facts
from .static_notebook import NbCell, notebook_cells

__all__ = ["STATIC_RUN_ID", "executed", "records_for_cells", "records_from_notebook", "snapshot"]

FactsOf = Callable[[str], CodeFacts]

STATIC_RUN_ID = "static"
"""``run_id`` of derived records: they belong to no recorded run."""


def records_from_notebook(nb: Mapping[str, Any]) -> tuple[list[ExecutionRecord], NotebookSnapshot]:
    """Records (in execution-count order) and the document snapshot of an nbformat 4
    notebook (a ``NotebookNode`` or plain dict).  Raises :class:`~.static_notebook.
    NotebookError` (a ``ValueError``) if its cells cannot be read."""
    cells = notebook_cells(nb)
    return records_for_cells(cells), snapshot(cells)


def snapshot(cells: list[NbCell], path: str | None = None) -> NotebookSnapshot:
    """Every cell, in document order, as the frontend would describe it."""
    parts = tuple(CellSnapshot(id=c.id, cell_type=c.cell_type, source=c.source) for c in cells)
    return NotebookSnapshot(seq=1, path=path, cells=parts)


def executed(cells: list[NbCell]) -> bool:
    """Whether the file shows evidence of execution: an output on some code cell."""
    return any(c.outputs for c in cells if c.cell_type == "code")


def records_for_cells(cells: list[NbCell], facts: FactsOf = code_facts) -> list[ExecutionRecord]:
    """``facts``: how to analyse a source (the checker passes a per-notebook memo)."""
    if not executed(cells):
        return []
    ran = sorted(
        (c for c in cells if c.cell_type == "code" and c.execution_count is not None),
        key=lambda c: (c.execution_count, c.index),
    )
    functions: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    bound: set[str] = set()
    modules: set[str] = set()
    records = []
    for seq, cell in enumerate(ran, start=1):
        cell_facts = facts(cell.source)
        names = cell_facts.names
        if functions and names.calls:
            reads, binds = _called(names.calls, functions)
            reads |= names.reads
            writes = (names.writes | binds) - names.deletes
        else:
            reads, writes = set(names.reads), names.writes - names.deletes
        status, error_type = _status(cell)
        records.append(
            ExecutionRecord(
                run_id=STATIC_RUN_ID,
                seq=seq,
                cell_id=cell.id,
                execution_count=cell.execution_count,
                source_hash=cell_facts.source_hash,
                source=cell.source,
                started_at=0.0,
                duration=0.0,
                status=status,
                error_type=error_type,
                reads=tuple(sorted(reads & bound)),
                writes=tuple(sorted(writes)),
                mutated=tuple(sorted((cell_facts.mutated & bound) - writes - modules)),
                deleted=tuple(sorted(names.deletes & bound)),
                variables=tuple(
                    VariableState(name=n, type_name="", digest=d, written=True)
                    for n, d in cell_facts.digests  # sorted by name
                    if n in writes
                ),
                notes=_notes(names.star_import, names.dynamic, names.syntax_error),
            )
        )
        for name, fn_reads, fn_binds in cell_facts.functions:
            functions[name] = (fn_reads, fn_binds)
        defined = {f[0] for f in cell_facts.functions}
        for name in writes - defined:
            functions.pop(name, None)  # rebound to something that is not a def
        bound |= writes
        bound -= names.deletes
        modules -= writes | names.deletes
        modules |= cell_facts.imported & writes
    return records


def _called(
    calls: frozenset[str], functions: dict[str, tuple[frozenset[str], frozenset[str]]]
) -> tuple[set[str], set[str]]:
    """Globals read and bound by the user functions a cell calls, transitively."""
    reads: set[str] = set()
    binds: set[str] = set()
    todo = [name for name in calls if name in functions]
    seen = set(todo)
    while todo:
        fn_reads, fn_binds = functions[todo.pop()]
        reads |= fn_reads
        binds |= fn_binds
        for name in fn_reads:
            if name in functions and name not in seen:
                seen.add(name)
                todo.append(name)
    return reads, binds


def _status(cell: NbCell) -> tuple[Status, str | None]:
    for output in cell.outputs:
        if output.get("output_type") == "error":
            ename = output.get("ename")
            return "error", ename if isinstance(ename, str) else None
    return "ok", None


def _notes(star: bool, dynamic: tuple[str, ...], syntax_error: str | None) -> tuple[str, ...]:
    notes = []
    if syntax_error is not None:
        notes.append(f"syntax error: {syntax_error}")
    if star:
        notes.append("star import: bindings not known statically")
    notes.extend(dynamic)
    return tuple(notes)
