"""Find or create a notebook's ``parameters`` cell, and say why each name is (not) in it.

A parameter, for papermill, is whatever the cell tagged ``parameters`` assigns: the
injected cell goes right after it and overrides those names. Most notebooks were not
written with that in mind, but their knobs are easy to spot: literal assignments at the
top (``n_rows = 1000``, ``region = "north"``) that later cells read. This module finds
those, checks that no name is given two literal types, and rewrites the cell list:

* a cell that holds nothing but such assignments (and comments) is tagged in place, so
  its id, outputs and metadata stay;
* otherwise the assignments move into a new tagged cell, inserted before the first cell
  they came from; the rest of each cell keeps its id; a cell left empty is removed.

"The top" is everything before the first statement that is neither an import, a
docstring nor a literal assignment, across cells: ``df = load(path)`` ends it. Moving the
assignments above the imports that precede them is safe because a literal depends on
nothing; a name an import also binds is left alone.

Pure: takes and returns plain notebook dicts (nbformat nodes work too); the caller reads
and writes files.
"""

from __future__ import annotations

import ast
import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..bridge.params import ParameterError
from .typed_params import (
    DeclaredParameter,
    assignment_parameters,
    cell_source,
    declared_parameters,
    parameters_cell_index,
    parse_cell,
)

PARAMETERS_TAG = "parameters"


class ConversionError(ParameterError):
    """The notebook cannot be given a parameters cell; the message is one line."""


@dataclass
class Conversion:
    """What :func:`convert_notebook` decided, and the notebook it would write."""

    notebook: dict[str, Any]
    parameters: dict[str, DeclaredParameter]
    decisions: list[str] = field(default_factory=list)
    changed: bool = False
    """The notebook differs from the input and should be written back."""


@dataclass
class _Candidate:
    parameter: DeclaredParameter
    cell: int  # index in nb["cells"]
    statement: ast.stmt
    readers: list[int] = field(default_factory=list)  # 1-based cell numbers


def convert_notebook(nb: Mapping[str, Any], *, label: str) -> Conversion:
    """The notebook with a parameters cell, or the existing one described.

    Raises :class:`ConversionError` for conflicting literal types. A notebook with no
    candidate comes back unchanged with ``parameters == {}`` and the reason in
    ``decisions``.
    """
    notebook: dict[str, Any] = copy.deepcopy(dict(nb))
    cells: list[dict[str, Any]] = notebook.get("cells") or []
    existing = parameters_cell_index(notebook)
    if existing is not None:
        return _describe_existing(notebook, existing, label)
    candidates, stopper = _top_literals(cells)
    _check_conflicts(candidates, label)
    _find_readers(cells, candidates)
    conversion = Conversion(notebook, {})
    # Every assignment of a chosen name moves: one left behind below the new cell would
    # override the injected value. Each name is described once, by its last assignment.
    read = {c.parameter.name for c in candidates if c.readers}
    chosen = [c for c in candidates if c.parameter.name in read]
    last = {c.parameter.name: c for c in candidates}
    conversion.decisions.extend(_decision(c) for c in last.values())
    if stopper:
        conversion.decisions.append(stopper)
    if not chosen:
        conversion.decisions.append(
            f"{label}: no parameters: no literal assignment at the top is read by a later "
            "cell (notebook left unchanged)"
        )
        return conversion
    for c in chosen:
        conversion.parameters[c.parameter.name] = c.parameter  # the last one wins
    conversion.decisions.append(_rewrite(notebook, chosen))
    conversion.changed = True
    return conversion


def _describe_existing(notebook: dict[str, Any], index: int, label: str) -> Conversion:
    cells = notebook["cells"]
    tree = parse_cell(cell_source(cells[index]))
    candidates = []
    for statement in tree.body if tree is not None else []:
        for parameter in assignment_parameters(statement):
            candidates.append(_Candidate(parameter, index, statement))
    _check_conflicts(candidates, label)
    _find_readers(cells, candidates)
    declared = declared_parameters(notebook)
    conversion = Conversion(notebook, declared)
    conversion.decisions.append(
        f"{label}: cell {index + 1} is already tagged 'parameters'; notebook left unchanged"
    )
    seen: set[str] = set()
    for c in reversed(candidates):  # the last assignment declares the name
        if c.parameter.name in seen:
            continue
        seen.add(c.parameter.name)
        c.parameter = declared[c.parameter.name]
    conversion.decisions.extend(_decision(c, existing=True) for c in candidates)
    return conversion


def _top_literals(cells: list[dict[str, Any]]) -> tuple[list[_Candidate], str | None]:
    """Literal assignments before the first other statement, and what stopped the scan."""
    found: list[_Candidate] = []
    imported: set[str] = set()
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        tree = parse_cell(cell_source(cell))
        if tree is None:
            return found, f"cell {index + 1} does not parse: the scan for parameters stops there"
        for statement in tree.body:
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                imported.update(_imported_names(statement))
                continue
            if _is_docstring(statement):
                continue
            parameters = assignment_parameters(statement)
            if parameters and all(_is_literal(statement) for _ in parameters):
                for parameter in parameters:
                    if parameter.name in imported:
                        continue
                    found.append(_Candidate(parameter, index, statement))
                continue
            return found, f"{_stopper(statement, index + 1)}; the top ends there"
    return found, None


def _is_literal(statement: ast.stmt) -> bool:
    value = statement.value if isinstance(statement, (ast.Assign, ast.AnnAssign)) else None
    if value is None:
        return False
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _imported_names(statement: ast.Import | ast.ImportFrom) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for a in statement.names}


