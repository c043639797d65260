"""Which global names a cell reads, writes, deletes and may mutate, from its AST alone.

The recorder hands :func:`analyse` the code IPython actually runs (after its input
transformations: ``%time x = 1`` arrives as ``get_ipython().run_line_magic('time', 'x = 1')``)
and uses the answer to draw lineage edges and to choose the few names worth digesting after
the cell.  Everything here is pure: the standard library's :mod:`ast`, no IPython, no look at
the user's namespace.  The recorder intersects the answer with the live namespace, so
builtins and IPython's own names are deliberately *not* filtered here.

How the analysis thinks
-----------------------
Python decides scoping statically, so we mirror its symbol table: module, class, function
(and lambda), comprehension and PEP 695 annotation scopes.  A load is a *global* load when
Python would look the name up in the module's globals; it is *immediate* when that happens
while the cell runs (module code, class bodies, comprehensions, decorators, defaults,
eagerly evaluated annotations) and *deferred* when it happens only once a function defined
in the cell is called (``function_globals_read``).

Immediate global loads go through a small must/may data-flow analysis of the module
(and class) bodies, so that ``x = 1; y = x`` does not read ``x`` while
``if c: x = 1`` followed by ``print(x)`` does.  It is exact for straight-line code and
conservative elsewhere: a binding made on only some paths (a branch, a loop body, a
``try`` body that may stop early, a walrus under ``and``/``or``) does not make a later load
a non-read, and a load inside a loop body before the body binds the name is a read (the
first iteration sees the old value).

Deliberate decisions on ambiguous points
----------------------------------------
* ``writes``/``deletes`` describe the final state of a run that completes (or stops at an
  explicit ``raise``): ``x = 1; del x`` deletes ``x`` and does not write it; ``del x; x = 1``
  writes it.  A name bound on one path and deleted on another is in both sets.  A run
  stopped by some other exception may have done less; the namespace tells the rest.
* ``x = 1; del x; print(x)`` reads ``x``: after a ``del`` a name is no longer known to be
  bound (the load fails at run time anyway).
* ``except E as e`` at module level binds ``e`` and Python deletes it however the handler
  is left, so ``e`` is in ``deletes`` (the old value is gone), not in ``writes``.
* Annotations evaluated when the code runs (module and class level, parameters and return
  values) are immediate reads; under ``from __future__ import annotations`` or Python
  3.14's lazy annotations they are deferred (``function_globals_read``).  Annotations of
  a function's local variables are never evaluated and read nothing.
* A ``global x`` inside a *class body* defined at module level writes ``x`` when the class
  statement runs, so it is a plain write; ``global`` in functions only ever lands in
  ``function_globals_written`` (a ``del`` of such a global counts as written too).
* Code run by magics that execute Python (``%time``, ``%%time``, ``%%capture``, ``%prun``,
  ``%debug``) is analysed when given as a literal and merged at the point of the call
  (``%timeit`` contributes reads only: it runs in its own namespace), *and* the magic is
  listed in ``dynamic``, because the body has not been through IPython's transformations.
* ``with`` bodies are straight-line code, except under ``suppress(...)``, whose body may
  stop at any statement.  Generator expressions count as evaluated immediately.
* Dynamic constructs are reported wherever they appear, including inside functions
  defined in the cell (the cell may call them); ``locals()`` and argument-less
  ``vars()`` only where they denote the module namespace.
* Mutation candidates are immediate only: a function body that mutates a global does so
  when called, which the recorder learns from the called function itself.  Aliases the
  AST shows are followed: ``for row in rows: row.append(1)`` and
  ``[r.clear() for r in rows]`` make ``rows`` a candidate, and so does ``y = x`` at module
  level when ``y`` is mutated later in the cell.
"""

from __future__ import annotations

import ast
import getopt
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["CellNames", "analyse"]

_EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class CellNames:
    """What one cell does to the global namespace, as far as its code shows.

    Every set holds plain names (``"df"``, never ``"df.x"``).  Builtins and IPython's own
    names are included when the code uses them; the caller filters by namespace.
    """

    reads: frozenset[str] = _EMPTY
    """Global names whose value may come from before this cell: loaded (immediately) while
    not definitely bound earlier in the cell."""
    writes: frozenset[str] = _EMPTY
    """Global names the cell may leave bound: assignments, imports, ``def``/``class``,
    loop and ``with`` targets, match captures, walrus targets that land in module scope."""
    deletes: frozenset[str] = _EMPTY
    """Global names the cell may leave unbound (``del x``, ``except ... as x``)."""
    mutation_candidates: frozenset[str] = _EMPTY
    """Global names whose object the cell may change without rebinding: call receivers
    and arguments, bases of attribute/subscript stores and deletes, augmented-assignment
    targets, ``with`` context managers, and names the AST shows aliasing those.  The
    callee ``f`` of ``f(x)`` is in ``calls``, not here."""
    calls: frozenset[str] = _EMPTY
    """Global names called directly (``f(...)``, ``@f``) while the cell runs."""
    function_globals_read: frozenset[str] = _EMPTY
    """Global names loaded by code that runs later: bodies of functions and lambdas
    defined here, lazily evaluated annotations and type-alias values."""
    function_globals_written: frozenset[str] = _EMPTY
    """Names declared ``global`` and bound (or deleted) inside functions defined here."""
    star_import: bool = False
    """``from m import *`` ran at module level: the cell's bindings are not known."""
    dynamic: tuple[str, ...] = ()
    """Why the static view may be incomplete (``"exec"``, ``"globals()"``, ``"%run"``, ...),
    in order of first appearance."""
    syntax_error: str | None = None
    """Set when the code does not parse (or is too deep or complex for the parser, which
    then fails the same way when IPython compiles it); every other field is empty."""


def analyse(code: str) -> CellNames:
    """Analyse one cell's (transformed) code.

    Never raises: unparseable code sets ``syntax_error``, and should the analysis itself
    fail, ``dynamic`` says so, which makes callers fall back to looking at the namespace.
    Results are cached by code string (they are immutable).
    """
    if not isinstance(code, str):
        return CellNames(syntax_error="code is not a string")
    return _analyse_cached(code)


