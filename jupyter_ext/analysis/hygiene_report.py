"""Hygiene warnings as text for people (pure): shared by ``%hygiene`` and the CLI."""

from __future__ import annotations

from typing import Any


def hygiene_text(warnings: list[dict[str, Any]], cells: dict[str, Any]) -> str:
    """One line per warning, naming the cell the way the notebook shows it."""
    if not warnings:
        return "No hygiene warnings: every recorded cell agrees with the notebook as written."
    lines = [f"{len(warnings)} hygiene warning{'s' if len(warnings) != 1 else ''}:"]
    for w in warnings:
        cell = w.get("cell_id")
        status = cells.get(cell) or {} if cell else {}
        count = status.get("execution_count")
        where = f"[{count}] " if count is not None else ""
        where += f"cell {cell}" if cell else "no cell"
        lines.append(
            f"  {w.get('code', '')} {w.get('kind', ''):<18} {where}: {w.get('message', '')}"
        )
    return "\n".join(lines)