def _stopper(statement: ast.stmt, number: int) -> str:
    targets: list[str] = []
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            targets.extend(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)) and isinstance(
        statement.target, ast.Name
    ):
        targets.append(statement.target.id)
    if targets:
        return f"`{'`, `'.join(targets)}` (cell {number}) not a literal: stays"
    first = ast.unparse(statement).splitlines()[0]
    shown = first if len(first) <= 60 else first[:57] + "..."
    return f"`{shown}` (cell {number}) is not a literal"


def _check_conflicts(candidates: list[_Candidate], label: str) -> None:
    """The same name given literals of two types (an int and a float are not a conflict)."""
    kinds: dict[str, set[str]] = {}
    for c in candidates:
        kinds.setdefault(c.parameter.name, set()).add(c.parameter.type_name)
    for name, seen in kinds.items():
        real = seen - {"NoneType"}
        if real == {"int", "float"} or len(real) <= 1:
            continue
        shown = " and ".join(sorted(real))
        raise ConversionError(
            f"{label}: conflicting types for parameter {name!r}: assigned {shown} literals at "
            "the top; keep one assignment (or annotate it, e.g. `x: float = 1`)"
        )


def _find_readers(cells: list[dict[str, Any]], candidates: list[_Candidate]) -> None:
    """Fill each candidate's readers: later cells that read the value it leaves bound."""
    from ..analysis.names import analyse
    from ..bridge.static_code import python_code

    if not candidates:
        return
    last = {c.parameter.name: c for c in candidates}  # the binding later cells see
    live = dict(last)
    first_cell = min(c.cell for c in candidates)
    for index in range(first_cell, len(cells)):
        cell = cells[index]
        if cell.get("cell_type") != "code" or not live:
            continue
        source = _after_candidates(cell_source(cell), index, candidates)
        if not source.strip():
            continue
        names = analyse(python_code(source))
        read = names.reads | names.function_globals_read
        for name in list(live):
            if name in read:
                live[name].readers.append(index + 1)
            if name in names.writes and name not in read and index > last[name].cell:
                del live[name]  # rebound before being read: later cells see the new value


def _after_candidates(source: str, index: int, candidates: list[_Candidate]) -> str:
    """The part of a cell's source that runs after its candidate assignments."""
    ends = [_end(c.statement) for c in candidates if c.cell == index]
    if not ends:
        return source
    return "\n".join(source.splitlines()[max(ends) :])


def _end(statement: ast.stmt) -> int:
    return statement.end_lineno if statement.end_lineno is not None else statement.lineno


def _decision(c: _Candidate, *, existing: bool = False) -> str:
    p = c.parameter
    what = f"`{p.name}` ({p.type_name}, {_short(p.default)})"
    if c.readers:
        readers = ", ".join(str(n) for n in sorted(set(c.readers)))
        plural = "s" if len(set(c.readers)) > 1 else ""
        return f"{what} → parameter: read by cell{plural} {readers}"
    if existing:
        return f"{what} → parameter, but no later cell reads it"
    return f"{what} not read by a later cell: stays"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _rewrite(notebook: dict[str, Any], chosen: list[_Candidate]) -> str:
    """Move the chosen assignments into one tagged cell; returns what was done."""
    cells: list[dict[str, Any]] = notebook["cells"]
    by_cell: dict[int, list[ast.stmt]] = {}
    for c in chosen:
        statements = by_cell.setdefault(c.cell, [])
        if c.statement not in statements:
            statements.append(c.statement)
    moved_lines: list[str] = []
    remaining: dict[int, str] = {}
    for index, statements in by_cell.items():
        lines = cell_source(cells[index]).splitlines()
        taken: set[int] = set()
        for statement in statements:
            span = range(statement.lineno - 1, _end(statement))
            moved_lines.extend(lines[i] for i in span)
            taken.update(span)
        rest = [line for i, line in enumerate(lines) if i not in taken]
        remaining[index] = "\n".join(rest).strip("\n")
    first = min(by_cell)
    params_source = "\n".join(moved_lines)
    if len(by_cell) == 1 and _only_comments(remaining[first]):
        cell = cells[first]
        cell["source"] = cell_source(cell)  # untouched: only the tag is added
        _tag(cell)
        return f"cell {first + 1} holds only parameters: tagged 'parameters' in place"
    new_cell = _new_parameters_cell(params_source, with_id=any("id" in c for c in cells))
    removed = []
    for index in sorted(by_cell, reverse=True):
        if _only_comments(remaining[index]):
            removed.append(index + 1)
            del cells[index]
        else:
            cells[index]["source"] = remaining[index]
    cells.insert(first - sum(1 for r in removed if r - 1 < first), new_cell)
    done = f"new cell tagged 'parameters' inserted at position {first + 1}"
    if removed:
        done += f"; emptied cell(s) {', '.join(map(str, sorted(removed)))} removed"
    return done


def _only_comments(source: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in source.splitlines())


def _tag(cell: dict[str, Any]) -> None:
    metadata = cell.setdefault("metadata", {})
    tags = metadata.setdefault("tags", [])
    if PARAMETERS_TAG not in tags:
        tags.append(PARAMETERS_TAG)


def _new_parameters_cell(source: str, *, with_id: bool) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": [PARAMETERS_TAG]},
        "outputs": [],
        "source": source,
    }
    if with_id:
        cell["id"] = uuid.uuid4().hex[:8]
    return cell