@lru_cache(maxsize=1024)
def _analyse_cached(code: str) -> CellNames:
    try:
        tree = _parse(code)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return CellNames(syntax_error=f"{exc.msg}{where}")
    except RecursionError:
        return CellNames(syntax_error="too deeply nested to parse")
    except MemoryError:
        return CellNames(syntax_error="too complex to parse")
    except Exception as exc:  # ValueError (null bytes) and anything a future parser raises
        return CellNames(syntax_error=f"{type(exc).__name__}: {exc}")
    try:
        return _Analyser(tree).run()
    except Exception as exc:  # never let a bug here reach the user's kernel
        return CellNames(dynamic=(f"analysis failed ({type(exc).__name__})",))


def _parse(code: str) -> ast.Module:
    """``ast.parse`` without printing the warnings (invalid escapes) that IPython's own
    compile of the same code will print anyway.

    Only the display hook is swapped, and only when a backslash makes such a warning
    possible: touching the warning *filters* would reset "shown once" registries and make
    the user's earlier warnings reappear.
    """
    if "\\" not in code:
        return ast.parse(code)
    saved = warnings.showwarning
    warnings.showwarning = _drop_warning
    try:
        return ast.parse(code)
    finally:
        warnings.showwarning = saved


def _drop_warning(*args: Any, **kwargs: Any) -> None:
    return None


# --------------------------------------------------------------------------- flow facts


class _Flow:
    """Facts about one namespace (the module's or a class body's) at one program point.

    ``bound``: names this cell has definitely bound on every path reaching here (must).
    ``written``/``deleted``: names whose last effect on some path was a binding/deletion
    (may).  ``dead``: no path reaches here (after ``raise``, ``break``, ``continue``).
    """

    __slots__ = ("bound", "dead", "deleted", "written")

    def __init__(
        self,
        bound: set[str] | None = None,
        written: set[str] | None = None,
        deleted: set[str] | None = None,
        dead: bool = False,
    ) -> None:
        self.bound: set[str] = bound if bound is not None else set()
        self.written: set[str] = written if written is not None else set()
        self.deleted: set[str] = deleted if deleted is not None else set()
        self.dead = dead

    def copy(self) -> _Flow:
        return _Flow(set(self.bound), set(self.written), set(self.deleted), self.dead)

    def dead_copy(self) -> _Flow:
        """The state after a jump: unreachable, but loads there still see ``bound``."""
        return _Flow(set(self.bound), set(), set(), True)

    def absorb(self, other: _Flow) -> None:
        """Join ``other`` into this state (paths meet)."""
        if other.dead:
            return
        if self.dead:
            self.bound = set(other.bound)
            self.written = set(other.written)
            self.deleted = set(other.deleted)
            self.dead = False
        else:
            self.bound &= other.bound
            self.written |= other.written
            self.deleted |= other.deleted

    def bind(self, name: str) -> None:
        self.bound.add(name)
        self.written.add(name)
        self.deleted.discard(name)

    def unbind(self, name: str) -> None:
        self.bound.discard(name)
        self.written.discard(name)
        self.deleted.add(name)


def _dead() -> _Flow:
    return _Flow(dead=True)


def _join(flows: Iterable[_Flow]) -> _Flow:
    out = _dead()
    for flow in flows:
        out.absorb(flow)
    return out


# --------------------------------------------------------------------------------- scopes

_MODULE, _CLASS, _FUNCTION, _COMP, _TYPEPARAMS = range(5)
_LOCAL, _NOW, _LATER = range(3)  # how a name resolves: local, immediate global, deferred


class _Scope:
    """One Python scope.  Function scopes know their locals up front (as the compiler
    does); module and class scopes track bindings with a :class:`_Flow` instead."""

    __slots__ = ("aliases", "deferred", "flow", "globals", "kind", "locals", "nonlocals", "parent")

    def __init__(
        self,
        kind: int,
        parent: _Scope | None,
        locals_: frozenset[str] | set[str] = _EMPTY,
        globals_: frozenset[str] | set[str] = _EMPTY,
        nonlocals: frozenset[str] | set[str] = _EMPTY,
        flow: _Flow | None = None,
    ) -> None:
        self.kind = kind
        self.parent = parent
        self.locals = locals_
        self.globals = globals_
        self.nonlocals = nonlocals
        self.flow = flow
        # Code in a deferred scope runs only when some function defined here is called.
        self.deferred: bool = kind == _FUNCTION or (parent is not None and parent.deferred)
        # Comprehension variable -> (name, scope) of the iterable it walks over.
        self.aliases: dict[str, list[tuple[str, _Scope]]] = {}


# ------------------------------------------------------------------------ the analyser

# Expression walker operations (an explicit stack: AST depth never touches the C stack).
_VISIT, _TARGET, _DELETE, _WALRUS, _ENTER, _EXIT = range(6)
_Op = tuple[int, Any, _Scope]

_DYNAMIC_BUILTINS = {
    "exec": "exec",
    "eval": "eval",
    "globals": "globals()",
    "locals": "locals()",
    "vars": "vars()",
    "__import__": "__import__",
    "reload": "importlib.reload",
}
_SHELL_NAMESPACE_ATTRS = frozenset({"user_ns", "user_global_ns"})
# Shell methods that run code or edit the namespace: `get_ipython().push({...})`.
_SHELL_EXEC_METHODS = frozenset(
    [
        "ex",
        "ev",
        "push",
        "del_var",
        "drop_by_id",
        "reset",
        "run_cell",
        "run_cell_async",
        "run_code",
        "run_source",
        "safe_execfile",
        "safe_execfile_ipy",
        "safe_run_module",
    ]
)
# Magics that run Python in the user namespace: name -> getopt spec of their options
# (None: the whole line is code), and whether their writes reach the namespace.
_CODE_MAGICS: dict[str, tuple[str | None, bool]] = {
    "time": (None, True),
    "capture": ("", True),
    "prun": ("D:l:rs:T:q", True),
    "debug": ("b:", True),
    "timeit": ("n:r:tcp:qo", False),
}
# Magics that change the namespace in ways the code does not show.
_OPAQUE_MAGICS = frozenset(
    [
        "run",
        "rerun",
        "macro",
        "edit",
        "store",
        "reset",
        "reset_selective",
        "xdel",
        "pylab",
        "paste",
        "cpaste",
    ]
)
# Cell magics running other programs; `--out NAME` and friends bind NAME.
_SCRIPT_MAGICS = frozenset(
    {"script", "bash", "sh", "perl", "ruby", "python", "python2", "python3", "pypy"}
)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_LAZY_ANNOTATIONS_BY_DEFAULT = sys.version_info >= (3, 14)  # PEP 649/749


