"""pytest plugin: ``pytest --jx notebooks/`` runs notebooks as tests with recording on.

Each ``.ipynb`` becomes one test. It fails when the static checker finds problems at
or above ``--jx-fail-on`` (default ``warning``), when a cell raises, and, if
``NB.lock.json`` sits beside the notebook, when a variable's digest differs from the
lock. The report names the cell and the finding, error or variable: a person reading
CI output needs the notebook's problem, not the plugin's traceback.

Without ``--jx`` nothing is collected, so suites that keep notebooks as fixtures are
untouched. Every test starts its own kernel and writes its own run to the store
(SQLite WAL takes concurrent writers), so ``pytest-xdist`` (``-n auto``) just works.
Heavy imports (papermill, nbclient) happen when a notebook test runs, not when pytest
loads the plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .error_text import last_line, strip_colours
from .fail_on import DEFAULT_FAIL_ON, FAIL_ON, failing

_ERROR_MARKER_TAG = "papermill-error-cell-tag"
_SHOWN = 5


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("jupyter-ext", "notebooks as tests, recorded by jupyter-ext")
    group.addoption(
        "--jx",
        action="store_true",
        default=False,
        help="collect .ipynb files as tests and run them headless with recording on",
    )
    group.addoption(
        "--jx-fail-on",
        choices=FAIL_ON,
        default=None,
        help="lowest severity of static-check findings that fails a notebook: info, "
        "warning, error or none (default: the jx_fail_on ini value, else warning), as "
        "`jupyter-ext check --fail-on`",
    )
    group.addoption(
        "--jx-ignore",
        action="append",
        default=[],
        metavar="CODES",
        help="finding codes or prefixes to ignore, comma-separated (JX206,JX2); repeatable",
    )
    group.addoption("--jx-timeout", type=float, default=600.0, metavar="S", help="per-cell timeout")
    group.addoption("--jx-store", metavar="PATH", help="run store (default: the usual one)")
    parser.addini("jx_fail_on", "default for --jx-fail-on", default=DEFAULT_FAIL_ON)
    parser.addini("jx_ignore", "finding codes to ignore", type="args", default=[])


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    if not parent.config.getoption("jx"):
        return None
    if file_path.suffix != ".ipynb" or ".ipynb_checkpoints" in file_path.parts:
        return None
    notebook: NotebookFile = NotebookFile.from_parent(parent, path=file_path)
    return notebook


class NotebookFile(pytest.File):
    """One notebook file: one test."""

    def collect(self) -> Iterator[pytest.Item]:
        yield NotebookItem.from_parent(self, name=self.path.name)


class NotebookFailure(Exception):
    """What went wrong in a notebook, already worded for the report."""


class NotebookItem(pytest.Item):
    """Check, run with recording, and compare with the lock if there is one."""

    def runtest(self) -> None:
        problems = self._findings()
        problems += self._run()
        if problems:
            raise NotebookFailure("\n".join(problems))

    def _option(self, name: str) -> Any:
        return self.config.getoption(name)

    def _findings(self) -> list[str]:
        from .static import check_notebook

        level = str(self._option("jx_fail_on") or self.config.getini("jx_fail_on"))
        ignore = [c for arg in self._option("jx_ignore") for c in arg.split(",") if c.strip()]
        ignore += list(self.config.getini("jx_ignore"))
        result = check_notebook(self.path, ignore=ignore or None)
        if result.error:
            return [f"cannot check {self.path.name}: {result.error}"]
        bad = failing(result.findings, level if level in FAIL_ON else DEFAULT_FAIL_ON)
        lines = [
            f"{_cell_name(f.get('cell_index'), f.get('cell_id'))}: {f.get('code')} "
            f"{f.get('kind')}: {f.get('message')}"
            for f in bad[:_SHOWN]
        ]
        if len(bad) > _SHOWN:
            lines.append(f"... and {len(bad) - _SHOWN} more findings")
        return lines

    def _run(self) -> list[str]:
        from . import lockfile
        from .repro import compare

        lock_file = lockfile.lock_path_for(self.path)
        try:
            lock = lockfile.read_lock(lock_file) if lock_file.exists() else None
        except lockfile.LockError as exc:
            return [str(exc)]
        run = lockfile.run_for_digests(
            self.path,
            (lock or {}).get("parameters") or {},
            timeout=self._option("jx_timeout"),
            store=self._option("jx_store"),
            progress_bar=False,
        )
        self.user_properties.append(("jupyter_ext_run_id", run.run_id))
        lines: list[str] = []
        if run.error:
            lines.append(_error_text(run.notebook, run.error))
        if lock is not None:
            found = compare(
                lockfile.lock_cells(lock), run.cells, lock.get("environment"), run.environment
            )
            # After a failure, cells that never ran are the error's consequence, not news.
            shown = [d for d in found.divergences if not (run.error and d.kind == "removed")]
            for d in shown[:_SHOWN]:
                cause = f" (likely cause: {d.causes[0]})" if d.causes else ""
                lines.append(f"lock mismatch: {d.message()}{cause}")
            if len(shown) > _SHOWN:
                lines.append(f"... and {len(shown) - _SHOWN} more lock mismatches")
        return lines

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, NotebookFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"notebook {self.path.name}"


def _cell_name(index: Any, cell_id: Any) -> str:
    where = f"cell {index + 1}" if isinstance(index, int) else "notebook"
    return f"{where} (id {cell_id})" if cell_id else where


def _error_text(nb: Any, error: str) -> str:
    """The failing cell, its exception and the last lines of its traceback."""
    if nb is not None:
        cells = [c for c in nb.cells if _ERROR_MARKER_TAG not in c.metadata.get("tags", [])]
        for index, cell in enumerate(cells):
            for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
                if output.get("output_type") != "error":
                    continue
                trace = strip_colours("\n".join(output.get("traceback", [])))
                tail = "\n".join("    " + line for line in trace.strip().splitlines()[-6:])
                return (
                    f"{_cell_name(index, cell.get('id'))} raised {output.get('ename')}: "
                    f"{output.get('evalue')}\n{tail}"
                )
    return f"the run failed: {last_line(error) or 'no report'}"
