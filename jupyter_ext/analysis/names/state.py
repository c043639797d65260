"""What the walk over a cell has learnt, and how each effect is recorded.

Every statement and expression handler reports the same few things: a name is loaded,
bound, unbound or its object may be mutated, in some scope.  The methods here resolve the
name as Python would (local, global now, global later) and update the cell-wide sets and
the module's definite-binding flow accordingly.  The walkers are layered on this class.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable

from .flow import Flow, dead
from .result import CellNames
from .scope import CLASS, COMP, FUNCTION, LATER, LOCAL, MODULE, NOW, TYPEPARAMS, Scope

_LAZY_ANNOTATIONS_BY_DEFAULT = sys.version_info >= (3, 14)  # PEP 649/749


class AnalysisState:
    """The cell-wide results being collected, the open ``try``/loop/handler regions, and
    the primitives that record loads, bindings, deletions and mutation candidates."""

    def __init__(self, tree: ast.Module, analyse_nested: Callable[[str], CellNames]) -> None:
        self.tree = tree
        # Analyses code that magics run; the package passes its cached entry point.
        self.analyse_nested = analyse_nested
        self.module = Scope(MODULE, None, flow=Flow())
        self.reads: set[str] = set()
        self.candidates: set[str] = set()
        self.visibly_mutated: set[str] = set()
        # Bindings and deletions of each name in any scope, for callers that need to
        # know a name is bound exactly once (the static checker's literal digests).
        self.binding_counts: dict[str, int] = {}
        self.calls: set[str] = set()
        self.fn_reads: set[str] = set()
        self.fn_writes: set[str] = set()
        self.star_import = False
        self.dynamic: dict[str, None] = {}
        self.ever_written: set[str] = set()
        self.ever_deleted: set[str] = set()
        self.raised = dead()  # module state at explicit, uncaught `raise` statements
        self.raise_count = 0  # explicit `raise` statements seen so far
        self.global_aliases: dict[str, set[str]] = {}  # module-level `y = x`, `for y in x`
        # Open `try` bodies: scope, accumulated states, len(self.handlers) on entry.
        self.exc: list[tuple[Scope, Flow, int]] = []
        # Open loops: scope, states at `break`, at `continue`, len(self.handlers) on entry.
        self.loops: list[tuple[Scope, list[Flow], list[Flow], int]] = []
        # `except ... as name` handlers being visited: leaving one deletes the name.
        self.handlers: list[tuple[Scope, str]] = []
        self.undo: list[list[tuple[Scope, str]]] = []  # conditional walrus bindings
        self.lazy_annotations = _LAZY_ANNOTATIONS_BY_DEFAULT or any(
            isinstance(stmt, ast.ImportFrom)
            and stmt.module == "__future__"
            and any(alias.name == "annotations" for alias in stmt.names)
            for stmt in tree.body
        )

    def _module_flow(self) -> Flow:
        flow = self.module.flow
        assert flow is not None
        return flow

    def _resolve(self, name: str, scope: Scope) -> tuple[int, Scope]:
        """Where a load of ``name`` in ``scope`` looks, following Python's rules: class
        scopes are visible only to their own body, not to nested functions or
        comprehensions (apart from the implicit ``__class__`` cell)."""
        s = scope
        crossed = False
        while s.parent is not None:
            kind = s.kind
            if kind == FUNCTION:
                if name in s.globals:
                    break
                if name in s.locals or name in s.nonlocals:
                    return LOCAL, s
                crossed = True
            elif kind in (COMP, TYPEPARAMS):
                if name in s.locals:
                    return LOCAL, s
                crossed = crossed or kind == COMP
            elif s is scope:  # a class body, looking at its own namespace
                if name in s.globals:
                    break
                if name in s.nonlocals or (s.flow is not None and name in s.flow.bound):
                    return LOCAL, s
            elif crossed and name == "__class__":
                return LOCAL, s
            s = s.parent
        return (LATER if scope.deferred else NOW), self.module

    def _load(self, name: str, scope: Scope) -> int:
        if scope is self.module:  # most loads: no scope chain to follow
            if name not in self._module_flow().bound:
                self.reads.add(name)
            return NOW
        kind, _ = self._resolve(name, scope)
        if kind == NOW:
            if name not in self._module_flow().bound:
                self.reads.add(name)
        elif kind == LATER:
            self.fn_reads.add(name)
        return kind

    def _candidate(self, name: str, scope: Scope) -> None:
        """Mark ``name`` (as seen from ``scope``) as possibly mutated, following
        comprehension variables back to the iterables they walk over."""
        if scope is self.module:  # resolves to the module itself: no aliases to follow
            self.candidates.add(name)
            return
        work = [(name, scope)]
        seen: set[tuple[str, int]] = set()
        while work:
            current, where = work.pop()
            key = (current, id(where))
            if key in seen:
                continue
            seen.add(key)
            kind, owner = self._resolve(current, where)
            if kind == NOW:
                self.candidates.add(current)
            elif kind == LOCAL and owner.kind == COMP:
                work.extend(owner.aliases.get(current, ()))

    def _visible_mutation(self, name: str | None, scope: Scope) -> None:
        """Record that the code itself shows ``name`` changed in place while the cell
        runs (a store into it, a mutating method, ``inplace=True``, ``out=``).  Only
        module-level names seen immediately count; no aliases are followed, so this
        stays evidence, not suspicion."""
        if name is not None and (scope is self.module or self._resolve(name, scope)[0] == NOW):
            self.visibly_mutated.add(name)

    def _bind(self, name: str, scope: Scope, walrus: bool = False) -> None:
        self.binding_counts[name] = self.binding_counts.get(name, 0) + 1
        if walrus:  # PEP 572: the target belongs to the enclosing non-comprehension scope
            while scope.kind == COMP and scope.parent is not None:
                scope = scope.parent
        kind = scope.kind
        if kind == MODULE:
            self._flow_bind(scope, name)
        elif kind == CLASS:
            if name in scope.globals:
                self._global_effect(name, scope, bind=True)
            elif name not in scope.nonlocals:
                self._flow_bind(scope, name)
        elif kind == FUNCTION and name in scope.globals:
            self.fn_writes.add(name)

    def _unbind(self, name: str, scope: Scope) -> None:
        self.binding_counts[name] = self.binding_counts.get(name, 0) + 1
        kind = scope.kind
        if kind == MODULE:
            self._flow_unbind(scope, name)
        elif kind == CLASS:
            if name in scope.globals:
                self._global_effect(name, scope, bind=False)
            elif name not in scope.nonlocals and scope.flow is not None:
                scope.flow.bound.discard(name)
        elif kind == FUNCTION and name in scope.globals:
            self.fn_writes.add(name)

    def _global_effect(self, name: str, scope: Scope, bind: bool) -> None:
        if scope.deferred:
            self.fn_writes.add(name)
        elif bind:
            self._flow_bind(self.module, name)
        else:
            self._flow_unbind(self.module, name)

    def _flow_bind(self, scope: Scope, name: str) -> None:
        flow = scope.flow
        if flow is None:
            return
        if self.undo:  # inside `a and (y := 1)`, a comprehension, ...: a maybe-binding
            flow.written.add(name)
            if name not in flow.bound:
                flow.bound.add(name)
                self.undo[-1].append((scope, name))
        else:
            flow.bind(name)
        if scope is self.module:
            self.ever_written.add(name)

    def _flow_unbind(self, scope: Scope, name: str) -> None:
        flow = scope.flow
        if flow is not None:
            flow.unbind(name)
            if scope is self.module:
                self.ever_deleted.add(name)

    def _dyn(self, reason: str) -> None:
        self.dynamic[reason] = None
