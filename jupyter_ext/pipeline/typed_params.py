"""Declared parameter types, read from a notebook's ``parameters`` cell, and checked.

papermill injects whatever it is given: ``-p n_rows yes`` reaches the kernel as the
string ``"yes"`` and the notebook fails twenty minutes later, or worse, runs with it. The
parameters cell already says what each parameter is (``n_rows = 1000``, ``rate: float =
0.1``), so the values can be checked and converted *before* a kernel starts, with one
line naming the notebook, the parameter, the value and the type expected.

How a type is declared, strongest first:

* an annotation (``x: int = 3``, ``x: Optional[int] = None``, ``x: int | None = None``,
  ``names: list[str] = []``); ``Optional``/``| None`` also allows ``None``;
* otherwise the type of the literal value (``x = 3.0`` is a float, ``flag = False`` a bool);
* ``x = None`` without an annotation, or a value that is not a literal, declares no type
  (``"NoneType"`` / ``"any"``): any value is accepted and text is typed as papermill's
  ``-p`` types it.

Conversions are the ones a user means and nothing looser: text is parsed for the declared
type (``"3"`` is an int, ``"3"`` or ``3`` a float, ``"true"``/``"no"`` a bool, ``"[1, 2]"`` a
list); an int is a float; an integral float is an int; a number is text. A bool is never a
number and a fraction never an int.

Only the notebook file is read: no kernel, no papermill, no nbformat.
"""

from __future__ import annotations

import ast
import difflib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..bridge.params import ParameterError, resolve_type

__all__ = [
    "DeclaredParameter",
    "ParameterError",
    "check_parameters",
    "convert_parameters",
    "declared_parameters",
    "parameters_cell_index",
    "read_notebook_json",
]

UNTYPED = frozenset({"any", "NoneType"})

_SIMPLE_TYPES = {
    "int": "int",
    "float": "float",
    "str": "str",
    "bool": "bool",
    "list": "list",
    "List": "list",
    "Sequence": "list",
    "dict": "dict",
    "Dict": "dict",
    "Mapping": "dict",
    "Path": "str",
    "PurePath": "str",
    "None": "NoneType",
    "NoneType": "NoneType",
    "Any": "any",
}
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_ARTICLE = {"int": "an int", "float": "a float", "str": "a str", "bool": "a bool"}


@dataclass(frozen=True)
class DeclaredParameter:
    """One assignment of the parameters cell, as a type the CLI can check values against."""

    name: str
    type_name: str  # "int", "float", "str", "bool", "list", "dict", "NoneType" or "any"
    default: Any  # the literal value; None when the value is not a literal
    annotation: str | None  # source text of the annotation, if any

    @property
    def accepts_none(self) -> bool:
        """``None`` is a valid value: the default is None or the annotation is optional."""
        if self.type_name in UNTYPED or self.default is None:
            return True
        return self.annotation is not None and _annotation_allows_none(self.annotation)

    def describe(self) -> str:
        """``n_rows: int = 1000`` as the user wrote (or would have written) it."""
        shown = self.annotation if self.annotation is not None else self.type_name
        return f"{self.name}: {shown} = {self.default!r}"


def read_notebook_json(path: str | Path) -> dict[str, Any]:
    """The notebook's JSON; a :class:`ParameterError` naming the file when it cannot be read."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ParameterError(f"{path}: cannot read the notebook ({exc.strerror})") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{path}: not a notebook (not valid JSON)") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ParameterError(f"{path}: not a notebook (no list of cells)")
    return data


def cell_source(cell: Mapping[str, Any]) -> str:
    """A cell's source whether stored as one string or as a list of lines."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def parameters_cell_index(nb: Mapping[str, Any]) -> int | None:
    """Position of the first code cell tagged ``parameters`` (papermill's rule), or None."""
    for index, cell in enumerate(nb.get("cells") or []):
        if not isinstance(cell, Mapping) or cell.get("cell_type") != "code":
            continue
        tags = (cell.get("metadata") or {}).get("tags") or []
        if isinstance(tags, list) and "parameters" in tags:
            return index
    return None


