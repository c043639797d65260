"""Which names a cell mutates in place, as far as its code shows without running it.

The kernel learns mutations from digests; the static checker has none, so it needs a
rule it can defend (DESIGN: false alarms cost users' trust as much as misses).  A name is
mutated when the cell, outside function bodies, stores into it (``x[i] = ...``,
``x.a = ...``, ``del x[i]``, ``x[i] += ...``), calls a known mutating method on it,
passes ``inplace=True`` to one of its methods, or passes it as ``out=``.  Everything else
(``df.head()``, ``print(xs)``) is not a mutation.  The caller intersects the answer with
the analysis' mutation candidates (globals changed while the cell runs) and drops names
the cell rebinds or that are modules.
"""

from __future__ import annotations

import ast
import re

__all__ = ["MUTATING_METHODS", "may_mutate", "mutations"]

MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "clear",
        "update",
        "sort",
        "reverse",
        "setdefault",
        "add",
        "discard",
        "popitem",
    }
)
_MUTATING_CALL = re.compile(r"\.(?:" + "|".join(sorted(MUTATING_METHODS)) + r")\b")
_OUT_ARGUMENT = re.compile(r"\bout\s*=")


def may_mutate(code: str) -> bool:
    """A cheap text filter before the walk: False only when no mutation is possible."""
    if "inplace" in code or "del" in code or _MUTATING_CALL.search(code):
        return True
    if "out" in code and _OUT_ARGUMENT.search(code):
        return True
    for line in code.splitlines():
        if "=" in line:
            target = line.partition("=")[0]
            if "[" in target or "." in target:
                return True  # maybe `x[i] = ...`, `x.a = ...`, `x[i] += ...`
    return False


def _base_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _immediate(tree: ast.AST) -> list[ast.AST]:
    """Nodes that run while the cell runs: not function or lambda bodies."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                todo.extend(child.decorator_list if not isinstance(child, ast.Lambda) else ())
                continue
            todo.append(child)
    return out


def mutations(tree: ast.Module) -> frozenset[str]:
    found: set[str] = set()
    for node in _immediate(tree):
        if isinstance(node, ast.Attribute | ast.Subscript) and isinstance(
            node.ctx, ast.Store | ast.Del
        ):
            name = _base_name(node.value)
        elif isinstance(node, ast.AugAssign) and not isinstance(node.target, ast.Name):
            name = _base_name(node.target)
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "out":
                    out = keyword.value
                    targets = out.elts if isinstance(out, ast.Tuple) else [out]
                    found.update(n for n in map(_base_name, targets) if n)
            func = node.func
            if not isinstance(func, ast.Attribute):
                continue
            inplace = any(
                k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            )
            name = _base_name(func.value) if func.attr in MUTATING_METHODS or inplace else None
        else:
            continue
        if name:
            found.add(name)
    return frozenset(found)
