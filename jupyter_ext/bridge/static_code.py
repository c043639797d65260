"""What the static checker learns from one cell's code, without running it.

One parse per distinct code string (cached), shared by the records (names, mutations,
static digests, functions' global references) and the file-level rules (absolute
paths, imports).  Names come from :func:`jupyter_ext.analysis.names.analyse`, the same
analysis the kernel uses, applied to the code IPython would run.

Decisions:

* Parsing is most of the cost of a check, so each cell is parsed once and the tree feeds
  both the names analysis and the checker's own walks.
* IPython's input transformations (``%magic``, ``!cmd``, ``obj?``) cost about a
  millisecond per cell, more than everything else together.  Code that already parses as
  Python is left alone: none of IPython's transformations change the meaning of valid
  Python (escapes such as ``%``/``!``/``?`` at the start of a line or after ``=`` are
  syntax errors in Python), so only cells that do not parse go through
  ``TransformerManager().transform_cell`` (imported lazily; on failure the raw source).
* Mutations are judged conservatively: ``df.head()`` must not make every reader of
  ``df`` stale.  Only what the code visibly changes in place counts (the names
  analysis collects it in its one walk: ``CellNames.visibly_mutated``), among the
  mutation candidates the cell does not rebind; the records also drop modules
  (``np.append(a, 1)`` mutates nothing).
* Static digests.  Without digests every rebinding would count as a change, so two
  cells both running ``import pandas as pd`` would make each other's readers stale.
  Where the code shows the value, the record carries a digest of it: a module import
  (``static:import:pandas``) or a literal (``threshold = 30``).  Only for names bound
  exactly once in the cell, by a top-level statement, and not mutated there.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

from ..analysis.names import CellNames, analyse
from ..analysis.names.parsing import parse_quietly
from ..analysis.names.visitor import Analyser
from ..core.ids import source_hash, text_hash

__all__ = ["CodeFacts", "code_facts", "python_code"]

_ABSOLUTE_PATH = re.compile(
    r"^(?:/(?:home|Users|root|mnt|media|Volumes)/|[A-Za-z]:[\\/]|\\\\[^\\]+\\)"
)
_PATH_HINT = re.compile(r"/(?:home|Users|root|mnt|media|Volumes)/|[A-Za-z]:[\\/]|\\\\")
_MAGIC_CALLS = frozenset({"run_line_magic", "run_cell_magic", "system"})


@dataclass(frozen=True, slots=True)
class CodeFacts:
    names: CellNames
    mutated: frozenset[str]
    digests: tuple[tuple[str, str], ...]
    """(name, static digest) for names whose bound value the code shows."""
    functions: tuple[tuple[str, frozenset[str], frozenset[str]], ...]
    """(name, globals its body reads, globals it binds) per top-level def/class."""
    imported: frozenset[str]
    """Names bound by top-level imports (modules: their functions are not mutations)."""
    absolute_paths: tuple[tuple[int, str], ...]
    """(line, literal) of string constants that are absolute paths."""
    imports: tuple[tuple[int, str], ...]
    """(line, module) of top-level imports."""
    only_setup: bool
    """The cell holds nothing but imports, docstrings, comments and magics."""
    source_hash: str
    """:func:`~jupyter_ext.core.ids.source_hash` of the source, computed once with the rest."""


def python_code(source: str) -> str:
    """The Python IPython would run for ``source``."""
    return source if _parse(source) is not None else _transformed(source)


@lru_cache(maxsize=4096)
def _transformed(source: str) -> str:
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        code = TransformerManager().transform_cell(source)  # type: ignore[no-untyped-call]
    except Exception:  # a transformer bug must not stop the check
        return source
    return code if isinstance(code, str) else source


def _parse(code: str) -> ast.Module | None:
    try:
        return parse_quietly(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _names(tree: ast.Module) -> tuple[CellNames, dict[str, int]]:
    """:func:`~jupyter_ext.analysis.names.analyse` on a tree parsed here, plus how often
    each name is bound: one parse and one walk per cell serve the names and the
    checker's own rules (parsing and walking are most of the cost of a check)."""
    analyser = Analyser(tree, analyse)
    try:
        return analyser.run(), analyser.binding_counts
    except Exception as exc:  # as analyse() does: a bug here makes the cell unjudgeable
        return CellNames(dynamic=(f"analysis failed ({type(exc).__name__})",)), {}


# Across notebooks only repeated cells (imports, set-up) hit; 1,024 holds those, while a
# larger cache only keeps more objects for the cyclic collector to traverse in a batch.
@lru_cache(maxsize=1024)
def code_facts(source: str) -> CodeFacts:
    """Everything the checker needs about one cell's current source."""
    code, tree = source, _parse(source)
    if tree is None:
        code = _transformed(source)
        tree = _parse(code) if code != source else None
    if tree is None:  # analyse() says why (syntax error, too deep...)
        return CodeFacts(
            analyse(code), frozenset(), (), (), frozenset(), (), (), False, source_hash(source)
        )
    names, bound = _names(tree)
    imported, imports, only_setup = _top_level(tree)
    return CodeFacts(
        names=names,
        mutated=names.visibly_mutated & names.mutation_candidates - names.writes,
        digests=_digests(tree, names, bound),
        functions=_functions(tree),
        imported=imported,
        absolute_paths=_absolute_paths(tree) if _may_hold_path(code) else (),
        imports=imports,
        only_setup=only_setup,
        source_hash=source_hash(source),
    )