def declared_parameters(nb: Mapping[str, Any]) -> dict[str, DeclaredParameter]:
    """The parameters the cell tagged ``parameters`` declares, in order; {} when none.

    A name assigned twice is declared by its last assignment, as Python would bind it.
    Statements that assign nothing (imports, prints, magics) are ignored.
    """
    index = parameters_cell_index(nb)
    if index is None:
        return {}
    tree = parse_cell(cell_source(nb["cells"][index]))
    if tree is None:
        return {}
    declared: dict[str, DeclaredParameter] = {}
    for statement in tree.body:
        for parameter in assignment_parameters(statement):
            declared.pop(parameter.name, None)
            declared[parameter.name] = parameter
    return declared


def parse_cell(source: str) -> ast.Module | None:
    """The cell's AST with IPython-only lines (magics, shell escapes) blanked; None if invalid."""
    lines = [
        "" if line.lstrip().startswith(("%", "!", "?")) else line for line in source.splitlines()
    ]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


def assignment_parameters(statement: ast.stmt) -> list[DeclaredParameter]:
    """The parameters one top-level statement declares (``a = b = 1`` and ``a, b = 1, 2`` too)."""
    if isinstance(statement, ast.AnnAssign):
        if not isinstance(statement.target, ast.Name) or statement.value is None:
            return []
        annotation = ast.unparse(statement.annotation)
        literal, value = literal_value(statement.value)
        from_annotation = annotation_type(statement.annotation)
        if from_annotation in UNTYPED:
            type_name = value_type(value) if literal else from_annotation
            if from_annotation == "any" and annotation in ("Any", "typing.Any"):
                type_name = "any"
        else:
            type_name = from_annotation
        return [DeclaredParameter(statement.target.id, type_name, value, annotation)]
    if not isinstance(statement, ast.Assign):
        return []
    pairs: list[tuple[str, ast.expr]] = []
    for target in statement.targets:
        if isinstance(target, ast.Name):
            pairs.append((target.id, statement.value))
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(
            statement.value, (ast.Tuple, ast.List)
        ):
            names = [t.id for t in target.elts if isinstance(t, ast.Name)]
            if len(names) == len(target.elts) == len(statement.value.elts):
                pairs.extend(zip(names, statement.value.elts, strict=True))
    declared = []
    for name, node in pairs:
        literal, value = literal_value(node)
        declared.append(
            DeclaredParameter(name, value_type(value) if literal else "any", value, None)
        )
    return declared


def literal_value(node: ast.expr) -> tuple[bool, Any]:
    """``(True, value)`` for a Python literal, else ``(False, None)``."""
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def value_type(value: Any) -> str:
    """The declared type a literal value implies (tuples, sets, bytes: no declared type)."""
    if value is None:
        return "NoneType"
    for kind in (bool, int, float, str, list, dict):
        if type(value) is kind:
            return kind.__name__
    return "any"