class _Analyser:
    """One pass over one cell's tree: statements recursively (their nesting is bounded
    by Python's indentation limit), expressions with an explicit stack."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.module = _Scope(_MODULE, None, flow=_Flow())
        self.reads: set[str] = set()
        self.candidates: set[str] = set()
        self.calls: set[str] = set()
        self.fn_reads: set[str] = set()
        self.fn_writes: set[str] = set()
        self.star_import = False
        self.dynamic: dict[str, None] = {}
        self.ever_written: set[str] = set()
        self.ever_deleted: set[str] = set()
        self.raised = _dead()  # module state at explicit, uncaught `raise` statements
        self.raise_count = 0  # explicit `raise` statements seen so far
        self.global_aliases: dict[str, set[str]] = {}  # module-level `y = x`, `for y in x`
        # Open `try` bodies: scope, accumulated states, len(self.handlers) on entry.
        self.exc: list[tuple[_Scope, _Flow, int]] = []
        # Open loops: scope, states at `break`, at `continue`, len(self.handlers) on entry.
        self.loops: list[tuple[_Scope, list[_Flow], list[_Flow], int]] = []
        # `except ... as name` handlers being visited: leaving one deletes the name.
        self.handlers: list[tuple[_Scope, str]] = []
        self.undo: list[list[tuple[_Scope, str]]] = []  # conditional walrus bindings
        self.lazy_annotations = _LAZY_ANNOTATIONS_BY_DEFAULT or any(
            isinstance(stmt, ast.ImportFrom)
            and stmt.module == "__future__"
            and any(alias.name == "annotations" for alias in stmt.names)
            for stmt in tree.body
        )

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
            calls=frozenset(self.calls),
            function_globals_read=frozenset(self.fn_reads),
            function_globals_written=frozenset(self.fn_writes),
            star_import=self.star_import,
            dynamic=tuple(self.dynamic),
        )

    # -- names ------------------------------------------------------------------------

    def _module_flow(self) -> _Flow:
        flow = self.module.flow
        assert flow is not None
        return flow

    def _resolve(self, name: str, scope: _Scope) -> tuple[int, _Scope]:
        """Where a load of ``name`` in ``scope`` looks, following Python's rules: class
        scopes are visible only to their own body, not to nested functions or
        comprehensions (apart from the implicit ``__class__`` cell)."""
        s = scope
        crossed = False
        while s.parent is not None:
            kind = s.kind
            if kind == _FUNCTION:
                if name in s.globals:
                    break
                if name in s.locals or name in s.nonlocals:
                    return _LOCAL, s
                crossed = True
            elif kind in (_COMP, _TYPEPARAMS):
                if name in s.locals:
                    return _LOCAL, s
                crossed = crossed or kind == _COMP
            elif s is scope:  # a class body, looking at its own namespace
                if name in s.globals:
                    break
                if name in s.nonlocals or (s.flow is not None and name in s.flow.bound):
                    return _LOCAL, s
            elif crossed and name == "__class__":
                return _LOCAL, s
            s = s.parent
        return (_LATER if scope.deferred else _NOW), self.module

    def _load(self, name: str, scope: _Scope) -> int:
        kind, _ = self._resolve(name, scope)
        if kind == _NOW:
            if name not in self._module_flow().bound:
                self.reads.add(name)
        elif kind == _LATER:
            self.fn_reads.add(name)
        return kind

    def _candidate(self, name: str, scope: _Scope) -> None:
        """Mark ``name`` (as seen from ``scope``) as possibly mutated, following
        comprehension variables back to the iterables they walk over."""
        work = [(name, scope)]
        seen: set[tuple[str, int]] = set()
        while work:
            current, where = work.pop()
            key = (current, id(where))
            if key in seen:
                continue
            seen.add(key)
            kind, owner = self._resolve(current, where)
            if kind == _NOW:
                self.candidates.add(current)
            elif kind == _LOCAL and owner.kind == _COMP:
                work.extend(owner.aliases.get(current, ()))

    def _bind(self, name: str, scope: _Scope, walrus: bool = False) -> None:
        if walrus:  # PEP 572: the target belongs to the enclosing non-comprehension scope
            while scope.kind == _COMP and scope.parent is not None:
                scope = scope.parent
        kind = scope.kind
        if kind == _MODULE:
            self._flow_bind(scope, name)
        elif kind == _CLASS:
            if name in scope.globals:
                self._global_effect(name, scope, bind=True)
            elif name not in scope.nonlocals:
                self._flow_bind(scope, name)
        elif kind == _FUNCTION and name in scope.globals:
            self.fn_writes.add(name)

    def _unbind(self, name: str, scope: _Scope) -> None:
        kind = scope.kind
        if kind == _MODULE:
            self._flow_unbind(scope, name)
        elif kind == _CLASS:
            if name in scope.globals:
                self._global_effect(name, scope, bind=False)
            elif name not in scope.nonlocals and scope.flow is not None:
                scope.flow.bound.discard(name)
        elif kind == _FUNCTION and name in scope.globals:
            self.fn_writes.add(name)

    def _global_effect(self, name: str, scope: _Scope, bind: bool) -> None:
        if scope.deferred:
            self.fn_writes.add(name)
        elif bind:
            self._flow_bind(self.module, name)
        else:
            self._flow_unbind(self.module, name)

    def _flow_bind(self, scope: _Scope, name: str) -> None:
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

    def _flow_unbind(self, scope: _Scope, name: str) -> None:
        flow = scope.flow
        if flow is not None:
            flow.unbind(name)
            if scope is self.module:
                self.ever_deleted.add(name)

    def _dyn(self, reason: str) -> None:
        self.dynamic[reason] = None

    # -- statements -------------------------------------------------------------------

    def _stmts(self, body: Sequence[ast.stmt], scope: _Scope) -> None:
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

    def _generic_stmt(self, node: ast.stmt, scope: _Scope) -> None:
        """Statements this module does not know yet: visit what they contain."""
        for value in ast.iter_child_nodes(node):
            if isinstance(value, ast.expr):
                self._expr(value, scope)
            elif isinstance(value, ast.stmt):
                self._stmts([value], scope)

    def _s_expr(self, node: ast.Expr, scope: _Scope) -> None:
        self._expr(node.value, scope)

    def _s_pass(self, node: ast.stmt, scope: _Scope) -> None:
        return None  # pass, global, nonlocal: scopes were computed up front

    def _s_assign(self, node: ast.Assign, scope: _Scope) -> None:
        self._expr(node.value, scope)
        for target in node.targets:
            self._target(target, scope)
        if scope.kind == _MODULE:
            self._alias_edges(node.targets, node.value)

    def _s_augassign(self, node: ast.AugAssign, scope: _Scope) -> None:
        target = node.target
        if isinstance(target, ast.Name):
            self._load(target.id, scope)
        else:
            self._expr(target, scope)  # `x.a += 1` reads x (and x.a) first
        base = _base_name(target)
        if base is not None:
            self._candidate(base, scope)  # `x += [1]` may extend x in place
        self._expr(node.value, scope)
        if isinstance(target, ast.Name):
            self._bind(target.id, scope)

    def _s_annassign(self, node: ast.AnnAssign, scope: _Scope) -> None:
        if node.value is not None:
            self._expr(node.value, scope)
        if scope.kind != _FUNCTION:  # annotations of locals are never evaluated
            self._annotation(node.annotation, scope)
        if node.value is not None:
            self._target(node.target, scope)
            if scope.kind == _MODULE:
                self._alias_edges([node.target], node.value)
        elif not isinstance(node.target, ast.Name):
            self._expr(node.target, scope)  # `a.b: int` evaluates `a`, binds nothing

    def _s_for(self, node: ast.For | ast.AsyncFor, scope: _Scope) -> None:
        self._expr(node.iter, scope)
        if scope.kind == _MODULE:
            self._alias_edges([node.target], node.iter)
        entry = scope.flow
        if entry is None:
            self._target(node.target, scope)
            self._stmts(node.body, scope)
            self._stmts(node.orelse, scope)
            return
        head = entry.copy()
        head.bound -= _deleted_names(node.body)  # what a later iteration may have deleted
        scope.flow = head
        self._target(node.target, scope)
        breaks: list[_Flow] = []
        continues: list[_Flow] = []
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

    def _s_while(self, node: ast.While, scope: _Scope) -> None:
        entry = scope.flow
        if entry is None:
            self._expr(node.test, scope)
            self._stmts(node.body, scope)
            self._stmts(node.orelse, scope)
            return
        head = entry.copy()
        head.bound -= _deleted_names(node.body)
        scope.flow = head
        self._expr(node.test, scope)
        after_test = scope.flow
        scope.flow = after_test.copy()
        breaks: list[_Flow] = []
        continues: list[_Flow] = []
        self.loops.append((scope, breaks, continues, len(self.handlers)))
        self._stmts(node.body, scope)
        self.loops.pop()
        if _always_true(node.test):  # `while True:` ends only through `break`
            exit_ = _dead()
        else:
            exit_ = after_test
            exit_.absorb(scope.flow)
            for flow in continues:
                exit_.absorb(flow)
        scope.flow = exit_
        self._stmts(node.orelse, scope)
        for flow in breaks:
            scope.flow.absorb(flow)

    def _s_if(self, node: ast.If, scope: _Scope) -> None:
        ends: list[_Flow] = []
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
                scope.flow = _join(ends)
            return

    def _s_with(self, node: ast.With | ast.AsyncWith, scope: _Scope) -> None:
        suppresses = False
        for item in node.items:
            context = item.context_expr
            self._expr(context, scope)
            base = _base_name(context)
            if base is not None:
                self._candidate(base, scope)  # `__enter__`/`__exit__` may change it
            suppresses = suppresses or _is_suppress(context)
            if item.optional_vars is not None:
                self._target(item.optional_vars, scope)
                if scope.kind == _MODULE:
                    self._alias_edges([item.optional_vars], context)
        if not suppresses or scope.flow is None:
            self._stmts(node.body, scope)
            return
        caught = _dead()
        self.exc.append((scope, caught, len(self.handlers)))
        self._stmts(node.body, scope)
        self._pop_exc(scope)
        caught.absorb(scope.flow)
        scope.flow = caught

    def _s_try(self, node: Any, scope: _Scope) -> None:  # ast.Try and ast.TryStar
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
        caught = _dead()  # every state in which the body may raise
        self.exc.append((scope, caught, len(self.handlers)))
        self._stmts(node.body, scope)
        self._pop_exc(scope)
        escaped = _dead()  # states in which an exception heads for `finally`
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
        normal = _join(ends)
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
        deleted = _deleted_names(node.finalbody)
        if loop is not None:  # `break`/`continue` inside also run `finally` on their way
            bound_here = after.bound - entry.bound
            written_here = _scope_bindings(node.finalbody)[0]
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

    def _leaving(self, scope: _Scope, depth: int) -> _Flow:
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

    def _pop_exc(self, scope: _Scope) -> None:
        """Close a ``try`` region: what it may not handle, an enclosing ``try`` in the
        same scope may (conservatively, all of it)."""
        _, caught, _ = self.exc.pop()
        if self.exc and self.exc[-1][0] is scope:
            self.exc[-1][1].absorb(caught)

    def _s_raise(self, node: ast.Raise, scope: _Scope) -> None:
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

    def _s_return(self, node: ast.Return, scope: _Scope) -> None:
        if node.value is not None:
            self._expr(node.value, scope)
        if scope.flow is not None:
            scope.flow = scope.flow.dead_copy()

    def _s_jump(self, node: ast.Break | ast.Continue, scope: _Scope) -> None:
        if scope.flow is None:
            return
        if self.loops and self.loops[-1][0] is scope:
            _, breaks, continues, depth = self.loops[-1]
            jumps = breaks if isinstance(node, ast.Break) else continues
            jumps.append(self._leaving(scope, depth))
        scope.flow = scope.flow.dead_copy()

    def _s_delete(self, node: ast.Delete, scope: _Scope) -> None:
        self._run([(_DELETE, target, scope) for target in reversed(node.targets)])

    def _s_assert(self, node: ast.Assert, scope: _Scope) -> None:
        ops: list[_Op] = [(_VISIT, node.test, scope)]
        if node.msg is not None:
            ops += [(_ENTER, None, scope), (_VISIT, node.msg, scope), (_EXIT, None, scope)]
        self._run(ops[::-1])

    def _s_import(self, node: ast.Import, scope: _Scope) -> None:
        for alias in node.names:  # `import a.b` binds `a`
            self._bind(alias.asname or alias.name.partition(".")[0], scope)

    def _s_importfrom(self, node: ast.ImportFrom, scope: _Scope) -> None:
        for alias in node.names:
            if alias.name == "*":
                if scope.kind == _MODULE:
                    self.star_import = True
            else:
                self._bind(alias.asname or alias.name, scope)

    def _s_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope) -> None:
        self._decorators(node.decorator_list, scope)
        args = node.args
        for default in (*args.defaults, *args.kw_defaults):
            if default is not None:
                self._expr(default, scope)
        outer = self._type_params(node, scope)
        for annotation in _annotations(args, node.returns):
            self._annotation(annotation, outer)
        self._bind(node.name, scope)
        bound, globals_, nonlocals = _scope_bindings(node.body)
        bound |= _param_names(args)
        function = _Scope(_FUNCTION, outer, bound - globals_ - nonlocals, globals_, nonlocals)
        self._stmts(node.body, function)

    def _s_class(self, node: ast.ClassDef, scope: _Scope) -> None:
        self._decorators(node.decorator_list, scope)
        outer = self._type_params(node, scope)
        for base in node.bases:
            self._expr(base, outer)
        for keyword in node.keywords:
            self._expr(keyword.value, outer)
        _, globals_, nonlocals = _scope_bindings(node.body)
        body = _Scope(_CLASS, outer, _EMPTY, globals_, nonlocals, flow=_Flow())
        self._stmts(node.body, body)
        self._bind(node.name, scope)

    def _s_type_alias(self, node: Any, scope: _Scope) -> None:  # 3.12 `type X = ...`
        outer = self._type_params(node, scope)
        self._bind(node.name.id, scope)
        self._expr(node.value, _Scope(_FUNCTION, outer))  # evaluated lazily

    def _s_match(self, node: ast.Match, scope: _Scope) -> None:
        self._expr(node.subject, scope)
        entry = scope.flow
        ends: list[_Flow] = []
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
            if case.guard is None and _irrefutable(case.pattern):
                exhaustive = True
        if entry is not None:
            if not exhaustive:
                ends.append(entry)
            scope.flow = _join(ends)

    def _pattern(self, pattern: ast.pattern, scope: _Scope) -> None:
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

    def _decorators(self, decorators: list[ast.expr], scope: _Scope) -> None:
        for decorator in decorators:
            if isinstance(decorator, ast.Name):  # `@f` calls f
                if self._load(decorator.id, scope) == _NOW:
                    self.calls.add(decorator.id)
            else:
                self._expr(decorator, scope)

    def _annotation(self, annotation: ast.expr, scope: _Scope) -> None:
        if self.lazy_annotations:
            self._expr(annotation, _Scope(_FUNCTION, scope))
        else:
            self._expr(annotation, scope)

    def _type_params(self, node: Any, scope: _Scope) -> _Scope:
        """PEP 695 annotation scope for ``def f[T]``/``class C[T]``/``type X[T]``."""
        params = getattr(node, "type_params", None)
        if not params:
            return scope
        inner = _Scope(_TYPEPARAMS, scope, frozenset(p.name for p in params))
        later = _Scope(_FUNCTION, inner)  # bounds and defaults are evaluated lazily
        for param in params:
            for field in ("bound", "default_value"):
                value = getattr(param, field, None)
                if value is not None:
                    self._expr(value, later)
        return inner

    def _alias_edges(self, targets: Iterable[ast.expr], value: ast.expr) -> None:
        """Module-level ``y = x`` / ``for y in x`` / ``with x as y``: mutating y may
        mutate x."""
        base = _base_name(value)
        if base is None:
            return
        for name in _target_names(targets):
            if name != base:
                self.global_aliases.setdefault(name, set()).add(base)

    # -- expressions ------------------------------------------------------------------

    def _expr(self, node: ast.expr, scope: _Scope) -> None:
        self._run([(_VISIT, node, scope)])

    def _target(self, node: ast.expr, scope: _Scope) -> None:
        self._run([(_TARGET, node, scope)])

    def _run(self, stack: list[_Op]) -> None:
        """Walk expressions with an explicit stack (operations in reverse order), so that
        ``1+1+...+1`` or ``a.b.c...`` of any depth costs no recursion."""
        push = stack.append
        while stack:
            op, node, scope = stack.pop()
            if op == _VISIT:
                kind = type(node)
                if kind is ast.Name:
                    self._load(node.id, scope)
                elif kind is ast.Constant:
                    continue
                elif kind is ast.Attribute:
                    if node.attr in _SHELL_NAMESPACE_ATTRS:
                        self._dyn("get_ipython().user_ns")
                    push((_VISIT, node.value, scope))
                elif kind is ast.Call:
                    self._x_call(node, scope, stack)
                else:
                    _EXPR_HANDLERS.get(kind, _Analyser._x_children)(self, node, scope, stack)
            elif op in (_TARGET, _DELETE):
                self._store(op, node, scope, stack)
            elif op == _WALRUS:
                self._bind(node.target.id, scope, walrus=True)
                owner = scope
                while owner.kind == _COMP and owner.parent is not None:
                    owner = owner.parent
                base = _base_name(node.value)
                if (
                    owner.kind == _MODULE
                    and base is not None
                    and base != node.target.id
                    and self._resolve(base, scope)[0] == _NOW
                ):
                    self.global_aliases.setdefault(node.target.id, set()).add(base)
            elif op == _ENTER:
                self.undo.append([])
            else:  # _EXIT: forget bindings made only on some paths through the region
                for owner, name in self.undo.pop():
                    if owner.flow is not None:
                        owner.flow.bound.discard(name)

    def _store(self, op: int, node: ast.expr, scope: _Scope, stack: list[_Op]) -> None:
        if isinstance(node, ast.Name):
            if op == _TARGET:
                self._bind(node.id, scope)
            else:
                self._unbind(node.id, scope)
        elif isinstance(node, ast.Tuple | ast.List):
            for element in reversed(node.elts):
                stack.append((op, element, scope))
        elif isinstance(node, ast.Starred):
            stack.append((op, node.value, scope))
        elif isinstance(node, ast.Attribute | ast.Subscript):
            base = _base_name(node)
            if base is not None:
                self._candidate(base, scope)
            if isinstance(node, ast.Attribute):
                if _is_main_module(node.value):
                    self._dyn("setattr on module")
            else:
                stack.append((_VISIT, node.slice, scope))
            stack.append((_VISIT, node.value, scope))
        else:
            stack.append((_VISIT, node, scope))

    def _x_call(self, node: ast.Call, scope: _Scope, stack: list[_Op]) -> None:
        func = node.func
        ops: list[_Op] = []
        if isinstance(func, ast.Name):
            if self._load(func.id, scope) == _NOW:
                self.calls.add(func.id)
            self._dynamic_builtin(func.id, node, scope)
        else:
            if isinstance(func, ast.Attribute):
                base = _base_name(func.value)
                if base is not None:
                    self._candidate(base, scope)  # `x.append(1)`, `x.a.b()`
                self._dynamic_method(func, node, scope)
            ops.append((_VISIT, func, scope))
        for arg in node.args:
            for name in _argument_bases(arg):
                self._candidate(name, scope)
            ops.append((_VISIT, arg, scope))
        for keyword in node.keywords:
            for name in _argument_bases(keyword.value):
                self._candidate(name, scope)
            ops.append((_VISIT, keyword.value, scope))
        stack.extend(reversed(ops))

    def _dynamic_builtin(self, name: str, node: ast.Call, scope: _Scope) -> None:
        reason = _DYNAMIC_BUILTINS.get(name)
        if reason is None:
            if name in ("setattr", "delattr") and node.args and _is_main_module(node.args[0]):
                self._dyn("setattr on module")
            return
        if name == "vars" and (node.args or node.keywords):
            return  # vars(obj) is obj.__dict__, not the namespace
        if name in ("locals", "vars"):
            while scope.kind in (_COMP, _TYPEPARAMS) and scope.parent is not None:
                scope = scope.parent
            if scope.kind != _MODULE:
                return  # a function's or class body's own locals
        self._dyn(reason)

    def _dynamic_method(self, func: ast.Attribute, node: ast.Call, scope: _Scope) -> None:
        attr = func.attr
        receiver = func.value
        if attr in ("run_line_magic", "run_cell_magic", "magic"):
            self._magic(attr, node, scope)
        elif isinstance(receiver, ast.Name):
            if receiver.id in ("builtins", "__builtins__") and attr in _DYNAMIC_BUILTINS:
                self._dynamic_builtin(attr, node, scope)
            elif receiver.id == "importlib" and attr == "reload":
                self._dyn("importlib.reload")
        elif attr in _SHELL_EXEC_METHODS and _is_get_ipython(receiver):
            self._dyn(f"get_ipython().{attr}")

    def _magic(self, method: str, node: ast.Call, scope: _Scope) -> None:
        """``get_ipython().run_line_magic(name, line)`` / ``run_cell_magic(name, line,
        cell)``: note magics that touch the namespace behind the code's back, and merge
        the analysis of the Python they run where it is a literal."""
        texts = [
            a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
            for a in node.args
        ]
        cell: str | None = None
        if method == "magic":  # legacy `get_ipython().magic('time x = 1')`
            if not texts or texts[0] is None:
                return
            name, _, line = texts[0].lstrip("%").partition(" ")
            is_cell = False
            line_or_none: str | None = line
        else:
            if not texts or texts[0] is None:
                self._dyn(f"{method} with a computed magic name")
                return
            name = texts[0]
            line_or_none = texts[1] if len(texts) > 1 else ""
            is_cell = method == "run_cell_magic"
            if is_cell:
                cell = texts[2] if len(texts) > 2 else None
        prefix = "%%" if is_cell else "%"
        if name in _CODE_MAGICS:
            self._dyn(prefix + name)
            spec, writes = _CODE_MAGICS[name]
            line_code = None if line_or_none is None else _strip_options(line_or_none, spec)
            if name == "capture" and line_or_none:
                outputs = [t for t in line_or_none.split() if not t.startswith("-")]
                if outputs and outputs[-1].isidentifier():
                    self._magic_binds(outputs[-1], scope)
            code = cell if is_cell else line_code
            if is_cell and name == "timeit" and code is not None and line_code:
                code = f"{line_code}\n{code}"  # the setup statement runs first, same scope
            if code:
                self._merge(_analyse_cached(code), scope, writes)
        elif name in _OPAQUE_MAGICS:
            self._dyn(prefix + name)
            if name == "pylab" and "--no-import-all" not in (line_or_none or ""):
                self.star_import = self.star_import or not scope.deferred
        elif is_cell and name in _SCRIPT_MAGICS and line_or_none:
            words = line_or_none.split()
            for i, word in enumerate(words[:-1]):
                if word in ("--out", "--err", "--proc") and words[i + 1].isidentifier():
                    self._magic_binds(words[i + 1], scope)

    def _magic_binds(self, name: str, scope: _Scope) -> None:
        if scope.deferred:
            self.fn_writes.add(name)
        else:
            self._flow_bind(self.module, name)

    def _merge(self, sub: CellNames, scope: _Scope, writes: bool) -> None:
        """Fold the analysis of code a magic runs (in the user namespace) into this cell,
        as if that code stood at the point of the call."""
        if sub.syntax_error is not None:
            return
        later = scope.deferred
        bound = self._module_flow().bound
        for name in sub.reads:
            if later:
                self.fn_reads.add(name)
            elif name not in bound:
                self.reads.add(name)
        self.fn_reads |= sub.function_globals_read
        self.fn_writes |= sub.function_globals_written
        if not later:
            self.calls |= sub.calls
            self.candidates |= sub.mutation_candidates
        for reason in sub.dynamic:
            self._dyn(reason)
        if not writes:
            return
        for name in sub.writes:
            self._magic_binds(name, scope)
        for name in sub.deletes:
            if later:
                self.fn_writes.add(name)
            else:
                self._flow_unbind(self.module, name)
        if sub.star_import and not later:
            self.star_import = True

    # Expression handlers: push children as (_VISIT, ...) in *reverse* evaluation order.

    def _x_children(self, node: Any, scope: _Scope, stack: list[_Op]) -> None:
        fields = _CHILD_FIELDS.get(type(node))
        if fields is None:  # rare or newer node types
            children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
        else:
            children = []
            for field in fields:
                value = getattr(node, field)
                if isinstance(value, list):
                    children += value
                elif value is not None:
                    children.append(value)
        for child in reversed(children):
            stack.append((_VISIT, child, scope))

    def _x_boolop(self, node: ast.BoolOp, scope: _Scope, stack: list[_Op]) -> None:
        first, *rest = node.values
        stack.append((_EXIT, None, scope))  # later operands may not be evaluated
        for value in reversed(rest):
            stack.append((_VISIT, value, scope))
        stack.append((_ENTER, None, scope))
        stack.append((_VISIT, first, scope))

    def _x_compare(self, node: ast.Compare, scope: _Scope, stack: list[_Op]) -> None:
        first, *rest = node.comparators
        if rest:  # `a < b < c` short-circuits
            stack.append((_EXIT, None, scope))
            for value in reversed(rest):
                stack.append((_VISIT, value, scope))
            stack.append((_ENTER, None, scope))
        stack.append((_VISIT, first, scope))
        stack.append((_VISIT, node.left, scope))

    def _x_conditional(self, node: ast.IfExp, scope: _Scope, stack: list[_Op]) -> None:
        for branch in (node.orelse, node.body):
            stack.append((_EXIT, None, scope))
            stack.append((_VISIT, branch, scope))
            stack.append((_ENTER, None, scope))
        stack.append((_VISIT, node.test, scope))

    def _x_dict(self, node: ast.Dict, scope: _Scope, stack: list[_Op]) -> None:
        for key, value in zip(reversed(node.keys), reversed(node.values), strict=True):
            stack.append((_VISIT, value, scope))
            if key is not None:
                stack.append((_VISIT, key, scope))

    def _x_named(self, node: ast.NamedExpr, scope: _Scope, stack: list[_Op]) -> None:
        stack.append((_WALRUS, node, scope))
        stack.append((_VISIT, node.value, scope))

    def _x_lambda(self, node: ast.Lambda, scope: _Scope, stack: list[_Op]) -> None:
        args = node.args
        bound, _, _ = _scope_bindings([node.body])
        body = _Scope(_FUNCTION, scope, bound | _param_names(args))
        stack.append((_VISIT, node.body, body))
        for default in reversed([*args.defaults, *args.kw_defaults]):
            if default is not None:
                stack.append((_VISIT, default, scope))

    def _x_comprehension(self, node: Any, scope: _Scope, stack: list[_Op]) -> None:
        generators: list[ast.comprehension] = node.generators
        local = _Scope(_COMP, scope, frozenset(_target_names(g.target for g in generators)))
        ops: list[_Op] = [(_VISIT, generators[0].iter, scope), (_ENTER, None, scope)]
        for i, generator in enumerate(generators):
            outer = scope if i == 0 else local  # the first iterable is evaluated outside
            if i:
                ops.append((_VISIT, generator.iter, local))
            ops.append((_TARGET, generator.target, local))
            ops.extend((_VISIT, condition, local) for condition in generator.ifs)
            base = _base_name(generator.iter)
            if base is not None:
                for name in _target_names([generator.target]):
                    local.aliases.setdefault(name, []).append((base, outer))
        if isinstance(node, ast.DictComp):
            ops += [(_VISIT, node.key, local), (_VISIT, node.value, local)]
        else:
            ops.append((_VISIT, node.elt, local))
        ops.append((_EXIT, None, scope))
        stack.extend(reversed(ops))


_STMT_HANDLERS: dict[type, Callable[[_Analyser, Any, _Scope], None]] = {
    ast.Expr: _Analyser._s_expr,
    ast.Assign: _Analyser._s_assign,
    ast.AugAssign: _Analyser._s_augassign,
    ast.AnnAssign: _Analyser._s_annassign,
    ast.For: _Analyser._s_for,
    ast.AsyncFor: _Analyser._s_for,
    ast.While: _Analyser._s_while,
    ast.If: _Analyser._s_if,
    ast.With: _Analyser._s_with,
    ast.AsyncWith: _Analyser._s_with,
    ast.Try: _Analyser._s_try,
    ast.Raise: _Analyser._s_raise,
    ast.Return: _Analyser._s_return,
    ast.Break: _Analyser._s_jump,
    ast.Continue: _Analyser._s_jump,
    ast.Delete: _Analyser._s_delete,
    ast.Assert: _Analyser._s_assert,
    ast.Import: _Analyser._s_import,
    ast.ImportFrom: _Analyser._s_importfrom,
    ast.FunctionDef: _Analyser._s_function,
    ast.AsyncFunctionDef: _Analyser._s_function,
    ast.ClassDef: _Analyser._s_class,
    ast.Match: _Analyser._s_match,
    ast.Pass: _Analyser._s_pass,
    ast.Global: _Analyser._s_pass,
    ast.Nonlocal: _Analyser._s_pass,
}
_STMT_HANDLERS.update(  # syntax newer than the oldest supported Python (3.11, 3.12)
    (getattr(ast, name), handler)
    for name, handler in (("TryStar", _Analyser._s_try), ("TypeAlias", _Analyser._s_type_alias))
    if hasattr(ast, name)
)

# Sub-expressions in evaluation order, for the node types that need nothing special.
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    ast.BinOp: ("left", "right"),
    ast.UnaryOp: ("operand",),
    ast.Subscript: ("value", "slice"),
    ast.Starred: ("value",),
    ast.Tuple: ("elts",),
    ast.List: ("elts",),
    ast.Set: ("elts",),
    ast.Slice: ("lower", "upper", "step"),
    ast.JoinedStr: ("values",),
    ast.FormattedValue: ("value", "format_spec"),
    ast.Await: ("value",),
    ast.Yield: ("value",),
    ast.YieldFrom: ("value",),
}

_EXPR_HANDLERS: dict[type, Callable[[_Analyser, Any, _Scope, list[_Op]], None]] = {
    ast.BoolOp: _Analyser._x_boolop,
    ast.Compare: _Analyser._x_compare,
    ast.IfExp: _Analyser._x_conditional,
    ast.Dict: _Analyser._x_dict,
    ast.NamedExpr: _Analyser._x_named,
    ast.Lambda: _Analyser._x_lambda,
    ast.ListComp: _Analyser._x_comprehension,
    ast.SetComp: _Analyser._x_comprehension,
    ast.GeneratorExp: _Analyser._x_comprehension,
    ast.DictComp: _Analyser._x_comprehension,
}


# ---------------------------------------------------------------------- small helpers


def _base_name(node: ast.expr) -> str | None:
    """The variable at the root of ``x``, ``x.a.b``, ``x[0].c`` or ``(y := x).a``; None
    for ``f().a``."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.NamedExpr):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _argument_bases(node: ast.expr) -> list[str]:
    """Variables whose objects an argument hands to the callee: ``x``, ``x.a``,
    ``x[0]``, ``*xs``, and those inside ``[a, b]``, ``a or b``, ``a if c else b``."""
    out: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Name | ast.Attribute | ast.Subscript):
            base = _base_name(item)
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


