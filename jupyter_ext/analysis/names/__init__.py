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

How the code is laid out
------------------------
:mod:`.result` holds :class:`CellNames`.  The analyser is one class built in layers, each
using only the ones below it: :mod:`.state` (what the walk has learnt, and how a load,
binding or deletion is recorded), :mod:`.magics` and :mod:`.dynamic` (calls that run code
or touch the namespace behind the code's back), :mod:`.expressions`, :mod:`.statements`
(straight-line statements and definitions), :mod:`.control_flow` (branches, loops,
``try``, jumps) and :mod:`.visitor` (the statement dispatch and the final answer).
:mod:`.flow` and :mod:`.scope` model definite bindings and Python's scopes;
:mod:`.helpers` and :mod:`.parsing` are small pure utilities.
"""

from __future__ import annotations

from functools import lru_cache

from .parsing import parse_quietly
from .result import CellNames
from .visitor import Analyser as _Analyser  # private: the API is CellNames and analyse

__all__ = ["CellNames", "analyse"]


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
        tree = parse_quietly(code)
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
        return _Analyser(tree, _analyse_cached).run()
    except Exception as exc:  # never let a bug here reach the user's kernel
        return CellNames(dynamic=(f"analysis failed ({type(exc).__name__})",))
