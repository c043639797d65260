"""File-level rules: what a saved notebook shows without any kernel.

They complement the engine's JX1xx rules (fed by records from :mod:`.static_records`)
with facts only the file has: execution counts, saved outputs, literals, tags.  Codes are
stable and never reused (the table is in :mod:`.static` and ``docs/rules.md``).

Decisions:

* JX201 flags the *fewest* cells that explain the disorder: the counts outside a longest
  increasing run of counts in document order.  One cell run again at the end flags that
  one cell, not every cell below it.
* JX202 and JX203 are one finding per notebook, anchored on the first cell concerned.
  With duplicate counts (several kernel sessions) the order is unknowable, so JX201,
  JX202 and the engine's order rules (JX101, JX102) are not judged at all.
* JX204 flags non-empty code cells never run *above* the last executed cell; a tail of
  unexecuted cells is work in progress, not a gap in the story.
* JX207 lets the top of the notebook be any number of cells holding only imports,
  magics and docstrings, plus the first cell with other code; imports in cells after
  that are flagged, one finding per cell.  Imports inside functions are never flagged.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Mapping
from typing import Any

from .error_text import strip_colours
from .static_code import CodeFacts, code_facts
from .static_notebook import NbCell

__all__ = ["RULES", "file_findings"]

RULES: dict[str, tuple[str, str, str]] = {
    "JX201": ("nonmonotonic_counts", "warning", "cells were executed out of document order"),
    "JX202": ("count_gaps", "info", "execution counts have gaps"),
    "JX203": ("duplicate_counts", "warning", "execution counts repeat: several sessions"),
    "JX204": ("unexecuted_cell", "warning", "a code cell above executed ones never ran"),
    "JX205": ("error_output", "error", "an error output is saved in the notebook"),
    "JX206": ("absolute_path", "warning", "a string literal is an absolute path"),
    "JX207": ("import_not_at_top", "info", "an import sits below the first cell of code"),
    "JX208": (
        "missing_parameters_cell",
        "warning",
        "papermill parameters but no `parameters` cell",
    ),
}
"""Code -> (kind, severity, summary)."""

RERUN = "re-run the notebook top to bottom (Restart & Run All) and save"
_TRACEBACK_LINE = re.compile(r"(?:Cell In\s*\[\d*\]|<ipython-input-[^>]*>),\s*line (\d+)")
_MAX_LISTED = 4


def finding(
    code: str, cell: NbCell | None, message: str, line: int | None = None, **extra: Any
) -> dict[str, Any]:
    kind, severity, _ = RULES[code]
    names = extra.pop("names", ())
    out: dict[str, Any] = {
        "kind": kind,
        "code": code,
        "severity": severity,
        "cell_id": cell.id if cell is not None else None,
        "names": list(names),
        "message": message,
        "cell_index": cell.index if cell is not None else None,
        "line": line,
    }
    out.update(extra)
    return out


def file_findings(
    cells: list[NbCell],
    metadata: Mapping[str, Any],
    executed: bool,
    facts: Callable[[str], CodeFacts] = code_facts,
    *,
    python: bool = True,
) -> tuple[list[dict[str, Any]], bool]:
    """File-level findings, and whether execution order can be judged (no duplicates).
    ``facts``: how to analyse a source (the checker passes a per-notebook memo)."""
    out: list[dict[str, Any]] = []
    orderly = True
    if executed:
        ran = [c for c in cells if c.cell_type == "code" and c.execution_count is not None]
        duplicates = _duplicates(ran)
        orderly = duplicates is None
        if duplicates is not None:
            out.append(duplicates)
        else:
            out += _nonmonotonic(ran)
            out += _gaps(ran)
        out += _unexecuted(cells, ran)
    out += _errors(cells)
    if python:  # the code rules parse Python
        out += _paths_and_imports(cells, facts)
    out += _parameters(cells, metadata)
    return out, orderly


def prompts(counts: list[int]) -> str:
    shown = [f"[{c}]" for c in counts[:_MAX_LISTED]]
    if len(counts) > _MAX_LISTED:
        shown.append(f"{len(counts) - _MAX_LISTED} more")
    return ", ".join(shown)


def _duplicates(ran: list[NbCell]) -> dict[str, Any] | None:
    holders: dict[int, list[NbCell]] = {}
    for cell in ran:
        assert cell.execution_count is not None
        holders.setdefault(cell.execution_count, []).append(cell)
    repeated = {count: group for count, group in holders.items() if len(group) > 1}
    if not repeated:
        return None
    first = min(repeated, key=lambda count: repeated[count][1].index)
    group = repeated[first]
    where = ", ".join(str(c.index + 1) for c in group)
    message = (
        f"execution count [{first}] appears on cells {where}"
        + (f" ({len(repeated) - 1} more counts repeat)" if len(repeated) > 1 else "")
        + ": the outputs come from several kernel sessions, so the order the cells ran in"
        f" cannot be judged; {RERUN}"
    )
    details = [
        {"execution_count": count, "cell_indices": [c.index for c in group]}
        for count, group in sorted(repeated.items())
    ]
    return finding("JX203", group[1], message, duplicates=details)


def _longest_increasing(counts: list[int]) -> set[int]:
    """Positions (into ``counts``) of one longest strictly increasing subsequence."""
    tails: list[int] = []
    tail_at: list[int] = []
    parent = [-1] * len(counts)
    for i, count in enumerate(counts):
        k = bisect_left(tails, count)
        if k == len(tails):
            tails.append(count)
            tail_at.append(i)
        else:
            tails[k] = count
            tail_at[k] = i
        parent[i] = tail_at[k - 1] if k > 0 else -1
    keep: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        keep.add(i)
        i = parent[i]
    return keep


def _nonmonotonic(ran: list[NbCell]) -> list[dict[str, Any]]:
    counts = [_count(c) for c in ran]
    keep = _longest_increasing(counts)
    highest_above = [0] * len(counts)  # prefix maxima and suffix minima: O(cells)
    lowest_below = [0] * len(counts)
    best = 0
    for i, count in enumerate(counts):
        highest_above[i] = best
        best = max(best, count)
    best = 0
    for i in range(len(counts) - 1, -1, -1):
        lowest_below[i] = best
        best = counts[i] if best == 0 else min(best, counts[i])
    out = []
    for i, cell in enumerate(ran):
        if i in keep:
            continue
        count = counts[i]
        if highest_above[i] > count:
            story = f"before [{highest_above[i]}] above it"
        else:
            story = f"after [{lowest_below[i]}] below it"
        message = (
            f"ran as [{count}], {story}: the saved outputs come from an order other than "
            f"top to bottom; {RERUN}"
        )
        out.append(finding("JX201", cell, message))
    return out


def _gaps(ran: list[NbCell]) -> list[dict[str, Any]]:
    counts = sorted(c.execution_count or 0 for c in ran)
    if not counts:
        return []
    missing: list[list[int]] = []
    expected = 1
    for count in counts:
        if count > expected:
            missing.append([expected, count - 1])
        expected = count + 1
    if not missing:
        return []
    lost = sum(b - a + 1 for a, b in missing)
    spans = [f"[{a}]" if a == b else f"[{a}]-[{b}]" for a, b in missing]
    anchor = min((c for c in ran if (c.execution_count or 0) > missing[0][0]), key=_count)
    message = (
        f"execution counts skip {', '.join(spans[:_MAX_LISTED])}"
        + (" and more" if len(spans) > _MAX_LISTED else "")
        + f": {lost} execution{'s' if lost != 1 else ''} left no trace in the notebook (cells"
        f" re-run or deleted, or code run outside it) and the outputs may depend on them; {RERUN}"
    )
    return [finding("JX202", anchor, message, missing=missing)]


def _count(cell: NbCell) -> int:
    return cell.execution_count or 0


def _unexecuted(cells: list[NbCell], ran: list[NbCell]) -> list[dict[str, Any]]:
    if not ran:
        return []
    last = max(c.index for c in ran)
    out = []
    for cell in cells[:last]:
        if cell.cell_type != "code" or cell.execution_count is not None or cell.outputs:
            continue
        if not _has_code(cell.source):
            continue
        message = (
            "was never run, but cells below it were: their outputs do not reflect it; "
            f"{RERUN}, or delete the cell"
        )
        out.append(finding("JX204", cell, message))
    return out


def _has_code(source: str) -> bool:
    return any(line.strip() and not line.lstrip().startswith("#") for line in source.splitlines())


def _errors(cells: list[NbCell]) -> list[dict[str, Any]]:
    out = []
    for cell in cells:
        for output in cell.outputs:
            if output.get("output_type") != "error":
                continue
            ename = output.get("ename")
            evalue = output.get("evalue")
            what = ename if isinstance(ename, str) and ename else "an exception"
            if isinstance(evalue, str) and evalue.strip():
                text = " ".join(strip_colours(evalue).split())
                what += ": " + (text if len(text) <= 80 else text[:77] + "...")
            message = (
                f"is saved with an error ({what}): fix the cell and {RERUN}, or clear its output"
            )
            out.append(finding("JX205", cell, message, _error_line(output), error=ename))
            break
    return out


def _error_line(output: Mapping[str, Any]) -> int | None:
    traceback = output.get("traceback")
    if not isinstance(traceback, list):
        return None
    for frame in traceback:
        if isinstance(frame, str):
            match = _TRACEBACK_LINE.search(strip_colours(frame))
            if match:
                return int(match.group(1))
    return None


def _paths_and_imports(
    cells: list[NbCell], facts_of: Callable[[str], CodeFacts]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    top = True
    for cell in cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        facts = facts_of(cell.source)
        for line, path in facts.absolute_paths:
            message = (
                f"hard-codes the absolute path {path!r}, which exists on one machine only: "
                "make it relative to the notebook, or a parameter"
            )
            out.append(finding("JX206", cell, message, line, path=path))
        if top:
            top = facts.only_setup
            continue
        if facts.imports:
            modules = sorted({m for _, m in facts.imports})
            listed = ", ".join(f"`{m}`" for m in modules[:_MAX_LISTED])
            message = (
                f"imports {listed} below the first cell of code: move the import to the first "
                "cell, so the notebook's dependencies show at the top"
            )
            line = facts.imports[0][0]
            out.append(finding("JX207", cell, message, line, modules=modules))
    return out


def _parameters(cells: list[NbCell], metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
    if any("parameters" in c.tags for c in cells):
        return []
    injected = next((c for c in cells if "injected-parameters" in c.tags), None)
    papermill = metadata.get("papermill")
    recorded = papermill.get("parameters") if isinstance(papermill, Mapping) else None
    if injected is None and not recorded:
        return []
    message = (
        "papermill parameters were injected but no cell is tagged `parameters`: papermill "
        "then injects them at the top, where later defaults overwrite them; tag the cell "
        "that sets the defaults with `parameters`"
    )
    return [finding("JX208", injected, message)]
