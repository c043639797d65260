"""A cell's top-level statements, each with its source text and the names it touches.

The module is assembled statement by statement, not cell by cell: one cell often mixes
an import, a function and a computation, and each belongs in a different place. Each
:class:`Unit` keeps the text the user wrote (leading comments included, so they travel
with their code) and the project's own names analysis of it, the same one the recorder
runs in the kernel.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..analysis.names import CellNames, analyse
from .magics import decide, ipython_call, transform, uses_ipython
from .reports import Kind, Report, first_line


@dataclass(frozen=True, slots=True)
class Unit:
    """One top-level statement (or several sharing a line), or a marker for code left out."""

    cell: int
    cell_id: str | None
    text: str
    """Source text, or for a marker the comment that stands where the code was."""
    nodes: tuple[ast.stmt, ...] = ()
    names: CellNames = field(default_factory=CellNames)

    @property
    def is_marker(self) -> bool:
        return not self.nodes

    @property
    def binds(self) -> frozenset[str]:
        n = self.names
        return n.writes | n.deletes | n.function_globals_written


@dataclass(frozen=True, slots=True)
class CellInput:
    """A code cell as the conversion needs it."""

    index: int
    cell_id: str | None
    source: str
    tags: tuple[str, ...] = ()


def marker(cell: CellInput, code: str, reason: str) -> Unit:
    return Unit(cell.index, cell.cell_id, f"# jupyter-ext: left out {code!r}: {reason}")


def split_cell(cell: CellInput, code: str | None = None) -> tuple[list[Unit], list[Report]]:
    """The units of ``cell`` (of ``code``, Python it runs, when given) and the reports."""
    text = cell.source if code is None else code
    try:
        source = transform(text)
        tree = ast.parse(source)
        # what parses but cannot run in a cell (`return`, `yield` at top level)
        compile(tree, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as exc:
        why = f"does not parse ({exc.msg}, line {exc.lineno}): fix the cell"
        return _left_out(cell, first_line(text), why, "unparsed")
    except Exception as exc:  # the transformer or parser failing on odd input
        why = f"does not parse ({type(exc).__name__}): fix the cell"
        return _left_out(cell, first_line(text), why, "unparsed")
    lines = source.splitlines()
    units: list[Unit] = []
    reports: list[Report] = []
    previous_end = 0
    groups = _line_groups(tree.body)
    for number, group in enumerate(groups):
        start = min(_first_line(n) for n in group)
        end = max(n.end_lineno or n.lineno for n in group)
        if number == len(groups) - 1:
            end = max(end, _last_code_line(lines))
        text = _text(lines, previous_end, start, end)
        previous_end = end
        found, said = _judge(cell, group, text)
        units += found
        reports += said
    return units, reports


def _judge(
    cell: CellInput, group: Sequence[ast.stmt], text: str
) -> tuple[list[Unit], list[Report]]:
    node = group[0]
    value: ast.AST | None = None
    if len(group) == 1 and isinstance(node, ast.Expr | ast.Assign):
        value = node.value
    call = ipython_call(value) if value is not None else None
    if call is not None:
        target = "" if isinstance(node, ast.Expr) else ast.unparse(node.targets[0]) + " = "  # type: ignore[attr-defined]
        decision, detail = decide(call, isinstance(node, ast.Expr))
        if decision == "inline":
            return split_cell(cell, detail)
        shown = first_line(target + call.shown)
        kind: Kind = "dropped" if decision == "drop" else "left_out"
        verb = "dropped" if decision == "drop" else "left out"
        unit = Unit(cell.index, cell.cell_id, f"# jupyter-ext: {verb} {shown!r}: {detail}")
        return [unit], [Report(cell.index, cell.cell_id, kind, shown, detail)]
    if any(_awaits(n) for n in group):
        why = "top-level await (IPython's autoawait): wrap it in a function run by asyncio.run()"
        return _left_out(cell, first_line(text), why, "left_out")
    if any(uses_ipython(n) for n in group):
        shown = first_line(text)
        why = "uses IPython syntax inside a statement: rewrite it in plain Python"
        return _left_out(cell, shown, why, "left_out")
    return [Unit(cell.index, cell.cell_id, text, tuple(group), analyse(text))], []


def _awaits(node: ast.AST) -> bool:
    """``await``, ``async for`` or ``async with`` outside an ``async def``."""
    if isinstance(node, ast.AsyncFunctionDef):
        return False
    if isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith):
        return True
    return any(_awaits(child) for child in ast.iter_child_nodes(node))


def _left_out(
    cell: CellInput, shown: str, why: str, kind: Literal["unparsed", "left_out"]
) -> tuple[list[Unit], list[Report]]:
    return [marker(cell, shown, why)], [Report(cell.index, cell.cell_id, kind, shown, why)]


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", None) or []
    return min([node.lineno, *(d.lineno for d in decorators)])


def _line_groups(body: Sequence[ast.stmt]) -> list[list[ast.stmt]]:
    """Statements grouped so that no two groups share a line (``a = 1; b = 2``)."""
    groups: list[list[ast.stmt]] = []
    last_end = 0
    for node in body:
        if groups and _first_line(node) <= last_end:
            groups[-1].append(node)
        else:
            groups.append([node])
        last_end = max(last_end, node.end_lineno or node.lineno)
    return groups


def _last_code_line(lines: Sequence[str]) -> int:
    for number in range(len(lines), 0, -1):
        if lines[number - 1].strip():
            return number
    return 0


def _text(lines: Sequence[str], previous_end: int, start: int, end: int) -> str:
    """Lines up to ``end`` (1-based) from the previous group's end: the comments and
    blank lines above a statement travel with it (but not the cell's leading blanks)."""
    first = previous_end + 1
    while first < start and not lines[first - 1].strip() and previous_end == 0:
        first += 1
    return "\n".join(lines[first - 1 : end]).rstrip()
