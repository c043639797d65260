"""Statements that branch, loop, catch or jump, and what they do to the binding flow.

Each handler copies the flow where paths split, joins it where they meet and marks it dead
after a jump, keeping the analysis exact for straight-line code and conservative
elsewhere.  ``try`` bodies, loops and ``except ... as`` handlers are tracked as open
regions so that a ``raise``, ``break`` or ``continue`` lands in the right state.
"""

from __future__ import annotations

import ast
from typing import Any

from .flow import Flow, dead, join
from .helpers import always_true, base_name, irrefutable, is_suppress
from .scope import MODULE, Scope, deleted_names, scope_bindings
from .statements import StatementWalker


class ControlFlowWalker(StatementWalker):
    """Handlers for ``for``, ``while``, ``if``, ``with``, ``try``, ``match`` and the
    jumps (``raise``, ``return``, ``break``, ``continue``)."""

    def _s_for(self, node: ast.For | ast.AsyncFor, scope: Scope) -> None:
        self._expr(node.iter, scope)
        if scope.kind == MODULE:
            self._alias_edges([node.target], node.iter)
        entry = scope.flow
        if entry is None:
            self._target(node.target, scope)
            self._stmts(node.body, scope)
            self._stmts(node.orelse, scope)
            return
        head = entry.copy()
        head.bound -= deleted_names(node.body)  # what a later iteration may have deleted
        scope.flow = head
        self._target(node.target, scope)
        breaks: list[Flow] = []
        continues: list[Flow] = []
        self.loops.append((scope, breaks, continues, len(self.handlers)))
        self._stmts(node.body, scope)
        self.loops.pop()
        exit_ = entry.copy()  # zero iterations, or the iterator ran out
        exit_.absorb(scope.flow)
        for flow in continues:
            exit_.absorb(flow)
        scope.flow = exit_
        self._stmts(node.orelse, scope)
        for flow in breaks:
            scope.flow.absorb(flow)

    def _s_while(self, node: ast.While, scope: Scope) -> None:
        entry = scope.flow
        if entry is None:
            self._expr(node.test, scope)
            self._stmts(node.body, scope)
            self._stmts(node.orelse, scope)
            return
        head = entry.copy()
        head.bound -= deleted_names(node.body)
        scope.flow = head
        self._expr(node.test, scope)
        after_test = scope.flow
        scope.flow = after_test.copy()
        breaks: list[Flow] = []
        continues: list[Flow] = []
        self.loops.append((scope, breaks, continues, len(self.handlers)))
        self._stmts(node.body, scope)
        self.loops.pop()
        if always_true(node.test):  # `while True:` ends only through `break`
            exit_ = dead()
        else:
            exit_ = after_test
            exit_.absorb(scope.flow)
            for flow in continues:
                exit_.absorb(flow)
        scope.flow = exit_
        self._stmts(node.orelse, scope)
        for flow in breaks:
            scope.flow.absorb(flow)

    def _s_if(self, node: ast.If, scope: Scope) -> None:
        ends: list[Flow] = []
        while True:  # an `elif` chain is walked iteratively: it can be very long
            self._expr(node.test, scope)
            if scope.flow is None:
                self._stmts(node.body, scope)
            else:
                saved = scope.flow.copy()
                self._stmts(node.body, scope)
                ends.append(scope.flow)
                scope.flow = saved
            orelse = node.orelse
            if len(orelse) == 1 and isinstance(orelse[0], ast.If):
                node = orelse[0]
                continue
            self._stmts(orelse, scope)
            if scope.flow is not None:
                ends.append(scope.flow)
                scope.flow = join(ends)
            return

    def _s_with(self, node: ast.With | ast.AsyncWith, scope: Scope) -> None:
        suppresses = False
        for item in node.items:
            context = item.context_expr
            self._expr(context, scope)
            base = base_name(context)
            if base is not None:
                self._candidate(base, scope)  # `__enter__`/`__exit__` may change it
            suppresses = suppresses or is_suppress(context)
            if item.optional_vars is not None:
                self._target(item.optional_vars, scope)
                if scope.kind == MODULE:
                    self._alias_edges([item.optional_vars], context)
        if not suppresses or scope.flow is None:
            self._stmts(node.body, scope)
            return
        caught = dead()
        self.exc.append((scope, caught, len(self.handlers)))
        self._stmts(node.body, scope)
        self._pop_exc(scope)
        caught.absorb(scope.flow)
        scope.flow = caught

    def _s_try(self, node: Any, scope: Scope) -> None:  # ast.Try and ast.TryStar
        if scope.flow is None:
            self._stmts(node.body, scope)
            for handler in node.handlers:
                if handler.type is not None:
                    self._expr(handler.type, scope)
                if handler.name:
                    self._bind(handler.name, scope)
                self._stmts(handler.body, scope)
            self._stmts(node.orelse, scope)
            self._stmts(node.finalbody, scope)
            return
        raises = self.raise_count
        loop = self.loops[-1] if self.loops and self.loops[-1][0] is scope else None
        jumps = (len(loop[1]), len(loop[2])) if loop is not None else (0, 0)
        caught = dead()  # every state in which the body may raise
        self.exc.append((scope, caught, len(self.handlers)))
        self._stmts(node.body, scope)
        self._pop_exc(scope)
        escaped = dead()  # states in which an exception heads for `finally`
        if node.finalbody:
            escaped.absorb(caught)
            self.exc.append((scope, escaped, len(self.handlers)))
        self._stmts(node.orelse, scope)
        ends = [scope.flow]
        for handler in node.handlers:
            scope.flow = caught.copy()
            if handler.type is not None:
                self._expr(handler.type, scope)
            if handler.name:
                self._bind(handler.name, scope)
                self.handlers.append((scope, handler.name))
            self._stmts(handler.body, scope)
            if handler.name:  # Python deletes the name however the handler ends
                self.handlers.pop()
                self._unbind(handler.name, scope)
            ends.append(scope.flow)
        if node.finalbody:
            self._pop_exc(scope)
        normal = join(ends)
        if not node.finalbody:
            scope.flow = normal
            return
        entry = normal.copy()
        entry.absorb(escaped)
        scope.flow = entry
        self._stmts(node.finalbody, scope)
        after = scope.flow
        if (
            self.raise_count > raises
            and scope is self.module
            and not any(item[0] is scope for item in self.exc)
        ):  # an explicit `raise` inside may leave the cell through this `finally`
            self.raised.absorb(self._leaving(scope, 0))
        deleted = deleted_names(node.finalbody)
        if loop is not None:  # `break`/`continue` inside also run `finally` on their way
            bound_here = after.bound - entry.bound
            written_here = scope_bindings(node.finalbody)[0]
            for states, start in zip(loop[1:3], jumps, strict=True):
                for i in range(start, len(states)):
                    jump = states[i].copy()
                    jump.bound = (jump.bound - deleted) | bound_here
                    jump.written |= written_here
                    jump.deleted |= deleted
                    states[i] = jump
        if normal.dead or after.dead:
            scope.flow = after.dead_copy()
        else:  # on the normal path, `finally` starts from `normal`, not from `entry`
            after.bound |= normal.bound - deleted

    def _leaving(self, scope: Scope, depth: int) -> Flow:
        """``scope``'s state as seen by code outside the handlers entered since
        ``depth``: Python has deleted their ``as`` names on the way out."""
        flow = scope.flow
        assert flow is not None
        names = [name for owner, name in self.handlers[depth:] if owner is scope]
        if not names:
            return flow
        flow = flow.copy()
        for name in names:
            flow.unbind(name)
        return flow

    def _pop_exc(self, scope: Scope) -> None:
        """Close a ``try`` region: what it may not handle, an enclosing ``try`` in the
        same scope may (conservatively, all of it)."""
        _, caught, _ = self.exc.pop()
        if self.exc and self.exc[-1][0] is scope:
            self.exc[-1][1].absorb(caught)

    def _s_raise(self, node: ast.Raise, scope: Scope) -> None:
        if node.exc is not None:
            self._expr(node.exc, scope)
        if node.cause is not None:
            self._expr(node.cause, scope)
        if scope.flow is None:
            return
        self.raise_count += 1
        if not any(entry[0] is self.module for entry in self.exc):
            self.raised.absorb(self._leaving(self.module, 0))
        scope.flow = scope.flow.dead_copy()

    def _s_return(self, node: ast.Return, scope: Scope) -> None:
        if node.value is not None:
            self._expr(node.value, scope)
        if scope.flow is not None:
            scope.flow = scope.flow.dead_copy()

    def _s_jump(self, node: ast.Break | ast.Continue, scope: Scope) -> None:
        if scope.flow is None:
            return
        if self.loops and self.loops[-1][0] is scope:
            _, breaks, continues, depth = self.loops[-1]
            jumps = breaks if isinstance(node, ast.Break) else continues
            jumps.append(self._leaving(scope, depth))
        scope.flow = scope.flow.dead_copy()

    def _s_match(self, node: ast.Match, scope: Scope) -> None:
        self._expr(node.subject, scope)
        entry = scope.flow
        ends: list[Flow] = []
        exhaustive = False
        for case in node.cases:
            if entry is not None:
                scope.flow = entry.copy()
            self._pattern(case.pattern, scope)
            if case.guard is not None:
                self._expr(case.guard, scope)
            self._stmts(case.body, scope)
            if scope.flow is not None:
                ends.append(scope.flow)
            if case.guard is None and irrefutable(case.pattern):
                exhaustive = True
        if entry is not None:
            if not exhaustive:
                ends.append(entry)
            scope.flow = join(ends)

    def _pattern(self, pattern: ast.pattern, scope: Scope) -> None:
        if isinstance(pattern, ast.MatchValue):
            self._expr(pattern.value, scope)
        elif isinstance(pattern, ast.MatchSequence | ast.MatchOr):
            for sub in pattern.patterns:
                self._pattern(sub, scope)
        elif isinstance(pattern, ast.MatchMapping):
            for key in pattern.keys:
                self._expr(key, scope)
            for sub in pattern.patterns:
                self._pattern(sub, scope)
            if pattern.rest:
                self._bind(pattern.rest, scope)
        elif isinstance(pattern, ast.MatchClass):
            self._expr(pattern.cls, scope)
            for sub in (*pattern.patterns, *pattern.kwd_patterns):
                self._pattern(sub, scope)
        elif isinstance(pattern, ast.MatchStar):
            if pattern.name:
                self._bind(pattern.name, scope)
        elif isinstance(pattern, ast.MatchAs):
            if pattern.pattern is not None:
                self._pattern(pattern.pattern, scope)
            if pattern.name:
                self._bind(pattern.name, scope)