def _target_names(targets: Iterable[ast.expr]) -> list[str]:
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


def _param_names(args: ast.arguments) -> set[str]:
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    for extra in (args.vararg, args.kwarg):
        if extra is not None:
            names.add(extra.arg)
    return names


def _annotations(args: ast.arguments, returns: ast.expr | None) -> list[ast.expr]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    out = [a.annotation for a in every if a.annotation is not None]
    if returns is not None:
        out.append(returns)
    return out


def _scope_bindings(body: Sequence[ast.AST]) -> tuple[set[str], set[str], set[str]]:
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


def _deleted_names(body: Sequence[ast.stmt]) -> set[str]:
    """Names a block may delete in its own scope (``del x``, ``except ... as x``)."""
    out: set[str] = set()
    stack: list[Any] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Delete):
            out.update(_target_names(node.targets))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        else:
            if isinstance(node, ast.ExceptHandler) and node.name:
                out.add(node.name)
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                stack.extend(getattr(node, field, ()))
    return out


def _irrefutable(pattern: ast.pattern) -> bool:
    if isinstance(pattern, ast.MatchAs):
        return pattern.pattern is None or _irrefutable(pattern.pattern)
    if isinstance(pattern, ast.MatchOr):
        return any(_irrefutable(p) for p in pattern.patterns)
    return False


