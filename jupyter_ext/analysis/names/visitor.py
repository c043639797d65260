"""The analyser: one walk over one cell's tree, and the answer it gives.

Statements are dispatched by node type through one table to the handlers of the layers
below; statement kinds the table does not know have their parts visited generically, so
newer syntax degrades to a conservative answer instead of an error.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from typing import Any

from .control_flow import ControlFlowWalker
from .result import CellNames
from .scope import Scope


class Analyser(ControlFlowWalker):
    """One pass over one cell's tree: statements recursively (their nesting is bounded
    by Python's indentation limit), expressions with an explicit stack."""

    def run(self) -> CellNames:
        self._stmts(self.tree.body, self.module)
        end = self._module_flow().copy()
        end.absorb(self.raised)
        if end.dead:  # every path loops forever: report everything the cell may touch
            written, deleted = self.ever_written, self.ever_deleted
        else:
            written, deleted = end.written, end.deleted
        candidates = set(self.candidates)
        work = list(candidates)
        while work:
            for base in self.global_aliases.get(work.pop(), ()):
                if base not in candidates:
                    candidates.add(base)
                    work.append(base)
        return CellNames(
            reads=frozenset(self.reads),
            writes=frozenset(written),
            deletes=frozenset(deleted),
            mutation_candidates=frozenset(candidates),
            visibly_mutated=frozenset(self.visibly_mutated),
            calls=frozenset(self.calls),
            function_globals_read=frozenset(self.fn_reads),
            function_globals_written=frozenset(self.fn_writes),
            star_import=self.star_import,
            dynamic=tuple(self.dynamic),
        )

    def _stmts(self, body: Sequence[ast.stmt], scope: Scope) -> None:
        for stmt in body:
            if self.exc and scope.flow is not None:
                owner, caught, depth = self.exc[-1]
                if owner is scope:  # an exception raised by `stmt` sees this state
                    caught.absorb(self._leaving(scope, depth))
            handler = _STMT_HANDLERS.get(type(stmt))
            if handler is None:
                self._generic_stmt(stmt, scope)
            else:
                handler(self, stmt, scope)

    def _generic_stmt(self, node: ast.stmt, scope: Scope) -> None:
        """Statements this module does not know yet: visit what they contain."""
        for value in ast.iter_child_nodes(node):
            if isinstance(value, ast.expr):
                self._expr(value, scope)
            elif isinstance(value, ast.stmt):
                self._stmts([value], scope)


_STMT_HANDLERS: dict[type, Callable[[Analyser, Any, Scope], None]] = {
    ast.Expr: Analyser._s_expr,
    ast.Assign: Analyser._s_assign,
    ast.AugAssign: Analyser._s_augassign,
    ast.AnnAssign: Analyser._s_annassign,
    ast.For: Analyser._s_for,
    ast.AsyncFor: Analyser._s_for,
    ast.While: Analyser._s_while,
    ast.If: Analyser._s_if,
    ast.With: Analyser._s_with,
    ast.AsyncWith: Analyser._s_with,
    ast.Try: Analyser._s_try,
    ast.Raise: Analyser._s_raise,
    ast.Return: Analyser._s_return,
    ast.Break: Analyser._s_jump,
    ast.Continue: Analyser._s_jump,
    ast.Delete: Analyser._s_delete,
    ast.Assert: Analyser._s_assert,
    ast.Import: Analyser._s_import,
    ast.ImportFrom: Analyser._s_importfrom,
    ast.FunctionDef: Analyser._s_function,
    ast.AsyncFunctionDef: Analyser._s_function,
    ast.ClassDef: Analyser._s_class,
    ast.Match: Analyser._s_match,
    ast.Pass: Analyser._s_pass,
    ast.Global: Analyser._s_pass,
    ast.Nonlocal: Analyser._s_pass,
}
_STMT_HANDLERS.update(  # syntax newer than the oldest supported Python (3.11, 3.12)
    (getattr(ast, name), handler)
    for name, handler in (("TryStar", Analyser._s_try), ("TypeAlias", Analyser._s_type_alias))
    if hasattr(ast, name)
)