def _may_hold_path(code: str) -> bool:
    """Every absolute path has a slash or a backslash; most cells have neither, and
    testing for the two characters is far cheaper than the pattern."""
    return ("/" in code or "\\" in code) and _PATH_HINT.search(code) is not None


def _top_level(tree: ast.Module) -> tuple[frozenset[str], tuple[tuple[int, str], ...], bool]:
    """Names bound by top-level imports, (line, module) of those imports, and whether
    the cell holds nothing but setup: one pass over the top-level statements."""
    imported: set[str] = set()
    imports: list[tuple[int, str]] = []
    only_setup = True
    for stmt in tree.body:
        if only_setup and not _is_setup(stmt):
            only_setup = False
        for node in _import_nodes(stmt):
            for alias in node.names:
                if alias.name != "*":
                    imported.add((alias.asname or alias.name).split(".")[0])
            if isinstance(node, ast.Import):
                imports.extend((node.lineno, a.name) for a in node.names)
            elif node.module != "__future__":
                imports.append((node.lineno, "." * node.level + (node.module or "")))
    return frozenset(imported), tuple(imports), only_setup


def _absolute_paths(tree: ast.Module) -> tuple[tuple[int, str], ...]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value
            if len(value) < 260 and "\n" not in value and _ABSOLUTE_PATH.match(value):
                found.append((node.lineno, value))
    return tuple(sorted(found))


def _digests(
    tree: ast.Module, names: CellNames, bound: dict[str, int]
) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import | ast.ImportFrom) and not (
            isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names)
        ):
            base = "." * getattr(stmt, "level", 0) + (getattr(stmt, "module", None) or "")
            for alias in stmt.names:
                if isinstance(stmt, ast.Import):
                    target = alias.name if alias.asname else alias.name.split(".")[0]
                    value = f"import:{target}"
                else:
                    value = f"from:{base}:{alias.name}"
                out[(alias.asname or alias.name).split(".")[0]] = value
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            literal = _literal(stmt.value)
            if literal is not None:
                out[stmt.targets[0].id] = f"literal:{literal}"
    if not out:
        return ()
    risky = names.mutation_candidates | names.deletes
    return tuple(
        (name, "static:" + text_hash(value))
        for name, value in sorted(out.items())
        if bound.get(name) == 1 and name not in risky and name in names.writes
    )


def _literal(node: ast.expr) -> str | None:
    if type(node) is ast.Constant:  # the common case, without literal_eval's machinery
        value = node.value
        return f"{type(value).__name__}:{value!r}"
    if type(node) not in _LITERAL_SHAPES and not _is_empty_set(node):
        return None  # names, calls, attributes...: never literals, and raising is slow
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return f"{type(value).__name__}:{value!r}"


_LITERAL_SHAPES = frozenset(
    {ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp}
)
"""Node types :func:`ast.literal_eval` can accept at the top (besides ``set()``)."""


def _is_empty_set(node: ast.expr) -> bool:
    return (
        type(node) is ast.Call
        and isinstance(node.func, ast.Name)
        and node.func.id == "set"
        and not node.args
        and not node.keywords
    )


def _functions(tree: ast.Module) -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    out = []
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            alone, _ = _names(ast.Module(body=[stmt], type_ignores=[]))
            reads = alone.function_globals_read
            if isinstance(stmt, ast.ClassDef):
                reads = reads | alone.reads
            out.append((stmt.name, reads, alone.function_globals_written))
    return tuple(out)


def _import_nodes(stmt: ast.stmt) -> list[ast.Import | ast.ImportFrom]:
    """Imports at the top level, including the ``try: import x / except ImportError`` form."""
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return [stmt]
    if isinstance(stmt, ast.Try):
        blocks = [stmt.body, stmt.orelse, *(h.body for h in stmt.handlers)]
        return [s for block in blocks for s in block if isinstance(s, ast.Import | ast.ImportFrom)]
    return []


def _is_setup(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Import | ast.ImportFrom | ast.Pass):
        return True
    if isinstance(stmt, ast.Try):
        return all(_is_setup(s) for s in stmt.body) and all(
            _is_setup(s) for h in stmt.handlers for s in h.body
        )
    if not isinstance(stmt, ast.Expr):
        return False
    value = stmt.value
    if isinstance(value, ast.Constant):
        return True  # a docstring or a bare literal
    # get_ipython().run_line_magic(...), .run_cell_magic(...), .system(...)
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in _MAGIC_CALLS
        and isinstance(value.func.value, ast.Call)
        and isinstance(value.func.value.func, ast.Name)
        and value.func.value.func.id == "get_ipython"
    )
