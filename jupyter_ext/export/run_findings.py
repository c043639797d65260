"""Hygiene findings of a recorded run, from the one rules engine (no second copy of it).

The executions are replayed into :class:`~jupyter_ext.analysis.hygiene.HygieneEngine`
as the live kernel fed them. When the output notebook is at hand its cells give the
document order (as the panel's snapshot would), which lets the rules judge order and
top-to-bottom definitions; without it (or without the executed sources, which only the
local store keeps), execution order stands in, as in a headless kernel, and only what
that order can show is reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core.records import ExecutionRecord


def run_findings(
    executions: Sequence[ExecutionRecord], notebook: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Findings (contract 4 shape) for a run's executions, in the engine's order."""
    from ..analysis.hygiene import HygieneEngine

    engine = HygieneEngine()
    # Without the executed sources every cell would look edited against the document.
    if notebook is not None and executions and all(r.source for r in executions):
        snapshot = _snapshot(notebook)
        if snapshot is not None:
            engine.set_notebook(snapshot)
    for record in sorted(executions, key=lambda r: r.seq):
        try:
            engine.add_execution(record)
        except ValueError:  # a repeated seq: the store never writes one, skip it if it does
            continue
    return [finding.to_json() for finding in engine.warnings()]


def _snapshot(notebook: Mapping[str, Any]) -> Any:
    from ..bridge.static_notebook import NotebookError, notebook_cells
    from ..bridge.static_records import snapshot

    try:
        return snapshot(notebook_cells(notebook))
    except NotebookError:
        return None
