"""Hygiene warnings as text for people (pure): shared by ``%hygiene`` and the CLI."""

from __future__ import annotations

from typing import Any


def hygiene_text(warnings: list[dict[str, Any]], cells: dict[str, Any]) -> str:
    """One line per warning, naming the cell the way the notebook shows it.

    Cells the rules cannot judge (a star import above them, a syntax error) are listed
    too: saying "cannot tell" is more honest than silence.
    """
    if not warnings:
        lines = ["No hygiene warnings: every recorded cell agrees with the notebook as written."]
    else:
        lines = [f"{len(warnings)} hygiene warning{'s' if len(warnings) != 1 else ''}:"]
    for w in warnings:
        cell = w.get("cell_id")
        status = (cells.get(cell) or {}) if cell else {}
        count = status.get("execution_count")
        where = f"[{count}] " if count is not None else ""
        where += f"cell {cell}" if cell else "no cell"
        lines.append(
            f"  {w.get('code', '')} {w.get('kind', ''):<18} {where}: {w.get('message', '')}"
        )
    unjudgeable = [
        (cell_id, status["unjudgeable"])
        for cell_id, status in cells.items()
        if isinstance(status, dict) and status.get("unjudgeable")
    ]
    if unjudgeable:
        lines.append(f"{len(unjudgeable)} cell(s) the rules cannot judge:")
        lines.extend(f"  cell {cell_id}: {reason}" for cell_id, reason in unjudgeable)
    return "\n".join(lines)
