"""Where each top-level statement of a notebook goes in the module. Pure.

* Imports, ``def``/``class`` and constant literal assignments go to module level, so
  that importing the module defines them and does nothing else, provided moving them
  up cannot change what any cell sees: the name is bound nowhere else (identical
  repeated imports aside), is not a parameter, and a definition reads only names that
  are themselves module level or builtins. A definition that reads a name the notebook
  computes stays inside ``run()`` (reported), where it sees that value as it did.
* The parameters cell (tagged ``parameters``, papermill's convention) becomes keyword
  parameters of ``run()`` with their defaults and annotations.
* Everything else is the body of ``run()``, in document order, which returns the
  notebook's final named values: the names the body binds that are still bound at the
  end, except modules, functions, classes and ``_private`` names.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .reports import Kind, Report, first_line
from .units import CellInput, Unit, split_cell

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__"}
_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None))
_ANNOTATIONS = frozenset({"int", "float", "str", "bool", "list", "dict"})
ENTRY_POINT = "run"
DISPLAY_IMPORT = "from IPython.display import display"
"""Notebooks call ``display`` without importing it; outside a notebook it prints."""


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    default: str
    """Source text of the default value."""
    annotation: str | None


@dataclass(frozen=True, slots=True)
class ModulePlan:
    imports: tuple[Unit, ...]
    definitions: tuple[Unit, ...]
    """Functions, classes and constants, in document order."""
    parameters: tuple[Parameter, ...]
    body: tuple[Unit, ...]
    returns: tuple[str, ...]
    """Names surely bound at the end of the body, returned by name."""
    maybe_returns: tuple[str, ...]
    """Names the body binds only on some paths (loops, branches): returned if bound."""
    reports: tuple[Report, ...]
    extra_imports: tuple[str, ...] = ()
    """Imports the notebook relied on IPython to provide (``display``)."""


class PlanError(ValueError):
    """The notebook cannot become a module as it is; the message says what to change."""


def plan_module(
    cells: Sequence[CellInput],
    order_findings: Iterable[Mapping[str, object]] = (),
    declared_types: Mapping[str, str] | None = None,
) -> ModulePlan:
    """Place every statement of ``cells`` (the notebook's code cells, in order).

    ``order_findings`` are the static checker's findings; those of kind ``out_of_order``
    and ``undefined_in_order`` become reports (the module follows document order).
    ``declared_types`` maps parameter names to the types the parameters cell declares
    (``jupyter_ext.pipeline.typed_params``); without it, a literal's type is used.
    """
    units: list[Unit] = []
    reports: list[Report] = []
    params_cell = next((c.index for c in cells if PARAMETERS_TAG in c.tags), None)
    parameters: dict[str, Parameter] = {}
    param_units: set[int] = set()
    for cell in cells:
        if INJECTED_TAG in cell.tags:
            why = "papermill's injected parameters: pass them to run() instead"
            units.append(Unit(cell.index, cell.cell_id, f"# jupyter-ext: dropped: {why}"))
            reports.append(Report(cell.index, cell.cell_id, "dropped", "", why))
            continue
        found, said = split_cell(cell)
        reports += said
        for unit in found:
            param = _parameter(unit, declared_types) if cell.index == params_cell else None
            names = _names_in_default(unit) if param is not None else []
            if names:
                param = None
                reports.append(
                    _report(
                        unit,
                        "kept_in_run",
                        f"a parameter whose default reads {', '.join(names)} cannot be "
                        "an argument of run(): kept inside run() as a statement",
                    )
                )
            if param is not None:
                parameters.pop(param.name, None)
                parameters[param.name] = param
                param_units.add(id(unit))
            units.append(unit)
    units = [u for u in units if id(u) not in param_units]
    bound_anywhere = {n for u in units for n in u.binds} | set(parameters)
    if ENTRY_POINT in bound_anywhere:
        raise PlanError(
            f"the notebook binds `{ENTRY_POINT}`, the name of the module's entry point: "
            "rename it in the notebook"
        )
    reads = {n for u in units for n in u.names.reads | u.names.function_globals_read}
    extra = (DISPLAY_IMPORT,) if "display" in reads - bound_anywhere else ()
    placed = _module_level(units, set(parameters), reports)
    body = tuple(u for u in units if id(u) not in placed)
    module_names = {n for u in units if id(u) in placed for n in u.binds}
    returns, maybe = _returns(body, module_names)
    reports += _global_writes(units)
    reports += _dynamic(units)
    reports += _order_reports(order_findings, cells)
    reports.sort(key=lambda r: r.cell)
    return ModulePlan(
        imports=tuple(_unique(u for u in units if id(u) in placed and _is_import(u))),
        definitions=tuple(u for u in units if id(u) in placed and not _is_import(u)),
        parameters=tuple(parameters.values()),
        body=body,
        returns=returns,
        maybe_returns=maybe,
        reports=tuple(reports),
        extra_imports=extra,
    )


def _report(unit: Unit, kind: Kind, reason: str) -> Report:
    return Report(unit.cell, unit.cell_id, kind, first_line(_code_only(unit.text)), reason)


def _assignment(unit: Unit) -> tuple[str, ast.expr, str | None] | None:
    """``name = value`` or ``name: annotation = value``, alone in its unit: the name,
    the value and the annotation's text."""
    if len(unit.nodes) != 1:
        return None
    node = unit.nodes[0]
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value, annotation = node.targets[0], node.value, None
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        target, value, annotation = node.target, node.value, ast.unparse(node.annotation)
    else:
        return None
    return (target.id, value, annotation) if isinstance(target, ast.Name) else None


def _parameter(unit: Unit, declared_types: Mapping[str, str] | None) -> Parameter | None:
    assignment = _assignment(unit)
    if assignment is None:
        return None
    name, value, annotation = assignment
    if annotation is None and declared_types is not None:
        declared = declared_types.get(name)
        annotation = declared if declared in _ANNOTATIONS else None
    elif annotation is None:
        annotation = _literal_type(value)
    return Parameter(name, ast.unparse(value), annotation)


def _names_in_default(unit: Unit) -> list[str]:
    """Names a parameter's default reads: defaults are evaluated when the module is
    imported, where only builtins are sure to exist."""
    assignment = _assignment(unit)
    if assignment is None:
        return []
    found = {n.id for n in ast.walk(assignment[1]) if isinstance(n, ast.Name)} - _BUILTINS
    return [f"`{n}`" for n in sorted(found)]


_NOT_LITERAL = object()


def _literal(value: ast.expr) -> object:
    """The value of a literal expression, or ``_NOT_LITERAL``."""
    try:
        return ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL


def _literal_type(value: ast.expr) -> str | None:
    kind = type(_literal(value))
    return kind.__name__ if kind in (int, float, str, bool) else None


def _is_import(unit: Unit) -> bool:
    return bool(unit.nodes) and all(isinstance(n, ast.Import | ast.ImportFrom) for n in unit.nodes)


def _is_definition(unit: Unit) -> bool:
    return len(unit.nodes) == 1 and isinstance(
        unit.nodes[0], ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    )


def _is_constant(unit: Unit) -> bool:
    """A name bound to a literal whose value can be shared by every call of ``run()``:
    no list or dict that one call could mutate under the next."""
    assignment = _assignment(unit)
    return assignment is not None and _immutable(_literal(assignment[1]))


def _immutable(obj: object) -> bool:
    if isinstance(obj, tuple | frozenset):
        return all(_immutable(o) for o in obj)
    return isinstance(obj, _IMMUTABLE)


def _module_level(units: Sequence[Unit], parameters: set[str], reports: list[Report]) -> set[int]:
    """ids of the units that can move to module level."""
    binders: dict[str, list[Unit]] = {}
    for unit in units:
        for name in unit.binds:
            binders.setdefault(name, []).append(unit)
    chosen: dict[int, Unit] = {}
    for unit in units:
        if unit.is_marker or unit.names.syntax_error or unit.names.star_import:
            continue
        names = unit.binds
        if not names or names & parameters:
            continue
        if _is_import(unit):
            same = {_code_key(u) for n in names for u in binders[n]}
            if all(_is_import(u) for n in names for u in binders[n]) and len(same) == 1:
                chosen[id(unit)] = unit
        elif (_is_definition(unit) or _is_constant(unit)) and all(
            binders[n] == [unit] for n in names
        ):
            chosen[id(unit)] = unit
    bound = set(binders) | parameters
    changed = True
    while changed:
        changed = False
        module_names = {n for u in chosen.values() for n in u.binds}
        for key, unit in list(chosen.items()):
            needs = (unit.names.reads | unit.names.function_globals_read) - unit.binds
            computed = sorted(n for n in needs & bound if n not in module_names)
            if computed:
                del chosen[key]
                changed = True
                what = ", ".join(f"`{n}`" for n in computed)
                reports.append(
                    _report(
                        unit,
                        "kept_in_run",
                        f"reads {what}, which run() computes: kept inside run()",
                    )
                )
    return set(chosen)


def _code_only(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _code_key(unit: Unit) -> str:
    """Equal for statements that are the same code, whatever their layout or comments."""
    return ast.dump(ast.Module(list(unit.nodes), []))


def _unique(units: Iterable[Unit]) -> list[Unit]:
    """Repeated identical imports (common across cells) once."""
    seen: set[str] = set()
    out = []
    for unit in units:
        key = _code_key(unit)
        if key not in seen:
            seen.add(key)
            out.append(unit)
    return out


def _returns(
    body: Sequence[Unit], module_names: set[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    live: dict[str, bool] = {}  # name -> is a value (not a module, function or class)
    surely: set[str] = set()
    hidden: set[str] = set()
    for unit in body:
        not_values = _non_value_bindings(unit.nodes)
        for name in unit.names.deletes - unit.names.writes:
            live.pop(name, None)
            surely.discard(name)
        for name in sorted(unit.names.writes):
            live[name] = name not in not_values
        surely |= _surely_bound(unit.nodes)
        hidden |= unit.names.function_globals_written
    names = [
        n
        for n, is_value in live.items()
        if is_value and not n.startswith("_") and n not in module_names and n not in hidden
    ]
    return (
        tuple(n for n in names if n in surely),
        tuple(n for n in names if n not in surely),
    )


def _non_value_bindings(nodes: Sequence[ast.stmt]) -> set[str]:
    """Names bound to modules, functions or classes (at module scope of ``nodes``)."""
    found: set[str] = set()
    todo: list[ast.AST] = list(nodes)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                found.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
            continue  # its body is another scope
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if isinstance(node, ast.stmt):
            todo.extend(ast.iter_child_nodes(node))
    return found


def _surely_bound(nodes: Sequence[ast.stmt]) -> set[str]:
    """Names every completed run of ``nodes`` binds: straight assignments at top level."""
    found: set[str] = set()
    for node in nodes:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign) or (
            isinstance(node, ast.AnnAssign) and node.value is not None
        ):
            targets = [node.target]
        elif isinstance(node, ast.With | ast.AsyncWith):
            targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    found.add(sub.id)
    return found


def _global_writes(units: Sequence[Unit]) -> list[Report]:
    out = []
    for unit in units:
        written = sorted(unit.names.function_globals_written)
        if written and not unit.is_marker:
            what = ", ".join(f"`{n}`" for n in written)
            out.append(
                _report(
                    unit,
                    "global",
                    f"a function declares {what} global: in the module that is module "
                    "state, not a value of run()",
                )
            )
    return out


def _dynamic(units: Sequence[Unit]) -> list[Report]:
    """Code whose names the analysis cannot see (``exec``, ``globals()``, a failed
    analysis): its placement and the values returned may be incomplete."""
    out = []
    for unit in units:
        if unit.is_marker or not unit.names.dynamic:
            continue
        what = ", ".join(unit.names.dynamic)
        out.append(
            _report(
                unit,
                "dynamic",
                f"names it binds are not visible in the code ({what}): inside run() they "
                "may not be run()'s values",
            )
        )
    return out


def _order_reports(
    findings: Iterable[Mapping[str, object]], cells: Sequence[CellInput]
) -> list[Report]:
    ids = {c.cell_id: c.index for c in cells}
    out = []
    for finding in findings:
        kind = finding.get("kind")
        if kind not in ("out_of_order", "undefined_in_order"):
            continue
        index = finding.get("cell_index")
        if not isinstance(index, int):
            index = ids.get(str(finding.get("cell_id")), -1)
        names = finding.get("names")
        shown = ", ".join(f"`{n}`" for n in names) if isinstance(names, list) else ""
        reason = (
            f"the saved run read {shown} from a cell below this one; the module follows "
            "document order, so its values may differ"
            if kind == "out_of_order"
            else f"reads {shown}, which no cell above defines: run() would raise NameError"
        )
        cell_id = finding.get("cell_id")
        out.append(
            Report(
                index,
                cell_id if isinstance(cell_id, str) else None,
                "out_of_order" if kind == "out_of_order" else "undefined_in_order",
                "",
                reason,
            )
        )
    return out