def _always_true(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and bool(test.value)


def _is_suppress(node: ast.expr) -> bool:
    """``contextlib.suppress(...)``: the ``with`` body may stop at any statement."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name == "suppress"


def _is_get_ipython(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "get_ipython"
    )


def _is_main_module(node: ast.expr) -> bool:
    """Expressions that denote the user's namespace as a module object:
    ``__main__``, ``sys.modules['__main__']``, ``sys.modules[__name__]``,
    ``get_ipython().user_module``."""
    if isinstance(node, ast.Name):
        return node.id == "__main__"
    if isinstance(node, ast.Attribute):
        return node.attr == "user_module"
    if isinstance(node, ast.Subscript):
        value, key = node.value, node.slice
        is_modules = (
            isinstance(value, ast.Attribute)
            and value.attr == "modules"
            and isinstance(value.value, ast.Name)
            and value.value.id == "sys"
        )
        is_main = (isinstance(key, ast.Constant) and key.value == "__main__") or (
            isinstance(key, ast.Name) and key.id == "__name__"
        )
        return is_modules and is_main
    return False


def _strip_options(line: str, spec: str | None) -> str | None:
    """The statement after a magic's options (``-n 3 f(x)`` -> ``f(x)``); None when the
    options do not parse.  ``spec`` is a getopt spec; None means the line has none."""
    if spec is None:
        return line
    try:
        _, rest = getopt.getopt(line.split(), spec, ["breakpoint="])
    except getopt.GetoptError:
        return None
    return " ".join(rest)
