"""Judging one cell's last execution against the lineage graph: stale and out-of-order inputs.

Both rules look only at what the cell *read* at its last execution (``node.inputs``), so
they cost O(names it read), and a cell that read nothing that changed is never flagged.

Stale (DESIGN: "changed" means content digest changed, or deleted).  An input is stale
when the name's current version was produced after the execution, by an execution of
another cell (or one without a cell id), and its content differs from what the cell read.
Decisions:

* The comparison is by *content*, not version identity: a value changed and then changed
  back to an equal digest leaves the reader up to date.  Where the content is unknown
  (opaque values, records without digests) it is assumed changed.
* A version produced by the execution itself (``x = x + 1``, ``xs.append(...)``) or by a
  later execution of the same cell is the cell's own doing, never staleness.
* A name whose origin was unknown when the cell read it (bound before recording started)
  is compared with the digest the recorder saw at that read, when it reported one.

Out of order.  An input is out of order when the version the cell read was produced by a
cell that now sits *below* it in the document, so a top-to-bottom run would hand the cell
a different value (or none).  Not flagged when a cell above the reader also bound exactly
that content (a rebind to an equal value, e.g. the same ``import`` at the top and at the
bottom): top to bottom, the reader would see the same value.
"""

from __future__ import annotations

from collections.abc import Callable

from .lineage import DELETED, ExecutionNode, LineageGraph, Version

__all__ = ["out_of_order_inputs", "stale_inputs"]

Position = Callable[[str], int | None]


def stale_inputs(graph: LineageGraph, node: ExecutionNode) -> dict[str, Version]:
    """Names the execution read whose content has since been changed by someone else,
    mapped to the version that changed (or deleted) them."""
    out: dict[str, Version] = {}
    cell = node.cell_id
    seen_digests: dict[str, str | None] | None = None
    for name, seen in node.inputs.items():
        now = graph.current(name)
        if now is None or now.seq <= node.seq:
            continue  # unchanged since it ran, or changed by this very execution
        if cell is not None and now.cell_id == cell:
            continue  # a later execution of the same cell
        if now.kind != DELETED:
            if seen is not None:
                before = seen.digest if seen.kind != DELETED else None
            else:
                if seen_digests is None:
                    seen_digests = _read_digests(node)
                before = seen_digests.get(name)
            if before is not None and before == now.digest:
                continue  # changed, then changed back to what this cell read
        out[name] = now
    return out


def out_of_order_inputs(
    graph: LineageGraph, node: ExecutionNode, position: Position
) -> dict[str, Version]:
    """Names the execution read from a cell that now sits below it, mapped to the version
    it read.  ``position`` gives a cell's document position (None: not in the document)."""
    cell = node.cell_id
    here = position(cell) if cell is not None else None
    if here is None:
        return {}
    out: dict[str, Version] = {}
    for name, seen in node.inputs.items():
        if seen is None or seen.kind == DELETED or seen.cell_id is None or seen.cell_id == cell:
            continue
        there = position(seen.cell_id)
        if there is None or there <= here:
            continue
        if _bound_above(graph, seen, here, position):
            continue
        out[name] = seen
    return out


def _bound_above(graph: LineageGraph, version: Version, here: int, position: Position) -> bool:
    for cell in graph.binder_cells(version):
        where = position(cell) if cell is not None else None
        if where is not None and where < here:
            return True
    return False


def _read_digests(node: ExecutionNode) -> dict[str, str | None]:
    """Digests the recorder reported for names the execution only read."""
    record = node.record
    changed = set(record.writes) | set(record.mutated) | set(record.deleted)
    return {v.name: v.digest for v in record.variables if v.name not in changed and not v.deleted}
