"""Small pure questions about AST nodes, asked by several walkers.

None of these looks at scopes or state: they read the shape of one node.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

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
"""Methods of the builtin containers that change their receiver: ``xs.append(1)`` is
visible evidence of a mutation where ``df.head()`` is not."""


def base_name(node: ast.expr) -> str | None:
    """The variable at the root of ``x``, ``x.a.b``, ``x[0].c`` or ``(y := x).a``; None
    for ``f().a``."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.NamedExpr):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def argument_bases(node: ast.expr) -> list[str]:
    """Variables whose objects an argument hands to the callee: ``x``, ``x.a``,
    ``x[0]``, ``*xs``, and those inside ``[a, b]``, ``a or b``, ``a if c else b``."""
    out: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if type(item) is ast.Name:  # the usual argument
            out.append(item.id)
        elif isinstance(item, ast.Name | ast.Attribute | ast.Subscript):
            base = base_name(item)
            if base is not None:
                out.append(base)
        elif isinstance(item, ast.Starred | ast.NamedExpr):
            stack.append(item.value)
        elif isinstance(item, ast.Tuple | ast.List | ast.Set):
            stack.extend(item.elts)
        elif isinstance(item, ast.Dict | ast.BoolOp):
            stack.extend(item.values)
        elif isinstance(item, ast.IfExp):
            stack += [item.body, item.orelse]
    return out


def target_names(targets: Iterable[ast.expr]) -> list[str]:
    """Plain names bound by assignment targets (``a, (b, *c)``), not ``x.a``/``x[0]``."""
    out: list[str] = []
    stack = list(targets)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            out.append(node.id)
        elif isinstance(node, ast.Tuple | ast.List):
            stack.extend(node.elts)
        elif isinstance(node, ast.Starred):
            stack.append(node.value)
    return out


def signature_annotations(args: ast.arguments, returns: ast.expr | None) -> list[ast.expr]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    out = [a.annotation for a in every if a.annotation is not None]
    if returns is not None:
        out.append(returns)
    return out


def irrefutable(pattern: ast.pattern) -> bool:
    if isinstance(pattern, ast.MatchAs):
        return pattern.pattern is None or irrefutable(pattern.pattern)
    if isinstance(pattern, ast.MatchOr):
        return any(irrefutable(p) for p in pattern.patterns)
    return False


def always_true(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and bool(test.value)


def is_suppress(node: ast.expr) -> bool:
    """``contextlib.suppress(...)``: the ``with`` body may stop at any statement."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name == "suppress"
