"""Statements that run straight through: expressions, assignments, deletions, imports,
and the definitions (``def``, ``class``, ``type``) that bind a name and open a scope.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from typing import Any

from .expressions import DELETE, ENTER, EXIT, VISIT, ExpressionWalker, Op
from .flow import Flow
from .helpers import base_name, signature_annotations, target_names
from .result import EMPTY
from .scope import CLASS, FUNCTION, MODULE, NOW, TYPEPARAMS, Scope, param_names, scope_bindings


class StatementWalker(ExpressionWalker):
    """Handlers for statements that neither branch nor jump."""

    def _stmts(self, body: Sequence[ast.stmt], scope: Scope) -> None:
        """Visit a block.  Function and class bodies need the dispatch over every statement
        kind, control flow included, which only :class:`~.visitor.Analyser` has."""
        raise NotImplementedError

    def _s_expr(self, node: ast.Expr, scope: Scope) -> None:
        self._expr(node.value, scope)

    def _s_pass(self, node: ast.stmt, scope: Scope) -> None:
        return None  # pass, global, nonlocal: scopes were computed up front

    def _s_assign(self, node: ast.Assign, scope: Scope) -> None:
        self._expr(node.value, scope)
        for target in node.targets:
            self._target(target, scope)
        if scope.kind == MODULE:
            self._alias_edges(node.targets, node.value)

    def _s_augassign(self, node: ast.AugAssign, scope: Scope) -> None:
        target = node.target
        if isinstance(target, ast.Name):
            self._load(target.id, scope)
        else:
            self._expr(target, scope)  # `x.a += 1` reads x (and x.a) first
        base = base_name(target)
        if base is not None:
            self._candidate(base, scope)  # `x += [1]` may extend x in place
            if not isinstance(target, ast.Name):
                self._visible_mutation(base, scope)  # `x[i] += 1` stores into x
        self._expr(node.value, scope)
        if isinstance(target, ast.Name):
            self._bind(target.id, scope)

    def _s_annassign(self, node: ast.AnnAssign, scope: Scope) -> None:
        if node.value is not None:
            self._expr(node.value, scope)
        if scope.kind != FUNCTION:  # annotations of locals are never evaluated
            self._annotation(node.annotation, scope)
        if node.value is not None:
            self._target(node.target, scope)
            if scope.kind == MODULE:
                self._alias_edges([node.target], node.value)
        elif not isinstance(node.target, ast.Name):
            self._expr(node.target, scope)  # `a.b: int` evaluates `a`, binds nothing

    def _s_delete(self, node: ast.Delete, scope: Scope) -> None:
        self._run([(DELETE, target, scope) for target in reversed(node.targets)])

    def _s_assert(self, node: ast.Assert, scope: Scope) -> None:
        ops: list[Op] = [(VISIT, node.test, scope)]
        if node.msg is not None:
            ops += [(ENTER, None, scope), (VISIT, node.msg, scope), (EXIT, None, scope)]
        self._run(ops[::-1])

    def _s_import(self, node: ast.Import, scope: Scope) -> None:
        for alias in node.names:  # `import a.b` binds `a`
            self._bind(alias.asname or alias.name.partition(".")[0], scope)

    def _s_importfrom(self, node: ast.ImportFrom, scope: Scope) -> None:
        for alias in node.names:
            if alias.name == "*":
                if scope.kind == MODULE:
                    self.star_import = True
            else:
                self._bind(alias.asname or alias.name, scope)

    def _s_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> None:
        self._decorators(node.decorator_list, scope)
        args = node.args
        for default in (*args.defaults, *args.kw_defaults):
            if default is not None:
                self._expr(default, scope)
        outer = self._type_params(node, scope)
        for annotation in signature_annotations(args, node.returns):
            self._annotation(annotation, outer)
        self._bind(node.name, scope)
        bound, globals_, nonlocals = scope_bindings(node.body)
        bound |= param_names(args)
        function = Scope(FUNCTION, outer, bound - globals_ - nonlocals, globals_, nonlocals)
        self._stmts(node.body, function)

    def _s_class(self, node: ast.ClassDef, scope: Scope) -> None:
        self._decorators(node.decorator_list, scope)
        outer = self._type_params(node, scope)
        for base in node.bases:
            self._expr(base, outer)
        for keyword in node.keywords:
            self._expr(keyword.value, outer)
        _, globals_, nonlocals = scope_bindings(node.body)
        body = Scope(CLASS, outer, EMPTY, globals_, nonlocals, flow=Flow())
        self._stmts(node.body, body)
        self._bind(node.name, scope)

    def _s_type_alias(self, node: Any, scope: Scope) -> None:  # 3.12 `type X = ...`
        outer = self._type_params(node, scope)
        self._bind(node.name.id, scope)
        self._expr(node.value, Scope(FUNCTION, outer))  # evaluated lazily

    def _decorators(self, decorators: list[ast.expr], scope: Scope) -> None:
        for decorator in decorators:
            if isinstance(decorator, ast.Name):  # `@f` calls f
                if self._load(decorator.id, scope) == NOW:
                    self.calls.add(decorator.id)
            else:
                self._expr(decorator, scope)

    def _annotation(self, annotation: ast.expr, scope: Scope) -> None:
        if self.lazy_annotations:
            self._expr(annotation, Scope(FUNCTION, scope))
        else:
            self._expr(annotation, scope)

    def _type_params(self, node: Any, scope: Scope) -> Scope:
        """PEP 695 annotation scope for ``def f[T]``/``class C[T]``/``type X[T]``."""
        params = getattr(node, "type_params", None)
        if not params:
            return scope
        inner = Scope(TYPEPARAMS, scope, frozenset(p.name for p in params))
        later = Scope(FUNCTION, inner)  # bounds and defaults are evaluated lazily
        for param in params:
            for field in ("bound", "default_value"):
                value = getattr(param, field, None)
                if value is not None:
                    self._expr(value, later)
        return inner

    def _alias_edges(self, targets: Iterable[ast.expr], value: ast.expr) -> None:
        """Module-level ``y = x`` / ``for y in x`` / ``with x as y``: mutating y may
        mutate x."""
        base = base_name(value)
        if base is None:
            return
        for name in target_names(targets):
            if name != base:
                self.global_aliases.setdefault(name, set()).add(base)
