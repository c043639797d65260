"""Python's scopes as its compiler sees them, and the bindings that decide them.

Scoping is static: a function body's locals are every name it binds anywhere in it, which
:func:`scope_bindings` computes before the body is visited.  Module and class scopes are
filled as they run instead, so they carry a :class:`~.flow.Flow`.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from .flow import Flow
from .helpers import target_names
from .result import EMPTY

MODULE, CLASS, FUNCTION, COMP, TYPEPARAMS = range(5)
LOCAL, NOW, LATER = range(3)  # how a name resolves: local, immediate global, deferred

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


class Scope:
    """One Python scope.  Function scopes know their locals up front (as the compiler
    does); module and class scopes track bindings with a :class:`Flow` instead."""

    __slots__ = ("aliases", "deferred", "flow", "globals", "kind", "locals", "nonlocals", "parent")

    def __init__(
        self,
        kind: int,
        parent: Scope | None,
        locals_: frozenset[str] | set[str] = EMPTY,
        globals_: frozenset[str] | set[str] = EMPTY,
        nonlocals: frozenset[str] | set[str] = EMPTY,
        flow: Flow | None = None,
    ) -> None:
        self.kind = kind
        self.parent = parent
        self.locals = locals_
        self.globals = globals_
        self.nonlocals = nonlocals
        self.flow = flow
        # Code in a deferred scope runs only when some function defined here is called.
        self.deferred: bool = kind == FUNCTION or (parent is not None and parent.deferred)
        # Comprehension variable -> (name, scope) of the iterable it walks over.
        self.aliases: dict[str, list[tuple[str, Scope]]] = {}


def param_names(args: ast.arguments) -> set[str]:
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    for extra in (args.vararg, args.kwarg):
        if extra is not None:
            names.add(extra.arg)
    return names


def scope_bindings(body: Sequence[ast.AST]) -> tuple[set[str], set[str], set[str]]:
    """Names a function (or lambda, or class) body binds, declares ``global`` and declares
    ``nonlocal`` -- the compiler's view, computed before the body is visited because
    locality is decided for the whole body at once.  Nested functions, lambdas and
    classes contribute only their names and what their definition evaluates here;
    comprehension variables are the comprehension's own, but its walrus targets are ours.
    """
    bound: set[str] = set()
    globals_: set[str] = set()
    nonlocals: set[str] = set()
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            bound.add(node.name)
            stack += node.decorator_list
            stack += [d for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None]
        elif isinstance(node, ast.ClassDef):
            bound.add(node.name)
            stack += node.decorator_list
            stack += node.bases
            stack += [k.value for k in node.keywords]
        elif isinstance(node, ast.Lambda):
            stack += [d for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None]
        elif isinstance(node, _COMPREHENSIONS):
            for generator in node.generators:
                stack.append(generator.iter)
                stack += generator.ifs
            if isinstance(node, ast.DictComp):
                stack += [node.key, node.value]
            else:
                stack.append(node.elt)
        elif isinstance(node, ast.AnnAssign) and node.value is None:
            target = node.target
            if not isinstance(target, ast.Name):
                stack.append(target)
            elif node.simple:  # `x: int` makes x local without binding it; `(x): int` not
                bound.add(target.id)
        elif isinstance(node, ast.Global):
            globals_.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            nonlocals.update(node.names)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    bound.add(alias.asname or alias.name.partition(".")[0])
        else:
            if isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
                bound.add(node.name)
            elif isinstance(node, ast.MatchMapping) and node.rest:
                bound.add(node.rest)
            stack.extend(ast.iter_child_nodes(node))
    return bound, globals_, nonlocals


def deleted_names(body: Sequence[ast.stmt]) -> set[str]:
    """Names a block may delete in its own scope (``del x``, ``except ... as x``)."""
    out: set[str] = set()
    stack: list[Any] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Delete):
            out.update(target_names(node.targets))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        else:
            if isinstance(node, ast.ExceptHandler) and node.name:
                out.add(node.name)
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                stack.extend(getattr(node, field, ()))
    return out
