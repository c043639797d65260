"""The static checker: hygiene findings for saved notebooks, no kernel needed.

``jupyter-ext check``, the pytest plugin, ``lock`` and ``repro`` call this module.  It
feeds the kernel's own rules engine (:class:`~jupyter_ext.analysis.hygiene.HygieneEngine`)
with records derived from the file (:mod:`.static_records`: execution counts give the
order), so "stale" and "out of order" mean exactly what they mean live, and adds
file-level rules that need no kernel (:mod:`.static_rules`).

======= =========================== ======== ==============================================
code    kind                        severity what it says
======= =========================== ======== ==============================================
JX101   ``stale``                   warning  an input of the cell's last run was changed
                                             afterwards by another cell
JX102   ``out_of_order``            warning  the cell read a value written by a cell below
JX103   ``hidden_state``            warning  (live only: needs the kernel's history)
JX104   ``edited``                  info     (live only: a saved source is the run one)
JX105   ``undefined_in_order``      warning  top to bottom, the cell reads a name no cell
                                             above defines
JX201   ``nonmonotonic_counts``     warning  the cell ran out of document order
JX202   ``count_gaps``              info     execution counts skip numbers: executions
                                             left no trace in the notebook
JX203   ``duplicate_counts``        warning  a count appears on several cells: outputs of
                                             several kernel sessions
JX204   ``unexecuted_cell``         warning  a code cell above executed ones never ran
JX205   ``error_output``            error    an error output is saved in the notebook
JX206   ``absolute_path``           warning  a string literal is an absolute path
                                             (``/home/...``, ``/Users/...``, ``C:\\...``)
JX207   ``import_not_at_top``       info     an import below the first cell of code
JX208   ``missing_parameters_cell`` warning  papermill parameters were injected but no
                                             cell is tagged ``parameters``
======= =========================== ======== ==============================================

Which rules apply:

* A notebook with no output on any code cell counts as not executed (cleared, or
  stripped with counts kept): only JX105, JX206, JX207 and JX208 are judged.
* With duplicate counts (JX203) the execution order is unknowable: JX101, JX102, JX201
  and JX202 are not judged.
* A notebook whose kernel language is known and not Python (``metadata.kernelspec.
  language`` or ``metadata.language_info.name``) gets only the rules that do not read
  code: JX201-JX205 and JX208.

Opt-outs, all by code prefix (``JX2`` covers every JX2xx):

* a comment anywhere in a cell: ``# noqa`` (every code, for that cell), ``# noqa: JX206``
  or ``# jupyter-ext: noqa[: JX206, JX207]``; codes that are not ours (``# noqa: E402``)
  suppress nothing here;
* metadata ``{"jupyter_ext": {"ignore": ["JX204"]}}`` on the notebook or on a cell;
* ``select``/``ignore`` arguments (CLI ``--select``/``--ignore``); ignore wins.

Findings are dicts: the engine's ``{"kind", "code", "severity", "cell_id", "names",
"message", ...}`` plus ``cell_index`` (0-based among all cells) and ``line`` (1-based in
the cell, or None), ordered by cell, then code.  Nothing here raises: a file that cannot
be judged gives a :class:`CheckResult` with a one-line ``error``.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..analysis.hygiene import CODES, HygieneEngine
from ..core.records import ExecutionRecord
from .static_code import CodeFacts, code_facts
from .static_notebook import NbCell, NotebookError, load_notebook, notebook_cells
from .static_records import executed, records_for_cells, records_from_notebook, snapshot
from .static_rules import RULES, file_findings

__all__ = [
    "ALL_CODES",
    "CheckResult",
    "check_notebook",
    "check_paths",
    "matches",
    "records_from_notebook",
]

ALL_CODES: tuple[str, ...] = tuple(sorted({*CODES.values(), *RULES}))
"""Every code the checker can report (JX103/JX104 never fire statically)."""

_NOQA = re.compile(
    r"#\s*(?:jupyter-ext:\s*)?noqa\b(?:[ \t]*:[ \t]*(?P<codes>[\w \t,]+))?", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class CheckResult:
    path: str
    findings: tuple[dict[str, Any], ...]
    error: str | None = None
    """One line: why the file could not be judged (``findings`` is then empty)."""


def matches(code: str, prefixes: Iterable[str]) -> bool:
    """Whether ``code`` starts with one of ``prefixes`` (case-insensitive)."""
    code = code.upper()
    return any(code.startswith(p.strip().upper()) for p in prefixes if p.strip())


def check_notebook(
    path: str | Path,
    *,
    select: Collection[str] | None = None,
    ignore: Collection[str] | None = None,
) -> CheckResult:
    """Check one notebook file.  Never raises."""
    shown = str(path)
    try:
        nb = load_notebook(Path(path))
        cells = notebook_cells(nb)
        metadata = nb.get("metadata")
        findings = _judge(cells, metadata if isinstance(metadata, Mapping) else {}, shown)
    except NotebookError as exc:
        return CheckResult(shown, (), str(exc))
    except RecursionError:
        return CheckResult(shown, (), "too deeply nested to check")
    except MemoryError:
        return CheckResult(shown, (), "too large to check")
    except Exception as exc:  # a bug must cost this file only, with a line to report
        return CheckResult(
            shown, (), f"internal error while checking ({type(exc).__name__}: {exc})"
        )
    kept = tuple(f for f in findings if _wanted(f["code"], select, ignore))
    return CheckResult(shown, kept)


def check_paths(
    paths: Sequence[str | Path],
    *,
    select: Collection[str] | None = None,
    ignore: Collection[str] | None = None,
) -> list[CheckResult]:
    """Check files and directories (searched recursively for ``*.ipynb``, skipping
    ``.ipynb_checkpoints``), each file once, in the order given.  Never raises."""
    out: list[CheckResult] = []
    seen: set[str] = set()
    with _rare_collections():
        for given in paths:
            for path, problem in _expand(Path(given)):
                key = str(path)
                if key in seen:
                    continue
                seen.add(key)
                if problem is not None:
                    out.append(CheckResult(key, (), problem))
                else:
                    out.append(check_notebook(path, select=select, ignore=ignore))
    return out


@contextmanager
def _rare_collections() -> Iterator[None]:
    """Checking allocates millions of short-lived AST nodes that form no cycles, so
    reference counting frees them; Python's cyclic collector, run every 700 net
    allocations by default, then takes about a tenth of the time for nothing.  Run it
    less often during a batch and restore the caller's setting after."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 100_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _expand(path: Path) -> list[tuple[Path, str | None]]:
    try:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*.ipynb")
                if ".ipynb_checkpoints" not in p.parts and not p.is_dir()
            )
            return [(p, None) for p in found] or [(path, "no notebooks (*.ipynb) found")]
        if not path.exists():
            return [(path, "no such file or directory")]
    except OSError as exc:
        return [(path, f"cannot read: {exc.strerror or type(exc).__name__}")]
    return [(path, None)]


