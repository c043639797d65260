"""The answer the analysis gives about one cell: an immutable :class:`CellNames`.

It stands apart from the analyser because everything needs it -- the public API, the
recorder and rules that consume it, and the analyser itself, which folds in the analysis
of code run by magics -- while nothing in it needs the analyser.
"""

from __future__ import annotations

from dataclasses import dataclass

EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class CellNames:
    """What one cell does to the global namespace, as far as its code shows.

    Every set holds plain names (``"df"``, never ``"df.x"``).  Builtins and IPython's own
    names are included when the code uses them; the caller filters by namespace.
    """

    reads: frozenset[str] = EMPTY
    """Global names whose value may come from before this cell: loaded (immediately) while
    not definitely bound earlier in the cell."""
    writes: frozenset[str] = EMPTY
    """Global names the cell may leave bound: assignments, imports, ``def``/``class``,
    loop and ``with`` targets, match captures, walrus targets that land in module scope."""
    deletes: frozenset[str] = EMPTY
    """Global names the cell may leave unbound (``del x``, ``except ... as x``)."""
    mutation_candidates: frozenset[str] = EMPTY
    """Global names whose object the cell may change without rebinding: call receivers
    and arguments, bases of attribute/subscript stores and deletes, augmented-assignment
    targets, ``with`` context managers, and names the AST shows aliasing those.  The
    callee ``f`` of ``f(x)`` is in ``calls``, not here."""
    visibly_mutated: frozenset[str] = EMPTY
    """Global names the code itself shows changed in place while the cell runs: stores
    into them (``x[i] = ...``, ``x.a = ...``, ``del x[i]``, ``x[i] += ...``), mutating
    methods of the builtin containers, ``inplace=True`` and numpy's ``out=``.  Evidence
    for the static checker, which has no digests; a subset of ``mutation_candidates``
    as far as the code shows (aliases are not followed)."""
    calls: frozenset[str] = EMPTY
    """Global names called directly (``f(...)``, ``@f``) while the cell runs."""
    function_globals_read: frozenset[str] = EMPTY
    """Global names loaded by code that runs later: bodies of functions and lambdas
    defined here, lazily evaluated annotations and type-alias values."""
    function_globals_written: frozenset[str] = EMPTY
    """Names declared ``global`` and bound (or deleted) inside functions defined here."""
    star_import: bool = False
    """``from m import *`` ran at module level: the cell's bindings are not known."""
    dynamic: tuple[str, ...] = ()
    """Why the static view may be incomplete (``"exec"``, ``"globals()"``, ``"%run"``, ...),
    in order of first appearance."""
    syntax_error: str | None = None
    """Set when the code does not parse (or is too deep or complex for the parser, which
    then fails the same way when IPython compiles it); every other field is empty."""
