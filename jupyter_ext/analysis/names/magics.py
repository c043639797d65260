"""IPython's magics, as they reach the analysis after IPython's input transformations.

``%time x = 1`` arrives as ``get_ipython().run_line_magic('time', 'x = 1')``.  Magics that
run Python in the user namespace have that Python analysed (when it is a literal) and
merged at the point of the call; magics that change the namespace in ways the code does
not show are reported in ``dynamic``.
"""

from __future__ import annotations

import ast
import getopt

from .result import CellNames
from .scope import Scope
from .state import AnalysisState

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


class MagicCalls(AnalysisState):
    """Handles ``get_ipython().run_line_magic(...)``, ``run_cell_magic(...)`` and the
    legacy ``magic(...)`` calls the expression walker meets."""

    def _magic(self, method: str, node: ast.Call, scope: Scope) -> None:
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
                self._merge(self.analyse_nested(code), scope, writes)
        elif name in _OPAQUE_MAGICS:
            self._dyn(prefix + name)
            if name == "pylab" and "--no-import-all" not in (line_or_none or ""):
                self.star_import = self.star_import or not scope.deferred
        elif is_cell and name in _SCRIPT_MAGICS and line_or_none:
            words = line_or_none.split()
            for i, word in enumerate(words[:-1]):
                if word in ("--out", "--err", "--proc") and words[i + 1].isidentifier():
                    self._magic_binds(words[i + 1], scope)

    def _magic_binds(self, name: str, scope: Scope) -> None:
        if scope.deferred:
            self.fn_writes.add(name)
        else:
            self._flow_bind(self.module, name)

    def _merge(self, sub: CellNames, scope: Scope, writes: bool) -> None:
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
