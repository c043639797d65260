"""IPython syntax in a cell: what a plain Python module can keep, and what it cannot.

IPython's own input transformer turns ``%magic``, ``%%magic`` and ``!shell`` into
``get_ipython().run_line_magic(...)``, ``run_cell_magic(...)``, ``system(...)`` and
``getoutput(...)`` calls; those calls are what this module judges. A module has no
``get_ipython()``, so each call is either replaced by the Python it runs (``%time``,
``%%time``, ``%%capture``), dropped because it only affects the notebook's display or
session (``%matplotlib inline``, ``%load_ext``, ``%config``, ``x?``), or left out and
reported, because what it does (install packages, run shell commands or other files,
change directory, persist values) cannot be reproduced by a function call.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Literal

Decision = Literal["inline", "drop", "leave_out"]

_METHODS = frozenset({"run_line_magic", "run_cell_magic", "system", "getoutput", "magic"})

_RUN_PYTHON_LINE = frozenset({"time"})
_RUN_PYTHON_CELL = frozenset({"time", "capture"})
_SESSION_SETTINGS = frozenset(
    {"matplotlib", "config", "load_ext", "reload_ext", "autoreload", "aimport", "precision",
     "pprint", "colors", "xmode", "autocall", "automagic", "doctest_mode"}
)  # fmt: skip
_DISPLAY_ONLY_LINE = frozenset(
    {"pinfo", "pinfo2", "pdoc", "psource", "pdef", "pfile", "who", "whos", "who_ls",
     "lsmagic", "history", "pwd", "magic", "quickref", "timeit"}
)  # fmt: skip
_DISPLAY_ONLY_CELL = frozenset(
    {"html", "HTML", "markdown", "latex", "javascript", "js", "svg", "timeit"}
)  # fmt: skip
_REASONS = {
    "run": "runs another file in the notebook's namespace: import what the module needs "
    "from it instead",
    "cd": "changes the working directory for everything after it: pass paths explicitly",
    "store": "persists values between notebook sessions",
    "env": "reads or sets environment variables outside the code",
    "pip": "installs packages: list them in the project's requirements instead",
    "conda": "installs packages: list them in the project's requirements instead",
    "writefile": "writes a file when the cell runs",
    "reset": "clears the namespace",
    "xdel": "deletes names behind the code's back",
}


@dataclass(frozen=True, slots=True)
class IPythonCall:
    """One ``get_ipython().<method>(...)`` call, with what the user typed."""

    method: str
    name: str
    """Magic name (``"time"``), or ``"!"`` for shell commands."""
    line: str
    body: str | None
    """A cell magic's cell text."""

    @property
    def shown(self) -> str:
        if self.name == "!":
            return f"!{self.line}"
        prefix = "%%" if self.method == "run_cell_magic" else "%"
        return f"{prefix}{self.name} {self.line}".rstrip()


def ipython_call(node: ast.AST) -> IPythonCall | None:
    """The call if ``node`` is ``get_ipython().method('literal', ...)``, else None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    receiver = node.func.value
    if not (
        isinstance(receiver, ast.Call)
        and isinstance(receiver.func, ast.Name)
        and receiver.func.id == "get_ipython"
        and node.func.attr in _METHODS
    ):
        return None
    texts = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
    if not texts or not all(isinstance(t, str) for t in texts):
        return None
    strings = [str(t) for t in texts]
    method = node.func.attr
    if method in ("system", "getoutput"):
        return IPythonCall(method, "!", strings[0], None)
    if method == "magic":  # legacy get_ipython().magic('time x = 1')
        name, _, line = strings[0].lstrip("%").partition(" ")
        return IPythonCall("run_line_magic", name, line, None)
    line = strings[1] if len(strings) > 1 else ""
    body = strings[2] if method == "run_cell_magic" and len(strings) > 2 else None
    return IPythonCall(method, strings[0], line, body)


def uses_ipython(node: ast.AST) -> bool:
    """Whether ``get_ipython`` appears anywhere in ``node``."""
    return any(isinstance(n, ast.Name) and n.id == "get_ipython" for n in ast.walk(node))


def decide(call: IPythonCall, as_statement: bool) -> tuple[Decision, str]:
    """What to do with ``call``: ``("inline", python_code)``, ``("drop", why)`` or
    ``("leave_out", why)``. ``as_statement`` is False when its value is used
    (``files = !ls``), which only plain Python could replace."""
    if call.name == "!":
        return "leave_out", "shell command: run it before calling run(), or use subprocess"
    cell = call.method == "run_cell_magic"
    if not as_statement:
        return "leave_out", "the value of a magic is used: replace it with Python"
    if cell and call.name in _RUN_PYTHON_CELL and not call.line.strip():
        return "inline", call.body or ""
    if not cell and call.name in _RUN_PYTHON_LINE:
        return "inline", call.line
    if not cell and call.name in _SESSION_SETTINGS:
        return "drop", "notebook session setting: no effect in a module"
    if (call.name in _DISPLAY_ONLY_CELL) if cell else (call.name in _DISPLAY_ONLY_LINE):
        return "drop", "display only: computes no value the module needs"
    if call.name in _REASONS:
        return "leave_out", _REASONS[call.name]
    if cell:
        return "leave_out", "cell magic with effects a module cannot reproduce"
    return "leave_out", "magic with effects a module cannot reproduce"


def transform(source: str) -> str:
    """The Python IPython runs for ``source`` (magics and shell escapes as calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    code: str = TransformerManager().transform_cell(source)  # type: ignore[no-untyped-call]
    return code