def _wanted(code: str, select: Collection[str] | None, ignore: Collection[str] | None) -> bool:
    if select is not None and not matches(code, select):
        return False
    return not (ignore and matches(code, ignore))


def _judge(cells: list[NbCell], metadata: Mapping[str, Any], path: str) -> list[dict[str, Any]]:
    memo: dict[str, CodeFacts] = {}  # each distinct source analysed once per notebook

    def facts(source: str) -> CodeFacts:
        found = memo.get(source)
        if found is None:
            found = memo[source] = code_facts(source)
        return found

    python = _is_python(metadata)
    findings, orderly = file_findings(cells, metadata, executed(cells), facts, python=python)
    if python:
        records = records_for_cells(cells, facts) if orderly else []
        findings += _engine_findings(cells, records, path, facts)
    notebook_off = _ignored_by_metadata(metadata)
    cell_off = {c.id: _cell_opt_outs(c) for c in cells if c.cell_type == "code" or c.metadata}
    kept = []
    for finding in findings:
        off = notebook_off + cell_off.get(finding["cell_id"], ())
        if not (off and matches(finding["code"], off)):
            kept.append(finding)
    kept.sort(key=_order)
    return kept


def _is_python(metadata: Mapping[str, Any]) -> bool:
    for section, key in (("kernelspec", "language"), ("language_info", "name")):
        value = metadata.get(section)
        language = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(language, str) and language:
            return language.lower() in ("python", "python3", "ipython", "ipython3")
    return True  # unknown: most notebooks are Python


def _engine_findings(
    cells: list[NbCell],
    records: list[ExecutionRecord],
    path: str,
    facts: Callable[[str], CodeFacts],
) -> list[dict[str, Any]]:
    """The live rules, fed the derived records: JX101, JX102, JX105."""
    doc = snapshot(cells, path)
    engine = HygieneEngine(
        analyse_source=lambda source: facts(source).names,
        hash_source=lambda source: facts(source).source_hash,
    )
    engine.set_notebook(doc)
    for record in records:
        engine.add_execution(record)
    out = []
    for found in engine.warnings():
        item = found.to_json()
        cell = found.cell_id
        item["cell_index"] = doc.position(cell) if cell is not None else None
        item["line"] = None
        out.append(item)
    return out


def _ignored_by_metadata(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    ours = metadata.get("jupyter_ext")
    codes = ours.get("ignore") if isinstance(ours, Mapping) else None
    if isinstance(codes, str):
        codes = [codes]
    if not isinstance(codes, list):
        return ()
    return tuple(c for c in codes if isinstance(c, str) and c.strip())


def _cell_opt_outs(cell: NbCell) -> tuple[str, ...]:
    off = list(_ignored_by_metadata(cell.metadata))
    if cell.cell_type == "code" and "noqa" in cell.source.lower():
        for match in _NOQA.finditer(cell.source):
            codes = match.group("codes")
            if codes is None:
                return ("JX",)
            off += [c for c in re.split(r"[\s,]+", codes) if c.upper().startswith("JX")]
    return tuple(off)


def _order(finding: dict[str, Any]) -> tuple[int, str, int]:
    index = finding.get("cell_index")
    line = finding.get("line")
    return (
        index if isinstance(index, int) else 1 << 60,
        str(finding.get("code")),
        line if isinstance(line, int) else 0,
    )