def annotation_type(node: ast.expr) -> str:
    """The checked type an annotation names; ``"any"`` for what we do not convert to."""
    if isinstance(node, ast.Constant):
        if node.value is None:
            return "NoneType"
        if isinstance(node.value, str):  # a quoted annotation
            try:
                return annotation_type(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                return "any"
        return "any"
    if isinstance(node, ast.Name):
        return _SIMPLE_TYPES.get(node.id, "any")
    if isinstance(node, ast.Attribute):  # typing.List, pathlib.Path
        return _SIMPLE_TYPES.get(node.attr, "any")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_type([node.left, node.right])
    if isinstance(node, ast.Subscript):
        base = node.value.attr if isinstance(node.value, ast.Attribute) else None
        if isinstance(node.value, ast.Name):
            base = node.value.id
        inner = node.slice
        members = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        if base == "Optional":
            return _union_type([*members, ast.Constant(None)])
        if base == "Union":
            return _union_type(members)
        if base == "Literal":
            kinds = {value_type(literal_value(m)[1]) for m in members}
            return kinds.pop() if len(kinds) == 1 else "any"
        return _SIMPLE_TYPES.get(base or "", "any")
    return "any"


def _union_type(members: list[ast.expr]) -> str:
    """``X | None`` is X (None allowed separately); a union of two real types is unchecked."""
    kinds = {annotation_type(m) for m in members} - {"NoneType"}
    if len(kinds) == 1:
        return kinds.pop()
    return "NoneType" if not kinds else "any"


def _annotation_allows_none(annotation: str) -> bool:
    try:
        node = ast.parse(annotation, mode="eval").body
    except SyntaxError:
        return False
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and sub.value is None:
            return True
        if isinstance(sub, ast.Name) and sub.id in ("None", "NoneType", "Optional", "Any"):
            return True
        if isinstance(sub, ast.Attribute) and sub.attr in ("Optional", "Any"):
            return True
    return False


def check_parameters(
    notebook: str | Path | Mapping[str, Any],
    params: Mapping[str, Any],
    *,
    label: str | None = None,
) -> dict[str, Any]:
    """``params`` converted to the types the notebook's parameters cell declares.

    Raises :class:`ParameterError` (one line: notebook, parameter, value, expected type)
    for an unknown name or a value that does not convert. A notebook without a
    parameters cell accepts no parameter at all: papermill would inject them above the
    first cell where nothing reads them the way the author meant.
    """
    if isinstance(notebook, Mapping):
        nb: Mapping[str, Any] = notebook
        name = label or "notebook"
    else:
        nb = read_notebook_json(notebook)
        name = label or str(notebook)
    if not params:
        return {}
    if parameters_cell_index(nb) is None:
        first = next(iter(params))
        raise ParameterError(
            f"{name}: cannot set parameter {first!r}: the notebook has no cell tagged "
            f"'parameters'; create one with `jupyter-ext to-pipeline {name}`"
        )
    return convert_parameters(declared_parameters(nb), params, label=name)


def convert_parameters(
    declared: Mapping[str, DeclaredParameter], params: Mapping[str, Any], *, label: str
) -> dict[str, Any]:
    """The pure half of :func:`check_parameters`, for callers that already hold the declarations."""
    converted: dict[str, Any] = {}
    for key, value in params.items():
        parameter = declared.get(key)
        if parameter is None:
            raise ParameterError(f"{label}: unknown parameter {key!r}{_known(key, declared)}")
        try:
            converted[key] = convert_value(parameter, value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            expected = _ARTICLE.get(parameter.type_name, f"a {parameter.type_name}")
            if parameter.accepts_none and parameter.type_name not in UNTYPED:
                expected += " or None"
            shown = repr(value)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            raise ParameterError(
                f"{label}: parameter {key!r} expects {expected} "
                f"(declared `{parameter.describe()}`), got {shown}"
            ) from None
    return converted


def _known(name: str, declared: Mapping[str, DeclaredParameter]) -> str:
    if not declared:
        return " (its parameters cell declares none)"
    close = difflib.get_close_matches(name, list(declared), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f" (declared: {', '.join(declared)}){hint}"


def convert_value(parameter: DeclaredParameter, value: Any) -> Any:
    """``value`` as the parameter's declared type; ValueError/TypeError when it is not one."""
    kind = parameter.type_name
    if kind in UNTYPED:
        return resolve_type(value) if isinstance(value, str) else value
    if value is None:
        if parameter.accepts_none:
            return None
        raise ValueError("None not allowed")
    if isinstance(value, str) and value.strip() == "None" and parameter.accepts_none:
        return None
    return _CONVERTERS[kind](value)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a bool is not an int")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise TypeError(type(value).__name__)


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError("a bool is not a float")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())
    raise TypeError(type(value).__name__)


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(type(value).__name__)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueError(f"{value!r} is not a bool")


def _to_container(kind: type) -> Any:
    def convert(value: Any) -> Any:
        if kind is list and isinstance(value, tuple):
            return list(value)
        if isinstance(value, str):
            value = ast.literal_eval(value.strip())
            if kind is list and isinstance(value, tuple):
                value = list(value)
        if isinstance(value, kind):
            return value
        raise TypeError(type(value).__name__)

    return convert


_CONVERTERS = {
    "int": _to_int,
    "float": _to_float,
    "str": _to_str,
    "bool": _to_bool,
    "list": _to_container(list),
    "dict": _to_container(dict),
}
