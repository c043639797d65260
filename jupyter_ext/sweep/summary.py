"""The sweep's summary: a text table, JSON and CSV, from the same rows.

Pure: rows are built from the grid and the results, then rendered; the CLI writes them.
Collected values that are not scalars (or missing) show as ``-`` in the table and as
``null`` in JSON/CSV, with the reason kept in JSON, so a blank is never mistaken for a
value.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from .grid import Grid, value_text
from .point import PointResult
from .scalars import display_value

SUMMARY_SCHEMA = "jupyter_ext.sweep/1"


def summary_rows(
    grid: Grid, results: Sequence[PointResult], collect: Sequence[str]
) -> list[dict[str, Any]]:
    """One row per point (index order): parameters, status, duration, run, output, values."""
    rows = []
    for point, result in zip(grid.points, results, strict=True):
        rows.append(
            {
                "index": result.index,
                "parameters": dict(point),
                "status": result.status,
                "duration": result.duration,
                "run_id": result.run_id,
                "output": result.output,
                "error": result.error,
                "collected": {name: display_value(result.collected.get(name)) for name in collect},
                "collect_problems": {
                    name: entry
                    for name in collect
                    if (entry := result.collected.get(name, {"problem": "unavailable"}))
                    and "value" not in entry
                },
            }
        )
    return rows


def counts(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    out = {"ok": 0, "failed": 0, "not run": 0}
    for row in rows:
        out[row["status"]] = out.get(row["status"], 0) + 1
    return out


def summary_json(
    rows: Sequence[dict[str, Any]], *, notebook: str, grid_file: str, executor: str
) -> str:
    document = {
        "schema": SUMMARY_SCHEMA,
        "notebook": notebook,
        "grid": grid_file,
        "executor": executor,
        "counts": counts(rows),
        "points": list(rows),
    }
    return json.dumps(document, indent=2, sort_keys=True, default=str)


def summary_csv(
    rows: Sequence[dict[str, Any]], varied: Sequence[str], collect: Sequence[str]
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    fixed_cols = ["index", *varied, "status", "duration_s", *collect, "run_id", "output", "error"]
    writer.writerow(fixed_cols)
    for row in rows:
        duration = row["duration"]
        writer.writerow(
            [
                row["index"],
                *(_cell(row["parameters"].get(name)) for name in varied),
                row["status"],
                f"{duration:.3f}" if duration is not None else "",
                *(_cell(row["collected"].get(name)) for name in collect),
                row["run_id"] or "",
                row["output"] or "",
                row["error"] or "",
            ]
        )
    return buffer.getvalue()


def summary_table(
    rows: Sequence[dict[str, Any]], varied: Sequence[str], collect: Sequence[str]
) -> str:
    """Aligned columns: index, varied parameters, status, duration, collected values."""
    header = ["#", *varied, "status", "time", *collect]
    body = []
    for row in rows:
        duration = row["duration"]
        body.append(
            [
                str(row["index"]),
                *(_short(row["parameters"].get(name)) for name in varied),
                row["status"],
                f"{duration:.1f} s" if duration is not None else "-",
                *(_short(row["collected"].get(name), missing="-") for name in collect),
            ]
        )
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(r, widths, strict=True)).rstrip()
        for r in [header, *body]
    ]
    failed = [row for row in rows if row["status"] == "failed" and row["error"]]
    for row in failed:
        lines.append(f"  point {row['index']} failed: {row['error']}")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "" if value is None else value_text(value)


def _short(value: Any, missing: str = "None", limit: int = 24) -> str:
    if value is None:
        return missing
    text = value_text(value)
    if isinstance(value, float) and len(text) > 12:
        text = f"{value:.6g}"  # keeps 2.0 apart from 2, shortens 0.30000000000000004
    return text if len(text) <= limit else text[: limit - 1] + "…"
