"""``undefined_in_order``: would Restart & Run All reach a name before any cell defines it?

Judged on the *current* sources in document order, independently of what ran: walk the
code cells top to bottom, collect the names each may define (its ``writes`` and the
globals its functions declare and bind), and report, per cell, the names it reads that
nothing above defines and that Python or IPython do not provide.

Static analysis cannot see every binding.  A cell that does not parse, uses a star import
or does something that binds names behind the code's back (``exec``, ``globals()[...]``,
``%run``, ...) makes itself and every cell below it *unjudgeable*: no finding, and a
reason the panel can show (DESIGN: "say so, don't guess").  Dynamic constructs that
cannot bind names (``__import__``, ``importlib.reload``, ``%xdel``) or whose code the
analysis already merged (``%time``, ``%%capture``, ...) do not block judging; ``eval``
does (a walrus inside it binds a global).

The cost is O(cells) set operations per evaluation; analyses come from a cache keyed by
source text that the caller keeps, so an edit re-analyses only the edited cell.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import wording
from .names import CellNames

__all__ = [
    "DEFAULT_KNOWN_GLOBALS",
    "NON_BINDING_DYNAMIC",
    "OrderJudge",
    "OrderVerdict",
    "ipython_generated",
    "undefined_in_order",
]

_IPYTHON_NAMES = (
    frozenset({"get_ipython", "display", "In", "Out", "exit", "quit", "__IPYTHON__"})
    | frozenset({"_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh", "_dh"})
    | frozenset({"__name__", "__doc__", "__package__", "__loader__", "__spec__"})
    | frozenset({"__builtins__", "__builtin__", "__session__"})
)
DEFAULT_KNOWN_GLOBALS: frozenset[str] = frozenset(dir(builtins)) | _IPYTHON_NAMES
"""Names that exist in a fresh IPython kernel without any cell defining them: builtins
(including those IPython adds) and the namespace entries IPython creates."""

_IPYTHON_GENERATED = re.compile(r"_i?\d+|_exit_code")


def ipython_generated(name: str) -> bool:
    """IPython's numbered history names: ``_5`` (Out[5]), ``_i5`` (In[5]), and
    ``_exit_code`` (set by ``!cmd``)."""
    return _IPYTHON_GENERATED.fullmatch(name) is not None


NON_BINDING_DYNAMIC = frozenset(
    {
        "__import__",
        "importlib.reload",
        "%time",
        "%%time",
        "%capture",
        "%%capture",
        "%prun",
        "%%prun",
        "%debug",
        "%%debug",
        "%timeit",
        "%%timeit",
        # these only unbind names; a missing definition is then not our false alarm
        "%reset",
        "%reset_selective",
        "%xdel",
        "get_ipython().del_var",
        "get_ipython().drop_by_id",
        "get_ipython().reset",
    }
)
"""Reasons in ``CellNames.dynamic`` that cannot bind names the analysis did not see.
Any other reason, including ones a future analysis adds, blocks judging."""


@dataclass(frozen=True, slots=True)
class OrderVerdict:
    undefined: dict[str, tuple[str, ...]]
    """Cell id -> names it reads that no cell above defines (sorted)."""
    unjudgeable: dict[str, str]
    """Cell id -> why the rule cannot judge it."""


def undefined_in_order(
    cells: Iterable[tuple[str, str]],
    analyse: Callable[[str], CellNames],
    provided: Callable[[str], bool],
) -> OrderVerdict:
    """``cells``: (id, current source) of the code cells, in document order.
    ``provided``: whether a name exists without any cell defining it (builtins,
    IPython's names)."""
    undefined: dict[str, tuple[str, ...]] = {}
    unjudgeable: dict[str, str] = {}
    defined: set[str] = set()
    blocked: str | None = None
    for cell_id, source in cells:
        if blocked is not None:
            unjudgeable[cell_id] = wording.unjudgeable_above(blocked)
            continue
        names = analyse(source)
        reason = blocking_reason(names)
        if reason is not None:
            unjudgeable[cell_id] = wording.unjudgeable_self(reason)
            blocked = reason
            continue
        missing = [n for n in names.reads if n not in defined and not provided(n)]
        if missing:
            undefined[cell_id] = tuple(sorted(missing))
        defined |= names.writes
        defined |= names.function_globals_written
    return OrderVerdict(undefined=undefined, unjudgeable=unjudgeable)


def blocking_reason(names: CellNames) -> str | None:
    """Why this cell hides the names it defines, or None if its analysis is complete."""
    dynamic = [d for d in names.dynamic if d not in NON_BINDING_DYNAMIC]
    if names.syntax_error is None and not names.star_import and not dynamic:
        return None
    return wording.blocking_reason(names.syntax_error, names.star_import, dynamic)


class OrderJudge:
    """:func:`undefined_in_order` with the analyses cached by source text.

    The cache holds the sources of the latest evaluation only, so it follows the notebook
    instead of growing with every edit; a source appearing again is analysed once.
    """

    def __init__(
        self, analyse: Callable[[str], CellNames], provided: Callable[[str], bool]
    ) -> None:
        self._analyse_source = analyse
        self._provided = provided
        self._cache: dict[str, CellNames] = {}

    def judge(self, cells: list[tuple[str, str]]) -> OrderVerdict:
        old = self._cache
        fresh: dict[str, CellNames] = {}

        def analysed(source: str) -> CellNames:
            result = fresh.get(source)
            if result is None:
                result = old.get(source)
                if result is None:
                    result = self._analyse(source)
                fresh[source] = result
            return result

        verdict = undefined_in_order(cells, analysed, self._provided)
        for _, source in cells:  # keep analyses of cells below a blocker for later
            if source not in fresh and source in old:
                fresh[source] = old[source]
        self._cache = fresh
        return verdict

    def _analyse(self, source: str) -> CellNames:
        try:
            return self._analyse_source(source)
        except Exception as exc:  # a faulty transformer must not stop the other rules
            return CellNames(dynamic=(f"analysis failed ({type(exc).__name__})",))
